/**
 * Bad trace files: 10,000 random files (valid lines, mutated lines, garbage, wrong field types, odd
 * line endings) through every reader, by name and by auto-detection. Loading must give a trace or
 * ERR_TRACE_PARSE naming the file; streaming must agree with loading. Nothing else, ever.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvtierError } from '../../src/errors.js';
import { openTrace } from '../../src/traces/registry.js';
import { removeDir, tempDir } from './support.js';

let dir: string;

beforeAll(async () => {
  dir = await tempDir('kvtier-fuzz-traces-');
});

afterAll(() => removeDir(dir));

const ids = (max: number) => fc.array(fc.nat({ max: 50 }), { minLength: 1, maxLength: max });

const mooncake = fc
  .record({ timestamp: fc.nat({ max: 1e6 }), blocks: ids(6), tail: fc.integer({ min: 1, max: 512 }), output_length: fc.nat({ max: 100 }) })
  .map(({ timestamp, blocks, tail, output_length }) =>
    JSON.stringify({ timestamp, input_length: (blocks.length - 1) * 512 + tail, output_length, hash_ids: blocks }),
  );

const bailian = fc
  .record({
    chat_id: fc.nat({ max: 100 }),
    parent_chat_id: fc.integer({ min: -1, max: 100 }),
    timestamp: fc.double({ min: 0, max: 1000, noNaN: true }),
    blocks: ids(6),
    tail: fc.integer({ min: 1, max: 16 }),
    output_length: fc.nat({ max: 100 }),
    type: fc.constantFrom('text', 'search', 'image', 'file'),
    turn: fc.integer({ min: 1, max: 5 }),
  })
  .map(({ blocks, tail, ...rest }) => JSON.stringify({ ...rest, input_length: (blocks.length - 1) * 16 + tail, hash_ids: blocks }));

const turn = fc.oneof(
  fc.record({ role: fc.constantFrom('system', 'user', 'assistant'), tokens: fc.array(fc.nat({ max: 1000 }), { maxLength: 40 }) }),
  fc.record({ role: fc.constantFrom('user', 'assistant'), text: fc.string({ maxLength: 40 }) }),
  fc.record({ role: fc.constant('user'), timestamp: fc.nat({ max: 1e5 }), tokens: fc.array(fc.nat({ max: 1000 }), { maxLength: 40 }) }),
);
const conversation = fc
  .record({ session: fc.string({ maxLength: 6 }), namespace: fc.option(fc.string({ maxLength: 6 }), { nil: undefined }), turns: fc.array(turn, { maxLength: 4 }) })
  .map((record) => JSON.stringify(record));

const valid = fc.oneof(mooncake, bailian, conversation);

/** A valid line with a few characters inserted, deleted or replaced. */
const mutated = fc
  .tuple(valid, fc.array(fc.record({ at: fc.nat(), cut: fc.nat({ max: 4 }), text: fc.string({ maxLength: 3 }) }), { minLength: 1, maxLength: 4 }))
  .map(([line, edits]) =>
    edits.reduce((out, { at, cut, text }) => {
      const i = at % (out.length + 1);
      return out.slice(0, i) + text + out.slice(i + cut);
    }, line),
  );

/** A valid record with one field replaced by a value of the wrong type or range. */
const wrongField = fc
  .tuple(
    valid,
    fc.constantFrom('timestamp', 'input_length', 'output_length', 'hash_ids', 'chat_id', 'parent_chat_id', 'turns', 'session', 'type', 'turn'),
    fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(-1, 1e308, -0, 2 ** 53, 2 ** 64, 0.5, '', '12', [], [[1]], [-1], [1.5], ['a'], [{}], {}, null, true),
    ),
  )
  .map(([line, field, value]) => {
    const record = JSON.parse(line) as Record<string, unknown>;
    record[field] = value;
    return JSON.stringify(record);
  });

const garbage = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.constantFrom('', ' ', '\t', '{', '}', '[]', 'null', '{}', '{"turns": null}', '{"hash_ids": [], "input_length": 0}', '\u0000', '\ufeff{}'),
);

const line = fc.oneof({ weight: 4, arbitrary: valid }, { weight: 3, arbitrary: mutated }, { weight: 2, arbitrary: wrongField }, { weight: 2, arbitrary: garbage });

const file = fc
  .record({
    lines: fc.array(line, { minLength: 0, maxLength: 5 }),
    eol: fc.constantFrom('\n', '\r\n', '\n\n'),
    trailing: fc.boolean(),
    bom: fc.boolean(),
  })
  .map(({ lines, eol, trailing, bom }) => (bom ? '\ufeff' : '') + lines.join(eol) + (trailing ? eol : ''));

const options = fc.record({
  format: fc.constantFrom('auto', 'mooncake', 'qwen-bailian', 'conversation'),
  allowUnsortedTimestamps: fc.boolean(),
  // Streaming costs more than loading (an async pass); one file in eight checks that the two agree.
  stream: fc.nat({ max: 7 }).map((n) => n === 0),
});

/** Loads (and, when asked, streams) a file; returns the request count or the error, failing on anything but ERR_TRACE_PARSE. */
async function read(path: string, format: string, allowUnsortedTimestamps: boolean, stream: boolean): Promise<number | KvtierError> {
  const outcome = (error: unknown): KvtierError => {
    if (!(error instanceof KvtierError)) throw error;
    expect(error.code).toBe('ERR_TRACE_PARSE');
    expect(error.message.startsWith(path)).toBe(true);
    return error;
  };
  let loaded: number | KvtierError;
  try {
    loaded = (await openTrace(path, { format, allowUnsortedTimestamps }).load()).requestCount;
  } catch (error) {
    loaded = outcome(error);
  }
  if (!stream) return loaded;
  // Streaming reads the same file the same way: the same requests, or the same failure after the good lines.
  let streamed = 0;
  let failure: KvtierError | null = null;
  try {
    for await (const _ of openTrace(path, { format, allowUnsortedTimestamps })) streamed++;
  } catch (error) {
    failure = outcome(error);
  }
  if (typeof loaded === 'number') {
    expect(failure).toBeNull();
    expect(streamed).toBe(loaded);
  } else {
    expect(failure?.message).toBe(loaded.message);
  }
  return loaded;
}

describe('trace readers under random files', () => {
  it('load a trace or fail with ERR_TRACE_PARSE, and stream the same (10,000 files)', async () => {
    const path = join(dir, 'trace.jsonl');
    const outcomes = { loaded: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(file, options, async (text, { format, allowUnsortedTimestamps, stream }) => {
        writeFileSync(path, text);
        const result = await read(path, format, allowUnsortedTimestamps, stream);
        if (typeof result === 'number') outcomes.loaded++;
        else outcomes.rejected++;
      }),
      { numRuns: 10_000 },
    );
    expect(outcomes.loaded).toBeGreaterThan(500);
    expect(outcomes.rejected).toBeGreaterThan(500);
  });
});
