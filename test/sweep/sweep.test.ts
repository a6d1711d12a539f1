import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockBytes, modelPreset } from '../../src/model/geometry.js';
import { replay } from '../../src/replay/replay.js';
import { expandGrid, loadGrid } from '../../src/sweep/grid.js';
import { runSweep } from '../../src/sweep/sweep.js';
import { loadTrace } from '../../src/traces/registry.js';
import { EXAMPLE_TRACE, kvtier } from '../support/cli.js';

const blockBytesOf = (model: string) => blockBytes(modelPreset(model), 512);

describe('sweep', () => {
  it('expands a grid into its cartesian product', () => {
    const configs = expandGrid(
      { policy: ['lru', 's3fifo'], capacityScale: [0.5, 1], layout: { small: ['hbm=100blocks', 'ddr=400blocks'] }, gpu: ['h100', 'b200'] },
      'grid.yaml',
      blockBytesOf,
    );
    expect(configs).toHaveLength(8);
    const half = configs.find((c) => c.params.capacityScale === 0.5 && c.policy === 's3fifo' && c.gpu === 'b200')!;
    expect(half.tiers).toEqual([
      { name: 'hbm', capacity: '50blocks', policy: 's3fifo' },
      { name: 'ddr', capacity: '200blocks', policy: 's3fifo' },
    ]);
  });

  it('rejects bad grids with the key at fault', () => {
    expect(() => expandGrid({ polcy: 'lru' }, 'g.yaml', blockBytesOf)).toThrow(/g.yaml: `polcy`: unknown key/);
    expect(() => expandGrid({ policy: ['lru', 'magic'] }, 'g.yaml', blockBytesOf)).toThrow(/unknown policy "magic"/);
    expect(() => expandGrid({ layout: [['hbm']] }, 'g.yaml', blockBytesOf)).toThrow(/expected --tier NAME=SIZE/);
    expect(() => expandGrid({ capacityScale: [-1] }, 'g.yaml', blockBytesOf)).toThrow(/`capacityScale`: expected a positive number/);
    expect(() => expandGrid([], 'g.yaml', blockBytesOf)).toThrow(/expected a mapping/);
  });

  it('gives the same results on a pool as each configuration run alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kvtier-sweep-'));
    const gridFile = join(dir, 'grid.yaml');
    await writeFile(gridFile, 'policy: [lru, s3fifo, arc]\ncapacityScale: [0.5, 1]\nlayout:\n  two: [hbm=300blocks, ddr=3000blocks]\n');
    const configs = await loadGrid(gridFile, blockBytesOf);
    const sweep = await runSweep({ tracePath: EXAMPLE_TRACE, configs, workers: 2 });
    const trace = await loadTrace(EXAMPLE_TRACE);
    expect(sweep.entries).toHaveLength(6);
    for (const [i, entry] of sweep.entries.entries()) {
      const config = configs[i]!;
      expect(entry.label).toBe(config.label);
      const alone = replay({ trace, model: config.model, gpu: config.gpu, tiers: config.tiers, opt: true });
      expect(entry.result.overall).toEqual(alone.overall);
      expect(entry.result.tiers).toEqual(alone.tiers);
      expect(entry.result.opt).toEqual(alone.opt);
    }
  });

  it('runs from the CLI and writes JSON and HTML', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kvtier-sweep-'));
    const gridFile = join(dir, 'grid.json');
    await writeFile(gridFile, JSON.stringify({ policy: ['lru', 'fifo'], layout: [['hbm=500blocks']] }));
    const run = kvtier('sweep', EXAMPLE_TRACE, '--grid', gridFile, '--workers', '2', '--out', join(dir, 'out.json'), '--report', join(dir, 'r.html'), '--quiet');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/policy=lru/);
    expect(run.stdout).toMatch(/2 configurations on 2 workers/);
  });
});
