import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replay } from '../../src/replay/replay.js';
import { loadTrace } from '../../src/traces/registry.js';
import { EXAMPLE_TRACE, ROOT } from '../support/cli.js';

// An independent reference: the plain C LRU simulator the replay benchmark compares against,
// compiled here with the system C compiler (present wherever the addon builds).
describe('replay against an independent C simulator', () => {
  it('gives the same LRU prefix hits on the example trace at every capacity', async () => {
    const simulator = join(mkdtempSync(join(tmpdir(), 'kvtier-c-')), 'lru-sim');
    execFileSync('cc', ['-O2', '-o', simulator, join(ROOT, 'bench', 'baselines', 'lru-sim.c')]);
    const trace = await loadTrace(EXAMPLE_TRACE);
    for (const capacity of [1, 64, 1000, 8000, 30000, 50000]) {
      const [refs, hits] = execFileSync(simulator, [EXAMPLE_TRACE, String(capacity)], { encoding: 'utf8' }).trim().split(' ').map(Number);
      const result = replay({ trace, tiers: [{ name: 'hbm', capacity: `${capacity}blocks` }], opt: false });
      expect(result.overall.blocks).toBe(refs);
      expect(result.overall.hitBlocks, `capacity ${capacity}`).toBe(hits);
    }
  });
});
