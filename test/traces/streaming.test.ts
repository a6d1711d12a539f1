import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MooncakeReader } from '../../src/traces/mooncake-reader.js';
import { tempDir } from './helpers.js';

const LINES = 200_000;
const PAD = 'x'.repeat(400);

let tmp: Awaited<ReturnType<typeof tempDir>>;
let big: string;

/** Writes a generated trace: 200,000 lines of about 520 bytes (some 100 MB), never held whole. */
async function writeBigTrace(path: string): Promise<void> {
  const out = createWriteStream(path);
  for (let start = 0; start < LINES; start += 5000) {
    let chunk = '';
    for (let i = start; i < start + 5000; i++) {
      const ids = Array.from({ length: 10 }, (_, k) => (i % 1000) * 10 + k);
      chunk += `{"timestamp": ${i}, "input_length": 5120, "output_length": ${i % 7}, "hash_ids": [${ids.join(', ')}], "pad": "${PAD}"}\n`;
    }
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

beforeAll(async () => {
  tmp = await tempDir();
  big = join(tmp.dir, 'big.jsonl');
  await writeBigTrace(big);
});

afterAll(async () => {
  await tmp.cleanup();
});

describe('streaming a large trace', () => {
  it('reads 200,000 lines without the heap growing anywhere near the file size', async () => {
    const fileBytes = (await stat(big)).size;
    expect(fileBytes).toBeGreaterThan(100_000_000);
    const baseline = process.memoryUsage().heapUsed;
    let peak = 0;
    let count = 0;
    let idSum = 0;
    let outputSum = 0;
    for await (const request of new MooncakeReader(big)) {
      count++;
      outputSum += request.outputLength;
      for (const id of request.hashIds) idSum += id;
      if (count % 5000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
    }
    expect(count).toBe(LINES);
    let expectedIds = 0;
    let expectedOutput = 0;
    for (let i = 0; i < LINES; i++) {
      expectedIds += (i % 1000) * 100 + 45;
      expectedOutput += i % 7;
    }
    expect(idSum).toBe(expectedIds);
    expect(outputSum).toBe(expectedOutput);
    // Loosely: a whole-file read would need at least the file's size in the heap.
    expect(peak).toBeLessThan(fileBytes / 4);
  });

  it('stops reading (and closes the file) when the consumer breaks early', async () => {
    const reader = new MooncakeReader(big);
    let count = 0;
    for await (const _ of reader) {
      if (++count === 3) break;
    }
    expect(count).toBe(3);
    const trace = reader.loadSync();
    expect(trace.requestCount).toBe(LINES);
    expect(trace.uniqueBlocks).toBe(10_000);
  });

  it('loads the whole file, its columns sized from the first MiB, with every value in place', () => {
    const trace = new MooncakeReader(big).loadSync();
    expect(trace.blockRefCount).toBe(LINES * 10);
    for (const i of [0, 999, 1000, 123_456, LINES - 1]) {
      expect(trace.offsets[i]).toBe(i * 10);
      expect(trace.timestamps[i]).toBe(i);
      expect(trace.outputLengths[i]).toBe(i % 7);
      expect([...trace.ids.subarray(i * 10, i * 10 + 10)]).toEqual(Array.from({ length: 10 }, (_, k) => (i % 1000) * 10 + k));
    }
  });

  it('reads a line longer than its 1 MiB chunk', async () => {
    const ids = Array.from({ length: 300_000 }, (_, i) => i);
    const path = await tmp.file(
      'long-line.jsonl',
      `{"timestamp": 0, "input_length": ${ids.length * 16}, "output_length": 0, "hash_ids": [${ids.join(', ')}]}\n` +
        '{"timestamp": 1, "input_length": 16, "output_length": 0, "hash_ids": [299999]}\n',
    );
    const trace = new MooncakeReader(path, { blockTokens: 16 }).loadSync();
    expect(trace.requestCount).toBe(2);
    expect(trace.blockRefCount).toBe(300_001);
    expect(trace.ids[300_000]).toBe(299_999);
  });
});
