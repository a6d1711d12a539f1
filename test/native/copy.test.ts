/** Batched copies, sync and async, plain and fused with XXH3-64: byte for byte against Buffer and the reference. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CopyBatch } from '../../src/memory/copy-batch.js';
import { native } from '../../src/native.js';
import { referenceAddon, xxh3 } from '../../src/native-reference.js';
import { bytesOf, expectSameBytes, fillRandom, hex, randomBuffer } from './support.js';

type Mode = { name: string; async: boolean; fused: boolean };
const MODES: Mode[] = [
  { name: 'sync', async: false, fused: false },
  { name: 'sync + checksums', async: false, fused: true },
  { name: 'async', async: true, fused: false },
  { name: 'async + checksums', async: true, fused: true },
];

/** Runs one batch through the addon in the given mode; returns the checksums when fused. */
async function runNative(mode: Mode, buffers: ArrayBufferView[] | ArrayBuffer[], ops: number[]): Promise<bigint[]> {
  const packed = new Float64Array(ops);
  const checksums = mode.fused ? new BigUint64Array(ops.length / 5) : undefined;
  if (mode.async) await native.copyBatchAsync(buffers, packed, checksums);
  else native.copyBatch(buffers, packed, checksums);
  return checksums ? [...checksums] : [];
}

const SIZES = [1, 3, 7, 31, 32, 33, 63, 65, 4095, 4097, 16 << 10, (64 << 10) + 13, 1 << 20, 16 << 20];

describe('copyBatch / copyBatchAsync', () => {
  describe.each(MODES)('$name', (mode) => {
    it('copies single blocks of odd and power-of-two sizes, touching nothing else', async () => {
      for (const size of SIZES) {
        // Odd offsets on both sides, so no size is ever copied between aligned addresses only.
        const src = randomBuffer(size + 11);
        const dst = randomBuffer(size + 20);
        const expected = Buffer.from(dst);
        src.copy(expected, 7, 5, 5 + size);
        const sums = await runNative(mode, [src, dst], [0, 5, 1, 7, size]);
        expectSameBytes(dst, expected);
        if (mode.fused) expect(sums.map(hex)).toEqual([hex(xxh3(src.subarray(5, 5 + size)))]);
      }
    });

    it('permutes 64 blocks of 16 KiB between two arenas in one batch', async () => {
      const blockBytes = 16 << 10;
      const src = native.createArena(64 * blockBytes, 4096);
      const dst = native.createArena(64 * blockBytes, 4096);
      fillRandom(src);
      const order = Array.from({ length: 64 }, (_, i) => (i * 37) % 64);
      const ops = order.flatMap((from, to) => [0, from * blockBytes, 1, to * blockBytes, blockBytes]);
      const sums = await runNative(mode, [src, dst], ops);
      const expected = Buffer.alloc(64 * blockBytes);
      const source = Buffer.from(src);
      order.forEach((from, to) => source.copy(expected, to * blockBytes, from * blockBytes, (from + 1) * blockBytes));
      expectSameBytes(dst, expected);
      if (mode.fused) {
        const view = new Uint8Array(dst);
        const expectedSums = order.map((_, to) => hex(xxh3(view.subarray(to * blockBytes, (to + 1) * blockBytes))));
        expect(sums.map(hex)).toEqual(expectedSums);
      }
    });

    it('matches the TypeScript reference on random batches over several buffers', async () => {
      const batch = fc
        .array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 4 })
        .chain((sizes) =>
          fc.record({
            sizes: fc.constant(sizes),
            ops: fc.array(
              fc.tuple(fc.nat(sizes.length - 1), fc.nat(sizes.length - 1), fc.nat(), fc.nat(), fc.nat()),
              { maxLength: 12 },
            ),
          }),
        );
      await fc.assert(
        fc.asyncProperty(batch, async ({ sizes, ops }) => {
          const buffers = sizes.map((n) => randomBuffer(n));
          const flat: number[] = [];
          for (const [s, d, a, b, c] of ops) {
            // Shape random numbers into a valid op: a length that fits both buffers, offsets within
            // them, and (within one buffer) ranges that do not overlap.
            const length = c % (Math.min(sizes[s]!, sizes[d]!) + 1);
            const srcOffset = a % (sizes[s]! - length + 1);
            const dstOffset = b % (sizes[d]! - length + 1);
            if (s === d && length > 0 && srcOffset < dstOffset + length && dstOffset < srcOffset + length) continue;
            flat.push(s, srcOffset, d, dstOffset, length);
          }
          const mirrored = buffers.map((b) => Buffer.from(b));
          const sums = await runNative(mode, buffers, flat);
          const expectedSums = new BigUint64Array(flat.length / 5);
          referenceAddon.copyBatch(mirrored, new Float64Array(flat), expectedSums);
          buffers.forEach((b, i) => expectSameBytes(b, mirrored[i]!));
          if (mode.fused) expect(sums.map(hex)).toEqual([...expectedSums].map(hex));
        }),
        { numRuns: 60 },
      );
    });
  });

  it('copies between every kind of byte container (ArrayBuffer, Buffer, typed arrays, DataView)', () => {
    const containers: (ArrayBuffer | ArrayBufferView)[] = [
      new ArrayBuffer(64),
      Buffer.alloc(64),
      new Float64Array(8),
      new Uint16Array(new ArrayBuffer(128), 32, 32), // a view with a byte offset
      new DataView(new ArrayBuffer(80), 3, 64),
    ];
    containers.forEach((c) => fillRandom(c));
    const before = containers.map((c) => Buffer.from(bytesOf(c)));
    const mirrors = containers.map((c) => Buffer.from(bytesOf(c)));
    // Rotate: container i receives the first 59 bytes of container i+1 at offset 1 (the last one
    // receives container 0 as op 0 left it, since ops run in order).
    const ops = containers.flatMap((_, i) => [(i + 1) % containers.length, 0, i, 1, 59]);
    native.copyBatch(containers, new Float64Array(ops));
    referenceAddon.copyBatch(mirrors, new Float64Array(ops));
    containers.forEach((c, i) => {
      expectSameBytes(c, mirrors[i]!);
      const source = i + 1 < containers.length ? before[i + 1]! : bytesOf(containers[0]!);
      expectSameBytes(bytesOf(c).subarray(1, 60), source.subarray(0, 59));
      expect(bytesOf(c)[0]).toBe(before[i]![0]);
    });
  });

  it('runs op after op, so a later op sees what an earlier one wrote', () => {
    const a = Buffer.from('abcdefgh');
    const b = Buffer.alloc(8);
    // a[0..4) -> b[0..4), then b[0..4) -> a[4..8)
    native.copyBatch([a, b], new Float64Array([0, 0, 1, 0, 4, 1, 0, 0, 4, 4]));
    expect(a.toString()).toBe('abcdabcd');
  });

  it('keeps racing async batches over disjoint ranges correct', async () => {
    const blockBytes = 8 << 10;
    const blocks = 256;
    const src = native.createArena(blocks * blockBytes, 4096);
    const dst = native.createArena(blocks * blockBytes, 4096);
    const from = fillRandom(src);
    const to = new Uint8Array(dst);
    const block = (bytes: Uint8Array, i: number) => bytes.subarray(i * blockBytes, (i + 1) * blockBytes);
    // 128 batches of 2 blocks, all in flight at once (half with checksums): source block i lands
    // in destination block 255 - i. Meanwhile this thread keeps issuing synchronous copies.
    const side = Buffer.alloc(16 * blockBytes);
    const pending: Promise<bigint[]>[] = [];
    for (let batch = 0; batch < blocks / 2; batch++) {
      const ops = [2 * batch, 2 * batch + 1].flatMap((i) => [0, i * blockBytes, 1, (blocks - 1 - i) * blockBytes, blockBytes]);
      const sums = batch % 2 ? new BigUint64Array(2) : undefined;
      pending.push(native.copyBatchAsync([src, dst], new Float64Array(ops), sums).then(() => (sums ? [...sums] : [])));
      const at = (batch % 16) * blockBytes;
      native.copyBatch([src, side], new Float64Array([0, at, 1, at, blockBytes]));
    }
    const results = await Promise.all(pending);
    for (let i = 0; i < blocks; i++) {
      expectSameBytes(block(to, blocks - 1 - i), block(from, i));
      const sums = results[i >> 1]!;
      if (sums.length > 0) expect(hex(sums[i & 1]!)).toBe(hex(xxh3(block(from, i))));
    }
    expectSameBytes(side, from.subarray(0, 16 * blockBytes));
  });

  it('runs through the CopyBatch wrapper, growing past its initial capacity', async () => {
    const src = randomBuffer(100 * 64);
    const dst = Buffer.alloc(100 * 64);
    const batch = new CopyBatch(2);
    for (let i = 0; i < 100; i++) batch.add(src, i * 64, dst, (99 - i) * 64, 64);
    expect(batch.size).toBe(100);
    const sums = new BigUint64Array(100);
    batch.run(sums);
    for (let i = 0; i < 100; i++) {
      expectSameBytes(dst.subarray((99 - i) * 64, (100 - i) * 64), src.subarray(i * 64, (i + 1) * 64));
      expect(hex(sums[i]!)).toBe(hex(xxh3(src.subarray(i * 64, (i + 1) * 64))));
    }
    const again = Buffer.alloc(dst.length);
    const back = new CopyBatch(1);
    back.add(dst, 0, again, 0, 64);
    const running = back.runAsync();
    back.add(dst, 64, again, 64, dst.length - 64); // read by the next run, not this one
    await running;
    expectSameBytes(again.subarray(0, 64), dst.subarray(0, 64));
    expectSameBytes(again.subarray(64), Buffer.alloc(dst.length - 64));
    await back.runAsync();
    expectSameBytes(again, dst);
  });
});
