/** First in, first out: evicts the evictable block that entered the tier first; hits change nothing. */
import { IdLists } from './id-lists.js';
import { alreadyTracked, notTracked } from './policy-errors.js';
import type { EvictionPolicy, PolicyContext } from './policy.js';

const QUEUE = 0;

/** FIFO over one intrusive queue in insertion order; every operation is O(1) bar skipped pinned blocks. */
export class FifoPolicy implements EvictionPolicy {
  readonly name = 'fifo';
  private readonly queue = new IdLists(1);
  private readonly context: PolicyContext;

  constructor(context: PolicyContext) {
    this.context = context;
  }

  get size(): number {
    return this.queue.lengthOf(QUEUE);
  }

  has(id: number): boolean {
    return this.queue.queueOf(id) === QUEUE;
  }

  insert(id: number): void {
    if (this.queue.queueOf(id) !== -1) throw alreadyTracked(this.name, id);
    this.queue.push(QUEUE, id);
  }

  touch(id: number): void {
    // A hit does not reorder FIFO; the check still catches hits on blocks the tier does not hold.
    if (this.queue.queueOf(id) !== QUEUE) throw notTracked(this.name, id);
  }

  remove(id: number): void {
    if (this.queue.queueOf(id) === QUEUE) this.queue.unlink(id);
  }

  evict(): number {
    return this.queue.takeOldestEvictable(QUEUE, this.context);
  }
}

/** Builds a FIFO policy; it has no options. */
export function createFifo(context: PolicyContext): EvictionPolicy {
  return new FifoPolicy(context);
}
