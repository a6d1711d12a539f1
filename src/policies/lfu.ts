/**
 * Least frequently used, ties broken by least recent: O(1) LFU with frequency buckets (a list of
 * buckets in ascending count, each a queue of its blocks in order of arrival in that count).
 */
import { alreadyTracked, assertBlockId, notTracked } from './policy-errors.js';
import type { EvictionPolicy, PolicyContext } from './policy.js';
import { INITIAL_IDS, growFloat64, growInt32, grownLength } from './typed-arrays.js';

/**
 * LFU over frequency buckets in typed arrays. A block's count starts at 1 on insert and grows by 1
 * per touch; counts are forgotten when the block leaves (in-cache LFU, no aging). A block enters a
 * bucket's tail on each reference, so within one count the head is the least recently used: the
 * tie-break. Every operation is O(1) and allocation-free (bucket pool growth aside); evict walks
 * past unevictable blocks, which keep their bucket and place.
 */
export class LfuPolicy implements EvictionPolicy {
  readonly name = 'lfu';
  /** Per id: the bucket holding it, or -1 when untracked. */
  private bucketOf: Int32Array;
  /** Per id, interleaved: [2·id] previous (older) id in its bucket, [2·id + 1] next; -1 at the ends. */
  private links: Int32Array;
  /** Per bucket: its reference count (Float64 so counts never wrap). */
  private bucketCount: Float64Array;
  /** Per bucket, interleaved: [2·b] lower-count bucket, [2·b + 1] higher-count bucket (or next free bucket). */
  private bucketLinks: Int32Array;
  /** Per bucket, interleaved: [2·b] oldest id, [2·b + 1] newest id. */
  private bucketEnds: Int32Array;
  /** The lowest-count bucket, or -1 when nothing is tracked. */
  private lowest = -1;
  /** Head of the free-bucket list (threaded through the "higher" links), or -1. */
  private freeBuckets = -1;
  /** Buckets ever handed out (the rest of the pool is untouched). */
  private bucketsUsed = 0;
  private count = 0;
  private readonly context: PolicyContext;

  constructor(context: PolicyContext) {
    this.context = context;
    this.bucketOf = new Int32Array(INITIAL_IDS).fill(-1);
    this.links = new Int32Array(2 * INITIAL_IDS);
    this.bucketCount = new Float64Array(64);
    this.bucketLinks = new Int32Array(2 * 64);
    this.bucketEnds = new Int32Array(2 * 64);
  }

  get size(): number {
    return this.count;
  }

  has(id: number): boolean {
    return (id >>> 0) === id && id < this.bucketOf.length && this.bucketOf[id]! >= 0;
  }

  /** The reference count of a tracked block (1 after insert, +1 per touch), or 0 when untracked. */
  frequencyOf(id: number): number {
    return this.has(id) ? this.bucketCount[this.bucketOf[id]!]! : 0;
  }

  insert(id: number): void {
    if (this.has(id)) throw alreadyTracked(this.name, id);
    assertBlockId(id);
    if (id >= this.bucketOf.length) this.grow(id);
    let bucket = this.lowest;
    if (bucket === -1 || this.bucketCount[bucket] !== 1) bucket = this.newBucket(1, -1, bucket);
    this.append(bucket, id);
    this.count++;
  }

  touch(id: number): void {
    if (!this.has(id)) throw notTracked(this.name, id);
    const bucket = this.bucketOf[id]!;
    const count = this.bucketCount[bucket]! + 1;
    const higher = this.bucketLinks[2 * bucket + 1]!;
    const ends = this.bucketEnds;
    if (higher === -1 || this.bucketCount[higher] !== count) {
      // Sole member: the bucket itself can take the new count, no relinking needed.
      if (ends[2 * bucket] === id && ends[2 * bucket + 1] === id) {
        this.bucketCount[bucket] = count;
        return;
      }
      this.unlinkFromBucket(id, bucket);
      this.append(this.newBucket(count, bucket, higher), id);
      return;
    }
    this.unlinkFromBucket(id, bucket);
    if (ends[2 * bucket] === -1) this.freeBucket(bucket);
    this.append(higher, id);
  }

  remove(id: number): void {
    if (!this.has(id)) return;
    this.detach(id);
  }

  evict(): number {
    const links = this.links;
    for (let bucket = this.lowest; bucket !== -1; bucket = this.bucketLinks[2 * bucket + 1]!) {
      for (let id = this.bucketEnds[2 * bucket]!; id !== -1; id = links[2 * id + 1]!) {
        if (this.context.canEvict(id)) {
          this.detach(id);
          return id;
        }
      }
    }
    return -1;
  }

  /** Stops tracking `id`, freeing its bucket when it was the last member. */
  private detach(id: number): void {
    const bucket = this.bucketOf[id]!;
    this.unlinkFromBucket(id, bucket);
    if (this.bucketEnds[2 * bucket] === -1) this.freeBucket(bucket);
    this.bucketOf[id] = -1;
    this.count--;
  }

  private append(bucket: number, id: number): void {
    const links = this.links;
    const ends = this.bucketEnds;
    const newest = ends[2 * bucket + 1]!;
    links[2 * id] = newest;
    links[2 * id + 1] = -1;
    if (newest === -1) ends[2 * bucket] = id;
    else links[2 * newest + 1] = id;
    ends[2 * bucket + 1] = id;
    this.bucketOf[id] = bucket;
  }

  private unlinkFromBucket(id: number, bucket: number): void {
    const links = this.links;
    const ends = this.bucketEnds;
    const before = links[2 * id]!;
    const after = links[2 * id + 1]!;
    if (before === -1) ends[2 * bucket] = after;
    else links[2 * before + 1] = after;
    if (after === -1) ends[2 * bucket + 1] = before;
    else links[2 * after] = before;
  }

  /** A fresh empty bucket with `count`, linked between `lower` and `higher` (either may be -1). */
  private newBucket(count: number, lower: number, higher: number): number {
    let bucket = this.freeBuckets;
    if (bucket !== -1) {
      this.freeBuckets = this.bucketLinks[2 * bucket + 1]!;
    } else {
      bucket = this.bucketsUsed++;
      if (bucket >= this.bucketCount.length) this.growBuckets();
    }
    const bucketLinks = this.bucketLinks;
    this.bucketCount[bucket] = count;
    this.bucketEnds[2 * bucket] = -1;
    this.bucketEnds[2 * bucket + 1] = -1;
    bucketLinks[2 * bucket] = lower;
    bucketLinks[2 * bucket + 1] = higher;
    if (lower === -1) this.lowest = bucket;
    else bucketLinks[2 * lower + 1] = bucket;
    if (higher !== -1) bucketLinks[2 * higher] = bucket;
    return bucket;
  }

  /** Unlinks an empty bucket and returns it to the free list. */
  private freeBucket(bucket: number): void {
    const bucketLinks = this.bucketLinks;
    const lower = bucketLinks[2 * bucket]!;
    const higher = bucketLinks[2 * bucket + 1]!;
    if (lower === -1) this.lowest = higher;
    else bucketLinks[2 * lower + 1] = higher;
    if (higher !== -1) bucketLinks[2 * higher] = lower;
    bucketLinks[2 * bucket + 1] = this.freeBuckets;
    this.freeBuckets = bucket;
  }

  private grow(id: number): void {
    this.bucketOf = growInt32(this.bucketOf, id, -1);
    const links = new Int32Array(2 * this.bucketOf.length);
    links.set(this.links);
    this.links = links;
  }

  private growBuckets(): void {
    const last = this.bucketCount.length;
    this.bucketCount = growFloat64(this.bucketCount, last);
    const length = grownLength(last, last);
    const bucketLinks = new Int32Array(2 * length);
    bucketLinks.set(this.bucketLinks);
    this.bucketLinks = bucketLinks;
    const bucketEnds = new Int32Array(2 * length);
    bucketEnds.set(this.bucketEnds);
    this.bucketEnds = bucketEnds;
  }
}

/** Builds an LFU policy; it has no options. */
export function createLfu(context: PolicyContext): EvictionPolicy {
  return new LfuPolicy(context);
}
