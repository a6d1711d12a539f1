/** The key table against a Map: intern/find/release with id reuse, separate namespaces, growth past the first rehash. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { KeyTable } from '../../src/engine/key-table.js';
import { keyOf, thrown } from './support.js';

/**
 * Keys that differ only in their last 32 bits, like replay's zero-padded ids: a home-slot hash of
 * the leading words alone would pile them all into one probe chain.
 */
function paddedKey(i: number): string {
  return '0'.repeat(24) + i.toString(16).padStart(8, '0');
}

type Op = { kind: 'intern' | 'find' | 'release'; key: number; ns: number };

/**
 * Replays `ops` on a table and a Map, checking every answer and the whole table after each step.
 * The table holds one entry per key: the namespace is an attribute that find checks, and interning
 * a key another namespace holds is refused.
 */
function replayAgainstMap(ops: readonly Op[], keyFor: (i: number) => string): void {
  const table = new KeyTable();
  const model = new Map<string, { id: number; ns: number }>();
  const free: number[] = [];
  let next = 0;
  for (const op of ops) {
    const key = keyFor(op.key);
    const known = model.get(key);
    const mine = known !== undefined && known.ns === op.ns ? known : undefined;
    if (op.kind === 'find') {
      expect(table.find(key, op.ns)).toBe(mine?.id ?? -1);
    } else if (op.kind === 'intern') {
      if (known !== undefined && mine === undefined) {
        thrown(() => table.intern(key, op.ns), ErrorCode.INVALID_ARGUMENT, `block key ${key} is already the storage key of a block of another namespace`);
      } else {
        const id = table.intern(key, op.ns);
        if (mine !== undefined) {
          expect(id).toBe(mine.id);
        } else {
          // A released id is handed out again before a fresh one (last released first).
          const expected = free.length > 0 ? free.pop()! : next++;
          expect(id).toBe(expected);
          model.set(key, { id, ns: op.ns });
        }
        expect(table.keyOf(id)).toBe(key);
        expect(table.namespaceOf(id)).toBe(op.ns);
      }
    } else if (mine !== undefined) {
      table.release(mine.id);
      model.delete(key);
      free.push(mine.id);
    }
    expect(table.size).toBe(model.size);
    expect(table.idLimit).toBe(next);
  }
  for (const [key, { id, ns }] of model) {
    expect(table.find(key, ns)).toBe(id);
    expect(table.find(key, ns + 1)).toBe(-1);
  }
}

describe('KeyTable', () => {
  const op = (keys: number, namespaces: number) =>
    fc.record({
      kind: fc.constantFrom('intern' as const, 'intern' as const, 'find' as const, 'release' as const),
      key: fc.nat(keys - 1),
      ns: fc.nat(namespaces - 1),
    });

  it('behaves like a Map with id reuse (property)', () => {
    fc.assert(
      fc.property(fc.array(op(40, 3), { maxLength: 300 }), (ops) => replayAgainstMap(ops, keyOf)),
      { numRuns: 150 },
    );
  });

  it('handles keys that differ only in their last word (property)', () => {
    fc.assert(
      fc.property(fc.array(op(48, 2), { maxLength: 400 }), (ops) => replayAgainstMap(ops, paddedKey)),
      { numRuns: 150 },
    );
  });

  it('keeps every entry through several rehashes, with releases in between', () => {
    // 5000 live entries need three doublings of the 2048-slot table (load factor 0.6).
    const ops: Op[] = [];
    for (let i = 0; i < 6000; i++) ops.push({ kind: 'intern', key: i, ns: i % 3 });
    for (let i = 0; i < 6000; i += 5) ops.push({ kind: 'release', key: i, ns: i % 3 });
    for (let i = 6000; i < 6400; i++) ops.push({ kind: 'intern', key: i, ns: 0 });
    for (let i = 0; i < 6400; i += 7) ops.push({ kind: 'find', key: i, ns: i % 3 });
    replayAgainstMap(ops, paddedKey);
  });

  it('records the namespace of a key: another namespace neither finds nor takes it', () => {
    const table = new KeyTable();
    const key = keyOf(1);
    const a = table.intern(key, 0);
    expect(table.find(key, 1)).toBe(-1);
    thrown(() => table.intern(key, 1), ErrorCode.INVALID_ARGUMENT, `block key ${key} is already the storage key of a block of another namespace`);
    expect(table.size).toBe(1);
    table.release(a);
    const b = table.intern(key, 1);
    expect(table.find(key, 1)).toBe(b);
    expect(table.find(key, 0)).toBe(-1);
  });

  it('rejects releasing an id twice, and malformed keys', () => {
    const table = new KeyTable();
    const id = table.intern(keyOf(3), 0);
    table.release(id);
    thrown(() => table.release(id), ErrorCode.NOT_FOUND, `block id ${id} is not in the key table`);
    thrown(() => table.find('ABC', 0), ErrorCode.INVALID_ARGUMENT, /expected a block key/);
    thrown(() => table.intern(keyOf(3).toUpperCase(), 0), ErrorCode.INVALID_ARGUMENT, /expected a block key/);
  });

  it('reports the bytes its arrays hold, growing with the entries', () => {
    const table = new KeyTable();
    const before = table.byteSize();
    for (let i = 0; i < 3000; i++) table.intern(keyOf(i), 0);
    expect(table.byteSize()).toBeGreaterThan(before);
    // Tens of bytes per entry, not hundreds (the point of the typed-array layout).
    expect(table.byteSize() / 3000).toBeLessThan(64);
  });
});
