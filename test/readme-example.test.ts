// Keeps the README's library example true: the same calls, on small blocks in a temp dir.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KvCache } from '../src/index.js';

describe('the README library example', () => {
  it('runs as written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kvtier-readme-'));
    const cache = await KvCache.open({
      model: 'llama-3.1-8b',
      blockTokens: 512,
      blockBytes: 4096,
      tiers: [
        { name: 'hbm', capacity: '64blocks' },
        { name: 'ddr', capacity: '1MiB', policy: 's3fifo' },
        { name: 'flash', capacity: '4MiB', dir: join(dir, 'flash'), durability: 'synced' },
        { name: 'disk', capacity: '16MiB', dir: join(dir, 'disk') },
      ],
      writePolicy: 'write-back',
    });
    const tokenIds = Array.from({ length: 512 * 8 + 100 }, (_, i) => (i * 7919) % 50_000);
    const keys = cache.keys(tokenIds);
    expect(keys).toHaveLength(8);
    await cache.putChain(keys.slice(0, 5), keys.slice(0, 5).map((_, i) => new Uint8Array(4096).fill(i + 1)));

    const { prefixBlocks, tiers } = cache.lookup(keys);
    expect(prefixBlocks).toBe(5);
    expect(tiers).toEqual(['hbm', 'hbm', 'hbm', 'hbm', 'hbm']);
    const pinned = await cache.acquire(keys);
    expect(pinned.blocks.map((b) => b[0])).toEqual([1, 2, 3, 4, 5]);
    pinned.release();
    const newBlocks = keys.slice(pinned.length).map(() => new Uint8Array(4096).fill(9));
    expect(await cache.putChain(keys.slice(pinned.length), newBlocks, pinned.keys.at(-1) ?? null)).toBe(3);
    const prefetch = cache.prefetch(keys);
    await prefetch.done;
    expect(prefetch.alreadyInTop).toBe(8);
    expect(cache.namespace('tenant-42').lookup(keys).prefixBlocks).toBe(0);
    expect(cache.stats().tiers[0]!.usedBlocks).toBe(8);
    await cache.close();
  });
});
