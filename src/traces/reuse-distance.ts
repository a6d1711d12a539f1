/**
 * Reuse distances in O(log n) a reference: the reuse distance of a reference to block b is the
 * number of distinct blocks referenced since the previous reference to b (the LRU stack distance
 * minus one: a reference hits an LRU cache of C blocks exactly when its distance is below C).
 *
 * A Fenwick tree over access times holds a mark at each block's last access; the distance is the
 * number of marks after b's previous access. Times are renumbered (compacted) whenever the tree
 * fills, so its size stays within a small multiple of the distinct blocks, not of the references.
 * Distances go into a histogram: exact below 2^16, and within 0.1 % above (1024 sub-buckets per
 * power of two), so percentiles of a trace of any length need bounded memory.
 */

const EXACT_LIMIT = 1 << 16;
const SUB_BUCKET_BITS = 10;
const MIN_CAPACITY = 1 << 16;

/** Reuse distances of a stream of dense block ids. */
export class ReuseDistanceTracker {
  /** Dense id → time of its last access, or -1. */
  private last = new Int32Array(1024).fill(-1);
  /** Time → the id accessed then (valid where the time still holds a mark). */
  private idAt = new Int32Array(MIN_CAPACITY);
  /** Fenwick tree over times, 1-based. */
  private tree = new Int32Array(MIN_CAPACITY + 1);
  private capacity = MIN_CAPACITY;
  private time = 0;
  private distinct = 0;

  /** Distinct blocks seen so far. */
  get distinctBlocks(): number {
    return this.distinct;
  }

  /** Records a reference to `id` (a dense id ≥ 0); returns its reuse distance, or -1 on a first reference. */
  access(id: number): number {
    if (id >= this.last.length) this.growIds(id);
    if (this.time === this.capacity) this.compact();
    const previous = this.last[id]!;
    let distance = -1;
    if (previous >= 0) {
      distance = this.prefix(this.time) - this.prefix(previous + 1);
      this.add(previous + 1, -1);
    } else {
      this.distinct++;
    }
    const now = this.time++;
    this.add(now + 1, 1);
    this.idAt[now] = id;
    this.last[id] = now;
    return distance;
  }

  /** Marks at times 1..i (1-based). */
  private prefix(i: number): number {
    const tree = this.tree;
    let sum = 0;
    for (; i > 0; i -= i & -i) sum += tree[i]!;
    return sum;
  }

  private add(i: number, delta: number): void {
    const tree = this.tree;
    const n = this.capacity;
    for (; i <= n; i += i & -i) tree[i]! += delta;
  }

  /** Renumbers the live marks 0..distinct−1 in time order and rebuilds the tree in O(capacity). */
  private compact(): void {
    const capacity = Math.max(MIN_CAPACITY, this.distinct * 2);
    const idAt = new Int32Array(capacity);
    let next = 0;
    for (let t = 0; t < this.time; t++) {
      const id = this.idAt[t]!;
      if (this.last[id] === t) {
        this.last[id] = next;
        idAt[next++] = id;
      }
    }
    const tree = new Int32Array(capacity + 1);
    for (let i = 1; i <= next; i++) tree[i] = 1;
    for (let i = 1; i <= capacity; i++) {
      const parent = i + (i & -i);
      if (parent <= capacity) tree[parent]! += tree[i]!;
    }
    this.idAt = idAt;
    this.tree = tree;
    this.capacity = capacity;
    this.time = next;
  }

  private growIds(id: number): void {
    let length = this.last.length * 2;
    while (length <= id) length *= 2;
    const bigger = new Int32Array(length).fill(-1);
    bigger.set(this.last);
    this.last = bigger;
  }
}

/** Counts of distances: exact below 2^16, log-linear above. */
export class DistanceHistogram {
  private readonly exact = new Float64Array(EXACT_LIMIT);
  /** Bucket (exponent − 16) × 1024 + sub-bucket → count. */
  private readonly coarse = new Map<number, number>();
  private total = 0;
  private maximum = -1;

  get count(): number {
    return this.total;
  }

  get max(): number {
    return this.maximum;
  }

  add(distance: number): void {
    this.total++;
    if (distance > this.maximum) this.maximum = distance;
    if (distance < EXACT_LIMIT) {
      this.exact[distance]!++;
      return;
    }
    const key = bucketOf(distance);
    this.coarse.set(key, (this.coarse.get(key) ?? 0) + 1);
  }

  /**
   * The nearest-rank percentile (0 < q ≤ 1): the smallest distance d with at least ceil(q × count)
   * distances ≤ d; exact below 2^16, the lower bound of a bucket 0.1 % wide above. NaN when empty.
   */
  percentile(q: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let d = 0; d < EXACT_LIMIT; d++) {
      seen += this.exact[d]!;
      if (seen >= rank) return d;
    }
    for (const key of [...this.coarse.keys()].sort((a, b) => a - b)) {
      seen += this.coarse.get(key)!;
      if (seen >= rank) return Math.min(bucketStart(key), this.maximum);
    }
    return this.maximum;
  }
}

const EXACT_BITS = 16;

function bucketOf(distance: number): number {
  let exponent = Math.floor(Math.log2(distance));
  if (2 ** exponent > distance) exponent--; // log2 may round up just below a power of two
  else if (2 ** (exponent + 1) <= distance) exponent++;
  const sub = Math.floor(distance / 2 ** (exponent - SUB_BUCKET_BITS)) - (1 << SUB_BUCKET_BITS);
  return (exponent - EXACT_BITS) * (1 << SUB_BUCKET_BITS) + sub;
}

function bucketStart(key: number): number {
  const exponent = Math.floor(key / (1 << SUB_BUCKET_BITS)) + EXACT_BITS;
  const sub = key % (1 << SUB_BUCKET_BITS);
  return ((1 << SUB_BUCKET_BITS) + sub) * 2 ** (exponent - SUB_BUCKET_BITS);
}
