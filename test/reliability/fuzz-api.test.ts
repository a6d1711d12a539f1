/**
 * Bad input to the public API: 10,000 random `KvCache.open` configurations, and 10,000 random calls
 * of each operation (put, putChain, lookup, acquire, prefetch, keys, namespace) on a live engine.
 * Every call ends in a KvtierError with a clear message or a valid result: never another exception,
 * a synchronous throw from an async method, a hang, a native crash, or a leaked file handle.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvCache, type EngineConfig } from '../../src/engine/engine.js';
import { KvtierError } from '../../src/errors.js';
import { expectCleanError, keyOf, removeDir, tempDir } from './support.js';

const BLOCK_BYTES = 64;
const RUNS = 10_000;

let dir: string;

beforeAll(async () => {
  dir = await tempDir('kvtier-fuzz-api-');
});

afterAll(() => removeDir(dir));

/** Open file descriptors of this process (Linux): a failed open must not leave any behind. */
function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * Runs `call`, which must not throw synchronously when `async` (async APIs reject), and must end in a
 * value or a KvtierError. Returns the value, or undefined after a clean error.
 */
async function outcome<T>(call: () => T | Promise<T>, async: boolean): Promise<{ ok: true; value: T } | { ok: false; error: KvtierError }> {
  let pending: T | Promise<T>;
  try {
    pending = call();
  } catch (error) {
    if (async) throw new Error(`an async API threw synchronously: ${String(error)}`, { cause: error });
    expectCleanError(error);
    return { ok: false, error: error as KvtierError };
  }
  if (async) expect(pending).toBeInstanceOf(Promise);
  try {
    return { ok: true, value: await pending };
  } catch (error) {
    expectCleanError(error);
    return { ok: false, error: error as KvtierError };
  }
}

// ---- arbitraries -------------------------------------------------------------------------------

const junk = fc.oneof(
  fc.constantFrom(undefined, null, true, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, 2 ** 31, -(2 ** 31), '', ' ', '0', 'x', [], {}, () => 1, Symbol('s'), 10n),
  fc.string({ maxLength: 12 }),
  fc.double(),
  fc.anything({ maxDepth: 1 }),
);

const POOL = Array.from({ length: 40 }, (_, i) => keyOf('api', i));
const validKey = fc.constantFrom(...POOL);
const badKey = fc.oneof(
  fc.constantFrom('', '0'.repeat(31), '0'.repeat(33), 'A'.repeat(32), 'g'.repeat(32), ` ${'0'.repeat(31)}`, `${'0'.repeat(32)}\n`, POOL[0]!.toUpperCase()),
  fc.string({ maxLength: 40 }),
  junk,
);
const anyKey = fc.oneof({ weight: 4, arbitrary: validKey }, { weight: 2, arbitrary: badKey });

/** Payloads: real ones (derived, checkable), edge sizes, other views, non-bytes, proxies and detached buffers. */
function payloadFor(key: string, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (key.charCodeAt(i % key.length) * 31 + i) & 0xff;
  return bytes;
}

type BytesMaker = (key: string) => unknown;
const bytesMaker: fc.Arbitrary<BytesMaker> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: BLOCK_BYTES }).map((n) => (key: string) => payloadFor(key, n)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: BLOCK_BYTES }).map((n) => (key: string) => Buffer.from(payloadFor(key, n))) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: BLOCK_BYTES }).map((n) => (key: string) => {
      const big = new Uint8Array(n + 16);
      big.set(payloadFor(key, n), 7);
      return big.subarray(7, 7 + n); // a view at an odd offset
    }),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: BLOCK_BYTES }).map((n) => (key: string) => {
      const shared = new Uint8Array(new SharedArrayBuffer(n));
      shared.set(payloadFor(key, n));
      return shared;
    }),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom<BytesMaker>(
      () => new Uint8Array(0),
      () => new Uint8Array(BLOCK_BYTES + 1),
      () => new Uint8Array(1 << 20),
      () => new Float64Array(8),
      () => new Uint16Array(4),
      () => new Uint8ClampedArray(8),
      () => new DataView(new ArrayBuffer(8)),
      () => new ArrayBuffer(8),
      () => ({ length: 8, 0: 1 }),
      () => Array.from({ length: 8 }, () => 1),
      () => 'bytes',
      () => 8,
      () => null,
      () => undefined,
      (key) => new Proxy(payloadFor(key, 8), {}),
      () => {
        const bytes = new Uint8Array(16);
        structuredClone(bytes.buffer, { transfer: [bytes.buffer] }); // detaches: length becomes 0
        return bytes;
      },
    ),
  },
  { weight: 1, arbitrary: junk.map((j) => () => j) },
);

const putOptions = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: validKey.map((parent) => ({ parent })) },
  { weight: 2, arbitrary: fc.constantFrom({}, { parent: null }, { parent: undefined }, null, 0, 'x', []) },
  { weight: 1, arbitrary: badKey.map((parent) => ({ parent })) },
);

const keyList = fc.oneof(
  { weight: 5, arbitrary: fc.array(anyKey, { maxLength: 6 }) },
  { weight: 2, arbitrary: fc.array(validKey, { minLength: 1, maxLength: 6 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      // eslint-disable-next-line no-sparse-arrays
      [, POOL[0]],
      Object.assign([POOL[0]], { extra: 1 }),
      { length: 1, 0: POOL[0] },
      new Set([POOL[0]]),
      POOL[0],
      Array.from({ length: 500 }, (_, i) => POOL[i % POOL.length]),
    ),
  },
  { weight: 1, arbitrary: junk },
);

const tokens = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 80 }) },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 80 }).map((a) => Uint32Array.from(a)) },
  {
    weight: 2,
    arbitrary: fc.array(
      fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constantFrom(-1, 2 ** 32, 1.5, Number.NaN, '5', null, undefined, 2 ** 53)),
      { maxLength: 40 },
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(Float64Array.of(1, Number.NaN), new Array(32), Int8Array.of(-1), { length: 1e12 }, { length: 16 }, 'tokens') },
  { weight: 1, arbitrary: junk },
);

const namespaceName = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(193), 'é'.repeat(97), '\ud800', 'a\udc00b', '../../etc/passwd', '\0') },
  { weight: 1, arbitrary: junk },
);

// ---- KvCache.open ------------------------------------------------------------------------------

/** A field: mostly valid values, some invalid ones, a little junk. */
const field = (valid: readonly unknown[], invalid: readonly unknown[]) =>
  fc.oneof({ weight: 60, arbitrary: fc.constantFrom(...valid) }, { weight: 2, arbitrary: fc.constantFrom(...invalid) }, { weight: 1, arbitrary: junk });

/** Tier directories: names inside a fresh directory per case (see `withCaseDirs`), or bad values. */
const CASE_DIR = 'case-dir:';
const tierDir = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('t0', 't1', 't2', 't0/../t1', 'nested/deeper').map((d) => `${CASE_DIR}${d}`) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('', null, 5, {}, ['x']) },
);

/** The config with its tier directories placed under `caseDir`, so no case sees another's files. */
function withCaseDirs(config: unknown, caseDir: string): unknown {
  if (config === null || typeof config !== 'object' || !Array.isArray((config as EngineConfig).tiers)) return config;
  const tiers = (config as EngineConfig).tiers.map((tier) =>
    tier !== null && typeof tier === 'object' && typeof tier.dir === 'string' && tier.dir.startsWith(CASE_DIR)
      ? { ...tier, dir: join(caseDir, tier.dir.slice(CASE_DIR.length)) }
      : tier,
  );
  return { ...config, tiers };
}

const tierConfig = fc.record(
  {
    // Durable tiers cost an LMDB environment or a segment file per case: one tier in eight is one.
    name: field(['hbm', 'ddr', 'cxl', 'HBM', ' ddr ', 'Cxl', 'hbm', 'ddr', 'cxl', 'hbm ', 'DDR', 'cxl', 'hbm', 'ddr', 'flash', 'disk'], [
      'nvme',
      '',
      '__proto__',
      'constructor',
      'toString',
    ]),
    capacity: field(
      ['4blocks', '2blocks', '64KiB', '1blocks', ' 3 blocks ', '1000000blocks', '16 blocks'],
      ['0blocks', 0, -1, Number.NaN, Number.POSITIVE_INFINITY, '1e400', 'x', '4 bananas', '99999999999blocks', '2147483648blocks', 2 ** 60, '1.5blocks', null, {}],
    ),
    dir: tierDir,
    policy: field(['lru', 's3fifo', 'arc', 'fifo', 'lfu', 'ttl', 'prefix-lru', 'LRU'], ['nope', 'opt', '']),
    policyOptions: field([{}, { ttlMs: 10 }, { smallQueueRatio: 0.2 }], [{ ttlMs: -1 }, { smallQueueRatio: 2 }, { nope: 1 }]),
    device: field(['h100-hbm3', 'ddr5-pcie5', 'nvme-gen4', 'hdd-7200'], ['nope', { name: 'x' }]),
    durability: field(['fast', 'synced'], ['paranoid', 'FAST']),
  },
  { requiredKeys: ['name', 'capacity'] },
);

const engineConfig = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record(
      {
        model: field(['llama-3.1-8b', 'deepseek-v3', 'qwen2.5-7b', { name: 'm', layers: 2, kvHeads: 1, headDim: 8, dtypeBytes: 2 }], ['nope', { name: 'm', layers: -2 }]),
        blockTokens: field([16, 512, 1], [0, -1, 1.5, 2 ** 40]),
        blockBytes: field([64, 256, 4096, 1], [0, -1, 1.5, 2 ** 31 + 1, 2 ** 53]),
        tiers: fc.oneof(
          { weight: 24, arbitrary: fc.array(tierConfig, { minLength: 1, maxLength: 3 }) },
          { weight: 1, arbitrary: fc.array(tierConfig, { maxLength: 9 }) },
          { weight: 1, arbitrary: junk },
        ),
        writePolicy: field(['write-back', 'write-through'], ['write-around', 'WRITE-BACK']),
        promotion: field(['exclusive', 'inclusive'], ['both', '']),
        namespace: namespaceName,
        seed: field([1, 0, -5, 42], [1.5, 2 ** 53, Number.NaN]),
        pinTtlMs: field([0, 10, 60_000], [-1, 2 ** 31, Number.POSITIVE_INFINITY]),
        onWarning: field([() => {}], ['console']),
      },
      { requiredKeys: ['tiers'] },
    ),
  },
  { weight: 1, arbitrary: junk },
);

describe('KvCache.open under random configurations', () => {
  it(`opens a working engine or rejects with a KvtierError, leaking nothing (${RUNS} configurations)`, async () => {
    const fds = openFds();
    const outcomes = { opened: 0, rejected: 0 };
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(engineConfig, async (generated) => {
        const caseDir = join(dir, `case-${cases++}`);
        try {
          await openAndUse(withCaseDirs(generated, caseDir));
        } finally {
          if (existsSync(caseDir)) await removeDir(caseDir);
        }
      }),
      { numRuns: RUNS },
    );
    async function openAndUse(config: unknown): Promise<void> {
      const result = await outcome(() => KvCache.open(config as EngineConfig), true);
      if (!result.ok) {
        outcomes.rejected++;
        return;
      }
      outcomes.opened++;
      const cache = result.value;
      try {
        // A configuration that opens gives an engine that works: a block goes in and comes back out.
        if (cache.blockBytes > 1 << 16) return; // a memory tier would allocate a slot of that size
        const key = keyOf('open', outcomes.opened);
        const bytes = payloadFor(key, Math.min(cache.blockBytes, 48));
        const put = await outcome(() => cache.put(key, bytes), true);
        if (!put.ok) {
          // The one refusal a valid engine may give: a namespace the durable block header cannot hold.
          expect(put.error.code).toBe('ERR_INVALID_ARGUMENT');
          expect(put.error.message).toContain('namespace');
          return;
        }
        const pin = await cache.acquire([key]);
        expect(pin.length).toBe(1);
        expect(Buffer.from(pin.blocks[0]!).equals(Buffer.from(bytes))).toBe(true);
        pin.release();
      } finally {
        await cache.close();
      }
    }
    expect(outcomes.opened).toBeGreaterThan(RUNS / 20);
    expect(outcomes.rejected).toBeGreaterThan(RUNS / 10);
    // Every engine opened was closed and every failed open cleaned up after itself.
    expect(openFds()).toBeLessThanOrEqual(fds + 2);
  });
});

// ---- operations on a live engine ------------------------------------------------------------------

describe('operations on a live engine under random arguments', () => {
  let cache: KvCache;
  /** What each key holds once put (a block keeps the bytes of its first successful put). */
  const stored = new Map<string, Uint8Array>();

  beforeAll(async () => {
    // 56 blocks of room for a pool of 40 keys: nothing falls off the bottom, so a stored key stays
    // stored. Memory tiers only: 40,000 calls through a durable tier would cost most of the suite's time
    // budget, and the durable tiers' handling of these same arguments is the open test's (above).
    cache = await KvCache.open({
      blockBytes: BLOCK_BYTES,
      tiers: [
        { name: 'hbm', capacity: '8blocks' },
        { name: 'ddr', capacity: '48blocks' },
      ],
      onWarning: () => {},
    });
  });

  afterAll(async () => {
    const stats = cache.stats();
    expect(stats.pins.acquired).toBe(stats.pins.released);
    for (const tier of stats.tiers) expect(tier.usedBlocks).toBeLessThanOrEqual(tier.capacityBlocks);
    expect(stats.failedMoves).toBe(0);
    await cache.close();
  });

  /** Every block served must be the bytes stored under its key. */
  function checkServed(keys: readonly string[], blocks: readonly Uint8Array[]): void {
    blocks.forEach((bytes, i) => {
      const expected = stored.get(keys[i]!);
      expect(expected, keys[i]).toBeDefined();
      expect(Buffer.from(bytes).equals(Buffer.from(expected!))).toBe(true);
    });
  }

  it(`put: stores exactly the bytes given, or rejects cleanly (${RUNS} calls)`, async () => {
    await fc.assert(
      fc.asyncProperty(anyKey, bytesMaker, putOptions, async (key, make, options) => {
        const bytes = make(typeof key === 'string' ? key : 'x');
        const result = await outcome(() => cache.put(key as string, bytes as Uint8Array, options as never), true);
        if (!result.ok) return;
        expect(typeof result.value).toBe('boolean');
        // Accepted: a real Uint8Array of 1..blockBytes bytes under a well-formed key.
        expect(bytes).toBeInstanceOf(Uint8Array);
        const length = (bytes as Uint8Array).length;
        expect(length >= 1 && length <= BLOCK_BYTES).toBe(true);
        if (result.value) stored.set(key as string, Uint8Array.from(bytes as Uint8Array));
        else expect(stored.has(key as string)).toBe(true);
        const pin = await cache.acquire([key as string]);
        expect(pin.length).toBe(1);
        checkServed(pin.keys, pin.blocks);
        pin.release();
      }),
      { numRuns: RUNS },
    );
    expect(stored.size).toBeGreaterThan(POOL.length / 2);
  });

  it(`putChain: stores a chain or rejects cleanly (${RUNS} calls)`, async () => {
    await fc.assert(
      fc.asyncProperty(keyList, fc.array(bytesMaker, { maxLength: 6 }), fc.oneof(fc.constant(null), validKey, badKey), async (keys, makers, parent) => {
        const blocks = Array.isArray(keys) ? makers.map((make, i) => make(typeof keys[i] === 'string' ? (keys[i] as string) : 'x')) : makers;
        const result = await outcome(() => cache.putChain(keys as string[], blocks as Uint8Array[], parent as string | null), true);
        // putChain stores block after block: after a rejection, the blocks before the bad one are stored.
        if (Array.isArray(keys)) {
          keys.forEach((key, i) => {
            if (typeof key === 'string' && /^[0-9a-f]{32}$/.test(key) && !stored.has(key) && cache.lookup([key]).prefixBlocks === 1) {
              stored.set(key, Uint8Array.from(blocks[i] as Uint8Array));
            }
          });
        }
        if (result.ok) expect(Number.isInteger(result.value)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it(`lookup, acquire and prefetch: a valid answer or a clean rejection (${RUNS} calls each)`, async () => {
    await fc.assert(
      fc.asyncProperty(keyList, async (keys) => {
        const looked = await outcome(() => cache.lookup(keys as string[]), false);
        if (looked.ok) {
          const { prefixBlocks, tiers } = looked.value;
          expect(Number.isInteger(prefixBlocks) && prefixBlocks >= 0 && prefixBlocks <= (keys as string[]).length).toBe(true);
          expect(tiers).toHaveLength(prefixBlocks);
          for (const tier of tiers) expect(cache.tierNames).toContain(tier);
        }
        const acquired = await outcome(() => cache.acquire(keys as string[]), true);
        // The same keys are valid for both; acquire may also refuse a prefix the top tier cannot hold pinned.
        if (acquired.ok || acquired.error.code !== 'ERR_TIER_FULL') expect(acquired.ok).toBe(looked.ok);
        else expect(looked.ok && looked.value.prefixBlocks > 8).toBe(true);
        if (acquired.ok) {
          const pin = acquired.value;
          checkServed(pin.keys, pin.blocks);
          pin.release();
          const twice = await outcome(() => pin.release(), false);
          expect(twice.ok || twice.error.code === 'ERR_PIN').toBe(true);
        }
        const prefetched = await outcome(() => cache.prefetch(keys as string[]), false);
        expect(prefetched.ok).toBe(looked.ok);
        if (prefetched.ok) {
          const p = prefetched.value;
          expect(p.started + p.alreadyInTop + p.skipped.length).toBe(p.requested);
          await p.done;
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`keys and namespace: chained keys or a clean rejection, and hostile namespaces stay contained (${RUNS} calls)`, async () => {
    await fc.assert(
      fc.asyncProperty(tokens, fc.oneof(fc.constant(null), fc.constant(undefined), validKey, badKey), namespaceName, async (t, parent, name) => {
        const keyed = await outcome(() => cache.keys(t as number[], parent as string | null), false);
        if (keyed.ok) {
          // Accepted: a list of token ids (an array or a typed array), one key per full block.
          expect(Array.isArray(t) || ArrayBuffer.isView(t), `keys(${String(t)})`).toBe(true);
          for (const key of keyed.value) expect(key).toMatch(/^[0-9a-f]{32}$/);
          expect(keyed.value.length).toBe(Math.floor((t as ArrayLike<number>).length / cache.blockTokens));
        }
        const handle = await outcome(() => cache.namespace(name as string), false);
        if (!handle.ok) return;
        expect(handle.value.namespaceName).toBe(name);
        // A namespace no durable header can hold is refused at put, before anything is stored.
        const key = POOL[0]!;
        const put = await outcome(() => handle.value.put(key, payloadFor(key, 8)), true);
        const fits = Buffer.byteLength(name as string) <= 192 && Buffer.from(name as string).toString() === name;
        expect(put.ok).toBe(fits);
        if (put.ok) {
          const pin = await handle.value.acquire([key]);
          expect(pin.length).toBe(1);
          expect(Buffer.from(pin.blocks[0]!).equals(Buffer.from(payloadFor(key, 8))) || !put.value).toBe(true);
          pin.release();
        }
      }),
      { numRuns: RUNS },
    );
  });
});

// ---- what the fuzz above found in the engine (since fixed there), pinned down by one example each ----

describe('engine bugs found by the fuzz above', () => {
  let cache: KvCache;

  beforeAll(async () => {
    cache = await KvCache.open({ blockBytes: BLOCK_BYTES, tiers: [{ name: 'hbm', capacity: '4blocks' }], onWarning: () => {} });
  });

  afterAll(() => cache.close());

  it('put(key, bytes, null) rejects (an async API) instead of throwing a TypeError synchronously', async () => {
    const key = POOL[0]!;
    const result = await outcome(() => cache.put(key, payloadFor(key, 8), null as never), true);
    expect(result.ok).toBe(true); // null options are "no options", like undefined
  });

  it('put rejects a Proxy of a Uint8Array with ERR_INVALID_ARGUMENT, not a TypeError from its length getter', async () => {
    const key = POOL[1]!;
    const result = await outcome(() => cache.put(key, new Proxy(payloadFor(key, 8), {})), true);
    expect(result.ok).toBe(false);
  });

  it.each([[0], [null], [undefined], [''], [{}], [{ length: 1e12 }], ['0123']])('keys(%j) rejects with ERR_INVALID_ARGUMENT', async (tokens) => {
    const result = await outcome(() => cache.keys(tokens as never), false);
    expect(result.ok).toBe(false);
  });
});
