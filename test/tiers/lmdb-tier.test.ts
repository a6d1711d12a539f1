/** The flash (LMDB) tier under damage and failure: flipped bytes, missing entries, refused commits, reopen. */
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { open as openLmdb } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { headerOf } from '../../src/tiers/block-header.js';
import { LmdbTier, type LmdbTierOptions } from '../../src/tiers/lmdb-tier.js';
import { flipByte } from '../support/flip-byte.js';
import { canLimitFileSize, withFileSizeLimit } from './file-size-limit.js';
import {
  blockOf,
  collect,
  damageCollector,
  expectServed as expectServedBy,
  removeDir,
  tempDir,
  writeBlocks as writeBlocksTo,
  type TestBlock,
} from './fixtures.js';

const BLOCK_BYTES = 64 * 1024;

/** Every offset of `needle` in `haystack`. */
function offsetsOf(haystack: Buffer, needle: Uint8Array): number[] {
  const found: number[] = [];
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) found.push(at);
  return found;
}

describe('LmdbTier (flash)', () => {
  let dir: string;
  let tier: LmdbTier;
  const damage = damageCollector();
  const open = (overrides: Partial<LmdbTierOptions> = {}) =>
    LmdbTier.open({ dir, capacityBlocks: 64, blockBytes: BLOCK_BYTES, onDamage: damage.onDamage, ...overrides });
  const dataFile = () => join(dir, 'data.mdb');

  beforeEach(async () => {
    dir = await tempDir();
    damage.reports.length = 0;
    tier = await open();
  });

  afterEach(async () => {
    await tier.close();
    await removeDir(dir);
  });

  const writeBlocks = (ids: number[]): Promise<TestBlock[]> => writeBlocksTo(tier, ids, BLOCK_BYTES);
  const expectServed = (blocks: TestBlock[]): Promise<void> => expectServedBy(tier, blocks, BLOCK_BYTES);

  it('serves a payload whose bytes were flipped on disk as a miss, counts and removes it', async () => {
    const blocks = await writeBlocks([1, 2, 3]);
    await tier.close();
    const data = await readFile(dataFile());
    const [at] = offsetsOf(data, blocks[1]!.bytes.subarray(0, 64));
    expect(at).toBeGreaterThan(0);
    await flipByte(dataFile(), at! + 1000);
    tier = await open();
    expect(tier.has(blocks[1]!.record.key)).toBe(true); // has() does not verify
    expect(await tier.read(blocks[1]!.record.key, new Uint8Array(BLOCK_BYTES))).toBeNull();
    expect(tier.stats().checksumErrors).toBe(1);
    expect(damage.reports).toEqual([
      { tier: 'flash', key: blocks[1]!.record.key, reason: 'payload checksum mismatch', location: dir },
    ]);
    await tier.flush();
    expect(tier.has(blocks[1]!.record.key)).toBe(false);
    expect((await collect(tier.scan())).map((r) => r.key).sort()).toEqual([blocks[0]!.record.key, blocks[2]!.record.key].sort());
    await expectServed([blocks[0]!, blocks[2]!]);
  });

  it('verifies every read of a block it wrote itself: a payload changed behind its back while open is a miss', async () => {
    const blocks = await writeBlocks([21, 22]);
    // Another handle on the same environment (lmdb-js shares it within the process) changes the
    // payload of block 21 behind the tier's back; the tier still holds the record it wrote.
    const other = openLmdb({ path: dir, maxDbs: 4, encoding: 'binary' });
    const payloads = other.openDB<Buffer, string>({ name: 'blocks', encoding: 'binary' });
    const changed = Buffer.from(blocks[0]!.bytes);
    changed[500] = changed[500]! ^ 0xff;
    await payloads.put(blocks[0]!.record.key, changed);
    expect(await tier.read(blocks[0]!.record.key, new Uint8Array(BLOCK_BYTES))).toBeNull();
    expect(damage.reports.map((r) => [r.key, r.reason])).toEqual([[blocks[0]!.record.key, 'payload checksum mismatch']]);
    await tier.flush();
    expect(tier.has(blocks[0]!.record.key)).toBe(false);
    await expectServed([blocks[1]!]);
  });

  it("serves the record as written, not the caller's object changed later, and the latest of an overwrite", async () => {
    const first = blockOf(30, BLOCK_BYTES, { namespace: 'a' });
    const record = { ...first.record };
    await tier.write(record, first.bytes);
    record.namespace = 'changed';
    const dst = new Uint8Array(BLOCK_BYTES);
    expect(await tier.read(first.record.key, dst)).toEqual(first.record);
    const second = blockOf(30, BLOCK_BYTES, { namespace: 'b', version: 1 });
    await tier.write(second.record, second.bytes);
    expect(await tier.read(first.record.key, dst)).toEqual(second.record);
    expect(Buffer.from(dst).equals(Buffer.from(second.bytes))).toBe(true);
    expect(damage.reports).toEqual([]);
  });

  it('treats a damaged header as a miss, leaves it out of scan and removes the block', async () => {
    const blocks = await writeBlocks([4, 5, 6]);
    await tier.close();
    const data = await readFile(dataFile());
    const [headerOf4] = offsetsOf(data, headerOf(blocks[0]!.record));
    const [headerOf6] = offsetsOf(data, headerOf(blocks[2]!.record));
    await flipByte(dataFile(), headerOf4! + 30); // key bytes
    await flipByte(dataFile(), headerOf6! + 100); // namespace bytes
    tier = await open();
    expect(await tier.read(blocks[0]!.record.key, new Uint8Array(BLOCK_BYTES))).toBeNull();
    const scanned = await collect(tier.scan());
    expect(scanned.map((r) => r.key)).toEqual([blocks[1]!.record.key]);
    await tier.flush();
    expect(damage.reports.map((r) => [r.key, r.reason])).toEqual([
      [blocks[0]!.record.key, 'header checksum mismatch'],
      [blocks[2]!.record.key, 'header checksum mismatch'],
    ]);
    expect(tier.stats().checksumErrors).toBe(2);
    expect(tier.has(blocks[0]!.record.key)).toBe(false);
    expect(tier.has(blocks[2]!.record.key)).toBe(false);
    await expectServed([blocks[1]!]);
  });

  it('treats a missing or resized payload entry as damage', async () => {
    const blocks = await writeBlocks([7, 8, 9]);
    await tier.close();
    // Tamper with the payload database directly, as a partial restore or a foreign writer might.
    const env = openLmdb({ path: dir, maxDbs: 4, encoding: 'binary' });
    const payloads = env.openDB<Buffer, string>({ name: 'blocks', encoding: 'binary' });
    await payloads.remove(blocks[0]!.record.key);
    await payloads.put(blocks[1]!.record.key, Buffer.alloc(100));
    await env.close();
    tier = await open();
    expect(await tier.read(blocks[0]!.record.key, new Uint8Array(BLOCK_BYTES))).toBeNull();
    expect(await tier.read(blocks[1]!.record.key, new Uint8Array(BLOCK_BYTES))).toBeNull();
    expect(damage.reports.map((r) => r.reason)).toEqual(['payload missing', `payload is 100 bytes, header says ${BLOCK_BYTES}`]);
    await tier.flush();
    expect((await collect(tier.scan())).map((r) => r.key)).toEqual([blocks[2]!.record.key]);
    await expectServed([blocks[2]!]);
  });

  it('opens empty when its data file was deleted', async () => {
    await writeBlocks([7, 8]);
    await tier.close();
    await rm(dataFile());
    tier = await open();
    expect(await collect(tier.scan())).toEqual([]);
    expect(await tier.read(blockOf(7, 1).record.key, new Uint8Array(BLOCK_BYTES))).toBeNull();
    expect(tier.blockCount).toBe(0);
  });

  it.skipIf(!canLimitFileSize)('rejects a write that cannot be committed and never serves it', async () => {
    const kept = await writeBlocks([10, 11]);
    await tier.flush();
    const { size } = await stat(dataFile());
    const failed = [12, 13, 14].map((i) => blockOf(i, BLOCK_BYTES));
    const results = await withFileSizeLimit(size, () =>
      Promise.allSettled(failed.map(({ record, bytes }) => tier.write(record, bytes))),
    );
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toMatchObject({
        code: ErrorCode.IO,
        message: expect.stringMatching(/^tier `flash`: cannot write block [0-9a-f]{32}: /),
      });
    }
    expect(tier.stats().ioErrors).toBe(3);
    for (const { record } of failed) {
      expect(tier.has(record.key)).toBe(false);
      expect(await tier.read(record.key, new Uint8Array(BLOCK_BYTES))).toBeNull();
    }
    expect(tier.blockCount).toBe(2);
    await expectServed(kept);
    // The environment recovers once writes can succeed again, and nothing failed shows up on reopen.
    const later = blockOf(15, BLOCK_BYTES);
    await tier.write(later.record, later.bytes);
    await tier.close();
    tier = await open();
    expect((await collect(tier.scan())).map((r) => r.key).sort()).toEqual([...kept, later].map((b) => b.record.key).sort());
    await expectServed([...kept, later]);
  });

  it('grows past a tiny initial map: the map size is a reservation, capacity is the limit', async () => {
    await tier.close();
    tier = await open({ mapBytes: 256 * 1024, capacityBlocks: 40 });
    const blocks = await writeBlocks(Array.from({ length: 40 }, (_, i) => 100 + i));
    const extra = blockOf(200, BLOCK_BYTES);
    await expect(tier.write(extra.record, extra.bytes)).rejects.toMatchObject({ code: ErrorCode.TIER_FULL });
    await expectServed(blocks.slice(0, 3));
  });

  it('applies the writes and deletes issued in one turn (one shared commit) in issue order, and a close in that turn waits for them', async () => {
    const kept = await writeBlocks([40, 41]);
    const fresh = [42, 43, 44, 45].map((i) => blockOf(i, BLOCK_BYTES));
    const rewrite = blockOf(41, BLOCK_BYTES, { version: 1 });
    // One turn: four new blocks, a delete, a rewrite of a stored key, then a write and a delete of the same key.
    const settled = Promise.all([
      ...fresh.map(({ record, bytes }) => tier.write(record, bytes)),
      tier.delete(kept[0]!.record.key),
      tier.write(rewrite.record, rewrite.bytes),
      tier.delete(fresh[3]!.record.key),
    ]);
    expect(tier.blockCount).toBe(4); // 2 stored + 4 new − 2 deleted, counted as issued
    const closing = tier.close();
    await settled;
    await closing;
    tier = await open();
    await expectServed([...fresh.slice(0, 3), rewrite]);
    expect(tier.has(kept[0]!.record.key)).toBe(false);
    expect(tier.has(fresh[3]!.record.key)).toBe(false);
    expect(tier.blockCount).toBe(4);
  });

  it('counts the syncs it forces: one per flush() in fast mode, one per commit in synced mode', async () => {
    await writeBlocks([1, 2, 3]);
    expect(tier.stats().syncs).toBe(0);
    await tier.flush();
    await tier.flush();
    expect(tier.stats().syncs).toBe(2);
    await tier.close();
    tier = await open({ durability: 'synced' });
    await writeBlocks([4]);
    await writeBlocks([5]);
    expect(tier.stats().syncs).toBe(2); // one write per commit here (each awaited before the next)
    await tier.flush();
    expect(tier.stats().syncs).toBe(2); // synced commits leave nothing for flush() to force
  });

  it('in synced mode, resolves writes once flushed and keeps them across reopen', async () => {
    await tier.close();
    tier = await open({ durability: 'synced' });
    expect(tier.durability).toBe('synced');
    const blocks = await writeBlocks([20, 21, 22]);
    await tier.delete(blocks[0]!.record.key);
    await tier.close();
    tier = await open({ durability: 'synced' });
    await expectServed(blocks.slice(1));
    expect(tier.has(blocks[0]!.record.key)).toBe(false);
  });

  it('rejects a bad durability or directory with ERR_CONFIG', async () => {
    await expect(open({ durability: 'eventually' as never })).rejects.toThrow(
      /expected "fast" or "synced" for `durability`, got "eventually"/,
    );
    await expect(open({ dir: '' })).rejects.toMatchObject({ code: ErrorCode.CONFIG });
  });
});
