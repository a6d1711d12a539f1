/**
 * Load and leaks: 100,000 mixed operations from 32 concurrent callers on one engine with all four
 * tiers. Capacity is never exceeded, pinned blocks are never evicted (or changed), every block served
 * is exact, and heap and RSS stay flat after warm-up. scripts/soak.mjs runs the same for 1M+.
 */
import { describe, expect, it } from 'vitest';
import { runSoak } from './fixtures/soak.mjs';
import { testSeed } from './support.js';

const OPS = 100_000;

describe('soak: one engine under sustained concurrent load', () => {
  it(`keeps its invariants and a flat heap over ${OPS} operations`, async () => {
    const seed = testSeed();
    const report = await runSoak({ ops: OPS, seed });
    expect(report.violations, `seed ${seed}`).toEqual([]);
    expect(report.ops).toBe(OPS);
    expect(report.counts.errors).toBe(0);
    // Every tier filled up, and none ever held more than its capacity.
    for (const [tier, capacity] of Object.entries(report.capacity)) {
      expect(report.maxUsed[tier], tier).toBe(capacity);
    }
    // The load did reach everything it is meant to check.
    expect(report.counts.pinnedChecks).toBeGreaterThan(10_000);
    expect(report.stats.evictions.every((n) => n > 0)).toBe(true);
    expect(report.stats.pins.acquired).toBe(report.stats.pins.released);
    expect([report.stats.failedMoves, report.stats.lostBlocks, report.stats.checksumErrors, report.stats.ioErrors]).toEqual([0, 0, 0, 0]);

    // Flat after warm-up (the first quarter fills the cache): JS heap and buffers within a few MiB,
    // RSS (which includes LMDB's mapped pages and the allocator's arenas) within a loose bound.
    const warm = report.samples.find((s) => s.at === 0.25)!;
    const end = report.samples.find((s) => s.at === 1)!;
    expect(end.heapUsedMiB + end.arrayBuffersMiB).toBeLessThan(warm.heapUsedMiB + warm.arrayBuffersMiB + 8);
    expect(end.rssMiB).toBeLessThan(warm.rssMiB + 64);
  });
});
