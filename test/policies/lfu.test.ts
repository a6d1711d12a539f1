import { describe, expect, it } from 'vitest';
import { LfuPolicy } from '../../src/policies/lfu.js';
import { TestContext, ids, letters, simulate } from './support.js';

describe('lfu', () => {
  it('evicts the least frequently used block (hand-worked, capacity 3)', () => {
    // A A B C B: counts A2 B2 C1. D evicts C (count 1). E evicts D (count 1, the only one).
    // A is a hit (A3). F evicts E. B is a hit (B3). G evicts F.
    const run = simulate(new LfuPolicy(new TestContext(3)), 3, ids('AABCBDEAFBG'));
    expect(letters(run.victims)).toBe('CDEF');
    expect(run.hits).toBe(4);
  });

  it('breaks ties by least recent reference', () => {
    // A B C; touch C then B (both count 2, C less recent); D evicts A (count 1).
    // E evicts D (count 1). Touch E (count 2, most recent). F: no count-1 block left, so the
    // least recent of the count-2 blocks goes: C.
    const policy = new LfuPolicy(new TestContext(3));
    const run = simulate(policy, 3, ids('ABCCBDEEF'));
    expect(letters(run.victims)).toBe('ADC');
    expect(policy.frequencyOf(ids('B')[0]!)).toBe(2);
    expect(policy.frequencyOf(ids('E')[0]!)).toBe(2);
    expect(policy.frequencyOf(ids('F')[0]!)).toBe(1);
    expect(policy.frequencyOf(ids('C')[0]!)).toBe(0);
  });

  it('forgets a count when the block leaves', () => {
    const policy = new LfuPolicy(new TestContext(3));
    const [a, b] = ids('AB') as [number, number];
    policy.insert(a);
    for (let i = 0; i < 5; i++) policy.touch(a);
    policy.remove(a);
    policy.insert(b);
    policy.touch(b);
    policy.insert(a);
    expect(policy.frequencyOf(a)).toBe(1);
    expect(policy.evict()).toBe(a);
  });

  it('keeps counts exact across bucket reuse', () => {
    const policy = new LfuPolicy(new TestContext(64));
    // Counts 1..20 for ids 0..19, built in an order that splits and merges buckets.
    for (let id = 19; id >= 0; id--) policy.insert(id);
    for (let round = 1; round < 20; round++) for (let id = round; id < 20; id++) policy.touch(id);
    for (let id = 0; id < 20; id++) expect(policy.frequencyOf(id)).toBe(id + 1);
    const order = Array.from({ length: 20 }, () => policy.evict());
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('skips a pinned lowest-count block and still prefers it once unpinned', () => {
    const context = new TestContext(4);
    const policy = new LfuPolicy(context);
    for (const id of ids('ABC')) policy.insert(id);
    policy.touch(ids('B')[0]!);
    policy.touch(ids('C')[0]!);
    policy.touch(ids('C')[0]!);
    context.pinned.add(ids('A')[0]!);
    expect(letters([policy.evict()])).toBe('B');
    context.pinned.clear();
    expect(letters([policy.evict(), policy.evict()])).toBe('AC');
  });
});
