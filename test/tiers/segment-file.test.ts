/** Segment file names and vectored positional I/O helpers. */
import fc from 'fast-check';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSegmentFileName, readAll, segmentFileName, writeAll } from '../../src/tiers/segment-file.js';
import { patternBytes, removeDir, tempDir } from './fixtures.js';

describe('segment files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(() => removeDir(dir));

  it('names segments by sequence number, in sortable form, and parses only those names', () => {
    expect(segmentFileName(0)).toBe('seg-000000000000.kvs');
    expect(segmentFileName(0xabc)).toBe('seg-000000000abc.kvs');
    expect(parseSegmentFileName('seg-000000000abc.kvs')).toBe(0xabc);
    for (const other of ['seg-000000000ABC.kvs', 'seg-00000000abc.kvs', 'seg-000000000abc.kvs.tmp', 'notes.txt', '../seg-000000000001.kvs']) {
      expect(parseSegmentFileName(other)).toBe(-1);
    }
    const names = [5, 300, 17, 0x10000].map(segmentFileName);
    expect([...names].sort().map(parseSegmentFileName)).toEqual([5, 17, 300, 0x10000]);
  });

  it('writes and reads back any split of buffers at any position', async () => {
    const file = await open(join(dir, 'vectored'), 'w+');
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.nat(5000), { minLength: 1, maxLength: 12 }), fc.nat(100_000), async (sizes, position) => {
          const parts = sizes.map((size, i) => patternBytes(size, i + position));
          await writeAll(file, parts, position);
          const back = sizes.map((size) => new Uint8Array(size));
          const total = sizes.reduce((a, b) => a + b, 0);
          expect(await readAll(file, back, position)).toBe(total);
          back.forEach((part, i) => expect(Buffer.from(part).equals(Buffer.from(parts[i]!))).toBe(true));
        }),
        { numRuns: 40 },
      );
    } finally {
      await file.close();
    }
  });

  it('stops reading at the end of the file and says how much it got', async () => {
    const file = await open(join(dir, 'short'), 'w+');
    try {
      await writeAll(file, [patternBytes(1000, 1)], 0);
      const head = new Uint8Array(256);
      const body = new Uint8Array(2000);
      expect(await readAll(file, [head, body], 0)).toBe(1000);
      expect(await readAll(file, [head], 5000)).toBe(0);
    } finally {
      await file.close();
    }
  });
});
