/**
 * Belady/OPT with bypass, under the prefix rule, for one tier of C blocks: the offline upper bound.
 *
 * Definition (what kvtier reports as "opt"): requests are replayed in file order with the same
 * lookup rule as every policy (DESIGN.md section 4). On each access the cache knows, for every
 * block, the position of its next reference. A hit is touched; a missed block is admitted only if
 * its next use comes sooner than that of the block OPT would evict (otherwise it bypasses the
 * cache); the victim is the cached block whose next use is farthest in the future, ties broken by
 * evicting the block deepest in its prefix chain first (see src/policies/opt.ts).
 */
import { ControlPlane } from '../engine/control-plane.js';
import type { OptPolicy } from '../policies/opt.js';
import { blockTokenCount, totalRefs, type ReplayTrace } from './replay-trace.js';

/** OPT's hit counts at one capacity. */
export interface OptResult {
  capacityBlocks: number;
  hitBlocks: number;
  blockHitRatio: number;
  hitTokens: number;
  tokenHitRatio: number;
}

const NO_SINK = { move(): void {} };

/** Replays the trace under OPT with bypass at `capacityBlocks`. */
export function optHitRatio(trace: ReplayTrace, capacityBlocks: number): OptResult {
  const refs = totalRefs(trace);
  const nextRef = nextReferences(trace);
  const nextUse = new Float64Array(trace.uniqueBlocks).fill(Infinity);
  const control = new ControlPlane(
    { tiers: [{ capacityBlocks, policy: 'opt' }], nextUse: (id) => nextUse[id]! },
    NO_SINK,
  );
  const policy = control.policies[0] as OptPolicy;
  let hitBlocks = 0;
  let hitTokens = 0;
  let totalTokens = 0;
  for (let r = 0; r < trace.requestCount; r++) {
    const start = trace.offsets[r]!;
    const end = trace.offsets[r + 1]!;
    const input = trace.inputLengths[r]!;
    totalTokens += input;
    const prefix = control.lookupPrefix(trace.ids, start, end);
    hitBlocks += prefix;
    for (let i = 0; i < prefix; i++) hitTokens += blockTokenCount(i, end - start, input, trace.blockTokens);
    for (let i = start; i < end; i++) {
      const id = trace.ids[i]!;
      nextUse[id] = nextRef[i]!;
      if (control.has(id)) {
        policy.touch(id);
        continue;
      }
      // Bypass: a block needed later than every cached block would only displace a better one.
      if (control.used[0]! >= capacityBlocks && !policy.shouldAdmit(id)) continue;
      if (i > start) control.setParent(id, trace.ids[i - 1]!);
      control.insert(id);
    }
  }
  return {
    capacityBlocks,
    hitBlocks,
    blockHitRatio: refs > 0 ? hitBlocks / refs : 0,
    hitTokens,
    tokenHitRatio: totalTokens > 0 ? hitTokens / totalTokens : 0,
  };
}

/** For each reference position, the position of the next reference to the same block (Infinity if none). */
export function nextReferences(trace: ReplayTrace): Float64Array {
  const refs = totalRefs(trace);
  const next = new Float64Array(refs);
  const seen = new Float64Array(trace.uniqueBlocks).fill(Infinity);
  const base = trace.offsets[0]!;
  for (let i = base + refs - 1; i >= base; i--) {
    const id = trace.ids[i]!;
    next[i - base] = seen[id]!;
    seen[id] = i - base;
  }
  return next;
}
