/**
 * The end-to-end replay case of the replay benchmark, run in a fresh process as `kvtier replay`
 * would be: parse the trace file and replay it with LRU, `runs` times, printing one JSON line
 * `{ seconds, parseSeconds, replaySeconds, cpuSeconds, hits }` (arrays with one entry per run;
 * `seconds` is the wall time of parse + replay, the figure compared with the C simulator). A fresh
 * process matters: after the benchmark has driven every policy through the control plane, its call
 * sites are megamorphic and LRU runs ~1.5× slower than in a process that only ever replays one policy.
 *
 * Usage: node end-to-end-child.js TRACE CAPACITY RUNS
 */
import { loadTrace } from '../../src/traces/registry.js';
import { controlPlaneReplay } from './control-plane-replay.js';

const [tracePath, capacityText, runsText] = process.argv.slice(2);
const seconds: number[] = [];
const parseSeconds: number[] = [];
const replaySeconds: number[] = [];
// User + system CPU of this process: on a shared machine it moves less with the neighbours' load than wall time.
const cpuSeconds: number[] = [];
let hits = 0;
for (let run = 0; run < Number(runsText); run++) {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const trace = await loadTrace(tracePath!);
  const parsed = performance.now();
  hits = controlPlaneReplay(trace, 'lru', Number(capacityText));
  const end = performance.now();
  const cpu = process.cpuUsage(cpuStart);
  seconds.push((end - start) / 1000);
  parseSeconds.push((parsed - start) / 1000);
  replaySeconds.push((end - parsed) / 1000);
  cpuSeconds.push((cpu.user + cpu.system) / 1e6);
}
process.stdout.write(`${JSON.stringify({ seconds, parseSeconds, replaySeconds, cpuSeconds, hits })}\n`);
