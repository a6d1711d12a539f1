/** XXH3-64 (seed 0): native, fused and reference against published vectors and an independent implementation. */
import { readFileSync } from 'node:fs';
import { xxh3 as independent } from '@node-rs/xxhash';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checksum } from '../../src/memory/copy-batch.js';
import { native } from '../../src/native.js';
import { referenceAddon, xxh3 } from '../../src/native-reference.js';
import { hex, randomBuffer, runChild } from './support.js';

/** XXH3-64 of the other implementation (@node-rs/xxhash, Rust bindings), seed 0. */
const other = (bytes: Uint8Array): bigint => independent.xxh64(bytes);

/** Published XXH3-64 seed-0 digests of short strings (xxHash's own empty-input value among them). */
const TEXT_VECTORS: [string, bigint][] = [
  ['', 0x2d06800538d394c2n],
  ['a', 0xe6c632b61e964e1fn],
  ['abc', 0x78af5f94892f3950n],
];

/**
 * Published digests of the first `length` bytes of a xorshift64 stream (x = 1; x ^= x << 13,
 * x ^= x >> 7, x ^= x << 17; emit the low byte), from LLVM's xxhash unit test: one or more per
 * length class, including whole 1024-byte blocks and a tail of 3 bytes past the last stripe.
 */
const STREAM_VECTORS: [number, bigint][] = [
  [0, 0x2d06800538d394c2n],
  [1, 0xd0d496e05c553485n],
  [3, 0x6ea2d59aca5c3778n],
  [4, 0xbf65290914e80242n],
  [8, 0xabc1413da6cd0209n],
  [9, 0x8bc89400bfed51f6n],
  [16, 0x7e46916754d7c9b8n],
  [17, 0xed4be912ba5f836dn],
  [128, 0x06a146ee9a2da378n],
  [129, 0xbc7138129bf065dan],
  [403, 0xcefeb3ffa532ad8cn],
  [512, 0xcdfa6b6268e3650fn],
  [2048, 0x330ce110cbb79eaen],
  [2049, 0x3ba6afa0249fef9an],
  [2240, 0xd61d4d2a94e926a8n],
  [2243, 0x0979f786a24edde7n],
];

function xorshiftBytes(length: number): Uint8Array {
  const mask = (1n << 64n) - 1n;
  const bytes = new Uint8Array(length);
  let x = 1n;
  for (let i = 0; i < length; i++) {
    x ^= (x << 13n) & mask;
    x ^= x >> 7n;
    x ^= (x << 17n) & mask;
    bytes[i] = Number(x & 0xffn);
  }
  return bytes;
}

/** Native checksums of many ranges of one buffer, in one call. */
function nativeChecksums(buffer: Uint8Array, ranges: readonly [offset: number, length: number][]): bigint[] {
  const ops = new Float64Array(ranges.flatMap(([offset, length]) => [0, offset, length]));
  const out = new BigUint64Array(ranges.length);
  native.checksumBatch([buffer], ops, out);
  return [...out];
}

/** Fused copy+checksum of each range into a fresh buffer at odd offsets; checks the copied bytes too. */
function fusedChecksums(buffer: Uint8Array, ranges: readonly [offset: number, length: number][]): bigint[] {
  const total = ranges.reduce((sum, [, length]) => sum + length + 3, 0);
  const dst = new Uint8Array(total);
  const ops: number[] = [];
  let at = 1;
  for (const [offset, length] of ranges) {
    ops.push(0, offset, 1, at, length);
    at += length + 3;
  }
  const out = new BigUint64Array(ranges.length);
  native.copyBatch([buffer, dst], new Float64Array(ops), out);
  at = 1;
  for (const [offset, length] of ranges) {
    expect(Buffer.compare(dst.subarray(at, at + length), buffer.subarray(offset, offset + length))).toBe(0);
    at += length + 3;
  }
  return [...out];
}

/** Hex digests of `ranges` of `buffer` by the independent implementation. */
function expectedOf(buffer: Uint8Array, ranges: readonly [offset: number, length: number][]): string[] {
  return ranges.map(([offset, length]) => hex(other(buffer.subarray(offset, offset + length))));
}

/** Every length 0..2048 at rotating misalignments, then sizes around stripes (64 B) and blocks (1 KiB). */
function lengthSweep(): [number, number][] {
  const ranges: [number, number][] = [];
  for (let length = 0; length <= 2048; length++) ranges.push([length % 13, length]);
  for (const blocks of [3, 4, 15, 16, 17, 63, 64]) {
    for (const delta of [-65, -64, -63, -1, 0, 1, 63, 64, 65]) ranges.push([5, blocks * 1024 + delta]);
  }
  return ranges;
}

/** Large sizes: many blocks, odd tails, one over 16 MiB. */
const LARGE_SIZES = [(64 << 10) + 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 13, (4 << 20) + 1000, (16 << 20) + 7];

/** The x86-64 kernels this CPU can run (from /proc/cpuinfo), or just the scalar one elsewhere. */
function kernels(): string[] {
  if (process.arch !== 'x64') return ['scalar'];
  let flags = '';
  try {
    flags = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return ['scalar', 'sse2'];
  }
  const found = ['scalar', 'sse2'];
  if (/\bavx2\b/.test(flags)) found.push('avx2');
  if (/\bavx512f\b/.test(flags)) found.push('avx512');
  return found;
}

describe('XXH3-64', () => {
  it.each(TEXT_VECTORS)('hashes %j to the published digest (native, wrapper, fused, reference, independent)', (text, digest) => {
    const bytes = Buffer.from(text);
    expect(hex(checksum(bytes))).toBe(hex(digest));
    expect(nativeChecksums(bytes, [[0, bytes.length]]).map(hex)).toEqual([hex(digest)]);
    expect(fusedChecksums(bytes, [[0, bytes.length]]).map(hex)).toEqual([hex(digest)]);
    expect(hex(xxh3(bytes))).toBe(hex(digest));
    expect(hex(other(bytes))).toBe(hex(digest));
  });

  it('hashes prefixes of a xorshift stream to the published digests in every length class', () => {
    const stream = xorshiftBytes(2243);
    const ranges = STREAM_VECTORS.map(([length]): [number, number] => [0, length]);
    const expected = STREAM_VECTORS.map(([, digest]) => hex(digest));
    expect(nativeChecksums(stream, ranges).map(hex)).toEqual(expected);
    expect(fusedChecksums(stream, ranges).map(hex)).toEqual(expected);
    expect(ranges.map(([, length]) => hex(xxh3(stream.subarray(0, length))))).toEqual(expected);
  });

  it('agrees with @node-rs/xxhash on random bytes of every length 0..2048 and around block edges', () => {
    const buffer = randomBuffer(70 * 1024);
    const ranges = lengthSweep();
    const expected = expectedOf(buffer, ranges);
    expect(nativeChecksums(buffer, ranges).map(hex)).toEqual(expected);
    expect(fusedChecksums(buffer, ranges).map(hex)).toEqual(expected);
  });

  it('agrees with @node-rs/xxhash on large blocks, plain and fused', () => {
    const buffer = randomBuffer(LARGE_SIZES.at(-1)! + 3);
    const ranges = LARGE_SIZES.map((size): [number, number] => [3, size]);
    const expected = expectedOf(buffer, ranges);
    expect(nativeChecksums(buffer, ranges).map(hex)).toEqual(expected);
    expect(fusedChecksums(buffer, ranges).map(hex)).toEqual(expected);
  });

  it('has a TypeScript reference that agrees with native for every length 0..1100 and some larger ones', () => {
    const buffer = randomBuffer(9000);
    const ranges: [number, number][] = [];
    for (let length = 0; length <= 1100; length++) ranges.push([length % 7, length]);
    for (const length of [2047, 2048, 2049, 4096 + 63, 8192 + 1]) ranges.push([1, length]);
    const fromReference = ranges.map(([offset, length]) => hex(xxh3(buffer.subarray(offset, offset + length))));
    expect(nativeChecksums(buffer, ranges).map(hex)).toEqual(fromReference);
    expect(fromReference).toEqual(expectedOf(buffer, ranges));
  });

  it('agrees with @node-rs/xxhash and the reference on random data at random offsets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat(64), (data, pad) => {
        const buffer = Buffer.alloc(pad + data.length);
        buffer.set(data, pad);
        const digest = hex(other(data));
        expect(hex(nativeChecksums(buffer, [[pad, data.length]])[0]!)).toBe(digest);
        expect(hex(xxh3(data))).toBe(digest);
      }),
      { numRuns: 200 },
    );
  });

  it('returns one checksum per op, in op order, across several buffers', () => {
    const a = randomBuffer(300);
    const b = randomBuffer(70);
    const ops = new Float64Array([1, 5, 60, 0, 0, 300, 1, 0, 0, 0, 299, 1]);
    const out = new BigUint64Array(5).fill(7n);
    native.checksumBatch([a, b], ops, out);
    const expected = [other(b.subarray(5, 65)), other(a), other(b.subarray(0, 0)), other(a.subarray(299))];
    expect([...out].map(hex)).toEqual([...expected, 7n].map(hex));
    const reference = new BigUint64Array(5).fill(7n);
    referenceAddon.checksumBatch([a, b], ops, reference);
    expect([...reference].map(hex)).toEqual([...out].map(hex));
  });

  describe('long-input kernels (KVTIER_XXH3_KERNEL)', () => {
    // A child process forced onto one kernel hashes deterministic data, plain and fused; this
    // process checks its digests against the independent implementation.
    const lengths = [241, 255, 256, 1023, 1024, 1025, 1088, 4096 + 5, 65536 + 63, (1 << 20) + 3];
    // The same bytes as `data` in the child's script.
    const data = (n: number) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = (i * 131 + (i >> 7) * 17 + 5) & 255;
      return b;
    };
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
    const expected = () =>
      lengths.map((n) => {
        const digest = hex(other(data(n)));
        return [digest, digest, true];
      });

    it.each(kernels())('%s gives the same digests, plain and fused', (kernel) => {
      const child = runChild(script, { env: { KVTIER_XXH3_KERNEL: kernel } });
      expect(child.stderr).toBe(''); // a kernel the addon refused would warn here
      expect(child.status).toBe(0);
      expect(JSON.parse(child.stdout)).toEqual(expected());
    });

    it('warns about a kernel it does not have and falls back to the default', () => {
      const child = runChild(script, { env: { KVTIER_XXH3_KERNEL: 'no-such-kernel' } });
      expect(child.stderr).toMatch(/^kvtier: ignoring KVTIER_XXH3_KERNEL=no-such-kernel: this CPU's XXH3 kernels are scalar/);
      expect(child.status).toBe(0);
      expect(JSON.parse(child.stdout)).toEqual(expected());
    });
  });
});
