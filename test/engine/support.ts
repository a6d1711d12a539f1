/** Test plumbing for the engine suites: temp dirs, keys, key-derived bytes, engines on real tiers, a move recorder. */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { KvtierError } from '../../src/errors.js';
import type { EngineConfig, TierConfig } from '../../src/engine/config.js';
import type { MoveKind, MoveSink } from '../../src/engine/control-plane.js';
import { KvCache } from '../../src/engine/engine.js';
import type { BlockKey } from '../../src/tiers/tier.js';

/** Small blocks keep every engine test fast. */
export const BLOCK_BYTES = 4096;

/** A fresh empty directory under the OS temp dir. */
export function tempDir(prefix = 'kvtier-engine-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Removes a directory tree, ignoring a missing one. */
export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** A deterministic, well-spread block key for `i` (32 lowercase hex characters). */
export function keyOf(i: number): BlockKey {
  let h = BigInt(i) * 0x9e3779b97f4a7c15n + 0x2545f4914f6cdd1dn;
  let out = '';
  for (let word = 0; word < 2; word++) {
    h = ((h ^ (h >> 29n)) * 0xbf58476d1ce4e5b9n) & ((1n << 64n) - 1n);
    out += h.toString(16).padStart(16, '0');
  }
  return out;
}

/** The payload of a block, derived from its key (xorshift32 seeded by the key), so any served block can be checked. */
export function bytesFor(key: BlockKey, length = BLOCK_BYTES, salt = 0): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = (Number.parseInt(key.slice(0, 8), 16) ^ Number.parseInt(key.slice(24, 32), 16) ^ salt) >>> 0 || 1;
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

/** Byte-exact comparison that stays readable on failure (toEqual on 4 KiB arrays is not). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Capacities of a four-tier stack, in blocks. */
export interface StackCapacities {
  hbm: number;
  ddr?: number;
  flash?: number;
  disk?: number;
}

/** Tier configs hbm → ddr → flash → disk (absent capacities leave that tier out), flash and disk under `dir`. */
export function stackTiers(dir: string, capacities: StackCapacities, policy?: string): TierConfig[] {
  const tiers: TierConfig[] = [{ name: 'hbm', capacity: `${capacities.hbm}blocks` }];
  if (capacities.ddr !== undefined) tiers.push({ name: 'ddr', capacity: `${capacities.ddr}blocks` });
  if (capacities.flash !== undefined) tiers.push({ name: 'flash', capacity: `${capacities.flash}blocks`, dir: join(dir, 'flash') });
  if (capacities.disk !== undefined) tiers.push({ name: 'disk', capacity: `${capacities.disk}blocks`, dir: join(dir, 'disk') });
  if (policy !== undefined) for (const tier of tiers) tier.policy = policy;
  return tiers;
}

/** An engine whose warnings are collected instead of printed. */
export interface TestEngine {
  cache: KvCache;
  warnings: string[];
}

/** Opens an engine on a stack of real tiers in `dir`, with 4 KiB blocks. */
export async function openStack(
  dir: string,
  capacities: StackCapacities,
  overrides: Partial<EngineConfig> = {},
): Promise<TestEngine> {
  const warnings: string[] = [];
  const cache = await KvCache.open({
    blockBytes: BLOCK_BYTES,
    blockTokens: 16,
    tiers: stackTiers(dir, capacities),
    onWarning: (message) => warnings.push(message),
    ...overrides,
  });
  return { cache, warnings };
}

/** Awaits a promise expected to reject with a KvtierError of `code` (and a message matching `message`). */
export async function rejection(promise: Promise<unknown>, code: string, message?: RegExp | string): Promise<KvtierError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KvtierError);
  expect((error as KvtierError).code).toBe(code);
  if (message !== undefined) expect((error as KvtierError).message).toMatch(message);
  return error as KvtierError;
}

/** Calls `fn`, expecting a KvtierError of `code` whose message is exactly `message` (or matches it). */
export function thrown(fn: () => unknown, code: string, message?: RegExp | string): KvtierError {
  let error: unknown = null;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(KvtierError);
  expect((error as KvtierError).code).toBe(code);
  if (typeof message === 'string') expect((error as KvtierError).message).toBe(message);
  else if (message) expect((error as KvtierError).message).toMatch(message);
  return error as KvtierError;
}

const KIND_NAMES = ['INSERT', 'MOVE', 'COPY', 'DROP', 'LIFT', 'LAND'] as const;

/** Records control-plane moves as short strings: "INSERT 3 →0", "MOVE 3 0→1", "COPY 3 0→1", "DROP 3 2→". */
export class MoveRecorder implements MoveSink {
  readonly moves: string[] = [];

  move(kind: MoveKind, id: number, from: number, to: number): void {
    const name = KIND_NAMES[kind];
    const arrow = `${from < 0 ? '' : from}→${to < 0 ? '' : to}`;
    this.moves.push(`${name} ${id} ${arrow}`);
  }

  /** The moves recorded since the last call. */
  take(): string[] {
    return this.moves.splice(0);
  }
}

/** Flips one byte of a file at `offset` (XOR 0x5a); the file must not be open for writing. */
export async function flipByte(path: string, offset: number): Promise<void> {
  const data = await readFile(path);
  data[offset] = data[offset]! ^ 0x5a;
  await writeFile(path, data);
}

/** The offset of the first occurrence of `needle` in the file at `path`, or -1. */
export async function offsetIn(path: string, needle: Uint8Array): Promise<number> {
  return (await readFile(path)).indexOf(needle);
}

/** Paths of the disk tier's segment files in `dir`. */
export async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.kvs')).map((name) => join(dir, name));
}
