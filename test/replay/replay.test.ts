import { describe, expect, it } from 'vitest';
import { policyNames } from '../../src/policies/registry.js';
import { replay, type ReplayOptions } from '../../src/replay/replay.js';
import { randomRequests, referenceLru, toReplayTrace } from '../support/synthetic-trace.js';

const oneTier = (trace: ReturnType<typeof toReplayTrace>, capacity: number, policy = 'lru'): ReplayOptions => ({
  trace,
  model: 'llama-3.1-8b',
  tiers: [{ name: 'hbm', capacity: `${capacity}blocks`, policy }],
});

describe('replay driver', () => {
  it('gives every statistic of a hand-worked trace', () => {
    // blockTokens 16; input lengths are 16·n − 3, so each request's last block counts 13 tokens.
    // r0 [0,1]: miss, miss.  r1 [0,1,2]: hits 0,1 (32 tokens).  r2 [3]: miss, evicts 0 (LRU, capacity 3).
    // r3 [0,1]: 0 is gone → no prefix hit; inserting 0 evicts 1, so 1 misses too; inserting 1 evicts 2.
    const trace = toReplayTrace([[0, 1], [0, 1, 2], [3], [0, 1]]);
    const result = replay({ ...oneTier(trace, 3), opt: true });
    expect(result.requests).toBe(4);
    expect(result.overall).toEqual({
      blocks: 8,
      hitBlocks: 2,
      blockHitRatio: 2 / 8,
      tokens: 29 + 45 + 13 + 29,
      hitTokens: 32,
      tokenHitRatio: 32 / 116,
    });
    // Independent reference: only r1's accesses of 0 and 1 find their block cached.
    expect(result.independentReference.hitBlocks).toBe(2);
    expect(result.tiers.hbm!.inserts).toBe(6);
    expect(result.tiers.hbm!.evictions).toBe(3);
    // OPT with bypass at 3 blocks keeps 0 and 1 for r3 (3 is never used again: bypassed).
    expect(result.opt!.hitBlocks).toBe(4);
  });

  it('matches a plain reference LRU exactly with one tier', () => {
    for (const seed of [11, 12, 13]) {
      const trace = toReplayTrace(randomRequests(seed, 500));
      for (const capacity of [1, 7, 40, 200]) {
        const result = replay({ ...oneTier(trace, capacity), opt: false });
        const reference = referenceLru(trace, capacity);
        expect(result.overall.hitBlocks, `seed ${seed} capacity ${capacity}`).toBe(reference.hitBlocks);
        expect(result.overall.hitTokens, `seed ${seed} capacity ${capacity}`).toBe(reference.hitTokens);
      }
    }
  });

  it('never lets an online policy beat OPT', () => {
    const online = policyNames().filter((name) => name !== 'opt');
    for (const seed of [21, 22, 23, 24]) {
      const trace = toReplayTrace(randomRequests(seed, 300));
      for (const capacity of [5, 30, 120]) {
        const opt = replay({ ...oneTier(trace, capacity), opt: true }).opt!;
        for (const policy of online) {
          const result = replay({ ...oneTier(trace, capacity, policy), opt: false });
          expect(result.overall.hitBlocks, `${policy} seed ${seed} capacity ${capacity}`).toBeLessThanOrEqual(opt.hitBlocks);
        }
      }
    }
  });

  it('is deterministic for a seed, and its curve matches separate replays', () => {
    const trace = toReplayTrace(randomRequests(31, 400));
    const options: ReplayOptions = {
      trace,
      model: 'llama-3.1-8b',
      tiers: [
        { name: 'hbm', capacity: '20blocks', policy: 's3fifo' },
        { name: 'ddr', capacity: '60blocks', policy: 'arc' },
        { name: 'flash', capacity: '200blocks', policy: 'lfu' },
      ],
      curve: [5, 50, 500],
    };
    const a = replay(options);
    const b = replay(options);
    expect({ ...a, wall: null }).toEqual({ ...b, wall: null });
    for (const point of a.curve!) {
      const single = replay({ ...oneTier(trace, point.capacityBlocks), opt: false });
      expect(point.blockHitRatio).toBe(single.overall.blockHitRatio);
    }
  });

  it('counts hits by the tier they were found in and moves blocks down and up', () => {
    const trace = toReplayTrace(randomRequests(41, 600));
    const result = replay({
      trace,
      model: 'llama-3.1-8b',
      tiers: [
        { name: 'hbm', capacity: '10blocks' },
        { name: 'ddr', capacity: '40blocks' },
        { name: 'disk', capacity: '400blocks' },
      ],
    });
    const tiers = Object.values(result.tiers);
    expect(tiers.reduce((sum, t) => sum + t.hitBlocks, 0)).toBe(result.overall.hitBlocks);
    expect(result.tiers.ddr!.hitBlocks).toBeGreaterThan(0);
    expect(result.tiers.disk!.hitBlocks).toBeGreaterThan(0);
    expect(result.tiers.hbm!.demotionsOut).toBe(result.tiers.ddr!.demotionsIn);
    expect(result.tiers.ddr!.promotionsOut).toBeGreaterThan(0);
    for (const tier of tiers) expect(tier.peakBlocks).toBeLessThanOrEqual(tier.capacityBlocks);
    // The cache can only help: every request's TTFT with cache is at most its TTFT without.
    expect(result.ttft.withCache.mean).toBeLessThanOrEqual(result.ttft.withoutCache.mean);
    expect(result.gpu.secSaved).toBeGreaterThan(0);
  });

  it('holds blocks pinned during decode when asked', () => {
    const trace = toReplayTrace(randomRequests(51, 200));
    const free = replay({ ...oneTier(trace, 30), opt: false });
    const pinned = replay({ ...oneTier(trace, 30), opt: false, pinDuringDecode: true });
    expect(pinned.overall.blocks).toBe(free.overall.blocks);
    expect(pinned.tiers.hbm!.peakBlocks).toBeLessThanOrEqual(30);
  });
});
