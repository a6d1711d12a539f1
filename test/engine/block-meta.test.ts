import { describe, expect, it } from 'vitest';
import { BlockMeta } from '../../src/engine/block-meta.js';

describe('BlockMeta', () => {
  it('keeps length, checksum and prefetch flag per id, growing past its initial size', () => {
    const meta = new BlockMeta(4096);
    const ids = [0, 1, 1023, 1024, 5000, 70_000];
    for (const id of ids) meta.set(id, 4096, BigInt(id) * 3n + 1n);
    meta.markPrefetched(5000);
    for (const id of ids) {
      expect(meta.lengthOf(id)).toBe(4096);
      expect(meta.checksumOf(id)).toBe(BigInt(id) * 3n + 1n);
      expect(meta.clearPrefetched(id)).toBe(id === 5000);
    }
  });

  it('stores short lengths once one appears, and a reused id forgets its old length', () => {
    const meta = new BlockMeta(4096);
    meta.set(7, 4096, 1n);
    meta.set(8, 100, 2n);
    meta.set(3000, 1, 3n); // grows the columns after the lengths column exists
    expect([meta.lengthOf(7), meta.lengthOf(8), meta.lengthOf(3000)]).toEqual([4096, 100, 1]);
    meta.set(8, 4096, 4n);
    expect(meta.lengthOf(8)).toBe(4096);
    meta.set(7, 17, 5n);
    expect(meta.lengthOf(7)).toBe(17);
  });
});
