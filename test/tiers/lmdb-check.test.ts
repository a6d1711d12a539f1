import { chmod, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checksum } from '../../src/memory/copy-batch.js';
import { checkEnvironment, type EnvironmentOptions } from '../../src/tiers/lmdb-check.js';
import { LmdbTier } from '../../src/tiers/lmdb-tier.js';
import { removeDir, tempDir } from '../support/temp-dir.js';

const BLOCK_BYTES = 2048;
let dir: string;

beforeEach(async () => {
  dir = await tempDir('kvtier-lmdb-check-');
  const tier = await LmdbTier.open({ dir, capacityBlocks: 64, blockBytes: BLOCK_BYTES, mapBytes: 8 * 2 ** 20, verifyOnOpen: false });
  for (let i = 0; i < 40; i++) {
    const bytes = new Uint8Array(BLOCK_BYTES).fill(i);
    const key = i.toString(16).padStart(32, '0');
    await tier.write({ key, parent: null, namespace: '', length: BLOCK_BYTES, checksum: checksum(bytes) }, bytes);
  }
  await tier.close();
});

afterEach(async () => {
  await chmod(dir, 0o755).catch(() => undefined);
  await removeDir(dir);
});

function options(): EnvironmentOptions {
  return { path: dir, maxDbs: 4, mapSize: 8 * 2 ** 20, noSync: true, overlappingSync: false, eventTurnBatching: false, encoding: 'binary' };
}

async function check() {
  return checkEnvironment(options(), (await stat(join(dir, 'data.mdb'))).size);
}

describe('checkEnvironment', () => {
  it('passes a sound environment and leaves its entries in place', async () => {
    expect(await check()).toEqual({ kind: 'ok' });
    const tier = await LmdbTier.open({ dir, capacityBlocks: 64, blockBytes: BLOCK_BYTES, mapBytes: 8 * 2 ** 20, verifyOnOpen: false });
    expect(tier.blockCount).toBe(40);
    await tier.close();
  });

  it('calls an environment damaged when reading it kills LMDB (a truncated file: SIGBUS)', async () => {
    const size = (await stat(join(dir, 'data.mdb'))).size;
    await truncate(join(dir, 'data.mdb'), Math.floor(size / 2 / 4096) * 4096);
    const verdict = await check();
    expect(verdict.kind).toBe('damaged');
    expect(verdict.kind === 'damaged' && verdict.reason).toMatch(/crashed \(SIGBUS\)/);
  });

  it('calls an environment damaged when LMDB cannot open it (both meta pages zeroed)', async () => {
    const data = await readFile(join(dir, 'data.mdb'));
    data.fill(0, 0, 2 * 4096);
    await writeFile(join(dir, 'data.mdb'), data);
    expect((await check()).kind).toBe('damaged');
  });

  it.runIf(process.getuid?.() !== 0)('cannot tell when the directory is not accessible, and says so', async () => {
    await chmod(dir, 0o000);
    const verdict = await check();
    expect(verdict.kind).toBe('unknown');
  });
});

describe('LmdbTier verifyOnOpen', () => {
  it('sets a damaged environment aside on open, reports it, and starts empty', async () => {
    const size = (await stat(join(dir, 'data.mdb'))).size;
    await truncate(join(dir, 'data.mdb'), Math.floor(size / 2 / 4096) * 4096);
    const reports: string[] = [];
    const tier = await LmdbTier.open({ dir, capacityBlocks: 64, blockBytes: BLOCK_BYTES, mapBytes: 8 * 2 ** 20, onDamage: (r) => reports.push(r.reason) });
    expect(tier.blockCount).toBe(0);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/crashed \(SIGBUS\).*moved to .*data\.mdb\.damaged-\d+, starting empty/);
    await tier.close();
  });

  it('rejects a verifyOnOpen that is not a boolean', async () => {
    await expect(LmdbTier.open({ dir, capacityBlocks: 64, blockBytes: BLOCK_BYTES, verifyOnOpen: 'yes' as unknown as boolean })).rejects.toThrow(
      'expected true or false for `verifyOnOpen`, got "yes"',
    );
  });
});
