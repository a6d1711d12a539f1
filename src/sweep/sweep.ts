/**
 * Runs a grid of replay configurations on a piscina pool and merges the results. The trace is
 * parsed once and shared with the workers; OPT depends only on the total capacity, so it is
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
  // The workers start up while the trace is parsed, once, here; they share its columns.
  const pool = new Piscina({ filename: workerPath(), minThreads: workers, maxThreads: workers, idleTimeout: 1000 });
  let trace: ReplayTrace;
  try {
    trace = shareTrace(await openTrace(options.tracePath, options.traceFormat ? { format: options.traceFormat } : {}).load());
  } catch (error) {
    await pool.destroy();
    throw error;
  }
  const optCapacities = new Set<string>();
  let done = 0;
  try {
    const results = await Promise.all(
      options.configs.map(async (config) => {
        const capacityKey = `${config.model}|${config.tiers.map((t) => t.capacity).join('+')}`;
        const opt = options.opt !== false && !optCapacities.has(capacityKey);
        optCapacities.add(capacityKey);
        const task: SweepTask = {
          trace,
          traceName: options.tracePath,
          config,
          opt,
          curve: null,
        };
        const result = (await pool.run(task)) as ReplayResult;
        options.onProgress?.(++done, options.configs.length);
        return { config, capacityKey, result };
      }),
    );
    // Share each capacity's OPT bound with every policy run at that capacity.
    const optByCapacity = new Map(results.filter((r) => r.result.opt).map((r) => [r.capacityKey, r.result.opt!]));
    return {
      trace: options.tracePath,
      workers,
      wallSec: (performance.now() - started) / 1000,
      entries: results.map(({ config, capacityKey, result }) => {
        const opt = result.opt ?? optByCapacity.get(capacityKey);
        return { label: config.label, params: config.params, result: opt ? { ...result, opt } : result };
      }),
    };
  } finally {
    await pool.destroy();
  }
}
