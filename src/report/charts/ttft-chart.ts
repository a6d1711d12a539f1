/** Chart: time to first token with and without the cache, as a CDF (single replay) or percentiles per run (sweep). */
import type { ReportRuns } from '../report-input.js';
import { chartFrame, scaleFor, type ChartSpec, type MissingChart } from './chart.js';
import { uniqueLabels } from './hits-by-tier-chart.js';

const TITLE = 'Time to first token';

const WITH_CACHE = 'with cache';
const WITHOUT_CACHE = 'without cache';
/** Points per CDF line: enough for a smooth curve, few enough to keep the SVG small. */
const CDF_POINTS = 300;

/** The empirical CDF of `samples` at no more than `maxPoints` evenly spaced ranks: [seconds, fraction ≤]. */
export function empiricalCdf(samples: readonly number[], maxPoints = CDF_POINTS): [number, number][] {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  if (n === 0) return [];
  const m = Math.min(n, maxPoints);
  const points: [number, number][] = [];
  for (let k = 0; k < m; k++) {
    const i = m === 1 ? n - 1 : Math.round((k * (n - 1)) / (m - 1));
    points.push([sorted[i]!, (i + 1) / n]);
  }
  return points;
}

function cdfChart(withCache: readonly number[], withoutCache: readonly number[]): ChartSpec {
  const rows: { mode: string; seconds: number; fraction: number }[] = [];
  for (const [seconds, fraction] of empiricalCdf(withCache)) rows.push({ mode: WITH_CACHE, seconds, fraction });
  for (const [seconds, fraction] of empiricalCdf(withoutCache)) rows.push({ mode: WITHOUT_CACHE, seconds, fraction });
  return {
    id: 'chart-ttft',
    title: TITLE,
    caption:
      `Distribution of the modelled time to first token over ${withCache.length.toLocaleString('en-US')} sampled requests ` +
      '(empirical CDF). With the cache, loading the hits’ KV overlaps the prefill of the misses layer by layer; ' +
      'without it, every input token is prefilled.',
    spec: {
      ...chartFrame('TTFT distribution with and without the cache'),
      data: { values: rows },
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
      encoding: {
        x: { field: 'seconds', type: 'quantitative', title: 'Time to first token (s)', scale: scaleFor(rows.map((r) => r.seconds)) },
        y: { field: 'fraction', type: 'quantitative', title: 'Fraction of requests', axis: { format: '.0%' } },
        color: { field: 'mode', type: 'nominal', title: null, sort: [WITH_CACHE, WITHOUT_CACHE] },
      },
    },
  };
}

function percentileChart({ runs }: ReportRuns): ChartSpec {
  const labels = uniqueLabels(runs.map((run) => run.label));
  const rows: { run: string; stat: string; mode: string; seconds: number }[] = [];
  runs.forEach(({ result }, i) => {
    for (const [mode, stats] of [
      [WITH_CACHE, result.ttft.withCache],
      [WITHOUT_CACHE, result.ttft.withoutCache],
    ] as const) {
      for (const stat of ['p50', 'p90', 'p99'] as const) rows.push({ run: labels[i]!, stat, mode, seconds: stats[stat] });
    }
  });
  return {
    id: 'chart-ttft',
    title: TITLE,
    caption:
      'Modelled time to first token per run: median, 90th and 99th percentiles, with the cache (filled circles) ' +
      'and with prefill of every token (open squares).',
    spec: {
      ...chartFrame('TTFT percentiles per run with and without the cache', { step: 26 }),
      data: { values: rows },
      encoding: {
        y: { field: 'run', type: 'nominal', title: null, sort: labels, axis: { labelLimit: 260 } },
        x: { field: 'seconds', type: 'quantitative', title: 'Time to first token (s)', scale: scaleFor(rows.map((r) => r.seconds)) },
        color: { field: 'stat', type: 'nominal', title: 'Percentile', sort: ['p50', 'p90', 'p99'] },
        shape: { field: 'mode', type: 'nominal', title: null, scale: { domain: [WITH_CACHE, WITHOUT_CACHE], range: ['circle', 'square'] } },
      },
      // Filled vs hollow marks tell the two modes apart while colour stays free for the percentile.
      layer: [
        { transform: [{ filter: { field: 'mode', equal: WITH_CACHE } }], mark: { type: 'point', size: 70, filled: true } },
        { transform: [{ filter: { field: 'mode', equal: WITHOUT_CACHE } }], mark: { type: 'point', size: 70, strokeWidth: 1.5 } },
      ],
    },
  };
}

/** The TTFT chart: a CDF from a single replay's samples when it kept them, else percentiles per run. */
export function ttftChart(input: ReportRuns): ChartSpec | MissingChart {
  if (input.runs.length === 0) return { id: 'chart-ttft', title: TITLE, reason: 'the sweep has no runs' };
  const samples = input.single ? input.runs[0]!.result.ttftSamples : undefined;
  if (samples && samples.withCache.length > 0 && samples.withoutCache.length > 0) {
    return cdfChart(samples.withCache, samples.withoutCache);
  }
  return percentileChart(input);
}
