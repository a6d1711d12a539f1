/**
 * Doubly linked queues threaded through typed arrays indexed by block id: the allocation-free
 * skeleton of every list-based policy (LRU, FIFO, TTL, S3-FIFO, ARC). An id sits in at most one
 * queue at a time, so several queues share one link array.
 */
import { assertBlockId } from './policy-errors.js';
import type { PolicyContext } from './policy.js';
import { INITIAL_IDS, grownLength } from './typed-arrays.js';

/** A fixed number of FIFO-ordered queues over block ids; "oldest" is the head, "newest" the tail. */
export class IdLists {
  /**
   * Per id, interleaved: [2·id] the next older id in its queue, [2·id + 1] the next newer one
   * (-1 at the ends). Interleaving keeps both links of an id in one cache line, which is what
   * bounds a touch on a large, randomly accessed queue.
   */
  private links: Int32Array;
  /** Per id: 0 when in no queue, else queue index + 1 (so a fresh zeroed array means "nowhere"). */
  private owner: Uint8Array;
  private readonly heads: Int32Array;
  private readonly tails: Int32Array;
  private readonly lengths: Int32Array;

  /** @param queues number of queues, 1 to 255. */
  constructor(queues: number) {
    this.links = new Int32Array(2 * INITIAL_IDS);
    this.owner = new Uint8Array(INITIAL_IDS);
    this.heads = new Int32Array(queues).fill(-1);
    this.tails = new Int32Array(queues).fill(-1);
    this.lengths = new Int32Array(queues);
  }

  /** The queue holding `id`, or -1 (also for ids never seen, negative or fractional: `>>> 0` keeps only uint32 integers). */
  queueOf(id: number): number {
    return (id >>> 0) === id && id < this.owner.length ? this.owner[id]! - 1 : -1;
  }

  /** Number of ids in `queue`. */
  lengthOf(queue: number): number {
    return this.lengths[queue]!;
  }

  /** The oldest id of `queue`, or -1 when empty. */
  oldest(queue: number): number {
    return this.heads[queue]!;
  }

  /** The id just newer than `id` in its queue, or -1 at the newest end. */
  newer(id: number): number {
    return this.links[2 * id + 1]!;
  }

  /**
   * Takes the oldest id of `queue` that `context.canEvict` accepts out of the queue and returns
   * it, or -1 when none is evictable: the eviction of every policy that evicts in queue order.
   */
  takeOldestEvictable(queue: number, context: Pick<PolicyContext, 'canEvict'>): number {
    for (let id = this.oldest(queue); id !== -1; id = this.newer(id)) {
      if (context.canEvict(id)) {
        this.unlink(id);
        return id;
      }
    }
    return -1;
  }

  /** Appends `id` (in no queue) as the newest of `queue`, growing the arrays when `id` is beyond them. */
  push(queue: number, id: number): void {
    assertBlockId(id);
    if (id >= this.owner.length) this.grow(id);
    const links = this.links;
    const tail = this.tails[queue]!;
    links[2 * id] = tail;
    links[2 * id + 1] = -1;
    if (tail === -1) this.heads[queue] = id;
    else links[2 * tail + 1] = id;
    this.tails[queue] = id;
    this.owner[id] = queue + 1;
    this.lengths[queue]!++;
  }

  /** Takes `id` out of its queue; `id` must be in one. */
  unlink(id: number): void {
    const links = this.links;
    const queue = this.owner[id]! - 1;
    const before = links[2 * id]!;
    const after = links[2 * id + 1]!;
    if (before === -1) this.heads[queue] = after;
    else links[2 * before + 1] = after;
    if (after === -1) this.tails[queue] = before;
    else links[2 * after] = before;
    this.owner[id] = 0;
    this.lengths[queue]!--;
  }

  /** Moves `id` (in a queue) to the newest end of the same queue. */
  moveToNewest(id: number): void {
    const links = this.links;
    const after = links[2 * id + 1]!;
    if (after === -1) return;
    const queue = this.owner[id]! - 1;
    const before = links[2 * id]!;
    if (before === -1) this.heads[queue] = after;
    else links[2 * before + 1] = after;
    links[2 * after] = before;
    const tail = this.tails[queue]!;
    links[2 * id] = tail;
    links[2 * id + 1] = -1;
    links[2 * tail + 1] = id;
    this.tails[queue] = id;
  }

  private grow(id: number): void {
    const length = grownLength(this.owner.length, id);
    const links = new Int32Array(2 * length);
    links.set(this.links);
    this.links = links;
    const owner = new Uint8Array(length);
    owner.set(this.owner);
    this.owner = owner;
  }
}
