/** The control plane on hand-worked sequences: the exact moves, in order, for every write and promotion policy. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { ControlPlane, type ControlPlaneOptions } from '../../src/engine/control-plane.js';
import { MoveRecorder, thrown } from './support.js';

function plane(capacities: number[], options: Partial<ControlPlaneOptions> = {}): { cp: ControlPlane; rec: MoveRecorder } {
  const rec = new MoveRecorder();
  const cp = new ControlPlane({ tiers: capacities.map((capacityBlocks) => ({ capacityBlocks })), ...options }, rec);
  return { cp, rec };
}

/** The ids held by each tier, for ids below `limit`. */
function placement(cp: ControlPlane, limit = 32): number[][] {
  const tiers: number[][] = Array.from({ length: cp.tierCount }, () => []);
  for (let id = 0; id < limit; id++) {
    const bits = cp.presenceOf(id);
    for (let t = 0; t < cp.tierCount; t++) if (bits & (1 << t)) tiers[t]!.push(id);
  }
  return tiers;
}

describe('ControlPlane: write-back, exclusive (the defaults)', () => {
  it('inserts at the top, demotes LRU victims one tier down, cascades, and drops from the last tier', () => {
    const { cp, rec } = plane([2, 2, 2]);
    cp.insert(0);
    cp.insert(1);
    expect(rec.take()).toEqual(['INSERT 0 →0', 'INSERT 1 →0']);
    cp.insert(2);
    expect(rec.take()).toEqual(['MOVE 0 0→1', 'INSERT 2 →0']);
    cp.insert(3);
    expect(rec.take()).toEqual(['MOVE 1 0→1', 'INSERT 3 →0']);
    // Tier 1 is full: its LRU block (0) goes down first, so the demotion of 2 finds room.
    cp.insert(4);
    expect(rec.take()).toEqual(['MOVE 0 1→2', 'MOVE 2 0→1', 'INSERT 4 →0']);
    cp.insert(5);
    expect(rec.take()).toEqual(['MOVE 1 1→2', 'MOVE 3 0→1', 'INSERT 5 →0']);
    expect(placement(cp)).toEqual([[4, 5], [2, 3], [0, 1]]);
    // Every tier is full: the last tier's LRU block leaves the cache, then the cascade runs bottom-up.
    cp.insert(6);
    expect(rec.take()).toEqual(['DROP 0 2→', 'MOVE 2 1→2', 'MOVE 4 0→1', 'INSERT 6 →0']);
    expect(placement(cp)).toEqual([[5, 6], [3, 4], [1, 2]]);
    expect(Array.from(cp.used)).toEqual([2, 2, 2]);
    const [t0, t1, t2] = cp.counterSnapshot();
    expect(t0).toEqual({
      inserts: 7,
      promotionsIn: 0,
      promotionsOut: 0,
      demotionsIn: 0,
      demotionsOut: 5,
      evictions: 5,
      drops: 0,
      copiesIn: 0,
    });
    expect(t1).toMatchObject({ inserts: 0, demotionsIn: 5, demotionsOut: 3, evictions: 3, drops: 0 });
    expect(t2).toMatchObject({ demotionsIn: 3, demotionsOut: 0, evictions: 1, drops: 1 });
  });

  it('promotes a lower hit to the top and removes the lower copy; a top hit only touches', () => {
    const { cp, rec } = plane([2, 2, 4]);
    for (let id = 0; id < 6; id++) cp.insert(id);
    rec.take();
    expect(placement(cp)).toEqual([[4, 5], [2, 3], [0, 1]]);
    expect(cp.access(5)).toBe(0);
    expect(rec.take()).toEqual([]);
    // Touching 5 made 4 the top tier's LRU block: it is the one demoted when 0 comes up.
    expect(cp.access(0)).toBe(2);
    expect(rec.take()).toEqual(['LIFT 0 2→0', 'MOVE 2 1→2', 'MOVE 4 0→1', 'LAND 0 2→0']);
    expect(placement(cp)).toEqual([[0, 5], [3, 4], [1, 2]]);
    expect(cp.tierOf(0)).toBe(0);
    expect(cp.counterSnapshot()[0]).toMatchObject({ promotionsIn: 1, promotionsOut: 0 });
    expect(cp.counterSnapshot()[2]).toMatchObject({ promotionsOut: 1 });
    // A miss is inserted, unless admission is refused (a bypass): then nothing moves.
    expect(cp.access(9, false)).toBe(-1);
    expect(rec.take()).toEqual([]);
    expect(cp.has(9)).toBe(false);
    expect(cp.access(9)).toBe(-1);
    expect(rec.take()).toEqual(['MOVE 3 1→2', 'MOVE 5 0→1', 'INSERT 9 →0']);
  });

  it('drops a victim from its own tier when every block of the tier below is pinned', () => {
    const { cp, rec } = plane([1, 1, 1]);
    cp.insert(0);
    cp.insert(1);
    cp.pin(0); // block 0 now sits in tier 1, pinned
    rec.take();
    cp.insert(2);
    expect(rec.take()).toEqual(['DROP 1 0→', 'INSERT 2 →0']);
    expect(placement(cp)).toEqual([[2], [0], []]);
    expect(cp.counterSnapshot()[0]).toMatchObject({ evictions: 2, demotionsOut: 1, drops: 1 });
  });

  it('swaps a promoted block with the top victim when the tier it leaves is full', () => {
    const { cp, rec } = plane([1, 1]);
    cp.insert(0);
    cp.insert(1);
    rec.take();
    // The block is lifted out of tier 1 first, so the top victim takes its slot: a swap.
    expect(cp.access(0)).toBe(1);
    expect(rec.take()).toEqual(['LIFT 0 1→0', 'MOVE 1 0→1', 'LAND 0 1→0']);
    expect(placement(cp)).toEqual([[0], [1]]);
    expect(cp.pinCount(0)).toBe(0);
  });

  it('holds a promoted block while the cascade makes room, so the cascade cannot evict its lower copy', () => {
    const { cp, rec } = plane([1, 1], { promotion: 'inclusive' });
    cp.insert(0);
    cp.insert(1);
    rec.take();
    // Inclusive: block 0 stays in tier 1 while it is copied up, so the top victim has nowhere to go.
    expect(cp.access(0)).toBe(1);
    expect(rec.take()).toEqual(['DROP 1 0→', 'COPY 0 1→0']);
    expect(placement(cp)).toEqual([[0], [0]]);
    expect(cp.pinCount(0)).toBe(0);
  });
});

describe('ControlPlane: write-through', () => {
  it('copies a new block into tier 1; a victim with a lower copy is just dropped from the top', () => {
    const { cp, rec } = plane([2, 2, 2], { writePolicy: 'write-through' });
    cp.insert(0);
    expect(rec.take()).toEqual(['INSERT 0 →0', 'COPY 0 0→1']);
    cp.insert(1);
    expect(rec.take()).toEqual(['INSERT 1 →0', 'COPY 1 0→1']);
    cp.insert(2);
    expect(rec.take()).toEqual(['DROP 0 0→', 'INSERT 2 →0', 'MOVE 0 1→2', 'COPY 2 0→1']);
    expect(placement(cp)).toEqual([[1, 2], [1, 2], [0]]);
    // An exclusive promotion from tier 2 leaves block 0 in the top tier only (it is dirty again).
    expect(cp.access(0)).toBe(2);
    expect(rec.take()).toEqual(['LIFT 0 2→0', 'DROP 1 0→', 'LAND 0 2→0']);
    expect(placement(cp)).toEqual([[0, 2], [1, 2], []]);
    cp.insert(3);
    expect(rec.take()).toEqual(['DROP 2 0→', 'INSERT 3 →0', 'MOVE 1 1→2', 'COPY 3 0→1']);
    expect(placement(cp)).toEqual([[0, 3], [2, 3], [1]]);
    // Now 0 has no lower copy: evicting it demotes it, and that demotion cascades.
    cp.insert(4);
    expect(rec.take()).toEqual(['MOVE 2 1→2', 'MOVE 0 0→1', 'INSERT 4 →0', 'DROP 1 2→', 'MOVE 3 1→2', 'COPY 4 0→1']);
    expect(placement(cp)).toEqual([[3, 4], [0, 4], [2, 3]]);
    expect(cp.counterSnapshot()[1]).toMatchObject({ copiesIn: 5, demotionsIn: 1, evictions: 4, demotionsOut: 4 });
    expect(cp.counterSnapshot()[0]).toMatchObject({ drops: 0, evictions: 4, demotionsOut: 1 });
    expect(cp.counterSnapshot()[2]).toMatchObject({ drops: 1, evictions: 1 });
  });

  it('skips the copy (the block stays in tier 0 only) when tier 1 is full of pinned blocks', () => {
    const { cp, rec } = plane([2, 1], { writePolicy: 'write-through' });
    cp.insert(0);
    cp.pin(0);
    expect(rec.take()).toEqual(['INSERT 0 →0', 'COPY 0 0→1']);
    cp.insert(1);
    expect(rec.take()).toEqual(['INSERT 1 →0']);
    expect(placement(cp)).toEqual([[0, 1], [0]]);
    expect(cp.counterSnapshot()[1]).toMatchObject({ copiesIn: 1 });
    // Without a lower copy, 1 is demoted when it leaves the top tier (0's copy makes way).
    cp.unpin(0);
    cp.insert(2);
    cp.insert(3);
    expect(rec.take()).toEqual(['DROP 0 0→', 'INSERT 2 →0', 'DROP 0 1→', 'COPY 2 0→1', 'DROP 2 1→', 'MOVE 1 0→1', 'INSERT 3 →0', 'DROP 1 1→', 'COPY 3 0→1']);
  });
});

describe('ControlPlane: inclusive promotion', () => {
  it('keeps the lower copy on promotion, so evicting a clean block from the top moves no data', () => {
    const { cp, rec } = plane([1, 2], { promotion: 'inclusive' });
    cp.insert(0);
    cp.insert(1);
    expect(rec.take()).toEqual(['INSERT 0 →0', 'MOVE 0 0→1', 'INSERT 1 →0']);
    expect(cp.access(0)).toBe(1);
    expect(rec.take()).toEqual(['MOVE 1 0→1', 'COPY 0 1→0']);
    expect(placement(cp)).toEqual([[0], [0, 1]]);
    expect(cp.tierOf(0)).toBe(0);
    expect(cp.presenceOf(0)).toBe(0b11);
    expect(cp.access(1)).toBe(1);
    expect(rec.take()).toEqual(['DROP 0 0→', 'COPY 1 1→0']);
    cp.insert(2);
    expect(rec.take()).toEqual(['DROP 1 0→', 'INSERT 2 →0']);
    // The promotion touched 1 in tier 1, so 0 is tier 1's LRU block: it leaves the cache.
    cp.insert(3);
    expect(rec.take()).toEqual(['DROP 0 1→', 'MOVE 2 0→1', 'INSERT 3 →0']);
    expect(placement(cp)).toEqual([[3], [1, 2]]);
    expect(cp.counterSnapshot()[0]).toMatchObject({ promotionsIn: 2, evictions: 5, demotionsOut: 3, drops: 0 });
    expect(cp.counterSnapshot()[1]).toMatchObject({ promotionsOut: 2, evictions: 1, drops: 1 });
  });
});

describe('ControlPlane: pins and ERR_TIER_FULL', () => {
  it('rejects an insert into a top tier full of pinned blocks, counting them, and moves nothing', () => {
    const { cp, rec } = plane([2, 3]);
    cp.insert(0);
    cp.insert(1);
    cp.insert(2); // 0 goes to tier 1
    cp.pin(1);
    cp.pin(2);
    cp.pin(0); // pinned in tier 1: not counted against tier 0
    rec.take();
    const error = thrown(
      () => cp.insert(3),
      ErrorCode.TIER_FULL,
      'tier 0 is full (2 of 2 blocks) and nothing can be evicted: 2 blocks are pinned',
    );
    expect(error.details).toEqual({ tier: 0, used: 2, capacity: 2, pinned: 2 });
    expect(rec.take()).toEqual([]);
    expect(cp.has(3)).toBe(false);
    // A promotion into the pinned top tier fails the same way and leaves the block where it was.
    cp.unpin(0);
    thrown(() => cp.access(0), ErrorCode.TIER_FULL, /2 blocks are pinned/);
    expect(rec.take()).toEqual([]);
    expect(cp.tierOf(0)).toBe(1);
    expect(cp.pinCount(0)).toBe(0);
    // One pin fewer and both succeed.
    cp.unpin(1);
    cp.access(0);
    expect(rec.take()).toEqual(['LIFT 0 1→0', 'MOVE 1 0→1', 'LAND 0 1→0']);
    cp.insert(3);
    expect(rec.take()).toEqual(['MOVE 0 0→1', 'INSERT 3 →0']);
  });

  it('never evicts a pinned block, however many inserts pass by', () => {
    const { cp } = plane([3, 2]);
    cp.insert(100);
    cp.pin(100);
    for (let id = 0; id < 50; id++) cp.insert(id);
    expect(cp.tierOf(100)).toBe(0);
    expect(cp.pinCount(100)).toBe(1);
  });

  it('reports a block evictable exactly while nothing pins it, and evicts it once the last pin goes', () => {
    const { cp, rec } = plane([2]);
    cp.insert(0);
    cp.insert(1);
    expect([cp.evictable(0), cp.evictable(1)]).toEqual([true, true]);
    cp.pin(0);
    cp.pin(0);
    cp.pin(1);
    expect([cp.evictable(0), cp.evictable(1)]).toEqual([false, false]);
    cp.unpin(1);
    expect([cp.evictable(0), cp.evictable(1)]).toEqual([false, true]);
    rec.take();
    cp.insert(2);
    expect(rec.take()).toEqual(['DROP 1 0→', 'INSERT 2 →0']);
    cp.unpin(0);
    expect(cp.evictable(0)).toBe(false);
    cp.unpin(0);
    expect(cp.evictable(0)).toBe(true);
    cp.insert(3);
    expect(rec.take()).toEqual(['DROP 0 0→', 'INSERT 3 →0']);
  });

  it('rejects unpinning a block that is not pinned', () => {
    const { cp } = plane([2]);
    cp.insert(0);
    thrown(() => cp.unpin(0), ErrorCode.PIN, 'block 0 is not pinned');
    thrown(() => cp.unpin(77), ErrorCode.PIN, 'block 77 is not pinned');
  });

  it('rejects a duplicate insert and a bad id', () => {
    const { cp } = plane([2]);
    cp.insert(0);
    thrown(() => cp.insert(0), ErrorCode.INVALID_ARGUMENT, 'block 0 is already cached');
    thrown(() => cp.insert(-1), ErrorCode.INVALID_ARGUMENT, 'invalid block id -1');
    thrown(() => cp.insert(1.5), ErrorCode.INVALID_ARGUMENT, 'invalid block id 1.5');
  });
});

describe('ControlPlane: lookups, restore, removal', () => {
  it('lookupPrefix stops at the first miss and reports each hit tier', () => {
    const { cp } = plane([2, 2, 2]);
    for (let id = 0; id < 6; id++) cp.insert(id);
    const tiers = new Int8Array(8);
    expect(cp.lookupPrefix([5, 4, 3, 2, 1, 0, 99, 5], 0, 8, tiers)).toBe(6);
    expect(Array.from(tiers.subarray(0, 6))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(cp.lookupPrefix([99, 5])).toBe(0);
    expect(cp.lookupPrefix([99, 5, 4, 99], 1, 3)).toBe(2);
    expect(cp.lookupPrefix([])).toBe(0);
  });

  it('lookupPrefix never changes state: the same accesses with and without lookups emit the same moves', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('access' as const), id: fc.nat(11) }),
      fc.record({ kind: fc.constant('pin' as const), id: fc.nat(11) }),
      fc.record({ kind: fc.constant('unpin' as const), id: fc.nat(11) }),
      fc.record({ kind: fc.constant('lookup' as const), ids: fc.array(fc.nat(11), { maxLength: 6 }) }),
    );
    const config = fc.record({
      writePolicy: fc.constantFrom('write-back' as const, 'write-through' as const),
      promotion: fc.constantFrom('exclusive' as const, 'inclusive' as const),
      policy: fc.constantFrom('lru', 'fifo', 'lfu', 's3fifo', 'arc', 'prefix-lru'),
    });
    fc.assert(
      fc.property(config, fc.array(op, { maxLength: 80 }), ({ policy, ...options }, ops) => {
        const tiers = [2, 3, 4].map((capacityBlocks) => ({ capacityBlocks, policy }));
        const a = new MoveRecorder();
        const b = new MoveRecorder();
        const withLookups = new ControlPlane({ tiers, ...options }, a);
        const without = new ControlPlane({ tiers, ...options }, b);
        const run = (cp: ControlPlane, lookups: boolean): string[] => {
          const outcomes: string[] = [];
          for (const o of ops) {
            if (o.kind === 'lookup') {
              if (lookups) cp.lookupPrefix(o.ids, 0, o.ids.length, new Int8Array(o.ids.length));
              continue;
            }
            try {
              if (o.kind === 'access') cp.access(o.id);
              else if (o.kind === 'pin') {
                if (cp.has(o.id) && cp.pinCount(o.id) === 0) cp.pin(o.id);
              } else if (cp.pinCount(o.id) > 0) cp.unpin(o.id);
            } catch (error) {
              outcomes.push(String((error as { code?: string }).code));
            }
          }
          return outcomes;
        };
        expect(run(withLookups, true)).toEqual(run(without, false));
        expect(a.moves).toEqual(b.moves);
        expect(withLookups.counterSnapshot()).toEqual(without.counterSnapshot());
        expect(Array.from(withLookups.used)).toEqual(Array.from(without.used));
        for (let t = 0; t < 3; t++) expect(withLookups.used[t]).toBeLessThanOrEqual(withLookups.capacity[t]!);
      }),
      { numRuns: 200 },
    );
  });

  it('restores blocks into durable tiers without moves, until a tier is full', () => {
    const { cp, rec } = plane([1, 2]);
    expect(cp.restore(7, 1)).toBe(true);
    expect(cp.restore(7, 1)).toBe(true); // already there: no double count
    expect(cp.restore(8, 1)).toBe(true);
    expect(cp.restore(9, 1)).toBe(false);
    expect(rec.take()).toEqual([]);
    expect(Array.from(cp.used)).toEqual([0, 2]);
    expect(cp.tierOf(9)).toBe(-1);
    // Restored blocks are ordinary: a hit promotes them.
    expect(cp.access(7)).toBe(1);
    expect(rec.take()).toEqual(['LIFT 7 1→0', 'LAND 7 1→0']);
  });

  it('remove drops every copy, top first; removeFrom one; forget emits nothing', () => {
    const { cp, rec } = plane([2, 2], { writePolicy: 'write-through' });
    cp.insert(0);
    cp.insert(1);
    rec.take();
    cp.remove(0);
    expect(rec.take()).toEqual(['DROP 0 0→', 'DROP 0 1→']);
    expect(cp.has(0)).toBe(false);
    cp.removeFrom(1, 1);
    expect(rec.take()).toEqual(['DROP 1 1→']);
    expect(cp.presenceOf(1)).toBe(0b01);
    cp.removeFrom(1, 1); // absent: nothing
    cp.forget(1, 0);
    expect(rec.take()).toEqual([]);
    expect(cp.has(1)).toBe(false);
    expect(Array.from(cp.used)).toEqual([0, 0]);
    // Freed slots are reusable, and the policies forgot the blocks (no stale victim).
    cp.insert(2);
    cp.insert(3);
    cp.insert(4);
    expect(rec.take()).toEqual(['INSERT 2 →0', 'COPY 2 0→1', 'INSERT 3 →0', 'COPY 3 0→1', 'DROP 2 0→', 'INSERT 4 →0', 'DROP 2 1→', 'COPY 4 0→1']);
  });

  it('records chain parents', () => {
    const { cp } = plane([4]);
    expect(cp.parentOfId(5)).toBe(-1);
    cp.setParent(5, 4);
    expect(cp.parentOfId(5)).toBe(4);
    cp.setParent(3000, 5); // beyond the initial arrays: they grow
    expect(cp.parentOfId(3000)).toBe(5);
    cp.insert(3000);
    expect(cp.tierOf(3000)).toBe(0);
  });
});

describe('ControlPlane: configuration errors', () => {
  it('rejects 0 or more than 8 tiers and a capacity below one block', () => {
    const sink = new MoveRecorder();
    thrown(() => new ControlPlane({ tiers: [] }, sink), ErrorCode.CONFIG, 'expected 1 to 8 tiers, got 0');
    thrown(
      () => new ControlPlane({ tiers: Array.from({ length: 9 }, () => ({ capacityBlocks: 1 })) }, sink),
      ErrorCode.CONFIG,
      'expected 1 to 8 tiers, got 9',
    );
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
      thrown(
        () => new ControlPlane({ tiers: [{ capacityBlocks: 4 }, { capacityBlocks: bad }] }, sink),
        ErrorCode.CONFIG,
        `expected a capacity of 1 to 2147483647 blocks for tier 1, got ${String(bad)}`,
      );
    }
    thrown(() => new ControlPlane({ tiers: [{ capacityBlocks: 4, policy: 'nope' }] }, sink), ErrorCode.CONFIG, /unknown eviction policy "nope"/);
  });
});
