/** The contract every tier honours (hbm, ddr, cxl, flash, disk), run against each through the registry. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, KvtierError } from '../../src/errors.js';
import { createTier, type TierSpec } from '../../src/tiers/registry.js';
import { isMemoryTier, type Tier } from '../../src/tiers/tier.js';
import { blockOf, collect, damageCollector, keyOf, rejection, removeDir, tempDir } from './fixtures.js';

const BLOCK_BYTES = 4096;
const CAPACITY = 8;

const TIERS = [
  { name: 'hbm', durable: false },
  { name: 'ddr', durable: false },
  { name: 'cxl', durable: false },
  { name: 'flash', durable: true },
  { name: 'disk', durable: true },
] as const;

describe.each(TIERS)('tier contract: $name', ({ name, durable }) => {
  let dir: string;
  let tier: Tier;
  const damage = damageCollector();

  const open = (overrides: Partial<TierSpec> = {}): Promise<Tier> =>
    createTier({ name, capacityBlocks: CAPACITY, blockBytes: BLOCK_BYTES, dir, onDamage: damage.onDamage, ...overrides });

  beforeEach(async () => {
    dir = await tempDir();
    damage.reports.length = 0;
    tier = await open();
  });

  afterEach(async () => {
    await tier.close();
    await removeDir(dir);
  });

  it('describes itself: name, kind, geometry and device', () => {
    expect(tier.name).toBe(name);
    expect(tier.kind).toBe(durable ? 'durable' : 'memory');
    expect(isMemoryTier(tier)).toBe(!durable);
    expect(tier.capacityBlocks).toBe(CAPACITY);
    expect(tier.blockBytes).toBe(BLOCK_BYTES);
    expect(tier.device.readBytesPerSec).toBeGreaterThan(0);
  });

  it('starts empty', async () => {
    expect(tier.has(keyOf(1))).toBe(false);
    expect(await tier.read(keyOf(1), new Uint8Array(BLOCK_BYTES))).toBeNull();
    expect(await collect(tier.scan())).toEqual([]);
    expect(tier.stats()).toMatchObject({ reads: 0, writes: 0, deletes: 0, bytesRead: 0, bytesWritten: 0 });
  });

  it('reads back byte-exact with the record it was written with', async () => {
    const blocks = [1, 2, 3].map((i) => blockOf(i, BLOCK_BYTES));
    for (const { record, bytes } of blocks) await tier.write(record, bytes);
    for (const { record, bytes } of blocks) {
      const dst = new Uint8Array(BLOCK_BYTES);
      expect(await tier.read(record.key, dst)).toEqual(record);
      expect(dst).toEqual(bytes);
    }
  });

  it('stores short and empty payloads and leaves dst beyond the payload untouched', async () => {
    const short = blockOf(4, 1000, { namespace: 'ünïcode-ns', parent: null });
    const empty = blockOf(5, 0);
    await tier.write(short.record, short.bytes);
    await tier.write(empty.record, empty.bytes);
    const dst = new Uint8Array(BLOCK_BYTES).fill(0xee);
    expect(await tier.read(short.record.key, dst)).toEqual(short.record);
    expect(dst.subarray(0, 1000)).toEqual(short.bytes);
    expect(dst.subarray(1000).every((b) => b === 0xee)).toBe(true);
    expect(await tier.read(empty.record.key, new Uint8Array(0))).toEqual(empty.record);
  });

  it('tracks has() through writes and deletes; deleting an absent key is a no-op', async () => {
    const { record, bytes } = blockOf(6, 512);
    await tier.delete(record.key);
    await tier.write(record, bytes);
    expect(tier.has(record.key)).toBe(true);
    await tier.delete(record.key);
    expect(tier.has(record.key)).toBe(false);
    expect(await tier.read(record.key, new Uint8Array(BLOCK_BYTES))).toBeNull();
    expect(tier.stats().deletes).toBe(1);
  });

  it('overwrites a key with new bytes and a new record', async () => {
    const first = blockOf(7, BLOCK_BYTES, { version: 1 });
    const second = blockOf(7, 2000, { version: 2, namespace: 'other' });
    await tier.write(first.record, first.bytes);
    await tier.write(second.record, second.bytes);
    const dst = new Uint8Array(BLOCK_BYTES);
    expect(await tier.read(first.record.key, dst)).toEqual(second.record);
    expect(dst.subarray(0, 2000)).toEqual(second.bytes);
  });

  it('rejects a dst smaller than the payload', async () => {
    const { record, bytes } = blockOf(8, BLOCK_BYTES);
    await tier.write(record, bytes);
    await rejection(
      tier.read(record.key, new Uint8Array(BLOCK_BYTES - 1)),
      ErrorCode.INVALID_ARGUMENT,
      /expected a Uint8Array of at least 4096 bytes for `dst`, got a Uint8Array of 4095 bytes/,
    );
    // The block is unharmed.
    expect(await tier.read(record.key, new Uint8Array(BLOCK_BYTES))).toEqual(record);
  });

  it('rejects malformed keys with a clear message', async () => {
    const expected = /expected a block key of 32 lowercase hex characters for `key`/;
    for (const bad of ['abc', keyOf(1).toUpperCase(), `${keyOf(1)}0`, keyOf(1).slice(1), `${keyOf(1).slice(0, 31)}g`]) {
      await rejection(tier.read(bad, new Uint8Array(BLOCK_BYTES)), ErrorCode.INVALID_ARGUMENT, expected);
      await rejection(tier.delete(bad), ErrorCode.INVALID_ARGUMENT, expected);
      expect(() => tier.has(bad)).toThrow(expected);
    }
    const { record, bytes } = blockOf(9, 100);
    await rejection(tier.write({ ...record, key: 'abc' }, bytes), ErrorCode.INVALID_ARGUMENT, /`record.key`, got "abc"/);
    await rejection(tier.write({ ...record, parent: 'xyz' }, bytes), ErrorCode.INVALID_ARGUMENT, /`record.parent`/);
    expect(await collect(tier.scan())).toEqual([]);
  });

  it('rejects payloads that do not match the record or exceed blockBytes', async () => {
    const { record, bytes } = blockOf(10, 100);
    await rejection(tier.write(record, bytes.subarray(0, 99)), ErrorCode.INVALID_ARGUMENT, /exactly record.length \(100\)/);
    const big = blockOf(11, BLOCK_BYTES + 1);
    await rejection(tier.write(big.record, big.bytes), ErrorCode.INVALID_ARGUMENT, /`record.length`/);
    const longNamespace = blockOf(12, 100, { namespace: 'n'.repeat(193) });
    await rejection(tier.write(longNamespace.record, longNamespace.bytes), ErrorCode.INVALID_ARGUMENT, /192 UTF-8 bytes/);
    expect(tier.has(record.key) || tier.has(big.record.key) || tier.has(longNamespace.record.key)).toBe(false);
  });

  it('respects its capacity: new keys are refused when full, overwrites are not', async () => {
    for (let i = 0; i < CAPACITY; i++) {
      const { record, bytes } = blockOf(100 + i, 256);
      await tier.write(record, bytes);
    }
    const extra = blockOf(200, 256);
    await rejection(tier.write(extra.record, extra.bytes), ErrorCode.TIER_FULL, new RegExp(`tier \`${name}\` is full \\(8 blocks\\)`));
    expect(tier.has(extra.record.key)).toBe(false);
    const again = blockOf(100, 300, { version: 5 });
    await tier.write(again.record, again.bytes);
    await tier.delete(keyOf(101));
    await tier.write(extra.record, extra.bytes);
    expect(tier.has(extra.record.key)).toBe(true);
  });

  it('admits exactly its capacity under concurrent writes', async () => {
    const blocks = Array.from({ length: CAPACITY + 4 }, (_, i) => blockOf(300 + i, 512));
    const results = await Promise.allSettled(blocks.map(({ record, bytes }) => tier.write(record, bytes)));
    const fulfilled = results.filter((r) => r.status === 'fulfilled').length;
    expect(fulfilled).toBe(CAPACITY);
    for (const result of results) {
      if (result.status === 'rejected') expect((result.reason as KvtierError).code).toBe(ErrorCode.TIER_FULL);
    }
    const stored = blocks.filter(({ record }) => tier.has(record.key));
    expect(stored).toHaveLength(CAPACITY);
    for (const { record, bytes } of stored) {
      const dst = new Uint8Array(BLOCK_BYTES);
      expect(await tier.read(record.key, dst)).toEqual(record);
      expect(dst.subarray(0, 512)).toEqual(bytes);
    }
  });

  it('counts reads, writes, deletes and bytes', async () => {
    const a = blockOf(20, 1000);
    const b = blockOf(21, 3000);
    await tier.write(a.record, a.bytes);
    await tier.write(b.record, b.bytes);
    await tier.read(a.record.key, new Uint8Array(BLOCK_BYTES));
    await tier.read(keyOf(999), new Uint8Array(BLOCK_BYTES));
    await tier.delete(b.record.key);
    const stats = tier.stats();
    expect(stats).toMatchObject({ writes: 2, bytesWritten: 4000, reads: 1, bytesRead: 1000, deletes: 1, checksumErrors: 0, ioErrors: 0 });
    expect(stats.wallMs).toBeGreaterThan(0);
  });

  it(durable ? 'scan() yields every stored record' : 'scan() yields nothing (memory is not recovered)', async () => {
    const blocks = [30, 31, 32].map((i) => blockOf(i, 700 + i));
    for (const { record, bytes } of blocks) await tier.write(record, bytes);
    await tier.delete(blocks[1]!.record.key);
    const scanned = await collect(tier.scan());
    if (durable) {
      const byKey = (x: { key: string }, y: { key: string }) => x.key.localeCompare(y.key);
      expect(scanned.sort(byKey)).toEqual([blocks[0]!.record, blocks[2]!.record].sort(byKey));
    } else {
      expect(scanned).toEqual([]);
    }
  });

  it(durable ? 'keeps its blocks across close and reopen' : 'starts empty again after close and re-create', async () => {
    const blocks = [40, 41, 42, 43].map((i) => blockOf(i, BLOCK_BYTES - i));
    for (const { record, bytes } of blocks) await tier.write(record, bytes);
    await tier.delete(blocks[2]!.record.key);
    await tier.flush();
    await tier.close();
    tier = await open();
    const kept = [blocks[0]!, blocks[1]!, blocks[3]!];
    if (durable) {
      expect((await collect(tier.scan())).map((r) => r.key).sort()).toEqual(kept.map((b) => b.record.key).sort());
      for (const { record, bytes } of kept) {
        const dst = new Uint8Array(BLOCK_BYTES);
        expect(await tier.read(record.key, dst)).toEqual(record);
        expect(dst.subarray(0, record.length)).toEqual(bytes);
      }
      expect(tier.has(blocks[2]!.record.key)).toBe(false);
      // Capacity counts the recovered blocks.
      for (let i = 0; i < CAPACITY - kept.length; i++) {
        const { record, bytes } = blockOf(500 + i, 64);
        await tier.write(record, bytes);
      }
      const extra = blockOf(600, 64);
      await rejection(tier.write(extra.record, extra.bytes), ErrorCode.TIER_FULL);
    } else {
      for (const { record } of blocks) expect(tier.has(record.key)).toBe(false);
    }
    expect(damage.reports).toEqual([]);
  });

  // In `synced` mode flush() forces nothing of its own, so only its wait for the turn's group makes it wait.
  it.each(durable ? (['fast', 'synced'] as const) : (['default'] as const))('has flush() and close() wait for writes and deletes issued in the same turn (durability: %s)', async (mode) => {
    const durability = mode === 'default' ? undefined : mode;
    if (durability !== undefined) {
      await tier.close();
      tier = await open({ durability });
    }
    const stored = [60, 61, 62].map((i) => blockOf(i, BLOCK_BYTES));
    for (const { record, bytes } of stored) await tier.write(record, bytes);
    const fresh = [63, 64].map((i) => blockOf(i, BLOCK_BYTES));
    const settled: string[] = [];
    const track = (what: string, operation: Promise<void>): void => void operation.then(() => settled.push(what));
    for (const { record, bytes } of fresh) track(record.key, tier.write(record, bytes));
    track('delete', tier.delete(stored[0]!.record.key));
    await tier.flush();
    expect(settled.sort()).toEqual([...fresh.map((b) => b.record.key), 'delete'].sort());

    const last = blockOf(65, BLOCK_BYTES);
    const write = tier.write(last.record, last.bytes);
    const removal = tier.delete(stored[1]!.record.key);
    await tier.close();
    await expect(Promise.all([write, removal])).resolves.toBeDefined();
    tier = await open({ durability });
    if (durable) {
      const kept = [stored[2]!, ...fresh, last];
      expect((await collect(tier.scan())).map((r) => r.key).sort()).toEqual(kept.map((b) => b.record.key).sort());
      const dst = new Uint8Array(BLOCK_BYTES);
      expect(await tier.read(last.record.key, dst)).toEqual(last.record);
      expect(dst).toEqual(last.bytes);
    }
  });

  it('rejects use after close with ERR_CLOSED', async () => {
    const { record, bytes } = blockOf(50, 100);
    await tier.write(record, bytes);
    await tier.close();
    await tier.close(); // idempotent
    await rejection(tier.read(record.key, new Uint8Array(BLOCK_BYTES)), ErrorCode.CLOSED, new RegExp(`tier \`${name}\` is closed`));
    await rejection(tier.write(record, bytes), ErrorCode.CLOSED);
    await rejection(tier.delete(record.key), ErrorCode.CLOSED);
    expect(() => tier.has(record.key)).toThrow(/is closed/);
    tier = await open(); // for afterEach
  });
});
