/** The report's tables: everything a replay or a sweep measured, formatted and escaped. */
import type { Percentiles, ReplayResult } from '../replay/result.js';
import { formatBytes, formatCount, formatRatio, formatSeconds, formatUsd, htmlTable, num, type Cell } from './html.js';
import { policyLabel, totalCapacityBlocks, type SweepRun } from './report-input.js';

function percentileCells(p: Percentiles): Cell[] {
  return [num(formatSeconds(p.p50)), num(formatSeconds(p.p90)), num(formatSeconds(p.p99)), num(formatSeconds(p.mean))];
}

/** Every table of a single replay: configuration, hits, tiers, links, TTFT, GPU savings and run speed. */
export function replayTables(result: ReplayResult): string[] {
  const c = result.config;
  const tables: string[] = [];
  tables.push(
    htmlTable(
      'Configuration',
      ['Setting', 'Value'],
      [
        ['Trace', c.trace],
        ['Model', c.model],
        ['GPU', c.gpu],
        ['Block', `${formatCount(c.blockTokens)} tokens, ${formatBytes(c.blockBytes)}`],
        ['Payload', c.payload],
        ['Write policy', c.writePolicy],
        ['Promotion', c.promotion],
        ['Seed', String(c.seed)],
      ],
    ),
  );
  const o = result.overall;
  const hitRows: Cell[][] = [
    ['Requests', num(formatCount(result.requests))],
    ['Block references', num(formatCount(o.blocks))],
    ['Hit blocks (prefix rule)', num(formatCount(o.hitBlocks))],
    ['Block hit ratio', num(formatRatio(o.blockHitRatio))],
    ['Token hit ratio', num(formatRatio(o.tokenHitRatio))],
    ['Independent-reference block hit ratio', num(formatRatio(result.independentReference.blockHitRatio))],
  ];
  if (result.opt) {
    hitRows.push(
      [`OPT block hit ratio (${formatCount(result.opt.capacityBlocks)} blocks, one tier)`, num(formatRatio(result.opt.blockHitRatio))],
      ['OPT token hit ratio', num(formatRatio(result.opt.tokenHitRatio))],
    );
  }
  tables.push(htmlTable('Hit ratios', ['Measure', 'Value'], hitRows));
  tables.push(
    htmlTable(
      'Tiers',
      ['Tier', 'Device', 'Policy', 'Capacity (blocks)', 'Peak blocks', 'Hit blocks', 'Share of refs', 'Inserts',
        'Promotions in/out', 'Demotions in/out', 'Evictions', 'Drops', 'Read', 'Written', 'Busy', 'Effective bandwidth'],
      c.tiers.map((tier) => {
        const t = result.tiers[tier.name];
        if (!t) return [tier.name, tier.device, tier.policy, num(formatCount(tier.capacityBlocks))];
        return [
          tier.name,
          t.device,
          t.policy,
          num(formatCount(t.capacityBlocks)),
          num(formatCount(t.peakBlocks)),
          num(formatCount(t.hitBlocks)),
          num(formatRatio(o.blocks > 0 ? t.hitBlocks / o.blocks : 0)),
          num(formatCount(t.inserts)),
          num(`${formatCount(t.promotionsIn)} / ${formatCount(t.promotionsOut)}`),
          num(`${formatCount(t.demotionsIn)} / ${formatCount(t.demotionsOut)}`),
          num(formatCount(t.evictions)),
          num(formatCount(t.drops)),
          num(formatBytes(t.bytesRead)),
          num(formatBytes(t.bytesWritten)),
          num(formatSeconds(t.busySec)),
          num(`${formatBytes(t.effectiveBytesPerSec)}/s`),
        ];
      }),
    ),
  );
  if (result.links.length > 0) {
    tables.push(
      htmlTable(
        'Links',
        ['Link', 'Between', 'Bytes', 'Busy'],
        result.links.map((l) => [l.name, `${l.between[0]} ↔ ${l.between[1]}`, num(formatBytes(l.bytes)), num(formatSeconds(l.busySec))]),
      ),
    );
  }
  tables.push(
    htmlTable(
      'Time to first token (modelled)',
      ['', 'p50', 'p90', 'p99', 'Mean'],
      [
        ['With cache', ...percentileCells(result.ttft.withCache)],
        ['Without cache', ...percentileCells(result.ttft.withoutCache)],
      ],
    ),
  );
  const g = result.gpu;
  tables.push(
    htmlTable(
      'GPU prefill time and cost',
      ['Measure', 'Value'],
      [
        ['Prefill with cache', num(formatSeconds(g.prefillSecWithCache))],
        ['Prefill without cache', num(formatSeconds(g.prefillSecWithoutCache))],
        ['GPU time saved', num(formatSeconds(g.secSaved))],
        ['Cost saved (at the assumed GPU-hour price)', num(formatUsd(g.costSavedUsd))],
      ],
    ),
  );
  tables.push(
    htmlTable(
      'Replay run',
      ['Measure', 'Value'],
      [
        ['Trace duration (virtual)', num(formatSeconds(result.durationSec))],
        ['Wall-clock time', num(formatSeconds(result.wall.seconds))],
        ['Block references per second', num(formatCount(result.wall.blockRefsPerSec))],
      ],
    ),
  );
  return tables;
}

/** One row per sweep run: its parameters, then hit ratios, the OPT bound, TTFT and GPU savings. */
export function sweepTable(runs: readonly SweepRun[]): string {
  const paramKeys: string[] = [];
  for (const run of runs) for (const key of Object.keys(run.params)) if (!paramKeys.includes(key)) paramKeys.push(key);
  // The policy column is derived from the result; skip it when the grid already has one.
  const showPolicy = !paramKeys.some((key) => key.toLowerCase() === 'policy');
  const headers = ['Run', ...paramKeys, ...(showPolicy ? ['Policy'] : []), 'Capacity (blocks)', 'Block hit', 'Token hit', 'OPT block hit',
    'TTFT p50 (cache)', 'TTFT p99 (cache)', 'TTFT p50 (no cache)', 'GPU time saved', 'Cost saved'];
  const rows = runs.map(({ label, params, result }): Cell[] => [
    label,
    ...paramKeys.map((key) => {
      const value = params[key];
      return value === undefined ? '' : typeof value === 'number' ? num(String(value)) : value;
    }),
    ...(showPolicy ? [policyLabel(result)] : []),
    num(formatCount(totalCapacityBlocks(result))),
    num(formatRatio(result.overall.blockHitRatio)),
    num(formatRatio(result.overall.tokenHitRatio)),
    num(result.opt ? formatRatio(result.opt.blockHitRatio) : '–'),
    num(formatSeconds(result.ttft.withCache.p50)),
    num(formatSeconds(result.ttft.withCache.p99)),
    num(formatSeconds(result.ttft.withoutCache.p50)),
    num(formatSeconds(result.gpu.secSaved)),
    num(formatUsd(result.gpu.costSavedUsd)),
  ]);
  return htmlTable('Sweep runs', headers, rows);
}
