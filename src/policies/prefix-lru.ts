/**
 * Prefix-aware, leaf-first LRU: a block is evicted only when no later block of its prefix chain
 * is tracked, so a tier never keeps a suffix whose prefix it dropped (a suffix is useless without
 * its prefix: lookups stop at the first missing block).
 */
import { alreadyTracked, assertBlockId, configError, notTracked } from './policy-errors.js';
import type { EvictionPolicy, PolicyContext } from './policy.js';
import { INITIAL_IDS, grownLength } from './typed-arrays.js';

/**
 * Per-id record layout, 32 bytes so that everything a reference touches shares one cache line:
 * int32 slots [8·id + OLDER], [8·id + NEWER] (recency links, UNTRACKED when absent),
 * [8·id + CHILDREN] (alive children), [8·id + PARENT] (recorded parent), and the float64 slot
 * [4·id + 2] (last-reference counter) over the same bytes.
 */
const INTS_PER_ID = 8;
const OLDER = 0;
const NEWER = 1;
const CHILDREN = 2;
const PARENT = 3;
const STAMP = 2;
const FLOATS_PER_ID = 4;
/** OLDER value of an id that is not tracked (real links are ids or -1). */
const UNTRACKED = -2;

/**
 * Leaf-first LRU. Parents come from `context.parentOf`, read when a block first matters to the
 * structure and remembered. A block is *alive* while it is tracked or has an alive child; each
 * block counts its alive children, and a tracked block with none is a *leaf*. Untracked blocks
 * that are alive (a middle block promoted to another tier while its suffix stays here) keep
 * linking their suffix to their prefix, so a block is never evicted while any descendant — not
 * only a direct child — is tracked.
 *
 * Victims are the evictable leaves in exact last-reference order. Every tracked block sits in
 * one recency queue (as in LRU, so insert and touch are O(1)), and a cursor marks the first block
 * that may be a leaf: every block before it has a tracked descendant. `evict` walks from the
 * cursor and moves it past the non-leaves it meets, so each is skipped once, not on every call;
 * when a block becomes a leaf (its last alive child left) ahead of the cursor, the cursor moves
 * back to it. A block that becomes a leaf thus competes at its own last-reference position.
 * Evict is amortised O(1) plus one step per pinned leaf (or non-leaf behind one) it walks past.
 */
export class PrefixLruPolicy implements EvictionPolicy {
  readonly name = 'prefix-lru';
  private ints: Int32Array;
  private stamps: Float64Array;
  /** Ids the records cover. */
  private capacity = 0;
  private head = -1;
  private tail = -1;
  private count = 0;
  private references = 0;
  /** The first queued block that may be a leaf, or -1 when nothing is tracked. */
  private cursor = -1;
  private readonly context: PolicyContext;

  constructor(context: PolicyContext) {
    this.context = context;
    this.ints = new Int32Array(0);
    this.stamps = new Float64Array(0);
    this.growTo(INITIAL_IDS);
  }

  get size(): number {
    return this.count;
  }

  has(id: number): boolean {
    return (id >>> 0) === id && id < this.capacity && this.ints[INTS_PER_ID * id + OLDER] !== UNTRACKED;
  }

  /** Whether `id` is tracked and has no tracked descendant (a candidate victim). */
  isLeaf(id: number): boolean {
    return this.has(id) && this.ints[INTS_PER_ID * id + CHILDREN] === 0;
  }

  insert(id: number): void {
    if (this.has(id)) throw alreadyTracked(this.name, id);
    assertBlockId(id);
    if (id >= this.capacity) this.growTo(grownLength(this.capacity, id));
    const wasAlive = this.ints[INTS_PER_ID * id + CHILDREN]! > 0;
    this.append(id);
    this.count++;
    this.stamps[FLOATS_PER_ID * id + STAMP] = ++this.references;
    if (this.cursor === -1) this.cursor = id;
    if (!wasAlive) this.becomeAlive(id);
  }

  touch(id: number): void {
    if (!this.has(id)) throw notTracked(this.name, id);
    this.stamps[FLOATS_PER_ID * id + STAMP] = ++this.references;
    if (id === this.tail) return;
    if (id === this.cursor) this.cursor = this.ints[INTS_PER_ID * id + NEWER]!;
    this.unlink(id);
    this.append(id);
  }

  remove(id: number): void {
    if (this.has(id)) this.untrack(id);
  }

  evict(): number {
    const ints = this.ints;
    let id = this.cursor;
    while (id !== -1 && ints[INTS_PER_ID * id + CHILDREN]! > 0) id = ints[INTS_PER_ID * id + NEWER]!;
    this.cursor = id;
    for (; id !== -1; id = ints[INTS_PER_ID * id + NEWER]!) {
      if (ints[INTS_PER_ID * id + CHILDREN] === 0 && this.context.canEvict(id)) {
        this.untrack(id);
        return id;
      }
    }
    return -1;
  }

  private untrack(id: number): void {
    const ints = this.ints;
    if (id === this.cursor) this.cursor = ints[INTS_PER_ID * id + NEWER]!;
    this.unlink(id);
    ints[INTS_PER_ID * id + OLDER] = UNTRACKED;
    this.count--;
    if (ints[INTS_PER_ID * id + CHILDREN] === 0) this.becomeDead(id);
    // Only reachable when the cursor was the newest block; walking from the head is always correct.
    if (this.cursor === -1) this.cursor = this.head;
  }

  private append(id: number): void {
    const ints = this.ints;
    const tail = this.tail;
    ints[INTS_PER_ID * id + OLDER] = tail;
    ints[INTS_PER_ID * id + NEWER] = -1;
    if (tail === -1) this.head = id;
    else ints[INTS_PER_ID * tail + NEWER] = id;
    this.tail = id;
  }

  private unlink(id: number): void {
    const ints = this.ints;
    const before = ints[INTS_PER_ID * id + OLDER]!;
    const after = ints[INTS_PER_ID * id + NEWER]!;
    if (before === -1) this.head = after;
    else ints[INTS_PER_ID * before + NEWER] = after;
    if (after === -1) this.tail = before;
    else ints[INTS_PER_ID * after + OLDER] = before;
  }

  /** `id` just became alive: it now counts as a child of its parent, which may stop being a leaf or come alive too. */
  private becomeAlive(id: number): void {
    let child = id;
    for (;;) {
      let parent = this.context.parentOf(child);
      if ((parent | 0) !== parent) throw configError('context.parentOf', 'a block id or -1', parent);
      // A block is not its own prefix; treating a self-link as "no parent" keeps it evictable.
      if (parent === child) parent = -1;
      this.ints[INTS_PER_ID * child + PARENT] = parent;
      if (parent < 0) return;
      if (parent >= this.capacity) this.growTo(grownLength(this.capacity, parent));
      // A parent that already had an alive child, or is tracked, changes nothing further up.
      if (++this.ints[INTS_PER_ID * parent + CHILDREN]! > 1 || this.has(parent)) return;
      child = parent;
    }
  }

  /** `id` just stopped being alive: its parent loses a child and may become a leaf or stop being alive. */
  private becomeDead(id: number): void {
    const ints = this.ints;
    let child = id;
    for (;;) {
      const parent = ints[INTS_PER_ID * child + PARENT]!;
      if (parent < 0) return;
      if (--ints[INTS_PER_ID * parent + CHILDREN]! > 0) return;
      if (this.has(parent)) {
        // A new leaf ahead of the cursor pulls the cursor back to it.
        const cursor = this.cursor;
        const stamps = this.stamps;
        if (cursor === -1 || stamps[FLOATS_PER_ID * parent + STAMP]! < stamps[FLOATS_PER_ID * cursor + STAMP]!) {
          this.cursor = parent;
        }
        return;
      }
      child = parent;
    }
  }

  private growTo(capacity: number): void {
    const buffer = new ArrayBuffer(capacity * INTS_PER_ID * 4);
    const ints = new Int32Array(buffer);
    ints.set(this.ints);
    // Stamp one fresh record, then replicate it by doubling copies (a few native calls, no per-id loop).
    const start = INTS_PER_ID * this.capacity;
    ints[start + OLDER] = UNTRACKED;
    ints[start + PARENT] = -1;
    for (let filled = INTS_PER_ID; start + filled < ints.length; filled *= 2) {
      ints.copyWithin(start + filled, start, start + Math.min(filled, ints.length - start - filled));
    }
    this.ints = ints;
    this.stamps = new Float64Array(buffer);
    this.capacity = capacity;
  }
}

/** Builds a prefix-aware LRU policy; it reads `context.parentOf` and has no options. */
export function createPrefixLru(context: PolicyContext): EvictionPolicy {
  return new PrefixLruPolicy(context);
}
