/** Slot records: the typed-array bookkeeping of the memory tiers, checked directly and against a Map. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlotRecords } from '../../src/tiers/slot-records.js';
import type { BlockKey, BlockRecord } from '../../src/tiers/tier.js';
import { keyOf } from './fixtures.js';

/** Replay-style keys: zero-padded counters, all the variation in the last word. */
function counterKey(i: number): BlockKey {
  return i.toString(16).padStart(32, '0');
}

function recordOf(key: BlockKey, overrides: Partial<BlockRecord> = {}): BlockRecord {
  return { key, parent: null, namespace: '', length: 64, checksum: 0n, ...overrides };
}

describe('SlotRecords', () => {
  it('finds a key only once it is published, and builds its record back', () => {
    const records = new SlotRecords(4, 64);
    const record = recordOf(keyOf(1), { parent: keyOf(0), namespace: 'tenant', length: 10, checksum: 2n ** 64n - 1n });
    records.store(2, record);
    expect(records.find(record.key)).toBe(-1);
    expect(records.publish(2)).toBe(-1);
    expect(records.find(record.key)).toBe(2);
    expect(records.size).toBe(1);
    expect(records.recordOf(2)).toEqual(record);
    expect(records.keyOf(2)).toBe(record.key);
    expect(records.lengthOf(2)).toBe(10);
  });

  it('moves a key to the slot of its newer record and hands back the old slot', () => {
    const records = new SlotRecords(4, 64);
    records.store(0, recordOf(keyOf(1), { checksum: 1n }));
    records.publish(0);
    records.store(3, recordOf(keyOf(1), { checksum: 2n }));
    expect(records.find(keyOf(1))).toBe(0); // the newer record is not visible before publish
    expect(records.publish(3)).toBe(0);
    expect(records.find(keyOf(1))).toBe(3);
    expect(records.recordOf(3).checksum).toBe(2n);
    expect(records.size).toBe(1);
    expect(records.remove(keyOf(1))).toBe(3);
    expect(records.remove(keyOf(1))).toBe(-1);
    expect(records.size).toBe(0);
  });

  it('adds the length, namespace and parent columns only when a block differs, keeping earlier records', () => {
    const records = new SlotRecords(300, 64);
    const plain = (i: number) => recordOf(keyOf(i), { namespace: 'first', checksum: BigInt(i) });
    for (let i = 0; i < 100; i++) {
      records.store(i, plain(i));
      records.publish(i);
    }
    const odd = recordOf(keyOf(100), { namespace: 'second', parent: keyOf(99), length: 3, checksum: 7n });
    records.store(100, odd);
    records.publish(100);
    for (let i = 101; i < 300; i++) {
      records.store(i, plain(i));
      records.publish(i);
    }
    for (let i = 0; i < 300; i++) expect(records.recordOf(i)).toEqual(i === 100 ? odd : plain(i));
    // A slot reused by a block without a parent loses the old parent.
    records.remove(keyOf(100));
    records.store(100, plain(1000));
    records.publish(100);
    expect(records.recordOf(100)).toEqual(plain(1000));
  });

  it('widens the namespace column past 65536 names without losing earlier ones', () => {
    const records = new SlotRecords(2, 64);
    records.store(0, recordOf(keyOf(0), { namespace: 'n-0' }));
    records.publish(0);
    const names = 65_540;
    for (let n = 1; n < names; n++) records.store(1, recordOf(keyOf(1), { namespace: `n-${n}` }));
    records.publish(1);
    expect(records.recordOf(0).namespace).toBe('n-0');
    expect(records.recordOf(1).namespace).toBe(`n-${names - 1}`);
  });

  it('keeps every key findable through growth, rehashes and deletions of counter keys', () => {
    const capacity = 5000;
    const records = new SlotRecords(capacity, 64);
    for (let i = 0; i < capacity; i++) {
      records.store(i, recordOf(counterKey(i)));
      expect(records.publish(i)).toBe(-1);
    }
    for (let i = 0; i < capacity; i += 3) expect(records.remove(counterKey(i))).toBe(i);
    for (let i = 0; i < capacity; i++) expect(records.find(counterKey(i))).toBe(i % 3 === 0 ? -1 : i);
    expect(records.size).toBe(capacity - Math.ceil(capacity / 3));
    // Keys that differ in one high word only still land apart.
    const high = (i: number) => i.toString(16).padStart(8, '0') + '0'.repeat(24);
    for (let i = 0; i < capacity; i += 3) {
      records.store(i, recordOf(high(i)));
      records.publish(i);
    }
    for (let i = 0; i < capacity; i++) {
      const key = i % 3 === 0 ? high(i) : counterKey(i);
      expect(records.keyOf(records.find(key))).toBe(key);
    }
  });

  it('agrees with a Map under random publishes and removals', () => {
    const capacity = 40;
    const keys = [...Array.from({ length: 30 }, (_, i) => keyOf(i)), ...Array.from({ length: 30 }, (_, i) => counterKey(i))];
    const op = fc.record({
      remove: fc.boolean(),
      key: fc.nat(keys.length - 1),
      checksum: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const records = new SlotRecords(capacity, 64);
        const model = new Map<BlockKey, { slot: number; checksum: bigint }>();
        const free = Array.from({ length: capacity }, (_, i) => capacity - 1 - i);
        for (const { remove, key: k, checksum } of ops) {
          const key = keys[k]!;
          if (remove) {
            const slot = records.remove(key);
            expect(slot).toBe(model.get(key)?.slot ?? -1);
            if (slot >= 0) free.push(slot);
            model.delete(key);
          } else if (free.length > 0) {
            const slot = free.pop()!;
            records.store(slot, recordOf(key, { checksum }));
            const previous = records.publish(slot);
            expect(previous).toBe(model.get(key)?.slot ?? -1);
            if (previous >= 0) free.push(previous);
            model.set(key, { slot, checksum });
          }
          expect(records.size).toBe(model.size);
        }
        for (const key of keys) {
          const slot = records.find(key);
          expect(slot).toBe(model.get(key)?.slot ?? -1);
          if (slot >= 0) expect(records.recordOf(slot)).toEqual(recordOf(key, { checksum: model.get(key)!.checksum }));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('forgets everything on clear', () => {
    const records = new SlotRecords(4, 64);
    records.store(0, recordOf(keyOf(1), { namespace: 'x', parent: keyOf(0), length: 1 }));
    records.publish(0);
    records.clear();
    expect(records.size).toBe(0);
    expect(records.find(keyOf(1))).toBe(-1);
    records.store(0, recordOf(keyOf(2)));
    records.publish(0);
    expect(records.recordOf(0)).toEqual(recordOf(keyOf(2)));
  });
});
