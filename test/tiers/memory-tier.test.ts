/** Memory tiers: lazy chunked arenas, zero-copy views, asynchronous copies and slot reuse. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, KvtierError } from '../../src/errors.js';
import { devicePreset } from '../../src/hardware/presets.js';
import { checksum } from '../../src/memory/copy-batch.js';
import { ArenaTier } from '../../src/tiers/memory-tier.js';
import type { BlockKey, BlockRecord } from '../../src/tiers/tier.js';
import { blockOf, keyOf, patternBytes, sameBytes } from './fixtures.js';

const KiB = 1024;

describe('ArenaTier (memory tiers)', () => {
  it('takes its default device from its name', async () => {
    const hbm = new ArenaTier({ name: 'hbm', capacityBlocks: 1, blockBytes: 64 });
    const cxl = new ArenaTier({ name: 'cxl', capacityBlocks: 1, blockBytes: 64 });
    expect(hbm.device).toBe(devicePreset('h100-hbm3'));
    expect(cxl.device).toBe(devicePreset('cxl-ddr5-x8'));
    await Promise.all([hbm.close(), cxl.close()]);
  });

  it('allocates its arena chunk by chunk as it fills, not up front', async () => {
    // A tier the size of an 80 GB HBM with 1 MiB blocks: nothing is allocated until blocks arrive.
    const tier = new ArenaTier({ name: 'hbm', capacityBlocks: 80 * KiB, blockBytes: KiB * KiB, chunkBytes: 4 * KiB * KiB });
    expect(tier.slotsPerChunk).toBe(4);
    expect(tier.allocatedBytes).toBe(0);
    for (let i = 0; i < 5; i++) {
      const { record, bytes } = blockOf(i, 1000);
      await tier.write(record, bytes);
    }
    expect(tier.allocatedBytes).toBe(2 * 4 * KiB * KiB);
    // Deleted slots are reused before a new chunk is touched.
    await tier.delete(keyOf(0));
    await tier.delete(keyOf(1));
    for (let i = 10; i < 15; i++) {
      const { record, bytes } = blockOf(i, 1000);
      await tier.write(record, bytes);
    }
    expect(tier.blockCount).toBe(8);
    expect(tier.allocatedBytes).toBe(2 * 4 * KiB * KiB);
    await tier.close();
  });

  it('sizes the last chunk to the capacity', async () => {
    const tier = new ArenaTier({ capacityBlocks: 5, blockBytes: 4 * KiB, chunkBytes: 12 * KiB });
    for (let i = 0; i < 5; i++) {
      const { record, bytes } = blockOf(i, 4 * KiB);
      await tier.write(record, bytes);
    }
    expect(tier.allocatedBytes).toBe(5 * 4 * KiB);
    const extra = blockOf(9, 10);
    await expect(tier.write(extra.record, extra.bytes)).rejects.toMatchObject({ code: ErrorCode.TIER_FULL });
    await tier.close();
  });

  it('gives zero-copy views that see the stored bytes', async () => {
    const tier = new ArenaTier({ name: 'hbm', capacityBlocks: 4, blockBytes: 8 * KiB });
    const { record, bytes } = blockOf(1, 5000);
    await tier.write(record, bytes);
    const view = tier.view(record.key)!;
    expect(view).toHaveLength(5000);
    expect(view).toEqual(bytes);
    view[0] = view[0]! ^ 0xff; // a write through the view is a write to the slot
    const dst = new Uint8Array(8 * KiB);
    await tier.read(record.key, dst);
    expect(dst[0]).toBe(bytes[0]! ^ 0xff);
    expect(tier.view(keyOf(2))).toBeNull();
    await tier.close();
  });

  it('copies large blocks on the thread pool with the same results', async () => {
    const tier = new ArenaTier({ capacityBlocks: 4, blockBytes: 256 * KiB, asyncCopyMinBytes: 64 * KiB });
    const large = blockOf(1, 200 * KiB);
    const small = blockOf(2, 10 * KiB);
    await Promise.all([tier.write(large.record, large.bytes), tier.write(small.record, small.bytes)]);
    const dst = new Uint8Array(256 * KiB);
    expect(await tier.read(large.record.key, dst)).toEqual(large.record);
    expect(sameBytes(dst.subarray(0, 200 * KiB), large.bytes)).toBe(true);
    await tier.close();
  });

  it('never shows a block before its asynchronous copy completes, and lets a later delete win', async () => {
    const tier = new ArenaTier({ capacityBlocks: 4, blockBytes: 256 * KiB, asyncCopyMinBytes: 1 });
    const { record, bytes } = blockOf(1, 256 * KiB);
    const writing = tier.write(record, bytes);
    expect(tier.has(record.key)).toBe(false);
    expect(tier.view(record.key)).toBeNull();
    await tier.delete(record.key);
    await writing;
    expect(tier.has(record.key)).toBe(false);
    // The slot it used went back to the free list: four more blocks still fit.
    for (let i = 10; i < 14; i++) {
      const block = blockOf(i, 100);
      await tier.write(block.record, block.bytes);
    }
    await tier.close();
  });

  it('keeps the newest of two overlapping writes of a key', async () => {
    const tier = new ArenaTier({ capacityBlocks: 4, blockBytes: 256 * KiB, asyncCopyMinBytes: 100 * KiB });
    const slow = blockOf(1, 200 * KiB, { version: 1 }); // asynchronous copy
    const fast = blockOf(1, 50 * KiB, { version: 2 }); // inline copy, issued later
    const first = tier.write(slow.record, slow.bytes);
    await tier.write(fast.record, fast.bytes);
    await first;
    const dst = new Uint8Array(256 * KiB);
    expect(await tier.read(fast.record.key, dst)).toEqual(fast.record);
    expect(sameBytes(dst.subarray(0, 50 * KiB), fast.bytes)).toBe(true);
    expect(tier.blockCount).toBe(1);
    await tier.close();
  });

  it('does not hand a slot to a new block while an asynchronous read of it is in flight', async () => {
    const tier = new ArenaTier({ capacityBlocks: 1, blockBytes: 512 * KiB, asyncCopyMinBytes: 1 });
    const a = blockOf(1, 512 * KiB);
    const b = blockOf(2, 512 * KiB);
    await tier.write(a.record, a.bytes);
    const dst = new Uint8Array(512 * KiB);
    const reading = tier.read(a.record.key, dst);
    await tier.delete(a.record.key);
    // The only slot is still being read: the tier is full until the read ends.
    await expect(tier.write(b.record, b.bytes)).rejects.toMatchObject({ code: ErrorCode.TIER_FULL });
    expect(await reading).toEqual(a.record);
    expect(sameBytes(dst, a.bytes)).toBe(true);
    await tier.write(b.record, b.bytes);
    expect(tier.has(b.record.key)).toBe(true);
    await tier.close();
  });

  it('rewrites a stored key in place when the tier is full', async () => {
    const tier = new ArenaTier({ capacityBlocks: 1, blockBytes: KiB });
    const first = blockOf(1, KiB, { version: 1 });
    const second = blockOf(1, 500, { version: 2 });
    await tier.write(first.record, first.bytes);
    await tier.write(second.record, second.bytes);
    expect(tier.view(first.record.key)).toEqual(second.bytes);
    // Writing a block onto itself (its own view) is a no-op, not an overlap error.
    await tier.write(second.record, tier.view(second.record.key)!);
    expect(tier.view(first.record.key)).toEqual(second.bytes);
    await tier.close();
  });

  it('serves exactly what a Map of records would, through overwrites, deletes, slot reuse and a full tier', async () => {
    const capacity = 6;
    const blockBytes = 64;
    // Uniform keys and replay-style counters (all the variation in the last word).
    const keys = [0, 1, 2, 3, 4].map((i) => keyOf(i)).concat([0, 1, 2, 3, 4].map((i) => i.toString(16).padStart(32, '0')));
    const write = fc.record({
      kind: fc.constant('write' as const),
      key: fc.nat(keys.length - 1),
      parent: fc.option(fc.nat(keys.length - 1)),
      namespace: fc.constantFrom('', 'a', 'tenant-b'),
      length: fc.oneof(fc.constant(blockBytes), fc.nat(blockBytes)),
      seed: fc.nat(),
    });
    const remove = fc.record({ kind: fc.constant('delete' as const), key: fc.nat(keys.length - 1) });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(write, write, remove), { maxLength: 60 }), async (ops) => {
        // Blocks of 32 bytes or more take the asynchronous copy path (awaited one at a time here).
        const tier = new ArenaTier({ capacityBlocks: capacity, blockBytes, asyncCopyMinBytes: 32 });
        const model = new Map<BlockKey, { record: BlockRecord; bytes: Uint8Array }>();
        try {
          for (const op of ops) {
            const key = keys[op.key]!;
            if (op.kind === 'delete') {
              await tier.delete(key);
              model.delete(key);
            } else {
              const bytes = patternBytes(op.length, op.seed);
              const record: BlockRecord = {
                key,
                parent: op.parent === null ? null : keys[op.parent]!,
                namespace: op.namespace,
                length: op.length,
                checksum: checksum(bytes),
              };
              if (model.size === capacity && !model.has(key)) {
                await expect(tier.write(record, bytes)).rejects.toMatchObject({ code: ErrorCode.TIER_FULL });
              } else {
                await tier.write(record, bytes);
                model.set(key, { record, bytes });
              }
            }
            expect(tier.blockCount).toBe(model.size);
          }
          const dst = new Uint8Array(blockBytes);
          for (const key of keys) {
            const stored = model.get(key);
            expect(tier.has(key)).toBe(stored !== undefined);
            expect(await tier.read(key, dst)).toEqual(stored?.record ?? null);
            if (stored) expect(sameBytes(dst.subarray(0, stored.record.length), stored.bytes)).toBe(true);
            expect(tier.view(key)).toEqual(stored?.bytes ?? null);
          }
        } finally {
          await tier.close();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('returns the record as it was when a read started, even if the key is rewritten meanwhile', async () => {
    const tier = new ArenaTier({ capacityBlocks: 2, blockBytes: 256 * KiB, asyncCopyMinBytes: 1 });
    const first = blockOf(1, 200 * KiB, { version: 1, namespace: 'a', parent: keyOf(7) });
    const second = blockOf(1, 100 * KiB, { version: 2, namespace: 'b', parent: null });
    await tier.write(first.record, first.bytes);
    const dst = new Uint8Array(256 * KiB);
    const reading = tier.read(first.record.key, dst);
    await tier.write(second.record, second.bytes);
    expect(await reading).toEqual(first.record);
    expect(sameBytes(dst.subarray(0, 200 * KiB), first.bytes)).toBe(true);
    expect(await tier.read(first.record.key, dst)).toEqual(second.record);
    await tier.close();
  });

  it('rejects use after close', async () => {
    const tier = new ArenaTier({ capacityBlocks: 1, blockBytes: 64 });
    const { record, bytes } = blockOf(1, 64);
    await tier.write(record, bytes);
    await tier.close();
    expect(() => tier.view(record.key)).toThrow(KvtierError);
    expect(() => tier.has(record.key)).toThrow(/tier `ddr` is closed/);
  });

  it('rejects invalid configuration with ERR_CONFIG', () => {
    expect(() => new ArenaTier({ capacityBlocks: 0, blockBytes: 64 })).toThrow(
      /expected a positive integer for `capacityBlocks`, got 0/,
    );
    expect(() => new ArenaTier({ capacityBlocks: 1, blockBytes: 1.5 })).toThrow(/`blockBytes`, got 1.5/);
    expect(() => new ArenaTier({ capacityBlocks: 1, blockBytes: 64, chunkBytes: -1 })).toThrow(/`chunkBytes`/);
    expect(() => new ArenaTier({ name: 'gpu7', capacityBlocks: 1, blockBytes: 64 })).toThrow(
      /unknown tier name "gpu7"; valid names: hbm, ddr, cxl, flash, disk/,
    );
  });
});
