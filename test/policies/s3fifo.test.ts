import { describe, expect, it } from 'vitest';
import { S3FifoPolicy } from '../../src/policies/s3fifo.js';
import { TestContext, ids, letters, simulate } from './support.js';

const [A, D, E, F, H, I, J] = ids('ADEFHIJ') as [number, number, number, number, number, number, number];

/** Capacity 4 with a 25% small queue: small target 1 block, main target 3, ghost 3 ids. */
function small(): S3FifoPolicy {
  return new S3FifoPolicy(new TestContext(4), { smallQueueRatio: 0.25 });
}

describe('s3fifo', () => {
  it('filters, promotes and reinserts as in the paper (hand-worked, capacity 4)', () => {
    // A B C D fill small. E: A (freq 0) leaves small for the ghost.        victims A
    // B B C: B freq 2, C freq 1. F: B is promoted to main, C (freq 1) → ghost.      C
    // A: a ghost hit. Room: D → ghost; A enters main directly.                       D
    // A: hit (freq 1). G: E → ghost. H: F → ghost (ghost drops C, its oldest).      E F
    // G G H H: both freq 2. I: G promoted (main B A G), H promoted overfills main,
    // so main evicts: B (freq 0) goes.                                               B
    // J: I → ghost. J J: freq 2. K: J promoted overfills main; main's oldest A has
    // freq 1, so it is reinserted with 0 and G (freq 0) is the victim.              I G
    const policy = small();
    const run = simulate(policy, 4, ids('ABCDEBBCFAAGHGGHHIJJJK'));
    expect(letters(run.victims)).toBe('ACDEFBIG');
    expect(run.hits).toBe(10);
    expect(policy.smallSize).toBe(1);
    expect(policy.mainSize).toBe(3);
    expect(policy.ghostSize).toBe(3);
    for (const id of [H, J, A]) expect(policy.inMain(id)).toBe(true);
    for (const id of [E, F, I]) expect(policy.inGhost(id)).toBe(true);
    expect(policy.inGhost(D)).toBe(false);
  });

  it('counts a ghost hit announced by miss() even when eviction would push the ghost out', () => {
    // Same start as above up to F, then X, which fills the ghost (A C D). A is next: with miss()
    // its ghost entry is consumed before E's eviction; without it E's eviction drops A from the
    // full ghost first, and A re-enters small as a stranger.
    const prefix = ids('ABCDEBBCFX');
    const withMiss = small();
    simulate(withMiss, 4, [...prefix, A]);
    expect(withMiss.inMain(A)).toBe(true);

    const withoutMiss = small();
    simulate(withoutMiss, 4, prefix);
    withoutMiss.evict();
    withoutMiss.insert(A);
    expect(withoutMiss.inMain(A)).toBe(false);
    expect(withoutMiss.has(A)).toBe(true);
  });

  it('caps the frequency at 3 and clears it on promotion to main', () => {
    const policy = small();
    for (const id of ids('ABCD')) policy.insert(id);
    for (let i = 0; i < 5; i++) policy.touch(A);
    expect(policy.frequencyOf(A)).toBe(3);
    // A (freq 3) is promoted with its bits cleared; B (freq 0) is the victim.
    expect(letters([policy.evict()])).toBe('B');
    expect(policy.inMain(A)).toBe(true);
    expect(policy.frequencyOf(A)).toBe(0);
    expect(policy.frequencyOf(99)).toBe(0);
  });

  it('skips pinned blocks in the small queue without promoting or ghosting them', () => {
    const context = new TestContext(4);
    const policy = new S3FifoPolicy(context, { smallQueueRatio: 0.25 });
    for (const id of ids('ABCD')) policy.insert(id);
    context.pinned.add(A);
    expect(letters([policy.evict()])).toBe('B');
    expect(policy.inGhost(A)).toBe(false);
    context.pinned.clear();
    expect(letters([policy.evict()])).toBe('A');
    expect(policy.inGhost(A)).toBe(true);
  });

  it('evicts from main when small has nothing evictable', () => {
    const context = new TestContext(4);
    const policy = new S3FifoPolicy(context, { smallQueueRatio: 0.25 });
    // E pushes A to the ghost, A's return pushes B there and puts A in main; small is C D E.
    simulate(policy, 4, ids('ABCDEA'));
    expect(policy.inMain(A)).toBe(true);
    for (const id of ids('CDE')) context.pinned.add(id);
    expect(policy.evict()).toBe(A);
    expect(policy.evict()).toBe(-1);
  });

  it('forgets ghost history on remove', () => {
    const policy = small();
    simulate(policy, 4, ids('ABCDE'));
    expect(policy.inGhost(A)).toBe(true);
    policy.remove(A);
    expect(policy.inGhost(A)).toBe(false);
    simulate(policy, 4, [A]);
    expect(policy.inMain(A)).toBe(false);
  });

  it('validates its options and context', () => {
    expect(() => new S3FifoPolicy(new TestContext(4), { smallQueueRatio: 1 })).toThrow(
      'expected a number in (0, 1) for `smallQueueRatio`, got 1',
    );
    expect(() => new S3FifoPolicy(new TestContext(0))).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
  });
});
