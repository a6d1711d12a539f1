/** Chained block keys: an independent recomputation, namespaces, continuation, partial blocks, bad input. */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { assertBlockKey, blockKeys, isBlockKey, namespaceSalt } from '../../src/engine/block-keys.js';
import { thrown } from './support.js';

/** The documented scheme, written out: key(i) = SHA-256(salt ‖ key(i−1) ‖ tokens as u32 LE)[0..16]. */
function referenceKeys(tokens: number[], blockTokens: number, namespace: string, partial = false): string[] {
  const salt = createHash('sha256').update('kvtier-namespace\0').update(namespace, 'utf8').digest();
  let previous = Buffer.alloc(16);
  const keys: string[] = [];
  for (let start = 0; start < tokens.length; start += blockTokens) {
    const block = tokens.slice(start, start + blockTokens);
    if (block.length < blockTokens && !partial) break;
    const bytes = Buffer.alloc(block.length * 4);
    block.forEach((token, i) => bytes.writeUInt32LE(token, i * 4));
    previous = createHash('sha256').update(salt).update(previous).update(bytes).digest().subarray(0, 16);
    keys.push(previous.toString('hex'));
  }
  return keys;
}

const tokenArb = fc.integer({ min: 0, max: 0xffffffff });

describe('blockKeys', () => {
  it('matches the documented chained hash (property)', () => {
    fc.assert(
      fc.property(
        fc.array(tokenArb, { maxLength: 70 }),
        fc.integer({ min: 1, max: 16 }),
        fc.string({ maxLength: 8 }),
        fc.boolean(),
        (tokens, blockTokens, namespace, includePartial) => {
          const keys = blockKeys(tokens, { blockTokens, namespace, includePartial });
          expect(keys).toEqual(referenceKeys(tokens, blockTokens, namespace, includePartial));
          expect(keys.every(isBlockKey)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('defaults to 512-token blocks in the empty namespace, keying full blocks only', () => {
    const tokens = Array.from({ length: 1300 }, (_, i) => i * 7);
    const keys = blockKeys(tokens);
    expect(keys).toHaveLength(2);
    expect(keys).toEqual(referenceKeys(tokens, 512, ''));
    expect(blockKeys(tokens, { includePartial: true })).toHaveLength(3);
    expect(blockKeys([])).toEqual([]);
  });

  it('changes every key with the namespace', () => {
    const tokens = Array.from({ length: 64 }, (_, i) => i);
    const a = blockKeys(tokens, { blockTokens: 16, namespace: 'tenant-a' });
    const b = blockKeys(tokens, { blockTokens: 16, namespace: 'tenant-b' });
    const none = blockKeys(tokens, { blockTokens: 16 });
    for (let i = 0; i < 4; i++) {
      expect(a[i]).not.toBe(b[i]);
      expect(a[i]).not.toBe(none[i]);
    }
    expect(namespaceSalt('tenant-a').equals(namespaceSalt('tenant-b'))).toBe(false);
    // The salt is a hash of the name: names that differ only after a NUL stay apart.
    expect(namespaceSalt('a\0b').equals(namespaceSalt('a\0c'))).toBe(false);
  });

  it('continues a chain from a parent exactly as one long call (property)', () => {
    fc.assert(
      fc.property(
        fc.array(tokenArb, { maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        fc.nat(8),
        fc.string({ maxLength: 4 }),
        (tokens, blockTokens, cutBlocks, namespace) => {
          const whole = blockKeys(tokens, { blockTokens, namespace });
          const cut = Math.min(cutBlocks, whole.length) * blockTokens;
          const head = blockKeys(tokens.slice(0, cut), { blockTokens, namespace });
          const tail = blockKeys(tokens.slice(cut), { blockTokens, namespace, parent: head.at(-1) ?? null });
          expect([...head, ...tail]).toEqual(whole);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('changes a block key and every later one when one token changes, never an earlier one', () => {
    const tokens = Array.from({ length: 80 }, (_, i) => 1000 + i);
    const before = blockKeys(tokens, { blockTokens: 16 });
    tokens[40] = 7; // block 2
    const after = blockKeys(tokens, { blockTokens: 16 });
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
    for (let i = 2; i < 5; i++) expect(after[i]).not.toBe(before[i]);
  });

  it('keys a trailing partial block only on request, and differently from a full block with the same start', () => {
    const tokens = [1, 2, 3, 4, 5, 6];
    expect(blockKeys(tokens, { blockTokens: 4 })).toHaveLength(1);
    const withPartial = blockKeys(tokens, { blockTokens: 4, includePartial: true });
    expect(withPartial).toHaveLength(2);
    const full = blockKeys([1, 2, 3, 4, 5, 6, 0, 0], { blockTokens: 4 });
    expect(withPartial[0]).toBe(full[0]);
    expect(withPartial[1]).not.toBe(full[1]);
    // Typed arrays of token ids work as well as plain arrays.
    expect(blockKeys(Uint32Array.from(tokens), { blockTokens: 4, includePartial: true })).toEqual(withPartial);
  });

  it('rejects bad tokens, wherever they are, with the index and value', () => {
    for (const [bad, shown] of [
      [-1, '-1'],
      [1.5, '1.5'],
      [2 ** 32, '4294967296'],
      [Number.NaN, 'NaN'],
    ] as const) {
      thrown(
        () => blockKeys([1, 2, 3, bad, 5, 6, 7, 8], { blockTokens: 4 }),
        ErrorCode.INVALID_ARGUMENT,
        `expected a token id (an integer in [0, 2^32)) for \`tokens[3]\`, got ${shown}`,
      );
    }
    thrown(() => blockKeys([1, 2, '3' as unknown as number, 4], { blockTokens: 2 }), ErrorCode.INVALID_ARGUMENT, /`tokens\[2\]`, got "3"/);
    // A bad token in the trailing partial block is bad input too, keyed or not.
    thrown(() => blockKeys([1, 2, 3, 4, -5], { blockTokens: 4 }), ErrorCode.INVALID_ARGUMENT, /`tokens\[4\]`, got -5/);
  });

  it.each([[0], [null], [undefined], [''], ['0123'], [{}], [{ length: -1 }], [{ length: 1.5 }]])('rejects tokens %j that are not a list', (tokens) => {
    thrown(() => blockKeys(tokens as never, { blockTokens: 2 }), ErrorCode.INVALID_ARGUMENT, /^expected an array of token ids for `tokens`, got /);
  });

  it('reads a huge array-like only as far as its first bad token', () => {
    thrown(() => blockKeys({ length: 1e12 } as never, { blockTokens: 2 }), ErrorCode.INVALID_ARGUMENT, /`tokens\[0\]`, got undefined/);
    expect(blockKeys([1, 2], null)).toEqual(blockKeys([1, 2]));
  });

  it('rejects a bad block size and a malformed parent', () => {
    for (const bad of [0, -4, 2.5, Number.POSITIVE_INFINITY]) {
      thrown(
        () => blockKeys([1, 2], { blockTokens: bad }),
        ErrorCode.INVALID_ARGUMENT,
        `expected a positive integer for \`blockTokens\`, got ${String(bad)}`,
      );
    }
    thrown(
      () => blockKeys([1, 2], { blockTokens: 2, parent: 'xyz' }),
      ErrorCode.INVALID_ARGUMENT,
      'expected a block key (32 lowercase hex characters) for `parent`, got "xyz"',
    );
    // A huge block size is only a limit, not an allocation.
    expect(blockKeys([1, 2, 3], { blockTokens: 2 ** 40, includePartial: true })).toHaveLength(1);
  });

  it('checks block keys strictly', () => {
    expect(isBlockKey('0123456789abcdef0123456789abcdef')).toBe(true);
    expect(isBlockKey('0123456789ABCDEF0123456789abcdef')).toBe(false);
    expect(isBlockKey('0123456789abcdef0123456789abcde')).toBe(false);
    expect(isBlockKey('0123456789abcdef0123456789abcdef\n')).toBe(false);
    expect(isBlockKey(42)).toBe(false);
    thrown(
      () => assertBlockKey(null, 'keys[2]'),
      ErrorCode.INVALID_ARGUMENT,
      'expected a block key (32 lowercase hex characters) for `keys[2]`, got null',
    );
  });
});
