/** Chart: where each run's block references were served, as stacked bars of hits per tier plus misses. */
import type { ReportRuns } from '../report-input.js';
import { chartFrame, type ChartSpec, type MissingChart } from './chart.js';

const TITLE = 'Hits by tier';

const MISS = 'miss';
/** Tableau-10 for tiers (top tier first) and a light grey for misses. */
const TIER_COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const MISS_COLOR = '#d9d9d9';

/** Run labels made unique, so two runs that share a label still get their own bar. */
export function uniqueLabels(labels: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return labels.map((label) => {
    const count = (seen.get(label) ?? 0) + 1;
    seen.set(label, count);
    return count === 1 ? label : `${label} (#${count})`;
  });
}

/** One bar per run; segments are the share of all block references that hit in each tier, then the misses. */
export function hitsByTierChart({ runs }: ReportRuns): ChartSpec | MissingChart {
  const id = 'chart-hits-by-tier';
  if (runs.length === 0) return { id, title: TITLE, reason: 'the sweep has no runs' };
  const labels = uniqueLabels(runs.map((run) => run.label));
  const tierOrder: string[] = [];
  const rows: { run: string; tier: string; share: number; order: number }[] = [];
  runs.forEach(({ result }, i) => {
    const blocks = result.overall.blocks;
    result.config.tiers.forEach((tier, t) => {
      if (!tierOrder.includes(tier.name)) tierOrder.push(tier.name);
      const hits = result.tiers[tier.name]?.hitBlocks ?? 0;
      rows.push({ run: labels[i]!, tier: tier.name, share: blocks > 0 ? hits / blocks : 0, order: t });
    });
    const misses = blocks - result.overall.hitBlocks;
    rows.push({ run: labels[i]!, tier: MISS, share: blocks > 0 ? misses / blocks : 0, order: result.config.tiers.length });
  });
  const domain = [...tierOrder, MISS];
  const range = [...tierOrder.map((_, i) => TIER_COLORS[i % TIER_COLORS.length]!), MISS_COLOR];
  return {
    id,
    title: TITLE,
    caption:
      'Share of all block references served from each tier (prefix-rule hits, counted in the tier where the block ' +
      'was found), and the share that missed and had to be prefilled.',
    spec: {
      ...chartFrame('Hits by tier, stacked, per run', { step: 26 }),
      data: { values: rows },
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'run', type: 'nominal', title: null, sort: labels, axis: { labelLimit: 260 } },
        x: { field: 'share', type: 'quantitative', title: 'Share of block references', axis: { format: '.0%' }, stack: 'zero' },
        color: { field: 'tier', type: 'nominal', title: 'Served by', scale: { domain, range }, sort: domain },
        order: { field: 'order', type: 'quantitative' },
      },
    },
  };
}
