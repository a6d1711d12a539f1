/** Test plumbing for the engine suites: temp dirs, keys, key-derived bytes, engines on real tiers, a move recorder. */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineConfig, TierConfig } from '../../src/engine/config.js';
import type { MoveKind, MoveSink } from '../../src/engine/control-plane.js';
import { KvCache } from '../../src/engine/engine.js';
import type { BlockKey } from '../../src/tiers/tier.js';
import { xorshiftBytes } from '../support/test-bytes.js';

export { rejection, thrown } from '../support/expect-error.js';
export { flipByte } from '../support/flip-byte.js';
export { removeDir, tempDir } from '../support/temp-dir.js';
export { keyOf, sameBytes } from '../support/test-bytes.js';

/** Small blocks keep every engine test fast. */
export const BLOCK_BYTES = 4096;

/** The payload of a block, derived from its key (xorshift32 seeded by the key), so any served block can be checked. */
export function bytesFor(key: BlockKey, length = BLOCK_BYTES, salt = 0): Uint8Array {
  return xorshiftBytes(length, Number.parseInt(key.slice(0, 8), 16) ^ Number.parseInt(key.slice(24, 32), 16) ^ salt);
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

/** The offset of the first occurrence of `needle` in the file at `path`, or -1. */
export async function offsetIn(path: string, needle: Uint8Array): Promise<number> {
  return (await readFile(path)).indexOf(needle);
}

/** Paths of the disk tier's segment files in `dir`. */
export async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.kvs')).map((name) => join(dir, name));
}
