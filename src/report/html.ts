/** HTML building blocks for the report: escaping, number formatting and tables. */

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A ratio as a percentage with two decimals, e.g. "42.17%". */
export function formatRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(2)}%` : '–';
}

/** A count with thousands separators, e.g. "1,234,567". */
export function formatCount(count: number): string {
  return Number.isFinite(count) ? Math.round(count).toLocaleString('en-US') : '–';
}

/** Seconds in the most readable unit: µs, ms, s, or hours for long totals. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  const abs = Math.abs(seconds);
  if (abs === 0) return '0 s';
  if (abs < 1e-3) return `${(seconds * 1e6).toPrecision(3)} µs`;
  if (abs < 1) return `${(seconds * 1e3).toPrecision(3)} ms`;
  if (abs < 3600) return `${seconds.toPrecision(4)} s`;
  return `${(seconds / 3600).toPrecision(4)} h`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Bytes in binary units, e.g. "1.50 GiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–';
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(2)} ${BYTE_UNITS[unit]}`;
}

/** US dollars with cents, or more digits for sub-cent amounts. */
export function formatUsd(usd: number): string {
  if (!Number.isFinite(usd)) return '–';
  return Math.abs(usd) >= 0.01 || usd === 0 ? `$${usd.toFixed(2)}` : `$${usd.toPrecision(2)}`;
}

/** A table cell: plain text (escaped) or a number shown right-aligned. */
export type Cell = string | { readonly text: string; readonly numeric: true };

/** A right-aligned cell with already formatted text. */
export function num(text: string): Cell {
  return { text, numeric: true };
}

/** An HTML table with a caption; every header and cell is escaped. */
export function htmlTable(caption: string, headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const head = headers.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((row) => {
      const cells = row.map((cell) =>
        typeof cell === 'string' ? `<td>${escapeHtml(cell)}</td>` : `<td class="num">${escapeHtml(cell.text)}</td>`,
      );
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<table>\n<caption>${escapeHtml(caption)}</caption>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}
