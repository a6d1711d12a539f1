/**
 * OPT (Belady's MIN): evicts the block whose next use lies farthest in the future. It needs the
 * future, so it exists only in replay (`context.nextUse`), as the upper bound for other policies.
 */
import { ErrorCode, KvtierError } from '../errors.js';
import { IdHeap } from './id-heap.js';
import { alreadyTracked, assertBlockId, configError, notTracked } from './policy-errors.js';
import type { EvictionPolicy, PolicyContext } from './policy.js';

/**
 * Belady's MIN over a heap keyed by next use. A block's next use only changes when the block is
 * referenced, and every reference to a tracked block reaches the policy (insert or touch), so
 * `context.nextUse(id)` is read exactly then and cached: evict is O(log n), not O(n).
 *
 * Tie-break, precisely: among blocks with equal next use (in practice: never used again,
 * Infinity), the victim is the one whose latest reference (insert or touch) came last, by call
 * order. A request references its blocks first to last, so of a prefix chain's blocks that share
 * a next use the deepest (the latest referenced) goes first and the prefix stays usable.
 *
 * OPT here always admits (demand paging). Belady with bypass, where a missed block whose next use
 * is farther than every resident block's is not cached at all, is the replay driver's decision:
 * see `shouldAdmit` and `OptPolicy.peek`.
 */
export class OptPolicy implements EvictionPolicy {
  readonly name = 'opt';
  /** Max-heap by next use, expressed as a min-heap on (−nextUse, −reference). */
  private readonly heap = new IdHeap();
  private references = 0;
  private readonly nextUse: (id: number) => number;
  private readonly canEvict: (id: number) => boolean;

  constructor(context: PolicyContext) {
    this.nextUse = requireNextUse(context);
    this.canEvict = (id) => context.canEvict(id);
  }

  get size(): number {
    return this.heap.size;
  }

  has(id: number): boolean {
    return this.heap.has(id);
  }

  /** The next use cached for a tracked block at its latest reference; NaN for untracked ids. */
  nextUseOf(id: number): number {
    return this.heap.has(id) ? -this.heap.primaryOf(id) : Number.NaN;
  }

  insert(id: number): void {
    if (this.heap.has(id)) throw alreadyTracked(this.name, id);
    assertBlockId(id);
    this.heap.push(id, -this.futureOf(id), -++this.references);
  }

  touch(id: number): void {
    if (!this.heap.has(id)) throw notTracked(this.name, id);
    this.heap.update(id, -this.futureOf(id), -++this.references);
  }

  remove(id: number): void {
    this.heap.delete(id);
  }

  evict(): number {
    return this.heap.takeFirst(this.canEvict);
  }

  /** `context.nextUse(id)`, refusing NaN, which would silently break the heap's order. */
  private futureOf(id: number): number {
    const next = this.nextUse(id);
    if (typeof next !== 'number' || Number.isNaN(next)) {
      throw configError('context.nextUse(id)', 'a logical time or Infinity', next);
    }
    return next;
  }

  /** The block `evict` would return now, without evicting it; -1 when none is evictable. */
  peek(): number {
    return this.heap.findFirst(this.canEvict);
  }

  peekFarthest(): number {
    const victim = this.peek();
    return victim === -1 ? -Infinity : this.nextUseOf(victim);
  }

  /**
   * Whether a missed block `id` should enter the full tier: true when its next use comes before
   * that of the block `evict` would remove (or when nothing is tracked or evictable, where OPT has
   * no opinion). Call it before evicting.
   */
  shouldAdmit(id: number): boolean {
    const victim = this.peek();
    return victim === -1 || this.nextUse(id) < this.nextUseOf(victim);
  }
}

/**
 * Belady admission for replay: whether a missed block `id` should be cached rather than bypass
 * the tier, given the next use of the block that would be evicted for it (`victimNextUse`, e.g.
 * `OptPolicy.nextUseOf(OptPolicy.peek())`). Admits only when `id` is used again strictly sooner;
 * on a tie (typically both never used again) bypassing saves a write and loses nothing.
 * Throws ERR_CONFIG when the context has no `nextUse`.
 */
export function shouldAdmit(context: PolicyContext, id: number, victimNextUse: number): boolean {
  return requireNextUse(context)(id) < victimNextUse;
}

function requireNextUse(context: PolicyContext): (id: number) => number {
  if (typeof context.nextUse !== 'function') {
    throw new KvtierError(
      ErrorCode.CONFIG,
      'the opt policy needs the future: its context must provide nextUse(id), which only replay has',
      { policy: 'opt' },
    );
  }
  return context.nextUse.bind(context);
}

/** Builds an OPT policy; it reads `context.nextUse` (throws ERR_CONFIG without it) and has no options. */
export function createOpt(context: PolicyContext): EvictionPolicy {
  return new OptPolicy(context);
}
