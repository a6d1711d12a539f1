/** Time to live: a block expires `ttlMs` after its last reference; expired blocks go first, then LRU. */
import { invalidArgument } from '../errors.js';
import { IdLists } from './id-lists.js';
import { alreadyTracked, notTracked } from './policy-errors.js';
import type { EvictionPolicy, PolicyContext, PolicyOptions } from './policy.js';
import { INITIAL_IDS, growFloat64 } from './typed-arrays.js';

const QUEUE = 0;

/** The TTL policy's default lifetime after the last reference, in milliseconds. */
export const DEFAULT_TTL_MS = 60_000;

/**
 * TTL over one queue in last-reference order, each block stamped with `context.now()` at its
 * last reference. Stamps never decrease along the queue (a clock that steps back is clamped to
 * the latest stamp seen), so the expired blocks are exactly a prefix of the queue, oldest first.
 * Hence `evict` is "the oldest expired evictable block, else the LRU evictable block", which is
 * the first evictable block of the queue either way; `expire` also drops expired blocks when the
 * tier is not full. A block expires when now ≥ last reference + ttlMs.
 */
export class TtlPolicy implements EvictionPolicy {
  readonly name = 'ttl';
  /** Lifetime after the last reference, in milliseconds. */
  readonly ttlMs: number;
  private readonly queue = new IdLists(1);
  /** Per id: time of the last reference, in milliseconds (clamped to be non-decreasing). */
  private lastReferenceMs = new Float64Array(INITIAL_IDS);
  private latestMs = -Infinity;
  private readonly context: PolicyContext;

  constructor(context: PolicyContext, options: PolicyOptions = {}) {
    this.context = context;
    const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    if (typeof ttlMs !== 'number' || !(ttlMs > 0)) {
      throw invalidArgument('ttlMs', 'a positive number of milliseconds', ttlMs);
    }
    this.ttlMs = ttlMs;
  }

  get size(): number {
    return this.queue.lengthOf(QUEUE);
  }

  has(id: number): boolean {
    return this.queue.queueOf(id) === QUEUE;
  }

  /** Whether a tracked block's lifetime is over now; false for untracked ids. */
  isExpired(id: number): boolean {
    return this.has(id) && this.lastReferenceMs[id]! + this.ttlMs <= this.context.now();
  }

  /** When a tracked block expires, in the context's milliseconds; NaN for untracked ids. */
  expiresAtMs(id: number): number {
    return this.has(id) ? this.lastReferenceMs[id]! + this.ttlMs : Number.NaN;
  }

  insert(id: number): void {
    if (this.queue.queueOf(id) !== -1) throw alreadyTracked(this.name, id);
    this.queue.push(QUEUE, id);
    if (id >= this.lastReferenceMs.length) this.lastReferenceMs = growFloat64(this.lastReferenceMs, id);
    this.lastReferenceMs[id] = this.stamp();
  }

  touch(id: number): void {
    if (this.queue.queueOf(id) !== QUEUE) throw notTracked(this.name, id);
    this.queue.moveToNewest(id);
    this.lastReferenceMs[id] = this.stamp();
  }

  remove(id: number): void {
    if (this.queue.queueOf(id) === QUEUE) this.queue.unlink(id);
  }

  evict(): number {
    return this.queue.takeOldestEvictable(QUEUE, this.context);
  }

  expire(): number {
    const queue = this.queue;
    const nowMs = this.context.now();
    for (let id = queue.oldest(QUEUE); id !== -1; id = queue.newer(id)) {
      if (this.lastReferenceMs[id]! + this.ttlMs > nowMs) return -1;
      if (this.context.canEvict(id)) {
        queue.unlink(id);
        return id;
      }
    }
    return -1;
  }

  private stamp(): number {
    const nowMs = this.context.now();
    if (nowMs > this.latestMs) this.latestMs = nowMs;
    return this.latestMs;
  }
}

/** Builds a TTL policy; reads `ttlMs` (default 60000). */
export function createTtl(context: PolicyContext, options?: PolicyOptions): EvictionPolicy {
  return new TtlPolicy(context, options);
}
