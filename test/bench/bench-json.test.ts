/**
 * The benchmarks' `--json` output is a documented contract (issues #3 and #4, README): each one is
 * run here in `--quick` mode, one run per case, from the build `npm test` makes first. Figures are
 * not checked (timings have no place in tests), only that every case ran and reported its fields
 * as finite positive numbers; each benchmark also checks its own results (hit counts against the
 * C simulator, payload bytes read back) and fails when they disagree.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

function bench(name: string): Record<string, unknown>[] {
  const run = spawnSync(process.execPath, [join(ROOT, 'dist', 'bench', 'main.js'), name, '--quick', '--runs', '1', '--json'], {
    encoding: 'utf8',
    maxBuffer: 16 * 2 ** 20,
  });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>[];
}

function expectPositive(row: Record<string, unknown>, fields: readonly string[]): void {
  for (const field of fields) {
    const value = row[field];
    expect(typeof value === 'number' && Number.isFinite(value) && value > 0, `${String(row.name)}.${field} = ${String(value)}`).toBe(true);
  }
}

describe('benchmark --json output', () => {
  it('tiers: [{name, blockBytes, mbPerSec, baselineMbPerSec, ratio}] for every case at 64 KiB, 256 KiB and 1 MiB', () => {
    const rows = bench('tiers');
    const cases = ['flash write', 'flash read', 'disk write', 'disk read', 'disk mapped read', 'engine put→demote→promote'];
    for (const name of cases) {
      expect(rows.filter((r) => r.name === name).map((r) => r.blockBytes)).toEqual([65536, 262144, 1048576]);
    }
    expect(rows).toHaveLength(cases.length * 3);
    for (const row of rows) expectPositive(row, ['blockBytes', 'mbPerSec', 'baselineMbPerSec', 'ratio']);
  }, 60_000);

  it('replay: [{name, policy, refsPerSec, …}] per policy and case, plus {name: "sweep", workers, speedup}', () => {
    const rows = bench('replay');
    const byName = (name: string) => rows.filter((r) => r.name === name);
    expect(byName('control-plane').map((r) => r.policy)).toEqual(['arc', 'fifo', 'lfu', 'lru', 'prefix-lru', 's3fifo', 'ttl']);
    for (const row of [...byName('control-plane'), ...byName('four-tier-timed')]) expectPositive(row, ['refsPerSec']);
    const [endToEnd] = byName('end-to-end');
    expectPositive(endToEnd!, ['refsPerSec', 'baselineRefsPerSec', 'ratio', 'cpuRatio', 'parseSeconds', 'replaySeconds', 'coldSeconds']);
    expectPositive(byName('curve-7-capacities')[0]!, ['seconds', 'ratio']);
    const [sweep] = byName('sweep');
    expect(sweep!.workers).toBe(2);
    expectPositive(sweep!, ['speedup', 'seconds']);
  }, 120_000);

  it('copy: every copy path against memcpy, per block size and regime', () => {
    const rows = bench('copy');
    expect(new Set(rows.map((r) => r.name))).toEqual(new Set(['memcpy', 'copyBatch', 'copyBatchAsync', 'copyBatch+xxh3', 'Buffer.copy']));
    for (const row of rows) expectPositive(row, ['blockBytes', 'batch', 'gbPerSec', 'ratioToMemcpy']);
  }, 60_000);
});
