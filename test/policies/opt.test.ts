import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OptPolicy, shouldAdmit } from '../../src/policies/opt.js';
import { createPolicy, policyNames } from '../../src/policies/registry.js';
import { TestContext, futureOf, ids, letters, simulate } from './support.js';

/** Belady by brute force: at each miss, scan the cache for the farthest next use. */
function referenceBelady(refs: readonly number[], capacity: number): { victims: number[]; hits: number } {
  const cache: number[] = []; // in order of latest reference
  const victims: number[] = [];
  let hits = 0;
  const nextUse = (id: number, after: number): number => {
    for (let i = after + 1; i < refs.length; i++) if (refs[i] === id) return i;
    return Infinity;
  };
  refs.forEach((id, position) => {
    const at = cache.indexOf(id);
    if (at >= 0) {
      hits++;
      cache.splice(at, 1);
      cache.push(id);
      return;
    }
    if (cache.length >= capacity) {
      // Farthest next use; among equals, the latest referenced (scan from the newest end).
      let victimAt = cache.length - 1;
      for (let i = cache.length - 1; i >= 0; i--) {
        if (nextUse(cache[i]!, position) > nextUse(cache[victimAt]!, position)) victimAt = i;
      }
      victims.push(cache.splice(victimAt, 1)[0]!);
    }
    cache.push(id);
  });
  return { victims, hits };
}

describe('opt', () => {
  it('evicts the block used farthest in the future (hand-worked, capacity 3)', () => {
    // A B C; D: next uses A 4, B 5, C 9 → C. E: A 7, B 8, D 10 → D.
    // C: A, B never again, E 11 → tie A/B, B referenced later → B.
    // D: A never, E 11, C never → tie A/C, C referenced later → C. E is a hit.
    const refs = ids('ABCDABEABCDE');
    const { context, at } = futureOf(refs, 3);
    const run = simulate(new OptPolicy(context), 3, refs, at);
    expect(letters(run.victims)).toBe('CDBC');
    expect(run.hits).toBe(5);
  });

  it('matches a brute-force Belady, tie-break included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 120, size: 'max' }), (capacity, refs) => {
        const { context, at } = futureOf(refs, capacity);
        const run = simulate(new OptPolicy(context), capacity, refs, at);
        expect(run).toEqual(referenceBelady(refs, capacity));
      }),
      { numRuns: 200 },
    );
  });

  it('hits at least as often as every other policy', () => {
    const others = policyNames().filter((name) => name !== 'opt');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 200, size: 'max' }), (capacity, refs) => {
        const { context, at } = futureOf(refs, capacity);
        const opt = simulate(new OptPolicy(context), capacity, refs, at).hits;
        for (const name of others) {
          const hits = simulate(createPolicy(name, new TestContext(capacity)), capacity, refs).hits;
          expect(opt).toBeGreaterThanOrEqual(hits);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('skips pinned blocks and peeks without evicting', () => {
    const future = new Map([[0, 5], [1, 9], [2, Infinity]]);
    const context = new TestContext(3, { nextUse: (id) => future.get(id) ?? Infinity });
    const policy = new OptPolicy(context);
    for (const id of [0, 1, 2]) policy.insert(id);
    expect(policy.peek()).toBe(2);
    expect(policy.peekFarthest()).toBe(Infinity);
    context.pinned.add(2);
    expect(policy.peek()).toBe(1);
    expect(policy.peekFarthest()).toBe(9);
    expect(policy.size).toBe(3);
    expect(policy.evict()).toBe(1);
    context.pinned.add(0);
    expect(policy.peekFarthest()).toBe(-Infinity);
    expect(policy.evict()).toBe(-1);
    context.pinned.clear();
    expect(policy.evict()).toBe(2);
  });

  it('re-reads the next use at every reference', () => {
    let nextOf0 = 100;
    const context = new TestContext(3, { nextUse: (id) => (id === 0 ? nextOf0 : 50) });
    const policy = new OptPolicy(context);
    policy.insert(0);
    policy.insert(1);
    expect(policy.nextUseOf(0)).toBe(100);
    nextOf0 = 10;
    policy.touch(0);
    expect(policy.nextUseOf(0)).toBe(10);
    expect(policy.evict()).toBe(1);
    expect(policy.nextUseOf(1)).toBeNaN();
  });

  it('tells replay when a missed block should bypass the cache', () => {
    const future = new Map([[0, 5], [1, 9], [7, 3], [8, 12], [9, 9]]);
    const context = new TestContext(2, { nextUse: (id) => future.get(id) ?? Infinity });
    const policy = new OptPolicy(context);
    policy.insert(0);
    policy.insert(1);
    const victimNextUse = policy.peekFarthest();
    expect(victimNextUse).toBe(9);
    expect(shouldAdmit(context, 7, victimNextUse)).toBe(true); // needed at 3, before 9
    expect(shouldAdmit(context, 8, victimNextUse)).toBe(false); // needed at 12, after 9
    expect(shouldAdmit(context, 9, victimNextUse)).toBe(false); // a tie: bypassing costs nothing
    expect(shouldAdmit(context, 42, Infinity)).toBe(false); // never used again
    expect(policy.shouldAdmit(7)).toBe(true);
    expect(policy.shouldAdmit(8)).toBe(false);
  });

  it('needs the future: ERR_CONFIG without nextUse', () => {
    const message = 'the opt policy needs the future: its context must provide nextUse(id), which only replay has';
    expect(() => new OptPolicy(new TestContext(3))).toThrow(message);
    expect(() => createPolicy('OPT', new TestContext(3))).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(() => shouldAdmit(new TestContext(3), 1, 5)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
  });

  it('refuses a NaN next use, which would corrupt its order', () => {
    const policy = new OptPolicy(new TestContext(3, { nextUse: () => Number.NaN }));
    expect(() => policy.insert(1)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
  });
});
