/** The byte-level record scanner against JSON.parse: numbers and ids read a word at a time, at any alignment, never past the line. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FieldSpec, RecordScanner } from '../../src/traces/record-scanner.js';

const FIELDS: readonly FieldSpec[] = [
  { name: 'timestamp', kind: 'number' },
  { name: 'hash_ids', kind: 'ids' },
];

/** A JSON number, or something that starts like one: every digit count the word reads split differently, leading zeros, fractions, exponents. */
const numberText = fc
  .record({
    minus: fc.boolean(),
    digits: fc.oneof(fc.stringMatching(/^[0-9]{1,9}$/), fc.stringMatching(/^[0-9]{10,17}$/), fc.constantFrom('0', '00', '01', '7')),
    fraction: fc.option(fc.stringMatching(/^[0-9]{0,4}$/)),
    exponent: fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.stringMatching(/^[0-9]{0,3}$/))),
  })
  .map(({ minus, digits, fraction, exponent }) => `${minus ? '-' : ''}${digits}${fraction === null ? '' : `.${fraction}`}${exponent === null ? '' : exponent.join('')}`);

/** Bytes around the line in its buffer: digits and separators, so that reading past either end would change a value. */
const junk = fc.stringMatching(/^[0-9,\] ]{0,11}$/);

/** Scans `line` placed between junk bytes, as the line reader hands lines out of its chunk buffer. */
function scanIn(line: string, before: string, after: string): RecordScanner {
  const scanner = new RecordScanner(FIELDS, { interner: null, allowStringIds: false });
  const buf = Buffer.from(before + line + after, 'latin1');
  expect(scanner.scan(buf, before.length, before.length + line.length)).toBe(true);
  return scanner;
}

describe('RecordScanner', () => {
  it('reads a number field exactly as JSON.parse does, or reports a syntax error where JSON.parse fails', () => {
    fc.assert(
      fc.property(numberText, fc.constantFrom('', ' ', '  '), fc.constantFrom(', "x": 1}', '}', ' }'), junk, junk, (text, space, rest, before, after) => {
        const line = `{"timestamp":${space}${text}${rest}`;
        const scanner = scanIn(line, before, after);
        let expected: { timestamp: number } | undefined;
        try {
          expected = JSON.parse(line) as { timestamp: number };
        } catch {
          expected = undefined;
        }
        if (expected === undefined) {
          expect(scanner.syntaxError).not.toBeNull();
        } else {
          expect(scanner.syntaxError).toBeNull();
          expect(scanner.typeOk[0]).toBe(1);
          expect(scanner.numbers[0]).toBe(expected.timestamp);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('reads ids exactly as JSON.parse does, and flags the first one that is not a block id', () => {
    fc.assert(
      fc.property(fc.array(numberText, { minLength: 1, maxLength: 6 }), fc.constantFrom(', ', ',', ' , '), junk, junk, (texts, comma, before, after) => {
        const line = `{"hash_ids": [${texts.join(comma)}]}`;
        const scanner = scanIn(line, before, after);
        let expected: number[] | undefined;
        try {
          expected = (JSON.parse(line) as { hash_ids: number[] }).hash_ids;
        } catch {
          expected = undefined;
        }
        if (expected === undefined) {
          expect(scanner.syntaxError).not.toBeNull();
          return;
        }
        expect(scanner.syntaxError).toBeNull();
        expect(scanner.idCount).toBe(expected.length);
        const bad = expected.findIndex((id) => !(Number.isSafeInteger(id) && id >= 0));
        expect(scanner.badIdIndex).toBe(bad);
        const valid = bad < 0 ? expected : expected.slice(0, bad);
        expect(Array.from(scanner.ids.subarray(scanner.idStart, scanner.idStart + valid.length))).toEqual(valid.map((id) => id + 0));
      }),
      { numRuns: 3000 },
    );
  });

  it('matches field names wherever the line ends, down to a key in the last bytes of the buffer', () => {
    for (const line of ['{"timestamp":', '{"timestamp', '{"hash_ids":[', '{"timestamp"']) {
      expect(scanIn(line, '', '').syntaxError).not.toBeNull();
    }
    const scanner = scanIn('{"timestamp":5}', '', '');
    expect(scanner.syntaxError).toBeNull();
    expect(scanner.count[0]).toBe(1);
    expect(scanner.numbers[0]).toBe(5);
    // A name one byte off, shorter or longer is another (unknown, skipped) field.
    for (const line of ['{"timestamq": 5, "hash_idz": [1]}', '{"timestam":1,"hash_id":[1]}', '{"timestampp":1,"hash_idss":[1]}', '{"Timestamp":1}']) {
      const other = scanIn(line, '', '');
      expect(other.syntaxError).toBeNull();
      expect(Array.from(other.count)).toEqual([0, 0]);
    }
  });
});
