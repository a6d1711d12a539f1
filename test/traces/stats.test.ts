import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadMooncakeTrace, MooncakeReader } from '../../src/traces/mooncake-reader.js';
import { openTrace } from '../../src/traces/registry.js';
import { DistanceHistogram, ReuseDistanceTracker } from '../../src/traces/reuse-distance.js';
import { loadedTraceStats, type TraceStats, traceStats } from '../../src/traces/stats.js';
import { EXAMPLE_TRACE, fixture } from './helpers.js';

/** Reuse distances by definition: distinct ids strictly between two references to the same id. */
function bruteForceDistances(ids: number[]): number[] {
  const last = new Map<number, number>();
  const out: number[] = [];
  ids.forEach((id, t) => {
    const previous = last.get(id);
    if (previous !== undefined) {
      let distinct = 0;
      for (const at of last.values()) if (at > previous) distinct++;
      out.push(distinct);
    }
    last.set(id, t);
  });
  return out;
}

describe('traceStats', () => {
  it('matches the hand-worked statistics of a small trace', async () => {
    // References: 1 2 | 1 2 3 | 4 | 1 5 6 | 4 7 | 1 2 (4 tokens a block).
    // Reuse distances: 1 (1), 1 (2), 3 (1: 2 3 4), 3 (4: 1 5 6), 4 (1: 5 6 4 7), 6 (2: 3 4 1 5 6 7).
    // Longest cached prefix per request: 0, 2 (8 tokens), 0, 1 (4), 1 (4), 2 = all (input 7).
    const expected: TraceStats = {
      format: 'mooncake',
      file: fixture('stats-small.jsonl'),
      blockTokens: 4,
      requests: 6,
      firstTimestampMs: 0,
      lastTimestampMs: 50,
      durationMs: 50,
      sessions: null,
      inputTokens: 47,
      outputTokens: 21,
      totalBlocks: 13,
      uniqueBlocks: 7,
      reuseRatio: 6 / 13,
      infiniteCache: { hitBlocks: 6, blockHitRatio: 6 / 13, hitTokens: 23, tokenHitRatio: 23 / 47 },
      reuseDistance: { reuses: 6, p50: 3, p90: 6, p99: 6, max: 6 },
    };
    const reader = new MooncakeReader(fixture('stats-small.jsonl'), { blockTokens: 4 });
    expect(await traceStats(reader)).toEqual(expected);
    expect(loadedTraceStats(reader.loadSync())).toEqual(expected);
  });

  it('counts sessions and handles an empty trace', async () => {
    const stats = await traceStats(openTrace(fixture('bailian-small.jsonl')));
    expect(stats.sessions).toBe(3);
    expect(stats.durationMs).toBe(63000);
    expect(stats.infiniteCache.hitBlocks).toBe(3 + 4);
    const empty = loadedTraceStats({ ...(await openTrace(fixture('bailian-small.jsonl')).load()), requestCount: 0 });
    expect(empty.requests).toBe(0);
    expect(empty.firstTimestampMs).toBeNull();
    expect(empty.reuseRatio).toBe(0);
    expect(empty.reuseDistance).toEqual({ reuses: 0, p50: null, p90: null, p99: null, max: null });
  });

  it('gives stable statistics for the example trace', async () => {
    const stats = loadedTraceStats(loadMooncakeTrace(EXAMPLE_TRACE));
    expect(stats).toEqual({
      format: 'mooncake',
      file: EXAMPLE_TRACE,
      blockTokens: 512,
      requests: 3993,
      firstTimestampMs: 0,
      lastTimestampMs: 1022025,
      durationMs: 1022025,
      sessions: null,
      inputTokens: 61194628,
      outputTokens: 595432,
      totalBlocks: 121877,
      uniqueBlocks: 43924,
      reuseRatio: 1 - 43924 / 121877,
      infiniteCache: {
        hitBlocks: 77953,
        blockHitRatio: 77953 / 121877,
        hitTokens: 39852661,
        tokenHitRatio: 39852661 / 61194628,
      },
      reuseDistance: { reuses: 77953, p50: 6265, p90: 20392, p99: 33941, max: 41186 },
    });
    expect(await traceStats(new MooncakeReader(EXAMPLE_TRACE))).toEqual(stats);
  });
});

describe('ReuseDistanceTracker', () => {
  it('agrees with the definition on random streams', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 300 }), (ids) => {
        const tracker = new ReuseDistanceTracker();
        const got = ids.map((id) => tracker.access(id)).filter((d) => d >= 0);
        expect(got).toEqual(bruteForceDistances(ids));
        expect(tracker.distinctBlocks).toBe(new Set(ids).size);
      }),
      { numRuns: 300 },
    );
  });

  it('stays exact across compactions of its time axis', () => {
    let seed = 1;
    const ids = Array.from({ length: 200_000 }, () => {
      seed = (seed * 48271) % 2147483647;
      return seed % 300;
    });
    const tracker = new ReuseDistanceTracker();
    const got = ids.map((id) => tracker.access(id)).filter((d) => d >= 0);
    expect(got).toEqual(bruteForceDistances(ids));
  });
});

describe('DistanceHistogram', () => {
  it('gives nearest-rank percentiles, exact below 2^16 and within 0.1 % above', () => {
    const histogram = new DistanceHistogram();
    for (const d of [5, 1, 3, 3, 9]) histogram.add(d);
    expect([0.2, 0.4, 0.5, 0.6, 0.9, 1].map((q) => histogram.percentile(q))).toEqual([1, 3, 3, 3, 9, 9]);
    const wide = new DistanceHistogram();
    const big = [65_536, 70_001, 1_000_003, 123_456_789];
    for (const d of big) wide.add(d);
    big.forEach((d, i) => {
      const p = wide.percentile((i + 1) / big.length);
      expect(p).toBeLessThanOrEqual(d);
      expect(p).toBeGreaterThan(d * 0.999);
    });
    expect(wide.max).toBe(123_456_789);
    expect(new DistanceHistogram().percentile(0.5)).toBeNaN();
  });
});
