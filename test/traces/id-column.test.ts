import { describe, expect, it } from 'vitest';
import { IdColumn } from '../../src/traces/id-column.js';

describe('IdColumn', () => {
  it('keeps committed ids and ids written past the committed length when it grows', () => {
    const column = new IdColumn('t.jsonl');
    const first = column.array.length;
    column.append([5, 6, 7], 3);
    // A writer part-way through a line: ids past `length`, not yet committed.
    let array = column.reserve(2);
    array[3] = 8;
    array[4] = 9;
    array = column.reserve(first);
    expect(array.length).toBeGreaterThanOrEqual(first + 3);
    expect(array).toBe(column.array);
    column.commit(2);
    expect([...column.array.subarray(0, column.length)]).toEqual([5, 6, 7, 8, 9]);
  });

  it('presizes to an exact length, never shrinking, keeping what was written', () => {
    const column = new IdColumn('t.jsonl');
    column.append([1, 2, 3], 3);
    column.array[3] = 4;
    column.presize(10_001);
    expect(column.array.length).toBe(10_001);
    column.presize(5);
    expect(column.array.length).toBe(10_001);
    column.commit(1);
    expect([...column.array.subarray(0, column.length)]).toEqual([1, 2, 3, 4]);
  });

  it('copies long Int32Array runs and plain arrays alike', () => {
    const column = new IdColumn('t.jsonl');
    const run = Int32Array.from({ length: 10_000 }, (_, i) => i * 3);
    column.append(run, 9_000);
    column.append([1, 2], 1);
    expect(column.length).toBe(9_001);
    expect(column.array[8_999]).toBe(26_997);
    expect(column.array[9_000]).toBe(1);
  });

  it('refuses to commit ids that have no room', () => {
    const column = new IdColumn('t.jsonl');
    expect(() => column.commit(column.array.length + 1)).toThrow(RangeError);
    expect(column.length).toBe(0);
  });
});
