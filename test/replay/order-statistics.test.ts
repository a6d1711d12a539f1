import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nearestRankQuantiles, selectInPlace } from '../../src/replay/order-statistics.js';

const sortedCopy = (values: readonly number[]) => Float64Array.from(values).sort();
// Small value ranges make long runs of equal values, the case partitions get wrong.
const samples = fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.double({ min: 0, max: 1e3, noNaN: true })), { minLength: 1, maxLength: 300 });

describe('selectInPlace', () => {
  it('puts the k-th smallest at k, smaller-or-equal before it and greater-or-equal after it', () => {
    fc.assert(
      fc.property(samples, fc.nat(), (values, pick) => {
        const k = pick % values.length;
        const work = Float64Array.from(values);
        selectInPlace(work, k);
        expect(work[k]).toBe(sortedCopy(values)[k]);
        for (let i = 0; i < k; i++) expect(work[i]).toBeLessThanOrEqual(work[k]!);
        for (let i = k + 1; i < work.length; i++) expect(work[i]).toBeGreaterThanOrEqual(work[k]!);
        expect(sortedCopy([...work])).toEqual(sortedCopy(values)); // a permutation: nothing lost or made up
      }),
    );
  });

  it('selects within a sub-range only, leaving the rest untouched', () => {
    const values = Float64Array.of(9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    selectInPlace(values, 4, 2, 8);
    expect(values[4]).toBe(4); // the range holds 7…2; its third smallest is 4
    expect([values[0], values[1], values[8], values[9]]).toEqual([9, 8, 1, 0]);
  });

  it('stays right on inputs that defeat median-of-three pivots (sorted, reversed, organ pipe, all equal)', () => {
    const n = 5000;
    const shapes = [
      Array.from({ length: n }, (_, i) => i),
      Array.from({ length: n }, (_, i) => n - i),
      Array.from({ length: n }, (_, i) => Math.min(i, n - i)),
      Array.from({ length: n }, () => 7),
      Array.from({ length: n }, (_, i) => (i % 2 === 0 ? i : n - i)),
    ];
    for (const shape of shapes) {
      const sorted = sortedCopy(shape);
      for (const k of [0, 1, n >> 1, n - 2, n - 1]) {
        const work = Float64Array.from(shape);
        selectInPlace(work, k);
        expect(work[k]).toBe(sorted[k]);
      }
    }
  });

  it('rejects a rank outside the range', () => {
    expect(() => selectInPlace(Float64Array.of(1, 2, 3), 3)).toThrow(RangeError);
    expect(() => selectInPlace(Float64Array.of(1, 2, 3), 0, 1, 3)).toThrow(RangeError);
  });
});

describe('nearestRankQuantiles', () => {
  it('gives what a full sort gives, and leaves its input as it was', () => {
    fc.assert(
      fc.property(samples, (values) => {
        const input = Float64Array.from(values);
        const sorted = sortedCopy(values);
        const fractions = [0.01, 0.5, 0.5, 0.9, 0.99, 1];
        const expected = fractions.map((p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]);
        expect(nearestRankQuantiles(input, fractions)).toEqual(expected);
        expect([...input]).toEqual(values);
      }),
    );
  });

  it('answers 0 for no samples', () => {
    expect(nearestRankQuantiles(new Float64Array(0), [0.5, 0.99])).toEqual([0, 0]);
  });

  it('works the hand example: p50, p90, p99 of 1…10', () => {
    expect(nearestRankQuantiles(Float64Array.of(10, 3, 7, 1, 9, 2, 8, 4, 6, 5), [0.5, 0.9, 0.99])).toEqual([5, 9, 10]);
  });
});
