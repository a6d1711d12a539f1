import { describe, expect, it } from 'vitest';
import { TtlPolicy } from '../../src/policies/ttl.js';
import { TestContext, ids, letters } from './support.js';

const [A, B, C, D] = ids('ABCD') as [number, number, number, number];

/** A at 0 ms, B at 10, C at 20, A touched at 50: expiry A 150, B 110, C 120 with ttl 100. */
function scenario(): { context: TestContext; policy: TtlPolicy } {
  const context = new TestContext(8);
  const policy = new TtlPolicy(context, { ttlMs: 100 });
  for (const [id, timeMs] of [[A, 0], [B, 10], [C, 20]] as const) {
    context.timeMs = timeMs;
    policy.insert(id);
  }
  context.timeMs = 50;
  policy.touch(A);
  return { context, policy };
}

describe('ttl', () => {
  it('expires blocks ttlMs after their last reference, oldest first', () => {
    const { context, policy } = scenario();
    expect(policy.expiresAtMs(A)).toBe(150);
    expect(policy.expiresAtMs(B)).toBe(110);
    context.timeMs = 109;
    expect(policy.isExpired(B)).toBe(false);
    expect(policy.expire()).toBe(-1);
    context.timeMs = 110;
    expect(policy.isExpired(B)).toBe(true);
    expect(policy.isExpired(C)).toBe(false);
    expect(letters([policy.expire(), policy.expire()])).toBe('B-');
    context.timeMs = 150;
    expect(letters([policy.expire(), policy.expire(), policy.expire()])).toBe('CA-');
    expect(policy.size).toBe(0);
  });

  it('evicts expired blocks first, then falls back to least recently used', () => {
    const { context, policy } = scenario();
    context.timeMs = 125; // B and C expired, A not
    expect(letters([policy.evict(), policy.evict()])).toBe('BC');
    expect(policy.isExpired(A)).toBe(false);
    context.timeMs = 130;
    policy.insert(D);
    expect(letters([policy.evict(), policy.evict(), policy.evict()])).toBe('AD-');
  });

  it('skips pinned expired blocks and keeps them first in line', () => {
    const { context, policy } = scenario();
    context.timeMs = 125;
    context.pinned.add(B);
    expect(letters([policy.expire(), policy.expire()])).toBe('C-');
    expect(letters([policy.evict()])).toBe('A');
    context.pinned.clear();
    expect(letters([policy.expire()])).toBe('B');
  });

  it('a touch renews the lifetime', () => {
    const { context, policy } = scenario();
    context.timeMs = 105;
    policy.touch(B);
    context.timeMs = 130;
    expect(policy.isExpired(B)).toBe(false);
    expect(letters([policy.expire(), policy.expire()])).toBe('C-');
  });

  it('clamps a clock that steps back, keeping expiry in queue order', () => {
    const context = new TestContext(8);
    const policy = new TtlPolicy(context, { ttlMs: 100 });
    context.timeMs = 50;
    policy.insert(A);
    context.timeMs = 20; // the wall clock stepped back
    policy.insert(B);
    expect(policy.expiresAtMs(B)).toBe(150);
    context.timeMs = 150;
    expect(letters([policy.expire(), policy.expire()])).toBe('AB');
  });

  it('defaults to 60 s and validates ttlMs', () => {
    expect(new TtlPolicy(new TestContext()).ttlMs).toBe(60_000);
    expect(() => new TtlPolicy(new TestContext(), { ttlMs: 0 })).toThrow(
      'expected a positive number of milliseconds for `ttlMs`, got 0',
    );
    expect(() => new TtlPolicy(new TestContext(), { ttlMs: Number.NaN })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});
