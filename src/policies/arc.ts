/**
 * ARC (Megiddo and Modha, "ARC: A Self-Tuning, Low Overhead Replacement Cache", FAST 2003): two
 * LRU lists of resident blocks, T1 (seen once) and T2 (seen again), two ghost lists B1 and B2 of
 * ids recently evicted from each, and a target size p for T1 that ghost hits move.
 */
import { IdLists } from './id-lists.js';
import { alreadyTracked, capacityOf, notTracked } from './policy-errors.js';
import type { EvictionPolicy, PolicyContext } from './policy.js';

const T1 = 0;
const T2 = 1;
const B1 = 2;
const B2 = 3;

/**
 * ARC with c = `context.capacityBlocks`, split along our interface's calls:
 * - `miss(x)` (optional, before the evictions): a hit in B1 raises p by max(|B2|/|B1|, 1), a hit
 *   in B2 lowers it by max(|B1|/|B2|, 1), clamped to [0, c]: the paper's cases II and III;
 * - `evict()` is REPLACE: the LRU block of T1 goes to B1 when |T1| ≥ 1 and (|T1| > p, or the
 *   pending miss is in B2 and |T1| = p); otherwise the LRU block of T2 goes to B2 (T1 when T2 is
 *   empty). When the chosen list has no evictable block, the other one gives its LRU evictable block;
 * - `insert(x)`: a ghost moves to the MRU end of T2 (adapting p here when `miss` was not called),
 *   a new id to the MRU end of T1; then, as in case IV, the directory is trimmed: the LRU ghost of
 *   B1 goes when |T1| + |B1| > c, else the LRU ghost of B2 when |T1| + |T2| + |B1| + |B2| > 2c.
 *
 * With `miss` called, decisions equal the paper's for a cache that is kept full: case IV's
 * "delete the LRU of T1" (when |T1| = c) becomes "move it to B1, then trim it from B1 at insert".
 * Without `miss`, p adapts one eviction late and the B2 tie-break in REPLACE never applies.
 */
export class ArcPolicy implements EvictionPolicy {
  readonly name = 'arc';
  private readonly lists = new IdLists(4);
  private readonly capacity: number;
  /** Target size of T1, in blocks (fractional, as in the paper). */
  private p = 0;
  /** The id `miss` was last called for (its adaptation is done), or -1. */
  private pending = -1;
  private readonly context: PolicyContext;

  constructor(context: PolicyContext) {
    this.context = context;
    this.capacity = capacityOf(this.name, context.capacityBlocks);
  }

  get size(): number {
    return this.lists.lengthOf(T1) + this.lists.lengthOf(T2);
  }

  /** The adaptive target size of T1 (p), in blocks. */
  get targetT1(): number {
    return this.p;
  }

  /** Sizes of the four lists, for inspection and tests. */
  listSizes(): { t1: number; t2: number; b1: number; b2: number } {
    const lists = this.lists;
    return { t1: lists.lengthOf(T1), t2: lists.lengthOf(T2), b1: lists.lengthOf(B1), b2: lists.lengthOf(B2) };
  }

  /** Which list holds `id`: "t1", "t2", "b1", "b2", or null. */
  listOf(id: number): 't1' | 't2' | 'b1' | 'b2' | null {
    const list = this.lists.queueOf(id);
    return list === -1 ? null : (['t1', 't2', 'b1', 'b2'] as const)[list]!;
  }

  has(id: number): boolean {
    const list = this.lists.queueOf(id);
    return list === T1 || list === T2;
  }

  miss(id: number): void {
    const list = this.lists.queueOf(id);
    if (list === T1 || list === T2) return;
    if (list === B1 || list === B2) this.adapt(list);
    this.pending = id;
  }

  insert(id: number): void {
    const lists = this.lists;
    const list = lists.queueOf(id);
    if (list === T1 || list === T2) throw alreadyTracked(this.name, id);
    const adapted = this.pending === id;
    this.pending = -1;
    if (list === B1 || list === B2) {
      if (!adapted) this.adapt(list);
      lists.unlink(id);
      lists.push(T2, id);
      return;
    }
    lists.push(T1, id);
    if (lists.lengthOf(T1) + lists.lengthOf(B1) > this.capacity) {
      if (lists.lengthOf(B1) > 0) lists.unlink(lists.oldest(B1));
    } else if (this.directorySize() > 2 * this.capacity && lists.lengthOf(B2) > 0) {
      lists.unlink(lists.oldest(B2));
    }
  }

  touch(id: number): void {
    const list = this.lists.queueOf(id);
    if (list === T1) {
      this.lists.unlink(id);
      this.lists.push(T2, id);
    } else if (list === T2) {
      this.lists.moveToNewest(id);
    } else {
      throw notTracked(this.name, id);
    }
  }

  remove(id: number): void {
    // Also forgets ghost history: the engine removes ids whose block is gone for good.
    if (this.lists.queueOf(id) !== -1) this.lists.unlink(id);
    if (this.pending === id) this.pending = -1;
  }

  evict(): number {
    const lists = this.lists;
    const t1 = lists.lengthOf(T1);
    const pendingInB2 = this.pending !== -1 && lists.queueOf(this.pending) === B2;
    const fromT1 = t1 >= 1 && (t1 > this.p || (pendingInB2 && t1 === this.p) || lists.lengthOf(T2) === 0);
    let victim = this.oldestEvictable(fromT1 ? T1 : T2);
    let from = fromT1 ? T1 : T2;
    if (victim === -1) {
      from = fromT1 ? T2 : T1;
      victim = this.oldestEvictable(from);
      if (victim === -1) return -1;
    }
    lists.unlink(victim);
    lists.push(from === T1 ? B1 : B2, victim);
    return victim;
  }

  private adapt(ghostList: number): void {
    const b1 = this.lists.lengthOf(B1);
    const b2 = this.lists.lengthOf(B2);
    if (ghostList === B1) this.p = Math.min(this.capacity, this.p + Math.max(b2 / b1, 1));
    else this.p = Math.max(0, this.p - Math.max(b1 / b2, 1));
  }

  private oldestEvictable(list: number): number {
    const lists = this.lists;
    for (let id = lists.oldest(list); id !== -1; id = lists.newer(id)) {
      if (this.context.canEvict(id)) return id;
    }
    return -1;
  }

  private directorySize(): number {
    const lists = this.lists;
    return lists.lengthOf(T1) + lists.lengthOf(T2) + lists.lengthOf(B1) + lists.lengthOf(B2);
  }
}

/** Builds an ARC policy; it reads `context.capacityBlocks` and has no options. */
export function createArc(context: PolicyContext): EvictionPolicy {
  return new ArcPolicy(context);
}
