import { describe, expect, it } from 'vitest';
import { ControlPlane } from '../../src/engine/control-plane.js';
import { lruCurve } from '../../src/replay/lru-curve.js';
import { randomRequests, referenceLru, toReplayTrace } from '../support/synthetic-trace.js';

describe('one-pass LRU curve', () => {
  it('matches a reference LRU at every capacity on random prefix-sharing traces', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const trace = toReplayTrace(randomRequests(seed, 400));
      const capacities = [1, 2, 5, 10, 25, 60, 150, 400, trace.uniqueBlocks];
      const curve = lruCurve(trace, capacities);
      capacities.forEach((capacity, i) => {
        const reference = referenceLru(trace, capacity);
        expect(curve[i]!.hitBlocks, `seed ${seed} capacity ${capacity}`).toBe(reference.hitBlocks);
        expect(curve[i]!.hitTokens, `seed ${seed} capacity ${capacity}`).toBe(reference.hitTokens);
      });
    }
  });

  it('is worked out by hand on a tiny trace', () => {
    // Requests: [0,1] [0,1,2] [3] [0,1].
    const trace = toReplayTrace([[0, 1], [0, 1, 2], [3], [0, 1]], 4);
    // Capacity 3: r1 hits 0,1 (2); r2 evicts nothing? cache {0,1,2} full, r2 inserts 3 evicting 0;
    // r3 looks up 0 → miss, so 0 hits. Total 2.
    expect(lruCurve(trace, [3])[0]!.hitBlocks).toBe(2);
    // Capacity 4: everything fits: r1 hits 2, r3 hits 2.
    expect(lruCurve(trace, [4])[0]!.hitBlocks).toBe(4);
    // Capacity 1: never a prefix hit (block 0 is always evicted by block 1 of the same request).
    expect(lruCurve(trace, [1])[0]!.hitBlocks).toBe(0);
  });

  it('agrees with the control plane driven as a one-tier LRU', () => {
    const trace = toReplayTrace(randomRequests(9, 300));
    for (const capacity of [3, 17, 80]) {
      const control = new ControlPlane({ tiers: [{ capacityBlocks: capacity, policy: 'lru' }] }, { move() {} });
      let hits = 0;
      for (let r = 0; r < trace.requestCount; r++) {
        const start = trace.offsets[r]!;
        const end = trace.offsets[r + 1]!;
        hits += control.lookupPrefix(trace.ids, start, end);
        for (let i = start; i < end; i++) control.access(trace.ids[i]!);
      }
      expect(hits).toBe(lruCurve(trace, [capacity])[0]!.hitBlocks);
    }
  });
});
