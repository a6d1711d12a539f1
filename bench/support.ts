/** Shared benchmark plumbing: medians of repeated runs, the machine header, table and JSON output. */
import { cpus, totalmem } from 'node:os';

export { formatBytes } from '../src/engine/capacity.js';

/** Parsed common flags of every benchmark. */
export interface BenchArgs {
  /** Print one JSON document instead of a table. */
  json: boolean;
  /** Repetitions per case; the median is reported. @default 5 */
  runs: number;
  /** Smaller workloads, for a quick check (CI smoke runs). */
  quick: boolean;
  /** Remaining arguments, for scenario-specific flags. */
  rest: string[];
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { json: false, runs: 5, quick: false, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') args.json = true;
    else if (arg === '--quick') args.quick = true;
    else if (arg === '--runs') args.runs = Math.max(1, Number.parseInt(argv[++i] ?? '', 10) || 1);
    else args.rest.push(arg);
  }
  return args;
}

/** The value after `flag` in `rest`, split at commas; null when the flag is absent. */
export function listFlag(rest: readonly string[], flag: string): string[] | null {
  const at = rest.indexOf(flag);
  if (at < 0) return null;
  const values = (rest[at + 1] ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
  if (values.length === 0) throw new Error(`${flag} needs a value`);
  return values;
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs `fn` `runs` times and returns the median of what it returns (e.g. a rate). */
export async function medianOf(runs: number, fn: () => number | Promise<number>): Promise<number> {
  const results: number[] = [];
  for (let i = 0; i < runs; i++) results.push(await fn());
  return median(results);
}

/**
 * `count` pairs of runs of two sides, alternating which goes first, so each pair sees one moment
 * of a noisy machine and neither side always runs in the other's wake; a ratio per pair then
 * means something even when the machine's speed drifts between pairs.
 */
export async function alternatingPairs<A, B>(count: number, a: () => A | Promise<A>, b: () => B | Promise<B>): Promise<{ a: A; b: B }[]> {
  const pairs: { a: A; b: B }[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) {
      const first = await a();
      pairs.push({ a: first, b: await b() });
    } else {
      const first = await b();
      pairs.push({ a: await a(), b: first });
    }
  }
  return pairs;
}

/** Nanoseconds since an arbitrary origin, as a number. */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/** One line naming the machine, Node version and date, printed above every result table. */
export function machineHeader(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const gib = (totalmem() / 2 ** 30).toFixed(0);
  return `# ${new Date().toISOString()} · node ${process.version} · ${cpus().length} × ${cpu} · ${gib} GiB`;
}

/** Prints rows as an aligned text table. */
export function printTable(rows: readonly Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const cells = rows.map((row) => columns.map((c) => formatCell(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padStart(widths[i]!)).join('  ');
  console.log(line(columns));
  for (const row of cells) console.log(line(row));
}

function formatCell(value: string | number | undefined): string {
  if (typeof value !== 'number') return value ?? '';
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2);
}
