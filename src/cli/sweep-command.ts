/** `kvtier sweep TRACE --grid FILE`: a grid of replays on a worker pool, merged into JSON and HTML. */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ErrorCode, KvtierError } from '../errors.js';
import { blockBytes, modelPreset } from '../model/geometry.js';
import { renderHtmlReport } from '../report/html-report.js';
import { loadGrid } from '../sweep/grid.js';
import { runSweep } from '../sweep/sweep.js';
import { openTrace } from '../traces/registry.js';
import { progressBar } from './progress.js';
import { table } from './replay-table.js';

interface SweepFlags {
  grid: string;
  workers?: string;
  traceFormat?: string;
  out?: string;
  report?: string;
  format: string;
  opt: boolean;
  quiet?: boolean;
}

export function registerSweepCommand(program: Command): void {
  program
    .command('sweep')
    .description('replay a trace under every configuration of a grid, in parallel, and merge the results')
    .argument('<trace>', 'trace file')
    .requiredOption('--grid <file>', 'grid of policies × capacities × layouts × hardware (YAML or JSON)')
    .option('--workers <n>', 'worker threads (default: the number of cores)')
    .option('--trace-format <name>', 'trace format (default: detected)')
    .option('--out <file.json>', 'write the merged results as JSON')
    .option('--report <file.html>', 'write an HTML report with charts')
    .option('--format <format>', 'table or json on stdout', 'table')
    .option('--no-opt', 'skip the Belady/OPT bounds')
    .option('--quiet', 'no progress bar')
    .action(async (tracePath: string, flags: SweepFlags) => {
      if (flags.format !== 'table' && flags.format !== 'json') {
        throw new KvtierError(ErrorCode.CONFIG, `expected --format table or json, got "${flags.format}"`);
      }
      const workers = flags.workers === undefined ? undefined : Number(flags.workers);
      if (workers !== undefined && (!Number.isSafeInteger(workers) || workers < 1)) {
        throw new KvtierError(ErrorCode.CONFIG, `expected a positive whole number for --workers, got "${flags.workers}"`);
      }
      // Fail on a bad trace before starting the pool.
      const reader = openTrace(tracePath, flags.traceFormat ? { format: flags.traceFormat } : {});
      const configs = await loadGrid(flags.grid, (model) => blockBytes(modelPreset(model), reader.blockTokens));
      const progress = progressBar(`sweeping ${configs.length} configurations`, !flags.quiet);
      const result = await runSweep({
        tracePath,
        ...(flags.traceFormat ? { traceFormat: flags.traceFormat } : {}),
        configs,
        ...(workers !== undefined ? { workers } : {}),
        opt: flags.opt,
        onProgress: progress.report,
      }).finally(() => progress.done());
      const json = `${JSON.stringify(result, null, 2)}\n`;
      if (flags.out) await writeFile(flags.out, json);
      if (flags.report) await writeFile(flags.report, await renderHtmlReport(result.entries));
      if (flags.format === 'json') {
        process.stdout.write(json);
        return;
      }
      const rows = [['configuration', 'block hit', 'token hit', 'OPT block hit', 'TTFT p50', 'GPU s saved']];
      for (const entry of result.entries) {
        const r = entry.result;
        rows.push([
          entry.label,
          `${(r.overall.blockHitRatio * 100).toFixed(2)}%`,
          `${(r.overall.tokenHitRatio * 100).toFixed(2)}%`,
          r.opt ? `${(r.opt.blockHitRatio * 100).toFixed(2)}%` : '',
          `${(r.ttft.withCache.p50 * 1000).toFixed(1)} ms`,
          r.gpu.secSaved.toFixed(1),
        ]);
      }
      process.stdout.write(`${table(rows)}\n\n${result.entries.length} configurations on ${result.workers} workers in ${result.wallSec.toFixed(2)} s\n`);
    });
}
