/** The embedded engine on real tiers: put/lookup/acquire, pins, prefetch, reopen, damage, namespaces, stats, concurrency. */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { namespaceSalt } from '../../src/engine/block-keys.js';
import type { EngineConfig } from '../../src/engine/config.js';
import { KvCache } from '../../src/engine/engine.js';
import { checksum } from '../../src/memory/copy-batch.js';
import { createTier } from '../../src/tiers/registry.js';
import { canLimitFileSize, withFileSizeLimit } from '../tiers/file-size-limit.js';
import type { PinHandle } from '../../src/engine/pin-handle.js';
import type { EngineStats, TierStats } from '../../src/engine/stats.js';
import {
  BLOCK_BYTES,
  bytesFor,
  flipByte,
  keyOf,
  offsetIn,
  openStack,
  rejection,
  removeDir,
  sameBytes,
  segmentFiles,
  tempDir,
  thrown,
  type StackCapacities,
  type TestEngine,
} from './support.js';

let dir: string;
const opened: KvCache[] = [];

beforeEach(async () => {
  dir = await tempDir();
});

afterEach(async () => {
  for (const cache of opened.splice(0)) await cache.close();
  await removeDir(dir);
});

async function open(capacities: StackCapacities, overrides: Partial<EngineConfig> = {}): Promise<TestEngine> {
  const engine = await openStack(dir, capacities, overrides);
  opened.push(engine.cache);
  return engine;
}

/** Puts blocks `from..to-1` (keys keyOf(i), bytes derived from the key), one after another. */
async function putRange(cache: KvCache, from: number, to: number): Promise<string[]> {
  const keys: string[] = [];
  for (let i = from; i < to; i++) {
    const key = keyOf(i);
    expect(await cache.put(key, bytesFor(key))).toBe(true);
    keys.push(key);
  }
  await cache.flush(); // demotions to durable tiers land in the background: settle them for the checks
  return keys;
}

function tier(stats: EngineStats, name: string): TierStats {
  return stats.tiers.find((t) => t.name === name)!;
}

/** Where each key is, by lookup (which changes nothing): a tier name or "-" for a miss. */
function where(cache: KvCache, keys: readonly string[]): string[] {
  return keys.map((key) => cache.lookup([key]).tiers[0] ?? '-');
}

function expectExact(handle: PinHandle, salt = 0): void {
  handle.blocks.forEach((block, i) => {
    expect(sameBytes(block, bytesFor(handle.keys[i]!, block.length, salt))).toBe(true);
  });
}

describe('put, lookup, acquire', () => {
  it('stores blocks, finds the cached prefix, and serves byte-exact views', async () => {
    const { cache } = await open({ hbm: 4, ddr: 4 });
    const keys = await putRange(cache, 0, 3);
    expect(await cache.put(keys[1]!, bytesFor(keys[1]!))).toBe(false); // already cached: touched, not stored again
    expect(cache.lookup([...keys, keyOf(99), keys[0]!])).toEqual({ prefixBlocks: 3, tiers: ['hbm', 'hbm', 'hbm'] });
    expect(cache.lookup([keyOf(99), ...keys])).toEqual({ prefixBlocks: 0, tiers: [] });
    const handle = await cache.acquire([...keys, keyOf(99)]);
    expect(handle.length).toBe(3);
    expect(handle.keys).toEqual(keys);
    expect(handle.active).toBe(true);
    expectExact(handle);
    handle.release();
    expect(handle.active).toBe(false);
    thrown(() => handle.release(), ErrorCode.PIN, 'this pin handle was already released');
    expect(cache.stats()).toMatchObject({ puts: 3, pins: { acquired: 1, released: 1, leaked: 0, expired: 0 } });
  });

  it('copies the caller’s bytes on put, and hands out zero-copy views of the top tier', async () => {
    const { cache } = await open({ hbm: 4 });
    const key = keyOf(1);
    const bytes = bytesFor(key);
    await cache.put(key, bytes);
    bytes.fill(0); // the cache kept its own copy
    const a = await cache.acquire([key]);
    const b = await cache.acquire([key]);
    expectExact(a);
    // Both handles view the same memory: the top tier's slot, not a copy per acquire.
    expect(a.blocks[0]!.buffer).toBe(b.blocks[0]!.buffer);
    expect(a.blocks[0]!.byteOffset).toBe(b.blocks[0]!.byteOffset);
    expect(a.blocks[0]!.buffer).not.toBe(bytes.buffer);
    a.release();
    b.release();
  });

  it('stores a partial last block at its own length', async () => {
    const { cache } = await open({ hbm: 2, flash: 2 });
    const key = keyOf(5);
    await cache.put(key, bytesFor(key, 100));
    const handle = await cache.acquire([key]);
    expect(handle.blocks[0]!.length).toBe(100);
    expectExact(handle);
    handle.release();
    // Demoted to flash and promoted back, it keeps its length and bytes.
    await putRange(cache, 10, 12);
    expect(where(cache, [key])).toEqual(['flash']);
    const again = await cache.acquire([key]);
    expect(again.blocks[0]!.length).toBe(100);
    expectExact(again);
    again.release();
  });

  it('demotes down the stack and promotes a hit back to the top, byte-exact at every level', async () => {
    const { cache } = await open({ hbm: 2, ddr: 2, flash: 2, disk: 8 });
    const keys = await putRange(cache, 0, 10);
    expect(where(cache, keys)).toEqual(['disk', 'disk', 'disk', 'disk', 'flash', 'flash', 'ddr', 'ddr', 'hbm', 'hbm']);
    for (const [i, from] of [
      [0, 'disk'],
      [5, 'flash'],
      [8, 'ddr'],
    ] as const) {
      expect(cache.lookup([keys[i]!]).tiers).toEqual([from]);
      const handle = await cache.acquire([keys[i]!]);
      expectExact(handle);
      handle.release();
      expect(where(cache, [keys[i]!])).toEqual(['hbm']);
    }
    // Each promotion is a swap: the top tier's LRU block goes one tier down, cascading only until it
    // reaches the tier the promoted block left (0 from disk: 8→ddr, 6→flash, 4→disk; 5 from flash:
    // 9→ddr, 7→flash; 8 from ddr: 0→ddr).
    expect(where(cache, keys)).toEqual(['ddr', 'disk', 'disk', 'disk', 'disk', 'hbm', 'flash', 'flash', 'hbm', 'ddr']);
    for (let i = 0; i < 10; i++) {
      const handle = await cache.acquire([keys[i]!]);
      expectExact(handle);
      handle.release();
    }
    const stats = cache.stats();
    expect(tier(stats, 'hbm').promotionsIn).toBe(stats.tiers.slice(1).reduce((sum, t) => sum + t.promotionsOut, 0));
    expect(tier(stats, 'hbm').promotionsIn).toBeGreaterThanOrEqual(3 + 8);
    expect(stats.failedMoves).toBe(0);
  });

  it('a lookup changes nothing: the block it looked at is still the LRU victim', async () => {
    const { cache } = await open({ hbm: 2 });
    const [a, b] = await putRange(cache, 0, 2);
    for (let i = 0; i < 5; i++) expect(cache.lookup([a!]).prefixBlocks).toBe(1);
    await putRange(cache, 2, 3);
    expect(where(cache, [a!, b!])).toEqual(['-', 'hbm']);
    // An acquire is an access: it does protect the block.
    (await cache.acquire([b!])).release();
    await putRange(cache, 3, 4);
    expect(where(cache, [b!, keyOf(2)])).toEqual(['hbm', '-']);
  });

  it('putting a cached block again promotes it like an access', async () => {
    const { cache } = await open({ hbm: 1, ddr: 2 });
    const [a, b] = await putRange(cache, 0, 2);
    expect(where(cache, [a!, b!])).toEqual(['ddr', 'hbm']);
    expect(await cache.put(a!, bytesFor(a!))).toBe(false);
    expect(where(cache, [a!, b!])).toEqual(['hbm', 'ddr']);
  });

  it('rejects bad arguments with clear messages', async () => {
    const { cache } = await open({ hbm: 2 });
    const key = keyOf(1);
    await rejection(cache.put('nope', bytesFor(key)), ErrorCode.INVALID_ARGUMENT, 'expected a block key (32 lowercase hex characters) for `key`, got "nope"');
    await rejection(cache.put(key, [1, 2] as never), ErrorCode.INVALID_ARGUMENT, 'expected a Uint8Array or Buffer for `bytes`, got an array of 2');
    await rejection(
      cache.put(key, new Uint8Array(0)),
      ErrorCode.INVALID_ARGUMENT,
      'expected 1 to 4096 bytes (the block size) for `bytes`, got a Uint8Array of 0 bytes',
    );
    await rejection(
      cache.put(key, new Uint8Array(BLOCK_BYTES + 1)),
      ErrorCode.INVALID_ARGUMENT,
      'expected 1 to 4096 bytes (the block size) for `bytes`, got a Uint8Array of 4097 bytes',
    );
    await rejection(cache.put(key, bytesFor(key), { parent: 'x' }), ErrorCode.INVALID_ARGUMENT, /for `parent`, got "x"/);
    thrown(() => cache.lookup('abc' as never), ErrorCode.INVALID_ARGUMENT, 'expected an array of block keys for `keys`, got "abc"');
    thrown(() => cache.lookup([key, 'zz']), ErrorCode.INVALID_ARGUMENT, /for `keys\[1\]`, got "zz"/);
    await rejection(cache.acquire([key, 'zz']), ErrorCode.INVALID_ARGUMENT, /for `keys\[1\]`/);
    thrown(() => cache.prefetch([7 as never]), ErrorCode.INVALID_ARGUMENT, /for `keys\[0\]`, got 7/);
    await rejection(cache.putChain([key], []), ErrorCode.INVALID_ARGUMENT, 'expected an array of 1 blocks (one per key) for `blocks`, got an array of 0');
    thrown(() => cache.namespace(3 as never), ErrorCode.INVALID_ARGUMENT, 'expected a string for `name`, got 3');
    // A Proxy passes instanceof Uint8Array but is no typed array: rejected, not a TypeError.
    await rejection(cache.put(key, new Proxy(bytesFor(key), {})), ErrorCode.INVALID_ARGUMENT, /for `bytes`/);
    thrown(() => cache.keys(null as never), ErrorCode.INVALID_ARGUMENT, 'expected an array of token ids for `tokens`, got null');
    // null options are no options.
    expect(await cache.put(key, bytesFor(key), null)).toBe(true);
    expect(cache.stats().puts).toBe(1);
  });

  it('keys tokens per namespace and stores chains with putChain', async () => {
    const { cache } = await open({ hbm: 8 });
    expect(cache.blockTokens).toBe(16);
    expect(cache.blockBytes).toBe(BLOCK_BYTES);
    expect(cache.tierNames).toEqual(['hbm']);
    const tokens = Array.from({ length: 50 }, (_, i) => i);
    const keys = cache.keys(tokens);
    expect(keys).toHaveLength(3);
    expect(await cache.putChain(keys, keys.map((k) => bytesFor(k)))).toBe(3);
    expect(await cache.putChain(keys, keys.map((k) => bytesFor(k)))).toBe(0);
    expect(cache.lookup(keys).prefixBlocks).toBe(3);
    expect(cache.keys(tokens.slice(32), keys[1]!)).toEqual([keys[2]]);
  });

  it('rejects everything after close, and closes once', async () => {
    const { cache } = await open({ hbm: 2, flash: 2 });
    await putRange(cache, 0, 1);
    await cache.close();
    await cache.close();
    thrown(() => cache.lookup([keyOf(0)]), ErrorCode.CLOSED, 'the cache is closed');
    await rejection(cache.put(keyOf(1), bytesFor(keyOf(1))), ErrorCode.CLOSED);
    await rejection(cache.acquire([keyOf(0)]), ErrorCode.CLOSED);
    thrown(() => cache.prefetch([keyOf(0)]), ErrorCode.CLOSED);
  });
  it('an acquire of top-tier blocks waits for their own copies only, not for unrelated queued moves', async () => {
    const { cache } = await open({ hbm: 40, flash: 40 }, { writePolicy: 'write-through' });
    const [hot] = await putRange(cache, 0, 1);
    const order: string[] = [];
    // Thirty puts queue their writes (and copies to flash); the acquire comes after them but needs none of them.
    const puts = Array.from({ length: 30 }, (_, i) => {
      const key = keyOf(100 + i);
      return cache.put(key, bytesFor(key)).then(() => order.push('put'));
    });
    const fresh = keyOf(200);
    const freshPut = cache.put(fresh, bytesFor(fresh));
    const acquired = cache.acquire([hot!]).then((handle) => {
      order.push('acquire');
      return handle;
    });
    // An acquire of a block whose insert is still queued does wait for that insert.
    const waited = cache.acquire([fresh]).then((handle) => {
      order.push('acquire-fresh');
      return handle;
    });
    const [handle, freshHandle] = await Promise.all([acquired, waited, ...puts, freshPut]);
    expect(order[0]).toBe('acquire');
    expect(order.indexOf('acquire-fresh')).toBe(order.length - 1);
    expect(where(cache, [hot!])).toEqual(['hbm']);
    expectExact(handle);
    expectExact(freshHandle);
    handle.release();
    freshHandle.release();
  });
});

describe('write and promotion policies', () => {
  it('write-through copies a new block into tier 1, so evicting it from the top moves no data', async () => {
    const { cache } = await open({ hbm: 2, flash: 4 }, { writePolicy: 'write-through' });
    const keys = await putRange(cache, 0, 2);
    let stats = cache.stats();
    expect(tier(stats, 'flash')).toMatchObject({ copiesIn: 2, usedBlocks: 2, bytesWritten: 2 * BLOCK_BYTES });
    await putRange(cache, 2, 3);
    stats = cache.stats();
    expect(where(cache, keys)).toEqual(['flash', 'hbm']);
    expect(tier(stats, 'hbm')).toMatchObject({ evictions: 1, demotionsOut: 0 });
    expect(tier(stats, 'flash')).toMatchObject({ copiesIn: 3, demotionsIn: 0, bytesWritten: 3 * BLOCK_BYTES });
    const handle = await cache.acquire([keys[0]!]);
    expectExact(handle);
    handle.release();
  });

  it('inclusive promotion keeps the lower copy: the block goes back down without a write', async () => {
    const { cache } = await open({ hbm: 1, flash: 4 }, { promotion: 'inclusive' });
    const [a] = await putRange(cache, 0, 2);
    const written = tier(cache.stats(), 'flash').bytesWritten;
    const handle = await cache.acquire([a!]);
    expectExact(handle);
    handle.release();
    await putRange(cache, 2, 3);
    const stats = cache.stats();
    // a came up by a copy and left by a drop: the only flash write since is block 1's demotion.
    expect(tier(stats, 'flash').bytesWritten - written).toBe(BLOCK_BYTES);
    expect(tier(stats, 'flash').usedBlocks).toBe(2);
    expect(tier(stats, 'hbm')).toMatchObject({ promotionsIn: 1, evictions: 3, demotionsOut: 2 });
    expect(where(cache, [a!])).toEqual(['flash']);
  });
});

describe('pins', () => {
  it('never evicts a pinned block; a top tier full of pins rejects put and acquire, until released', async () => {
    const { cache } = await open({ hbm: 2, ddr: 2, disk: 8 });
    const [a, b, c] = await putRange(cache, 0, 3);
    const held = await cache.acquire([b!, c!]);
    await rejection(
      cache.put(keyOf(9), bytesFor(keyOf(9))),
      ErrorCode.TIER_FULL,
      'tier 0 is full (2 of 2 blocks) and nothing can be evicted: 2 blocks are pinned',
    );
    // a sits in ddr: bringing it up needs room in the top tier too.
    expect(where(cache, [a!])).toEqual(['ddr']);
    const error = await rejection(cache.acquire([a!]), ErrorCode.TIER_FULL, /2 blocks are pinned/);
    expect(error.details).toMatchObject({ tier: 0, used: 2, capacity: 2, pinned: 2 });
    expect(where(cache, [a!, keyOf(9)])).toEqual(['ddr', '-']);
    expectExact(held);
    // The failed calls left no pins behind and stored nothing.
    expect(cache.stats()).toMatchObject({ puts: 3, cachedBlocks: 3, pins: { acquired: 1, released: 0 } });
    held.release();
    expect(await cache.put(keyOf(9), bytesFor(keyOf(9)))).toBe(true);
    const now = await cache.acquire([a!]);
    expectExact(now);
    now.release();
  });

  it('keeps a pinned block in the top tier, bytes intact, while many others pass through', async () => {
    const { cache } = await open({ hbm: 3, ddr: 3, flash: 40 });
    const [pinned] = await putRange(cache, 0, 1);
    const handle = await cache.acquire([pinned!]);
    const view = handle.blocks[0]!;
    await putRange(cache, 1, 40);
    expect(where(cache, [pinned!])).toEqual(['hbm']);
    expect(sameBytes(view, bytesFor(pinned!))).toBe(true);
    handle.release();
    await putRange(cache, 40, 43);
    expect(where(cache, [pinned!])).toEqual(['ddr']);
  });

  it('pins of an acquire cover the whole prefix: more blocks than the top tier holds are rejected', async () => {
    const { cache } = await open({ hbm: 2, ddr: 4 });
    const keys = await putRange(cache, 0, 4);
    await rejection(cache.acquire(keys), ErrorCode.TIER_FULL, /nothing can be evicted: 2 blocks are pinned/);
    expect(cache.stats().pins).toEqual({ acquired: 0, released: 0, leaked: 0, expired: 0 });
    const two = await cache.acquire(keys.slice(2));
    expectExact(two);
    two.release();
  });

  it('lets a pin lapse after pinTtlMs; a later release is quiet', async () => {
    const { cache } = await open({ hbm: 1 }, { pinTtlMs: 5 });
    const [a] = await putRange(cache, 0, 1);
    const handle = await cache.acquire([a!]);
    await rejection(cache.put(keyOf(1), bytesFor(keyOf(1))), ErrorCode.TIER_FULL);
    while (handle.active) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(cache.stats().pins).toMatchObject({ acquired: 1, expired: 1, released: 0 });
    handle.release(); // quiet
    expect(cache.stats().pins.released).toBe(0);
    expect(await cache.put(keyOf(1), bytesFor(keyOf(1)))).toBe(true);
    expect(where(cache, [a!])).toEqual(['-']);
  });

  it('reports a handle garbage-collected without release and drops its pins', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const { cache, warnings } = await open({ hbm: 2 });
    const keys = await putRange(cache, 0, 2);
    // The handle lives only inside this call: nothing keeps it reachable afterwards.
    await (async () => {
      const handle = await cache.acquire(keys);
      expect(handle.length).toBe(2);
    })();
    await rejection(cache.put(keyOf(7), bytesFor(keyOf(7))), ErrorCode.TIER_FULL);
    for (let i = 0; i < 50 && cache.stats().pins.leaked === 0; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(cache.stats().pins).toMatchObject({ acquired: 1, leaked: 1, released: 0 });
    expect(warnings).toContain('a pin handle of 2 blocks was garbage-collected without release()');
    expect(await cache.put(keyOf(7), bytesFor(keyOf(7)))).toBe(true);
  });

  it('an acquire of nothing cached pins nothing and releases once', async () => {
    const { cache } = await open({ hbm: 1 });
    const handle = await cache.acquire([keyOf(3)]);
    expect(handle.length).toBe(0);
    expect(handle.blocks).toEqual([]);
    handle.release();
    thrown(() => handle.release(), ErrorCode.PIN);
    expect(cache.stats().pins.acquired).toBe(0);
  });
});

describe('prefetch', () => {
  it('starts promotions, says what was already on top and why the rest was skipped', async () => {
    const { cache } = await open({ hbm: 3, flash: 6 });
    const keys = await putRange(cache, 0, 6); // 0..2 in flash, 3..5 in hbm
    const result = cache.prefetch([keys[5]!, keys[0]!, keys[1]!, keyOf(50), keys[2]!]);
    expect(result).toMatchObject({
      requested: 5,
      started: 2,
      alreadyInTop: 1,
      skipped: [
        { key: keyOf(50), reason: 'not cached' },
        { key: keys[2], reason: 'after a missing block' },
      ],
    });
    await result.done;
    expect(where(cache, [keys[5]!, keys[0]!, keys[1]!])).toEqual(['hbm', 'hbm', 'hbm']);
    expect(cache.stats().prefetch).toEqual({ requested: 5, started: 2, alreadyInTop: 1, skipped: 2, revoked: 0, used: 0 });
  });

  it('an acquire after a prefetch uses the prefetched copy instead of copying again', async () => {
    const { cache } = await open({ hbm: 2, flash: 4 });
    const keys = await putRange(cache, 0, 4); // 0, 1 in flash
    const before = cache.stats();
    const result = cache.prefetch(keys.slice(0, 2));
    expect(result.started).toBe(2);
    // No await of result.done: the acquire must wait for those copies, not repeat them.
    const handle = await cache.acquire(keys.slice(0, 2));
    expectExact(handle);
    const after = cache.stats();
    expect(tier(after, 'hbm').promotionsIn - tier(before, 'hbm').promotionsIn).toBe(2);
    expect(tier(after, 'flash').promotionsOut - tier(before, 'flash').promotionsOut).toBe(2);
    expect(tier(after, 'hbm').bytesWritten - tier(before, 'hbm').bytesWritten).toBe(2 * BLOCK_BYTES);
    expect(tier(after, 'flash').bytesRead - tier(before, 'flash').bytesRead).toBe(2 * BLOCK_BYTES);
    expect(after.prefetch).toMatchObject({ started: 2, used: 2, revoked: 0 });
    handle.release();
  });

  it('skips blocks the pinned top tier cannot take, and counts prefetched blocks evicted unused', async () => {
    const { cache } = await open({ hbm: 2, flash: 6 });
    const keys = await putRange(cache, 0, 6); // 0..3 in flash
    const held = await cache.acquire([keys[4]!]);
    const first = cache.prefetch([keys[0]!]);
    await first.done;
    const second = cache.prefetch([keys[1]!]); // evicts the unused prefetched keys[0]
    await second.done;
    expect(cache.stats().prefetch).toMatchObject({ started: 2, revoked: 1 });
    const full = await cache.acquire([keys[1]!]);
    const result = cache.prefetch([keys[2]!, keys[3]!]);
    expect(result).toMatchObject({
      started: 0,
      skipped: [
        { key: keys[2], reason: 'top tier full of pinned blocks' },
        { key: keys[3], reason: 'top tier full of pinned blocks' },
      ],
    });
    await result.done;
    expect(where(cache, [keys[2]!, keys[3]!])).toEqual(['flash', 'flash']);
    held.release();
    full.release();
  });
  it('never evicts a block it brought up to make room for a later one of the same call', async () => {
    const { cache } = await open({ hbm: 2, flash: 6 });
    const keys = await putRange(cache, 0, 6); // 0..3 in flash, 4 and 5 in hbm
    const result = cache.prefetch(keys.slice(0, 3));
    expect(result).toMatchObject({
      started: 2,
      skipped: [{ key: keys[2], reason: 'no room without evicting an earlier block of this prefetch' }],
    });
    await result.done;
    expect(where(cache, keys.slice(0, 3))).toEqual(['hbm', 'hbm', 'flash']);
    expect(cache.stats().prefetch).toMatchObject({ started: 2, revoked: 0, skipped: 1 });
    // A block already on top counts as brought up: it is not evicted for a later one either.
    const again = cache.prefetch([keys[1]!, keys[3]!]);
    expect(again).toMatchObject({ alreadyInTop: 1, started: 1 });
    await again.done;
    expect(where(cache, [keys[1]!, keys[3]!])).toEqual(['hbm', 'hbm']);
    // When the top tier is full of the caller's own pins, that is the reason given.
    const pinned = await cache.acquire([keys[1]!, keys[3]!]);
    expect(cache.prefetch([keys[1]!, keys[0]!]).skipped).toEqual([{ key: keys[0], reason: 'top tier full of pinned blocks' }]);
    pinned.release();
  });
});

describe('reopen', () => {
  it('serves the blocks of the durable tiers byte-exact after close and reopen; memory starts empty', async () => {
    const capacities = { hbm: 2, flash: 3, disk: 4 };
    const first = await open(capacities);
    const keys = await putRange(first.cache, 0, 9);
    expect(where(first.cache, keys)).toEqual(['disk', 'disk', 'disk', 'disk', 'flash', 'flash', 'flash', 'hbm', 'hbm']);
    await first.cache.close();
    const second = await open(capacities);
    expect(second.cache.stats().recovered).toBe(7);
    expect(where(second.cache, keys)).toEqual(['disk', 'disk', 'disk', 'disk', 'flash', 'flash', 'flash', '-', '-']);
    for (let i = 0; i < 7; i++) {
      const handle = await second.cache.acquire([keys[i]!]);
      expect(handle.length).toBe(1);
      expectExact(handle);
      handle.release();
    }
    expect(second.cache.stats()).toMatchObject({ failedMoves: 0, lostBlocks: 0 });
    expect(second.warnings).toEqual([]);
  });

  it('drops recovered blocks beyond a smaller capacity, and counts them', async () => {
    const first = await open({ hbm: 1, flash: 6 });
    const keys = await putRange(first.cache, 0, 7);
    await first.cache.close();
    const second = await open({ hbm: 1, flash: 4 });
    expect(second.cache.stats()).toMatchObject({ recovered: 4, recoveryDropped: 2 });
    expect(tier(second.cache.stats(), 'flash').usedBlocks).toBe(4);
    const found = keys.filter((key) => second.cache.lookup([key]).prefixBlocks === 1);
    expect(found).toHaveLength(4);
    // The dropped ones are gone from the tier as well: the next reopen finds only 4.
    await second.cache.close();
    const third = await open({ hbm: 1, flash: 6 });
    expect(third.cache.stats().recovered).toBe(4);
  });

  it('drops recovered blocks larger than a smaller block size, with a warning, and serves the rest', async () => {
    const first = await open({ hbm: 1, flash: 4, disk: 4 });
    const keys = await putRange(first.cache, 0, 5); // 4 durable full-size blocks
    const short = keyOf(99);
    await first.cache.put(short, bytesFor(short).subarray(0, BLOCK_BYTES / 2));
    await first.cache.put(keyOf(100), bytesFor(keyOf(100))); // pushes the short block down
    await first.cache.close();
    const second = await open({ hbm: 1, flash: 4, disk: 4 }, { blockBytes: BLOCK_BYTES / 2 });
    expect(second.cache.stats()).toMatchObject({ recovered: 1, recoveryDropped: 5 });
    expect(where(second.cache, [...keys.slice(0, 4), short])).toEqual(['-', '-', '-', '-', 'flash']);
    expect(second.warnings.filter((w) => /larger than the block size/.test(w))).toHaveLength(5);
    const handle = await second.cache.acquire([short]);
    expect(handle.blocks[0]).toEqual(bytesFor(short).subarray(0, BLOCK_BYTES / 2));
    handle.release();
    await second.cache.close();
    // Dropped from the tiers as well, not just from the index (and the short block went up to hbm
    // with the acquire, exclusive promotion, so nothing is left to recover).
    const third = await open({ hbm: 1, flash: 4, disk: 4 });
    expect(third.cache.stats()).toMatchObject({ recovered: 0, recoveryDropped: 0 });
  });

  it('serves flipped bytes in flash (LMDB) or disk (segment) as a miss, counted and reported, never corrupt', async () => {
    const capacities = { hbm: 1, flash: 2, disk: 4 };
    const first = await open(capacities);
    const keys = await putRange(first.cache, 0, 5);
    expect(where(first.cache, keys)).toEqual(['disk', 'disk', 'flash', 'flash', 'hbm']);
    await first.cache.close();
    // Flip one payload byte of keys[0] (disk) and of keys[2] (flash), found by their contents.
    const segment = (await segmentFiles(join(dir, 'disk')))[0]!;
    const inDisk = await offsetIn(segment, bytesFor(keys[0]!).subarray(0, 64));
    const mdb = join(dir, 'flash', 'data.mdb');
    const inFlash = await offsetIn(mdb, bytesFor(keys[2]!).subarray(0, 64));
    expect(inDisk).toBeGreaterThan(0);
    expect(inFlash).toBeGreaterThan(0);
    await flipByte(segment, inDisk + 1000);
    await flipByte(mdb, inFlash + 1000);

    const second = await open(capacities);
    expect(second.cache.stats().recovered).toBe(4);
    for (const damaged of [keys[0]!, keys[2]!]) {
      const handle = await second.cache.acquire([damaged]);
      expect(handle.length).toBe(0);
      expect(handle.blocks).toEqual([]);
      handle.release();
      expect(second.cache.lookup([damaged]).prefixBlocks).toBe(0);
    }
    const stats = second.cache.stats();
    expect(stats.lostBlocks).toBe(2);
    expect(stats.failedMoves).toBe(2);
    expect(tier(stats, 'disk').checksumErrors).toBe(1);
    expect(tier(stats, 'flash').checksumErrors).toBe(1);
    expect(second.warnings.filter((w) => w.includes('payload checksum mismatch'))).toHaveLength(2);
    // The intact blocks are still served exactly.
    for (const key of [keys[1]!, keys[3]!]) {
      const handle = await second.cache.acquire([key]);
      expect(handle.length).toBe(1);
      expectExact(handle);
      handle.release();
    }
    // A third open does not bring the damaged blocks back.
    await second.cache.close();
    const third = await open(capacities);
    expect(where(third.cache, [keys[0]!, keys[2]!])).toEqual(['-', '-']);
  });

  it('restores namespaced blocks into their own namespace only', async () => {
    const capacities = { hbm: 1, flash: 4 };
    const first = await open(capacities);
    const a = first.cache.namespace('tenant-a');
    const key = keyOf(1);
    await a.put(key, bytesFor(key, BLOCK_BYTES, 1));
    await a.put(keyOf(2), bytesFor(keyOf(2), BLOCK_BYTES, 1));
    await first.cache.close();
    const second = await open(capacities);
    expect(second.cache.lookup([key]).prefixBlocks).toBe(0);
    expect(second.cache.namespace('tenant-b').lookup([key]).prefixBlocks).toBe(0);
    const handle = await second.cache.namespace('tenant-a').acquire([key]);
    expect(handle.length).toBe(1);
    expectExact(handle, 1);
    handle.release();
  });
  /** Writes one block straight into a durable tier directory, as a previous run (or another tool) would have. */
  async function plant(name: 'flash' | 'disk', key: string, bytes: Uint8Array, namespace = ''): Promise<void> {
    const tier = await createTier({ name, capacityBlocks: 8, blockBytes: BLOCK_BYTES, dir: join(dir, name) });
    await tier.write({ key, parent: null, namespace, length: bytes.length, checksum: checksum(bytes) }, bytes);
    await tier.flush();
    await tier.close();
  }

  it('trusts neither copy when two durable tiers disagree about a block, and frees both', async () => {
    const key = keyOf(1);
    await plant('flash', key, bytesFor(key, BLOCK_BYTES, 1));
    await plant('disk', key, bytesFor(key, BLOCK_BYTES, 2));
    const second = await open({ hbm: 1, flash: 4, disk: 4 });
    expect(second.warnings).toEqual([`block ${key} has different checksums in two tiers; dropping it`]);
    expect(where(second.cache, [key])).toEqual(['-']);
    expect(second.cache.stats().tiers.map((t) => t.usedBlocks)).toEqual([0, 0, 0]);
    await second.cache.close();
    // Neither copy comes back later.
    const third = await open({ hbm: 1, flash: 4, disk: 4 });
    expect(third.cache.stats().recovered).toBe(0);
    expect(where(third.cache, [key])).toEqual(['-']);
  });

  it('keeps one namespace when two durable tiers hold one storage key under two namespaces', async () => {
    const key = keyOf(2);
    await plant('flash', key, bytesFor(key, BLOCK_BYTES, 1), 'a');
    await plant('disk', key, bytesFor(key, BLOCK_BYTES, 2), 'b');
    const { cache, warnings } = await open({ hbm: 1, flash: 4, disk: 4 });
    // The disk tier is scanned first: its namespace keeps the key, the flash copy is dropped.
    expect(warnings).toEqual([`block ${key} is stored under two namespaces; dropping the copy in flash`]);
    expect(cache.stats()).toMatchObject({ recovered: 1, cachedBlocks: 1 });
    expect(tier(cache.stats(), 'flash').usedBlocks).toBe(0);
  });
});

describe('failed moves', () => {
  it('serves a damaged block of a durable top tier as a miss, without a leaked pin', async () => {
    // One durable tier only (the tiers override replaces the stack).
    const flashOnly = { tiers: [{ name: 'flash', capacity: '4blocks', dir: join(dir, 'flash') }] };
    const first = await open({ hbm: 1 }, flashOnly);
    const keys = await putRange(first.cache, 0, 3);
    await first.cache.close();
    const mdb = join(dir, 'flash', 'data.mdb');
    await flipByte(mdb, (await offsetIn(mdb, bytesFor(keys[0]!).subarray(0, 64))) + 100);
    const { cache, warnings } = await open({ hbm: 1 }, flashOnly);
    const handle = await cache.acquire(keys);
    expect(handle.length).toBe(0);
    handle.release();
    expect(where(cache, keys)).toEqual(['-', 'flash', 'flash']);
    const rest = await cache.acquire(keys.slice(1));
    expect(rest.length).toBe(2);
    expectExact(rest);
    rest.release();
    const stats = cache.stats();
    expect(stats).toMatchObject({ lostBlocks: 1, cachedBlocks: 2, pins: { acquired: 1, released: 1 } });
    expect(tier(stats, 'flash')).toMatchObject({ checksumErrors: 1, usedBlocks: 2 });
    expect(warnings.some((w) => w.includes('payload checksum mismatch'))).toBe(true);
    // The freed slot takes a new block.
    await putRange(cache, 10, 12);
    expect(tier(cache.stats(), 'flash').usedBlocks).toBe(4);
  });

  it.runIf(canLimitFileSize)('a demotion that cannot be written loses that block only; the top tier stays usable', async () => {
    const { cache, warnings } = await open({ hbm: 2, disk: 64 });
    const stored = await putRange(cache, 0, 4); // 0 and 1 on disk
    // Room for the records already written and no more: every later append fails with EFBIG.
    const outcome = await withFileSizeLimit(2 * (256 + BLOCK_BYTES), async () => {
      const results: (boolean | string)[] = [];
      for (let i = 4; i < 10; i++) {
        const key = keyOf(i);
        results.push(await cache.put(key, bytesFor(key)).catch((error: { code?: string }) => String(error.code)));
        await cache.flush(); // its demotion lands in the background
      }
      return results;
    });
    // Every put went into the top tier; each pushed a block down, and those demotions failed.
    expect(outcome).toEqual([true, true, true, true, true, true]);
    expect(where(cache, [...stored, keyOf(8), keyOf(9)])).toEqual(['disk', 'disk', '-', '-', 'hbm', 'hbm']);
    const stats = cache.stats();
    expect(stats.lostBlocks).toBe(6);
    expect(stats.failedMoves).toBe(6);
    expect(tier(stats, 'hbm').usedBlocks).toBe(2);
    expect(warnings.some((w) => /EFBIG|too large/i.test(w))).toBe(true);
    // What is cached is served, and the top tier keeps taking blocks once the disk can be written again.
    for (const key of [stored[0]!, stored[1]!, keyOf(8), keyOf(9)]) {
      const handle = await cache.acquire([key]);
      expect(handle.length).toBe(1);
      expectExact(handle);
      handle.release();
    }
    await putRange(cache, 20, 24);
    expect(cache.stats().lostBlocks).toBe(6);
  });

  it.runIf(canLimitFileSize)('a write-through copy that cannot be written keeps the block in the top tier', async () => {
    const { cache } = await open({ hbm: 4, disk: 64 }, { writePolicy: 'write-through' });
    await putRange(cache, 0, 1);
    await withFileSizeLimit(256 + BLOCK_BYTES, () => putRange(cache, 1, 3));
    expect(where(cache, [keyOf(0), keyOf(1), keyOf(2)])).toEqual(['hbm', 'hbm', 'hbm']);
    expect(cache.stats()).toMatchObject({ lostBlocks: 0, failedMoves: 2 });
    expect(tier(cache.stats(), 'disk').usedBlocks).toBe(1);
    for (let i = 0; i < 3; i++) {
      const handle = await cache.acquire([keyOf(i)]);
      expectExact(handle);
      handle.release();
    }
  });
});

describe('namespaces', () => {
  it('the same tokens give different keys in two namespaces, and neither sees the other’s blocks', async () => {
    const { cache } = await open({ hbm: 4, flash: 8 });
    const a = cache.namespace('tenant-a');
    const b = cache.namespace('tenant-b');
    expect(a.namespaceName).toBe('tenant-a');
    expect(cache.namespaceName).toBe('');
    const tokens = Array.from({ length: 32 }, (_, i) => i + 7);
    const keysA = a.keys(tokens);
    const keysB = b.keys(tokens);
    expect(keysA.some((k, i) => k === keysB[i])).toBe(false);
    await a.putChain(keysA, keysA.map((k) => bytesFor(k)));
    expect(b.lookup(keysA).prefixBlocks).toBe(0);
    expect(b.lookup(keysB).prefixBlocks).toBe(0);
    expect(cache.lookup(keysA).prefixBlocks).toBe(0);
    expect((await b.acquire(keysA)).length).toBe(0);
    expect(b.prefetch(keysA).skipped.map((s) => s.reason)).toEqual(['not cached', 'after a missing block']);
    expect(a.lookup(keysA).prefixBlocks).toBe(2);
  });

  it('a raw key put in one namespace is invisible in another, and both can hold different bytes under it', async () => {
    const { cache } = await open({ hbm: 2, ddr: 2, flash: 8 });
    const a = cache.namespace('a');
    const b = cache.namespace('b');
    const key = keyOf(42);
    expect(await a.put(key, bytesFor(key, BLOCK_BYTES, 1))).toBe(true);
    expect(b.lookup([key]).prefixBlocks).toBe(0);
    expect(cache.lookup([key]).prefixBlocks).toBe(0);
    expect(await b.put(key, bytesFor(key, BLOCK_BYTES, 2))).toBe(true);
    expect(await cache.put(key, bytesFor(key, BLOCK_BYTES, 3))).toBe(true);
    await putRange(cache, 100, 106); // push them all down to flash and back
    for (const [handle, salt] of [
      [a, 1],
      [b, 2],
      [cache, 3],
    ] as const) {
      const pin = await handle.acquire([key]);
      expect(pin.length).toBe(1);
      expectExact(pin, salt);
      pin.release();
    }
  });

  it('a key crafted in the default namespace cannot overwrite or read another namespace’s block', async () => {
    const { cache } = await open({ hbm: 4, flash: 4 });
    const a = cache.namespace('a');
    const key = keyOf(42);
    await a.put(key, bytesFor(key, BLOCK_BYTES, 1));
    // Namespace salts are public (a hash of the name), so anyone can compute a namespaced storage key.
    const crafted = createHash('sha256').update(namespaceSalt('a')).update(key, 'hex').digest().subarray(0, 16).toString('hex');
    expect(cache.lookup([crafted]).prefixBlocks).toBe(0);
    // The tiers have one slot per storage key: the put is refused rather than replacing the tenant's bytes.
    await rejection(
      cache.put(crafted, bytesFor(crafted, BLOCK_BYTES, 9)),
      ErrorCode.INVALID_ARGUMENT,
      `block key ${crafted} is already the storage key of a block of another namespace`,
    );
    expect(cache.lookup([crafted]).prefixBlocks).toBe(0);
    expect((await cache.acquire([crafted])).length).toBe(0);
    await putRange(cache, 0, 6); // through flash and back
    const mine = await a.acquire([key]);
    expect(mine.length).toBe(1);
    expectExact(mine, 1);
    mine.release();
    expect(cache.stats()).toMatchObject({ failedMoves: 0, cachedBlocks: 7, puts: 7 });
    expect(cache.stats().tiers.reduce((sum, t) => sum + t.usedBlocks, 0)).toBe(7);
  });
  it('rejects a namespace name the durable tiers could not record, up front', async () => {
    const { cache } = await open({ hbm: 2, flash: 2 });
    const long = 'n'.repeat(193);
    thrown(
      () => cache.namespace(long),
      ErrorCode.INVALID_ARGUMENT,
      /^expected a well-formed string of at most 192 UTF-8 bytes for `name`, got "n{57}\.\.\."$/,
    );
    thrown(() => cache.namespace('bad \ud800'), ErrorCode.INVALID_ARGUMENT, /for `name`/);
    await rejection(
      KvCache.open({ blockBytes: BLOCK_BYTES, tiers: [{ name: 'hbm', capacity: '1blocks' }], namespace: long }),
      ErrorCode.INVALID_ARGUMENT,
      /for `namespace`/,
    );
    // The longest allowed name works through every tier.
    const ok = cache.namespace('é'.repeat(96));
    await ok.put(keyOf(1), bytesFor(keyOf(1)));
    await putRange(cache, 10, 12);
    const handle = await ok.acquire([keyOf(1)]);
    expectExact(handle);
    handle.release();
    expect(cache.stats()).toMatchObject({ failedMoves: 0, lostBlocks: 0 });
  });
});

describe('stats', () => {
  it('keeps counters consistent with what happened', async () => {
    const { cache } = await open({ hbm: 2, ddr: 2, flash: 8 });
    const keys = await putRange(cache, 0, 6); // 0, 1 in flash; 2, 3 in ddr; 4, 5 in hbm
    cache.lookup([keys[5]!, keys[3]!, keys[0]!, keyOf(77)]); // hits in hbm, ddr, flash; one miss
    const handle = await cache.acquire([keys[1]!]);
    handle.release();
    await cache.flush();
    const stats = cache.stats();
    expect(stats).toMatchObject({
      lookups: 2,
      lookupBlocks: 5,
      hitBlocks: 4,
      blockHitRatio: 4 / 5,
      puts: 6,
      cachedBlocks: 6,
      failedMoves: 0,
      lostBlocks: 0,
      recovered: 0,
      pins: { acquired: 1, released: 1, leaked: 0, expired: 0 },
    });
    expect(stats.tiers.map((t) => [t.name, t.kind, t.capacityBlocks, t.usedBlocks])).toEqual([
      ['hbm', 'memory', 2, 2],
      ['ddr', 'memory', 2, 2],
      ['flash', 'durable', 8, 2],
    ]);
    // Exclusive write-back: every block is in exactly one tier.
    expect(stats.tiers.reduce((sum, t) => sum + t.usedBlocks, 0)).toBe(stats.cachedBlocks);
    expect(stats.tiers.map((t) => t.hits)).toEqual([1, 1, 2]);
    // A block found in tier t was missed by every tier above it; a missing block by all of them.
    expect(stats.tiers.map((t) => t.misses)).toEqual([1 + 2 + 1, 2 + 1, 1]);
    expect(tier(stats, 'hbm')).toMatchObject({ inserts: 6, promotionsIn: 1, bytesWritten: 7 * BLOCK_BYTES });
    for (const t of stats.tiers) {
      expect(t.bytesWritten).toBe((t.inserts + t.promotionsIn + t.demotionsIn + t.copiesIn) * BLOCK_BYTES);
      expect(t.bytesRead).toBe((t.promotionsOut + t.demotionsOut) * BLOCK_BYTES);
      expect(t.modelledSec).toBeGreaterThan(0);
      expect(t.checksumErrors + t.ioErrors).toBe(0);
    }
    expect(stats.indexBytes).toBeGreaterThan(0);
  });
});

describe('concurrency', () => {
  it('hundreds of concurrent callers never exceed a capacity, lose an update or see wrong bytes', async () => {
    const capacities = { hbm: 16, ddr: 16, flash: 32, disk: 200 };
    const { cache, warnings } = await open(capacities);
    const KEYS = 150;
    let seed = 12345;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const yieldTurns = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
    };
    const checkCapacity = (): void => {
      for (const t of cache.stats().tiers) expect(t.usedBlocks).toBeLessThanOrEqual(t.capacityBlocks);
    };
    const stored = new Set<string>();
    let inserted = 0;
    let fullRejections = 0;
    let activeHandles = 0;
    let maxActiveHandles = 0;
    const chainAt = (start: number, n: number): string[] => Array.from({ length: n }, (_, i) => keyOf((start + i) % KEYS));

    const op = async (i: number): Promise<void> => {
      const kind = random(10);
      const start = random(KEYS);
      // Staggered starts keep hundreds of callers in flight without pinning the top tier solid.
      await yieldTurns(random(400));
      checkCapacity();
      if (kind < 5) {
        const key = keyOf(start);
        const fresh = await cache.put(key, bytesFor(key)).catch((error: { code?: string }) => {
          if (error.code !== ErrorCode.TIER_FULL) throw error;
          fullRejections++;
          return null;
        });
        if (fresh === true) inserted++;
        if (fresh !== null) stored.add(key);
      } else if (kind < 8) {
        const handle = await cache.acquire(chainAt(start, 1 + random(3))).catch((error: { code?: string }) => {
          if (error.code !== ErrorCode.TIER_FULL) throw error;
          fullRejections++;
          return null;
        });
        if (handle && handle.length > 0) maxActiveHandles = Math.max(maxActiveHandles, ++activeHandles);
        if (handle) {
          checkCapacity();
          expectExact(handle);
          await yieldTurns(random(3));
          expectExact(handle); // still intact while pinned, whatever the others did meanwhile
          for (const key of handle.keys) expect(cache.lookup([key]).tiers).toEqual(['hbm']);
          handle.release();
          if (handle.length > 0) activeHandles--;
        }
      } else {
        const result = cache.prefetch(chainAt(start, 1 + random(4)));
        expect(result.started + result.alreadyInTop + result.skipped.length).toBe(result.requested);
        await result.done;
      }
      checkCapacity();
      void i;
    };
    await Promise.all(Array.from({ length: 600 }, (_, i) => op(i)));

    // Concurrent puts of one key store it once; nothing put was lost (the disk tier holds every key).
    expect(inserted).toBe(stored.size);
    expect(cache.stats().cachedBlocks).toBe(stored.size);
    for (const key of stored) {
      const handle = await cache.acquire([key]);
      expect(handle.length).toBe(1);
      expectExact(handle);
      handle.release();
    }
    const stats = cache.stats();
    expect(stats).toMatchObject({ failedMoves: 0, lostBlocks: 0 });
    expect(stats.pins.acquired).toBe(stats.pins.released);
    expect(stats.tiers.reduce((sum, t) => sum + t.usedBlocks, 0)).toBe(stored.size);
    expect(warnings).toEqual([]);
    // The workload really overlapped: pins held at once, promotions, prefetches (and, under this
    // burst, many puts and acquires refused with ERR_TIER_FULL while acquires in flight held pins).
    expect(maxActiveHandles).toBeGreaterThan(1);
    expect(tier(stats, 'hbm').promotionsIn).toBeGreaterThan(0);
    expect(stats.prefetch.started).toBeGreaterThan(0);
    expect(stats.pins.acquired).toBeGreaterThan(fullRejections / 10);
  });
});

describe('shutdown', () => {
  it('close waits for the moves a failed move queues, so none runs on a closed tier', async () => {
    const capacities = { hbm: 1, flash: 4 };
    const first = await open(capacities);
    const keys = await putRange(first.cache, 0, 3);
    await first.cache.close();
    const mdb = join(dir, 'flash', 'data.mdb');
    await flipByte(mdb, (await offsetIn(mdb, bytesFor(keys[0]!).subarray(0, 64))) + 10);
    const second = await open(capacities);
    // An acquire (its promotion fails on the damaged block) and a close, without waiting in between.
    const pending = second.cache.acquire([keys[0]!]);
    await second.cache.close();
    const outcome = await pending.then(
      (handle) => handle.length,
      (error: { code?: string }) => error.code,
    );
    expect([0, ErrorCode.CLOSED]).toContain(outcome);
    expect(second.warnings.filter((w) => w.includes('is closed'))).toEqual([]);
    expect(second.cache.stats().failedMoves).toBe(1);
  });
});
