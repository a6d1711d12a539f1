/** `kvtier replay TRACE`: parses flags, loads the trace, runs the replay, prints a table or JSON. */
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { ErrorCode, KvtierError } from '../errors.js';
import { renderHtmlReport } from '../report/html-report.js';
import { parsePayload, replayWithPayload } from '../replay/payload-replay.js';
import { replay, type ReplayOptions } from '../replay/replay.js';
import type { ReplayResult } from '../replay/result.js';
import { openTrace } from '../traces/registry.js';
import { progressBar } from './progress.js';
import { renderReplayTable } from './replay-table.js';
import { DEFAULT_TIERS, applyPolicyFlags, collect, parseTierFlag } from './tier-options.js';

/** Flags of `kvtier replay`, as commander hands them over. */
interface ReplayFlags {
  traceFormat?: string;
  model: string;
  gpu: string;
  tier?: string[];
  policy?: string[];
  writePolicy: string;
  promotion: string;
  payload: string;
  format: string;
  report?: string;
  curve?: string | boolean;
  opt: boolean;
  decodePins?: boolean;
  seed: string;
  utilisation: string;
  allowUnsortedTimestamps?: boolean;
  quiet?: boolean;
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description('replay a trace through the tiered cache and report hit ratios, traffic, TTFT and savings')
    .argument('<trace>', 'trace file (Mooncake JSONL, or another format: see --trace-format)')
    .option('--trace-format <name>', 'trace format (default: detected from the first line)')
    .option('--model <name>', 'model preset (decides the block size)', 'llama-3.1-8b')
    .option('--gpu <name>', 'GPU preset (prefill speed, cost)', 'h100')
    .option('--tier <name=size[:dir]>', `a tier, top first; repeat per tier (default: ${DEFAULT_TIERS.join(' ')})`, collect)
    .option('--policy <[tier=]name>', 'eviction policy for every tier, or tier=name for one; repeatable', collect)
    .option('--write-policy <name>', 'write-back or write-through', 'write-back')
    .option('--promotion <name>', 'exclusive or inclusive', 'exclusive')
    .option('--payload <mode>', 'none (metadata only) or bytes=N (N real bytes per block through the real tiers)', 'none')
    .option('--format <format>', 'table or json', 'table')
    .option('--report <file.html>', 'also write an HTML report with charts')
    .option('--curve [capacities]', 'one-pass LRU hit-ratio curve: comma-separated capacities in blocks, or a default spread')
    .option('--no-opt', 'skip the Belady/OPT bound')
    .option('--decode-pins', 'keep each request\'s blocks pinned during its modelled decode (changes LRU results)')
    .option('--seed <n>', 'seed for randomised policies', '1')
    .option('--utilisation <ratio>', 'fraction of peak FLOP/s a prefill reaches', '0.5')
    .option('--allow-unsorted-timestamps', 'warn instead of failing on timestamps that go backwards')
    .option('--quiet', 'no progress bar')
    .action(async (tracePath: string, flags: ReplayFlags) => {
      const result = await runReplayCommand(tracePath, flags);
      if (flags.report) await writeFile(flags.report, await renderHtmlReport(result));
      process.stdout.write(flags.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : `${renderReplayTable(result)}\n`);
    });
}

async function runReplayCommand(tracePath: string, flags: ReplayFlags): Promise<ReplayResult> {
  if (flags.format !== 'table' && flags.format !== 'json') {
    throw new KvtierError(ErrorCode.CONFIG, `expected --format table or json, got "${flags.format}"`);
  }
  const tiers = applyPolicyFlags((flags.tier ?? [...DEFAULT_TIERS]).map(parseTierFlag), flags.policy ?? []);
  const reader = openTrace(tracePath, {
    ...(flags.traceFormat ? { format: flags.traceFormat } : {}),
    ...(flags.allowUnsortedTimestamps ? { allowUnsortedTimestamps: true } : {}),
  });
  const trace = await reader.load();
  const progress = progressBar('replaying', !flags.quiet);
  const options: ReplayOptions = {
    trace,
    traceName: basename(tracePath),
    model: flags.model,
    gpu: flags.gpu,
    tiers: tiers.map((t) => ({ name: t.name, capacity: t.capacity, ...(t.policy ? { policy: t.policy } : {}), ...(t.dir ? { dir: t.dir } : {}) })),
    writePolicy: flags.writePolicy as ReplayOptions['writePolicy'],
    promotion: flags.promotion as ReplayOptions['promotion'],
    seed: parseNumber(flags.seed, '--seed'),
    utilisation: parseNumber(flags.utilisation, '--utilisation'),
    pinDuringDecode: flags.decodePins === true,
    opt: flags.opt,
    ...(flags.curve !== undefined ? { curve: parseCurve(flags.curve) } : {}),
    onProgress: progress.report,
  };
  try {
    const payload = parsePayload(flags.payload);
    return payload === null ? replay(options) : await replayWithPayload(options, payload);
  } finally {
    progress.done();
  }
}

function parseCurve(value: string | boolean): number[] | true {
  if (value === true) return true;
  const capacities = String(value)
    .split(',')
    .map((part) => parseNumber(part.trim().replace(/blocks?$/i, ''), '--curve'));
  if (capacities.some((c) => !Number.isSafeInteger(c) || c < 1)) {
    throw new KvtierError(ErrorCode.CONFIG, `expected --curve to list positive block counts, got "${value}"`);
  }
  return capacities;
}

function parseNumber(value: string, flag: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) {
    throw new KvtierError(ErrorCode.CONFIG, `expected a number for ${flag}, got "${value}"`);
  }
  return number;
}
