/** The control-plane-only LRU replay the replay benchmark times, shared with its end-to-end child process. */
import { ControlPlane } from '../../src/engine/control-plane.js';
import type { ReplayTrace } from '../../src/replay/replay-trace.js';

const NO_MOVES = { move(): void {} };

/** Drives the control plane over the whole trace (a prefix lookup, then an access per block); returns the prefix hits. */
export function controlPlaneReplay(trace: ReplayTrace, policy: string, capacityBlocks: number): number {
  const control = new ControlPlane({ tiers: [{ capacityBlocks, policy }] }, NO_MOVES);
  const { ids, offsets } = trace;
  let hits = 0;
  for (let r = 0; r < trace.requestCount; r++) {
    const start = offsets[r]!;
    const end = offsets[r + 1]!;
    hits += control.lookupPrefix(ids, start, end);
    for (let i = start; i < end; i++) control.access(ids[i]!);
  }
  return hits;
}
