import { describe, expect, it } from 'vitest';
import { createPolicy, isPolicyName, policyNames } from '../../src/policies/registry.js';
import { LruPolicy } from '../../src/policies/lru.js';
import { S3FifoPolicy } from '../../src/policies/s3fifo.js';
import { TtlPolicy } from '../../src/policies/ttl.js';
import { TestContext } from './support.js';

describe('policy registry', () => {
  it('lists every policy, sorted', () => {
    expect(policyNames()).toEqual(['arc', 'fifo', 'lfu', 'lru', 'opt', 'prefix-lru', 's3fifo', 'ttl']);
  });

  it('resolves names case-insensitively', () => {
    expect(createPolicy('LRU', new TestContext())).toBeInstanceOf(LruPolicy);
    expect(createPolicy('S3FIFO', new TestContext())).toBeInstanceOf(S3FifoPolicy);
    expect(createPolicy('Prefix-LRU', new TestContext()).name).toBe('prefix-lru');
    expect(isPolicyName('ArC')).toBe(true);
    expect(isPolicyName('belady')).toBe(false);
  });

  it('passes options through to the factory', () => {
    const policy = createPolicy('ttl', new TestContext(), { ttlMs: 5 });
    expect(policy).toBeInstanceOf(TtlPolicy);
    expect((policy as TtlPolicy).ttlMs).toBe(5);
    expect(() => createPolicy('s3fifo', new TestContext(), { smallQueueRatio: 2 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('rejects an unknown name with ERR_CONFIG listing the valid ones', () => {
    expect(() => createPolicy('clock', new TestContext())).toThrow(
      'unknown eviction policy "clock"; valid policies: arc, fifo, lfu, lru, opt, prefix-lru, s3fifo, ttl',
    );
    try {
      createPolicy('clock', new TestContext());
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'ERR_CONFIG', details: { name: 'clock', valid: policyNames() } });
    }
  });

  it('rejects a name that is not a string', () => {
    expect(() => createPolicy(7 as unknown as string, new TestContext())).toThrow(
      'expected a policy name (string) for `name`, got 7',
    );
  });
});
