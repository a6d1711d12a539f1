/**
 * The piscina worker of a sweep: runs one replay per task on the trace the main thread loaded
 * once and shared (SharedArrayBuffer-backed columns, so no worker parses or copies the file).
 */
import { replay } from '../replay/replay.js';
import type { ReplayTrace } from '../replay/replay-trace.js';
import type { ReplayResult } from '../replay/result.js';
import type { SweepConfig } from './grid.js';

/** One task: the shared trace and one grid point (plain, structured-clonable data). */
export interface SweepTask {
  trace: ReplayTrace;
  traceName: string;
  config: SweepConfig;
  opt: boolean;
  curve: number[] | null;
}

/** Runs one grid point. */
export default function runSweepTask(task: SweepTask): ReplayResult {
  const { config } = task;
  return replay({
    trace: task.trace,
    traceName: task.traceName,
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
