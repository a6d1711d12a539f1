import { describe, expect, it } from 'vitest';
import { ArcPolicy } from '../../src/policies/arc.js';
import { TestContext, ids, letters, simulate } from './support.js';

const at = (letter: string): number => ids(letter)[0]!;

describe('arc', () => {
  it('adapts p on ghost hits and replaces as in the paper (hand-worked, c = 3)', () => {
    // A B C → T1 = A B C. A: hit → T2 = A.
    // D: |T1| 2 > p 0 → B to B1.                                    victim B
    // B: B1 hit, p = 0 + max(0/1, 1) = 1; |T1| 2 > 1 → C to B1.     victim C
    // E: |T1| 1 = p, B1 hit not pending → T2's LRU A to B2.           victim A
    // A: B2 hit, p = 1 − max(1/1, 1) = 0; |T1| 2 > 0 → D to B1.     victim D
    // F: |T1| 1 > 0 → E to B1; then |T1| + |B1| = 4 > 3 drops C.     victim E
    // D: B1 hit, p = 0 + max(0/2, 1) = 1; |T1| 1 = p → T2's B to B2. victim B
    // G: |T1| 1 = p → T2's A to B2.                                   victim A
    // E: B1 hit, p = 1 + max(2/1, 1) = 3; |T1| 2 < 3 → T2's D to B2. victim D
    // B: B2 hit, p = 3 − max(0/3, 1) = 2; |T1| 2 = p and B is in B2 → T1's F to B1. victim F
    const policy = new ArcPolicy(new TestContext(3));
    const run = simulate(policy, 3, ids('ABCADBEAFDGEB'));
    expect(letters(run.victims)).toBe('BCADEBADF');
    expect(run.hits).toBe(1);
    expect(policy.targetT1).toBe(2);
    expect(policy.listSizes()).toEqual({ t1: 1, t2: 2, b1: 1, b2: 2 });
    expect(policy.listOf(at('G'))).toBe('t1');
    expect(policy.listOf(at('E'))).toBe('t2');
    expect(policy.listOf(at('B'))).toBe('t2');
    expect(policy.listOf(at('F'))).toBe('b1');
    expect(policy.listOf(at('A'))).toBe('b2');
    expect(policy.listOf(at('D'))).toBe('b2');
    expect(policy.listOf(at('C'))).toBeNull();
  });

  it('adapts at insert, one eviction late, when miss() is not called', () => {
    // Same references without miss(). The first five victims agree; at the second D, p is still
    // 0 during REPLACE (it becomes 1 only at insert), so T1's F goes instead of T2's B, and the
    // runs diverge from there: p ends at 1, not 2.
    const policy = new ArcPolicy(new TestContext(3));
    const victims: number[] = [];
    for (const id of ids('ABCADBEAFDGEB')) {
      if (policy.has(id)) {
        policy.touch(id);
        continue;
      }
      while (policy.size >= 3) victims.push(policy.evict());
      policy.insert(id);
    }
    expect(letters(victims)).toBe('BCADEFBAD');
    expect(policy.targetT1).toBe(1);
  });

  it('moves a T1 block to T2 on its second reference', () => {
    const policy = new ArcPolicy(new TestContext(4));
    policy.insert(at('A'));
    expect(policy.listOf(at('A'))).toBe('t1');
    policy.touch(at('A'));
    expect(policy.listOf(at('A'))).toBe('t2');
  });

  it('takes the other list when the chosen one has only pinned blocks', () => {
    const context = new TestContext(3);
    const policy = new ArcPolicy(context);
    simulate(policy, 3, ids('ABCA'));
    // T1 = B C, T2 = A, p = 0: REPLACE picks T1, whose blocks are pinned.
    context.pinned.add(at('B')).add(at('C'));
    expect(letters([policy.evict()])).toBe('A');
    expect(policy.listOf(at('A'))).toBe('b2');
    expect(policy.evict()).toBe(-1);
  });

  it('forgets ghost history on remove', () => {
    // A B A C: A goes to T2, C's room comes from T1 (B → B1).
    const policy = new ArcPolicy(new TestContext(2));
    simulate(policy, 2, ids('ABAC'));
    expect(policy.listOf(at('B'))).toBe('b1');
    policy.remove(at('B'));
    expect(policy.listOf(at('B'))).toBeNull();
    expect(policy.listSizes()).toEqual({ t1: 1, t2: 1, b1: 0, b2: 0 });
    // Back as a stranger: T1, and p has not moved.
    simulate(policy, 2, ids('B'));
    expect(policy.listOf(at('B'))).toBe('t1');
    expect(policy.targetT1).toBe(0);
  });

  it('bounds the directory: |T1| + |B1| ≤ c and all four lists ≤ 2c', () => {
    const policy = new ArcPolicy(new TestContext(5));
    let state = 7;
    const refs = Array.from({ length: 3000 }, () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % 23;
    });
    simulate(policy, 5, refs);
    const { t1, t2, b1, b2 } = policy.listSizes();
    expect(t1 + t2).toBe(5);
    expect(t1 + b1).toBeLessThanOrEqual(5);
    expect(t1 + t2 + b1 + b2).toBeLessThanOrEqual(10);
    expect(policy.targetT1).toBeGreaterThanOrEqual(0);
    expect(policy.targetT1).toBeLessThanOrEqual(5);
  });
});
