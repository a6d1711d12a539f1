/**
 * Prefix-aware, leaf-first LRU: a block is evicted only when no later block of its prefix chain
 * is tracked, so a tier never keeps a suffix whose prefix it dropped (a suffix is useless without
 * its prefix: lookups stop at the first missing block).
 */
import { IdLists } from './id-lists.js';
import { alreadyTracked, assertBlockId, configError, notTracked } from './policy-errors.js';
import type { EvictionPolicy, PolicyContext } from './policy.js';
import { INITIAL_IDS, growFloat64, growInt32 } from './typed-arrays.js';

const ORDER = 0;

/**
 * Leaf-first LRU. Parents come from `context.parentOf`, read when a block first matters to the
 * structure and remembered. A block is *alive* while it is tracked or has an alive child;
 * `children[x]` counts x's alive children, and a tracked block with none is a *leaf*. Untracked
 * blocks that are alive (a middle block promoted to another tier while its suffix stays here)
 * keep linking their suffix to their prefix, so a block is never evicted while any descendant —
 * not only a direct child — is tracked.
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
  /** Tracked blocks, least recently referenced first. */
  private readonly order = new IdLists(1);
  /** Per id: number of alive children. */
  private children = new Int32Array(INITIAL_IDS);
  /** Per id: the parent recorded when the id became alive (-1 for a chain's first block). */
  private parents = new Int32Array(INITIAL_IDS).fill(-1);
  /** Per id: the reference counter at its last insert or touch (the queue's order, as a number). */
  private lastReference = new Float64Array(INITIAL_IDS);
  private references = 0;
  /** The first queued block that may be a leaf, or -1 when nothing is tracked. */
  private cursor = -1;
  private readonly context: PolicyContext;

  constructor(context: PolicyContext) {
    this.context = context;
  }

  get size(): number {
    return this.order.lengthOf(ORDER);
  }

  has(id: number): boolean {
    return this.order.queueOf(id) === ORDER;
  }

  /** Whether `id` is tracked and has no tracked descendant (a candidate victim). */
  isLeaf(id: number): boolean {
    return this.has(id) && this.children[id] === 0;
  }

  insert(id: number): void {
    if (this.has(id)) throw alreadyTracked(this.name, id);
    assertBlockId(id);
    this.ensure(id);
    const wasAlive = this.children[id]! > 0;
    this.order.push(ORDER, id);
    this.lastReference[id] = ++this.references;
    if (this.cursor === -1) this.cursor = id;
    if (!wasAlive) this.becomeAlive(id);
  }

  touch(id: number): void {
    if (!this.has(id)) throw notTracked(this.name, id);
    if (id === this.cursor) {
      const next = this.order.newer(id);
      if (next !== -1) this.cursor = next;
    }
    this.order.moveToNewest(id);
    this.lastReference[id] = ++this.references;
  }

  remove(id: number): void {
    if (this.has(id)) this.untrack(id);
  }

  evict(): number {
    const order = this.order;
    const children = this.children;
    let id = this.cursor;
    while (id !== -1 && children[id]! > 0) id = order.newer(id);
    this.cursor = id;
    for (; id !== -1; id = order.newer(id)) {
      if (children[id] === 0 && this.context.canEvict(id)) {
        this.untrack(id);
        return id;
      }
    }
    return -1;
  }

  private untrack(id: number): void {
    if (id === this.cursor) this.cursor = this.order.newer(id);
    this.order.unlink(id);
    if (this.children[id] === 0) this.becomeDead(id);
    // Only reachable when the cursor was the newest block; walking from the head is always correct.
    if (this.cursor === -1) this.cursor = this.order.oldest(ORDER);
  }

  /** `id` just became alive: it now counts as a child of its parent, which may stop being a leaf or come alive too. */
  private becomeAlive(id: number): void {
    let child = id;
    for (;;) {
      let parent = this.context.parentOf(child);
      if ((parent | 0) !== parent) throw configError('context.parentOf', 'a block id or -1', parent);
      // A block is not its own prefix; treating a self-link as "no parent" keeps it evictable.
      if (parent === child) parent = -1;
      this.parents[child] = parent;
      if (parent < 0) return;
      this.ensure(parent);
      // A parent that already had an alive child, or is tracked, changes nothing further up.
      if (++this.children[parent]! > 1 || this.has(parent)) return;
      child = parent;
    }
  }

  /** `id` just stopped being alive: its parent loses a child and may become a leaf or stop being alive. */
  private becomeDead(id: number): void {
    let child = id;
    for (;;) {
      const parent = this.parents[child]!;
      if (parent < 0) return;
      if (--this.children[parent]! > 0) return;
      if (this.has(parent)) {
        // A new leaf ahead of the cursor pulls the cursor back to it.
        const cursor = this.cursor;
        if (cursor === -1 || this.lastReference[parent]! < this.lastReference[cursor]!) this.cursor = parent;
        return;
      }
      child = parent;
    }
  }

  private ensure(id: number): void {
    if (id < this.children.length) return;
    this.children = growInt32(this.children, id, 0);
    this.parents = growInt32(this.parents, id, -1);
    this.lastReference = growFloat64(this.lastReference, id);
  }
}

/** Builds a prefix-aware LRU policy; it reads `context.parentOf` and has no options. */
export function createPrefixLru(context: PolicyContext): EvictionPolicy {
  return new PrefixLruPolicy(context);
}
