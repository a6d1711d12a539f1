/** The tier registry: builds a tier from a plain spec by name (hbm, ddr, cxl, flash, disk; case-insensitive). */
import { ErrorCode, KvtierError, describeValue, invalidConfig } from '../errors.js';
import type { DeviceModel } from '../hardware/device.js';
import { defaultDeviceFor, resolveDevice } from '../hardware/presets.js';
import type { DamageReporter } from './damage.js';
import type { DurableTierOptions } from './durable-tier.js';
import { FileTier } from './file-tier.js';
import { LmdbTier } from './lmdb-tier.js';
import { ArenaTier } from './memory-tier.js';
import type { Durability, Tier } from './tier.js';

/** A tier described as plain data (what a config file or a sweep worker passes). */
export interface TierSpec {
  /** Tier name, case-insensitive: hbm, ddr, cxl (a ddr tier on the CXL preset), flash (LMDB), disk (segment files). */
  name: string;
  /** Most blocks the tier holds. */
  capacityBlocks: number;
  /** Largest payload, bytes. */
  blockBytes: number;
  /** Directory of a durable tier (flash, disk): required for them, ignored by memory tiers. */
  dir?: string;
  /** Durable tiers only. @default 'fast' */
  durability?: Durability;
  /** Device preset name or custom model. @default the tier's preset (see DEFAULT_TIER_HARDWARE) */
  device?: string | DeviceModel;
  /** Durable tiers only: receives damage reports. @default one console.warn line per damaged block */
  onDamage?: DamageReporter;
  /** Memory tiers: arena bytes allocated at a time. @default 67108864 (64 MiB) */
  chunkBytes?: number;
  /** Memory tiers: copies of at least this size go to the thread pool. @default 4194304 (4 MiB) */
  asyncCopyMinBytes?: number;
  /** flash: initial LMDB map size, bytes. @default derived from capacity */
  mapBytes?: number;
  /** flash: check an existing environment in a child process before opening it (see LmdbTierOptions). @default true */
  verifyOnOpen?: boolean;
  /** disk: segment file size, bytes. @default 268435456 (256 MiB) */
  segmentBytes?: number;
  /** disk: dead share of sealed segments that starts compaction. @default 0.5 */
  compactDeadRatio?: number;
  /** disk: segment read handles kept open. @default 64 */
  maxOpenFiles?: number;
  /** disk: map open segments for one-pass cached reads (see FileTierOptions). @default true */
  mapSegments?: boolean;
}

type TierFactory = (spec: TierSpec, name: string, device: DeviceModel) => Promise<Tier>;

function memoryTier(spec: TierSpec, name: string, device: DeviceModel): Promise<Tier> {
  return Promise.resolve(
    new ArenaTier({
      name,
      device,
      capacityBlocks: spec.capacityBlocks,
      blockBytes: spec.blockBytes,
      ...(spec.chunkBytes !== undefined ? { chunkBytes: spec.chunkBytes } : {}),
      ...(spec.asyncCopyMinBytes !== undefined ? { asyncCopyMinBytes: spec.asyncCopyMinBytes } : {}),
    }),
  );
}

function requireDir(spec: TierSpec, name: string): string {
  if (typeof spec.dir !== 'string' || spec.dir === '') throw invalidConfig('dir', `a directory path for the ${name} tier`, spec.dir);
  return spec.dir;
}

/** The options every durable tier takes, from a spec (absent optional fields stay absent). */
function durableOptions(spec: TierSpec, name: string, device: DeviceModel): DurableTierOptions {
  return {
    name,
    device,
    dir: requireDir(spec, name),
    capacityBlocks: spec.capacityBlocks,
    blockBytes: spec.blockBytes,
    ...(spec.durability !== undefined ? { durability: spec.durability } : {}),
    ...(spec.onDamage !== undefined ? { onDamage: spec.onDamage } : {}),
  };
}

const FACTORIES: Readonly<Record<string, TierFactory>> = Object.freeze({
  hbm: memoryTier,
  ddr: memoryTier,
  cxl: memoryTier,
  flash: (spec, name, device) =>
    LmdbTier.open({
      ...durableOptions(spec, name, device),
      ...(spec.mapBytes !== undefined ? { mapBytes: spec.mapBytes } : {}),
      ...(spec.verifyOnOpen !== undefined ? { verifyOnOpen: spec.verifyOnOpen } : {}),
    }),
  disk: (spec, name, device) =>
    FileTier.open({
      ...durableOptions(spec, name, device),
      ...(spec.segmentBytes !== undefined ? { segmentBytes: spec.segmentBytes } : {}),
      ...(spec.compactDeadRatio !== undefined ? { compactDeadRatio: spec.compactDeadRatio } : {}),
      ...(spec.maxOpenFiles !== undefined ? { maxOpenFiles: spec.maxOpenFiles } : {}),
      ...(spec.mapSegments !== undefined ? { mapSegments: spec.mapSegments } : {}),
    }),
});

/** Every tier name the registry knows, top to bottom of a typical hierarchy. */
export const TIER_NAMES: readonly string[] = Object.freeze(Object.keys(FACTORIES));

/** The canonical (lower-case) form of a tier name; an unknown name throws ERR_CONFIG listing the valid ones. */
export function canonicalTierName(name: unknown): string {
  const canonical = typeof name === 'string' ? name.trim().toLowerCase() : '';
  if (!Object.hasOwn(FACTORIES, canonical)) {
    throw new KvtierError(ErrorCode.CONFIG, `unknown tier name ${describeValue(name)}; valid names: ${TIER_NAMES.join(', ')}`, {
      name,
      valid: TIER_NAMES,
    });
  }
  return canonical;
}

/** Creates (and, for durable tiers, opens) a tier from its spec. Bad specs reject with ERR_CONFIG. */
export async function createTier(spec: TierSpec): Promise<Tier> {
  if (spec === null || typeof spec !== 'object') throw invalidConfig('spec', 'a tier spec object', spec);
  const name = canonicalTierName(spec.name);
  const device = spec.device === undefined ? defaultDeviceFor(name) : resolveDevice(spec.device);
  return FACTORIES[name]!(spec, name, device);
}
