/**
 * The piscina worker of a sweep: loads the trace once per worker thread (re-opened from its path
 * and format, since only plain data crosses the thread boundary) and runs one replay per task.
 */
import type { LoadedTrace } from '../traces/loaded-trace.js';
import { openTrace } from '../traces/registry.js';
import { replay } from '../replay/replay.js';
import type { ReplayResult } from '../replay/result.js';
import type { SweepConfig } from './grid.js';

/** One task: a trace reference and one grid point. */
export interface SweepTask {
  tracePath: string;
  traceFormat?: string;
  config: SweepConfig;
  opt: boolean;
  curve: number[] | null;
}

const traces = new Map<string, Promise<LoadedTrace>>();

function loadOnce(path: string, format: string | undefined): Promise<LoadedTrace> {
  const key = `${format ?? ''}\0${path}`;
  let trace = traces.get(key);
  if (!trace) {
    trace = openTrace(path, format ? { format } : {}).load();
    traces.set(key, trace);
  }
  return trace;
}

/** Runs one grid point. */
export default async function runSweepTask(task: SweepTask): Promise<ReplayResult> {
  const trace = await loadOnce(task.tracePath, task.traceFormat);
  const { config } = task;
  return replay({
    trace,
    traceName: task.tracePath,
    model: config.model,
    gpu: config.gpu,
    tiers: config.tiers,
    writePolicy: config.writePolicy,
    promotion: config.promotion,
    seed: config.seed,
    opt: task.opt,
    ...(task.curve ? { curve: task.curve } : {}),
    ttftSamples: 2000,
  });
}
