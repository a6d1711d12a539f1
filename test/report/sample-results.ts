/** Small hand-made replay results for the report tests (not from a real replay: the report only formats them). */
import type { Percentiles, ReplayResult, TierReplayStats } from '../../src/replay/result.js';
import type { SweepRun } from '../../src/report/report-input.js';

function percentiles(p50: number, p90: number, p99: number, mean: number): Percentiles {
  return { p50, p90, p99, mean };
}

function tier(name: string, device: string, capacityBlocks: number, hitBlocks: number, policy: string): TierReplayStats {
  return {
    name,
    device,
    capacityBlocks,
    policy,
    blocks: 1000,
    hitBlocks,
    blockHitRatio: hitBlocks / 1000,
    tokens: 500_000,
    hitTokens: hitBlocks * 512,
    tokenHitRatio: (hitBlocks * 512) / 500_000,
    inserts: 400,
    promotionsIn: 0,
    promotionsOut: 0,
    demotionsIn: name === 'ddr' ? 120 : 0,
    demotionsOut: name === 'hbm' ? 120 : 0,
    evictions: 90,
    drops: 0,
    bytesRead: hitBlocks * 64 * 2 ** 20,
    bytesWritten: 400 * 64 * 2 ** 20,
    busySec: 1.25,
    effectiveBytesPerSec: 2.5e10,
    peakBlocks: capacityBlocks,
  };
}

/** A two-tier replay (hbm over ddr) with every optional field: curve, OPT, TTFT samples and occupancy. */
export function sampleReplay(overrides: { trace?: string; policy?: string; hbmBlocks?: number; hitScale?: number } = {}): ReplayResult {
  const policy = overrides.policy ?? 'lru';
  const hbmBlocks = overrides.hbmBlocks ?? 256;
  const scale = overrides.hitScale ?? 1;
  const hbmHits = Math.round(300 * scale);
  const ddrHits = Math.round(120 * scale);
  const hit = hbmHits + ddrHits;
  const withCache: number[] = [];
  const withoutCache: number[] = [];
  for (let i = 0; i < 200; i++) {
    withoutCache.push(0.05 + (i % 20) * 0.01);
    withCache.push(i % 3 === 0 ? 0.05 + (i % 20) * 0.01 : 0.01 + (i % 7) * 0.002);
  }
  const occupancy: { atSec: number; blocks: number[] }[] = [];
  for (let s = 0; s <= 60; s++) occupancy.push({ atSec: s * 10, blocks: [Math.min(hbmBlocks, s * 12), Math.min(512, Math.max(0, s - 20) * 20)] });
  return {
    config: {
      trace: overrides.trace ?? 'mooncake-small.jsonl',
      model: 'llama-3.1-8b',
      gpu: 'h100-sxm',
      blockTokens: 512,
      blockBytes: 64 * 2 ** 20,
      payload: 'none',
      writePolicy: 'write-back',
      promotion: 'on-hit',
      tiers: [
        { name: 'hbm', capacityBlocks: hbmBlocks, policy, device: 'h100-hbm3' },
        { name: 'ddr', capacityBlocks: 512, policy, device: 'ddr5-pcie5' },
      ],
      seed: 7,
    },
    requests: 100,
    overall: { blocks: 1000, hitBlocks: hit, blockHitRatio: hit / 1000, tokens: 500_000, hitTokens: hit * 512, tokenHitRatio: (hit * 512) / 500_000 },
    tiers: { hbm: tier('hbm', 'h100-hbm3', hbmBlocks, hbmHits, policy), ddr: tier('ddr', 'ddr5-pcie5', 512, ddrHits, policy) },
    links: [{ name: 'pcie5-x16', between: ['hbm', 'ddr'], bytes: 9.1e9, busySec: 0.42 }],
    independentReference: { hitBlocks: hit + 30, blockHitRatio: (hit + 30) / 1000 },
    opt: { capacityBlocks: hbmBlocks, hitBlocks: 470, blockHitRatio: 0.47, tokenHitRatio: 0.46 },
    ttft: { withCache: percentiles(0.02, 0.2, 0.24, 0.07), withoutCache: percentiles(0.14, 0.23, 0.24, 0.145) },
    gpu: { prefillSecWithCache: 8.5, prefillSecWithoutCache: 14.5, secSaved: 6, costSavedUsd: 0.005 },
    recomputedRequests: 0,
    bypassedBlocks: 0,
    durationSec: 600,
    wall: { seconds: 0.02, blockRefsPerSec: 50_000 },
    curve: [64, 128, 256, 512, 1024].map((capacityBlocks, i) => ({
      capacityBlocks,
      blockHitRatio: 0.1 + i * 0.08,
      tokenHitRatio: 0.09 + i * 0.08,
    })),
    ttftSamples: { withCache, withoutCache },
    occupancy,
  };
}

/** A sweep of two policies over three top-tier capacities. */
export function sampleSweep(): SweepRun[] {
  const runs: SweepRun[] = [];
  for (const policy of ['lru', 's3fifo']) {
    for (const [i, hbmBlocks] of [128, 256, 512].entries()) {
      runs.push({
        label: `${policy}, ${hbmBlocks} blocks`,
        params: { policy, hbmBlocks },
        result: sampleReplay({ policy, hbmBlocks, hitScale: 0.8 + i * 0.15 + (policy === 's3fifo' ? 0.05 : 0) }),
      });
    }
  }
  return runs;
}
