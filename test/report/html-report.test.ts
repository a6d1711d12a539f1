import { describe, expect, it } from 'vitest';
import { hitRatioChart } from '../../src/report/charts/hit-ratio-chart.js';
import { hitsByTierChart, uniqueLabels } from '../../src/report/charts/hits-by-tier-chart.js';
import { empiricalCdf, ttftChart } from '../../src/report/charts/ttft-chart.js';
import { escapeHtml, formatBytes, formatRatio, formatSeconds, formatUsd, htmlTable, num } from '../../src/report/html.js';
import { renderHtmlReport, type SweepRun } from '../../src/report/html-report.js';
import { toReportRuns } from '../../src/report/report-input.js';
import { sampleReplay, sampleSweep } from './sample-results.js';

const FIXED = { generatedAt: '2025-01-01T00:00:00Z' };

function figureIds(html: string): string[] {
  return [...html.matchAll(/<figure id="([^"]+)">/g)].map((m) => m[1]!);
}

function chartData(chart: ReturnType<typeof hitRatioChart>): Record<string, unknown>[] {
  if (!('spec' in chart)) throw new Error(`no chart: ${chart.reason}`);
  return (chart.spec.data as { values: Record<string, unknown>[] }).values;
}

describe('renderHtmlReport', () => {
  it('renders a single replay as one page with four SVG figures and its tables', async () => {
    const html = await renderHtmlReport(sampleReplay(), FIXED);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(figureIds(html)).toEqual(['chart-hit-ratio', 'chart-hits-by-tier', 'chart-ttft', 'chart-occupancy']);
    const figures = html.split('<figure ').slice(1);
    for (const figure of figures) {
      expect(figure).toMatch(/<svg [^>]*class="marks"/);
      expect(figure).toMatch(/<figcaption><strong>[^<]+\.<\/strong> /);
    }
    for (const caption of ['Configuration', 'Hit ratios', 'Tiers', 'Links', 'Time to first token (modelled)', 'GPU prefill time and cost']) {
      expect(html).toContain(`<caption>${escapeHtml(caption)}</caption>`);
    }
    expect(html).toContain('<td class="num">42.00%</td>');
    expect(html).toContain('generated 2025-01-01T00:00:00Z');
  });

  it('is self-contained: no scripts, no external resources, and a CSP that forbids them', async () => {
    const html = await renderHtmlReport(sampleReplay(), FIXED);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<(img|link|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/\s(src|href|xlink:href)=/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
  });

  it('renders a sweep with a table row per run and says which chart it leaves out', async () => {
    const runs = sampleSweep();
    const html = await renderHtmlReport(runs, FIXED);
    expect(figureIds(html)).toEqual(['chart-hit-ratio', 'chart-hits-by-tier', 'chart-ttft']);
    expect(html).toContain('<li>Tier occupancy over time: occupancy over time is drawn for single replays, not sweeps.</li>');
    const table = html.slice(html.indexOf('<caption>Sweep runs</caption>'));
    expect(table.match(/<tr>/g)).toHaveLength(runs.length + 1);
    expect(table).toContain('<th scope="col">hbmBlocks</th>');
    // The grid already has a policy column, so the derived one is left out.
    expect(table.match(/>policy</gi)).toHaveLength(1);
  });

  it('escapes every string taken from the input', async () => {
    const hostile = '<script>alert("x")</script>';
    const runs: SweepRun[] = sampleSweep().slice(0, 2);
    const result = sampleReplay({ trace: `</title>${hostile}` });
    runs[0] = { label: `"><img src=x onerror=alert(1)>`, params: { [`<b>key</b>`]: `<i>${hostile}</i>` }, result };
    const html = await renderHtmlReport(runs, { ...FIXED, title: `Report ${hostile}` });
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<b>|<i>/);
    expect(html).toContain('<title>Report &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</title>');
    expect(html).toContain('<td>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</td>');
    expect(html).toContain('<th scope="col">&lt;b&gt;key&lt;/b&gt;</th>');

    const single = await renderHtmlReport(result, FIXED);
    expect(single).not.toMatch(/<script/i);
    expect(single).toContain('Trace &lt;/title&gt;&lt;script&gt;');
  });

  it('falls back gracefully when the optional series are missing', async () => {
    const { curve: _curve, ttftSamples: _samples, occupancy: _occupancy, opt: _opt, ...bare } = sampleReplay();
    const html = await renderHtmlReport(bare, FIXED);
    expect(figureIds(html)).toEqual(['chart-hit-ratio', 'chart-hits-by-tier', 'chart-ttft']);
    expect(html).toContain('<li>Tier occupancy over time: this result recorded no occupancy samples.</li>');
    expect(html).toContain('90th and 99th percentiles');
    expect(html).not.toContain('OPT block hit ratio');
  });

  it('is byte-identical for the same input and timestamp', async () => {
    const a = await renderHtmlReport(sampleSweep(), FIXED);
    const b = await renderHtmlReport(sampleSweep(), FIXED);
    expect(a).toBe(b);
  });

  it('rejects input that is neither a result nor sweep runs', async () => {
    await expect(renderHtmlReport({} as never)).rejects.toThrow(
      'expected a ReplayResult or an array of sweep runs for `input`, got an object (Object)',
    );
    await expect(renderHtmlReport([{ label: 'x' }] as never)).rejects.toThrow('for `input[0]`');
  });
});

describe('chart builders', () => {
  it('plot a sweep per policy at total capacity, with OPT once per capacity', () => {
    const points = chartData(hitRatioChart(toReportRuns(sampleSweep())));
    const lru = points.filter((p) => p.series === 'lru').map((p) => p.capacityBlocks);
    expect(lru).toEqual([640, 768, 1024]);
    const opt = points.filter((p) => p.kind === 'OPT (Belady) bound').map((p) => p.capacityBlocks);
    expect(opt).toEqual([128, 256, 512]);
  });

  it('name series per trace when a sweep mixes traces', () => {
    const runs = sampleSweep().slice(0, 1);
    runs.push({ label: 'other', params: {}, result: sampleReplay({ trace: 'other.jsonl' }) });
    const series = new Set(chartData(hitRatioChart(toReportRuns(runs))).map((p) => p.series));
    expect(series).toEqual(new Set(['lru · mooncake-small.jsonl', 'OPT · mooncake-small.jsonl', 'lru · other.jsonl', 'OPT · other.jsonl']));
  });

  it('plot a single replay’s curve, its point and its OPT bound', () => {
    const points = chartData(hitRatioChart(toReportRuns(sampleReplay())));
    expect(points.filter((p) => p.kind === 'LRU curve, one tier')).toHaveLength(5);
    expect(points.find((p) => p.kind === 'replay')).toEqual({ series: 'lru (this replay)', kind: 'replay', capacityBlocks: 768, blockHitRatio: 0.42 });
    expect(points.find((p) => p.kind === 'OPT (Belady) bound')?.capacityBlocks).toBe(256);
  });

  it('stack hits by tier and misses to the whole of each run', () => {
    const rows = chartData(hitsByTierChart(toReportRuns(sampleSweep())));
    const totals = new Map<string, number>();
    for (const row of rows) totals.set(row.run as string, (totals.get(row.run as string) ?? 0) + (row.share as number));
    expect(totals.size).toBe(6);
    for (const total of totals.values()) expect(total).toBeCloseTo(1, 12);
    expect(rows.slice(0, 3).map((r) => [r.tier, r.share])).toEqual([
      ['hbm', 0.24],
      ['ddr', 0.096],
      ['miss', 0.664],
    ]);
  });

  it('keep duplicate run labels apart', () => {
    expect(uniqueLabels(['a', 'b', 'a', 'a'])).toEqual(['a', 'b', 'a (#2)', 'a (#3)']);
  });

  it('draw TTFT as a CDF for a single replay and as percentiles for a sweep', () => {
    expect(ttftChart(toReportRuns(sampleReplay()))).toMatchObject({ caption: expect.stringContaining('empirical CDF') });
    expect(ttftChart(toReportRuns(sampleSweep()))).toMatchObject({ caption: expect.stringContaining('percentiles') });
  });
});

describe('empiricalCdf', () => {
  it('gives the fraction of samples at or below each sorted sample', () => {
    expect(empiricalCdf([3, 1, 2])).toEqual([
      [1, 1 / 3],
      [2, 2 / 3],
      [3, 1],
    ]);
    expect(empiricalCdf([])).toEqual([]);
  });

  it('keeps the first and last ranks when it thins the points', () => {
    expect(empiricalCdf([5, 4, 3, 2, 1], 2)).toEqual([
      [1, 0.2],
      [5, 1],
    ]);
    expect(empiricalCdf([5, 4, 3, 2, 1], 3)).toEqual([
      [1, 0.2],
      [3, 0.6],
      [5, 1],
    ]);
  });
});

describe('HTML helpers', () => {
  it('escape the five special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('format numbers for people', () => {
    expect(formatRatio(0.42173)).toBe('42.17%');
    expect(formatBytes(64 * 2 ** 20)).toBe('64.00 MiB');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatSeconds(0.0205)).toBe('20.5 ms');
    expect(formatSeconds(2.5e-5)).toBe('25.0 µs');
    expect(formatSeconds(7200)).toBe('2.000 h');
    expect(formatUsd(12.345)).toBe('$12.35');
    expect(formatUsd(0.00123)).toBe('$0.0012');
    expect(formatRatio(Number.NaN)).toBe('–');
  });

  it('build tables with escaped cells and right-aligned numbers', () => {
    expect(htmlTable('T<1>', ['a&b'], [['<x>'], [num('1.00%')]])).toBe(
      '<table>\n<caption>T&lt;1&gt;</caption>\n<thead><tr><th scope="col">a&amp;b</th></tr></thead>\n<tbody>\n' +
        '<tr><td>&lt;x&gt;</td></tr>\n<tr><td class="num">1.00%</td></tr>\n</tbody>\n</table>',
    );
  });
});
