/**
 * Tenant isolation: namespaces with identical token sequences never share a block, a lookup in one
 * namespace answers as an empty cache would, and no user-supplied string (namespace or key) ever
 * becomes a file name or an LMDB key.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { open as openLmdb } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { namespaceSalt } from '../../src/engine/block-keys.js';
import { KvCache, type EngineConfig } from '../../src/engine/engine.js';
import { expectCleanError, isPayloadOf, keyOf, payloadOf, removeDir, tempDir } from './support.js';

const BLOCK_BYTES = 256;
const BLOCK_TOKENS = 16;

let base: string;
let warnings: string[];

beforeEach(async () => {
  base = await tempDir('kvtier-isolation-');
  warnings = [];
});

afterEach(() => removeDir(base));

/** hbm → ddr → flash → disk with tiny memory tiers, so blocks travel through every tier. */
function config(root: string, hbm = 2): EngineConfig {
  return {
    blockBytes: BLOCK_BYTES,
    blockTokens: BLOCK_TOKENS,
    tiers: [
      { name: 'hbm', capacity: `${hbm}blocks` },
      { name: 'ddr', capacity: '2blocks' },
      { name: 'flash', capacity: '8blocks', dir: join(root, 'flash') },
      { name: 'disk', capacity: '1000blocks', dir: join(root, 'disk') },
    ],
    onWarning: (message) => warnings.push(message),
  };
}

/** A payload that depends on the namespace too, so a block served to the wrong tenant is caught. */
function tenantPayload(namespace: string, key: string): Uint8Array {
  return payloadOf(keyOf(`tenant:${namespace}`, Number.parseInt(key.slice(0, 12), 16)), BLOCK_BYTES);
}

function tenantBytesOk(namespace: string, key: string, bytes: Uint8Array): boolean {
  return isPayloadOf(keyOf(`tenant:${namespace}`, Number.parseInt(key.slice(0, 12), 16)), bytes, BLOCK_BYTES);
}

const NAMESPACES = ['', 'tenant-a', 'tenant-b', '../../etc/passwd', 'a/b', '..', '/', 'C:\\Windows', 'ünï cødé ✓', ' '];

describe('namespaces never share a block', () => {
  it('identical token sequences give disjoint keys and separate blocks in every namespace, across every tier and a reopen', async () => {
    const root = join(base, 'engine');
    const tokens = Array.from({ length: BLOCK_TOKENS * 6 }, (_, i) => (i * 7919) % 50_000);
    // hbm holds one 6-block chain (acquire pins it whole); the rest spreads over ddr, flash and disk.
    let cache = await KvCache.open(config(root, 8));
    const keysBy = new Map<string, string[]>();
    for (const ns of NAMESPACES) {
      const handle = cache.namespace(ns);
      const keys = handle.keys(tokens);
      keysBy.set(ns, keys);
      expect(await handle.putChain(keys, keys.map((k) => tenantPayload(ns, k)))).toBe(keys.length);
    }
    const all = [...keysBy.values()].flat();
    expect(new Set(all).size).toBe(all.length);
    expect(cache.stats().cachedBlocks).toBe(all.length);

    // After the reopen, only what was in flash or on disk at close is back (memory tiers are not durable).
    let expectedLength = new Map(NAMESPACES.map((ns) => [ns, 6]));
    for (let pass = 0; pass < 2; pass++) {
      for (const ns of NAMESPACES) {
        const handle = cache.namespace(ns);
        for (const other of NAMESPACES) {
          if (other === ns) continue;
          // The other tenant's keys are unknown here: exactly what an empty cache answers.
          expect(handle.lookup(keysBy.get(other)!)).toEqual({ prefixBlocks: 0, tiers: [] });
        }
        const pin = await handle.acquire(keysBy.get(ns)!);
        expect(pin.length).toBe(expectedLength.get(ns));
        pin.blocks.forEach((bytes, i) => expect(tenantBytesOk(ns, pin.keys[i]!, bytes)).toBe(true));
        pin.release();
      }
      const durablePrefix = (ns: string) => {
        const { tiers } = cache.namespace(ns).lookup(keysBy.get(ns)!);
        const firstVolatile = tiers.findIndex((t) => t !== 'flash' && t !== 'disk');
        return firstVolatile < 0 ? tiers.length : firstVolatile;
      };
      expectedLength = new Map(NAMESPACES.map((ns) => [ns, durablePrefix(ns)]));
      await cache.close();
      cache = await KvCache.open(config(root, 8)); // second pass: recovered from flash and disk
    }
    expect([...expectedLength.values()].reduce((a, b) => a + b)).toBeGreaterThan(0);
    await cache.close();
    expect(warnings).toEqual([]);
  });

  it('a lookup in one namespace equals a lookup on an empty cache, whatever the other namespace did (property)', async () => {
    const cache = await KvCache.open({ ...config(join(base, 'p')), tiers: [{ name: 'hbm', capacity: '64blocks' }] });
    const empty = await KvCache.open({ ...config(join(base, 'q')), tiers: [{ name: 'hbm', capacity: '64blocks' }] });
    const a = cache.namespace('a');
    const b = cache.namespace('b');
    const tokenRun = fc.array(fc.integer({ min: 0, max: 20 }), { minLength: BLOCK_TOKENS, maxLength: BLOCK_TOKENS * 3 });
    await fc.assert(
      fc.asyncProperty(fc.array(tokenRun, { minLength: 1, maxLength: 4 }), tokenRun, async (written, probe) => {
        for (const tokens of written) {
          const keys = a.keys(tokens);
          await a.putChain(keys, keys.map((k) => tenantPayload('a', k)));
        }
        // b probes with a's keys, with its own keys for the same tokens, and with tokens a wrote.
        for (const keys of [a.keys(probe), b.keys(probe), ...written.map((t) => b.keys(t)), ...written.map((t) => a.keys(t))]) {
          expect(b.lookup(keys)).toEqual(empty.lookup(keys));
          const pin = await b.acquire(keys);
          expect(pin.length).toBe(0);
          pin.release();
        }
      }),
      { numRuns: 200 },
    );
    await cache.close();
    await empty.close();
  });

  // Named namespaces store a block under H(salt, key) while the default namespace stores the caller's
  // key as is, and salts are public (a hash of the name): a default-namespace caller can put under
  // another tenant's storage key. The tiers key blocks by storage key only, so the write replaces the
  // tenant's bytes (engine.ts `storageKey`). Reported; the engine suite has the in-memory case.
  it('a default-namespace caller cannot replace a tenant’s block by putting under its storage key, before or after a reopen', async () => {
    const root = join(base, 'poison');
    let cache = await KvCache.open(config(root, 4));
    const tenant = cache.namespace('tenant-b');
    const key = tenant.keys(Array.from({ length: BLOCK_TOKENS }, (_, i) => i))[0]!;
    await tenant.put(key, tenantPayload('tenant-b', key));
    const crafted = createHash('sha256').update(namespaceSalt('tenant-b')).update(key, 'hex').digest().subarray(0, 16).toString('hex');
    // Refusing the put is fine; replacing the tenant's bytes is not.
    await cache.put(crafted, tenantPayload('', crafted)).catch((error: unknown) => expectCleanError(error));
    for (let pass = 0; pass < 2; pass++) {
      const pin = await cache.namespace('tenant-b').acquire([key]);
      expect(pin.length).toBe(1);
      expect(tenantBytesOk('tenant-b', key, pin.blocks[0]!)).toBe(true);
      pin.release();
      // Push the tenant's block below the memory tiers (hbm + ddr hold 6), so it survives the reopen.
      for (let i = 0; i < 6; i++) {
        const filler = keyOf(`filler-${pass}`, i);
        await cache.put(filler, tenantPayload('', filler));
      }
      expect(cache.namespace('tenant-b').lookup([key]).tiers).toEqual(['flash']);
      await cache.close();
      cache = await KvCache.open(config(root, 4));
    }
    await cache.close();
  });
});

describe('a storage key claimed first by the default namespace', () => {
  it('never hands one tenant the other’s bytes, whichever put came first, before or after a reopen', async () => {
    const root = join(base, 'claim');
    let cache = await KvCache.open(config(root, 4));
    const key = cache.namespace('tenant-b').keys(Array.from({ length: BLOCK_TOKENS }, (_, i) => i + 1))[0]!;
    const crafted = createHash('sha256').update(namespaceSalt('tenant-b')).update(key, 'hex').digest().subarray(0, 16).toString('hex');
    expect(await cache.put(crafted, tenantPayload('', crafted))).toBe(true);
    await cache.namespace('tenant-b').put(key, tenantPayload('tenant-b', key)).catch((error: unknown) => expectCleanError(error));
    for (let pass = 0; pass < 2; pass++) {
      for (const [ns, k] of [['', crafted], ['tenant-b', key]] as const) {
        const pin = await cache.namespace(ns).acquire([k]);
        for (const bytes of pin.blocks) expect(tenantBytesOk(ns, k, bytes), `${JSON.stringify(ns)} pass ${pass}`).toBe(true);
        if (ns === '') expect(pin.length).toBe(1); // its put succeeded, and flash keeps it across the reopen
        pin.release();
      }
      for (let i = 0; i < 6; i++) {
        const filler = keyOf(`claim-filler-${pass}`, i);
        await cache.put(filler, tenantPayload('', filler));
      }
      await cache.close();
      cache = await KvCache.open(config(root, 4));
    }
    await cache.close();
  });
});

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

describe('no user-supplied string reaches a file name or an LMDB key', () => {
  it('stores hostile namespaces and keys under fixed file names and hashed keys only', async () => {
    const root = join(base, 'deep', 'er');
    const cache = await KvCache.open(config(root));
    const userKeys = new Map<string, string[]>();
    for (const ns of NAMESPACES) {
      const handle = cache.namespace(ns);
      const keys = Array.from({ length: 6 }, (_, i) => keyOf(`files:${ns}`, i));
      userKeys.set(ns, keys);
      for (const key of keys) await handle.put(key, tenantPayload(ns, key));
    }
    await cache.close(); // everything beyond the 4 memory slots is now in flash or on disk

    // Nothing was created outside the tier directories, and only the tiers' own file names inside them.
    expect(await filesUnder(base)).toEqual(
      expect.arrayContaining([join('deep', 'er', 'flash', 'data.mdb'), join('deep', 'er', 'flash', 'lock.mdb')]),
    );
    for (const file of await filesUnder(base)) {
      expect(file).toMatch(/^deep\/er\/(flash\/(data|lock)\.mdb|disk\/seg-[0-9a-f]{12}\.kvs)$/);
    }

    // LMDB keys: every database of the environment, walked with lmdb itself.
    const env = openLmdb({ path: join(root, 'flash'), maxDbs: 8, readOnly: true });
    const names = [...env.getKeys({})].map(String);
    expect(names.length).toBeGreaterThan(0);
    const lmdbKeys: string[] = [];
    for (const name of names) {
      const db = env.openDB({ name, encoding: 'binary' });
      for (const key of db.getKeys({})) lmdbKeys.push(String(key));
    }
    await env.close();
    expect(lmdbKeys.length).toBeGreaterThan(0);
    for (const key of lmdbKeys) expect(key).toMatch(/^[0-9a-f]{32}$/);

    // Keys of named namespaces are stored hashed: neither the caller's key nor the namespace is a stored key.
    const segments = await Promise.all((await readdir(join(root, 'disk'))).map((f) => readFile(join(root, 'disk', f))));
    for (const [ns, keys] of userKeys) {
      if (ns === '') continue;
      for (const key of keys) {
        expect(lmdbKeys).not.toContain(key);
        for (const segment of segments) expect(segment.includes(Buffer.from(key, 'hex'))).toBe(false);
      }
    }
    expect(names.some((n) => NAMESPACES.includes(n) && n !== '')).toBe(false);
  });
});
