/**
 * The whole LRU hit-ratio curve in one pass, under the prefix rule, for one tier.
 *
 * LRU has the inclusion property: a cache of C blocks holds exactly the C most recently used
 * distinct blocks, whatever the history. So block k of a request is a hit at capacity C iff every
 * block 0..k of the request has a stack distance ≤ C at lookup time, i.e. iff the running
 * maximum m_k of the distances is ≤ C. One pass computes m_k for every reference (a Fenwick tree
 * over last-access positions gives each distance in O(log n)); a histogram of m_k then answers
 * "hit blocks at every capacity" — the same counts as a separate LRU replay at each capacity.
 */
import { blockTokenCount, totalRefs, type ReplayTrace } from './replay-trace.js';

/** One point of the curve. */
export interface CurvePoint {
  capacityBlocks: number;
  hitBlocks: number;
  blockHitRatio: number;
  hitTokens: number;
  tokenHitRatio: number;
}

/** Hit counts of an LRU cache at each of `capacities` (blocks), from one pass over the trace. */
export function lruCurve(trace: ReplayTrace, capacities: readonly number[]): CurvePoint[] {
  const refs = totalRefs(trace);
  const tree = new Int32Array(refs + 1); // Fenwick tree over access times 1..refs
  const lastAccess = new Int32Array(trace.uniqueBlocks); // 0 = never
  // Histograms indexed by running-max stack distance (1..uniqueBlocks); overflow = never a hit.
  const blockHistogram = new Float64Array(trace.uniqueBlocks + 2);
  const tokenHistogram = new Float64Array(trace.uniqueBlocks + 2);
  const never = trace.uniqueBlocks + 1;
  let time = 0;
  let marks = 0;
  let totalTokens = 0;

  for (let r = 0; r < trace.requestCount; r++) {
    const start = trace.offsets[r]!;
    const end = trace.offsets[r + 1]!;
    const n = end - start;
    const input = trace.inputLengths[r]!;
    totalTokens += input;
    // Lookup: every distance is measured before any of this request's accesses.
    let runningMax = 0;
    for (let i = start; i < end; i++) {
      if (runningMax !== never) {
        const last = lastAccess[trace.ids[i]!]!;
        const distance = last === 0 ? never : marks - prefixSum(tree, last - 1);
        if (distance > runningMax) runningMax = distance;
      }
      blockHistogram[runningMax]!++;
      tokenHistogram[runningMax]! += blockTokenCount(i - start, n, input, trace.blockTokens);
    }
    // Accesses, in order: each block moves to the top of the recency stack.
    for (let i = start; i < end; i++) {
      const id = trace.ids[i]!;
      const last = lastAccess[id]!;
      if (last !== 0) add(tree, last, -1);
      else marks++;
      time++;
      add(tree, time, 1);
      lastAccess[id] = time;
    }
  }

  // Cumulative sums: hits at capacity C = references whose running max distance ≤ C.
  const cumBlocks = new Float64Array(never + 1);
  const cumTokens = new Float64Array(never + 1);
  for (let d = 1; d <= never; d++) {
    cumBlocks[d] = cumBlocks[d - 1]! + blockHistogram[d]!;
    cumTokens[d] = cumTokens[d - 1]! + tokenHistogram[d]!;
  }
  return capacities.map((capacity) => {
    const c = Math.max(0, Math.min(Math.floor(capacity), never - 1));
    const hitBlocks = cumBlocks[c]!;
    const hitTokens = cumTokens[c]!;
    return {
      capacityBlocks: capacity,
      hitBlocks,
      blockHitRatio: refs > 0 ? hitBlocks / refs : 0,
      hitTokens,
      tokenHitRatio: totalTokens > 0 ? hitTokens / totalTokens : 0,
    };
  });
}

/** Capacities spread geometrically from 1% to 100% of the unique blocks (the default curve). */
export function defaultCurveCapacities(uniqueBlocks: number, points = 7): number[] {
  const low = Math.max(1, Math.round(uniqueBlocks * 0.01));
  const high = Math.max(low, uniqueBlocks);
  const out = new Set<number>();
  for (let i = 0; i < points; i++) out.add(Math.round(low * (high / low) ** (i / Math.max(1, points - 1))));
  return [...out];
}

/** Number of marks at positions 1..i. */
function prefixSum(tree: Int32Array, i: number): number {
  let sum = 0;
  for (; i > 0; i -= i & -i) sum += tree[i]!;
  return sum;
}

function add(tree: Int32Array, i: number, delta: number): void {
  for (; i < tree.length; i += i & -i) tree[i]! += delta;
}
