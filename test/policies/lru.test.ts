import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LruPolicy } from '../../src/policies/lru.js';
import { TestContext, ids, letters, simulate } from './support.js';

/** The obvious LRU: an array from least to most recently used, O(n) everything. */
class ReferenceLru {
  readonly order: number[] = [];
  constructor(private readonly canEvict: (id: number) => boolean) {}
  has(id: number): boolean {
    return this.order.includes(id);
  }
  insert(id: number): void {
    this.order.push(id);
  }
  touch(id: number): void {
    this.order.splice(this.order.indexOf(id), 1);
    this.order.push(id);
  }
  remove(id: number): void {
    const at = this.order.indexOf(id);
    if (at >= 0) this.order.splice(at, 1);
  }
  evict(): number {
    const at = this.order.findIndex((id) => this.canEvict(id));
    return at < 0 ? -1 : this.order.splice(at, 1)[0]!;
  }
}

describe('lru', () => {
  it('evicts the least recently used block (hand-worked, capacity 3)', () => {
    // A B C, A again (order B C A), D evicts B (C A D), B evicts C (A D B), E evicts A (D B E),
    // D is a hit (B E D), C evicts B.
    const run = simulate(new LruPolicy(new TestContext(3)), 3, ids('ABCADBEDC'));
    expect(letters(run.victims)).toBe('BCAB');
    expect(run.hits).toBe(2);
  });

  it('skips a pinned least-recent block and keeps it least recent', () => {
    const context = new TestContext(4);
    const policy = new LruPolicy(context);
    for (const id of ids('ABCD')) policy.insert(id);
    policy.touch(ids('A')[0]!);
    context.pinned.add(ids('B')[0]!);
    expect(letters([policy.evict()])).toBe('C');
    context.pinned.clear();
    expect(letters([policy.evict(), policy.evict(), policy.evict()])).toBe('BDA');
  });

  it('matches a reference array LRU on random sequences with pins and removes', () => {
    const op = fc.tuple(fc.constantFrom('access', 'access', 'access', 'remove', 'pin'), fc.integer({ min: 0, max: 40 }));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 400, size: 'max' }), (capacity, ops) => {
        const context = new TestContext(capacity);
        const policy = new LruPolicy(context);
        const reference = new ReferenceLru((id) => context.canEvict(id));
        for (const [kind, id] of ops) {
          if (kind === 'pin') {
            if (!context.pinned.delete(id)) context.pinned.add(id);
          } else if (kind === 'remove') {
            policy.remove(id);
            reference.remove(id);
          } else if (reference.has(id)) {
            policy.touch(id);
            reference.touch(id);
          } else {
            let room = true;
            while (reference.order.length >= capacity) {
              const expected = reference.evict();
              expect(policy.evict()).toBe(expected);
              if (expected === -1) {
                room = false;
                break;
              }
            }
            if (room) {
              policy.insert(id);
              reference.insert(id);
            }
          }
          expect(policy.size).toBe(reference.order.length);
        }
        // Draining shows the whole recency order, not just the victims seen so far.
        context.pinned.clear();
        const drained: number[] = [];
        for (let victim = policy.evict(); victim !== -1; victim = policy.evict()) drained.push(victim);
        expect(drained).toEqual(reference.order);
      }),
      { numRuns: 300 },
    );
  });
});
