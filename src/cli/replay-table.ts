/** Renders a replay result as the terminal tables `kvtier replay` prints by default. */
import { formatBytes } from '../engine/capacity.js';
import type { ReplayResult } from '../replay/result.js';

const percent = (ratio: number) => `${(ratio * 100).toFixed(2)}%`;
const seconds = (s: number) => (s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(1)} ms`);

/** Lays out rows of cells with aligned columns (first column left, the rest right). */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows
    .map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '))
    .join('\n');
}

/** The full text report of one replay. */
export function renderReplayTable(result: ReplayResult): string {
  const c = result.config;
  const o = result.overall;
  const lines: string[] = [];
  lines.push(
    `trace ${c.trace}: ${result.requests} requests, ${o.blocks} block references, ${seconds(result.durationSec)} of traffic`,
    `model ${c.model} (${formatBytes(c.blockBytes)} per ${c.blockTokens}-token block) on ${c.gpu}; ` +
      `${c.writePolicy}, ${c.promotion} promotion, payload ${c.payload}`,
    '',
  );
  const header = ['tier', 'device', 'capacity', 'policy', 'hit blocks', 'block hit', 'token hit', 'promoted', 'demoted', 'evicted', 'written', 'busy'];
  const rows: string[][] = [header];
  for (const tier of Object.values(result.tiers)) {
    rows.push([
      tier.name,
      tier.device,
      `${tier.capacityBlocks} blk`,
      tier.policy,
      String(tier.hitBlocks),
      percent(tier.blockHitRatio),
      percent(tier.tokenHitRatio),
      String(tier.promotionsOut),
      String(tier.demotionsOut),
      String(tier.evictions),
      formatBytes(tier.bytesWritten),
      seconds(tier.busySec),
    ]);
  }
  rows.push(['overall', '', '', '', String(o.hitBlocks), percent(o.blockHitRatio), percent(o.tokenHitRatio), '', '', '', '', '']);
  lines.push(table(rows), '');
  lines.push(`independent-reference block hit ratio (every cached block counts, no prefix rule): ${percent(result.independentReference.blockHitRatio)}`);
  if (result.opt) {
    lines.push(
      `Belady/OPT with bypass at ${result.opt.capacityBlocks} blocks (prefix rule): block hit ${percent(result.opt.blockHitRatio)}, token hit ${percent(result.opt.tokenHitRatio)}`,
    );
  }
  const t = result.ttft;
  lines.push(
    '',
    table([
      ['TTFT', 'p50', 'p90', 'p99', 'mean'],
      ['with cache', seconds(t.withCache.p50), seconds(t.withCache.p90), seconds(t.withCache.p99), seconds(t.withCache.mean)],
      ['without cache', seconds(t.withoutCache.p50), seconds(t.withoutCache.p90), seconds(t.withoutCache.p99), seconds(t.withoutCache.mean)],
    ]),
    '',
    `prefill GPU time ${seconds(result.gpu.prefillSecWithCache)} with cache vs ${seconds(result.gpu.prefillSecWithoutCache)} without: ` +
      `${seconds(result.gpu.secSaved)} saved ($${result.gpu.costSavedUsd.toFixed(2)})`,
  );
  if (result.links.length > 0) {
    lines.push('', table([['link', 'between', 'moved', 'busy'], ...result.links.map((l) => [l.name, l.between.join(' ↔ '), formatBytes(l.bytes), seconds(l.busySec)])]));
  }
  if (result.curve) {
    lines.push('', table([['LRU capacity', 'block hit', 'token hit'], ...result.curve.map((p) => [`${p.capacityBlocks} blk`, percent(p.blockHitRatio), percent(p.tokenHitRatio)])]));
  }
  lines.push('', `replayed in ${seconds(result.wall.seconds)} (${(result.wall.blockRefsPerSec / 1e6).toFixed(2)} M block refs/s)`);
  return lines.join('\n');
}
