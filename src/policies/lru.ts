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
  private links = new Int32Array(2 * INITIAL_IDS).fill(UNTRACKED);
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

  insert(id: number): void {
    assertBlockId(id);
    if (2 * id >= this.links.length) this.grow(id);
    else if (this.links[2 * id] !== UNTRACKED) throw alreadyTracked(this.name, id);
    this.append(id);
    this.count++;
  }

  touch(id: number): void {
    if (!this.has(id)) throw notTracked(this.name, id);
    if (id === this.tail) return;
    this.unlink(id);
    this.append(id);
  }

  remove(id: number): void {
    if (!this.has(id)) return;
    this.unlink(id);
    this.links[2 * id] = UNTRACKED;
    this.count--;
  }

  evict(): number {
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

  private append(id: number): void {
    const links = this.links;
    const tail = this.tail;
    links[2 * id] = tail;
    links[2 * id + 1] = -1;
    if (tail === -1) this.head = id;
    else links[2 * tail + 1] = id;
    this.tail = id;
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

  private grow(id: number): void {
    const links = new Int32Array(2 * grownLength(this.links.length >> 1, id)).fill(UNTRACKED);
    links.set(this.links);
    this.links = links;
  }
}

/** Builds an LRU policy; it has no options. */
export function createLru(context: PolicyContext): EvictionPolicy {
  return new LruPolicy(context);
}
