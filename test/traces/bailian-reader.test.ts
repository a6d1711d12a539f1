import { describe, expect, it } from 'vitest';
import { BailianReader } from '../../src/traces/bailian-reader.js';
import { collect, expectKvtierError, fixture, tempDir } from './helpers.js';

const SMALL = fixture('bailian-small.jsonl');

describe('BailianReader', () => {
  it('yields requests in ms with sessions from parent_chat_id chains', async () => {
    expect(await collect(new BailianReader(SMALL))).toEqual([
      { timestamp: 0, inputLength: 40, outputLength: 12, hashIds: [0, 1, 2], line: 1, sessionId: '0', turn: 1, type: 'text' },
      { timestamp: 500, inputLength: 20, outputLength: 3, hashIds: [3, 4], line: 2, sessionId: '1', turn: 1, type: 'search' },
      { timestamp: 61114, inputLength: 70, outputLength: 5, hashIds: [0, 1, 2, 5, 6], line: 3, sessionId: '0', turn: 2, type: 'text' },
      { timestamp: 62500, inputLength: 80, outputLength: 8, hashIds: [0, 1, 2, 5, 7], line: 4, sessionId: '0', turn: 3, type: 'image' },
      // Its parent is not in the file: the parent roots the session.
      { timestamp: 63000, inputLength: 16, outputLength: 1, hashIds: [8], line: 5, sessionId: '99' },
    ]);
  });

  it('loads sessions as dense indices, 16 tokens a block', async () => {
    const trace = await new BailianReader(SMALL).load();
    expect(trace.format).toBe('qwen-bailian');
    expect(trace.blockTokens).toBe(16);
    expect([...trace.timestamps]).toEqual([0, 500, 61114, 62500, 63000]);
    expect([...trace.sessions!]).toEqual([0, 1, 0, 0, 2]);
    expect(trace.sessionCount).toBe(3);
    expect(trace.uniqueBlocks).toBe(9);
  });

  it('names the file, line and field in its errors', async () => {
    const tmp = await tempDir();
    try {
      const cases: [string, string, string][] = [
        ['{"chat_id": 0, "parent_chat_id": -2, "timestamp": 0, "input_length": 16, "output_length": 1, "hash_ids": [1]}', 'expected a chat_id or -1 for `parent_chat_id`, got -2', 'parent_chat_id'],
        ['{"chat_id": 0, "parent_chat_id": -1, "timestamp": -0.5, "input_length": 16, "output_length": 1, "hash_ids": [1]}', 'expected a non-negative number of seconds for `timestamp`, got -0.5', 'timestamp'],
        ['{"chat_id": 0, "parent_chat_id": -1, "timestamp": 0, "input_length": 16, "output_length": 1, "type": 3, "hash_ids": [1]}', 'expected a string for `type`, got 3', 'type'],
        ['{"chat_id": 0, "parent_chat_id": -1, "timestamp": 0, "input_length": 16, "output_length": 1, "turn": 0, "hash_ids": [1]}', 'expected a positive integer for `turn`, got 0', 'turn'],
        ['{"chat_id": 0, "parent_chat_id": -1, "timestamp": 0, "input_length": 17, "output_length": 1, "hash_ids": [1]}', 'expected 2 block ids (ceil(input_length 17 / 16 tokens a block)) for `hash_ids`, got 1', 'hash_ids'],
        ['{"parent_chat_id": -1, "timestamp": 0, "input_length": 16, "output_length": 1, "hash_ids": [1]}', 'missing field `chat_id`', 'chat_id'],
      ];
      for (const [i, [line, problem, field]] of cases.entries()) {
        const path = await tmp.file(`bad-${i}.jsonl`, `${line}\n`);
        await expectKvtierError(collect(new BailianReader(path)), 'ERR_TRACE_PARSE', `${path}:1: ${problem}`, { file: path, line: 1, field });
      }
      const unsorted = await tmp.file(
        'unsorted.jsonl',
        '{"chat_id": 0, "parent_chat_id": -1, "timestamp": 2, "input_length": 1, "output_length": 1, "hash_ids": [1]}\n' +
          '{"chat_id": 1, "parent_chat_id": -1, "timestamp": 1.5, "input_length": 1, "output_length": 1, "hash_ids": [2]}\n',
      );
      await expectKvtierError(
        new BailianReader(unsorted).load(),
        'ERR_TRACE_PARSE',
        `${unsorted}:2: expected a timestamp no earlier than the previous request's (2000 ms) for \`timestamp\`, got 1500 ms (allowUnsortedTimestamps accepts unsorted traces)`,
      );
    } finally {
      await tmp.cleanup();
    }
  });
});
