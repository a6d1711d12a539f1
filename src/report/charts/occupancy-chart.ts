/** Chart: how full each tier was over the replay's virtual time. */
import type { ReportRuns } from '../report-input.js';
import { chartFrame, type ChartSpec, type MissingChart } from './chart.js';

const TITLE = 'Tier occupancy over time';

/** Time points per line: enough to show warm-up and churn, few enough to keep the SVG small. */
const MAX_TIME_POINTS = 500;

/** Occupancy of every tier as a fraction of its capacity, from a single replay's `occupancy` samples. */
export function occupancyChart({ single, runs }: ReportRuns): ChartSpec | MissingChart {
  const id = 'chart-occupancy';
  if (!single) return { id, title: TITLE, reason: 'occupancy over time is drawn for single replays, not sweeps' };
  const result = runs[0]!.result;
  const samples = result.occupancy;
  if (!samples || samples.length === 0) return { id, title: TITLE, reason: 'this result recorded no occupancy samples' };
  const tiers = result.config.tiers;
  const stride = Math.ceil(samples.length / MAX_TIME_POINTS);
  const rows: { atSec: number; tier: string; fraction: number }[] = [];
  for (let s = 0; s < samples.length; s += stride) {
    const sample = samples[s]!;
    tiers.forEach((tier, t) => {
      if (tier.capacityBlocks > 0) rows.push({ atSec: sample.atSec, tier: tier.name, fraction: (sample.blocks[t] ?? 0) / tier.capacityBlocks });
    });
  }
  return {
    id,
    title: TITLE,
    caption:
      'Blocks held by each tier as a fraction of its capacity, over the virtual time of the trace' +
      (stride > 1 ? ` (one sample in ${stride} of ${samples.length.toLocaleString('en-US')}).` : '.'),
    spec: {
      ...chartFrame('Tier occupancy over time'),
      data: { values: rows },
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
      encoding: {
        x: { field: 'atSec', type: 'quantitative', title: 'Trace time (s)' },
        y: { field: 'fraction', type: 'quantitative', title: 'Occupancy (share of capacity)', axis: { format: '.0%' } },
        color: { field: 'tier', type: 'nominal', title: 'Tier', sort: tiers.map((t) => t.name) },
      },
    },
  };
}
