/**
 * Replay throughput: `npm run bench -- replay [--json] [--runs N] [--quick] [--case NAME[,NAME…]]`.
 *
 * Cases, all on the example trace repeated to ≥ 2M block references:
 * - control plane only, per policy (lookup + accesses per request, no timing model);
 * - end to end (parse the JSONL file + LRU replay) against a plain C simulator (bench/baselines/
 *   lru-sim.c, compiled with the system C compiler) doing the same on the same file;
 * - the full four-tier replay with the timing model;
 * - the one-pass LRU curve over 7 capacities against 7 separate LRU replays;
 * - a sweep on 1 worker against 2 workers.
 * The C simulator and the control plane must agree on the hit count before anything is timed.
 * `--case` keeps the cases whose name starts with one of the given prefixes (see CASES).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { policyNames } from '../src/policies/registry.js';
import { defaultCurveCapacities, lruCurve } from '../src/replay/lru-curve.js';
import { replay } from '../src/replay/replay.js';
import { expandGrid } from '../src/sweep/grid.js';
import { runSweep } from '../src/sweep/sweep.js';
import { loadTrace } from '../src/traces/registry.js';
import { blockBytes, modelPreset } from '../src/model/geometry.js';
import { renderVegaLiteSvg } from '../src/report/vega-svg.js';
import { controlPlaneReplay } from './lib/control-plane-replay.js';
import { alternatingPairs, listFlag, machineHeader, median, medianOf, printTable, type BenchArgs } from './support.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'mooncake_synthetic_trace.jsonl');
const MIN_REFS = 2_000_000;
const CAPACITY = 8000;
/** Case names, in run order, for `--case`. */
const CASES = ['four-tier-timed', 'control-plane', 'end-to-end', 'curve-7-capacities', 'sweep'] as const;

interface Row {
  name: string;
  policy?: string;
  refsPerSec?: number;
  baselineRefsPerSec?: number;
  ratio?: number;
  workers?: number;
  speedup?: number;
  seconds?: number;
  /** End to end: the median over runs of kvtier's CPU time ÷ the C simulator's, in the same pair of runs. */
  cpuRatio?: number;
  /** End to end: median parse and replay times (s) of the kvtier child, and the C simulator's total. */
  parseSeconds?: number;
  replaySeconds?: number;
  baselineSeconds?: number;
  /** End to end: the child's first run (s), JIT-cold, as a one-off `kvtier replay` is; not in the medians. */
  coldSeconds?: number;
}

function timed(fn: () => void): number {
  const start = performance.now();
  fn();
  return (performance.now() - start) / 1000;
}

export async function run(args: BenchArgs): Promise<void> {
  const prefixes = listFlag(args.rest, '--case');
  const wanted = new Set(CASES.filter((name) => !prefixes || prefixes.some((p) => name.startsWith(p))));
  if (wanted.size === 0) throw new Error(`--case matches none of: ${CASES.join(', ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'kvtier-bench-replay-'));
  try {
    // The example trace repeated, shifting each copy's timestamps past the previous one's.
    const text = readFileSync(EXAMPLE, 'utf8').trimEnd();
    const base = await loadTrace(EXAMPLE);
    const copies = args.quick ? 2 : Math.ceil(MIN_REFS / base.blockRefCount);
    const span = base.timestamps[base.requestCount - 1]! + 1;
    const lines: string[] = [];
    for (let copy = 0; copy < copies; copy++) {
      for (const line of text.split('\n')) {
        lines.push(line.replace(/"timestamp": (\d+(?:\.\d+)?)/, (_, t: string) => `"timestamp": ${Number(t) + copy * span}`));
      }
    }
    const tracePath = join(dir, 'repeated.jsonl');
    writeFileSync(tracePath, `${lines.join('\n')}\n`);
    const trace = await loadTrace(tracePath);
    const refs = trace.blockRefCount;
    const rows: Row[] = [];

    // Four tiers with the timing model, first: after every policy has run, the control plane's call
    // sites are megamorphic and this case runs ~1.6× slower than in a process replaying one config.
    const tiers = [
      { name: 'hbm', capacity: '512blocks' },
      { name: 'ddr', capacity: '4096blocks' },
      { name: 'flash', capacity: '16384blocks' },
      { name: 'disk', capacity: '65536blocks' },
    ];
    if (wanted.has('four-tier-timed')) {
      replay({ trace, model: 'llama-3.1-8b', tiers, opt: false });
      const fourTier = await medianOf(args.runs, () => refs / timed(() => replay({ trace, model: 'llama-3.1-8b', tiers, opt: false })));
      rows.push({ name: 'four-tier-timed', policy: 'lru', refsPerSec: fourTier });
    }

    // Control plane alone, per policy.
    for (const policy of wanted.has('control-plane') ? policyNames().filter((p) => p !== 'opt') : []) {
      controlPlaneReplay(trace, policy, CAPACITY); // warm-up
      const rate = await medianOf(args.runs, () => refs / timed(() => controlPlaneReplay(trace, policy, CAPACITY)));
      rows.push({ name: 'control-plane', policy, refsPerSec: rate });
    }

    // End to end: parse + LRU, against the C simulator.
    if (wanted.has('end-to-end')) {
      const simulator = join(dir, 'lru-sim');
      execFileSync('cc', ['-O2', '-o', simulator, join(ROOT, 'bench', 'baselines', 'lru-sim.c')]);
      const [cRefs, cHits] = runC(simulator, tracePath);
      const ourHits = controlPlaneReplay(trace, 'lru', CAPACITY);
      if (cRefs !== refs || cHits !== ourHits) {
        throw new Error(`the C simulator disagrees: ${cHits}/${cRefs} hits vs kvtier's ${ourHits}/${refs}`);
      }
      const pairs = await endToEndPairs(simulator, tracePath, args.runs);
      if (pairs.hits !== ourHits) throw new Error(`the end-to-end child counted ${pairs.hits} hits, the control plane ${ourHits}`);
      const endToEnd = median(pairs.runs.map((p) => p.seconds));
      const cSeconds = median(pairs.runs.map((p) => p.cSeconds));
      rows.push({
        name: 'end-to-end',
        policy: 'lru',
        refsPerSec: refs / endToEnd,
        baselineRefsPerSec: refs / cSeconds,
        ratio: median(pairs.runs.map((p) => p.seconds / p.cSeconds)),
        cpuRatio: median(pairs.runs.map((p) => p.cpuSeconds / p.cCpuSeconds)),
        parseSeconds: median(pairs.runs.map((p) => p.parseSeconds)),
        replaySeconds: median(pairs.runs.map((p) => p.replaySeconds)),
        baselineSeconds: cSeconds,
        coldSeconds: pairs.coldSeconds,
      });
    }

    // One-pass curve vs separate replays at the same 7 capacities.
    if (wanted.has('curve-7-capacities')) {
      const capacities = defaultCurveCapacities(trace.uniqueBlocks, 7);
      const curveSec = await medianOf(args.runs, () => timed(() => lruCurve(trace, capacities)));
      const separateSec = await medianOf(args.runs, () => timed(() => capacities.forEach((c) => controlPlaneReplay(trace, 'lru', c))));
      rows.push({ name: 'curve-7-capacities', policy: 'lru', seconds: curveSec, ratio: separateSec / curveSec });
    }

    // Sweep speed-up from 1 to 2 workers.
    if (wanted.has('sweep')) {
      const configs = expandGrid(
        { policy: ['lru', 's3fifo', 'arc', 'fifo'], capacityScale: [0.25, 0.5, 1, 2], layout: { two: ['hbm=1000blocks', 'ddr=8000blocks'] } },
        'bench grid',
        (model) => blockBytes(modelPreset(model), trace.blockTokens),
      );
      // Pairs of sweeps on 1 and on 2 workers, alternating which goes first (as for end to end): the
      // speed-up is the median of the per-pair ratios, so a slow moment of the machine hits both sides.
      const sweepSec = async (workers: number) => (await runSweep({ tracePath, configs, workers, opt: false })).wallSec;
      const pairs = await alternatingPairs(Math.min(args.runs, 5), () => sweepSec(1), () => sweepSec(2));
      rows.push({ name: 'sweep', workers: 2, speedup: median(pairs.map((p) => p.a / p.b)), seconds: median(pairs.map((p) => p.b)) });
    }

    const chartAt = args.rest.indexOf('--chart');
    if (chartAt >= 0) await writeChart(args.rest[chartAt + 1] ?? 'bench-replay.svg', rows);
    if (args.json) {
      console.log(JSON.stringify(rows, null, 2));
      return;
    }
    console.log(machineHeader());
    console.log(`# ${refs} block references (${copies} × example trace), capacity ${CAPACITY} blocks, medians of ${args.runs}`);
    printTable(
      rows.map((r) => ({
        case: r.name,
        policy: r.policy ?? '',
        'M refs/s': r.refsPerSec !== undefined ? r.refsPerSec / 1e6 : '',
        'baseline M refs/s': r.baselineRefsPerSec !== undefined ? r.baselineRefsPerSec / 1e6 : '',
        seconds: r.seconds ?? '',
        ratio: r.ratio ?? r.speedup ?? '',
      })),
    );
    const ms = (sec: number) => `${(sec * 1000).toFixed(1)} ms`;
    for (const r of rows) {
      if (r.parseSeconds === undefined || r.replaySeconds === undefined || r.baselineSeconds === undefined) continue;
      console.log(`# end to end, medians: parse ${ms(r.parseSeconds)}, LRU replay ${ms(r.replaySeconds)}; C simulator ${ms(r.baselineSeconds)} in all`);
      console.log(`# end to end, ratio = median of per-pair kvtier ÷ C (runs alternate); CPU-time ratio ${r.cpuRatio!.toFixed(2)}; kvtier's first, JIT-cold run ${ms(r.coldSeconds!)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One run of the C simulator: [refs, hits, seconds, cpuSeconds]. */
function runC(simulator: string, tracePath: string): number[] {
  return execFileSync(simulator, [tracePath, String(CAPACITY)], { encoding: 'utf8' }).trim().split(' ').map(Number);
}

interface EndToEndRun {
  seconds: number;
  parseSeconds: number;
  replaySeconds: number;
  cpuSeconds: number;
  hits: number;
}

/**
 * `runs` pairs of end-to-end runs, the C simulator's and kvtier's (in one fresh child process, see
 * end-to-end-child.ts) one after the other, alternating which goes first, so a pair sees one moment
 * of a noisy machine and its ratio means something even when the machine's speed drifts between
 * pairs. The child's first run (JIT-cold) and a second one are warm-ups, outside the pairs.
 */
async function endToEndPairs(simulator: string, tracePath: string, runs: number) {
  const child = spawn(process.execPath, [join(HERE, 'lib', 'end-to-end-child.js'), tracePath, String(CAPACITY)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const answers = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const ours = async (): Promise<EndToEndRun> => {
    child.stdin.write('run\n');
    const answer = await answers.next();
    if (answer.done) throw new Error('the end-to-end child exited early');
    return JSON.parse(answer.value) as EndToEndRun;
  };
  try {
    const cold = await ours();
    await ours();
    const pairs = await alternatingPairs(runs, () => runC(simulator, tracePath), ours);
    const paired = pairs.map(({ a: [, , cSeconds, cCpuSeconds], b: run }) => ({ ...run, cSeconds: cSeconds!, cCpuSeconds: cCpuSeconds! }));
    return { runs: paired, hits: cold.hits, coldSeconds: cold.seconds };
  } finally {
    child.stdin.end();
  }
}

/** `--chart FILE`: the throughput rows as a bar chart (SVG), for the README. */
async function writeChart(path: string, rows: readonly Row[]): Promise<void> {
  const values = rows.flatMap((r) => {
    if (r.refsPerSec === undefined) return [];
    const label = r.name === 'control-plane' ? `control plane, ${r.policy}` : `${r.name}, ${r.policy}`;
    const bars = [{ label, who: 'kvtier', mRefsPerSec: r.refsPerSec / 1e6 }];
    if (r.baselineRefsPerSec !== undefined) bars.push({ label, who: 'C simulator', mRefsPerSec: r.baselineRefsPerSec / 1e6 });
    return bars;
  });
  const svg = await renderVegaLiteSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Replay throughput, M block references/s (2.07M references)',
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'label', type: 'nominal', sort: null, title: null },
      yOffset: { field: 'who' },
      x: { field: 'mRefsPerSec', type: 'quantitative', title: 'M refs/s' },
      color: { field: 'who', type: 'nominal', title: null },
    },
    width: 420,
  });
  writeFileSync(path, svg);
}
