/**
 * The storage-tier interface of the data plane. A tier stores whole blocks by key; it makes no
 * policy decisions (the engine's control plane decides what lives where). Memory tiers keep
 * blocks in arena slots; durable tiers (flash, disk) keep them in LMDB or files, each stored with
 * its checksum and verified on every read, and published only once completely written.
 */
import type { DeviceModel } from '../hardware/device.js';

/** A block key: 32 lowercase hex characters (128 bits of a chained hash). */
export type BlockKey = string;

/**
 * The value of each lowercase hex digit, by character code: a lookup rather than a comparison, as
 * a hash's letters and digits mix at random and a branch on them mispredicts (encoding 8 headers
 * took 3.5 µs with the comparison, 2.4 with the table).
 */
const HEX_DIGIT_VALUE = new Uint8Array(128);
for (let digit = 0; digit < 16; digit++) HEX_DIGIT_VALUE[digit.toString(16).charCodeAt(0)] = digit;

/**
 * The value of the hex digit at `index` of a well-formed key (see isBlockKey): what the durable
 * header and the slot records store a key as. Cheaper than a parse through Buffer, a call into
 * C++ per key.
 */
export function keyDigit(key: BlockKey, index: number): number {
  return HEX_DIGIT_VALUE[key.charCodeAt(index)]!;
}

/** What a tier stores about a block besides its bytes (and what recovery reads back). */
export interface BlockRecord {
  readonly key: BlockKey;
  /** The previous block of the prefix chain, or null for the first block. */
  readonly parent: BlockKey | null;
  /** Namespace (tenant) the block belongs to. */
  readonly namespace: string;
  /** Payload length in bytes. */
  readonly length: number;
  /** XXH3-64 (seed 0) of the payload. */
  readonly checksum: bigint;
}

/** I/O counters of one tier, as measured (not modelled). */
export interface TierIoStats {
  reads: number;
  writes: number;
  deletes: number;
  bytesRead: number;
  bytesWritten: number;
  /** Reads whose bytes did not match the stored checksum (served as misses). */
  checksumErrors: number;
  /** Failed reads or writes (LMDB, fs). */
  ioErrors: number;
  /**
   * Times the tier forced written bytes to stable storage: an fdatasync/fsync of a file or a
   * directory, or an LMDB commit or environment sync that waited for the disk.
   */
  syncs: number;
  /** Wall-clock milliseconds spent in this tier's I/O. */
  wallMs: number;
}

export type TierKind = 'memory' | 'durable';

/**
 * How hard a durable tier works to survive a crash. `fast`: a write resolves once the OS has the
 * bytes (they survive a process crash, not a power cut) and flush() forces them to storage;
 * `synced`: a write resolves only once its bytes are on stable storage (fsync).
 */
export type Durability = 'fast' | 'synced';

/** One storage tier. */
export interface Tier {
  /** Tier name as configured, e.g. "hbm", "ddr", "flash", "disk". */
  readonly name: string;
  readonly kind: TierKind;
  /** Largest payload the tier accepts, bytes. */
  readonly blockBytes: number;
  /** How many blocks fit. */
  readonly capacityBlocks: number;
  /** The device model that times this tier's transfers. */
  readonly device: DeviceModel;
  /**
   * Stores a block. Two-phase: the block becomes visible to `read`/`scan` only once all its bytes
   * are written; a failed write leaves no trace that could be served.
   */
  write(record: BlockRecord, bytes: Uint8Array): Promise<void>;
  /**
   * Copies a block into `dst` (at least `record.length` bytes) and returns its record, or null
   * when the block is absent, damaged or fails its checksum (counted, never served).
   */
  read(key: BlockKey, dst: Uint8Array): Promise<BlockRecord | null>;
  /** Whether the tier holds the key (no verification). */
  has(key: BlockKey): boolean;
  /** Removes a block; a no-op when absent. */
  delete(key: BlockKey): Promise<void>;
  /** Every stored block's record, for rebuilding the index on reopen (durable tiers; memory tiers yield none). */
  scan(): AsyncIterable<BlockRecord>;
  /** Makes completed writes durable (as durable as the tier's sync mode promises). */
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): TierIoStats;
}

/** A memory tier additionally exposes zero-copy views of its blocks. */
export interface MemoryTier extends Tier {
  readonly kind: 'memory';
  /** A zero-copy view of a stored block's payload, or null when absent. */
  view(key: BlockKey): Uint8Array | null;
}

export function isMemoryTier(tier: Tier): tier is MemoryTier {
  return tier.kind === 'memory';
}

/** Fresh zeroed I/O counters. */
export function emptyIoStats(): TierIoStats {
  return { reads: 0, writes: 0, deletes: 0, bytesRead: 0, bytesWritten: 0, checksumErrors: 0, ioErrors: 0, syncs: 0, wallMs: 0 };
}
