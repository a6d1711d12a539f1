import { describe, expect, it } from 'vitest';
import { checksum } from '../../src/memory/copy-batch.js';

describe('native addon', () => {
  it('computes XXH64 test vectors', () => {
    expect(checksum(Buffer.from(''))).toBe(0xef46db3751d8e999n);
    expect(checksum(Buffer.from('abc'))).toBe(0x44bc2cf5ad770999n);
  });
});
