/**
 * Full and failing storage under the durable tiers: a tiny tmpfs that fills up (ENOSPC), the same
 * file system remounted read-only (EROFS), a per-process file size limit (EFBIG), a tiny LMDB map,
 * and a tier directory that cannot be created. Each put must resolve or reject with a KvtierError,
 * the engine must keep serving, and nothing already stored may be lost or corrupted.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KvCache, type EngineConfig } from '../../src/engine/engine.js';
import { KvtierError } from '../../src/errors.js';
import { checksum } from '../../src/memory/copy-batch.js';
import { LmdbTier } from '../../src/tiers/lmdb-tier.js';
import { canLimitFileSize, withFileSizeLimit } from '../tiers/file-size-limit.js';
import { ROOT } from './fixtures/crash-harness.mjs';
import { expectCleanError, isPayloadOf, keyOf, payloadOf, removeDir, tempDir } from './support.js';

const BLOCK_BYTES = 4096;
const VARIABLE = false;

/** Whether this process may mount a tmpfs (root, or CAP_SYS_ADMIN): checked once with a real mount. */
const canMount: boolean = (() => {
  if (process.platform !== 'linux') return false;
  try {
    execFileSync('sh', ['-c', 'd=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs "$d" && umount "$d" && rmdir "$d"'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function mountTmpfs(dir: string, bytes: number): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
}

function remount(dir: string, mode: 'ro' | 'rw'): void {
  execFileSync('mount', ['-o', `remount,${mode}`, dir]);
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' }); // still busy after a failed test: detach it
  }
}

const payload = (key: string) => payloadOf(key, BLOCK_BYTES, VARIABLE);

let base: string;
let mounted: string[];
let warnings: string[];

beforeEach(async () => {
  base = await tempDir('kvtier-full-');
  mounted = [];
  warnings = [];
});

afterEach(async () => {
  for (const dir of mounted) unmount(dir);
  await removeDir(base);
});

/** A memory tier of `hbm` blocks over one durable tier in `dir`. */
function config(kind: 'flash' | 'disk', dir: string, hbm = 2): EngineConfig {
  return {
    blockBytes: BLOCK_BYTES,
    tiers: [
      { name: 'hbm', capacity: `${hbm}blocks` },
      { name: kind, capacity: '100000blocks', dir, durability: 'synced' },
    ],
    onWarning: (message) => warnings.push(message),
  };
}

/**
 * Puts `count` new blocks one after another, recording each outcome and, after each, which blocks
 * sit in the durable tier. Every outcome must be a resolution or a KvtierError.
 */
async function fill(cache: KvCache, label: string, count: number, durable: string) {
  const outcomes: (true | string)[] = [];
  const everDurable = new Set<string>();
  const keys = Array.from({ length: count }, (_, i) => keyOf(label, i));
  for (const key of keys) {
    try {
      await cache.put(key, payload(key));
      outcomes.push(true);
    } catch (error) {
      expectCleanError(error);
      outcomes.push((error as KvtierError).code);
    }
    await cache.flush(); // the demotions this put caused land in the background
    for (const k of keys) if (cache.lookup([k]).tiers[0] === durable) everDurable.add(k);
  }
  return { keys, outcomes, everDurable };
}

/** Acquires each key alone; every served block must be exact. Returns the keys served. */
async function served(cache: KvCache, keys: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const key of keys) {
    const pin = await cache.acquire([key]);
    if (pin.length === 1) {
      expect(isPayloadOf(key, pin.blocks[0]!, BLOCK_BYTES, VARIABLE), key).toBe(true);
      out.add(key);
    }
    pin.release();
  }
  return out;
}

describe('a disk tier on a file system that fills up (tmpfs, ENOSPC)', () => {
  it.runIf(canMount)('keeps what it stored, reports the failure, and keeps taking puts in memory', async () => {
    const mountPoint = join(base, 'mnt');
    await mkdir(mountPoint);
    mountTmpfs(mountPoint, 64 * 1024); // room for a dozen 4 KiB blocks with their headers
    mounted.push(mountPoint);
    const dir = join(mountPoint, 'disk');
    let cache = await KvCache.open(config('disk', dir));
    const { keys, outcomes, everDurable } = await fill(cache, 'full-disk', 60, 'disk');

    // The file system did fill up, and the engine said so.
    const stats = cache.stats();
    expect(stats.tiers[1]!.ioErrors + stats.failedMoves).toBeGreaterThan(0);
    expect(warnings.some((m) => m.includes('ENOSPC'))).toBe(true);
    expect(everDurable.size).toBeGreaterThan(0);
    // Nothing that reached the durable tier before it filled has left it (puts only push blocks down).
    expect(keys.filter((k) => everDurable.has(k) && cache.lookup([k]).tiers[0] !== 'disk')).toEqual([]);

    // The cache still works once the disk is full: the last puts succeed and are served from memory.
    expect(outcomes.slice(-10)).toEqual(Array(10).fill(true));
    const fresh = await served(cache, keys.slice(-2));
    expect(fresh.size).toBe(2);
    await cache.close();

    // Every durable block is intact: served byte-exact after a reopen on the same full file system.
    // (Checked after the reopen rather than before: an acquire promotes a block out of the durable
    // tier, exclusive promotion, and the memory victim it displaces cannot be written down any more.)
    cache = await KvCache.open(config('disk', dir));
    const after = await served(cache, [...everDurable]);
    expect([...everDurable].filter((k) => !after.has(k))).toEqual([]);
    await cache.close();
  });
});

/** Runs full-disk-child.mjs (the same scenario over the built engine) and parses its phase lines. */
function fullDiskChild(dir: string, durability: 'fast' | 'synced', puts: number) {
  const run = spawnSync(
    process.execPath,
    [join(ROOT, 'test', 'reliability', 'fixtures', 'full-disk-child.mjs'), pathToFileURL(join(ROOT, 'dist', 'src', 'engine', 'engine.js')).href, 'flash', dir, durability, String(puts)],
    { encoding: 'utf8', timeout: 30_000 },
  );
  const phase = (name: string): number[] | null => {
    const line = run.stdout.split('\n').find((l) => l === name || l.startsWith(`${name} `));
    return line === undefined ? null : line.split(' ').slice(1).map(Number);
  };
  return { run, phase, context: `status ${run.status}, signal ${run.signal}: ${run.stdout}${run.stderr.slice(0, 1000)}` };
}

describe('a flash tier on a file system that fills up (tmpfs, ENOSPC; child processes)', () => {
  let mountPoint: string;

  beforeEach(async () => {
    mountPoint = join(base, 'mnt');
    await mkdir(mountPoint);
  });

  it.runIf(canMount)('keeps what it stored, refuses cleanly and keeps taking puts in memory', async () => {
    mountTmpfs(mountPoint, 160 * 1024);
    mounted.push(mountPoint);
    const { phase, context } = fullDiskChild(join(mountPoint, 'flash'), 'fast', 60);
    const [acknowledged, refused, unclean, durable] = phase('FILLED') ?? [];
    expect(unclean, context).toBe(0);
    expect(acknowledged! + refused!, context).toBe(60);
    expect(durable, context).toBeGreaterThan(0);
    expect(phase('INTACT'), context).toEqual([0]);
    expect(phase('FRESH'), context).toEqual([2]);
    expect(phase('CLOSED'), context).toEqual([]);
    expect(phase('AFTER'), context).toEqual([0]);
  });

  // With lmdb-js's overlappingSync (its default when syncing), a failed commit leaves its flush
  // promise unresolved for ever and close() hung; the flash tier turns it off.
  it.runIf(canMount)('synced: close() returns after writes failed for lack of space', async () => {
    mountTmpfs(mountPoint, 160 * 1024);
    mounted.push(mountPoint);
    const { phase, context } = fullDiskChild(join(mountPoint, 'flash'), 'synced', 60);
    expect(phase('FRESH'), context).toEqual([2]); // everything up to close works
    expect(phase('CLOSED'), context).toEqual([]);
  });

  // Without lmdb-preflight.ts, LMDB's mapped lock file kills the process (SIGBUS) and a failed meta
  // page write crashes lmdb-js (SIGSEGV), both inside KvCache.open.
  it.runIf(canMount)('opening a new environment on a full file system rejects with ERR_IO instead of crashing', async () => {
    mountTmpfs(mountPoint, 64 * 1024);
    mounted.push(mountPoint);
    execFileSync('dd', ['if=/dev/zero', `of=${join(mountPoint, 'filler')}`, 'bs=4k', 'count=16'], { stdio: 'ignore' });
    const { run, phase, context } = fullDiskChild(join(mountPoint, 'flash'), 'fast', 4);
    expect(run.signal, context).toBe(null);
    expect(phase('OPEN-FAILED') ?? phase('CLOSED'), context).not.toBeNull();
  });

  // The space LMDB needs to create an environment runs out at every possible point: before its
  // lock file, between the lock file and the meta pages, during the first commits.
  it.runIf(canMount)('opens or refuses cleanly at every amount of free space from 0 to 96 KiB', async () => {
    const outcomes: string[] = [];
    for (const freeKiB of [0, 4, 8, 12, 16, 20, 24, 32, 48, 64, 80, 96]) {
      mountTmpfs(mountPoint, 128 * 1024);
      mounted.push(mountPoint);
      if (freeKiB < 128) {
        execFileSync('dd', ['if=/dev/zero', `of=${join(mountPoint, 'filler')}`, 'bs=1k', `count=${128 - freeKiB}`], { stdio: 'ignore' });
      }
      const { run, phase, context } = fullDiskChild(join(mountPoint, 'flash'), 'fast', 8);
      expect(run.signal, `${freeKiB} KiB free: ${context}`).toBe(null);
      const opened = phase('OPENED') !== null;
      if (opened) expect(phase('AFTER'), `${freeKiB} KiB free: ${context}`).toEqual([0]);
      else expect(run.stdout, `${freeKiB} KiB free: ${context}`).toMatch(/^OPEN-FAILED ERR_IO .*(no space left|ENOSPC)/im);
      outcomes.push(opened ? 'opened' : 'refused');
      unmount(mountPoint);
      mounted.pop();
    }
    expect(outcomes[0]).toBe('refused');
    expect(outcomes.at(-1)).toBe('opened');
  });
});

describe('a durable tier on a read-only file system (tmpfs remounted ro, EROFS)', () => {
  // A mounted file system cannot turn read-only under open writable files, so the engine is
  // closed, the file system remounted read-only, and the engine opened on it.
  it.runIf(canMount).each(['disk', 'flash'] as const)('%s: open rejects with ERR_IO, and the stored blocks are intact once writable again', async (kind) => {
    const mountPoint = join(base, 'ro');
    await mkdir(mountPoint);
    mountTmpfs(mountPoint, 8 * 2 ** 20);
    mounted.push(mountPoint);
    const dir = join(mountPoint, kind);
    let cache = await KvCache.open(config(kind, dir));
    const { outcomes, everDurable } = await fill(cache, `ro-${kind}`, 12, kind);
    expect(outcomes.every((o) => o === true)).toBe(true);
    await cache.close();
    remount(mountPoint, 'ro');
    const error = await KvCache.open(config(kind, dir)).then(
      (opened) => opened.close().then(() => null),
      (e: unknown) => e,
    );
    remount(mountPoint, 'rw');
    expect(error).toBeInstanceOf(KvtierError);
    expect((error as KvtierError).code).toBe('ERR_IO');
    expect((error as KvtierError).message).toContain(dir);
    cache = await KvCache.open(config(kind, dir));
    const kept = await served(cache, [...everDurable]);
    expect(kept).toEqual(everDurable);
    await cache.close();
  });
});

describe('a disk tier under a file size limit (RLIMIT_FSIZE, EFBIG)', () => {
  it.runIf(canLimitFileSize)('keeps what it stored and keeps taking puts in memory', async () => {
    const dir = join(base, 'disk');
    const cache = await KvCache.open(config('disk', dir));
    const result = await withFileSizeLimit(16 * (256 + BLOCK_BYTES), () => fill(cache, 'fsize', 40, 'disk'));
    expect(cache.stats().tiers[1]!.ioErrors + cache.stats().failedMoves).toBeGreaterThan(0);
    const kept = await served(cache, [...result.everDurable]);
    expect([...result.everDurable].filter((k) => !kept.has(k))).toEqual([]);
    expect(result.outcomes.slice(-5)).toEqual([true, true, true, true, true]);
    await cache.close();
  });
});

describe('a flash tier with a tiny LMDB map (mapBytes)', () => {
  it('grows the map or refuses writes cleanly, and never loses a written block', async () => {
    const dir = join(base, 'flash');
    const tier = await LmdbTier.open({ dir, capacityBlocks: 1000, blockBytes: BLOCK_BYTES, mapBytes: 64 * 1024, onDamage: () => {} });
    const written: string[] = [];
    for (let i = 0; i < 120; i++) {
      const key = keyOf('map', i);
      const bytes = payload(key);
      try {
        await tier.write({ key, parent: null, namespace: '', length: bytes.length, checksum: checksum(bytes) }, bytes);
        written.push(key);
      } catch (error) {
        expectCleanError(error);
        expect(['ERR_TIER_FULL', 'ERR_IO']).toContain((error as KvtierError).code);
      }
    }
    expect(written.length).toBeGreaterThan(0);
    const check = async (t: LmdbTier) => {
      const dst = new Uint8Array(BLOCK_BYTES);
      for (const key of written) {
        expect(await t.read(key, dst), key).not.toBeNull();
        expect(isPayloadOf(key, dst, BLOCK_BYTES, VARIABLE)).toBe(true);
      }
    };
    await check(tier);
    await tier.close();
    const reopened = await LmdbTier.open({ dir, capacityBlocks: 1000, blockBytes: BLOCK_BYTES, mapBytes: 64 * 1024, onDamage: () => {} });
    await check(reopened);
    await reopened.close();
  });
});

describe('a tier directory that cannot be created', () => {
  it.each(['flash', 'disk'] as const)('%s: open rejects with ERR_IO naming the directory', async (kind) => {
    const file = join(base, 'a-file');
    await writeFile(file, 'not a directory');
    const dir = join(file, kind);
    const error = await KvCache.open(config(kind, dir)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KvtierError);
    expect((error as KvtierError).code).toBe('ERR_IO');
    expect((error as KvtierError).message).toContain(dir);
  });
});
