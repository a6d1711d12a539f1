/**
 * S3-FIFO (Yang et al., "FIFO queues are all you need for cache eviction", SOSP 2023): a small
 * FIFO that filters one-hit wonders, a main FIFO with 2-bit frequency reinsertion, and a ghost
 * FIFO of recently filtered ids that sends returning blocks straight to main.
 */
import { IdLists } from './id-lists.js';
import { alreadyTracked, capacityOf, notTracked } from './policy-errors.js';
import { invalidArgument } from '../errors.js';
import type { EvictionPolicy, PolicyContext, PolicyOptions } from './policy.js';
import { INITIAL_IDS, growUint8 } from './typed-arrays.js';

const SMALL = 0;
const MAIN = 1;
const GHOST = 2;
/** Frequency saturates at 3: the paper's two bits per object. */
const MAX_FREQUENCY = 3;
/** A block leaves the small queue for main when referenced at least twice while in it (freq > 1). */
const PROMOTE_FREQUENCY = 2;

/** S3-FIFO's default share of capacity for the small queue (the paper's 10%). */
export const DEFAULT_SMALL_QUEUE_RATIO = 0.1;

/**
 * S3-FIFO as in the paper's Algorithm 1, with capacity C = `context.capacityBlocks` and ratio r:
 * - hit: freq = min(freq + 1, 3), nothing moves;
 * - insert: into main when the id is in the ghost queue, else into small, with freq 0;
 * - evict: from small when |S| ≥ r·C (or main has no evictable block), else from main;
 *   - small: the oldest block with freq > 1 moves to main (freq cleared) and the walk goes on; the
 *     oldest with freq ≤ 1 is the victim and its id enters the ghost queue (which keeps at most
 *     ⌊(1 − r)·C⌋ ids, as many as main holds);
 *   - main: the oldest block with freq > 0 is reinserted at the newest end with freq − 1; the
 *     oldest with freq 0 is the victim (no ghost).
 *
 * One deliberate adaptation: the paper's EVICT may remove two objects (when a promotion overfills
 * main it evicts from main and then keeps evicting from small). Our `evict` returns exactly one
 * victim, so a promotion that overfills main (|M| > (1 − r)·C) makes main's victim the answer and
 * the next `evict` call starts over. Unevictable blocks are skipped in place: they are not
 * promoted, reinserted or aged while skipped. `miss(id)` consumes a ghost entry before the
 * evictions (the paper looks the ghost up on the miss), so evictions cannot push it out first.
 */
export class S3FifoPolicy implements EvictionPolicy {
  readonly name = 's3fifo';
  private readonly queues = new IdLists(3);
  /** Per id: the 2-bit access counter. */
  private frequency = new Uint8Array(INITIAL_IDS);
  private readonly smallTarget: number;
  private readonly mainTarget: number;
  private readonly ghostCapacity: number;
  /** An id whose ghost entry `miss` already consumed, so `insert` sends it to main; -1 when none. */
  private ghostHit = -1;
  private readonly context: PolicyContext;

  constructor(context: PolicyContext, options: PolicyOptions = {}) {
    this.context = context;
    const capacity = capacityOf(this.name, context.capacityBlocks);
    const ratio = options.smallQueueRatio ?? DEFAULT_SMALL_QUEUE_RATIO;
    if (typeof ratio !== 'number' || !(ratio > 0 && ratio < 1)) {
      throw invalidArgument('smallQueueRatio', 'a number in (0, 1)', ratio);
    }
    this.smallTarget = ratio * capacity;
    this.mainTarget = capacity - this.smallTarget;
    this.ghostCapacity = Math.max(1, Math.floor(this.mainTarget));
  }

  get size(): number {
    return this.queues.lengthOf(SMALL) + this.queues.lengthOf(MAIN);
  }

  /** Blocks in the small queue. */
  get smallSize(): number {
    return this.queues.lengthOf(SMALL);
  }

  /** Blocks in the main queue. */
  get mainSize(): number {
    return this.queues.lengthOf(MAIN);
  }

  /** Ids remembered by the ghost queue. */
  get ghostSize(): number {
    return this.queues.lengthOf(GHOST);
  }

  has(id: number): boolean {
    const queue = this.queues.queueOf(id);
    return queue === SMALL || queue === MAIN;
  }

  /** The 2-bit access counter of a tracked block (0 to 3); 0 for untracked ids. */
  frequencyOf(id: number): number {
    return this.has(id) ? this.frequency[id]! : 0;
  }

  /** Whether `id` is remembered by the ghost queue (evicted from small recently, not tracked). */
  inGhost(id: number): boolean {
    return this.queues.queueOf(id) === GHOST;
  }

  /** Whether `id` is in the main queue (false when untracked or in small). */
  inMain(id: number): boolean {
    return this.queues.queueOf(id) === MAIN;
  }

  miss(id: number): void {
    // The paper checks the ghost before evicting, so an entry the eviction would push out still counts.
    if (this.queues.queueOf(id) === GHOST) {
      this.queues.unlink(id);
      this.ghostHit = id;
    }
  }

  insert(id: number): void {
    const queue = this.queues.queueOf(id);
    if (queue === SMALL || queue === MAIN) throw alreadyTracked(this.name, id);
    let target = SMALL;
    if (queue === GHOST) {
      this.queues.unlink(id);
      target = MAIN;
    } else if (this.ghostHit === id) {
      target = MAIN;
    }
    this.ghostHit = -1;
    this.queues.push(target, id);
    if (id >= this.frequency.length) this.frequency = growUint8(this.frequency, id);
    this.frequency[id] = 0;
  }

  touch(id: number): void {
    if (!this.has(id)) throw notTracked(this.name, id);
    const frequency = this.frequency[id]!;
    if (frequency < MAX_FREQUENCY) this.frequency[id] = frequency + 1;
  }

  remove(id: number): void {
    // Also forgets ghost history: the engine removes ids whose block is gone for good.
    if (this.queues.queueOf(id) !== -1) this.queues.unlink(id);
    if (this.ghostHit === id) this.ghostHit = -1;
  }

  evict(): number {
    if (this.queues.lengthOf(SMALL) >= this.smallTarget) {
      const victim = this.evictSmall();
      if (victim !== -1) return victim;
      return this.evictMain();
    }
    const victim = this.evictMain();
    return victim !== -1 ? victim : this.evictSmall();
  }

  /** Walks small from its oldest block: promotes frequent ones, evicts the first infrequent one. */
  private evictSmall(): number {
    const queues = this.queues;
    let id = queues.oldest(SMALL);
    while (id !== -1) {
      const next = queues.newer(id);
      if (this.context.canEvict(id)) {
        if (this.frequency[id]! >= PROMOTE_FREQUENCY) {
          queues.unlink(id);
          queues.push(MAIN, id);
          this.frequency[id] = 0;
          if (queues.lengthOf(MAIN) > this.mainTarget) {
            const victim = this.evictMain();
            if (victim !== -1) return victim;
          }
        } else {
          queues.unlink(id);
          queues.push(GHOST, id);
          if (queues.lengthOf(GHOST) > this.ghostCapacity) queues.unlink(queues.oldest(GHOST));
          return id;
        }
      }
      id = next;
    }
    return -1;
  }

  /**
   * Walks main from its oldest block: reinserts referenced ones with one count less, evicts the
   * first with none. Terminates: each evictable block is reinserted at most 3 times before it is
   * the victim, and reinserted blocks land after the walk's position, so the walk reaches the
   * newest end only when no evictable block is left to visit.
   */
  private evictMain(): number {
    const queues = this.queues;
    let id = queues.oldest(MAIN);
    while (id !== -1) {
      const next = queues.newer(id);
      if (this.context.canEvict(id)) {
        const frequency = this.frequency[id]!;
        if (frequency === 0) {
          queues.unlink(id);
          return id;
        }
        this.frequency[id] = frequency - 1;
        queues.moveToNewest(id);
        // When `id` was the newest, the walk's next stop is `id` itself, now one count lower.
        id = next === -1 ? id : next;
        continue;
      }
      id = next;
    }
    return -1;
  }
}

/** Builds an S3-FIFO policy; reads `smallQueueRatio` (default 0.1) and `context.capacityBlocks`. */
export function createS3Fifo(context: PolicyContext, options?: PolicyOptions): EvictionPolicy {
  return new S3FifoPolicy(context, options);
}
