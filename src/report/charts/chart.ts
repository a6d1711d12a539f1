/** What every chart builder returns, and the look the charts share. */
import type { TopLevelSpec } from 'vega-lite';

/** A chart ready to render: a stable id for its `<figure>`, a caption, and the Vega-Lite spec. */
export interface ChartSpec {
  /** Element id of the figure, e.g. "chart-hit-ratio". */
  readonly id: string;
  /** Short heading, e.g. "Hits by tier". */
  readonly title: string;
  /** Figure caption: what is plotted and how to read it (plain text, escaped when rendered). */
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

/** A chart that could not be drawn from this input, and why (listed in the report instead). */
export interface MissingChart {
  readonly id: string;
  readonly title: string;
  readonly reason: string;
}

/** Chart width in pixels; wide enough for long sweep labels beside a bar. */
export const CHART_WIDTH = 640;
/** Height of the plots that have no natural row count. */
export const CHART_HEIGHT = 320;

/** Shared Vega-Lite config: plain sans-serif text, no border around the plot. */
export const CHART_CONFIG = {
  font: 'system-ui, sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e5e5e5' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
} as const;

/**
 * The part of a Vega-Lite spec every chart shares: schema, size and look. Spread it first into a
 * chart's spec, then add the chart's own data, marks and encodings.
 * @param height plot height in pixels, or `{ step }` pixels per row of a banded axis
 */
export function chartFrame(description: string, height: number | { step: number } = CHART_HEIGHT) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    description,
    width: CHART_WIDTH,
    height,
    config: CHART_CONFIG,
  } as const;
}

/**
 * A logarithmic scale when the positive values span more than a factor of `threshold`, else linear:
 * capacities and latencies often cover orders of magnitude.
 */
export function scaleFor(values: readonly number[], threshold = 20): { type: 'log' | 'linear' } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!(v > 0)) return { type: 'linear' };
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { type: max / min > threshold ? 'log' : 'linear' };
}
