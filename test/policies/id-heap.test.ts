import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdHeap } from '../../src/policies/id-heap.js';

describe('IdHeap', () => {
  it('orders ids by (primary, secondary) through pushes, updates, deletes and filtered takes', () => {
    const op = fc.tuple(
      fc.constantFrom('push', 'push', 'update', 'delete', 'take', 'find'),
      fc.integer({ min: 0, max: 3000 }),
      fc.constantFrom(-Infinity, 0, 1, 2, 3, Infinity),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300, size: 'max' }), (ops) => {
        const heap = new IdHeap();
        const model = new Map<number, [number, number]>();
        let secondary = 0;
        const ordered = (accept: (id: number) => boolean): number => {
          let best = -1;
          for (const [id, [p, s]] of model) {
            if (!accept(id)) continue;
            const [bp, bs] = best === -1 ? [Infinity, Infinity] : model.get(best)!;
            if (best === -1 || p < bp || (p === bp && s < bs)) best = id;
          }
          return best;
        };
        // Reject ids divisible by 3, as a pinned block would be.
        const accept = (id: number): boolean => id % 3 !== 0;
        for (const [kind, id, primary] of ops) {
          if (kind === 'push' && !model.has(id)) {
            heap.push(id, primary, ++secondary);
            model.set(id, [primary, secondary]);
          } else if (kind === 'update' && model.has(id)) {
            heap.update(id, primary, ++secondary);
            model.set(id, [primary, secondary]);
          } else if (kind === 'delete') {
            heap.delete(id);
            model.delete(id);
          } else if (kind === 'take') {
            const expected = ordered(accept);
            expect(heap.takeFirst(accept)).toBe(expected);
            model.delete(expected);
          } else if (kind === 'find') {
            expect(heap.findFirst(accept)).toBe(ordered(accept));
          }
          expect(heap.size).toBe(model.size);
          expect(heap.has(id)).toBe(model.has(id));
        }
        const drained: number[] = [];
        for (let id = heap.takeFirst(() => true); id !== -1; id = heap.takeFirst(() => true)) drained.push(id);
        const expected = [...model.entries()].sort(([, a], [, b]) => a[0] - b[0] || a[1] - b[1]).map(([id]) => id);
        expect(drained).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
