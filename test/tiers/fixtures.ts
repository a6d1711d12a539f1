/** Test fixtures for the tier suites: temp directories, deterministic keys and blocks, a damage collector. */
import { expect } from 'vitest';
import { checksum } from '../../src/memory/copy-batch.js';
import type { NativeAddon } from '../../src/native.js';
import { native } from '../../src/native.js';
import type { DamageReport } from '../../src/tiers/damage.js';
import type { BlockKey, BlockRecord, Tier } from '../../src/tiers/tier.js';
import { keyOf, sameBytes, xorshiftBytes } from '../support/test-bytes.js';

export { rejection } from '../support/expect-error.js';
export { removeDir, tempDir } from '../support/temp-dir.js';
export { keyOf, sameBytes } from '../support/test-bytes.js';

/** Deterministic pseudo-random bytes (xorshift32 seeded by `seed`). */
export function patternBytes(length: number, seed: number): Uint8Array {
  return xorshiftBytes(length, seed * 2654435761);
}

/** A block (record + payload) for `i`; the payload depends on `i` and `version`. */
export function blockOf(
  i: number,
  length: number,
  options: { namespace?: string; parent?: BlockKey | null; version?: number } = {},
): { record: BlockRecord; bytes: Uint8Array } {
  const bytes = patternBytes(length, i * 131 + (options.version ?? 0) + 7);
  const record: BlockRecord = {
    key: keyOf(i),
    parent: options.parent === undefined ? (i > 0 ? keyOf(i - 1) : null) : options.parent,
    namespace: options.namespace ?? `tenant-${i % 3}`,
    length,
    checksum: checksum(bytes),
  };
  return { record, bytes };
}

/** Collects damage reports instead of printing them. */
export function damageCollector(): { reports: DamageReport[]; onDamage: (report: DamageReport) => void } {
  const reports: DamageReport[] = [];
  return { reports, onDamage: (report) => reports.push(report) };
}

/** Drains an async iterable into an array. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** A block as the tier suites write it: its record and payload. */
export interface TestBlock {
  record: BlockRecord;
  bytes: Uint8Array;
}

/** Writes `blockOf(i, length)` for each id, one after another; returns the blocks written. */
export async function writeBlocks(tier: Tier, ids: readonly number[], length: number): Promise<TestBlock[]> {
  const blocks = ids.map((i) => blockOf(i, length));
  for (const { record, bytes } of blocks) await tier.write(record, bytes);
  return blocks;
}

/** Expects every block to read back (into a fresh `dstBytes`-byte buffer) with its record and exact payload. */
export async function expectServed(tier: Tier, blocks: readonly TestBlock[], dstBytes: number): Promise<void> {
  for (const { record, bytes } of blocks) {
    const dst = new Uint8Array(dstBytes);
    expect(await tier.read(record.key, dst)).toEqual(record);
    expect(sameBytes(dst.subarray(0, record.length), bytes)).toBe(true);
  }
}

/** The arguments of one native readBatchAsync call. */
export type ReadBatchArgs = Parameters<NativeAddon['readBatchAsync']>;

/**
 * Runs `fn` with native.readBatchAsync observed: `observe` sees each batch's arguments before the
 * batch runs unchanged. The real function is back in place once `fn` settles.
 */
export async function observingReadBatches<T>(observe: (...args: ReadBatchArgs) => void, fn: () => Promise<T>): Promise<T> {
  const spied = native as { readBatchAsync: NativeAddon['readBatchAsync'] };
  const original = spied.readBatchAsync;
  spied.readBatchAsync = (...args) => {
    observe(...args);
    return original.apply(native, args);
  };
  try {
    return await fn();
  } finally {
    spied.readBatchAsync = original;
  }
}
