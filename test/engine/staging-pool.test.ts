import { describe, expect, it } from 'vitest';
import { StagingPool } from '../../src/engine/staging-pool.js';

describe('StagingPool', () => {
  it('hands back a returned buffer of the same capacity instead of allocating', () => {
    const pool = new StagingPool();
    const first = pool.take(100, 4096);
    expect(first.length).toBe(100);
    expect(first.buffer.byteLength).toBe(4096);
    pool.give(first);
    const second = pool.take(4096, 4096);
    expect(second.buffer).toBe(first.buffer);
    expect(pool.take(10, 4096).buffer).not.toBe(first.buffer); // taken again: a new one
    expect(pool.take(10, 8192).buffer.byteLength).toBe(8192);
  });

  it('keeps at most its byte budget of spare buffers per size', () => {
    const pool = new StagingPool();
    const big = 16 * 2 ** 20;
    const taken = Array.from({ length: 8 }, () => pool.take(big, big));
    for (const view of taken) pool.give(view);
    const again = Array.from({ length: 8 }, () => pool.take(big, big));
    const reused = again.filter((view) => taken.some((t) => t.buffer === view.buffer)).length;
    expect(reused).toBe(4); // 64 MiB of 16 MiB buffers
  });
});
