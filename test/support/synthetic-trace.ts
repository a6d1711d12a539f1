/** Small random traces with prefix sharing, for exactness tests (a seeded generator, no I/O). */
import type { ReplayTrace } from '../../src/replay/replay-trace.js';

/** Mulberry32: a tiny seeded PRNG so every generated trace is reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Requests as plain arrays of block ids (chains that share prefixes, like conversations). */
export function randomRequests(seed: number, requests: number, maxBlocks = 12): number[][] {
  const random = prng(seed);
  const chains: number[][] = [];
  let next = 0;
  const out: number[][] = [];
  for (let r = 0; r < requests; r++) {
    let ids: number[];
    if (chains.length > 0 && random() < 0.7) {
      const base = chains[Math.floor(random() * chains.length)]!;
      const keep = Math.floor(random() * (base.length + 1));
      ids = base.slice(0, keep);
    } else {
      ids = [];
    }
    const extra = 1 + Math.floor(random() * maxBlocks);
    for (let i = 0; i < extra; i++) ids.push(next++);
    chains.push(ids);
    out.push(ids);
  }
  return out;
}

/** Packs requests into the columnar replay form; input lengths make the last block partial. */
export function toReplayTrace(requests: number[][], blockTokens = 16): ReplayTrace {
  const offsets = new Uint32Array(requests.length + 1);
  const flat: number[] = [];
  const remap = new Map<number, number>();
  requests.forEach((ids, r) => {
    for (const id of ids) {
      if (!remap.has(id)) remap.set(id, remap.size);
      flat.push(remap.get(id)!);
    }
    offsets[r + 1] = flat.length;
  });
  return {
    requestCount: requests.length,
    timestamps: Float64Array.from(requests, (_, r) => r * 10),
    inputLengths: Float64Array.from(requests, (ids) => ids.length * blockTokens - (ids.length > 0 ? 3 : 0)),
    outputLengths: Float64Array.from(requests, () => 8),
    offsets,
    ids: Int32Array.from(flat),
    uniqueBlocks: remap.size,
    blockTokens,
  };
}

/**
 * The reference: a plain LRU of `capacity` blocks under the prefix rule (DESIGN.md section 4),
 * written independently of the engine with a Map (insertion order = recency).
 */
export function referenceLru(trace: ReplayTrace, capacity: number): { hitBlocks: number; hitTokens: number } {
  const cache = new Map<number, true>();
  let hitBlocks = 0;
  let hitTokens = 0;
  for (let r = 0; r < trace.requestCount; r++) {
    const ids = Array.from(trace.ids.subarray(trace.offsets[r]!, trace.offsets[r + 1]!));
    let prefix = 0;
    while (prefix < ids.length && cache.has(ids[prefix]!)) prefix++;
    hitBlocks += prefix;
    for (let i = 0; i < prefix; i++) {
      hitTokens += i === ids.length - 1 ? trace.inputLengths[r]! - trace.blockTokens * (ids.length - 1) : trace.blockTokens;
    }
    for (const id of ids) {
      if (cache.has(id)) cache.delete(id);
      else if (cache.size >= capacity) cache.delete(cache.keys().next().value!);
      cache.set(id, true);
    }
  }
  return { hitBlocks, hitTokens };
}
