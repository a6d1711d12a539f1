/** The disk tier's batched record reader: header + payload per read, payload checksums, batching limits, failures. */
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksum } from '../../src/memory/copy-batch.js';
import type { FileMap } from '../../src/native.js';
import { native } from '../../src/native.js';
import { BatchedReader } from '../../src/tiers/batched-reader.js';
import { observingReadBatches, patternBytes, removeDir, tempDir, type ReadBatchArgs } from './fixtures.js';

const FILE_BYTES = 10_000;

describe('BatchedReader', () => {
  let dir: string;
  let content: Uint8Array;
  let fd: number;
  let dirFd: number;

  beforeAll(async () => {
    dir = await tempDir();
    content = patternBytes(FILE_BYTES, 3);
    writeFileSync(join(dir, 'records'), content);
    fd = openSync(join(dir, 'records'), 'r');
    dirFd = openSync(dir, 'r');
  });

  afterAll(async () => {
    closeSync(fd);
    closeSync(dirFd);
    await removeDir(dir);
  });

  type Outcome = { error: Error | null; bytesRead: number; sum: bigint; header: Uint8Array; payload: Uint8Array };

  function read(
    reader: BatchedReader,
    file: number,
    position: number,
    headerBytes: number,
    payloadBytes: number,
    map?: FileMap,
  ): Promise<Outcome> {
    const header = new Uint8Array(headerBytes);
    const payload = new Uint8Array(payloadBytes);
    let sync = true;
    const outcome = new Promise<Outcome>((resolve) =>
      reader.read(file, map, position, header, payload, (error, bytesRead, sum) => {
        expect(sync).toBe(false); // never settles inside read()
        resolve({ error, bytesRead, sum, header, payload });
      }),
    );
    sync = false;
    return outcome;
  }

  it('reads header and payload back to back, hashes the payload, and splits batches at maxBatchReads and maxBatchBytes', async () => {
    const batches: number[] = [];
    const counting = new BatchedReader(1000, 64);
    const capped = new BatchedReader(1 << 20, 3);
    await observingReadBatches(
      (_, ops) => batches.push(ops.length / 10),
      async () => {
        await Promise.all([0, 700, 1400, 2100, 2800].map((at) => read(capped, fd, at, 16, 600)));
        const outcomes = await Promise.all([0, 700, 1400, 2100, 2800].map((at) => read(counting, fd, at, 16, 600)));
        outcomes.forEach((outcome, i) => {
          const at = i * 700;
          expect(outcome.error).toBeNull();
          expect(outcome.bytesRead).toBe(616);
          expect(Buffer.from(outcome.header).equals(Buffer.from(content.subarray(at, at + 16)))).toBe(true);
          expect(Buffer.from(outcome.payload).equals(Buffer.from(content.subarray(at + 16, at + 616)))).toBe(true);
          expect(outcome.sum).toBe(checksum(content.subarray(at + 16, at + 616)));
        });
      },
    );
    // At most 3 reads per batch; then 616 bytes per read: a batch closes once it reaches 1000 bytes, after two reads.
    expect(batches).toEqual([3, 2, 2, 2, 1]);
  });

  it('reuses the arrays of settled batches, also for reads issued while one settles, without mixing their results', async () => {
    const reader = new BatchedReader(1 << 20, 4);
    const resultArrays = new Set<Float64Array>();
    let batches = 0;
    const headerBytesAt = (step: number): number => 8 + (step % 4) * 8;
    // A chain issues its next reads from the previous ones' settlement, 1 to 3 reads at a time,
    // so each settling batch's arrays are handed back while a `done` is issuing the next batch.
    const chain = async (lane: number): Promise<void> => {
      for (let step = 0; step < 12; step++) {
        const width = 1 + ((step + lane) % 3);
        const headerBytes = headerBytesAt(step);
        const payloadBytes = 500 + lane;
        const positions = Array.from({ length: width }, (_, k) => (lane * 1500 + step * 310 + k * 97) % 9000);
        const outcomes = await Promise.all(positions.map((at) => read(reader, fd, at, headerBytes, payloadBytes)));
        outcomes.forEach((outcome, k) => {
          const at = positions[k]!;
          expect(outcome.error).toBeNull();
          expect(outcome.bytesRead).toBe(headerBytes + payloadBytes);
          expect(Buffer.from(outcome.header).equals(Buffer.from(content.subarray(at, at + headerBytes)))).toBe(true);
          expect(outcome.sum).toBe(checksum(content.subarray(at + headerBytes, at + headerBytes + payloadBytes)));
        });
      }
    };
    const observe = (...args: ReadBatchArgs): void => {
      batches++;
      resultArrays.add(args[2]);
    };
    await observingReadBatches(observe, async () => {
      // One chain: one batch per step, of 1, 2 or 3 reads; one set of arrays per batch size.
      await chain(0);
      expect(batches).toBe(12);
      expect(resultArrays.size).toBe(3);
      // Three chains at once: batches of several sizes overlap and share arrays as they settle.
      await Promise.all([0, 1, 2].map(chain));
    });
  });

  it("hands each read's file mapping to both of its ops, and reads the same bytes through it, up to the end of the file", async () => {
    const map = native.mapFile(fd, 1 << 16);
    const passed: ((FileMap | undefined)[] | undefined)[] = [];
    const observe = (...args: ReadBatchArgs): void => {
      const maps = args[4];
      passed.push(maps === undefined ? undefined : [...maps]);
    };
    const reader = new BatchedReader(1 << 20, 64);
    try {
      await observingReadBatches(observe, async () => {
        const positions = [0, 333, 4000, FILE_BYTES - 300];
        const outcomes = await Promise.all(positions.map((at, i) => read(reader, fd, at, 16, 600, i === 1 ? undefined : map)));
        outcomes.forEach((outcome, i) => {
          const at = positions[i]!;
          const end = Math.min(at + 616, FILE_BYTES);
          expect(outcome.error).toBeNull();
          expect(outcome.bytesRead).toBe(end - at);
          expect(Buffer.from(outcome.header).equals(Buffer.from(content.subarray(at, at + 16)))).toBe(true);
          expect(Buffer.from(outcome.payload.subarray(0, end - at - 16)).equals(Buffer.from(content.subarray(at + 16, end)))).toBe(true);
          expect(outcome.sum).toBe(checksum(content.subarray(at + 16, end)));
        });
        // Reads without a mapping pass none.
        await read(reader, fd, 0, 16, 600);
      });
    } finally {
      native.unmapFile(map);
    }
    expect(passed).toEqual([[map, map, undefined, undefined, map, map, map, map], undefined]);
  });

  it('reports a short read at the end of the file by its byte count', async () => {
    const outcome = await read(new BatchedReader(1 << 20, 64), fd, FILE_BYTES - 100, 16, 600);
    expect(outcome.error).toBeNull();
    expect(outcome.bytesRead).toBe(100);
    expect(outcome.sum).toBe(checksum(content.subarray(FILE_BYTES - 84)));
  });

  it('turns a failed read into an fs-style error, without failing the other reads of its batch', async () => {
    const reader = new BatchedReader(1 << 20, 64);
    const [bad, good] = await Promise.all([read(reader, dirFd, 0, 16, 64), read(reader, fd, 0, 16, 64)]);
    expect(bad.error).toMatchObject({ code: 'EISDIR' });
    expect(bad.error!.message).toMatch(/^EISDIR: positional read failed/);
    expect(good.error).toBeNull();
    expect(good.bytesRead).toBe(80);
  });
});
