/** readBatchCached: page-cache-only positional reads on the calling thread, native against reference, uncached data, argument checks. */
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
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
const { EAGAIN, EOPNOTSUPP } = osConstants.errno;

let dir: string;
let content: Buffer;
let fd: number;
let dirFd: number;
useReadFixture('kvtier-read-cached-', FILE_BYTES, (fixture) => ({ dir, content, fd, dirFd } = fixture));

function opsOf(rows: number[][]): Float64Array {
  return new Float64Array(rows.flat());
}

/** Whether the native build can tell cached bytes on this file system (else every op is EOPNOTSUPP). */
function nativeCanTell(): boolean {
  const results = new Float64Array(1);
  native.readBatchCached([Buffer.alloc(1)], opsOf([[fd, 0, 0, 0, 1]]), results);
  return results[0] !== -EOPNOTSUPP;
}

describe.each(IMPLEMENTATIONS)('%s readBatchCached', (name, addon) => {
  const declines = () => name === 'native' && !nativeCanTell();

  it('reads cached ops in order, stops at the end of the file, hashes what it read, and answers synchronously', () => {
    const header = Buffer.alloc(256);
    const payload = Buffer.alloc(70_000);
    const results = new Float64Array(4);
    const sums = new BigUint64Array(4);
    const ops = opsOf([
      [fd, 1000, 0, 0, 256],
      [fd, 1256, 1, 0, 65_536], // continues the op before it: one vectored read
      [fd, FILE_BYTES - 100, 1, 65_536, 4096], // short: the file ends
      [fd, 0, 0, 0, 0],
    ]);
    expect(addon.readBatchCached([header, payload], ops, results, sums)).toBeUndefined();
    if (declines()) {
      // No RWF_NOWAIT here: every op is declined and nothing is read (the disk tier then uses the pool).
      expect([...results]).toEqual([-EOPNOTSUPP, -EOPNOTSUPP, -EOPNOTSUPP, -EOPNOTSUPP]);
      expect(header.every((byte) => byte === 0) && payload.every((byte) => byte === 0)).toBe(true);
      return;
    }
    expect([...results]).toEqual([256, 65_536, 100, 0]);
    expectSameBytes(header, content.subarray(1000, 1256));
    expectSameBytes(payload.subarray(0, 65_536), content.subarray(1256, 66_792));
    expectSameBytes(payload.subarray(65_536, 65_636), content.subarray(FILE_BYTES - 100));
    expect([...sums]).toEqual([
      xxh3(content.subarray(1000, 1256)),
      xxh3(content.subarray(1256, 66_792)),
      xxh3(content.subarray(FILE_BYTES - 100)),
      xxh3(new Uint8Array(0)),
    ]);
  });

  it('reports a failed op as a negative errno and goes on with the rest; checksums are optional', () => {
    const dst = Buffer.alloc(64);
    const results = new Float64Array(2);
    addon.readBatchCached([dst], opsOf([[dirFd, 0, 0, 0, 8], [fd, 8, 0, 0, 64]]), results);
    expect(results[0]).toBeLessThan(0);
    if (declines()) return;
    expect(results[1]).toBe(64);
    expectSameBytes(dst, content.subarray(8, 72));
  });

  describe('throws on bad arguments before reading anything', () => {
    const cases: { name: string; buffers?: unknown; ops?: number[][] | unknown; results?: unknown; sums?: unknown; type: typeof TypeError | typeof RangeError; message: string }[] = [
      { name: 'buffers is not an array', buffers: 'x', type: TypeError, message: 'expected an array of ArrayBuffers/TypedArrays for `buffers`, got a string' },
      { name: 'ops has a partial op', ops: new Float64Array(7), type: RangeError, message: 'expected `ops` to hold 5 numbers per op (fd, position, bufferIndex, offset, length), got 7 numbers' },
      { name: 'negative fd', ops: [[-1, 0, 0, 0, 1]], type: RangeError, message: 'expected a non-negative integer for `fd` of op 1, got -1' },
      { name: 'range past the end', ops: [[0, 0, 0, 60, 8]], type: RangeError, message: 'range [60, 68) of op 1 is outside its buffer of 64 bytes' },
      { name: 'results is too short', results: new Float64Array(1), type: RangeError, message: '`results` holds 1 entries but the batch has 2 ops' },
      { name: 'checksums is a Float64Array', sums: new Float64Array(2), type: TypeError, message: 'expected a BigUint64Array for `checksums`, got a Float64Array of 16 bytes' },
    ];
    it.each(cases)('$name', (c) => {
      const dst = Buffer.alloc(64);
      const good = [fd, 0, 0, 0, 8];
      const buffers = 'buffers' in c ? c.buffers : [dst];
      const ops = !('ops' in c) ? opsOf([good, good]) : Array.isArray(c.ops) ? opsOf([good, ...c.ops]) : c.ops;
      const results = 'results' in c ? c.results : new Float64Array(2);
      const sums = 'sums' in c ? c.sums : undefined;
      let thrown: unknown;
      try {
        addon.readBatchCached(buffers as Buffer[], ops as Float64Array, results as Float64Array, sums as BigUint64Array | undefined);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(c.type);
      expect((thrown as Error).message).toBe(c.message);
      expect(dst.every((byte) => byte === 0)).toBe(true); // not even the good op 0 ran
    });
  });
});

describe('native readBatchCached on bytes the page cache does not hold', () => {
  it('answers EAGAIN without reading, and reads them once a pool read has cached them', async (context) => {
    // A file written only with O_DIRECT has no page-cache pages (tmpfs refuses O_DIRECT: skipped there).
    const path = join(dir, 'direct');
    const block = new Uint8Array(native.createArena(65_536, 4096));
    block.set(content.subarray(0, 65_536));
    let direct: number;
    try {
      direct = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT);
    } catch {
      return context.skip();
    }
    try {
      writeSync(direct, block, 0, block.byteLength, 0);
    } finally {
      closeSync(direct);
    }
    const reader = openSync(path, 'r');
    try {
      if (!nativeCanTell()) return context.skip();
      const dst = Buffer.alloc(65_536);
      const results = new Float64Array(1);
      const sums = new BigUint64Array(1);
      native.readBatchCached([dst], opsOf([[reader, 0, 0, 0, 65_536]]), results, sums);
      if (results[0] !== -EAGAIN) {
        // The file system kept page-cache pages after all (seen once under a parallel test run,
        // ext4): then the read is a plain cached one, and nothing here is uncached.
        expect(results[0]).toBe(65_536);
        expectSameBytes(dst, content.subarray(0, 65_536));
        return context.skip();
      }
      expect(sums[0]).toBe(xxh3(new Uint8Array(0)));
      await native.readBatchAsync([dst], opsOf([[reader, 0, 0, 0, 65_536]]), results);
      expect(results[0]).toBe(65_536);
      dst.fill(0);
      native.readBatchCached([dst], opsOf([[reader, 0, 0, 0, 65_536]]), results, sums);
      expect(results[0]).toBe(65_536);
      expectSameBytes(dst, content.subarray(0, 65_536));
    } finally {
      closeSync(reader);
    }
  });
});
