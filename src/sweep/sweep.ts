/**
 * Runs a grid of replay configurations on piscina worker threads and merges the results. The
 * trace is parsed once and shared with the workers; a worker runs the configurations of the
 * policies it has already run where it can; OPT depends only on the total capacity, so it is
 * computed once per distinct capacity rather than once per policy.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { ErrorCode, KvtierError } from '../errors.js';
import type { ReplayResult } from '../replay/result.js';
import type { SweepConfig } from './grid.js';
import type { SweepTask } from './worker.js';
import { shareTrace, type ReplayTrace } from '../replay/replay-trace.js';
import { openTrace } from '../traces/registry.js';

/** One finished grid point. */
export interface SweepEntry {
  label: string;
  params: Record<string, string | number>;
  result: ReplayResult;
}

/** Options of `runSweep`. */
export interface SweepOptions {
  tracePath: string;
  traceFormat?: string;
  configs: readonly SweepConfig[];
  /** Worker threads. @default the machine's available parallelism */
  workers?: number;
  /** Compute the OPT bound per distinct capacity. @default true */
  opt?: boolean;
  /** Called as grid points finish. */
  onProgress?: (done: number, total: number) => void;
}

/** The merged output of a sweep. */
export interface SweepResult {
  trace: string;
  workers: number;
  wallSec: number;
  entries: SweepEntry[];
}

/** The compiled worker (dist/), found from this file whether it runs from src/ or dist/src/. */
function workerPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) break;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const path = join(dir, 'dist', 'src', 'sweep', 'worker.js');
  if (!existsSync(path)) {
    throw new KvtierError(ErrorCode.CONFIG, `the sweep worker ${path} is missing: run \`npm run build\` first`);
  }
  return path;
}

/** Runs every configuration, at most `workers` at a time, and returns the results in grid order. */
export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const workers = options.workers ?? availableParallelism();
  if (!Number.isSafeInteger(workers) || workers < 1) {
    throw new KvtierError(ErrorCode.CONFIG, `expected a positive whole number of workers, got ${workers}`);
  }
  const started = performance.now();
  // One single-thread pool per worker, so that `nextTask` decides which worker runs what. The
  // workers start up while the trace is parsed, once, here; they share its columns.
  const filename = workerPath();
  const pools = Array.from(
    { length: Math.min(workers, Math.max(1, options.configs.length)) },
    () => new Piscina({ filename, minThreads: 1, maxThreads: 1, idleTimeout: 1000 }),
  );
  const destroyPools = () => Promise.all(pools.map((pool) => pool.destroy()));
  let trace: ReplayTrace;
  try {
    trace = shareTrace(await openTrace(options.tracePath, options.traceFormat ? { format: options.traceFormat } : {}).load());
  } catch (error) {
    await destroyPools();
    throw error;
  }
  // The first configuration (in grid order) at each capacity computes the OPT bound for all of them.
  const optCapacities = new Set<string>();
  const tasks = options.configs.map((config) => {
    const capacityKey = `${config.model}|${config.tiers.map((t) => t.capacity).join('+')}`;
    const opt = options.opt !== false && !optCapacities.has(capacityKey);
    optCapacities.add(capacityKey);
    const task: SweepTask = { trace, traceName: options.tracePath, config, opt, curve: null };
    return { config, capacityKey, task };
  });
  const results = new Array<ReplayResult>(tasks.length);
  const pending = tasks.map((_, i) => i);
  let done = 0;
  let failed = false;
  try {
    await Promise.all(
      pools.map(async (pool) => {
        let lastPolicy: string | null = null;
        while (pending.length > 0 && !failed) {
          const i = nextTask(pending, (k) => tasks[k]!.config.policy === lastPolicy);
          lastPolicy = tasks[i]!.config.policy;
          try {
            results[i] = (await pool.run(tasks[i]!.task)) as ReplayResult;
          } catch (error) {
            failed = true;
            throw error;
          }
          options.onProgress?.(++done, tasks.length);
        }
      }),
    );
    // Share each capacity's OPT bound with every policy run at that capacity.
    const optByCapacity = new Map(tasks.flatMap(({ capacityKey }, i) => (results[i]!.opt ? [[capacityKey, results[i]!.opt!] as const] : [])));
    return {
      trace: options.tracePath,
      workers,
      wallSec: (performance.now() - started) / 1000,
      entries: tasks.map(({ config, capacityKey }, i) => {
        const result = results[i]!;
        const opt = result.opt ?? optByCapacity.get(capacityKey);
        return { label: config.label, params: config.params, result: opt ? { ...result, opt } : result };
      }),
    };
  } finally {
    await destroyPools();
  }
}

/**
 * Takes the next task for a worker out of `pending` (indices in grid order): the first one `sameAsLast`
 * accepts (the worker's last policy), else the first. A worker that keeps to the policies it has
 * run keeps its JIT-compiled replay code specialised to them, instead of every worker compiling,
 * and deoptimising, its code for every policy of the grid.
 */
function nextTask(pending: number[], sameAsLast: (index: number) => boolean): number {
  const at = Math.max(0, pending.findIndex(sameAsLast));
  return pending.splice(at, 1)[0]!;
}
