/** Test fixtures for the tier suites: temp directories, deterministic keys and blocks, a damage collector. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checksum } from '../../src/memory/copy-batch.js';
import type { DamageReport } from '../../src/tiers/damage.js';
import type { BlockKey, BlockRecord } from '../../src/tiers/tier.js';

/** A fresh empty directory under the OS temp dir. */
export function tempDir(prefix = 'kvtier-tiers-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Removes a directory tree, ignoring a missing one. */
export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** A deterministic, well-spread block key for `i` (32 lowercase hex characters). */
export function keyOf(i: number): BlockKey {
  let h = BigInt(i) * 0x9e3779b97f4a7c15n + 0x632be59bd9b4e019n;
  let out = '';
  for (let word = 0; word < 2; word++) {
    h = (h ^ (h >> 31n)) * 0xbf58476d1ce4e5b9n;
    h &= (1n << 64n) - 1n;
    out += h.toString(16).padStart(16, '0');
  }
  return out;
}

/** Deterministic pseudo-random bytes (xorshift32 seeded by `seed`). */
export function patternBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    bytes[i] = x & 0xff;
  }
  return bytes;
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

/** Byte-exact comparison that stays fast on large buffers (toEqual walks element by element). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
