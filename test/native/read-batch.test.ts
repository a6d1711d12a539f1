/** readBatchAsync: positional reads fused with XXH3-64, native against reference, short reads, failures, argument checks. */
import fc from 'fast-check';
import { getSystemErrorName } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { NativeAddon } from '../../src/native.js';
import { native } from '../../src/native.js';
import { referenceAddon, xxh3 } from '../../src/native-reference.js';
import { expectSameBytes, useReadFixture } from './support.js';

const IMPLEMENTATIONS: [string, NativeAddon][] = [
  ['native', native],
  ['reference', referenceAddon],
];

const FILE_BYTES = 300_000;

let content: Buffer;
let fd: number;
let dirFd: number;
useReadFixture('kvtier-read-batch-', FILE_BYTES, (fixture) => ({ content, fd, dirFd } = fixture));

/** [fd, position, bufferIndex, offset, length] rows. */
function opsOf(rows: number[][]): Float64Array {
  return new Float64Array(rows.flat());
}

describe.each(IMPLEMENTATIONS)('%s readBatchAsync', (_, addon) => {
  it('reads every op into its range and hashes what it read', async () => {
    const a = Buffer.alloc(1000);
    const b = Buffer.alloc(70_000);
    const results = new Float64Array(3);
    const sums = new BigUint64Array(3);
    await addon.readBatchAsync([a, b], opsOf([[fd, 5, 0, 100, 256], [fd, 261, 1, 0, 65_536], [fd, 0, 0, 0, 0]]), results, sums);
    expect([...results]).toEqual([256, 65_536, 0]);
    expectSameBytes(a.subarray(100, 356), content.subarray(5, 261));
    expectSameBytes(b.subarray(0, 65_536), content.subarray(261, 65_797));
    expect(a.subarray(0, 100).every((byte) => byte === 0)).toBe(true);
    expect([...sums]).toEqual([xxh3(content.subarray(5, 261)), xxh3(content.subarray(261, 65_797)), xxh3(new Uint8Array(0))]);
  });

  it('stops at the end of the file and reports the bytes it got', async () => {
    const dst = Buffer.alloc(4096);
    const results = new Float64Array(2);
    const sums = new BigUint64Array(2);
    await addon.readBatchAsync([dst], opsOf([[fd, FILE_BYTES - 100, 0, 0, 4096], [fd, FILE_BYTES + 5, 0, 0, 10]]), results, sums);
    expect([...results]).toEqual([100, 0]);
    expectSameBytes(dst.subarray(0, 100), content.subarray(FILE_BYTES - 100));
    expect(sums[0]).toBe(xxh3(content.subarray(FILE_BYTES - 100)));
  });

  it('reads an op that continues the previous one (a header, then its payload) as two reads would, up to the end of the file', async () => {
    const header = Buffer.alloc(256);
    const payload = Buffer.alloc(100);
    const results = new Float64Array(6);
    const sums = new BigUint64Array(6);
    const pair = (at: number, file = fd) => [[file, at, 0, 0, 256], [file, at + 256, 1, 0, 100]];
    // Whole pair; the file ends inside the payload; the file ends inside the header.
    await addon.readBatchAsync([header, payload], opsOf(pair(1000)), results.subarray(0, 2), sums.subarray(0, 2));
    expectSameBytes(header, content.subarray(1000, 1256));
    expectSameBytes(payload, content.subarray(1256, 1356));
    await addon.readBatchAsync([header, payload], opsOf([...pair(FILE_BYTES - 300), ...pair(FILE_BYTES - 100)]), results.subarray(2), sums.subarray(2));
    expect([...results]).toEqual([256, 100, 256, 44, 100, 0]);
    expect([...sums]).toEqual([
      xxh3(content.subarray(1000, 1256)),
      xxh3(content.subarray(1256, 1356)),
      xxh3(content.subarray(FILE_BYTES - 300, FILE_BYTES - 44)),
      xxh3(content.subarray(FILE_BYTES - 44)),
      xxh3(content.subarray(FILE_BYTES - 100)),
      xxh3(new Uint8Array(0)),
    ]);
    const failed = new Float64Array(2);
    await addon.readBatchAsync([header, payload], opsOf(pair(0, dirFd)), failed);
    expect([...failed].map((errno) => getSystemErrorName(errno))).toEqual(['EISDIR', 'EISDIR']);
  });

  it('reports a failed op as -errno and goes on with the rest; checksums are optional', async () => {
    const dst = Buffer.alloc(64);
    const results = new Float64Array(2);
    await addon.readBatchAsync([dst], opsOf([[dirFd, 0, 0, 0, 8], [fd, 8, 0, 0, 64]]), results);
    expect(results[0]).toBeLessThan(0);
    expect(getSystemErrorName(results[0]!)).toBe('EISDIR');
    expect(results[1]).toBe(64);
    expectSameBytes(dst, content.subarray(8, 72));
  });

  it('agrees with the other implementation on random batches', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ position: fc.nat(FILE_BYTES + 10), length: fc.nat(20_000) }), { minLength: 1, maxLength: 6 }),
        async (reads) => {
          const run = async (impl: NativeAddon) => {
            const buffers = reads.map((r) => Buffer.alloc(r.length + 3));
            const results = new Float64Array(reads.length);
            const sums = new BigUint64Array(reads.length);
            await impl.readBatchAsync(buffers, opsOf(reads.map((r, i) => [fd, r.position, i, 3, r.length])), results, sums);
            return { buffers, results: [...results], sums: [...sums] };
          };
          const mine = await run(addon);
          const other = await run(addon === native ? referenceAddon : native);
          expect(mine.results).toEqual(other.results);
          expect(mine.sums).toEqual(other.sums);
          mine.buffers.forEach((buffer, i) => expectSameBytes(buffer, other.buffers[i]!));
          reads.forEach((r, i) => expect(mine.results[i]).toBe(Math.max(0, Math.min(r.length, FILE_BYTES - r.position))));
        },
      ),
      { numRuns: 30 },
    );
  });

  describe('rejects bad arguments before reading anything (never throws)', () => {
    const cases: { name: string; buffers?: unknown; ops?: number[][] | unknown; results?: unknown; sums?: unknown; type: typeof TypeError | typeof RangeError; message: string }[] = [
      { name: 'buffers is not an array', buffers: 'x', type: TypeError, message: 'expected an array of ArrayBuffers/TypedArrays for `buffers`, got a string' },
      { name: 'ops is a plain array', ops: 'plain', type: TypeError, message: 'expected a Float64Array for `ops`, got an array of 5' },
      { name: 'ops has a partial op', ops: new Float64Array(7), type: RangeError, message: 'expected `ops` to hold 5 numbers per op (fd, position, bufferIndex, offset, length), got 7 numbers' },
      { name: 'negative fd', ops: [[-1, 0, 0, 0, 1]], type: RangeError, message: 'expected a non-negative integer for `fd` of op 1, got -1' },
      { name: 'fd past int range', ops: [[2 ** 31, 0, 0, 0, 1]], type: RangeError, message: '`fd` of op 1 is 2147483648, past the largest file descriptor 2147483647' },
      { name: 'fractional position', ops: [[0, 1.5, 0, 0, 1]], type: RangeError, message: 'expected a non-negative integer for `position` of op 1, got 1.5' },
      { name: 'bufferIndex past the buffers', ops: [[0, 0, 3, 0, 1]], type: RangeError, message: '`bufferIndex` of op 1 is 3 but only 1 buffers were given' },
      { name: 'range past the end', ops: [[0, 0, 0, 60, 8]], type: RangeError, message: 'range [60, 68) of op 1 is outside its buffer of 64 bytes' },
      { name: 'results is missing', results: undefined, type: TypeError, message: 'expected a Float64Array for `results`, got undefined' },
      { name: 'results is too short', results: new Float64Array(1), type: RangeError, message: '`results` holds 1 entries but the batch has 2 ops' },
      { name: 'checksums is a Float64Array', sums: new Float64Array(2), type: TypeError, message: 'expected a BigUint64Array for `checksums`, got a Float64Array of 16 bytes' },
    ];
    it.each(cases)('$name', async (c) => {
      const dst = Buffer.alloc(64);
      const good = [fd, 0, 0, 0, 8];
      const buffers = 'buffers' in c ? c.buffers : [dst];
      const ops = !('ops' in c) ? opsOf([good, good]) : c.ops === 'plain' ? good : Array.isArray(c.ops) ? opsOf([good, ...c.ops]) : c.ops;
      const results = 'results' in c ? c.results : new Float64Array(2);
      const sums = 'sums' in c ? c.sums : undefined;
      let promise: Promise<void> | undefined;
      expect(() => {
        promise = addon.readBatchAsync(buffers as Buffer[], ops as Float64Array, results as Float64Array, sums as BigUint64Array | undefined);
      }).not.toThrow();
      const error = await promise!.then(() => undefined, (cause: unknown) => cause);
      expect(error).toBeInstanceOf(c.type);
      expect((error as Error).message).toBe(c.message);
      expect(dst.every((byte) => byte === 0)).toBe(true); // not even the good op 0 ran
    });
  });
});
