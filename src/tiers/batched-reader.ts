/**
 * Positional record reads of the disk tier, gathered per turn of the event loop into a few native
 * batches (native readBatchAsync): one libuv thread-pool hop per batch instead of one per read,
 * and the payload's XXH3-64 computed on the pool thread with its read: a read with the file's
 * mapping whose bytes the page cache holds is copied out of the mapping and hashed in the same pass.
 *
 * Why: a warm (page-cache) read of a 64 KiB block costs ~10 µs of pread but ~20 µs of CPU through
 * an fs call, the rest being the hop to a pool thread and back (measured on the 2-core benchmark
 * machine, 2026-11-25). Reads issued in the same turn (concurrent reads, and reads re-issued when
 * a batch completes) share the hop. A batch holds at most `maxBatchReads` reads and
 * `maxBatchBytes` bytes (and at least one read), so large blocks still spread over several pool
 * threads; the reads of one batch run one after another, the price of the shared hop when they
 * miss the page cache.
 */
import { getSystemErrorName } from 'node:util';
import type { FileMap } from '../native.js';
import { native } from '../native.js';

/** Settles one read: the bytes read (short when the file ends) and the payload's XXH3-64, or the failure. */
export type RecordReadDone = (error: Error | null, bytesRead: number, payloadChecksum: bigint) => void;

interface PendingRead {
  readonly fd: number;
  readonly map: FileMap | undefined;
  readonly position: number;
  readonly header: Uint8Array;
  readonly payload: Uint8Array;
  readonly done: RecordReadDone;
}

const OP_WIDTH = 5;

/** The error of a failed read, shaped like Node's fs errors (`code`, negative `errno`). */
function readError(errno: number): Error {
  let code: string;
  try {
    code = getSystemErrorName(errno);
  } catch {
    code = 'EIO';
  }
  return Object.assign(new Error(`${code}: positional read failed (errno ${-errno})`), { code, errno });
}

/**
 * Writes the two ops of one record read into `ops` at op `index` (native read-op layout: fd,
 * position, bufferIndex, offset, length): `headerBytes` at `position` into buffer `bufferIndex`,
 * then the `payloadBytes` right after them into buffer `bufferIndex + 1`.
 */
export function setRecordReadOps(ops: Float64Array, index: number, fd: number, position: number, bufferIndex: number, headerBytes: number, payloadBytes: number): void {
  const row = index * OP_WIDTH;
  ops[row] = fd;
  ops[row + 1] = position;
  ops[row + 2] = bufferIndex;
  ops[row + 3] = 0;
  ops[row + 4] = headerBytes;
  ops[row + 5] = fd;
  ops[row + 6] = position + headerBytes;
  ops[row + 7] = bufferIndex + 1;
  ops[row + 8] = 0;
  ops[row + 9] = payloadBytes;
}

/**
 * The arrays one native batch writes into, kept for the next batch once it settles. Fresh typed
 * arrays per batch cost more than their size suggests: node-api moves a small (on-heap) typed
 * array's bytes off the heap the first time it hands out their address, so each batch paid
 * three backing-store allocations, and the GC their release.
 */
interface BatchScratch {
  readonly ops: Float64Array;
  readonly results: Float64Array;
  readonly checksums: BigUint64Array;
}

/** Batches header + payload reads per turn into native read batches. */
export class BatchedReader {
  private pending: PendingRead[] = [];
  private scheduled = false;
  /**
   * Scratch of settled batches by op count (exactly sized: the native side counts ops by the
   * length of `ops`), as many per count as batches of that count were once in flight.
   */
  private readonly spare = new Map<number, BatchScratch[]>();

  /**
   * @param maxBatchBytes bytes one native batch reads at most (a single larger read still goes alone)
   * @param maxBatchReads reads one native batch takes at most
   */
  constructor(
    private readonly maxBatchBytes: number,
    private readonly maxBatchReads: number,
  ) {}

  /**
   * Reads `header.byteLength` bytes of `fd` at `position` into `header`, and the bytes after them
   * into `payload`; `done` runs once, later (never synchronously). `map` is the file's mapping, if
   * any. The caller keeps `fd` open (and `map` mapped) and the buffers untouched until then.
   * `done` must not throw.
   */
  read(fd: number, map: FileMap | undefined, position: number, header: Uint8Array, payload: Uint8Array, done: RecordReadDone): void {
    this.pending.push({ fd, map, position, header, payload, done });
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    const reads = this.pending;
    this.pending = [];
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < reads.length; i++) {
      bytes += reads[i]!.header.byteLength + reads[i]!.payload.byteLength;
      if (bytes >= this.maxBatchBytes || i + 1 - start >= this.maxBatchReads || i === reads.length - 1) {
        this.submit(start === 0 && i === reads.length - 1 ? reads : reads.slice(start, i + 1));
        start = i + 1;
        bytes = 0;
      }
    }
  }

  /** Two ops per read (header, then payload right after it), one native batch. */
  private submit(reads: readonly PendingRead[]): void {
    const count = reads.length * 2;
    const buffers: Uint8Array[] = new Array<Uint8Array>(count);
    const scratch = this.takeScratch(count);
    const { ops, results, checksums } = scratch;
    let maps: (FileMap | undefined)[] | undefined;
    for (let i = 0; i < reads.length; i++) {
      const { fd, map, position, header, payload } = reads[i]!;
      buffers[2 * i] = header;
      buffers[2 * i + 1] = payload;
      setRecordReadOps(ops, 2 * i, fd, position, 2 * i, header.byteLength, payload.byteLength);
      if (map !== undefined) {
        maps ??= new Array<FileMap | undefined>(count).fill(undefined);
        maps[2 * i] = map;
        maps[2 * i + 1] = map;
      }
    }
    native.readBatchAsync(buffers, ops, results, checksums, maps).then(
      () => {
        try {
          for (let i = 0; i < reads.length; i++) {
            const headerBytes = results[2 * i]!;
            const payloadBytes = results[2 * i + 1]!;
            if (headerBytes < 0) reads[i]!.done(readError(headerBytes), 0, 0n);
            else if (payloadBytes < 0) reads[i]!.done(readError(payloadBytes), headerBytes, 0n);
            else reads[i]!.done(null, headerBytes + payloadBytes, checksums[2 * i + 1]!);
          }
        } finally {
          // Reads issued by a `done` are submitted in a later microtask (flush), never before this.
          this.giveBack(scratch);
        }
      },
      (cause: unknown) => {
        // A rejection is an argument error, raised before any read: the scratch is free again.
        this.giveBack(scratch);
        const error = cause instanceof Error ? cause : new Error(String(cause));
        for (const read of reads) read.done(error, 0, 0n);
      },
    );
  }

  /** Scratch for a batch of `count` ops: a spare one, else a new one. */
  private takeScratch(count: number): BatchScratch {
    const spare = this.spare.get(count)?.pop();
    if (spare !== undefined) return spare;
    return { ops: new Float64Array(count * OP_WIDTH), results: new Float64Array(count), checksums: new BigUint64Array(count) };
  }

  private giveBack(scratch: BatchScratch): void {
    const count = scratch.results.length;
    const spares = this.spare.get(count);
    if (spares === undefined) this.spare.set(count, [scratch]);
    else spares.push(scratch);
  }
}
