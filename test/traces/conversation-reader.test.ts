import { encode as encodeCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as encodeO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { blockKeys } from '../../src/engine/block-keys.js';
import { ConversationReader } from '../../src/traces/conversation-reader.js';
import type { TraceRequest } from '../../src/traces/request.js';
import { collect, denseIds, expectKvtierError, fixture, tempDir } from './helpers.js';

const SMALL = fixture('conversation-small.jsonl');
const TEXT = 'Hello, world! <|endoftext|>';
const plain = { disallowedSpecial: new Set<string>() };
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('ConversationReader', () => {
  it('turns user turns into prefix requests keyed with the engine hash, in time order', async () => {
    const requests = await collect(new ConversationReader(SMALL, { blockTokens: 4 }));
    const textTokens = encodeO200k(TEXT, plain);
    const opts = { blockTokens: 4, includePartial: true };
    // Interning follows file order (session a's two requests, then b, c, t); yielding follows time.
    const [a1, a2, b1, c1, t1] = denseIds([
      blockKeys(range(1, 7), opts),
      blockKeys(range(1, 11), opts),
      blockKeys([1, 2, 3, 4, 5, 60, 70], opts),
      blockKeys(range(1, 7), { ...opts, namespace: 'tenant-2' }),
      blockKeys(textTokens, opts),
    ]);
    expect(requests).toEqual<TraceRequest[]>([
      { timestamp: 10, inputLength: 7, outputLength: 3, hashIds: a1!, line: 1, sessionId: 'a', turn: 1 },
      { timestamp: 20, inputLength: 7, outputLength: 0, hashIds: b1!, line: 2, sessionId: 'b', turn: 1 },
      { timestamp: 25, inputLength: 7, outputLength: 0, hashIds: c1!, line: 3, sessionId: 'c', turn: 1 },
      { timestamp: 30, inputLength: 11, outputLength: 0, hashIds: a2!, line: 1, sessionId: 'a', turn: 2 },
      {
        timestamp: 40,
        inputLength: textTokens.length,
        outputLength: encodeO200k('Hi.', plain).length,
        hashIds: t1!,
        line: 4,
        sessionId: 't',
        turn: 1,
      },
    ]);
    // The same prefix shares ids across sessions; another namespace shares none.
    expect(a1).toEqual([0, 1]);
    expect(a2).toEqual([0, 2, 3]);
    expect(b1).toEqual([0, 4]);
    expect(c1).toEqual([5, 6]);
  });

  it('streams session by session with order "file", and applies defaultOutputLength', async () => {
    const requests = await collect(new ConversationReader(SMALL, { blockTokens: 4, order: 'file', defaultOutputLength: 9 }));
    expect(requests.map((r) => [r.sessionId, r.timestamp, r.outputLength])).toEqual([
      ['a', 10, 3],
      ['a', 30, 9],
      ['b', 20, 9],
      ['c', 25, 9],
      ['t', 40, encodeO200k('Hi.', plain).length],
    ]);
  });

  it('uses the chosen encoding or a custom tokenizer', async () => {
    const cl = await collect(new ConversationReader(SMALL, { encoding: 'cl100k_base' }));
    expect(cl.at(-1)!.inputLength).toBe(encodeCl100k(TEXT, plain).length);
    const chars = await collect(new ConversationReader(SMALL, { tokenize: (text) => [...text].map((c) => c.codePointAt(0)!) }));
    expect(chars.at(-1)!.inputLength).toBe(TEXT.length);
    expect(chars.at(-1)!.outputLength).toBe(3);
  });

  it('keys long sessions incrementally exactly as keying each whole prefix', async () => {
    const tmp = await tempDir();
    try {
      let seed = 7;
      const random = (n: number): number => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      const turns: unknown[] = [];
      const prefixes: number[][] = [];
      const all: number[] = [];
      for (let i = 0; i < 30; i++) {
        const tokens = Array.from({ length: 1 + random(9) }, () => random(50));
        const role = i % 3 === 2 ? 'assistant' : 'user';
        turns.push(role === 'user' ? { role, timestamp: i, tokens } : { role, tokens });
        all.push(...tokens);
        if (role === 'user') prefixes.push([...all]);
      }
      const path = await tmp.file('long.jsonl', `${JSON.stringify({ session: 'long', turns })}\n`);
      const requests = await collect(new ConversationReader(path, { blockTokens: 3 }));
      const expected = denseIds(prefixes.map((tokens) => blockKeys(tokens, { blockTokens: 3, includePartial: true })));
      expect(requests.map((r) => r.hashIds)).toEqual(expected);
      expect(requests.map((r) => r.inputLength)).toEqual(prefixes.map((p) => p.length));
    } finally {
      await tmp.cleanup();
    }
  });

  it('loads into typed arrays with sessions', async () => {
    const trace = await new ConversationReader(SMALL, { blockTokens: 4 }).load();
    expect(trace.format).toBe('conversation');
    expect(trace.requestCount).toBe(5);
    expect([...trace.timestamps]).toEqual([10, 20, 25, 30, 40]);
    expect([...trace.sessions!]).toEqual([0, 1, 2, 0, 3]);
    // Loading renumbers in order of first reference (time order here).
    expect([...trace.ids.subarray(0, 9)]).toEqual([0, 1, 0, 2, 3, 4, 0, 5, 6]);
  });

  it('names the file, line and field in its errors', async () => {
    const tmp = await tempDir();
    try {
      const user = '{"role": "user", "timestamp": 1, "tokens": [1]}';
      const cases: [string, string, string | null][] = [
        ['{"session": "s", "turns": [', 'invalid JSON at column 28: unexpected end of line where a value was expected', null],
        ['"just text"', 'expected a JSON object for the line, got "just text"', null],
        [`{"turns": [${user}]}`, 'missing field `session`', 'session'],
        [`{"session": 5, "turns": [${user}]}`, 'expected a non-empty string for `session`, got 5', 'session'],
        ['{"session": "s", "turns": []}', 'expected a non-empty array of turns for `turns`, got an array of 0', 'turns'],
        ['{"session": "s", "turns": [{"role": "robot", "text": "x"}]}', 'expected "system", "user" or "assistant" for `turns[0].role`, got "robot"', 'turns[0].role'],
        ['{"session": "s", "turns": [{"role": "user", "timestamp": 1, "text": "x", "tokens": [1]}]}', 'expected exactly one of `turns[0].text` and `turns[0].tokens`', 'turns[0]'],
        ['{"session": "s", "turns": [{"role": "user", "tokens": [1]}]}', 'missing field `turns[0].timestamp`', 'turns[0].timestamp'],
        ['{"session": "s", "turns": [{"role": "user", "timestamp": -3, "tokens": [1]}]}', 'expected a non-negative number of milliseconds for `turns[0].timestamp`, got -3', 'turns[0].timestamp'],
        ['{"session": "s", "turns": [{"role": "user", "timestamp": 1, "tokens": [1, -2]}]}', 'expected a token id (an integer in [0, 2^32)) for `turns[0].tokens[1]`, got -2', 'turns[0].tokens'],
        ['{"session": "s", "turns": [{"role": "user", "timestamp": 1, "text": ""}]}', 'expected a conversation with at least one token by this user turn for `turns[0]`, got an object (Object)', 'turns[0]'],
        [
          `{"session": "s", "turns": [{"role": "user", "timestamp": 5, "tokens": [1]}, {"role": "user", "timestamp": 4, "tokens": [2]}]}`,
          "expected a timestamp no earlier than the session's previous user turn (5 ms) for `turns[1].timestamp`, got 4 ms (allowUnsortedTimestamps accepts unsorted traces)",
          'turns[1].timestamp',
        ],
      ];
      for (const [i, [line, problem, field]] of cases.entries()) {
        const path = await tmp.file(`bad-${i}.jsonl`, `\n${line}\n`);
        await expectKvtierError(collect(new ConversationReader(path)), 'ERR_TRACE_PARSE', `${path}:2: ${problem}`, { file: path, line: 2, field });
      }
      const unsorted = await tmp.file('unsorted.jsonl', `${cases.at(-1)![0]}\n`);
      const trace = await new ConversationReader(unsorted, { allowUnsortedTimestamps: true }).load();
      expect(trace.warnings).toEqual([
        {
          file: unsorted,
          line: 1,
          field: 'turns[1].timestamp',
          message: "timestamp 4 ms is earlier than the session's previous user turn (5 ms)",
        },
      ]);
      expect([...trace.timestamps]).toEqual([4, 5]);
    } finally {
      await tmp.cleanup();
    }
  });
});
