import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { visitFile } from './headless-chromium.js';
import { sampleReplay, sampleSweep } from './sample-results.js';

// Runs in the page: what a reader would see of every figure.
const INSPECT = `(() => {
  const figures = [...document.querySelectorAll('figure')];
  return {
    title: document.title,
    scripts: document.scripts.length,
    images: document.images.length,
    svgInFigures: document.querySelectorAll('figure svg').length,
    figures: figures.map((f) => {
      const svg = f.querySelector('svg');
      const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
      const drawn = svg ? [...svg.querySelectorAll('path[d]')].filter((p) => { const b = p.getBBox(); return b.width > 0 || b.height > 0; }).length : 0;
      return {
        id: f.id,
        width: box.width,
        height: box.height,
        lines: svg ? svg.querySelectorAll('g.mark-line.role-mark path').length : 0,
        bars: svg ? svg.querySelectorAll('g.mark-rect.role-mark path').length : 0,
        symbols: svg ? svg.querySelectorAll('g.mark-symbol.role-mark path').length : 0,
        drawn,
        caption: f.querySelector('figcaption')?.textContent ?? '',
        text: svg ? svg.textContent : '',
        markLabels: svg ? [...svg.querySelectorAll('g.role-mark path[aria-label]')].map((p) => p.getAttribute('aria-label')) : [],
      };
    }),
    tableRows: document.querySelectorAll('table tbody tr').length,
    cells: [...document.querySelectorAll('td')].map((td) => td.textContent),
  };
})()`;

interface Inspection {
  title: string;
  scripts: number;
  images: number;
  svgInFigures: number;
  figures: {
    id: string;
    width: number;
    height: number;
    lines: number;
    bars: number;
    symbols: number;
    drawn: number;
    caption: string;
    text: string;
    markLabels: string[];
  }[];
  tableRows: number;
  cells: string[];
}

describe('HTML report in headless Chromium', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kvtier-report-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('draws every chart of a single replay, offline and without errors', async () => {
    const file = path.join(dir, 'replay.html');
    await writeFile(file, await renderHtmlReport(sampleReplay(), { generatedAt: '2025-01-01T00:00:00Z' }));
    const visit = await visitFile<Inspection>(file, INSPECT);
    const page = visit.value;

    expect(page.title).toBe('kvtier replay report');
    expect(page.scripts).toBe(0);
    expect(page.svgInFigures).toBe(4);
    expect(page.figures.map((f) => f.id)).toEqual(['chart-hit-ratio', 'chart-hits-by-tier', 'chart-ttft', 'chart-occupancy']);
    for (const figure of page.figures) {
      expect(figure.width, figure.id).toBeGreaterThan(100);
      expect(figure.height, figure.id).toBeGreaterThan(50);
      expect(figure.drawn, figure.id).toBeGreaterThan(0);
      expect(figure.caption, figure.id).not.toBe('');
    }
    const byId = Object.fromEntries(page.figures.map((f) => [f.id, f]));
    // Hit ratio: the LRU curve is a line; replay point and OPT point are symbols.
    expect(byId['chart-hit-ratio']!.lines).toBeGreaterThan(0);
    expect(byId['chart-hit-ratio']!.symbols).toBe(2);
    // One bar of three segments: hbm, ddr, miss.
    expect(byId['chart-hits-by-tier']!.bars).toBe(3);
    // CDF lines with and without the cache; occupancy lines for hbm and ddr.
    expect(byId['chart-ttft']!.lines).toBe(2);
    expect(byId['chart-occupancy']!.lines).toBe(2);
    expect(byId['chart-occupancy']!.text).toContain('hbm');
    expect(page.tableRows).toBeGreaterThan(10);

    // Nothing but the file itself was requested, and nothing complained (CSP violations are logged).
    expect(visit.requests.every((url) => url.startsWith('file:'))).toBe(true);
    expect(visit.problems).toEqual([]);
    expect(visit.exceptions).toEqual([]);
  }, 60_000);

  it('shows hostile sweep labels as text, never as markup', async () => {
    const runs = sampleSweep().slice(0, 2);
    const hostile = '<img src=x onerror="document.title=1"><script>document.title=2</script>';
    runs[0] = { ...runs[0]!, label: hostile, params: { ...runs[0]!.params, note: '"><b>bold</b>' } };
    const file = path.join(dir, 'sweep.html');
    await writeFile(file, await renderHtmlReport(runs, { generatedAt: '2025-01-01T00:00:00Z' }));
    const visit = await visitFile<Inspection>(file, INSPECT);
    const page = visit.value;

    expect(page.title).toBe('kvtier sweep report');
    expect(page.scripts).toBe(0);
    expect(page.images).toBe(0);
    expect(page.svgInFigures).toBe(3);
    const bars = page.figures.find((f) => f.id === 'chart-hits-by-tier')!;
    expect(bars.bars).toBe(6);
    // The axis truncates long labels; the bars' accessible labels and the table keep them whole, as text.
    expect(bars.markLabels.some((label) => label.includes(hostile))).toBe(true);
    expect(page.cells).toContain(hostile);
    expect(page.cells).toContain('"><b>bold</b>');
    expect(visit.problems).toEqual([]);
    expect(visit.exceptions).toEqual([]);
  }, 60_000);
});
