import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LmdbTier } from '../../src/tiers/lmdb-tier.js';
import { prepareEnvironmentDir } from '../../src/tiers/lmdb-preflight.js';
import { tempDir, removeDir } from '../support/temp-dir.js';

let dir: string;

beforeEach(async () => {
  dir = await tempDir('kvtier-preflight-');
});

afterEach(async () => {
  await removeDir(dir);
});

describe('prepareEnvironmentDir', () => {
  it('creates the directory and a lock file with allocated bytes', async () => {
    const envDir = join(dir, 'a', 'b');
    await prepareEnvironmentDir(envDir);
    const lock = await stat(join(envDir, 'lock.mdb'));
    expect(lock.size).toBe(16 * 1024);
    expect(lock.blocks * 512).toBeGreaterThanOrEqual(lock.size);
  });

  it('rewrites a leftover lock file too short to be in use', async () => {
    await writeFile(join(dir, 'lock.mdb'), Buffer.alloc(100, 1));
    await prepareEnvironmentDir(dir);
    const bytes = await readFile(join(dir, 'lock.mdb'));
    expect(bytes.length).toBe(16 * 1024);
    expect(bytes.every((b) => b === 0)).toBe(true);
  });

  it('never touches the lock file of an environment in use', async () => {
    await mkdir(join(dir, 'flash'));
    const tier = await LmdbTier.open({ dir: join(dir, 'flash'), capacityBlocks: 4, blockBytes: 4096 });
    try {
      const before = await readFile(join(dir, 'flash', 'lock.mdb'));
      expect(before.some((b) => b !== 0)).toBe(true); // LMDB wrote its header
      await prepareEnvironmentDir(join(dir, 'flash'));
      expect((await readFile(join(dir, 'flash', 'lock.mdb'))).equals(before)).toBe(true);
    } finally {
      await tier.close();
    }
  });
});
