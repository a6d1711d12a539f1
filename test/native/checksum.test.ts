/** XXH64 (seed 0): native against published vectors and against the TypeScript reference. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checksum } from '../../src/memory/copy-batch.js';
import { native } from '../../src/native.js';
import { referenceAddon, xxh64 } from '../../src/native-reference.js';
import { hex, randomBuffer, runChild } from './support.js';

/** Published XXH64 seed-0 digests (xxHash's sanity checks and the python-xxhash README). */
const VECTORS: [string, bigint][] = [
  ['', 0xef46db3751d8e999n],
  ['a', 0xd24ec4f1a98c6e5bn],
  ['abc', 0x44bc2cf5ad770999n],
  // 39 bytes: one whole 32-byte stripe, then the 8-, 4- and 1-byte tails.
  ['Nobody inspects the spammish repetition', 0xfbcea83c8a378bf1n],
];

/** Native checksums of many ranges of one buffer, in one call. */
function nativeChecksums(buffer: Uint8Array, ranges: readonly [offset: number, length: number][]): bigint[] {
  const ops = new Float64Array(ranges.flatMap(([offset, length]) => [0, offset, length]));
  const out = new BigUint64Array(ranges.length);
  native.checksumBatch([buffer], ops, out);
  return [...out];
}

describe('XXH64', () => {
  it.each(VECTORS)('hashes %j to the published digest (native, wrapper and reference)', (text, digest) => {
    const bytes = Buffer.from(text);
    expect(hex(checksum(bytes))).toBe(hex(digest));
    expect(hex(xxh64(bytes))).toBe(hex(digest));
    expect(nativeChecksums(bytes, [[0, bytes.length]]).map(hex)).toEqual([hex(digest)]);
  });

  it('agrees with the reference for every length 0..100 at every alignment 0..7', () => {
    const buffer = randomBuffer(128);
    const ranges: [number, number][] = [];
    for (let offset = 0; offset < 8; offset++) for (let length = 0; length <= 100; length++) ranges.push([offset, length]);
    const expected = ranges.map(([offset, length]) => hex(xxh64(buffer.subarray(offset, offset + length))));
    expect(nativeChecksums(buffer, ranges).map(hex)).toEqual(expected);
  });

  it('agrees with the reference around multiples of the 32-byte stripe', () => {
    const buffer = randomBuffer(4200);
    const ranges: [number, number][] = [];
    for (const stripes of [1, 2, 3, 31, 32, 33, 127, 128]) {
      for (const delta of [-9, -8, -5, -4, -1, 0, 1, 4, 7, 8, 9]) ranges.push([3, stripes * 32 + delta]);
    }
    const expected = ranges.map(([offset, length]) => hex(xxh64(buffer.subarray(offset, offset + length))));
    expect(nativeChecksums(buffer, ranges).map(hex)).toEqual(expected);
  });

  it('agrees with the reference on random data at random offsets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat(64), (data, pad) => {
        const buffer = Buffer.alloc(pad + data.length);
        buffer.set(data, pad);
        expect(hex(nativeChecksums(buffer, [[pad, data.length]])[0]!)).toBe(hex(xxh64(data)));
      }),
      { numRuns: 200 },
    );
  });

  it('agrees with the reference on a 1 MiB + 13 byte block', () => {
    const buffer = randomBuffer((1 << 20) + 13);
    expect(hex(checksum(buffer))).toBe(hex(xxh64(buffer)));
  });

  it('returns one checksum per op, in op order, across several buffers', () => {
    const a = randomBuffer(300);
    const b = randomBuffer(70);
    const ops = new Float64Array([1, 5, 60, 0, 0, 300, 1, 0, 0, 0, 299, 1]);
    const out = new BigUint64Array(5).fill(7n);
    native.checksumBatch([a, b], ops, out);
    const expected = [xxh64(b.subarray(5, 65)), xxh64(a), xxh64(b.subarray(0, 0)), xxh64(a.subarray(299))];
    expect([...out].map(hex)).toEqual([...expected, 7n].map(hex));
    const reference = new BigUint64Array(5).fill(7n);
    referenceAddon.checksumBatch([a, b], ops, reference);
    expect([...reference].map(hex)).toEqual([...out].map(hex));
  });

  it('gives the same digests on the scalar path (KVTIER_SCALAR_XXH64=1) as the reference', () => {
    // This process may take the vector-lane path (AVX-512 on AMD); a child forced onto the
    // scalar stripes must agree, plain and fused with a copy.
    const lengths = [0, 1, 7, 31, 32, 33, 64, 100, 255, 1000, 4096 + 5, (1 << 20) + 3];
    const script = `
      const native = require(ADDON);
      const lengths = ${JSON.stringify(lengths)};
      const data = (n) => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = (i * 131 + (i >> 7) * 17 + 5) & 255; return b; };
      const out = [];
      for (const n of lengths) {
        const src = data(n), dst = new Uint8Array(n), plain = new BigUint64Array(1), fused = new BigUint64Array(1);
        native.checksumBatch([src], new Float64Array([0, 0, n]), plain);
        native.copyBatch([src, dst], new Float64Array([0, 0, 1, 0, n]), fused);
        out.push([plain[0].toString(16).padStart(16, '0'), fused[0].toString(16).padStart(16, '0'), Buffer.compare(src, dst) === 0]);
      }
      console.log(JSON.stringify(out));`;
    const child = runChild(script, { env: { KVTIER_SCALAR_XXH64: '1' } });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const data = (n: number) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = (i * 131 + (i >> 7) * 17 + 5) & 255;
      return b;
    };
    const expected = lengths.map((n) => {
      const digest = hex(xxh64(data(n)));
      return [digest, digest, true];
    });
    expect(JSON.parse(child.stdout)).toEqual(expected);
  });
});
