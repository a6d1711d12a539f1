/** The engine's configuration: what a user passes to `KvCache.open`, checked and resolved once. */
import { resolve } from 'node:path';
import { ErrorCode, KvtierError, invalidArgument } from '../errors.js';
import type { DeviceModel } from '../hardware/device.js';
import { blockBytes as modelBlockBytes, resolveModel, type ModelGeometry } from '../model/geometry.js';
import type { PolicyOptions } from '../policies/policy.js';
import { canonicalTierName } from '../tiers/registry.js';
import { assertNamespace } from '../tiers/validate.js';
import { capacityInBlocks, type Capacity } from './capacity.js';
import type { PromotionPolicy, WritePolicy } from './control-plane.js';

/** One tier, top (fastest) first. */
export interface TierConfig {
  /** Tier kind: "hbm", "ddr", "cxl" (memory arenas), "flash" (LMDB) or "disk" (files). */
  name: string;
  /** Capacity: bytes (4096, "64GiB") or blocks ("4000blocks"). */
  capacity: Capacity;
  /** Directory of a flash or disk tier (created if missing). */
  dir?: string;
  /** Eviction policy (see `policyNames()`). @default "lru" */
  policy?: string;
  policyOptions?: PolicyOptions;
  /** Hardware preset name or custom device model that times this tier. @default the tier kind's preset */
  device?: string | DeviceModel;
  /** Flash/disk: "fast" skips fsync; "synced" makes every acknowledged write durable. @default "fast" */
  durability?: 'fast' | 'synced';
  /**
   * Flash: check an existing LMDB environment's page structure in a child process before opening
   * it, and start the tier empty if it is damaged (LMDB would crash on it). Reads every stored
   * block once at open: turn it off for very large tiers if a crash on damage is acceptable. @default true
   */
  verifyOnOpen?: boolean;
}

/** Options of `KvCache.open`. */
export interface EngineConfig {
  /** Model preset name or explicit geometry: decides the bytes of a block. @default "llama-3.1-8b" */
  model?: string | ModelGeometry;
  /** Tokens per block. @default 512 */
  blockTokens?: number;
  /** Bytes per block, overriding the model's (e.g. scaled-down payloads). @default from model × blockTokens */
  blockBytes?: number;
  /** The tiers, top first (1 to 8). */
  tiers: readonly TierConfig[];
  /** @default "write-back" */
  writePolicy?: WritePolicy;
  /** @default "exclusive" */
  promotion?: PromotionPolicy;
  /** Namespace (tenant) of the handle `open` returns. @default "" */
  namespace?: string;
  /** Seed for randomised policies. @default 1 */
  seed?: number;
  /** Pins lapse after this many milliseconds unless released earlier (0 = never). @default 0 */
  pinTtlMs?: number;
  /** Where warnings go (checksum mismatches, leaked pins, failed moves). @default console.warn */
  onWarning?: (message: string) => void;
}

/** A tier configuration with its capacity resolved to blocks. */
export interface ResolvedTierConfig extends TierConfig {
  capacityBlocks: number;
}

export interface ResolvedEngineConfig {
  model: ModelGeometry;
  blockTokens: number;
  blockBytes: number;
  tiers: ResolvedTierConfig[];
  writePolicy: WritePolicy;
  promotion: PromotionPolicy;
  namespace: string;
  seed: number;
  pinTtlMs: number;
  onWarning: (message: string) => void;
}

const DURABLE = new Set(['flash', 'disk']);
const WRITE_POLICIES: readonly WritePolicy[] = ['write-back', 'write-through'];
const PROMOTIONS: readonly PromotionPolicy[] = ['exclusive', 'inclusive'];
/** The longest delay setTimeout honours; a longer pin TTL would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Checks a configuration and fills in the defaults. */
export function resolveEngineConfig(config: EngineConfig): ResolvedEngineConfig {
  if (config === null || typeof config !== 'object') throw invalidArgument('config', 'an object', config);
  const model = resolveModel(config.model ?? 'llama-3.1-8b');
  const blockTokens = config.blockTokens ?? 512;
  // Checked even when blockBytes is given: keys() splits tokens by it.
  if (!Number.isSafeInteger(blockTokens) || blockTokens <= 0) {
    throw invalidArgument('blockTokens', 'a positive integer', blockTokens);
  }
  const blockBytes = config.blockBytes ?? modelBlockBytes(model, blockTokens);
  if (!Number.isSafeInteger(blockBytes) || blockBytes <= 0 || blockBytes > 2 ** 31) {
    throw invalidArgument('blockBytes', 'a positive integer up to 2 GiB', blockBytes);
  }
  if (!Array.isArray(config.tiers) || config.tiers.length === 0) {
    throw invalidArgument('tiers', 'a non-empty array of tier configurations', config.tiers);
  }
  const dirs = new Set<string>();
  const tiers = config.tiers.map((tier, i): ResolvedTierConfig => {
    if (tier === null || typeof tier !== 'object' || typeof tier.name !== 'string') {
      throw invalidArgument(`tiers[${i}]`, 'a tier configuration with a `name`', tier);
    }
    const capacityBlocks = capacityInBlocks(tier.capacity, blockBytes, `tiers[${i}].capacity`);
    if (capacityBlocks < 1) {
      throw new KvtierError(
        ErrorCode.CONFIG,
        `tier ${i} (${tier.name}) holds no block: capacity ${JSON.stringify(tier.capacity)} is below one block of ${blockBytes} bytes`,
      );
    }
    // Checked here, before any tier is created, with the registry's own spelling rules.
    if (DURABLE.has(canonicalTierName(tier.name))) {
      if (typeof tier.dir !== 'string' || tier.dir === '') {
        throw invalidArgument(`tiers[${i}].dir`, `a directory for the ${tier.name} tier`, tier.dir);
      }
      // "data/x" and "./data/x" are one directory.
      const dir = resolve(tier.dir);
      if (dirs.has(dir)) throw new KvtierError(ErrorCode.CONFIG, `two tiers share the directory ${tier.dir}`);
      dirs.add(dir);
    }
    return { ...tier, capacityBlocks };
  });
  const writePolicy = config.writePolicy ?? 'write-back';
  if (!WRITE_POLICIES.includes(writePolicy)) throw invalidArgument('writePolicy', WRITE_POLICIES.join(' or '), writePolicy);
  const promotion = config.promotion ?? 'exclusive';
  if (!PROMOTIONS.includes(promotion)) throw invalidArgument('promotion', PROMOTIONS.join(' or '), promotion);
  const namespace = config.namespace ?? '';
  if (typeof namespace !== 'string') throw invalidArgument('namespace', 'a string', namespace);
  assertNamespace(namespace, 'namespace');
  const pinTtlMs = config.pinTtlMs ?? 0;
  if (typeof pinTtlMs !== 'number' || !(pinTtlMs >= 0 && pinTtlMs <= MAX_TIMER_MS)) {
    throw invalidArgument('pinTtlMs', `a number of milliseconds in [0, ${MAX_TIMER_MS}]`, pinTtlMs);
  }
  const seed = config.seed ?? 1;
  if (!Number.isSafeInteger(seed)) throw invalidArgument('seed', 'an integer', seed);
  if (config.onWarning !== undefined && typeof config.onWarning !== 'function') {
    throw invalidArgument('onWarning', 'a function', config.onWarning);
  }
  return {
    model,
    blockTokens,
    blockBytes,
    tiers,
    writePolicy,
    promotion,
    namespace,
    seed,
    pinTtlMs,
    onWarning: config.onWarning ?? ((message) => console.warn(`kvtier: ${message}`)),
  };
}
