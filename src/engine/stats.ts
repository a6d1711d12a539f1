/** The engine's `stats()` snapshot: per-tier and overall counters as plain typed objects. */
import type { Tier } from '../tiers/tier.js';
import type { ControlPlane, ControlTierCounters } from './control-plane.js';
import type { DataPlaneCounters } from './data-plane.js';
import type { KeyTable } from './key-table.js';

/** Counters the engine keeps outside the control and data planes. */
export interface EngineCounters {
  hits: Float64Array;
  misses: Float64Array;
  lookups: number;
  lookupBlocks: number;
  hitBlocks: number;
  puts: number;
  prefetch: PrefetchStats;
  pins: { acquired: number; released: number; leaked: number; expired: number };
  recovered: number;
  recoveryDropped: number;
  lostBlocks: number;
}

/** Prefetch outcomes, so skipped or wasted prefetches are never silent. */
export interface PrefetchStats {
  requested: number;
  started: number;
  alreadyInTop: number;
  skipped: number;
  /** Prefetched blocks evicted from the top tier before any acquire used them. */
  revoked: number;
  /** Prefetched blocks later acquired. */
  used: number;
}

/** Counters of one tier: the control plane's block counters plus measured I/O. */
export interface TierStats extends ControlTierCounters {
  name: string;
  kind: 'memory' | 'durable';
  capacityBlocks: number;
  usedBlocks: number;
  /** Looked-up blocks found in this tier (and not in a higher one). */
  hits: number;
  /** Looked-up blocks that reached this tier and were not found in it. */
  misses: number;
  bytesRead: number;
  bytesWritten: number;
  /**
   * Promotions out of this tier served from the staged copy of a demotion still landing in it:
   * no device read, so neither in `bytesRead` nor in `modelledSec`.
   */
  stagedReads: number;
  /** Transfer time of this tier's reads and writes under its hardware model, seconds. */
  modelledSec: number;
  /** Measured wall-clock time in this tier's I/O, milliseconds. */
  wallMs: number;
  checksumErrors: number;
  ioErrors: number;
  /** Times this tier forced written bytes to stable storage (fdatasync, fsync, a synced LMDB commit). */
  syncs: number;
}

/** What `KvCache.stats()` returns. */
export interface EngineStats {
  tiers: TierStats[];
  lookups: number;
  lookupBlocks: number;
  hitBlocks: number;
  blockHitRatio: number;
  puts: number;
  cachedBlocks: number;
  prefetch: PrefetchStats;
  pins: { acquired: number; released: number; leaked: number; expired: number };
  /** Moves that failed (I/O or checksum); their blocks were dropped, never served. */
  failedMoves: number;
  lostBlocks: number;
  recovered: number;
  recoveryDropped: number;
  /** Bytes held by the key index's arrays. */
  indexBytes: number;
}

export function buildStats(
  tiers: readonly Tier[],
  control: ControlPlane,
  data: DataPlaneCounters,
  counters: EngineCounters,
  table: KeyTable,
): EngineStats {
  const controlCounters = control.counterSnapshot();
  return {
    tiers: tiers.map((tier, i) => {
      const io = tier.stats();
      return {
        name: tier.name,
        kind: tier.kind,
        capacityBlocks: control.capacity[i]!,
        usedBlocks: control.used[i]!,
        hits: counters.hits[i]!,
        misses: counters.misses[i]!,
        ...controlCounters[i]!,
        bytesRead: data.bytesRead[i]!,
        bytesWritten: data.bytesWritten[i]!,
        stagedReads: data.stagedReads[i]!,
        modelledSec: data.modelledSec[i]!,
        wallMs: io.wallMs,
        checksumErrors: io.checksumErrors,
        ioErrors: io.ioErrors,
        syncs: io.syncs,
      };
    }),
    lookups: counters.lookups,
    lookupBlocks: counters.lookupBlocks,
    hitBlocks: counters.hitBlocks,
    blockHitRatio: counters.lookupBlocks > 0 ? counters.hitBlocks / counters.lookupBlocks : 0,
    puts: counters.puts,
    cachedBlocks: table.size,
    prefetch: { ...counters.prefetch },
    pins: { ...counters.pins },
    failedMoves: data.failedMoves,
    lostBlocks: counters.lostBlocks,
    recovered: counters.recovered,
    recoveryDropped: counters.recoveryDropped,
    indexBytes: table.byteSize(),
  };
}
