/** Chart: block hit ratio against capacity, one line per policy, with the Belady/OPT bound. */
import { policyLabel, totalCapacityBlocks, type ReportRuns } from '../report-input.js';
import { chartFrame, scaleFor, type ChartSpec, type MissingChart } from './chart.js';

const TITLE = 'Hit ratio vs capacity';

const REPLAY = 'replay';
const OPT = 'OPT (Belady) bound';
const CURVE = 'LRU curve, one tier';

interface Point {
  series: string;
  kind: string;
  capacityBlocks: number;
  blockHitRatio: number;
}

/**
 * A sweep plots each run at its total capacity (all tiers), one line per policy (and per trace
 * when the sweep mixes traces), plus every run's OPT bound at the capacity it was computed for
 * (`opt.capacityBlocks`). A single replay plots its one-pass LRU curve when it has one, its own
 * point, and its OPT bound.
 */
export function hitRatioChart({ single, runs }: ReportRuns): ChartSpec | MissingChart {
  const id = 'chart-hit-ratio';
  if (runs.length === 0) return { id, title: TITLE, reason: 'the sweep has no runs' };
  const traces = new Set(runs.map((run) => run.result.config.trace));
  const suffix = (trace: string): string => (traces.size > 1 ? ` · ${trace}` : '');
  const points: Point[] = [];
  const seenOpt = new Set<string>();
  for (const { result } of runs) {
    const trace = result.config.trace;
    if (single && result.curve) {
      for (const p of result.curve) {
        points.push({ series: CURVE, kind: CURVE, capacityBlocks: p.capacityBlocks, blockHitRatio: p.blockHitRatio });
      }
    }
    const series = single ? `${policyLabel(result)} (this replay)` : policyLabel(result) + suffix(trace);
    points.push({ series, kind: REPLAY, capacityBlocks: totalCapacityBlocks(result), blockHitRatio: result.overall.blockHitRatio });
    if (result.opt) {
      const optSeries = `OPT${suffix(trace)}`;
      const key = `${optSeries}\u0000${result.opt.capacityBlocks}`;
      if (!seenOpt.has(key)) {
        seenOpt.add(key);
        points.push({ series: optSeries, kind: OPT, capacityBlocks: result.opt.capacityBlocks, blockHitRatio: result.opt.blockHitRatio });
      }
    }
  }
  const kinds = [REPLAY, OPT, CURVE].filter((kind) => points.some((p) => p.kind === kind));
  const caption = single
    ? 'Block hit ratio against cache capacity in blocks. The point is this replay at its total capacity (all tiers); ' +
      'the OPT point is the Belady bound for one tier of the capacity it was computed at; the LRU curve, when recorded, ' +
      'is a one-pass LRU simulation of a single tier under the prefix rule.'
    : 'Block hit ratio of every run against its total capacity in blocks (all tiers), one line per policy. ' +
      'Dashed: the Belady/OPT bound, one tier of the capacity each run computed it at.';
  return {
    id,
    title: TITLE,
    caption,
    spec: {
      ...chartFrame('Block hit ratio against capacity per policy, with the OPT bound'),
      data: { values: points },
      encoding: {
        x: {
          field: 'capacityBlocks',
          type: 'quantitative',
          title: 'Capacity (blocks)',
          scale: scaleFor(points.map((p) => p.capacityBlocks)),
        },
        y: { field: 'blockHitRatio', type: 'quantitative', title: 'Block hit ratio', axis: { format: '.0%' } },
        color: { field: 'series', type: 'nominal', title: 'Series', sort: null },
        // Series names already say which line is OPT or the curve; a dash legend would repeat them.
        strokeDash: {
          field: 'kind',
          type: 'nominal',
          legend: null,
          scale: { domain: kinds, range: kinds.map((k) => (k === OPT ? [6, 4] : k === CURVE ? [2, 2] : [1, 0])) },
        },
      },
      layer: [
        { mark: { type: 'line', strokeWidth: 2 } },
        { transform: [{ filter: { field: 'kind', equal: REPLAY } }], mark: { type: 'point', filled: true, size: 70 } },
        // OPT as a hollow diamond, so a run that reaches the bound still shows both marks.
        {
          transform: [{ filter: { field: 'kind', equal: OPT } }],
          mark: { type: 'point', shape: 'diamond', filled: false, strokeWidth: 2, size: 110 },
          encoding: { strokeDash: { value: [1, 0] } },
        },
      ],
    },
  };
}
