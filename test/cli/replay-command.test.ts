import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrace } from '../../src/traces/registry.js';
import { replay } from '../../src/replay/replay.js';
import { spawnSync } from 'node:child_process';
import { EXAMPLE_TRACE, ROOT, kvtier } from '../support/cli.js';
import { randomRequests } from '../support/synthetic-trace.js';

describe('kvtier replay', () => {
  it("runs as the README's `npx kvtier replay` command, through the package's bin", () => {
    // npx starts the bin file itself (its shebang), so the build must leave it executable.
    const run = spawnSync('npx', ['--no-install', 'kvtier', 'replay', 'examples/mooncake_synthetic_trace.jsonl', '--quiet', '--no-opt', '--format', 'json'], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout).overall.blocks).toBe(121_877);
  });

  it('prints one JSON document with the overall and per-tier counts', () => {
    const run = kvtier('replay', EXAMPLE_TRACE, '--tier', 'hbm=200blocks', '--tier', 'ddr=2000blocks', '--format', 'json', '--quiet');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout);
    for (const field of ['blocks', 'hitBlocks', 'blockHitRatio', 'tokens', 'hitTokens', 'tokenHitRatio']) {
      expect(typeof result.overall[field]).toBe('number');
      expect(typeof result.tiers.hbm[field]).toBe('number');
      expect(typeof result.tiers.ddr[field]).toBe('number');
    }
    expect(result.requests).toBe(3993);
    expect(result.overall.blocks).toBe(121877);
    expect(result.tiers.hbm.hitBlocks + result.tiers.ddr.hitBlocks).toBe(result.overall.hitBlocks);
  });

  it('gives the same hit counts as the library, and LRU matches its one-pass curve', async () => {
    const run = kvtier('replay', EXAMPLE_TRACE, '--tier', 'hbm=3000blocks', '--policy', 'lru', '--curve', '3000', '--format', 'json', '--quiet');
    const result = JSON.parse(run.stdout);
    const library = replay({ trace: await loadTrace(EXAMPLE_TRACE), model: 'llama-3.1-8b', tiers: [{ name: 'hbm', capacity: '3000blocks' }], opt: false });
    expect(result.overall.hitBlocks).toBe(library.overall.hitBlocks);
    expect(result.curve[0].blockHitRatio).toBe(result.overall.blockHitRatio);
    expect(result.opt.blockHitRatio).toBeGreaterThanOrEqual(result.overall.blockHitRatio);
  });

  it('prints a table by default and writes an HTML report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kvtier-cli-'));
    const report = join(dir, 'report.html');
    const run = kvtier('replay', EXAMPLE_TRACE, '--report', report, '--quiet');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/overall/);
    expect(run.stdout).toMatch(/independent-reference block hit ratio/);
    expect(await readFile(report, 'utf8')).toMatch(/<svg/);
  });

  it('names the file, line and field of a bad trace line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kvtier-cli-'));
    const bad = join(dir, 'bad.jsonl');
    await writeFile(bad, '{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [1]}\n{"timestamp": 5, "input_length": "x", "output_length": 1, "hash_ids": [2]}\n');
    const run = kvtier('replay', bad, '--quiet');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${bad}:2`);
    expect(run.stderr).toContain('input_length');
    expect(run.stdout).toBe('');
  });

  it('rejects bad flags with a clear message', () => {
    const cases: [string[], RegExp][] = [
      [['--tier', 'hbm'], /expected --tier NAME=SIZE/],
      [['--tier', 'hbm=lots'], /expected a size/],
      [['--policy', 'nope'], /unknown eviction policy "nope"/],
      [['--model', 'gpt-9'], /unknown model "gpt-9"/],
      [['--format', 'xml'], /expected --format table or json/],
      [['--payload', 'bytes=abc'], /expected --payload none or bytes=N/],
    ];
    for (const [flags, message] of cases) {
      const run = kvtier('replay', EXAMPLE_TRACE, '--quiet', ...flags);
      expect(run.status, flags.join(' ')).toBe(1);
      expect(run.stderr, flags.join(' ')).toMatch(message);
    }
  });

  it('replays real payloads through the real tiers with the same hit counts', async () => {
    const tiers = ['--tier', 'hbm=20blocks', '--tier', 'ddr=40blocks', '--tier', 'flash=80blocks', '--tier', 'disk=2000blocks'];
    const trace = join(await mkdtemp(join(tmpdir(), 'kvtier-cli-')), 'generated.jsonl');
    const lines = randomRequests(61, 150, 8).map(
      (ids, r) => `{"timestamp": ${r * 100}, "input_length": ${ids.length * 512 - 100}, "output_length": 20, "hash_ids": [${ids.join(', ')}]}`,
    );
    await writeFile(trace, `${lines.join('\n')}\n`);
    const metadata = JSON.parse(kvtier('replay', trace, ...tiers, '--format', 'json', '--quiet').stdout);
    const payload = kvtier('replay', trace, ...tiers, '--payload', 'bytes=4096', '--format', 'json', '--quiet');
    expect(payload.stderr).toBe('');
    const real = JSON.parse(payload.stdout);
    expect(real.config.payload).toBe('bytes=4096');
    expect(real.overall).toEqual(metadata.overall);
    for (const name of ['hbm', 'ddr', 'flash', 'disk']) expect(real.tiers[name].hitBlocks).toBe(metadata.tiers[name].hitBlocks);
  });
});
