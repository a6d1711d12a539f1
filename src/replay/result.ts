/** The plain, serialisable result of one replay: what `kvtier replay --format json` prints. */
import type { ControlTierCounters } from '../engine/control-plane.js';

/** Block and token counts with their ratios. */
export interface HitCounts {
  /** Block references (every block of every request). */
  blocks: number;
  /** Blocks of the cached prefixes (DESIGN.md section 4). */
  hitBlocks: number;
  blockHitRatio: number;
  /** Input tokens of every request. */
  tokens: number;
  /** Tokens of the hit blocks (a request's last block counts its partial length). */
  hitTokens: number;
  tokenHitRatio: number;
}

/** One tier's share of the replay. */
export interface TierReplayStats extends HitCounts, Omit<ControlTierCounters, 'copiesIn'> {
  name: string;
  device: string;
  capacityBlocks: number;
  policy: string;
  /** Bytes read from / written to this tier (true block size, whatever the payload mode). */
  bytesRead: number;
  bytesWritten: number;
  /** Seconds this tier's device spent busy under the hardware model. */
  busySec: number;
  /** Bytes served / modelled transfer time including queueing, bytes per second. */
  effectiveBytesPerSec: number;
  /** Peak number of blocks held. */
  peakBlocks: number;
}

/** Traffic on the link above a tier (between tier i-1 and tier i). */
export interface LinkReplayStats {
  name: string;
  between: [string, string];
  bytes: number;
  busySec: number;
}

/** Percentiles of a distribution, seconds. */
export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

/** The full result of a replay. */
export interface ReplayResult {
  /** What was replayed, and how. */
  config: {
    trace: string;
    model: string;
    gpu: string;
    blockTokens: number;
    blockBytes: number;
    payload: string;
    writePolicy: string;
    promotion: string;
    tiers: { name: string; capacityBlocks: number; policy: string; device: string }[];
    seed: number;
  };
  requests: number;
  /** Prefix-rule hits (DESIGN.md section 4): a block after the first miss never counts. */
  overall: HitCounts;
  /** Per tier: hits counted in the tier where the block was found. */
  tiers: Record<string, TierReplayStats>;
  links: LinkReplayStats[];
  /**
   * Independent-reference block hit ratio: every cached block counts, ignoring the prefix rule,
   * comparable with general cache simulators such as libCacheSim.
   */
  independentReference: { hitBlocks: number; blockHitRatio: number };
  /**
   * Belady/OPT with bypass, prefix rule, as one tier of the hierarchy's total capacity: the bound
   * on the overall (any-tier) hit ratio. Absent when not computed.
   */
  opt?: { capacityBlocks: number; hitBlocks: number; blockHitRatio: number; tokenHitRatio: number };
  /** Time to first token per request, with the cache and with prefill of everything. */
  ttft: { withCache: Percentiles; withoutCache: Percentiles };
  /** GPU time and its cost, with and without the cache. */
  gpu: { prefillSecWithCache: number; prefillSecWithoutCache: number; secSaved: number; costSavedUsd: number };
  /** Requests that recomputed their hits because loading them would have been slower than prefill. */
  recomputedRequests: number;
  /** Block insertions skipped because the top tier was full of pinned blocks (decode pins only). */
  bypassedBlocks: number;
  /** Virtual duration of the trace, seconds. */
  durationSec: number;
  /** Wall-clock time of the replay and its speed. */
  wall: { seconds: number; blockRefsPerSec: number };
  /** Optional one-pass LRU hit-ratio curve (prefix rule, one tier). */
  curve?: { capacityBlocks: number; blockHitRatio: number; tokenHitRatio: number }[];
  /** Per-request TTFT samples (seconds), kept for reports; may be subsampled. */
  ttftSamples?: { withCache: number[]; withoutCache: number[] };
  /** Tier occupancy over virtual time, sampled: [seconds, blocks per tier...]. */
  occupancy?: { atSec: number; blocks: number[] }[];
}
