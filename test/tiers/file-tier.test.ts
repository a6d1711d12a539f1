/** The disk (segment file) tier under damage, failures, compaction races and random operation sequences. */
import fc from 'fast-check';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { mkdir, open as openFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { native } from '../../src/native.js';
import { HEADER_BYTES } from '../../src/tiers/block-header.js';
import { FileTier, type FileTierOptions } from '../../src/tiers/file-tier.js';
import { segmentFileName } from '../../src/tiers/segment-file.js';
import { canLimitFileSize, withFileSizeLimit } from './file-size-limit.js';
import {
  blockOf,
  collect,
  damageCollector,
  expectServed as expectServedBy,
  keyOf,
  observingReadBatches,
  removeDir,
  sameBytes,
  tempDir,
  writeBlocks as writeBlocksTo,
  type ReadBatchArgs,
  type TestBlock as Block,
} from './fixtures.js';

const BLOCK_BYTES = 16 * 1024;
const RECORD_BYTES = HEADER_BYTES + BLOCK_BYTES;

/** XORs one byte of a file in place. */
async function flipByte(path: string, offset: number): Promise<void> {
  const handle = await openFile(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offset);
    byte[0] = byte[0]! ^ 0x5a;
    await handle.write(byte, 0, 1, offset);
  } finally {
    await handle.close();
  }
}

describe('FileTier (disk)', () => {
  let dir: string;
  let tier: FileTier;
  const damage = damageCollector();
  const open = (overrides: Partial<FileTierOptions> = {}) =>
    FileTier.open({ dir, capacityBlocks: 256, blockBytes: BLOCK_BYTES, onDamage: damage.onDamage, ...overrides });
  const segment = (seq: number) => join(dir, segmentFileName(seq));

  beforeEach(async () => {
    dir = await tempDir();
    damage.reports.length = 0;
    tier = await open();
  });

  afterEach(async () => {
    await tier.close();
    await removeDir(dir);
  });

  const writeBlocks = (ids: number[], length = BLOCK_BYTES): Promise<Block[]> => writeBlocksTo(tier, ids, length);
  const expectServed = (blocks: Block[]): Promise<void> => expectServedBy(tier, blocks, BLOCK_BYTES);

  async function expectAbsent(blocks: Block[]): Promise<void> {
    for (const { record } of blocks) {
      expect(tier.has(record.key)).toBe(false);
      expect(await tier.read(record.key, new Uint8Array(BLOCK_BYTES))).toBeNull();
    }
  }

  const keysOf = (blocks: Block[]) => blocks.map((b) => b.record.key).sort();
  const scannedKeys = async () => (await collect(tier.scan())).map((r) => r.key).sort();

  it('appends records to segment files named by sequence number only', async () => {
    await writeBlocks([1, 2, 3]);
    await writeFile(join(dir, 'notes.txt'), 'not ours');
    expect((await readdir(dir)).sort()).toEqual(['notes.txt', segmentFileName(0)]);
    expect((await stat(segment(0))).size).toBe(3 * RECORD_BYTES);
    await tier.close();
    tier = await open();
    expect((await readdir(dir)).sort()).toEqual(['notes.txt', segmentFileName(0)]);
  });

  it('serves flipped payload bytes as a miss, counts, reports and removes the block for good', async () => {
    const blocks = await writeBlocks([1, 2, 3]);
    await flipByte(segment(0), RECORD_BYTES + HEADER_BYTES + 500);
    expect(await tier.read(blocks[1]!.record.key, new Uint8Array(BLOCK_BYTES))).toBeNull();
    expect(tier.stats().checksumErrors).toBe(1);
    expect(damage.reports).toEqual([
      { tier: 'disk', key: blocks[1]!.record.key, reason: 'payload checksum mismatch', location: `${segmentFileName(0)}@${RECORD_BYTES}` },
    ]);
    expect(tier.has(blocks[1]!.record.key)).toBe(false);
    await expectServed([blocks[0]!, blocks[2]!]);
    await tier.close();
    tier = await open();
    await expectAbsent([blocks[1]!]);
    await expectServed([blocks[0]!, blocks[2]!]);
    expect(damage.reports).toHaveLength(1);
  });

  it('counts and reports a damaged record once when concurrent reads all find it', async () => {
    // Blocks too large for the calling-thread read, so all reads are in flight on the pool at once.
    const large = 512 * 1024;
    await tier.close();
    tier = await open({ blockBytes: large });
    const [block] = await writeBlocksTo(tier, [1], large);
    await tier.flush();
    await flipByte(segment(0), HEADER_BYTES + 1000);
    const reads = await Promise.all([1, 2, 3].map(() => tier.read(block!.record.key, new Uint8Array(large))));
    expect(reads).toEqual([null, null, null]);
    expect(tier.stats().checksumErrors).toBe(1);
    expect(damage.reports).toHaveLength(1);
  });

  it('reads only the payload of a block whose record it knows, on the pool too, and still catches damage there', async () => {
    // Too large for the calling-thread read: these reads go to the pool.
    const large = 512 * 1024;
    await tier.close();
    tier = await open({ blockBytes: large });
    const blocks = await writeBlocksTo(tier, [1, 2], large);
    const headerOps: number[] = [];
    await observingReadBatches(
      (_, ops) => {
        for (let op = 0; op < ops.length; op += 10) headerOps.push(ops[op + 4]!);
      },
      async () => {
        // Both records are known from their writes: one payload-only read each.
        await expectServedBy(tier, blocks, large);
        expect(headerOps).toEqual([0, 0]);
        headerOps.length = 0;
        await flipByte(segment(0), HEADER_BYTES + large + HEADER_BYTES + 4321);
        expect(await tier.read(blocks[1]!.record.key, new Uint8Array(large))).toBeNull();
      },
    );
    // The payload-only read did not match, so the full read (header too) decided: damage.
    expect(headerOps).toEqual([0, HEADER_BYTES]);
    expect(tier.stats().checksumErrors).toBe(1);
    expect(damage.reports.map((r) => [r.key, r.reason])).toEqual([[blocks[1]!.record.key, 'payload checksum mismatch']]);
    expect(tier.has(blocks[1]!.record.key)).toBe(false);
    await expectServedBy(tier, [blocks[0]!], large);
  });

  it("hands pool reads the segment's mapping, and catches damage through it the same way", async () => {
    const large = 512 * 1024;
    await tier.close();
    tier = await open({ blockBytes: large });
    const blocks = await writeBlocksTo(tier, [1, 2], large);
    const mapped: boolean[] = [];
    const observeMaps = (...args: ReadBatchArgs): void => {
      const maps = args[4];
      mapped.push(maps !== undefined && maps.every((map) => map !== undefined));
    };
    await observingReadBatches(observeMaps, async () => {
      for (const block of blocks) await expectServedBy(tier, [block], large); // the first read opens the segment and maps it
      await flipByte(segment(0), HEADER_BYTES + large + HEADER_BYTES + 99);
      expect(await tier.read(blocks[1]!.record.key, new Uint8Array(large))).toBeNull();
    });
    // Both blocks, then the damaged one: payload-only, then the full read.
    expect(mapped).toEqual([true, true, true, true]);
    expect(tier.stats().checksumErrors).toBe(1);
    await expectServedBy(tier, [blocks[0]!], large);
    // mapSegments: false maps nothing; the reads are the same.
    await tier.close();
    tier = await open({ blockBytes: large, mapSegments: false });
    mapped.length = 0;
    await observingReadBatches(observeMaps, () => expectServedBy(tier, [blocks[0]!], large));
    expect(mapped).toEqual([false]);
  });

  it('drops the rest of a segment after a damaged header, keeping everything before it', async () => {
    const blocks = await writeBlocks([1, 2, 3, 4]);
    await tier.close();
    await flipByte(segment(0), 2 * RECORD_BYTES + 40); // the key bytes in block 3's header
    tier = await open();
    await expectServed(blocks.slice(0, 2));
    await expectAbsent(blocks.slice(2));
    expect(damage.reports).toEqual([
      {
        tier: 'disk',
        key: null,
        reason: `unreadable record header (header checksum mismatch); ${2 * RECORD_BYTES} bytes after it dropped`,
        location: `${segmentFileName(0)}@${2 * RECORD_BYTES}`,
      },
    ]);
    expect(tier.stats().checksumErrors).toBe(1);
    // New writes go to a fresh segment; half of the old one is dead, so compaction cleans it away.
    const later = await writeBlocks([5]);
    await tier.compact();
    expect(await readdir(dir)).toEqual([segmentFileName(1)]);
    expect(tier.spaceStats()).toMatchObject({ segments: 1, deadBytes: 0, compactions: 1, compactedBytes: 2 * RECORD_BYTES });
    await tier.close();
    tier = await open();
    await expectServed([...blocks.slice(0, 2), ...later]);
    expect(damage.reports).toHaveLength(1);
  });

  it('recovers from a torn write at the end of the active segment', async () => {
    const blocks = await writeBlocks([1, 2, 3]);
    await tier.close();
    await truncate(segment(0), 2 * RECORD_BYTES + HEADER_BYTES + 100);
    tier = await open();
    await expectServed(blocks.slice(0, 2));
    await expectAbsent(blocks.slice(2));
    expect(damage.reports.map((r) => r.reason)).toEqual([
      `record of block ${blocks[2]!.record.key} runs past the end of the file (torn write)`,
    ]);
    const again = await writeBlocks([3]);
    await expectServed(again);
  });

  it('serves a block truncated while open as a miss', async () => {
    const blocks = await writeBlocks([1, 2]);
    await truncate(segment(0), RECORD_BYTES + 1000);
    expect(await tier.read(blocks[1]!.record.key, new Uint8Array(BLOCK_BYTES))).toBeNull();
    expect(damage.reports[0]!.reason).toBe(`record truncated (${1000} of ${RECORD_BYTES} bytes)`);
    await expectServed([blocks[0]!]);
  });

  it('forgets the blocks of a deleted segment file and keeps the others', async () => {
    await tier.close();
    tier = await open({ segmentBytes: 2 * RECORD_BYTES, maxOpenFiles: 1 });
    const blocks = await writeBlocks([1, 2, 3, 4, 5, 6]); // segments 0, 1, 2
    // Deleted while open: once its handle has left the cache, reads of it are misses.
    await expectServed([blocks[0]!]);
    await rm(segment(1));
    await expectServed([blocks[4]!]);
    expect(tier.has(blocks[2]!.record.key)).toBe(true); // has() does not touch the file
    expect(await tier.read(blocks[2]!.record.key, new Uint8Array(BLOCK_BYTES))).toBeNull();
    expect(tier.has(blocks[2]!.record.key)).toBe(false);
    expect(tier.stats().ioErrors).toBe(1);
    expect(damage.reports[0]).toMatchObject({ key: blocks[2]!.record.key, reason: expect.stringMatching(/^unreadable: ENOENT/) });
    // Deleted while closed: its blocks are simply gone on reopen.
    await tier.close();
    await rm(segment(0));
    tier = await open({ segmentBytes: 2 * RECORD_BYTES });
    expect(await scannedKeys()).toEqual(keysOf(blocks.slice(4)));
    await expectServed(blocks.slice(4));
  });

  it.skipIf(!canLimitFileSize)('rejects a write the file system refuses and never serves any part of it', async () => {
    const kept = await writeBlocks([1, 2]);
    const failed = [3, 4, 5].map((i) => blockOf(i, BLOCK_BYTES));
    const limit = 2 * RECORD_BYTES + RECORD_BYTES / 2; // room for half a record: a partial write
    const results = await withFileSizeLimit(limit, () =>
      Promise.allSettled(failed.map(({ record, bytes }) => tier.write(record, bytes))),
    );
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toMatchObject({
        code: ErrorCode.IO,
        message: expect.stringMatching(/^tier `disk`: cannot append to seg-000000000000\.kvs: .*(too large|EFBIG)/i),
      });
    }
    await expectAbsent(failed);
    expect(tier.blockCount).toBe(2);
    expect((await stat(segment(0))).size).toBe(2 * RECORD_BYTES); // the partial batch was cut off
    const later = await writeBlocks([6]);
    await tier.close();
    tier = await open();
    expect(await scannedKeys()).toEqual(keysOf([...kept, ...later]));
    await expectServed([...kept, ...later]);
    expect(damage.reports).toEqual([]);
  });

  it('rejects writes when a new segment cannot be created, and publishes none of them', async () => {
    await tier.close();
    tier = await open({ segmentBytes: 2 * RECORD_BYTES });
    const kept = await writeBlocks([1, 2]);
    await mkdir(segment(1)); // the next segment's name is taken: open(…, 'wx') fails, even for root
    const failed = blockOf(3, BLOCK_BYTES);
    await expect(tier.write(failed.record, failed.bytes)).rejects.toMatchObject({
      code: ErrorCode.IO,
      message: expect.stringMatching(/^tier `disk`: cannot start a new segment: EEXIST/),
    });
    await expectAbsent([failed]);
    await rm(segment(1), { recursive: true });
    await tier.write(failed.record, failed.bytes);
    await expectServed([...kept, failed]);
  });

  it('skips a segment it cannot read and keeps serving the others', async () => {
    const kept = await writeBlocks([1, 2]);
    await tier.close();
    await mkdir(segment(1)); // a directory where a segment file should be
    tier = await open();
    await expectServed(kept);
    expect(damage.reports).toEqual([
      expect.objectContaining({ key: null, location: `${segmentFileName(1)}@0`, reason: expect.stringMatching(/^unreadable \(EISDIR/) }),
    ]);
    const later = await writeBlocks([3]);
    expect(await readdir(dir)).toContain(segmentFileName(2));
    await tier.close();
    tier = await open();
    await expectServed([...kept, ...later]);
  });

  it('compacts the oldest segments once enough of them is dead, without losing or resurrecting blocks', async () => {
    await tier.close();
    tier = await open({ segmentBytes: 4 * RECORD_BYTES });
    const blocks = await writeBlocks(Array.from({ length: 24 }, (_, i) => i)); // 6 segments
    for (let i = 0; i < 24; i += 2) await tier.delete(blocks[i]!.record.key);
    const rewritten = [blockOf(1, 3000, { version: 9 }), blockOf(3, 5000, { version: 9 })];
    for (const { record, bytes } of rewritten) await tier.write(record, bytes);
    await tier.compact();
    const space = tier.spaceStats();
    expect(space.compactions).toBeGreaterThan(0);
    expect(space.compactedBytes).toBeGreaterThan(0);
    const live = [...rewritten, ...blocks.filter((_, i) => i % 2 === 1 && i !== 1 && i !== 3)];
    await expectServed(live);
    await expectAbsent(blocks.filter((_, i) => i % 2 === 0));
    await tier.close();
    tier = await open({ segmentBytes: 4 * RECORD_BYTES });
    expect(await scannedKeys()).toEqual(keysOf(live));
    await expectServed(live);
    await expectAbsent(blocks.filter((_, i) => i % 2 === 0));
    expect(damage.reports).toEqual([]);
  });

  it('serves every block byte-exact while compaction moves them', async () => {
    await tier.close();
    tier = await open({ segmentBytes: 4 * RECORD_BYTES, compactDeadRatio: 0.25 });
    const blocks = await writeBlocks(Array.from({ length: 32 }, (_, i) => i));
    const doomed = blocks.filter((_, i) => i % 4 === 0);
    const live = blocks.filter((_, i) => i % 4 !== 0);
    await Promise.all(doomed.map(({ record }) => tier.delete(record.key)));
    const reads = Promise.all(
      [0, 1, 2].map(async () => {
        for (const { record, bytes } of live) {
          const dst = new Uint8Array(BLOCK_BYTES);
          expect(await tier.read(record.key, dst)).toEqual(record);
          expect(sameBytes(dst, bytes)).toBe(true);
        }
      }),
    );
    await Promise.all([reads, tier.compact()]);
    expect(tier.spaceStats().compactions).toBeGreaterThan(0);
    expect(tier.stats().checksumErrors).toBe(0);
  });

  it('lets deletes and overwrites issued during compaction win over its copies', async () => {
    await tier.close();
    const options = { segmentBytes: 4 * RECORD_BYTES, compactDeadRatio: 0.9 };
    tier = await open(options);
    const blocks = await writeBlocks(Array.from({ length: 16 }, (_, i) => i)); // segments 0..3
    // Make segments 0-2 mostly dead (ratio 7/12 < 0.9: no compaction yet), then lower the bar by reopening.
    for (const i of [0, 1, 4, 5, 6, 8, 9]) await tier.delete(blocks[i]!.record.key);
    await tier.close();
    tier = await open({ ...options, compactDeadRatio: 0.25 });
    // Compaction of segment 0 starts on open; race it: delete one of its live blocks, overwrite the other.
    const overwrite = blockOf(3, 1000, { version: 4 });
    await Promise.all([tier.delete(blocks[2]!.record.key), tier.write(overwrite.record, overwrite.bytes), tier.compact()]);
    await tier.compact();
    expect(tier.spaceStats().compactions).toBeGreaterThan(0);
    const live = [overwrite, ...[7, 10, 11, 12, 13, 14, 15].map((i) => blocks[i]!)];
    const gone = [0, 1, 2, 4, 5, 6, 8, 9].map((i) => blocks[i]!);
    await expectServed(live);
    await expectAbsent(gone);
    await tier.close();
    tier = await open(options);
    expect(await scannedKeys()).toEqual(keysOf(live));
    await expectServed(live);
  });

  it('keeps deletes streaming in while compaction copies the same segment', async () => {
    await tier.close();
    const length = 2048;
    const options = { segmentBytes: 48 * (HEADER_BYTES + length), compactDeadRatio: 0.9 };
    tier = await open(options);
    const blocks = await writeBlocks(Array.from({ length: 96 }, (_, i) => i), length); // segments 0 and 1
    for (let i = 0; i < 24; i++) await tier.delete(blocks[i]!.record.key); // half of segment 0
    await tier.close();
    tier = await open({ ...options, compactDeadRatio: 0.2 }); // compaction of segment 0 starts now
    const doomed = blocks.slice(24, 48).filter((_, i) => i % 2 === 0);
    const deleting = (async () => {
      for (const { record } of doomed) await tier.delete(record.key);
    })();
    await Promise.all([deleting, tier.compact()]);
    await tier.compact();
    const gone = [...blocks.slice(0, 24), ...doomed];
    const live = blocks.filter((b) => !gone.includes(b));
    await expectAbsent(gone);
    await tier.close();
    tier = await open(options);
    expect(await scannedKeys()).toEqual(keysOf(live));
    await expectAbsent(gone);
  });

  it('behaves like a map across random writes, deletes, compactions and reopens', async () => {
    const length = 512;
    await tier.close();
    const options = { segmentBytes: 6 * (HEADER_BYTES + length), blockBytes: length, compactDeadRatio: 0.3 };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), id: fc.nat(7), version: fc.nat(1000), length: fc.nat(length) }),
      fc.record({ kind: fc.constant('delete' as const), id: fc.nat(7) }),
      fc.record({ kind: fc.constant('compact' as const) }),
      fc.record({ kind: fc.constant('reopen' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const runDir = await tempDir();
        let store = await FileTier.open({ dir: runDir, capacityBlocks: 8, ...options });
        const model = new Map<string, Block>();
        try {
          for (const step of ops) {
            if (step.kind === 'write') {
              const block = blockOf(step.id, step.length, { version: step.version });
              await store.write(block.record, block.bytes);
              model.set(block.record.key, block);
            } else if (step.kind === 'delete') {
              await store.delete(keyOf(step.id));
              model.delete(keyOf(step.id));
            } else if (step.kind === 'compact') {
              await store.compact();
            } else {
              await store.close();
              store = await FileTier.open({ dir: runDir, capacityBlocks: 8, ...options });
            }
          }
          for (let id = 0; id < 8; id++) {
            const expected = model.get(keyOf(id));
            const dst = new Uint8Array(length);
            const found = await store.read(keyOf(id), dst);
            expect(found).toEqual(expected?.record ?? null);
            if (expected) expect(sameBytes(dst.subarray(0, expected.record.length), expected.bytes)).toBe(true);
          }
          expect((await collect(store.scan())).map((r) => r.key).sort()).toEqual([...model.keys()].sort());
          expect(store.stats().checksumErrors).toBe(0);
        } finally {
          await store.close();
          await removeDir(runDir);
        }
      }),
      { numRuns: 30 },
    );
    tier = await open();
  });

  it('appends the writes of one turn in one batch, and a close in that turn waits for them', async () => {
    const blocks = [1, 2, 3, 4, 5].map((i) => blockOf(i, BLOCK_BYTES));
    const writes = Promise.all(blocks.map(({ record, bytes }) => tier.write(record, bytes)));
    const closing = tier.close();
    await writes;
    await closing;
    expect((await stat(segment(0))).size).toBe(5 * RECORD_BYTES);
    tier = await open();
    await expectServed(blocks);
  });

  it('serves blocks the page cache no longer holds through the thread pool, verified', async (context) => {
    const blocks = await writeBlocks([1, 2, 3, 4]);
    // Rewriting the same bytes with O_DIRECT drops the segment's pages from the page cache (tmpfs
    // refuses O_DIRECT: skipped there). Reads must then take the pool path instead of failing.
    const pageAligned = Math.floor((4 * RECORD_BYTES) / 4096) * 4096;
    const bytes = new Uint8Array(native.createArena(pageAligned, 4096));
    const reader = await openFile(segment(0), 'r');
    try {
      await reader.read(bytes, 0, pageAligned, 0);
    } finally {
      await reader.close();
    }
    let direct: number;
    try {
      direct = openSync(segment(0), constants.O_WRONLY | constants.O_DIRECT);
    } catch {
      return context.skip();
    }
    try {
      writeSync(direct, bytes, 0, pageAligned, 0);
    } finally {
      closeSync(direct);
    }
    let poolBatches = 0;
    await observingReadBatches(
      () => poolBatches++,
      () => expectServed(blocks),
    );
    expect(poolBatches).toBeGreaterThan(0);
    expect(tier.stats().checksumErrors).toBe(0);
    expect(damage.reports).toEqual([]);
  });

  it('in synced mode, keeps acknowledged writes and deletes across reopen', async () => {
    await tier.close();
    tier = await open({ durability: 'synced', segmentBytes: 3 * RECORD_BYTES });
    const blocks = await writeBlocks([1, 2, 3, 4, 5]);
    await tier.delete(blocks[1]!.record.key);
    await tier.close();
    tier = await open({ durability: 'synced', segmentBytes: 3 * RECORD_BYTES });
    await expectServed([blocks[0]!, ...blocks.slice(2)]);
    await expectAbsent([blocks[1]!]);
  });

  it('in fast mode, flush() also syncs the segments sealed since the last flush and the new directory entries', async () => {
    await tier.close();
    tier = await open({ segmentBytes: 3 * RECORD_BYTES, compactDeadRatio: 0.25 });
    const blocks = await writeBlocks([1, 2, 3, 4, 5, 6, 7, 8]); // segments 1 and 2 sealed, 3 active
    expect((await readdir(dir)).filter((f) => f.endsWith('.kvs'))).toHaveLength(3);
    expect(tier.stats().syncs).toBe(0); // fast: nothing forced until flush
    await tier.flush();
    // The active segment, the two sealed ones, then the directory (three segment files created).
    expect(tier.stats().syncs).toBe(4);
    await tier.flush();
    expect(tier.stats().syncs).toBe(5); // nothing new: the active segment only

    // A sealed segment that compaction deletes before the next flush has nothing left to sync.
    const more = await writeBlocks([9, 10, 11, 12, 13]); // 9 ends segment 2 (from 0), 10–12 fill segment 3
    await Promise.all(more.slice(1, 4).map(({ record }) => tier.delete(record.key)));
    await tier.compact();
    const files = await readdir(dir);
    expect([2, 3].map((seq) => files.includes(segmentFileName(seq)))).toEqual([false, false]); // sealed, unsynced, compacted away
    await tier.flush();
    expect(tier.stats().ioErrors).toBe(0);
    await expectServed([...blocks, more[0]!, more[4]!]);
  });

  it('rejects invalid options with ERR_CONFIG', async () => {
    await expect(open({ segmentBytes: 10 })).rejects.toThrow(/expected an integer ≥ 256 for `segmentBytes`, got 10/);
    await expect(open({ compactDeadRatio: 0 })).rejects.toThrow(/`compactDeadRatio`/);
    await expect(open({ maxOpenFiles: 0 })).rejects.toMatchObject({ code: ErrorCode.CONFIG });
    await expect(open({ mapSegments: 'yes' as never })).rejects.toThrow('expected true or false for `mapSegments`, got "yes"');
    await expect(open({ durability: 'later' as never })).rejects.toMatchObject({ code: ErrorCode.CONFIG });
  });
});
