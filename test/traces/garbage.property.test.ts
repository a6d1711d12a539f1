import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvtierError } from '../../src/errors.js';
import { MooncakeReader, parseMooncakeLine } from '../../src/traces/mooncake-reader.js';
import { collect, tempDir } from './helpers.js';

const VALID = '{"timestamp": 12, "input_length": 1030, "output_length": 4, "hash_ids": [7, 8, 9]}';

/** Random strings, JSON values, and valid lines with a few characters inserted, deleted or replaced. */
const garbage = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.json({ maxDepth: 3 }),
  fc
    .record({
      timestamp: fc.oneof(fc.integer({ min: -5, max: 100 }), fc.double(), fc.string(), fc.constant(null)),
      input_length: fc.oneof(fc.integer({ min: -5, max: 3000 }), fc.double(), fc.boolean()),
      output_length: fc.oneof(fc.nat(), fc.double()),
      hash_ids: fc.oneof(
        fc.array(fc.oneof(fc.nat(), fc.integer({ min: -3, max: -1 }), fc.double(), fc.string(), fc.bigInt().map(String)), { maxLength: 8 }),
        fc.anything(),
      ),
    }, { requiredKeys: [] })
    .map((record) => JSON.stringify(record)),
  fc
    .array(
      fc.record({ at: fc.nat({ max: VALID.length }), cut: fc.nat({ max: 3 }), text: fc.string({ maxLength: 3 }) }),
      { minLength: 1, maxLength: 4 },
    )
    .map((edits) => edits.reduce((line, { at, cut, text }) => line.slice(0, at) + text + line.slice(at + cut), VALID)),
);

/** Runs `parse` and returns what it threw, or null. Anything but ERR_TRACE_PARSE fails the property. */
function parseError(text: string): KvtierError | null {
  try {
    parseMooncakeLine(text, { file: 'g.jsonl' });
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(KvtierError);
    expect((error as KvtierError).code).toBe('ERR_TRACE_PARSE');
    expect((error as KvtierError).message.startsWith('g.jsonl:1: ')).toBe(true);
    return error as KvtierError;
  }
}

/** Blank as JSON sees it: only spaces, tabs, CR and LF (JS trim() also drops other spaces). */
function isBlank(text: string): boolean {
  return /^[ \t\r\n]*$/.test(text);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('random garbage lines', () => {
  it('never fail with anything but ERR_TRACE_PARSE, and "invalid JSON" exactly when JSON.parse fails', () => {
    fc.assert(
      fc.property(garbage, (text) => {
        const error = parseError(text);
        const invalid = error !== null && error.message.startsWith('g.jsonl:1: invalid JSON');
        expect(invalid).toBe(!isBlank(text) && !isJson(text));
      }),
      { numRuns: 10_000 },
    );
  });

  it('parse exactly what JSON.parse sees in valid records', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e9 }),
        fc.array(fc.nat({ max: 2 ** 53 - 1 }), { minLength: 1, maxLength: 20 }),
        fc.nat({ max: 1e6 }),
        fc.dictionary(fc.string().filter((k) => !['timestamp', 'input_length', 'output_length', 'hash_ids'].includes(k)), fc.jsonValue(), { maxKeys: 3 }),
        (timestamp, ids, output, extra) => {
          const record = { ...extra, timestamp, input_length: ids.length * 512 - 1, output_length: output, hash_ids: ids };
          const text = JSON.stringify(record, null, ids.length % 2 === 0 ? undefined : 1).replace(/\n/g, ' ');
          expect(parseMooncakeLine(text)).toEqual({ timestamp, inputLength: ids.length * 512 - 1, outputLength: output, hashIds: ids, line: 1 });
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('random garbage files', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  it('are read to the end or rejected with ERR_TRACE_PARSE naming the first bad line', async () => {
    let run = 0;
    // Lines may not hold line breaks, nor start with the byte-order mark a file reader strips.
    const line = garbage.filter((text) => !/[\r\n]/.test(text) && !text.startsWith('\ufeff'));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.constant(VALID), fc.constant(''), line), { maxLength: 6 }), fc.boolean(), async (lines, crlf) => {
        const path = join(tmp.dir, `g${run++}.jsonl`);
        await writeFile(path, lines.join(crlf ? '\r\n' : '\n'));
        const firstBad = lines.findIndex((line) => !isBlank(line) && parseError(line) !== null);
        const result = await collect(new MooncakeReader(path, { allowUnsortedTimestamps: true })).then(
          (requests) => requests,
          (error: unknown) => error,
        );
        if (firstBad < 0) {
          expect(Array.isArray(result)).toBe(true);
        } else {
          expect(result).toBeInstanceOf(KvtierError);
          expect((result as KvtierError).code).toBe('ERR_TRACE_PARSE');
          expect((result as KvtierError).details.line).toBe(firstBad + 1);
        }
      }),
      { numRuns: 200 },
    );
  });
});
