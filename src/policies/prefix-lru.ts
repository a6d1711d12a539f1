/**
 * Prefix-aware, leaf-first LRU: a block is evicted only when no later block of its prefix chain
 * is tracked, so a tier never keeps a suffix whose prefix it dropped (a suffix is useless without
 * its prefix: lookups stop at the first missing block).
 */
import { alreadyTracked, assertBlockId, configError, notTracked } from './policy-errors.js';
import { IdHeap } from './id-heap.js';
import type { EvictionPolicy, PolicyContext } from './policy.js';
import { INITIAL_IDS, growFloat64, growInt32, growUint8 } from './typed-arrays.js';

/**
 * Leaf-first LRU. Parents come from `context.parentOf`, read once when a block first matters to
 * the structure and remembered. A block is *alive* while it is tracked or has an alive child;
 * `children[x]` counts x's alive children, and a tracked block with none is a *leaf*. Untracked
 * blocks that are alive (a middle block promoted to another tier while its suffix stays here)
 * keep linking their suffix to their prefix, so a block is never evicted while any descendant —
 * not only a direct child — is tracked.
 *
 * Victims are the leaves in exact last-reference order (a counter bumped by every insert and
 * touch, so equal clock times cannot tie), kept in a min-heap: O(log n) per operation. A parent
 * whose last alive child leaves becomes a leaf at its own last-reference position.
 */
export class PrefixLruPolicy implements EvictionPolicy {
  readonly name = 'prefix-lru';
  private tracked = new Uint8Array(INITIAL_IDS);
  /** Per id: number of alive children. */
  private children = new Int32Array(INITIAL_IDS);
  /** Per id: the parent recorded when the id became alive (-1 for a chain's first block). */
  private parents = new Int32Array(INITIAL_IDS).fill(-1);
  /** Per id: the reference counter value of its last insert or touch. */
  private lastReference = new Float64Array(INITIAL_IDS);
  private readonly leaves = new IdHeap();
  private references = 0;
  private count = 0;
  private readonly context: PolicyContext;
  private readonly canEvict: (id: number) => boolean;

  constructor(context: PolicyContext) {
    this.context = context;
    this.canEvict = (id) => context.canEvict(id);
  }

  get size(): number {
    return this.count;
  }

  has(id: number): boolean {
    return id >= 0 && id < this.tracked.length && this.tracked[id] === 1;
  }

  /** Whether `id` is tracked and has no tracked descendant (a candidate victim). */
  isLeaf(id: number): boolean {
    return this.leaves.has(id);
  }

  insert(id: number): void {
    if (this.has(id)) throw alreadyTracked(this.name, id);
    assertBlockId(id);
    this.ensure(id);
    const wasAlive = this.children[id]! > 0;
    this.tracked[id] = 1;
    this.count++;
    this.lastReference[id] = ++this.references;
    if (!wasAlive) this.becomeAlive(id);
    if (this.children[id] === 0) this.leaves.push(id, this.lastReference[id]!, 0);
  }

  touch(id: number): void {
    if (!this.has(id)) throw notTracked(this.name, id);
    const reference = ++this.references;
    this.lastReference[id] = reference;
    if (this.leaves.has(id)) this.leaves.update(id, reference, 0);
  }

  remove(id: number): void {
    if (!this.has(id)) return;
    this.untrack(id);
  }

  evict(): number {
    const victim = this.leaves.takeFirst(this.canEvict);
    if (victim !== -1) this.untrack(victim);
    return victim;
  }

  private untrack(id: number): void {
    this.tracked[id] = 0;
    this.count--;
    this.leaves.delete(id);
    if (this.children[id] === 0) this.becomeDead(id);
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
      if (++this.children[parent]! > 1) return;
      if (this.tracked[parent] === 1) {
        this.leaves.delete(parent);
        return;
      }
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
      if (this.tracked[parent] === 1) {
        this.leaves.push(parent, this.lastReference[parent]!, 0);
        return;
      }
      child = parent;
    }
  }

  private ensure(id: number): void {
    if (id < this.tracked.length) return;
    this.tracked = growUint8(this.tracked, id);
    this.children = growInt32(this.children, id, 0);
    this.parents = growInt32(this.parents, id, -1);
    this.lastReference = growFloat64(this.lastReference, id);
  }
}

/** Builds a prefix-aware LRU policy; it reads `context.parentOf` and has no options. */
export function createPrefixLru(context: PolicyContext): EvictionPolicy {
  return new PrefixLruPolicy(context);
}
