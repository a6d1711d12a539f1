import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvtierError } from '../../src/errors.js';
import { loadMooncakeTrace, MooncakeReader, parseMooncakeLine } from '../../src/traces/mooncake-reader.js';
import type { TraceWarning } from '../../src/traces/request.js';
import { collect, EXAMPLE_TRACE, expectKvtierError, fixture, tempDir } from './helpers.js';

const SMALL = fixture('mooncake-small.jsonl');

describe('MooncakeReader on a hand-made file', () => {
  it('yields exactly the requests, skipping blank lines and accepting CRLF, extra fields and key order', async () => {
    const requests = await collect(new MooncakeReader(SMALL));
    expect(requests).toEqual([
      { timestamp: 0, inputLength: 1024, outputLength: 10, hashIds: [0, 1], line: 1 },
      { timestamp: 5, inputLength: 1500, outputLength: 0, hashIds: [0, 1, 2], line: 3 },
      { timestamp: 5.5, inputLength: 600, outputLength: 7, hashIds: [0, 3], line: 4 },
      { timestamp: 12, inputLength: 1, outputLength: 1, hashIds: [4], line: 6 },
    ]);
  });

  it('can be iterated more than once, and concurrently', async () => {
    const reader = new MooncakeReader(SMALL);
    const [a, b] = await Promise.all([collect(reader), collect(reader)]);
    expect(a).toEqual(b);
    expect(await collect(reader)).toEqual(a);
  });

  it('loads into typed arrays with dense ids in order of first reference', () => {
    const trace = loadMooncakeTrace(SMALL);
    expect(trace.format).toBe('mooncake');
    expect(trace.blockTokens).toBe(512);
    expect(trace.requestCount).toBe(4);
    expect(trace.blockRefCount).toBe(8);
    expect(trace.uniqueBlocks).toBe(5);
    expect([...trace.timestamps]).toEqual([0, 5, 5.5, 12]);
    expect([...trace.inputLengths]).toEqual([1024, 1500, 600, 1]);
    expect([...trace.outputLengths]).toEqual([10, 0, 7, 1]);
    expect([...trace.lines]).toEqual([1, 3, 4, 6]);
    expect([...trace.offsets]).toEqual([0, 2, 5, 7, 8]);
    expect([...trace.ids]).toEqual([0, 1, 0, 1, 2, 0, 3, 4]);
    expect(trace.ids).toBeInstanceOf(Int32Array);
    expect(trace.sessions).toBeNull();
    expect(trace.warnings).toEqual([]);
  });

  it('renumbers sparse ids densely on load but keeps them as they are when iterating', async () => {
    const tmp = await tempDir();
    try {
      const path = await tmp.file(
        'sparse.jsonl',
        '{"timestamp": 0, "input_length": 600, "output_length": 1, "hash_ids": [4000000000, 70000000]}\n' +
          '{"timestamp": 1, "input_length": 1, "output_length": 1, "hash_ids": [4000000000]}\n',
      );
      expect((await collect(new MooncakeReader(path))).map((r) => r.hashIds)).toEqual([[4000000000, 70000000], [4000000000]]);
      const trace = await new MooncakeReader(path).load();
      expect([...trace.ids]).toEqual([0, 1, 0]);
      expect(trace.uniqueBlocks).toBe(2);
    } finally {
      await tmp.cleanup();
    }
  });

  it('reads a UTF-8 byte-order mark and a file without a final newline', async () => {
    const tmp = await tempDir();
    try {
      const path = await tmp.file('bom.jsonl', '\ufeff{"timestamp": 3, "input_length": 2, "output_length": 0, "hash_ids": [9]}');
      expect(await collect(new MooncakeReader(path))).toEqual([{ timestamp: 3, inputLength: 2, outputLength: 0, hashIds: [9], line: 1 }]);
    } finally {
      await tmp.cleanup();
    }
  });

  it('honours blockTokens in the block-count check', async () => {
    const tmp = await tempDir();
    try {
      const path = await tmp.file('bt16.jsonl', '{"timestamp": 0, "input_length": 33, "output_length": 0, "hash_ids": [1, 2, 3]}\n');
      expect((await collect(new MooncakeReader(path, { blockTokens: 16 })))[0]!.hashIds).toEqual([1, 2, 3]);
      await expectKvtierError(
        collect(new MooncakeReader(path)),
        'ERR_TRACE_PARSE',
        `${path}:1: expected 1 block ids (ceil(input_length 33 / 512 tokens a block)) for \`hash_ids\`, got 3`,
      );
      expect((await collect(new MooncakeReader(path, { blockCountCheck: 'none' })))[0]!.hashIds).toEqual([1, 2, 3]);
    } finally {
      await tmp.cleanup();
    }
  });

  it('asks for exactly ceil(input_length / blockTokens) ids, at every remainder', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: -2, max: 2 }), fc.nat(), (blockTokens, count, shift, offset) => {
        // input_length around the edges of `count` blocks: exactly full, one token over or under, anywhere inside.
        const inputLength = Math.max(0, shift === 0 ? (count - 1) * blockTokens + 1 + (offset % blockTokens) : count * blockTokens + shift);
        const text = `{"timestamp": 0, "input_length": ${inputLength}, "output_length": 0, "hash_ids": [${Array.from({ length: count }, (_, i) => i).join(', ')}]}`;
        const expected = Math.ceil(inputLength / blockTokens);
        if (expected === count) {
          expect(parseMooncakeLine(text, { blockTokens })!.hashIds).toHaveLength(count);
        } else {
          expect(() => parseMooncakeLine(text, { blockTokens, file: 'b.jsonl' })).toThrow(
            `b.jsonl:1: expected ${expected} block ids (ceil(input_length ${inputLength} / ${blockTokens} tokens a block)) for \`hash_ids\`, got ${count}`,
          );
        }
      }),
      { numRuns: 500 },
    );
  });

  it('interns string and huge ids densely with internIds', async () => {
    const tmp = await tempDir();
    try {
      const path = await tmp.file(
        'strings.jsonl',
        '{"timestamp": 0, "input_length": 1500, "output_length": 1, "hash_ids": ["a1f3", 123456789012345678901, 7]}\n' +
          '{"timestamp": 1, "input_length": 1500, "output_length": 1, "hash_ids": ["a1f3", "123456789012345678901", "7"]}\n',
      );
      const requests = await collect(new MooncakeReader(path, { internIds: true }));
      expect(requests.map((r) => r.hashIds)).toEqual([
        [0, 1, 2],
        [0, 1, 2],
      ]);
      await expectKvtierError(
        collect(new MooncakeReader(path)),
        'ERR_TRACE_PARSE',
        `${path}:1: expected a block id (a non-negative integer below 2^53) for \`hash_ids[0]\`, got "a1f3"`,
        { file: path, line: 1, field: 'hash_ids' },
      );
    } finally {
      await tmp.cleanup();
    }
  });

  it('hands out the requests before a bad line, then fails', async () => {
    const tmp = await tempDir();
    try {
      const path = await tmp.file(
        'late.jsonl',
        '{"timestamp": 0, "input_length": 1, "output_length": 0, "hash_ids": [1]}\n{"timestamp": 1, "input_length": 1, "output_length": 0, "hash_ids": [2]}\n{oops}\n',
      );
      const seen: number[] = [];
      const error = await (async () => {
        for await (const request of new MooncakeReader(path)) seen.push(request.hashIds[0]!);
      })().catch((e: unknown) => e);
      expect(seen).toEqual([1, 2]);
      expect((error as KvtierError).message).toBe(`${path}:3: invalid JSON at column 2: unexpected "o" where a field name was expected`);
    } finally {
      await tmp.cleanup();
    }
  });

  it('recognises field names spelled with escapes, and counts them as duplicates', async () => {
    expect(parseMooncakeLine('{"timestamp": 0, "input_\\u006cength": 1, "output_length": 0, "hash\\u005fids": [3]}')!.hashIds).toEqual([3]);
    expect(() => parseMooncakeLine('{"timestamp": 0, "input_length": 1, "output_length": 0, "hash_ids": [3], "hash\\u005fids": [3]}')).toThrow(
      '<line>:1: field `hash_ids` appears 2 times',
    );
  });

  it('rejects invalid options', () => {
    expect(() => new MooncakeReader(SMALL, { blockTokens: 0 })).toThrow('expected a positive integer for `blockTokens`, got 0');
    expect(() => new MooncakeReader(SMALL, { blockCountCheck: 'loose' as 'none' })).toThrow(
      'expected "exact" or "none" for `blockCountCheck`, got "loose"',
    );
    expect(() => new MooncakeReader('')).toThrow('expected a file path for `path`, got ""');
  });

  it('fails with ERR_IO on a missing file', async () => {
    const error = await collect(new MooncakeReader('/nonexistent/trace.jsonl')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KvtierError);
    expect((error as KvtierError).code).toBe('ERR_IO');
    expect((error as KvtierError).message).toMatch(/^cannot open trace file \/nonexistent\/trace\.jsonl: ENOENT/);
    expect(() => loadMooncakeTrace('/nonexistent/trace.jsonl')).toThrow(/^cannot open trace file/);
  });
});

describe('Mooncake errors name the file, the line and the field', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  const good = '{"timestamp": 0, "input_length": 1000, "output_length": 5, "hash_ids": [1, 2]}';
  // [case, bad line (placed on line 3 after a good line and a blank line), message after "<file>:3: ", field]
  const cases: [string, string, string, string | null][] = [
    [
      'bad JSON',
      '{"timestamp": 0,, "input_length": 1}',
      'invalid JSON at column 17: unexpected "," where a field name was expected',
      null,
    ],
    ['truncated JSON', '{"timestamp": 0, "hash_ids": [1, 2', "invalid JSON at column 35: unexpected end of line where ',' or ']' was expected", null],
    ['trailing garbage', `${good} x`, 'invalid JSON at column 80: unexpected "x" after the end of the JSON value', null],
    ['a leading zero', '{"timestamp": 01}', "invalid JSON at column 16: unexpected \"1\" where ',' or '}' was expected", null],
    ['not an object', '[1, 2]', 'expected a JSON object for the line, got an array of 2', null],
    ['missing field', '{"timestamp": 0, "input_length": 1000, "output_length": 5}', 'missing field `hash_ids`', 'hash_ids'],
    [
      'mistyped length',
      '{"timestamp": 0, "input_length": "1000", "output_length": 5, "hash_ids": [1, 2]}',
      'expected a non-negative integer for `input_length`, got "1000"',
      'input_length',
    ],
    [
      'fractional length',
      '{"timestamp": 0, "input_length": 1000, "output_length": 1.5, "hash_ids": [1, 2]}',
      'expected a non-negative integer for `output_length`, got 1.5',
      'output_length',
    ],
    [
      'negative length',
      '{"timestamp": 0, "input_length": -5, "output_length": 1, "hash_ids": [1, 2]}',
      'expected a non-negative integer for `input_length`, got -5',
      'input_length',
    ],
    [
      'negative timestamp',
      '{"timestamp": -1, "input_length": 1000, "output_length": 1, "hash_ids": [1, 2]}',
      'expected a non-negative number of milliseconds for `timestamp`, got -1',
      'timestamp',
    ],
    [
      'null timestamp',
      '{"timestamp": null, "input_length": 1000, "output_length": 1, "hash_ids": [1, 2]}',
      'expected a non-negative number of milliseconds for `timestamp`, got null',
      'timestamp',
    ],
    [
      'empty hash_ids',
      '{"timestamp": 0, "input_length": 1000, "output_length": 1, "hash_ids": []}',
      'expected a non-empty array of block ids for `hash_ids`, got an array of 0',
      'hash_ids',
    ],
    [
      'hash_ids not an array',
      '{"timestamp": 0, "input_length": 1000, "output_length": 1, "hash_ids": 5}',
      'expected a non-empty array of block ids for `hash_ids`, got 5',
      'hash_ids',
    ],
    [
      'more blocks than the input needs',
      '{"timestamp": 0, "input_length": 1000, "output_length": 1, "hash_ids": [1, 2, 3]}',
      'expected 2 block ids (ceil(input_length 1000 / 512 tokens a block)) for `hash_ids`, got 3',
      'hash_ids',
    ],
    [
      'fewer blocks than the input needs',
      '{"timestamp": 0, "input_length": 1025, "output_length": 1, "hash_ids": [1, 2]}',
      'expected 3 block ids (ceil(input_length 1025 / 512 tokens a block)) for `hash_ids`, got 2',
      'hash_ids',
    ],
    [
      'a negative id',
      '{"timestamp": 0, "input_length": 1000, "output_length": 1, "hash_ids": [1, -3]}',
      'expected a block id (a non-negative integer below 2^53) for `hash_ids[1]`, got -3',
      'hash_ids',
    ],
    [
      'an id beyond 2^53',
      '{"timestamp": 0, "input_length": 1000, "output_length": 1, "hash_ids": [9007199254740993, 1]}',
      'expected a block id (a non-negative integer below 2^53) for `hash_ids[0]`, got 9007199254740992',
      'hash_ids',
    ],
    [
      'a fractional id',
      '{"timestamp": 0, "input_length": 1000, "output_length": 1, "hash_ids": [1, 2.5]}',
      'expected a block id (a non-negative integer below 2^53) for `hash_ids[1]`, got 2.5',
      'hash_ids',
    ],
    [
      'a nested id',
      '{"timestamp": 0, "input_length": 1000, "output_length": 1, "hash_ids": [[1], 2]}',
      'expected a block id (a non-negative integer below 2^53) for `hash_ids[0]`, got an array of 1',
      'hash_ids',
    ],
    [
      'a duplicate field',
      '{"timestamp": 0, "input_length": 1000, "output_length": 1, "hash_ids": [1, 2], "timestamp": 3}',
      'field `timestamp` appears 2 times',
      'timestamp',
    ],
    [
      'a timestamp earlier than the previous line',
      '{"timestamp": 9, "input_length": 1000, "output_length": 1, "hash_ids": [1, 2]}',
      "expected a timestamp no earlier than the previous request's (10 ms) for `timestamp`, got 9 ms (allowUnsortedTimestamps accepts unsorted traces)",
      'timestamp',
    ],
  ];

  it.each(cases)('%s', async (_name, badLine, problem, field) => {
    const first = badLine.startsWith('{"timestamp": 9,') ? good.replace('"timestamp": 0', '"timestamp": 10') : good;
    const path = await tmp.file(`bad-${cases.findIndex((c) => c[1] === badLine)}.jsonl`, `${first}\n\n${badLine}\n${good}\n`);
    const expected = { file: path, line: 3, field };
    await expectKvtierError(collect(new MooncakeReader(path)), 'ERR_TRACE_PARSE', `${path}:3: ${problem}`, expected);
    await expectKvtierError(new MooncakeReader(path).load(), 'ERR_TRACE_PARSE', `${path}:3: ${problem}`, expected);
  });

  it('turns unsorted timestamps into warnings with allowUnsortedTimestamps', async () => {
    const path = await tmp.file(
      'unsorted.jsonl',
      [10, 4, 7, 7, 2].map((t) => `{"timestamp": ${t}, "input_length": 1, "output_length": 0, "hash_ids": [${t}]}`).join('\r\n'),
    );
    const seen: TraceWarning[] = [];
    const reader = new MooncakeReader(path, { allowUnsortedTimestamps: true, onWarning: (w) => seen.push(w) });
    const requests = await collect(reader);
    expect(requests.map((r) => r.timestamp)).toEqual([10, 4, 7, 7, 2]);
    const expected: TraceWarning[] = [
      { file: path, line: 2, field: 'timestamp', message: "timestamp 4 ms is earlier than the previous request's (10 ms)" },
      { file: path, line: 5, field: 'timestamp', message: "timestamp 2 ms is earlier than the previous request's (7 ms)" },
    ];
    expect(seen).toEqual(expected);
    seen.length = 0;
    const trace = await reader.load();
    expect(trace.warnings).toEqual(expected);
    expect(trace.warningCount).toBe(2);
    expect(seen).toEqual(expected);
  });
});

describe('parseMooncakeLine', () => {
  it('parses one line with the reader rules', () => {
    expect(parseMooncakeLine('{"timestamp": 1, "input_length": 3, "output_length": 2, "hash_ids": [5]}')).toEqual({
      timestamp: 1,
      inputLength: 3,
      outputLength: 2,
      hashIds: [5],
      line: 1,
    });
    expect(parseMooncakeLine('  \t ')).toBeNull();
    expect(() => parseMooncakeLine('{"timestamp": 1}', { file: 'x.jsonl', line: 7 })).toThrow('x.jsonl:7: missing field `input_length`');
  });
});

describe('the example trace', () => {
  it('loads 3,993 requests, streamed and bulk alike', async () => {
    const trace = loadMooncakeTrace(EXAMPLE_TRACE);
    expect(trace.requestCount).toBe(3993);
    expect(trace.blockRefCount).toBe(121877);
    expect(trace.uniqueBlocks).toBe(43924);
    expect(trace.timestamps[3992]).toBe(1022025);
    let count = 0;
    let refs = 0;
    let i = 0;
    for await (const request of new MooncakeReader(EXAMPLE_TRACE)) {
      expect(request.inputLength).toBe(trace.inputLengths[i]);
      refs += request.hashIds.length;
      count++;
      i++;
    }
    expect(count).toBe(3993);
    expect(refs).toBe(121877);
  });
});
