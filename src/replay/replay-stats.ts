/** Accumulates a replay's counters and turns them into the plain `ReplayResult`. */
import type { ControlTierCounters } from '../engine/control-plane.js';
import type { DeviceModel } from '../hardware/device.js';
import type { GpuModel } from './gpu.js';
import { nearestRankQuantiles } from './order-statistics.js';
import { gpuSavings } from './prefill-model.js';
import type { TransferQueues } from './transfer-queues.js';
import type { CurvePoint } from './lru-curve.js';
import type { OptResult } from './opt.js';
import type { HitCounts, Percentiles, ReplayResult, TierReplayStats } from './result.js';

const OCCUPANCY_POINTS = 200;

/** What the driver hands over when the replay ends. */
export interface ReplayEnd {
  config: ReplayResult['config'];
  tiers: readonly { name: string; capacityBlocks: number; policy: string; device: DeviceModel }[];
  links: readonly { name: string; between: [string, string] }[];
  /** Control-plane counters per tier, top first. */
  counters: readonly ControlTierCounters[];
  queues: TransferQueues;
  blockBytes: number;
  gpu: GpuModel;
  opt?: OptResult;
  curve?: CurvePoint[];
  durationSec: number;
  wallSec: number;
}

/** Counters of one replay, fed per request by the driver. */
export class ReplayStatsCollector {
  /** Block accesses that found no room even after eviction (only with decode pins). */
  bypassed = 0;
  /** Requests that recomputed their hits because loading them was slower. */
  private recomputed = 0;
  private blocks = 0;
  private tokens = 0;
  private requests = 0;
  private independentHits = 0;
  private readonly hitBlocks: Float64Array;
  private readonly hitTokens: Float64Array;
  private readonly peakBlocks: Int32Array;
  private ttftWith: Float64Array;
  private ttftWithout: Float64Array;
  private prefillWithSec = 0;
  private prefillWithoutSec = 0;
  private readonly occupancy: { atSec: number; blocks: number[] }[] = [];
  private readonly occupancyEvery: number;

  constructor(
    tierCount: number,
    private readonly maxSamples: number,
    requestCount: number,
  ) {
    this.hitBlocks = new Float64Array(tierCount);
    this.hitTokens = new Float64Array(tierCount);
    this.peakBlocks = new Int32Array(tierCount);
    this.ttftWith = new Float64Array(Math.max(1, requestCount));
    this.ttftWithout = new Float64Array(Math.max(1, requestCount));
    this.occupancyEvery = Math.max(1, Math.floor(requestCount / OCCUPANCY_POINTS));
  }

  /** One request with `blocks` blocks and `tokens` input tokens. */
  request(blocks: number, tokens: number): void {
    this.blocks += blocks;
    this.tokens += tokens;
  }

  /** One prefix-rule hit found in `tier`, worth `tokens` tokens. */
  hit(tier: number, tokens: number): void {
    this.hitBlocks[tier]!++;
    this.hitTokens[tier]! += tokens;
  }

  /** One access that found its block cached, whatever the prefix rule says. */
  independentHit(): void {
    this.independentHits++;
  }

  /**
   * The request's time to first token with the cache and without it, its prefill seconds with the
   * cache, and whether it recomputed its hits because loading them would have been slower.
   */
  ttft(withCacheSec: number, withoutCacheSec: number, prefillWithCacheSec: number, recomputed: boolean): void {
    if (recomputed) this.recomputed++;
    this.ttftWith[this.requests] = withCacheSec;
    this.ttftWithout[this.requests] = withoutCacheSec;
    this.prefillWithSec += prefillWithCacheSec;
    this.prefillWithoutSec += withoutCacheSec;
    this.requests++;
  }

  sampleOccupancy(atSec: number, used: Int32Array): void {
    for (let t = 0; t < used.length; t++) if (used[t]! > this.peakBlocks[t]!) this.peakBlocks[t] = used[t]!;
    if (this.requests % this.occupancyEvery === 0) this.occupancy.push({ atSec, blocks: Array.from(used) });
  }

  result(end: ReplayEnd): ReplayResult {
    const hitBlocks = sum(this.hitBlocks);
    const hitTokens = sum(this.hitTokens);
    const counters = end.counters;
    const tiers: Record<string, TierReplayStats> = {};
    end.tiers.forEach((tier, t) => {
      const c = counters[t]!;
      const bb = end.blockBytes;
      const copiesOut = t + 1 < counters.length && t === 0 ? counters[t + 1]!.copiesIn : 0;
      const bytesRead = (this.hitBlocks[t]! * (t === 0 ? 1 : 0) + c.promotionsOut + c.demotionsOut + copiesOut) * bb;
      const bytesWritten = (c.inserts + c.promotionsIn + c.demotionsIn + c.copiesIn) * bb;
      const busySec = end.queues.deviceBusySec(t);
      const elapsedSec = end.queues.deviceElapsedSec(t);
      tiers[tier.name] = {
        name: tier.name,
        device: tier.device.name,
        capacityBlocks: tier.capacityBlocks,
        policy: tier.policy,
        ...counts(this.blocks, this.hitBlocks[t]!, this.tokens, this.hitTokens[t]!),
        inserts: c.inserts,
        promotionsIn: c.promotionsIn,
        promotionsOut: c.promotionsOut,
        demotionsIn: c.demotionsIn,
        demotionsOut: c.demotionsOut,
        evictions: c.evictions,
        drops: c.drops,
        bytesRead,
        bytesWritten,
        busySec,
        effectiveBytesPerSec: elapsedSec > 0 ? end.queues.deviceBytes(t) / elapsedSec : 0,
        peakBlocks: this.peakBlocks[t]!,
      };
    });
    const withCache = this.ttftWith.subarray(0, this.requests);
    const withoutCache = this.ttftWithout.subarray(0, this.requests);
    const savings = gpuSavings(end.gpu, this.prefillWithSec, this.prefillWithoutSec);
    return {
      config: end.config,
      requests: this.requests,
      overall: counts(this.blocks, hitBlocks, this.tokens, hitTokens),
      tiers,
      links: end.links.map((link, i) => ({
        name: link.name,
        between: link.between,
        bytes: end.queues.linkBytes(i),
        busySec: end.queues.linkBusySec(i),
      })),
      independentReference: {
        hitBlocks: this.independentHits,
        blockHitRatio: this.blocks > 0 ? this.independentHits / this.blocks : 0,
      },
      ...(end.opt
        ? {
            opt: {
              capacityBlocks: end.opt.capacityBlocks,
              hitBlocks: end.opt.hitBlocks,
              blockHitRatio: end.opt.blockHitRatio,
              tokenHitRatio: end.opt.tokenHitRatio,
            },
          }
        : {}),
      ttft: { withCache: percentiles(withCache), withoutCache: percentiles(withoutCache) },
      gpu: savings,
      recomputedRequests: this.recomputed,
      bypassedBlocks: this.bypassed,
      durationSec: end.durationSec,
      wall: { seconds: end.wallSec, blockRefsPerSec: end.wallSec > 0 ? this.blocks / end.wallSec : 0 },
      ...(end.curve
        ? {
            curve: end.curve.map((p) => ({
              capacityBlocks: p.capacityBlocks,
              blockHitRatio: p.blockHitRatio,
              tokenHitRatio: p.tokenHitRatio,
            })),
          }
        : {}),
      ttftSamples: { withCache: subsample(withCache, this.maxSamples), withoutCache: subsample(withoutCache, this.maxSamples) },
      occupancy: this.occupancy,
    };
  }
}

function counts(blocks: number, hitBlocks: number, tokens: number, hitTokens: number): HitCounts {
  return {
    blocks,
    hitBlocks,
    blockHitRatio: blocks > 0 ? hitBlocks / blocks : 0,
    tokens,
    hitTokens,
    tokenHitRatio: tokens > 0 ? hitTokens / tokens : 0,
  };
}

function sum(values: Float64Array): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** Nearest-rank percentiles of the samples. */
export function percentiles(values: Float64Array): Percentiles {
  if (values.length === 0) return { p50: 0, p90: 0, p99: 0, mean: 0 };
  const [p50, p90, p99] = nearestRankQuantiles(values, [0.5, 0.9, 0.99]);
  return { p50: p50!, p90: p90!, p99: p99!, mean: sum(values) / values.length };
}

function subsample(values: Float64Array, max: number): number[] {
  if (values.length <= max) return Array.from(values);
  const step = values.length / max;
  return Array.from({ length: max }, (_, i) => values[Math.floor(i * step)]!);
}
