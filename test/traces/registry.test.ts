import { describe, expect, it } from 'vitest';
import { KvtierError } from '../../src/errors.js';
import { BailianReader } from '../../src/traces/bailian-reader.js';
import { ConversationReader } from '../../src/traces/conversation-reader.js';
import { MooncakeReader } from '../../src/traces/mooncake-reader.js';
import { detectTraceFormat, getTraceFormat, loadTrace, openTrace, traceFormatNames } from '../../src/traces/registry.js';
import { EXAMPLE_TRACE, expectKvtierError, fixture, tempDir } from './helpers.js';

describe('trace format registry', () => {
  it('lists the formats and finds them case-insensitively', () => {
    expect(traceFormatNames()).toEqual(['mooncake', 'qwen-bailian', 'conversation']);
    expect(getTraceFormat('MoonCake').name).toBe('mooncake');
    expect(getTraceFormat(' Qwen-Bailian ').name).toBe('qwen-bailian');
    expect(openTrace(EXAMPLE_TRACE, { format: 'MOONCAKE' })).toBeInstanceOf(MooncakeReader);
  });

  it('rejects an unknown name with ERR_CONFIG listing the names', () => {
    let error: unknown;
    try {
      getTraceFormat('sharegpt');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KvtierError);
    expect((error as KvtierError).code).toBe('ERR_CONFIG');
    expect((error as KvtierError).message).toBe('unknown trace format "sharegpt"; known formats: mooncake, qwen-bailian, conversation');
  });

  it('detects the format from the first non-blank line', () => {
    expect(detectTraceFormat(fixture('mooncake-small.jsonl'))).toBe('mooncake');
    expect(detectTraceFormat(fixture('bailian-small.jsonl'))).toBe('qwen-bailian');
    expect(detectTraceFormat(fixture('conversation-small.jsonl'))).toBe('conversation');
    expect(openTrace(fixture('bailian-small.jsonl'))).toBeInstanceOf(BailianReader);
    expect(openTrace(fixture('conversation-small.jsonl'), { format: 'auto' })).toBeInstanceOf(ConversationReader);
  });

  it('detects the format from a first line longer than its first read, after blank lines', async () => {
    const tmp = await tempDir();
    try {
      // ~140 KiB of ids: detection reads 64 KiB first, so the line arrives over several reads.
      const ids = Array.from({ length: 20_000 }, (_, i) => 1_000_000 + i);
      const line = `{"timestamp": 0, "input_length": ${ids.length * 512}, "output_length": 1, "hash_ids": [${ids.join(', ')}]}`;
      const path = await tmp.file('long.jsonl', `\n  \n${line}\n`);
      expect(detectTraceFormat(path)).toBe('mooncake');
      const trace = await loadTrace(path);
      expect(trace.blockRefCount).toBe(ids.length);
      expect(trace.lines[0]).toBe(3);
    } finally {
      await tmp.cleanup();
    }
  });

  it('explains why it cannot detect a format', async () => {
    const tmp = await tempDir();
    try {
      const blank = await tmp.file('blank.jsonl', '\n  \n');
      const broken = await tmp.file('broken.jsonl', '\n{"timestamp": }\n');
      const other = await tmp.file('other.jsonl', '{"prompt": "hi"}\n');
      await expectKvtierError(
        loadTrace(blank),
        'ERR_TRACE_PARSE',
        `${blank}: no request line to detect the trace format from (the file is blank)`,
      );
      await expectKvtierError(
        loadTrace(broken),
        'ERR_TRACE_PARSE',
        `${broken}:2: cannot detect the trace format: invalid JSON at column 15: unexpected "}" where a value was expected`,
      );
      await expectKvtierError(
        loadTrace(other),
        'ERR_TRACE_PARSE',
        `${other}:1: cannot detect the trace format from an object (Object); pass one of: mooncake, qwen-bailian, conversation`,
        { file: other, line: 1, field: null },
      );
    } finally {
      await tmp.cleanup();
    }
  });

  it('loads any format through loadTrace', async () => {
    const trace = await loadTrace(EXAMPLE_TRACE);
    expect(trace.requestCount).toBe(3993);
    expect((await loadTrace(fixture('bailian-small.jsonl'))).requestCount).toBe(5);
    expect((await loadTrace(fixture('conversation-small.jsonl'), { blockTokens: 4 })).requestCount).toBe(5);
  });
});
