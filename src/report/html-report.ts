/** The HTML report of a replay or a sweep: one self-contained page of tables and inline SVG charts. */
import { invalidArgument } from '../errors.js';
import type { ReplayResult } from '../replay/result.js';
import type { ChartSpec, MissingChart } from './charts/chart.js';
import { hitRatioChart } from './charts/hit-ratio-chart.js';
import { hitsByTierChart } from './charts/hits-by-tier-chart.js';
import { occupancyChart } from './charts/occupancy-chart.js';
import { ttftChart } from './charts/ttft-chart.js';
import { escapeHtml, formatRatio, formatSeconds, formatUsd } from './html.js';
import { toReportRuns, type ReportInput, type ReportRuns } from './report-input.js';
import { replayTables, sweepTable } from './summary-tables.js';
import { renderVegaLiteSvg } from './vega-svg.js';

export type { ReportInput, SweepRun } from './report-input.js';

/** Options of {@link renderHtmlReport}. */
export interface HtmlReportOptions {
  /** Page title and heading. @default "kvtier replay report" or "kvtier sweep report" */
  readonly title?: string;
  /** Timestamp shown under the heading; pass a fixed one for byte-identical reports. @default the current time, ISO 8601 */
  readonly generatedAt?: string;
}

/** The chart builders, in page order. */
const CHARTS: readonly ((runs: ReportRuns) => ChartSpec | MissingChart)[] = [
  hitRatioChart,
  hitsByTierChart,
  ttftChart,
  occupancyChart,
];

/**
 * Nothing may leave the page: no scripts, no fetches, no fonts or images from elsewhere. Styles
 * are inline (the `<style>` block and Vega's SVG attributes).
 */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, sans-serif; color: #222; margin: 0 auto; padding: 1.5rem 2rem 3rem; max-width: 1100px; }
h1 { font-size: 1.6rem; margin: 0 0 .2rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
.meta { color: #666; margin: 0 0 1rem; }
.headline { display: flex; flex-wrap: wrap; gap: .8rem; margin: 1rem 0; padding: 0; }
.headline div { border: 1px solid #ddd; border-radius: 6px; padding: .5rem .9rem; min-width: 9rem; }
.headline dt { color: #666; font-size: .85rem; }
.headline dd { margin: 0; font-size: 1.25rem; font-weight: 600; }
table { border-collapse: collapse; margin: 0 0 1.2rem; font-size: 13px; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border-bottom: 1px solid #e5e5e5; padding: .25rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f6f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.scroll { overflow-x: auto; }
figure { margin: 1.2rem 0 2rem; }
figure .chart svg { max-width: 100%; height: auto; }
figcaption { color: #444; max-width: 60rem; }
.missing { color: #666; font-style: italic; }
`;

function checkInput(input: ReportInput): void {
  if (Array.isArray(input)) {
    input.forEach((run: unknown, i) => {
      const r = run as { label?: unknown; params?: unknown; result?: { config?: unknown } } | null;
      if (!r || typeof r.label !== 'string' || typeof r.params !== 'object' || r.params === null || !r.result?.config) {
        throw invalidArgument(`input[${i}]`, 'a sweep run { label, params, result }', run);
      }
    });
    return;
  }
  if (!input || typeof input !== 'object' || !(input as ReplayResult).config) {
    throw invalidArgument('input', 'a ReplayResult or an array of sweep runs', input);
  }
}

function headline({ single, runs }: ReportRuns): string {
  if (!single) return '';
  const r = runs[0]!.result;
  const items: [string, string][] = [
    ['Block hit ratio', formatRatio(r.overall.blockHitRatio)],
    ['Token hit ratio', formatRatio(r.overall.tokenHitRatio)],
    ['TTFT p50 with / without cache', `${formatSeconds(r.ttft.withCache.p50)} / ${formatSeconds(r.ttft.withoutCache.p50)}`],
    ['GPU time saved', formatSeconds(r.gpu.secSaved)],
    ['Cost saved', formatUsd(r.gpu.costSavedUsd)],
  ];
  if (r.opt) items.splice(1, 0, ['OPT block hit ratio', formatRatio(r.opt.blockHitRatio)]);
  const cells = items.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('');
  return `<dl class="headline">${cells}</dl>`;
}

async function figure(chart: ChartSpec): Promise<string> {
  const svg = await renderVegaLiteSvg(chart.spec);
  return (
    `<figure id="${escapeHtml(chart.id)}">\n<div class="chart">${svg}</div>\n` +
    `<figcaption><strong>${escapeHtml(chart.title)}.</strong> ${escapeHtml(chart.caption)}</figcaption>\n</figure>`
  );
}

/**
 * Renders a self-contained HTML report (tables and inline SVG charts, no scripts, nothing fetched)
 * for one replay result or for a sweep's runs. Every string from the input is escaped.
 */
export async function renderHtmlReport(input: ReportInput, options: HtmlReportOptions = {}): Promise<string> {
  checkInput(input);
  const runs = toReportRuns(input);
  const title = options.title ?? (runs.single ? 'kvtier replay report' : 'kvtier sweep report');
  const generatedAt = options.generatedAt ?? new Date().toISOString();
  const subject = runs.single
    ? `Trace ${runs.runs[0]!.result.config.trace}, model ${runs.runs[0]!.result.config.model}, GPU ${runs.runs[0]!.result.config.gpu}`
    : `${runs.runs.length} runs`;

  const figures: string[] = [];
  const missing: string[] = [];
  for (const build of CHARTS) {
    const chart = build(runs);
    if ('spec' in chart) figures.push(await figure(chart));
    else missing.push(`<li>${escapeHtml(chart.title)}: ${escapeHtml(chart.reason)}.</li>`);
  }
  const tables = runs.single ? replayTables(runs.runs[0]!.result) : [sweepTable(runs.runs)];

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="kvtier">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(subject)} · generated ${escapeHtml(generatedAt)}</p>
${headline(runs)}
</header>
<main>
<section id="charts">
<h2>Charts</h2>
${figures.join('\n')}
${missing.length > 0 ? `<p class="missing">Not shown:</p>\n<ul class="missing">\n${missing.join('\n')}\n</ul>` : ''}
</section>
<section id="tables">
<h2>${runs.single ? 'Results' : 'Runs'}</h2>
${tables.map((t) => `<div class="scroll">\n${t}\n</div>`).join('\n')}
</section>
</main>
</body>
</html>
`;
}
