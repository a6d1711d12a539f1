import { describe, expect, it } from 'vitest';
import { FifoPolicy } from '../../src/policies/fifo.js';
import { TestContext, ids, letters, simulate } from './support.js';

describe('fifo', () => {
  it('evicts in insertion order whatever the hits (hand-worked, capacity 3)', () => {
    // A B C; A is a hit but does not move; D evicts A; B is a hit; E evicts B; A evicts C.
    const run = simulate(new FifoPolicy(new TestContext(3)), 3, ids('ABCADBEA'));
    expect(letters(run.victims)).toBe('ABC');
    expect(run.hits).toBe(2);
  });

  it('gives a reinserted block a new place at the back', () => {
    const policy = new FifoPolicy(new TestContext(4));
    for (const id of ids('ABC')) policy.insert(id);
    policy.remove(ids('A')[0]!);
    policy.insert(ids('A')[0]!);
    expect(letters([policy.evict(), policy.evict(), policy.evict()])).toBe('BCA');
  });

  it('skips pinned blocks without moving them', () => {
    const context = new TestContext(4);
    const policy = new FifoPolicy(context);
    for (const id of ids('ABCD')) policy.insert(id);
    context.pinned.add(ids('A')[0]!).add(ids('C')[0]!);
    expect(letters([policy.evict(), policy.evict(), policy.evict()])).toBe('BD-');
    context.pinned.clear();
    expect(letters([policy.evict(), policy.evict()])).toBe('AC');
  });
});
