import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPolicy, policyNames } from '../../src/policies/registry.js';
import type { EvictionPolicy } from '../../src/policies/policy.js';
import { TestContext, scrambledFuture } from './support.js';

/** A fresh context for any policy: OPT gets a fixed future, prefix-lru a few chains. */
function contextFor(capacityBlocks = 8): TestContext {
  const context = new TestContext(capacityBlocks, { nextUse: scrambledFuture });
  return context;
}

function make(name: string, context = contextFor()): EvictionPolicy {
  return createPolicy(name, context);
}

/** Drives a policy like the engine at `capacity`, returning every victim; pinned ids come from `pins`. */
function drive(policy: EvictionPolicy, context: TestContext, capacity: number, ops: readonly [number, number][]): number[] {
  const victims: number[] = [];
  for (const [kind, id] of ops) {
    if (kind === 0) {
      if (policy.has(id)) {
        policy.touch(id);
        continue;
      }
      policy.miss?.(id);
      let room = true;
      while (policy.size >= capacity) {
        const victim = policy.evict();
        victims.push(victim);
        if (victim === -1) {
          room = false;
          break;
        }
      }
      if (room) policy.insert(id);
    } else if (kind === 1) {
      policy.remove(id);
    } else if (context.pinned.has(id)) {
      context.pinned.delete(id);
    } else {
      context.pinned.add(id);
    }
  }
  return victims;
}

const opsArbitrary = fc.array(
  fc.tuple(fc.constantFrom(0, 0, 0, 0, 0, 1, 2), fc.integer({ min: 0, max: 23 })) as fc.Arbitrary<[number, number]>,
  { maxLength: 300, size: 'max' },
);

describe.each(policyNames())('policy %s (conformance)', (name) => {
  it('reports its registry name', () => {
    expect(make(name).name).toBe(name);
  });

  it('tracks inserts, touches and removes in size and has', () => {
    const policy = make(name);
    expect(policy.size).toBe(0);
    expect(policy.has(0)).toBe(false);
    for (const id of [3, 1, 4, 5, 9]) policy.insert(id);
    expect(policy.size).toBe(5);
    for (const id of [3, 1, 4, 5, 9]) expect(policy.has(id)).toBe(true);
    expect(policy.has(2)).toBe(false);
    policy.touch(4);
    policy.touch(4);
    policy.touch(9);
    expect(policy.size).toBe(5);
    policy.remove(4);
    expect(policy.has(4)).toBe(false);
    expect(policy.size).toBe(4);
    policy.insert(4);
    expect(policy.has(4)).toBe(true);
    expect(policy.size).toBe(5);
  });

  it('evicts every tracked block exactly once, then returns -1', () => {
    const policy = make(name);
    const inserted = [7, 2, 11, 0, 5, 3];
    for (const id of inserted) policy.insert(id);
    policy.touch(2);
    policy.touch(5);
    const victims: number[] = [];
    for (let i = 0; i < inserted.length; i++) {
      const victim = policy.evict();
      expect(policy.has(victim)).toBe(false);
      victims.push(victim);
      expect(policy.size).toBe(inserted.length - i - 1);
    }
    expect(victims.sort((a, b) => a - b)).toEqual([...inserted].sort((a, b) => a - b));
    expect(policy.evict()).toBe(-1);
    expect(policy.evict()).toBe(-1);
  });

  it('returns -1 on an empty policy', () => {
    expect(make(name).evict()).toBe(-1);
  });

  it('never evicts an unevictable block, and returns -1 when all are pinned', () => {
    const context = contextFor();
    const policy = make(name, context);
    for (let id = 0; id < 6; id++) policy.insert(id);
    context.pinned.add(0).add(2).add(4);
    const victims = [policy.evict(), policy.evict(), policy.evict()];
    expect(victims.sort()).toEqual([1, 3, 5]);
    expect(policy.evict()).toBe(-1);
    expect(policy.size).toBe(3);
    for (const id of [0, 2, 4]) expect(policy.has(id)).toBe(true);
    context.pinned.delete(2);
    expect(policy.evict()).toBe(2);
    expect(policy.evict()).toBe(-1);
  });

  it('keeps a skipped block in its place: once unpinned it is the next victim', () => {
    const context = contextFor();
    const build = (): EvictionPolicy => {
      const policy = make(name, context);
      for (let id = 0; id < 6; id++) policy.insert(id);
      return policy;
    };
    const first = build().evict();
    const policy = build();
    context.pinned.add(first);
    const second = policy.evict();
    expect(second).not.toBe(first);
    context.pinned.delete(first);
    expect(policy.evict()).toBe(first);
  });

  it('treats remove of an untracked id as a no-op', () => {
    const policy = make(name);
    policy.insert(1);
    policy.remove(2);
    policy.remove(1_000_000);
    policy.remove(-1);
    expect(policy.size).toBe(1);
    policy.remove(1);
    policy.remove(1);
    expect(policy.size).toBe(0);
    expect(policy.evict()).toBe(-1);
  });

  it('handles ids far beyond the initial arrays', () => {
    const policy = make(name);
    const big = [0, 4095, 70_000, 1_000_003, 2_500_000];
    for (const id of big) policy.insert(id);
    expect(policy.size).toBe(big.length);
    for (const id of big) expect(policy.has(id)).toBe(true);
    expect(policy.has(2_500_001)).toBe(false);
    policy.touch(1_000_003);
    const victims = big.map(() => policy.evict());
    expect(victims.sort((a, b) => a - b)).toEqual(big);
  });

  it('grows past the initial arrays one id at a time', () => {
    const policy = make(name, contextFor(5000));
    for (let id = 0; id < 5000; id++) policy.insert(id);
    expect(policy.size).toBe(5000);
    expect(policy.has(4999)).toBe(true);
    for (let id = 0; id < 5000; id += 7) policy.touch(id);
    expect(new Set(Array.from({ length: 5000 }, () => policy.evict())).size).toBe(5000);
  });

  it('rejects contract violations with ERR_INVALID_ARGUMENT', () => {
    const policy = make(name);
    policy.insert(3);
    expect(() => policy.insert(3)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => policy.touch(4)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 31]) {
      expect(() => policy.insert(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    }
    for (const odd of [3.5, 2.5, -0.5, Number.NaN, -3]) {
      expect(policy.has(odd)).toBe(false);
      expect(() => policy.touch(odd)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
      policy.remove(odd);
    }
    expect(policy.has(3)).toBe(true);
    expect(() => policy.insert(-1)).toThrow('expected a block id (an integer in [0, 2147483646]) for `id`, got -1');
    expect(() => policy.touch(4)).toThrow(`expected a block id tracked by ${name} for \`id\`, got 4`);
    expect(policy.size).toBe(1);
  });

  it('is deterministic: the same operations give the same victims', () => {
    fc.assert(
      fc.property(opsArbitrary, (ops) => {
        const runs = [0, 1].map(() => {
          const context = contextFor(6);
          for (let id = 1; id < 24; id++) if (id % 3 !== 0) context.parents.set(id, id - 1);
          return drive(make(name, context), context, 6, ops);
        });
        expect(runs[0]).toEqual(runs[1]);
      }),
      { numRuns: 30 },
    );
  });

  it('stays consistent with a plain set model under random operations', () => {
    fc.assert(
      fc.property(opsArbitrary, (ops) => {
        const context = contextFor(6);
        const policy = make(name, context);
        const model = new Set<number>();
        for (const [kind, id] of ops) {
          if (kind === 0) {
            if (model.has(id)) {
              policy.touch(id);
              continue;
            }
            policy.miss?.(id);
            let room = true;
            while (model.size >= 6) {
              const victim = policy.evict();
              const evictable = [...model].filter((m) => !context.pinned.has(m));
              if (victim === -1) {
                expect(evictable).toEqual([]);
                room = false;
                break;
              }
              expect(model.has(victim)).toBe(true);
              expect(context.pinned.has(victim)).toBe(false);
              model.delete(victim);
            }
            if (room) {
              policy.insert(id);
              model.add(id);
            }
          } else if (kind === 1) {
            policy.remove(id);
            model.delete(id);
          } else if (!context.pinned.delete(id)) {
            context.pinned.add(id);
          }
          expect(policy.size).toBe(model.size);
          expect(policy.has(id)).toBe(model.has(id));
        }
        for (let probe = 0; probe < 24; probe++) expect(policy.has(probe)).toBe(model.has(probe));
      }),
      { numRuns: 30 },
    );
  });
});
