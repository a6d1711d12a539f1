/**
 * Model-based test of the engine on a four-tier stack (hbm, ddr, flash, disk): random interleavings
 * of put, lookup, acquire, release, prefetch and reopen, checked after every step against a simple
 * model of what must be cached, what may have been dropped, and what must be pinned.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, KvtierError } from '../../src/errors.js';
import type { PromotionPolicy, WritePolicy } from '../../src/engine/control-plane.js';
import type { PinHandle } from '../../src/engine/pin-handle.js';
import type { EngineStats } from '../../src/engine/stats.js';
import { bytesFor, keyOf, openStack, removeDir, sameBytes, tempDir, type TestEngine } from './support.js';

/**
 * Each tier holds at least 2 blocks more than the one above: at most 2 pinned blocks (the top
 * tier's capacity) plus one block held by a promotion can be unevictable in a lower tier, so only
 * the last tier can ever drop a block, and only when it is full. 24 keys for 20 slots: drops happen.
 */
const CAPACITIES = { hbm: 2, ddr: 4, flash: 6, disk: 8 };
const TOTAL = CAPACITIES.hbm + CAPACITIES.ddr + CAPACITIES.flash + CAPACITIES.disk;
const KEY_POOL = 24;
const KEYS = Array.from({ length: KEY_POOL }, (_, i) => keyOf(1000 + i));

type Command =
  | { kind: 'put'; key: number }
  | { kind: 'putChain'; keys: number[] }
  | { kind: 'lookup'; keys: number[] }
  | { kind: 'acquire'; keys: number[] }
  | { kind: 'release'; handle: number }
  | { kind: 'releaseTwice'; handle: number }
  | { kind: 'prefetch'; keys: number[] }
  | { kind: 'reopen' };

const keyIndex = fc.nat(KEY_POOL - 1);
/** Short chains: mostly consecutive keys (a prefix chain), sometimes arbitrary ones. */
const consecutive = fc
  .tuple(keyIndex, fc.integer({ min: 1, max: 3 }))
  .map(([start, n]) => Array.from({ length: n }, (_, i) => (start + i) % KEY_POOL));
const chain = fc.oneof({ weight: 3, arbitrary: consecutive }, { weight: 1, arbitrary: fc.array(keyIndex, { minLength: 1, maxLength: 3 }) });
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 8, arbitrary: keyIndex.map((key) => ({ kind: 'put' as const, key })) },
  { weight: 6, arbitrary: consecutive.map((keys) => ({ kind: 'putChain' as const, keys })) },
  { weight: 4, arbitrary: chain.map((keys) => ({ kind: 'lookup' as const, keys })) },
  { weight: 8, arbitrary: chain.map((keys) => ({ kind: 'acquire' as const, keys })) },
  { weight: 6, arbitrary: fc.nat(7).map((handle) => ({ kind: 'release' as const, handle })) },
  { weight: 2, arbitrary: fc.nat(7).map((handle) => ({ kind: 'releaseTwice' as const, handle })) },
  { weight: 4, arbitrary: chain.map((keys) => ({ kind: 'prefetch' as const, keys })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);
const setup = fc.record({
  writePolicy: fc.constantFrom<WritePolicy>('write-back', 'write-through'),
  promotion: fc.constantFrom<PromotionPolicy>('exclusive', 'inclusive'),
  policy: fc.constantFrom('lru', 'fifo', 'lfu', 's3fifo', 'arc', 'prefix-lru'),
  /** Keys put before the commands, so runs start anywhere from empty to nearly full. */
  prefill: fc.nat(TOTAL),
});

/** What the model knows of a key: cached for sure, maybe dropped, or (absent from the map) not cached. */
type Known = 'present' | 'maybe';

interface Held {
  handle: PinHandle;
  keys: string[];
}

class Model {
  readonly known = new Map<string, Known>();
  held: Held[] = [];

  pinnedKeys(): Set<string> {
    return new Set(this.held.flatMap((h) => h.keys));
  }

  /** Keys that may be cached (present or maybe). */
  possiblyCached(): number {
    return this.known.size;
  }

  /** A drop happened somewhere: any unpinned block may be the one that left. */
  dropSomewhere(): void {
    const pinned = this.pinnedKeys();
    for (const key of this.known.keys()) if (!pinned.has(key)) this.known.set(key, 'maybe');
  }
}

function isTierFull(outcome: unknown): boolean {
  return outcome instanceof KvtierError && outcome.code === ErrorCode.TIER_FULL;
}

function totalDrops(stats: EngineStats): number {
  return stats.tiers.reduce((sum, t) => sum + t.drops, 0);
}

describe('engine against a model (property)', () => {
  let base: string;
  let run = 0;
  beforeAll(async () => {
    base = await tempDir('kvtier-engine-model-');
  });
  afterAll(async () => {
    await removeDir(base);
  });

  it('keeps capacity, pins, bytes and recovery right under random interleavings', async () => {
    await fc.assert(
      fc.asyncProperty(setup, fc.array(command, { minLength: 40, maxLength: 80 }), async (config, commands) => {
        const dir = join(base, `run-${run++}`);
        const overrides = {
          writePolicy: config.writePolicy,
          promotion: config.promotion,
          tiers: [
            { name: 'hbm', capacity: `${CAPACITIES.hbm}blocks`, policy: config.policy },
            { name: 'ddr', capacity: `${CAPACITIES.ddr}blocks`, policy: config.policy },
            { name: 'flash', capacity: `${CAPACITIES.flash}blocks`, policy: config.policy, dir: join(dir, 'flash') },
            { name: 'disk', capacity: `${CAPACITIES.disk}blocks`, policy: config.policy, dir: join(dir, 'disk') },
          ],
        };
        const exclusiveWriteBack = config.writePolicy === 'write-back' && config.promotion === 'exclusive';
        // Prefix-LRU never evicts a block whose descendant is tracked in the tier, so a pinned (or
        // promoting) leaf also holds its ancestors: ERR_TIER_FULL and drops can come earlier than the
        // pin count alone says. Every other policy can evict any unpinned block.
        const anyUnpinnedEvictable = config.policy !== 'prefix-lru';
        let engine: TestEngine = await openStack(dir, CAPACITIES, overrides);
        const model = new Model();
        const prefill: Command[] = Array.from({ length: config.prefill }, (_, i) => ({ kind: 'put', key: i % KEY_POOL }));
        try {
          for (const cmd of [...prefill, ...commands]) await step(cmd);
        } finally {
          await engine.cache.close();
          await removeDir(dir);
        }

        async function step(cmd: Command): Promise<void> {
          const cache = engine.cache;
          const before = cache.stats();
          const possiblyBefore = model.possiblyCached();
          switch (cmd.kind) {
            case 'put': {
              const key = KEYS[cmd.key]!;
              const where = cache.lookup([key]).tiers[0];
              const mustFail = where !== 'hbm' && model.pinnedKeys().size >= CAPACITIES.hbm;
              const outcome = await cache.put(key, bytesFor(key)).catch((error: unknown) => error);
              if (!mustFail && !anyUnpinnedEvictable && isTierFull(outcome)) break;
              if (mustFail) {
                expect(outcome).toBeInstanceOf(KvtierError);
                expect((outcome as KvtierError).code).toBe(ErrorCode.TIER_FULL);
                expect((outcome as KvtierError).message).toContain(`${CAPACITIES.hbm} blocks are pinned`);
              } else {
                expect(outcome).toBe(where === undefined);
                model.known.set(key, 'present');
              }
              break;
            }
            case 'putChain': {
              const keys = cmd.keys.map((i) => KEYS[i]!);
              const fresh = keys.filter((key) => cache.lookup([key]).prefixBlocks === 0).length;
              const anyFull = model.pinnedKeys().size >= CAPACITIES.hbm;
              const outcome = await cache.putChain(keys, keys.map((key) => bytesFor(key))).catch((error: unknown) => error);
              if (anyFull && !keys.every((key) => cache.lookup([key]).tiers[0] === 'hbm')) {
                expect((outcome as KvtierError).code).toBe(ErrorCode.TIER_FULL);
                break;
              }
              if (!anyUnpinnedEvictable && isTierFull(outcome)) break;
              expect(typeof outcome).toBe('number');
              // An earlier block of the chain may push a later one out of the last tier: then it is stored again.
              if (totalDrops(cache.stats()) === totalDrops(before)) expect(outcome).toBe(fresh);
              else expect(outcome).toBeGreaterThanOrEqual(fresh);
              for (const key of keys) model.known.set(key, 'present');
              break;
            }
            case 'lookup':
              checkLookup(cmd.keys.map((i) => KEYS[i]!));
              break;
            case 'acquire': {
              const keys = cmd.keys.map((i) => KEYS[i]!);
              const prefix = keys.slice(0, checkLookup(keys));
              const needed = new Set([...model.pinnedKeys(), ...prefix]);
              const outcome = await cache.acquire(keys).catch((error: unknown) => error);
              if (!anyUnpinnedEvictable && isTierFull(outcome)) break;
              if (needed.size > CAPACITIES.hbm) {
                expect(outcome).toBeInstanceOf(KvtierError);
                expect((outcome as KvtierError).code).toBe(ErrorCode.TIER_FULL);
              } else {
                const handle = outcome as PinHandle;
                expect(handle.keys).toEqual(prefix);
                handle.blocks.forEach((block, i) => expect(sameBytes(block, bytesFor(prefix[i]!))).toBe(true));
                if (handle.length > 0) model.held.push({ handle, keys: prefix });
                else handle.release();
                for (const key of prefix) model.known.set(key, 'present');
              }
              break;
            }
            case 'release':
            case 'releaseTwice': {
              if (model.held.length === 0) break;
              const [held] = model.held.splice(cmd.handle % model.held.length, 1);
              held!.handle.release();
              expect(held!.handle.active).toBe(false);
              if (cmd.kind === 'releaseTwice') expect(() => held!.handle.release()).toThrow(/already released/);
              break;
            }
            case 'prefetch': {
              const keys = cmd.keys.map((i) => KEYS[i]!);
              const hits = checkLookup(keys);
              const result = cache.prefetch(keys);
              expect(result.requested).toBe(keys.length);
              expect(result.started + result.alreadyInTop + result.skipped.length).toBe(keys.length);
              const skippedBeyond = result.skipped.filter((s) => s.reason === 'not cached' || s.reason === 'after a missing block');
              // Within the cached prefix, a skip means the top tier had no room.
              const full = result.skipped.length - skippedBeyond.length;
              if (full > 0) expect(result.started + result.alreadyInTop).toBe(hits - full);
              expect(skippedBeyond.map((s) => s.key)).toEqual(keys.slice(hits));
              skippedBeyond.forEach((s, i) => expect(s.reason).toBe(i === 0 ? 'not cached' : 'after a missing block'));
              await result.done;
              break;
            }
            case 'reopen': {
              for (const held of model.held.splice(0)) held.handle.release();
              const durable = before.tiers[2]!.usedBlocks + before.tiers[3]!.usedBlocks;
              const inMemory = [...model.known.keys()].filter((key) => {
                const tier = cache.lookup([key]).tiers[0];
                return tier === 'hbm' || tier === 'ddr';
              });
              await cache.close();
              engine = await openStack(dir, CAPACITIES, overrides);
              const stats = engine.cache.stats();
              // Every durable block comes back (same capacities: nothing to drop); memory starts empty.
              expect(stats.recovered).toBe(durable);
              expect(stats.tiers[0]!.usedBlocks + stats.tiers[1]!.usedBlocks).toBe(0);
              for (const key of inMemory) {
                // Exclusive write-back keeps one copy: a block that was in memory is gone. Otherwise a
                // lower durable copy may remain.
                if (exclusiveWriteBack) model.known.delete(key);
                else model.known.set(key, 'maybe');
              }
              checkInvariants(stats);
              return;
            }
          }
          const after = cache.stats();
          if (totalDrops(after) > totalDrops(before)) {
            if (anyUnpinnedEvictable) {
              // Only the last tier drops, and only when full: at least that many blocks were cached
              // (every tier full, for exclusive write-back, where each block takes exactly one slot).
              const minimum = exclusiveWriteBack ? TOTAL : CAPACITIES.disk;
              expect(Math.max(possiblyBefore, model.possiblyCached())).toBeGreaterThanOrEqual(minimum);
              for (const t of after.tiers.slice(0, -1)) expect(t.drops).toBe(0);
            }
            model.dropSomewhere();
            // The block this step put is cached whatever was dropped to make room (a chain's last block too).
            if (cmd.kind === 'put' && after.puts > before.puts) model.known.set(KEYS[cmd.key]!, 'present');
            if (cmd.kind === 'putChain' && after.puts > before.puts) model.known.set(KEYS[cmd.keys.at(-1)!]!, 'present');
          }
          checkInvariants(after);
        }

        /** A lookup checked against the model (it changes nothing); returns the hit prefix length. */
        function checkLookup(keys: string[]): number {
          const { prefixBlocks, tiers } = engine.cache.lookup(keys);
          for (let i = 0; i < prefixBlocks; i++) expect(model.known.has(keys[i]!), `hit on ${i}`).toBe(true);
          if (prefixBlocks < keys.length) {
            const miss = keys[prefixBlocks]!;
            expect(model.known.get(miss), `miss on ${prefixBlocks}`).not.toBe('present');
            model.known.delete(miss);
          }
          for (let i = 0; i < prefixBlocks; i++) model.known.set(keys[i]!, 'present');
          expect(tiers.every((t) => ['hbm', 'ddr', 'flash', 'disk'].includes(t))).toBe(true);
          return prefixBlocks;
        }

        function checkInvariants(stats: EngineStats): void {
          const cache = engine.cache;
          for (const t of stats.tiers) expect(t.usedBlocks).toBeLessThanOrEqual(t.capacityBlocks);
          expect(stats.failedMoves).toBe(0);
          expect(stats.lostBlocks).toBe(0);
          // Pinned blocks are in the top tier, bytes intact.
          for (const held of model.held) {
            expect(cache.lookup(held.keys).tiers).toEqual(held.keys.map(() => 'hbm'));
            held.handle.blocks.forEach((block, i) => expect(sameBytes(block, bytesFor(held.keys[i]!))).toBe(true));
          }
          // Every block the model knows is cached is found.
          for (const [key, known] of model.known) {
            if (known === 'present') expect(cache.lookup([key]).prefixBlocks, `lost ${key}`).toBe(1);
          }
          const used = stats.tiers.reduce((sum, t) => sum + t.usedBlocks, 0);
          if (exclusiveWriteBack) expect(used).toBe(stats.cachedBlocks);
          else expect(used).toBeGreaterThanOrEqual(stats.cachedBlocks);
          expect(stats.cachedBlocks).toBeLessThanOrEqual(model.possiblyCached());
          expect(stats.hitBlocks).toBeLessThanOrEqual(stats.lookupBlocks);
          expect(stats.tiers.reduce((sum, t) => sum + t.hits, 0)).toBe(stats.hitBlocks);
          const p = stats.prefetch;
          expect(p.started + p.alreadyInTop + p.skipped).toBe(p.requested);
          expect(p.used + p.revoked).toBeLessThanOrEqual(p.started);
          expect(stats.pins.acquired - stats.pins.released - stats.pins.expired - stats.pins.leaked).toBe(model.held.length);
          expect(engine.warnings).toEqual([]);
        }
      }),
      { numRuns: 60 },
    );
  });
});
