/** `kvtier trace convert|stats|export-libcachesim`: thin wrappers over src/traces. */
import type { Command } from 'commander';
import { convertTrace } from '../traces/convert.js';
import { exportLibCacheSimCsv } from '../traces/libcachesim-export.js';
import { openTrace, traceFormatNames } from '../traces/registry.js';
import { traceStats, type TraceStats } from '../traces/stats.js';
import { table } from './replay-table.js';

interface ReadFlags {
  from?: string;
  blockTokens?: string;
  allowUnsortedTimestamps?: boolean;
}

function readOptions(flags: ReadFlags) {
  return {
    ...(flags.from ? { format: flags.from } : {}),
    ...(flags.blockTokens ? { blockTokens: Number(flags.blockTokens) } : {}),
    ...(flags.allowUnsortedTimestamps ? { allowUnsortedTimestamps: true } : {}),
  };
}

function withReadFlags(command: Command): Command {
  return command
    .option('--from <format>', `input format: ${traceFormatNames().join(', ')} (default: detected)`)
    .option('--block-tokens <n>', "tokens per block of the input (default: the format's own)")
    .option('--allow-unsorted-timestamps', 'warn instead of failing on timestamps that go backwards');
}

export function registerTraceCommand(program: Command): void {
  const trace = program.command('trace').description('inspect and convert traces');

  withReadFlags(trace.command('convert').description('write any supported trace (e.g. a conversation log) as Mooncake JSONL'))
    .argument('<input>', 'input trace')
    .argument('<output>', 'output Mooncake JSONL file')
    .option('--overwrite', 'replace an existing output file')
    .action(async (input: string, output: string, flags: ReadFlags & { overwrite?: boolean }) => {
      const result = await convertTrace(input, output, { ...readOptions(flags), overwrite: flags.overwrite === true });
      process.stdout.write(
        `wrote ${result.requests} requests (${result.blockRefs} block references, ${result.blockTokens} tokens a block) ` +
          `from ${result.format} ${result.input} to ${result.output}\n`,
      );
    });

  withReadFlags(trace.command('stats').description('request count, duration, unique blocks, reuse, reuse distances'))
    .argument('<input>', 'trace file')
    .option('--format <format>', 'table or json', 'table')
    .action(async (input: string, flags: ReadFlags & { format: string }) => {
      const stats = await traceStats(openTrace(input, readOptions(flags)));
      process.stdout.write(flags.format === 'json' ? `${JSON.stringify(stats, null, 2)}\n` : `${renderStats(stats)}\n`);
    });

  withReadFlags(trace.command('export-libcachesim').description("write a libCacheSim CSV (one row per block reference) to cross-check results"))
    .argument('<input>', 'trace file')
    .argument('<output>', 'output CSV')
    .option('--object-bytes <n>', 'obj_size of every row', '1')
    .option('--overwrite', 'replace an existing output file')
    .action(async (input: string, output: string, flags: ReadFlags & { objectBytes: string; overwrite?: boolean }) => {
      const result = await exportLibCacheSimCsv(input, output, {
        ...readOptions(flags),
        objectBytes: Number(flags.objectBytes),
        overwrite: flags.overwrite === true,
      });
      process.stdout.write(`wrote ${result.rows} rows to ${result.output}\nread it with: ${result.command}\n`);
    });
}

function renderStats(s: TraceStats): string {
  const percent = (r: number) => `${(r * 100).toFixed(2)}%`;
  return table([
    ['trace', `${s.file} (${s.format}, ${s.blockTokens} tokens a block)`],
    ['requests', String(s.requests)],
    ['duration', `${(s.durationMs / 1000).toFixed(1)} s`],
    ['sessions', s.sessions === null ? '-' : String(s.sessions)],
    ['input / output tokens', `${s.inputTokens} / ${s.outputTokens}`],
    ['block references', String(s.totalBlocks)],
    ['unique blocks', String(s.uniqueBlocks)],
    ['reuse ratio', percent(s.reuseRatio)],
    ['infinite-cache block hit', percent(s.infiniteCache.blockHitRatio)],
    ['infinite-cache token hit', percent(s.infiniteCache.tokenHitRatio)],
    ['reuse distance p50 / p90 / p99', [s.reuseDistance.p50, s.reuseDistance.p90, s.reuseDistance.p99].map((v) => (v === null ? '-' : String(v))).join(' / ')],
  ]);
}
