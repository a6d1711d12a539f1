/**
 * Order statistics of a replay's samples (TTFT percentiles) without sorting them: a replay of a
 * production trace has one sample per request, millions of them, and sorting them all cost more
 * than the three ranks it was for (6 ms of a ~250 ms sweep task on 68k requests).
 */

/**
 * Rearranges `values[from .. to)` so that `values[k]` holds what an ascending sort of that range
 * would put there, with everything before it (in the range) ≤ it and everything after it ≥ it.
 * Expected linear time (quickselect with median-of-three pivots and Hoare partitions, which split
 * runs of equal values evenly); after a logarithmic number of rounds it sorts what is left, so the
 * worst case stays O(n log n). The values must not be NaN.
 */
export function selectInPlace(values: Float64Array, k: number, from = 0, to = values.length): void {
  if (!(k >= from && k < to)) throw new RangeError(`rank ${k} is outside [${from}, ${to})`);
  let lo = from;
  let hi = to - 1;
  let rounds = 2 * Math.ceil(Math.log2(to - from + 1)) + 8;
  while (hi > lo) {
    if (rounds-- === 0) {
      values.subarray(lo, hi + 1).sort();
      return;
    }
    const pivot = medianOfThree(values[lo]!, values[lo + ((hi - lo) >> 1)]!, values[hi]!);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const swap = values[i]!;
        values[i] = values[j]!;
        values[j] = swap;
        i++;
        j--;
      }
    }
    // Now [lo, j] ≤ pivot ≤ [i, hi], and whatever lies strictly between j and i equals the pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function medianOfThree(a: number, b: number, c: number): number {
  if (a < b) return b < c ? b : a < c ? c : a;
  return a < c ? a : b < c ? c : b;
}

/**
 * The nearest-rank quantiles of `values` at each of `fractions` (ascending, in (0, 1]): the
 * ceil(p·n)-th smallest value, as a full sort would give. `values` is left as it was.
 */
export function nearestRankQuantiles(values: Float64Array, fractions: readonly number[]): number[] {
  const n = values.length;
  if (n === 0) return fractions.map(() => 0);
  const work = Float64Array.from(values);
  let from = 0;
  return fractions.map((p) => {
    const k = Math.min(n - 1, Math.max(from, Math.ceil(p * n) - 1));
    // Everything past the previous rank is ≥ it, so this rank lies among those values.
    selectInPlace(work, k, from, n);
    from = k;
    return work[k]!;
  });
}
