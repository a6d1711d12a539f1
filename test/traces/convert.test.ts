import { readdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BailianReader } from '../../src/traces/bailian-reader.js';
import { convertTrace, mooncakeLine } from '../../src/traces/convert.js';
import { exportLibCacheSimCsv } from '../../src/traces/libcachesim-export.js';
import { MooncakeReader } from '../../src/traces/mooncake-reader.js';
import { collect, EXAMPLE_TRACE, expectKvtierError, fixture, tempDir } from './helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.cleanup();
});

describe('convertTrace', () => {
  it('writes lines the way the Mooncake release does', () => {
    expect(mooncakeLine({ timestamp: 61114, inputLength: 521, outputLength: 132, hashIds: [1, 2] })).toBe(
      '{"timestamp": 61114, "input_length": 521, "output_length": 132, "hash_ids": [1, 2]}\n',
    );
  });

  it('round-trips the example trace byte for byte', async () => {
    const output = `${tmp.dir}/example.jsonl`;
    const result = await convertTrace(EXAMPLE_TRACE, output);
    expect(result).toEqual({
      input: EXAMPLE_TRACE,
      format: 'mooncake',
      output,
      requests: 3993,
      blockRefs: 121877,
      blockTokens: 512,
      warningCount: 0,
    });
    expect((await readFile(output)).equals(await readFile(EXAMPLE_TRACE))).toBe(true);
  });

  it('converts Qwen-Bailian to Mooncake and reads back the same requests', async () => {
    const output = `${tmp.dir}/bailian.jsonl`;
    const result = await convertTrace(fixture('bailian-small.jsonl'), output);
    expect(result.format).toBe('qwen-bailian');
    expect(result.blockTokens).toBe(16);
    const original = await collect(new BailianReader(fixture('bailian-small.jsonl')));
    const back = await collect(new MooncakeReader(output, { blockTokens: result.blockTokens }));
    const strip = ({ timestamp, inputLength, outputLength, hashIds }: (typeof original)[number]) => ({ timestamp, inputLength, outputLength, hashIds });
    expect(back.map(strip)).toEqual(original.map(strip));
  });

  it('converts a conversation log with its keyed ids', async () => {
    const output = `${tmp.dir}/conversation.jsonl`;
    await convertTrace(fixture('conversation-small.jsonl'), output, { blockTokens: 4 });
    const lines = (await readFile(output, 'utf8')).trimEnd().split('\n');
    expect(lines.slice(0, 2)).toEqual([
      '{"timestamp": 10, "input_length": 7, "output_length": 3, "hash_ids": [0, 1]}',
      '{"timestamp": 20, "input_length": 7, "output_length": 0, "hash_ids": [0, 4]}',
    ]);
  });

  it('refuses to overwrite unless told to, and leaves nothing behind on failure', async () => {
    const output = `${tmp.dir}/exists.jsonl`;
    await convertTrace(fixture('mooncake-small.jsonl'), output);
    await expectKvtierError(
      convertTrace(fixture('mooncake-small.jsonl'), output),
      'ERR_INVALID_ARGUMENT',
      `expected a file that does not exist yet (or overwrite: true) for \`output\`, got "${output}"`,
    );
    await convertTrace(fixture('bailian-small.jsonl'), output, { overwrite: true });
    expect((await readFile(output, 'utf8')).split('\n')[0]).toBe('{"timestamp": 0, "input_length": 40, "output_length": 12, "hash_ids": [0, 1, 2]}');

    const bad = await tmp.file('bad.jsonl', '{"timestamp": 0, "input_length": 1, "output_length": 0, "hash_ids": [1]}\n{"timestamp": 0}\n');
    const failed = `${tmp.dir}/failed.jsonl`;
    await expectKvtierError(convertTrace(bad, failed), 'ERR_TRACE_PARSE', `${bad}:2: missing field \`input_length\``);
    expect((await readdir(tmp.dir)).filter((name) => name.includes('failed'))).toEqual([]);
  });
});

describe('exportLibCacheSimCsv', () => {
  it('writes one row per block reference with a header and the cachesim command', async () => {
    const output = `${tmp.dir}/small.csv`;
    const result = await exportLibCacheSimCsv(fixture('bailian-small.jsonl'), output, { objectBytes: 4096 });
    expect(result.rows).toBe(16);
    expect(result.requests).toBe(5);
    expect(result.command).toBe(
      `./bin/cachesim ${output} csv lru 1000 --ignore-obj-size 1 -t "time-col=1, obj-id-col=2, obj-size-col=3, obj-id-is-num=true, delimiter=,, has-header=true"`,
    );
    const rows = (await readFile(output, 'utf8')).trimEnd().split('\n');
    expect(rows.slice(0, 7)).toEqual([
      'time,obj_id,obj_size',
      '0,0,4096',
      '0,1,4096',
      '0,2,4096',
      '0,3,4096',
      '0,4,4096',
      '61,0,4096',
    ]);
    expect(rows).toHaveLength(17);
  });

  it('writes milliseconds with timeUnit "ms" and validates its options', async () => {
    const output = `${tmp.dir}/ms.csv`;
    await exportLibCacheSimCsv(fixture('mooncake-small.jsonl'), output, { timeUnit: 'ms' });
    expect((await readFile(output, 'utf8')).split('\n').slice(6, 9)).toEqual(['5,0,1', '5,3,1', '12,4,1']);
    await expectKvtierError(
      exportLibCacheSimCsv(fixture('mooncake-small.jsonl'), `${tmp.dir}/x.csv`, { objectBytes: 0 }),
      'ERR_INVALID_ARGUMENT',
      'expected a positive integer for `objectBytes`, got 0',
    );
  });
});
