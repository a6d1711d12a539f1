/**
 * The end-to-end replay case of the replay benchmark, run in a fresh process as `kvtier replay`
 * would be: parse the trace file and replay it with LRU, `runs` times, printing one JSON line
 * `{ seconds: number[], hits }`. A fresh process matters: after the benchmark has driven every
 * policy through the control plane, its call sites are megamorphic and LRU runs ~1.5× slower than
 * in a process that only ever replays one policy.
 *
 * Usage: node end-to-end-child.js TRACE CAPACITY RUNS
 */
import { loadTrace } from '../../src/traces/registry.js';
import { controlPlaneReplay } from './control-plane-replay.js';

const [tracePath, capacityText, runsText] = process.argv.slice(2);
const seconds: number[] = [];
let hits = 0;
for (let run = 0; run < Number(runsText); run++) {
  const start = performance.now();
  const trace = await loadTrace(tracePath!);
  hits = controlPlaneReplay(trace, 'lru', Number(capacityText));
  seconds.push((performance.now() - start) / 1000);
}
process.stdout.write(`${JSON.stringify({ seconds, hits })}\n`);
