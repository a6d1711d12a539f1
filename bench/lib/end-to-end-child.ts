/**
 * The end-to-end replay case of the replay benchmark, run in a fresh process as `kvtier replay`
 * would be: each line read on stdin starts one run (parse the trace file, replay it with LRU), and
 * each run answers one JSON line `{ seconds, parseSeconds, replaySeconds, cpuSeconds, hits }`.
 * `seconds` is the wall time of parse + replay, the figure compared with the C simulator; the
 * parent alternates the C program's runs with this process's, so both see the same moments of a
 * noisy machine. A fresh process matters: after the benchmark has driven every policy through the
 * control plane, its call sites are megamorphic and LRU runs ~1.5× slower than in a process that
 * only ever replays one policy.
 *
 * Usage: node end-to-end-child.js TRACE CAPACITY
 */
import { createInterface } from 'node:readline';
import { loadTrace } from '../../src/traces/registry.js';
import { controlPlaneReplay } from './control-plane-replay.js';

const [tracePath, capacityText] = process.argv.slice(2);

for await (const _ of createInterface({ input: process.stdin })) {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const trace = await loadTrace(tracePath!);
  const parsed = performance.now();
  const hits = controlPlaneReplay(trace, 'lru', Number(capacityText));
  const end = performance.now();
  // User + system CPU of this process: on a shared machine it moves less with the neighbours' load than wall time.
  const cpu = process.cpuUsage(cpuStart);
  const run = {
    seconds: (end - start) / 1000,
    parseSeconds: (parsed - start) / 1000,
    replaySeconds: (end - parsed) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    hits,
  };
  process.stdout.write(`${JSON.stringify(run)}\n`);
}
