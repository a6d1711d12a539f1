/** The data plane on real tiers: background demotions into a durable tier, and what waits for them. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MoveKind } from '../../src/engine/control-plane.js';
import { DataPlane, type MoveFailureStage, type PendingMove } from '../../src/engine/data-plane.js';
import { checksum } from '../../src/memory/copy-batch.js';
import { LmdbTier } from '../../src/tiers/lmdb-tier.js';
import { ArenaTier } from '../../src/tiers/memory-tier.js';
import type { BlockRecord, Tier } from '../../src/tiers/tier.js';
import { BLOCK_BYTES, bytesFor, keyOf, removeDir, tempDir } from './support.js';

let dir: string;
let hbm: ArenaTier;
let flash: LmdbTier;
let failures: { key: string; stage: MoveFailureStage; message: string }[];
let plane: DataPlane;

beforeEach(async () => {
  dir = await tempDir('kvtier-data-plane-');
  hbm = new ArenaTier({ name: 'hbm', capacityBlocks: 1, blockBytes: BLOCK_BYTES });
  flash = await LmdbTier.open({ dir, capacityBlocks: 2, blockBytes: BLOCK_BYTES });
  failures = [];
  plane = new DataPlane([hbm, flash], (move, error, stage) => failures.push({ key: move.record.key, stage, message: error.message }));
});

afterEach(async () => {
  await plane.idle();
  await hbm.close();
  await flash.close();
  await removeDir(dir);
});

function recordOf(key: string): BlockRecord {
  return { key, parent: null, namespace: '', length: BLOCK_BYTES, checksum: checksum(bytesFor(key)) };
}

function move(kind: MoveKind, key: string, from: number, to: number): PendingMove {
  return { kind, id: 0, record: recordOf(key), from, to };
}

describe('a demotion from memory into a durable tier', () => {
  it('frees the memory slot at once and lands a private copy of the bytes in the background', async () => {
    const [a, b] = [keyOf(1), keyOf(2)];
    await hbm.write(recordOf(a), bytesFor(a));
    await plane.run([move(MoveKind.MOVE, a, 0, 1)]);
    expect(hbm.has(a)).toBe(false);
    // The freed slot is reused at once; the demoted block's bytes must not follow it.
    await plane.run([{ ...move(MoveKind.INSERT, b, -1, 0), bytes: bytesFor(b) }]);
    await plane.idle();
    const dst = new Uint8Array(BLOCK_BYTES);
    expect(await flash.read(a, dst)).not.toBeNull();
    expect(dst).toEqual(bytesFor(a));
    expect(plane.counters.bytesWritten[1]).toBe(BLOCK_BYTES);
    expect(failures).toEqual([]);
  });

  it('is lifted straight from its staged bytes by a promotion queued before it lands', async () => {
    const a = keyOf(3);
    await hbm.write(recordOf(a), bytesFor(a));
    void plane.run([move(MoveKind.MOVE, a, 0, 1)]);
    await plane.run([move(MoveKind.LIFT, a, 1, 0), move(MoveKind.LAND, a, 1, 0)]);
    expect(hbm.view(a)).toEqual(bytesFor(a));
    expect(plane.counters.stagedReads[1]).toBe(1);
    expect(plane.counters.bytesRead[1]).toBe(0); // no device read
    await plane.idle();
    // The lift's delete follows the stale write in the tier's per-key order: nothing is left behind.
    expect(flash.has(a)).toBe(false);
    expect(failures).toEqual([]);
  });

  it('is waited for by an inclusive promotion (a copy), which reads the landed block', async () => {
    const a = keyOf(7);
    await hbm.write(recordOf(a), bytesFor(a));
    void plane.run([move(MoveKind.MOVE, a, 0, 1)]);
    await plane.run([move(MoveKind.COPY, a, 1, 0)]);
    expect(hbm.view(a)).toEqual(bytesFor(a));
    expect(flash.has(a)).toBe(true);
    expect(plane.counters.stagedReads[1]).toBe(0);
    expect(plane.counters.bytesRead[1]).toBe(BLOCK_BYTES);
    expect(failures).toEqual([]);
  });

  it('reports a write that fails in the background as a failed write of that move', async () => {
    const [a, b, c] = [keyOf(4), keyOf(5), keyOf(6)];
    for (const key of [a, b]) await flash.write(recordOf(key), bytesFor(key)); // flash is full
    await hbm.write(recordOf(c), bytesFor(c));
    await plane.run([move(MoveKind.MOVE, c, 0, 1)]);
    await plane.idle();
    expect(failures).toEqual([{ key: c, stage: 'write', message: expect.stringContaining('full') }]);
    expect(plane.counters.failedMoves).toBe(1);
    expect([hbm.has(c), flash.has(c)]).toEqual([false, false]);
  });

  it('reports a failed write whose block was lifted from its staged bytes as superseded, and keeps the block', async () => {
    // The real flash tier behind a gate that fails the next write once the lift has run: a commit
    // failing late (an I/O error), after a promotion already took the block back.
    let failNextWrite: (() => void) | null = null;
    const gated: Tier = Object.assign(Object.create(flash) as LmdbTier, {
      write: (record: BlockRecord, bytes: Uint8Array) =>
        new Promise<void>((_, reject) => {
          failNextWrite = () => reject(new Error(`EIO: write of ${record.key} (${bytes.length} bytes) failed`));
        }),
    });
    const gatedPlane = new DataPlane([hbm, gated], (move, error, stage) => failures.push({ key: move.record.key, stage, message: error.message }));
    const c = keyOf(10);
    await hbm.write(recordOf(c), bytesFor(c));
    void gatedPlane.run([move(MoveKind.MOVE, c, 0, 1)]);
    await gatedPlane.run([move(MoveKind.LIFT, c, 1, 0), move(MoveKind.LAND, c, 1, 0)]);
    failNextWrite!();
    await gatedPlane.idle();
    expect(failures).toEqual([{ key: c, stage: 'superseded', message: expect.stringContaining('EIO') }]);
    expect(hbm.view(c)).toEqual(bytesFor(c));
  });
});
