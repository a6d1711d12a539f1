import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PrefixLruPolicy } from '../../src/policies/prefix-lru.js';
import { TestContext, ids, letters } from './support.js';

const [A, B, C, D, E] = ids('ABCDE') as [number, number, number, number, number];

/** A context with the chains given as "parent child" pairs. */
function chains(...links: [number, number][]): TestContext {
  const context = new TestContext(16);
  for (const [parent, child] of links) context.parents.set(child, parent);
  return context;
}

function drain(policy: PrefixLruPolicy): string {
  const victims: number[] = [];
  for (let victim = policy.evict(); victim !== -1; victim = policy.evict()) victims.push(victim);
  return letters(victims);
}

describe('prefix-lru', () => {
  it('evicts leaves only, least recently used first (hand-worked)', () => {
    // Chains A→B→C and D→E, referenced A B C D E. Leaves C and E: C is older. Then B is a leaf
    // (referenced at 2, before E at 5), then A, then E, then D.
    const policy = new PrefixLruPolicy(chains([A, B], [B, C], [D, E]));
    for (const id of [A, B, C, D, E]) policy.insert(id);
    expect(policy.isLeaf(A)).toBe(false);
    expect(policy.isLeaf(C)).toBe(true);
    expect(drain(policy)).toBe('CBAED');
  });

  it('a parent becomes a leaf at its own last-reference position', () => {
    // A→B, C→D, referenced A B C D, then B again: references A1 B5 C3 D4. Leaves B(5), D(4): D
    // goes; C(3) becomes a leaf older than B, so C goes next; then B, then A.
    const policy = new PrefixLruPolicy(chains([A, B], [C, D]));
    for (const id of [A, B, C, D]) policy.insert(id);
    policy.touch(B);
    expect(drain(policy)).toBe('DCBA');
  });

  it('touching a prefix does not make it evictable while its suffix stays', () => {
    const policy = new PrefixLruPolicy(chains([A, B]));
    policy.insert(A);
    policy.insert(B);
    policy.insert(C);
    policy.touch(B);
    policy.touch(C);
    // A is least recent but has a child; B is the oldest leaf.
    expect(letters([policy.evict()])).toBe('B');
  });

  it('keeps a prefix whose descendant stays even when the middle block left (promotion)', () => {
    const policy = new PrefixLruPolicy(chains([A, B], [B, C]));
    for (const id of [A, B, C]) policy.insert(id);
    policy.remove(B);
    expect(policy.isLeaf(A)).toBe(false);
    expect(drain(policy)).toBe('CA');
  });

  it('a returning middle block relinks the chain', () => {
    const policy = new PrefixLruPolicy(chains([A, B], [B, C]));
    for (const id of [A, B, C]) policy.insert(id);
    policy.remove(B);
    policy.insert(B); // demoted back: referenced last, but C still depends on it
    expect(policy.isLeaf(B)).toBe(false);
    expect(drain(policy)).toBe('CBA');
  });

  it('links through ancestors this tier never held', () => {
    // A→B→C where B lives in another tier: A must still wait for C.
    const policy = new PrefixLruPolicy(chains([A, B], [B, C]));
    policy.insert(A);
    policy.insert(C);
    expect(policy.isLeaf(A)).toBe(false);
    expect(drain(policy)).toBe('CA');
  });

  it('skips pinned leaves without exposing their parents', () => {
    const context = chains([A, B], [C, D]);
    const policy = new PrefixLruPolicy(context);
    for (const id of [A, B, C, D]) policy.insert(id);
    context.pinned.add(B);
    expect(letters([policy.evict(), policy.evict(), policy.evict()])).toBe('DC-');
    context.pinned.clear();
    expect(drain(policy)).toBe('BA');
  });

  it('treats a block named as its own parent as a chain start', () => {
    const policy = new PrefixLruPolicy(chains([A, A]));
    policy.insert(A);
    expect(policy.evict()).toBe(A);
  });

  it('never evicts a block with a tracked descendant, and evicts leaves in exact LRU order', () => {
    const universe = 30;
    const forest = fc.array(fc.integer({ min: -1, max: universe - 1 }), { minLength: universe, maxLength: universe });
    const op = fc.tuple(fc.constantFrom('access', 'access', 'access', 'access', 'remove', 'pin'), fc.integer({ min: 0, max: universe - 1 }));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), forest, fc.array(op, { maxLength: 300, size: 'max' }), (capacity, rawParents, ops) => {
        const context = new TestContext(capacity);
        // Parents point to smaller ids only, so chains are acyclic like real prefix chains.
        rawParents.forEach((parent, id) => context.parents.set(id, parent < id ? parent : -1));
        const policy = new PrefixLruPolicy(context);
        const tracked = new Map<number, number>(); // id → last reference
        let clock = 0;
        const hasTrackedDescendant = (id: number): boolean =>
          [...tracked.keys()].some((other) => {
            for (let up = context.parentOf(other); up >= 0; up = context.parentOf(up)) if (up === id) return true;
            return false;
          });
        const expectedVictim = (): number => {
          let best = -1;
          for (const [id, reference] of tracked) {
            if (context.pinned.has(id) || hasTrackedDescendant(id)) continue;
            if (best === -1 || reference < tracked.get(best)!) best = id;
          }
          return best;
        };
        for (const [kind, id] of ops) {
          if (kind === 'pin') {
            if (!context.pinned.delete(id)) context.pinned.add(id);
          } else if (kind === 'remove') {
            policy.remove(id);
            tracked.delete(id);
          } else if (tracked.has(id)) {
            policy.touch(id);
            tracked.set(id, ++clock);
          } else {
            let room = true;
            while (tracked.size >= capacity) {
              const expected = expectedVictim();
              const victim = policy.evict();
              expect(victim).toBe(expected);
              if (victim === -1) {
                room = false;
                break;
              }
              expect(hasTrackedDescendant(victim)).toBe(false);
              tracked.delete(victim);
            }
            if (room) {
              policy.insert(id);
              tracked.set(id, ++clock);
            }
          }
          expect(policy.size).toBe(tracked.size);
        }
      }),
      { numRuns: 200 },
    );
  });
});
