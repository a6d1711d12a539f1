/** Least recently used: evicts the evictable block whose last reference is oldest. */
import { alreadyTracked, assertBlockId, notTracked } from './policy-errors.js';
import type { EvictionPolicy, PolicyContext } from './policy.js';
import { INITIAL_IDS, grownLength } from './typed-arrays.js';

/** Link value that marks an id as untracked (real links are ids or -1). */
const UNTRACKED = -2;

/**
 * LRU as one intrusive doubly linked list over a single Int32Array (oldest reference at the head).
 * It is the policy replay leans on hardest, so unlike the other list policies it does not share
 * `IdLists`: head, tail and size live in plain fields and membership is a sentinel in the links,
 * which saves a second array access per operation. insert, touch and remove are O(1) and
 * allocation-free; evict is O(1) plus one step per unevictable block it walks past (which keeps
 * its place).
 */
export class LruPolicy implements EvictionPolicy {
  readonly name = 'lru';
  /** Per id, interleaved: [2·id] next older id, [2·id + 1] next newer id; -1 at the ends, UNTRACKED when absent. */
  private links: Int32Array = new Int32Array(2 * INITIAL_IDS).fill(UNTRACKED);
  private head = -1;
  private tail = -1;
  private count = 0;
  private readonly context: PolicyContext;

  constructor(context: PolicyContext) {
    this.context = context;
  }

  get size(): number {
    return this.count;
  }

  has(id: number): boolean {
    return (id >>> 0) === id && 2 * id < this.links.length && this.links[2 * id] !== UNTRACKED;
  }

  /*
   * insert, touch and the common case of evict are each written out in full rather than through
   * shared unlink/append helpers: replay calls one of them per block reference, and this small
   * they fit V8's inlining budget together with the control plane's code around them (with the
   * helpers, touch was a call of its own and a replay ran ~10% slower).
   */

  insert(id: number): void {
    let links = this.links;
    const at = 2 * id;
    // An id within the links is a valid block id already: one test, and the rest is out of line.
    if ((id >>> 0) !== id || at >= links.length) links = this.grow(id);
    else if (links[at] !== UNTRACKED) throw alreadyTracked(this.name, id);
    const tail = this.tail;
    links[at] = tail;
    links[at + 1] = -1;
    if (tail === -1) this.head = id;
    else links[2 * tail + 1] = id;
    this.tail = id;
    this.count++;
  }

  touch(id: number): void {
    const links = this.links;
    const at = 2 * id;
    if ((id >>> 0) !== id || at >= links.length || links[at] === UNTRACKED) throw notTracked(this.name, id);
    const tail = this.tail;
    if (id === tail) return;
    // Not the tail, so a newer block follows it (and the list has a tail to append after).
    const before = links[at]!;
    const after = links[at + 1]!;
    if (before === -1) this.head = after;
    else links[2 * before + 1] = after;
    links[2 * after] = before;
    links[at] = tail;
    links[at + 1] = -1;
    links[2 * tail + 1] = id;
    this.tail = id;
  }

  remove(id: number): void {
    if (!this.has(id)) return;
    this.unlink(id);
    this.links[2 * id] = UNTRACKED;
    this.count--;
  }

  evict(): number {
    const head = this.head;
    if (head === -1 || !this.context.canEvict(head)) return this.evictPastPinned();
    const links = this.links;
    const after = links[2 * head + 1]!;
    this.head = after;
    if (after === -1) this.tail = -1;
    else links[2 * after] = -1;
    links[2 * head] = UNTRACKED;
    this.count--;
    return head;
  }

  /** `evict` when the oldest block is pinned (or there is none): the oldest evictable one, or -1. */
  private evictPastPinned(): number {
    const links = this.links;
    for (let id = this.head; id !== -1; id = links[2 * id + 1]!) {
      if (this.context.canEvict(id)) {
        this.unlink(id);
        links[2 * id] = UNTRACKED;
        this.count--;
        return id;
      }
    }
    return -1;
  }

  private unlink(id: number): void {
    const links = this.links;
    const before = links[2 * id]!;
    const after = links[2 * id + 1]!;
    if (before === -1) this.head = after;
    else links[2 * before + 1] = after;
    if (after === -1) this.tail = before;
    else links[2 * after] = before;
  }

  /** Makes the links cover `id` (a fresh id beyond them), after checking it is a block id; returns them. */
  private grow(id: number): Int32Array {
    assertBlockId(id);
    const links = new Int32Array(2 * grownLength(this.links.length >> 1, id)).fill(UNTRACKED);
    links.set(this.links);
    this.links = links;
    return links;
  }
}

/** Builds an LRU policy; it has no options. */
export function createLru(context: PolicyContext): EvictionPolicy {
  return new LruPolicy(context);
}
