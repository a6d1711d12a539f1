/**
 * The `disk` tier: blocks in append-only segment files with positional reads and compaction.
 *
 * Layout decision (measured, see /work/notes/bench-tiers.md): both candidate layouts were
 * prototyped with fs.promises, 8 operations in flight, on this machine's ext4 volume:
 *
 *                       one file per block        append-only segment
 *   block   mode        write       read          write       read        (MiB/s)
 *   64 KiB  fast          335       1646           1573       5637
 *   256 KiB fast          879       6084           3001      12763
 *   1 MiB   fast         1691      10215           3866      15479
 *   64 KiB  synced         93       1560            210       3779
 *   1 MiB   synced        766       6839           1265      10072
 *
 * A re-run under a load average of 4.5 from other jobs kept the order (segments 1.3–2.6× faster
 * on writes, 1.5–2.9× on reads). One file per block pays open + write + close + rename (+ a
 * directory sync for a durable rename) per block; a segment pays one vectored write per *batch*
 * of blocks and one read per block on a cached handle. Segments also turn block writes into
 * sequential appends, which is what a 7200 rpm disk (this tier's device) needs. The price is an
 * in-memory index (key → segment, offset, size: ~150 bytes per block, rebuilt from the record
 * headers on open) and compaction, both below.
 *
 * Format: a segment is a sequence of records, each a 256-byte header (block-header.ts, the same
 * header the flash tier stores) followed by the payload; a delete appends a header-only tombstone.
 * File names come from a sequence number only (`seg-<12 hex>.kvs`), never from keys or user input.
 *
 * Publish: appends are serialised through one queue and written in batches (one `writev`, plus
 * one `fdatasync` in `synced` mode: group commit). A record enters the index, and so becomes
 * readable, only after its batch is written; a failed batch is truncated away and its writes
 * reject. A torn or damaged record found on open ends the replay of its segment: the rest of that
 * file is counted dead (it is a cache: losing blocks is safe, serving wrong ones is not, and
 * searching the payload bytes for the next header could let crafted payloads pose as records).
 *
 * Compaction cleans the *oldest* sealed segment whenever dead bytes (superseded records and
 * tombstones) reach `compactDeadRatio` of the sealed segments: its live records are re-appended
 * through the same queue, then the file is deleted. Cleaning only the oldest segment means a
 * tombstone can simply be dropped with it, since no older record of its key can remain anywhere;
 * for a cache, whose oldest blocks are the ones most likely evicted, it is also where the dead
 * bytes are.
 *
 * Reads fetch the header and the payload (straight into the caller's buffer) with one positional
 * read fused with the payload's XXH3-64, then verify the header and that checksum; damage is a
 * miss, counted, reported and removed. A record the page cache holds (the usual case for a block
 * written or read lately) is read on the calling thread (native readBatchCached, which never waits
 * on a device), since a thread-pool hop costs more than copying 64 KiB. Anything else goes to the
 * thread pool, batched with the other reads of the same turn (batched-reader.ts); there a record
 * the page cache holds is copied out of the segment's mapping and hashed in the same pass
 * (segment-handles.ts maps each open segment), which at 1 MiB spares a second pass over the block
 * that a pread followed by the hash would make. On either path,
 * a block whose record is in `recent` reads its payload only and checks it against that record.
 * Written payloads are not copied: `bytes` must stay unchanged until write() settles (a change
 * would be caught by the checksum on read, never served).
 */
import { mkdir, open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:os';
import { basename, join } from 'node:path';
import { invalidConfig, ioError, type KvtierError } from '../errors.js';
import { native } from '../native.js';
import { BatchedReader, setRecordReadOps, type RecordReadDone } from './batched-reader.js';
import { HEADER_BYTES, decodeHeader, headerOf } from './block-header.js';
import { DurableTier, checkDurableOptions, type DurableTierOptions } from './durable-tier.js';
import { KeyLedger } from './key-ledger.js';
import { SegmentHandles } from './segment-handles.js';
import { parseSegmentFileName, readAll, segmentFileName, writeAll } from './segment-file.js';
import type { BlockKey, BlockRecord, Tier } from './tier.js';
import { assertDstFits } from './validate.js';

/**
 * Options of the disk tier: `dir` holds the segment files (other files in it are left alone);
 * `synced` durability means a write resolves once fdatasync'ed.
 */
export interface FileTierOptions extends DurableTierOptions {
  /** A segment is sealed, and a new one started, once it holds this many bytes. @default 268435456 (256 MiB) */
  segmentBytes?: number;
  /** Compaction starts when this share of the sealed segments' bytes is dead. @default 0.5 */
  compactDeadRatio?: number;
  /** Segment read handles kept open (LRU). @default 64 */
  maxOpenFiles?: number;
  /**
   * Map each open segment (read-only, `segmentBytes` of address space each) so a cached block is
   * copied and hashed in one pass rather than read and then hashed. The first mapping installs a
   * process-wide SIGBUS handler (chained to the one before it) that turns a segment shrunk under a
   * copy into a read; turn this off where the host owns SIGBUS. @default true
   */
  mapSegments?: boolean;
}

/** Space use of the segment files. */
export interface SegmentSpaceStats {
  segments: number;
  /** Bytes in segment files (published records, including dead ones). */
  fileBytes: number;
  /** Bytes of superseded records, tombstones and damaged regions, reclaimed by compaction. */
  deadBytes: number;
  /** Segments compacted (cleaned and deleted) since open. */
  compactions: number;
  /** Bytes of live records re-appended by compaction since open. */
  compactedBytes: number;
}

interface Segment {
  readonly seq: number;
  readonly path: string;
  /** Bytes of records (published or found on open); the file may hold garbage after them. */
  size: number;
  deadBytes: number;
  liveRecords: number;
}

interface Location {
  readonly segment: Segment;
  readonly offset: number;
  /** Header plus payload. */
  readonly recordBytes: number;
}

type AppendKind = 'write' | 'tombstone' | 'copy';

interface AppendItem {
  readonly kind: AppendKind;
  readonly key: BlockKey;
  readonly buffers: readonly Uint8Array[];
  readonly bytes: number;
  /** For a compaction copy: the record copied; the copy is placed only if the key still lives there. */
  readonly copyOf: Location | null;
  /** For a write: its record, remembered in `recent` when the write is published. */
  readonly record: BlockRecord | null;
  readonly settle: (error: KvtierError | null, placed: boolean) => void;
}

const DEFAULT_SEGMENT_BYTES = 256 * 2 ** 20;
const MAX_BATCH_RECORDS = 128;
const MAX_BATCH_BYTES = 64 * 2 ** 20;
const MAX_COMPACTION_INFLIGHT_BYTES = 64 * 2 ** 20;
/**
 * Limits of one native read batch (one pool thread, reads one after another): up to 4 reads share
 * a thread hop, and reads of 1 MiB or more go alone, so concurrent reads still spread over the
 * pool. Measured against 256 KiB / unlimited reads: equal at 64 KiB, better at 256 KiB blocks
 * (4 reads per hop instead of 1).
 */
const MAX_READ_BATCH_BYTES = 2 ** 20;
const MAX_READ_BATCH_READS = 4;
/**
 * Largest record read on the event-loop thread when the page cache holds it (readCached): about
 * 30 µs of copying and hashing at this size. Measured on the 2-core benchmark machine (2026-11-25):
 * a warm 64 KiB read costs ~10 µs of copy and a pool hop ~10–15 µs of CPU more (thread wake-ups on
 * both sides), so a read here takes ~15 µs of CPU instead of 28–35, and at 256 KiB it kept ~1.2×
 * the raw fs reads' bytes per CPU-second where the pool path kept ~0.9×. At 1 MiB the copy
 * dominates, and spreading reads over pool threads (2 cores) beat one thread when the machine
 * was otherwise idle, so larger records go to the pool. Sharing a turn's reads between this
 * thread and one pool batch was tried and measured worse at every size.
 */
const MAX_CACHED_READ_BYTES = 2 ** 18 + HEADER_BYTES;
const { EOPNOTSUPP } = constants.errno;
/** The header buffer of a payload-only read (readKnown): an op of no bytes, which costs no syscall. */
const NO_HEADER = new Uint8Array(0);

/**
 * Forces a file or directory to storage by path (fsync). A segment that compaction has deleted
 * since it was sealed has nothing left to sync: with `missingOk` that is not an error.
 */
async function syncPath(path: string, missingOk: boolean): Promise<void> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (cause) {
    if (missingOk && (cause as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw cause;
  }
  try {
    await file.sync();
  } finally {
    await file.close();
  }
}

function tombstoneRecord(key: BlockKey): BlockRecord {
  return { key, parent: null, namespace: '', length: 0, checksum: 0n };
}

function errorCode(cause: unknown): unknown {
  return (cause as { code?: unknown } | null)?.code;
}

/** A disk tier over append-only segment files. Open with `FileTier.open(options)`. */
export class FileTier extends DurableTier implements Tier {
  private readonly segmentBytes: number;
  private readonly compactDeadRatio: number;
  private readonly handles: SegmentHandles;
  private readonly reader = new BatchedReader(MAX_READ_BATCH_BYTES, MAX_READ_BATCH_READS);
  /** Every segment, in sequence order (Map keeps insertion order; segments are created in order). */
  private readonly segments = new Map<number, Segment>();
  private readonly index = new Map<BlockKey, Location>();
  private readonly queue: AppendItem[] = [];
  private readonly checksumOps = new Float64Array(3);
  private readonly checksumOut = new BigUint64Array(1);
  // Scratch of readCached: header + payload as two read ops (setRecordReadOps).
  private readonly cachedOps = new Float64Array(10);
  private readonly cachedResults = new Float64Array(2);
  private readonly cachedSums = new BigUint64Array(2);
  private readonly cachedHeader = Buffer.alloc(HEADER_BYTES);
  private readonly cachedBuffers: Uint8Array[] = [this.cachedHeader, this.cachedHeader];
  /** Cleared when the file system cannot tell cached bytes (every read then goes to the pool). */
  private cachedReads = true;
  private active!: Segment;
  private writer!: FileHandle;
  /** The active segment must not take more appends (a failed batch could not be truncated away). */
  private activeSealed = false;
  /**
   * In `fast` mode, what flush() still has to force to storage besides the active segment: the
   * segments sealed since the last flush (their appends were never synced), and the directory
   * when segment files were created since (a synced file under an unsynced name is lost too).
   */
  private readonly unsyncedSegments = new Set<string>();
  private directoryUnsynced = false;
  private draining: Promise<void> | null = null;
  private compaction: Promise<void> | null = null;
  private compactions = 0;
  private compactedBytes = 0;

  private constructor(options: FileTierOptions) {
    super(options, 'disk');
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.compactDeadRatio = options.compactDeadRatio ?? 0.5;
    this.handles = new SegmentHandles(options.maxOpenFiles ?? 64, options.mapSegments === false ? 0 : this.segmentBytes);
  }

  /** Opens (or creates) the tier in `options.dir`, rebuilding the index from the segment files. */
  static async open(options: FileTierOptions): Promise<FileTier> {
    const durability = checkDurableOptions(options);
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes < HEADER_BYTES) {
      throw invalidConfig('segmentBytes', `an integer ≥ ${HEADER_BYTES}`, segmentBytes);
    }
    const ratio = options.compactDeadRatio ?? 0.5;
    if (typeof ratio !== 'number' || !(ratio > 0 && ratio <= 1)) {
      throw invalidConfig('compactDeadRatio', 'a number in (0, 1]', ratio);
    }
    const maxOpenFiles = options.maxOpenFiles ?? 64;
    if (!Number.isSafeInteger(maxOpenFiles) || maxOpenFiles < 1) {
      throw invalidConfig('maxOpenFiles', 'a positive integer', maxOpenFiles);
    }
    const mapSegments = options.mapSegments ?? true;
    if (typeof mapSegments !== 'boolean') throw invalidConfig('mapSegments', 'true or false', mapSegments);
    const tier = new FileTier({ ...options, durability });
    try {
      await mkdir(options.dir, { recursive: true });
      await tier.recover();
    } catch (cause) {
      await tier.handles.closeAll();
      throw ioError(`tier \`${tier.name}\`: cannot open segment files in ${options.dir}`, cause);
    }
    return tier;
  }

  /** Space use of the segment files. */
  spaceStats(): SegmentSpaceStats {
    let fileBytes = 0;
    let deadBytes = 0;
    for (const segment of this.segments.values()) {
      fileBytes += segment.size;
      deadBytes += segment.deadBytes;
    }
    return {
      segments: this.segments.size,
      fileBytes,
      deadBytes,
      compactions: this.compactions,
      compactedBytes: this.compactedBytes,
    };
  }

  write(record: BlockRecord, bytes: Uint8Array): Promise<void> {
    return this.trackedWrite(record, bytes, (write) => {
      const stored = write.record;
      const buffers = bytes.byteLength > 0 ? [headerOf(stored), bytes] : [headerOf(stored)];
      this.enqueue('write', stored.key, buffers, null, stored, (error) => this.settleWrite(write, error));
    });
  }

  protected fetch(key: BlockKey, dst: Uint8Array): BlockRecord | null | Promise<BlockRecord | null> {
    const location = this.index.get(key);
    if (!location) return null;
    assertDstFits(dst, location.recordBytes - HEADER_BYTES);
    if (this.cachedReads && location.recordBytes <= MAX_CACHED_READ_BYTES) {
      const record = this.readCached(key, location, dst);
      if (record !== undefined) return record;
    }
    return new Promise((resolve, reject) => {
      const known = this.knownRecord(key, location);
      if (known !== undefined) this.readKnown(key, location, known, dst, resolve, reject);
      else this.readRecord(key, location, dst, true, resolve, reject);
    });
  }

  /** The verified record of `key` from `recent`, when it is the one stored at `location` (same payload length). */
  private knownRecord(key: BlockKey, location: Location): BlockRecord | undefined {
    const known = this.recent.get(key);
    return known !== undefined && known.length === location.recordBytes - HEADER_BYTES ? known : undefined;
  }

  /**
   * The record read and verified on this thread when the page cache holds all of it (the common
   * case for a block written or read recently), else undefined: then it goes to the thread pool,
   * which also handles every failure (retry after compaction, damage). Lookup, descriptor and
   * read happen in one synchronous step, so the location cannot move nor its file close in between.
   * With a recent record only the payload is read, and checked against the record's checksum.
   */
  private readCached(key: BlockKey, location: Location, dst: Uint8Array): BlockRecord | null | undefined {
    const fd = this.handles.openFd(location.segment.path);
    if (fd < 0) return undefined;
    const length = location.recordBytes - HEADER_BYTES;
    const known = this.knownRecord(key, location);
    if (known !== undefined) {
      if (this.readCachedRanges(fd, location.offset + HEADER_BYTES, length, dst, false) === length && this.cachedSums[1] === known.checksum) {
        return known;
      }
      // Not cached, or not the bytes of this record: the full read below decides.
    }
    const bytesRead = this.readCachedRanges(fd, location.offset, length, dst, true);
    if (bytesRead < 0) return undefined;
    return this.verified(key, location, this.cachedHeader, bytesRead, dst, this.cachedSums[1]!);
  }

  /** verify(), remembering a good record in `recent` while its location is current and no write of it is in flight. */
  private verified(key: BlockKey, location: Location, header: Buffer, bytesRead: number, dst: Uint8Array, payloadChecksum: bigint): BlockRecord | null {
    const record = this.verify(key, location, header, bytesRead, dst, payloadChecksum);
    if (record !== null && this.index.get(key) === location && !this.ledger.busy(key)) this.recent.set(key, Object.freeze(record));
    return record;
  }

  /**
   * readBatchCached of a payload at `position` into `dst` (with the record header before it into
   * cachedHeader when `withHeader`); the bytes read (the payload's XXH3-64 in cachedSums[1]), or
   * -1 when the page cache did not hold them all or the read failed.
   */
  private readCachedRanges(fd: number, position: number, length: number, dst: Uint8Array, withHeader: boolean): number {
    setRecordReadOps(this.cachedOps, 0, fd, position, 0, withHeader ? HEADER_BYTES : 0, length);
    const buffers = this.cachedBuffers;
    buffers[1] = dst;
    const results = this.cachedResults;
    try {
      native.readBatchCached(buffers, this.cachedOps, results, this.cachedSums);
    } finally {
      buffers[1] = this.cachedHeader; // keep no reference to the caller's buffer
    }
    const header = results[0]!;
    const payload = results[1]!;
    if (header < 0 || payload < 0) {
      if (header === -EOPNOTSUPP || payload === -EOPNOTSUPP) this.cachedReads = false;
      return -1;
    }
    return header + payload;
  }

  /**
   * One positional read of header + payload (straight into `dst`) through the batched reader,
   * which also hashes the payload, then verification; settles the read's promise. `retry`: after
   * a failed read, look the key up once more (compaction may have moved the block and deleted the
   * file between lookup and read).
   */
  private readRecord(
    key: BlockKey,
    location: Location,
    dst: Uint8Array,
    retry: boolean,
    resolve: (record: BlockRecord | null) => void,
    reject: (error: unknown) => void,
  ): void {
    const length = location.recordBytes - HEADER_BYTES;
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    const payload = dst.byteLength === length ? dst : dst.subarray(0, length);
    this.leasedRead(location, location.offset, header, payload, (error, bytesRead, payloadChecksum) => {
      try {
        if (error === null) {
          resolve(this.verified(key, location, header, bytesRead, dst, payloadChecksum));
          return;
        }
        const moved = retry ? this.index.get(key) : location;
        if (moved === location) {
          resolve(this.damaged(key, location, `unreadable: ${error.message}`, 'io'));
        } else if (moved === undefined) {
          resolve(null);
        } else {
          assertDstFits(dst, moved.recordBytes - HEADER_BYTES);
          this.readRecord(key, moved, dst, false, resolve, reject);
        }
      } catch (cause) {
        reject(cause);
      }
    });
  }

  /**
   * The pool read of a block whose record is in `recent`, as readCached does it: the payload only
   * (one pread straight into `dst`, no header buffer to fill, hash and decode), checked against
   * the record's checksum. Any other outcome (a failed or short read, other bytes) is not damage
   * yet: the block then takes the full path (readRecord), which verifies the stored header too.
   */
  private readKnown(
    key: BlockKey,
    location: Location,
    known: BlockRecord,
    dst: Uint8Array,
    resolve: (record: BlockRecord | null) => void,
    reject: (error: unknown) => void,
  ): void {
    const payload = dst.byteLength === known.length ? dst : dst.subarray(0, known.length);
    this.leasedRead(location, location.offset + HEADER_BYTES, NO_HEADER, payload, (error, bytesRead, payloadChecksum) => {
      try {
        if (error === null && bytesRead === known.length && payloadChecksum === known.checksum) resolve(known);
        else this.readRecord(key, location, dst, true, resolve, reject);
      } catch (cause) {
        reject(cause); // a batch's `done` must not throw
      }
    });
  }

  /**
   * A batched pool read from the location's segment file, holding a lease on it (so it is not
   * closed under the read) until the read is done; the file is opened first if need be.
   */
  private leasedRead(location: Location, position: number, header: Uint8Array, payload: Uint8Array, done: RecordReadDone): void {
    const lease = this.handles.acquire(location.segment.path);
    const settled: RecordReadDone = (error, bytesRead, payloadChecksum) => {
      lease.release();
      done(error, bytesRead, payloadChecksum);
    };
    if (lease.fd >= 0) this.reader.read(lease.fd, lease.map, position, header, payload, settled);
    else {
      lease.handle.then(
        (handle) => this.reader.read(handle.fd, lease.map, position, header, payload, settled),
        (cause: unknown) => settled(cause instanceof Error ? cause : new Error(String(cause)), 0, 0n),
      );
    }
  }

  async delete(key: BlockKey): Promise<void> {
    if (!this.checkDelete(key)) return;
    await this.tracked(key, false, () => this.append('tombstone', key, [headerOf(tombstoneRecord(key), true)], null));
    this.io.deletes++;
  }

  /**
   * Every stored block's record, read back from its header in file order. Headers are verified
   * (damage is reported, counted and removed); payloads are verified when read.
   */
  async *scan(): AsyncIterable<BlockRecord> {
    this.assertOpen();
    const entries = [...this.index].sort(
      ([, a], [, b]) => a.segment.seq - b.segment.seq || a.offset - b.offset,
    );
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    for (const [key, location] of entries) {
      if (this.closed) return;
      if (this.index.get(key) !== location) continue;
      const lease = this.handles.acquire(location.segment.path);
      let bytesRead: number;
      try {
        bytesRead = await readAll(await lease.handle, [header], location.offset);
      } catch (cause) {
        if (this.index.get(key) === location) {
          this.damaged(key, location, `unreadable: ${cause instanceof Error ? cause.message : String(cause)}`, 'io');
        }
        continue;
      } finally {
        lease.release();
      }
      const decoded = decodeHeader(header, 0, bytesRead);
      const reason = !decoded.ok
        ? decoded.reason
        : decoded.tombstone || decoded.record.key !== key
          ? 'header names another block'
          : decoded.record.length !== location.recordBytes - HEADER_BYTES
            ? 'header length does not match the index'
            : null;
      if (reason !== null || !decoded.ok) {
        if (this.index.get(key) === location) this.damaged(key, location, reason ?? 'damaged header', 'checksum');
        continue;
      }
      yield decoded.record;
    }
  }

  /**
   * Waits for queued appends; in `fast` mode also forces every append so far to storage: the
   * active segment, the segments sealed since the last flush, and the directory entries of
   * segments created since.
   */
  async flush(): Promise<void> {
    this.assertOpen();
    await this.idle();
    if (this.durability !== 'fast') return;
    await this.timedIo('flush failed', async () => {
      await this.writer.datasync();
      this.io.syncs++;
      for (const path of [...this.unsyncedSegments]) {
        await syncPath(path, true);
        this.io.syncs++;
        this.unsyncedSegments.delete(path);
      }
      if (this.directoryUnsynced) {
        this.directoryUnsynced = false;
        try {
          await this.syncDirectory();
        } catch (cause) {
          this.directoryUnsynced = true;
          throw cause;
        }
      }
    });
  }

  /** Stops compaction, lets queued appends finish, then closes every file. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.compaction;
    await this.idle();
    await Promise.allSettled([...this.inflight]);
    await this.idle();
    try {
      await this.writer.close();
    } finally {
      await this.handles.closeAll();
    }
  }

  /** Runs compaction now if it is due and waits for it (it also runs by itself as dead bytes accumulate). */
  async compact(): Promise<void> {
    this.assertOpen();
    this.maybeCompact();
    while (this.compaction) await this.compaction;
  }

  // ---- recovery -------------------------------------------------------------------------------

  private async recover(): Promise<void> {
    const seqs = (await readdir(this.dir))
      .map(parseSegmentFileName)
      .filter((seq) => seq >= 0)
      .sort((a, b) => a - b);
    let damagedTail = false;
    for (const seq of seqs) {
      const segment: Segment = { seq, path: join(this.dir, segmentFileName(seq)), size: 0, deadBytes: 0, liveRecords: 0 };
      let handle: FileHandle;
      let fileBytes: number;
      try {
        handle = await open(segment.path, 'r');
        fileBytes = (await handle.stat()).size;
      } catch (cause) {
        // An unopenable file loses its own blocks, not the whole tier; it is left on disk untouched.
        this.reportRegion(basename(segment.path), `segment file skipped: ${cause instanceof Error ? cause.message : String(cause)}`);
        damagedTail = true;
        continue;
      }
      try {
        this.segments.set(seq, segment);
        const end = await this.replay(handle, segment, fileBytes);
        segment.size = fileBytes;
        segment.deadBytes += fileBytes - end;
        damagedTail = end < fileBytes;
      } finally {
        await handle.close();
      }
    }
    const last = [...this.segments.values()].pop() ?? null;
    if (last && !damagedTail && last.size < this.segmentBytes) {
      this.active = last;
      this.writer = await open(last.path, 'r+');
    } else {
      await this.startSegment((seqs[seqs.length - 1] ?? -1) + 1);
    }
    this.ledger = new KeyLedger(
      () => this.index.size,
      (key) => this.index.has(key),
    );
    this.maybeCompact();
  }

  /** Replays one segment's records into the index; returns where the readable records end. */
  private async replay(handle: FileHandle, segment: Segment, fileBytes: number): Promise<number> {
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    let offset = 0;
    while (offset < fileBytes) {
      const where = `${basename(segment.path)}@${offset}`;
      let bytesRead: number;
      try {
        bytesRead = await readAll(handle, [header], offset);
      } catch (cause) {
        this.reportRegion(where, `unreadable (${cause instanceof Error ? cause.message : String(cause)}); ${fileBytes - offset} bytes dropped`);
        return offset;
      }
      const decoded = decodeHeader(header, 0, bytesRead);
      if (!decoded.ok) {
        this.reportRegion(where, `unreadable record header (${decoded.reason}); ${fileBytes - offset} bytes after it dropped`);
        return offset;
      }
      const recordBytes = HEADER_BYTES + decoded.record.length;
      if (offset + recordBytes > fileBytes) {
        this.reportRegion(where, `record of block ${decoded.record.key} runs past the end of the file (torn write)`);
        return offset;
      }
      this.apply(decoded.record.key, { segment, offset, recordBytes }, decoded.tombstone);
      offset += recordBytes;
    }
    return offset;
  }

  private reportRegion(location: string, reason: string): void {
    this.io.checksumErrors++;
    this.onDamage({ tier: this.name, key: null, reason, location });
  }

  // ---- appends ----------------------------------------------------------------------------------

  /** Queues a record; resolves true once it is written and published, false if a copy was skipped. */
  private append(kind: AppendKind, key: BlockKey, buffers: Uint8Array[], copyOf: Location | null): Promise<boolean> {
    const nonEmpty = buffers.filter((buffer) => buffer.byteLength > 0);
    return new Promise<boolean>((resolve, reject) =>
      this.enqueue(kind, key, nonEmpty, copyOf, null, (error, placed) => (error ? reject(error) : resolve(placed))),
    );
  }

  /** Queues a record of non-empty `buffers`; `settle` runs once it is published, skipped or failed. */
  private enqueue(
    kind: AppendKind,
    key: BlockKey,
    buffers: Uint8Array[],
    copyOf: Location | null,
    record: BlockRecord | null,
    settle: AppendItem['settle'],
  ): void {
    let bytes = 0;
    for (const buffer of buffers) bytes += buffer.byteLength;
    this.queue.push({ kind, key, buffers, bytes, copyOf, record, settle });
    this.kick();
  }

  /**
   * Starts the append queue unless it runs. The first batch waits for the end of the current turn
   * (setImmediate), so every append issued in it joins: the writes re-issued as a batch settles
   * arrive one microtask chain after another, and starting at the first of them split every round
   * of 8 concurrent writes into a batch of 1 and a batch of 7 (twice the writev calls and round
   * trips; 64 KiB writes went from 0.64–0.73 to 0.75–0.80 of raw fs writes with this alone).
   */
  private kick(): void {
    if (this.draining) return;
    this.draining = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.draining = null;
        if (this.queue.length > 0) this.kick();
      });
  }

  private async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const first = this.queue[0]!;
      if (this.activeSealed || (this.active.size > 0 && this.active.size + first.bytes > this.segmentBytes)) {
        try {
          await this.startSegment(this.active.seq + 1);
        } catch (cause) {
          this.io.ioErrors++;
          const error = ioError(`tier \`${this.name}\`: cannot start a new segment`, cause);
          for (const item of this.queue.splice(0)) item.settle(error, false);
          return;
        }
      }
      await this.writeBatch(this.takeBatch());
    }
  }

  private takeBatch(): AppendItem[] {
    const batch: AppendItem[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && batch.length < MAX_BATCH_RECORDS) {
      const next = this.queue[0]!;
      const fits = this.active.size + bytes + next.bytes <= this.segmentBytes && bytes + next.bytes <= MAX_BATCH_BYTES;
      if (batch.length > 0 && !fits) break;
      batch.push(this.queue.shift()!);
      bytes += next.bytes;
    }
    return batch;
  }

  /** Places a batch at the end of the active segment, writes it in one go, then publishes it in order. */
  private async writeBatch(batch: AppendItem[]): Promise<void> {
    const segment = this.active;
    const start = segment.size;
    // What earlier items of this batch will have done to each key, for the copy conditions.
    const planned = new Map<BlockKey, Location | null>();
    const placed: { item: AppendItem; location: Location }[] = [];
    let position = start;
    for (const item of batch) {
      if (item.kind === 'copy') {
        const current = planned.has(item.key) ? planned.get(item.key) : this.index.get(item.key);
        if (current !== item.copyOf) {
          item.settle(null, false);
          continue;
        }
      }
      const location: Location = { segment, offset: position, recordBytes: item.bytes };
      planned.set(item.key, item.kind === 'tombstone' ? null : location);
      placed.push({ item, location });
      position += item.bytes;
    }
    if (placed.length === 0) return;
    try {
      await writeAll(this.writer, placed.flatMap(({ item }) => item.buffers), start);
      if (this.durability === 'synced') {
        await this.writer.datasync();
        this.io.syncs++;
      }
    } catch (cause) {
      this.io.ioErrors += placed.length;
      await this.discardFrom(start);
      const error = ioError(`tier \`${this.name}\`: cannot append to ${basename(segment.path)}`, cause);
      for (const { item } of placed) item.settle(error, false);
      return;
    }
    segment.size = position;
    for (const { item, location } of placed) {
      this.apply(item.key, location, item.kind === 'tombstone');
      // `recent` changes with the index, so a read never pairs a new location with an old record.
      if (item.record !== null) this.recent.set(item.key, item.record);
      else if (item.kind === 'tombstone') this.recent.delete(item.key);
      item.settle(null, true);
    }
    this.maybeCompact();
  }

  /** Cuts a failed batch off the active segment; if even that fails, seals the segment. */
  private async discardFrom(offset: number): Promise<void> {
    try {
      await this.writer.truncate(offset);
    } catch {
      this.activeSealed = true;
    }
  }

  /** Creates segment `seq` and makes it the active one. */
  private async startSegment(seq: number): Promise<void> {
    const segment: Segment = { seq, path: join(this.dir, segmentFileName(seq)), size: 0, deadBytes: 0, liveRecords: 0 };
    const writer = await open(segment.path, 'wx');
    const previous = this.writer as FileHandle | undefined;
    if (this.durability === 'synced') await this.syncDirectory();
    else {
      this.directoryUnsynced = true;
      // Not synced here: that would stall appends for the whole segment's writeback.
      if (previous !== undefined) this.unsyncedSegments.add(this.active.path);
    }
    this.segments.set(seq, segment);
    this.active = segment;
    this.writer = writer;
    this.activeSealed = false;
    await previous?.close().catch(() => undefined);
    this.maybeCompact();
  }

  private async syncDirectory(): Promise<void> {
    await syncPath(this.dir, false);
    this.io.syncs++;
  }

  /** Applies a published (or replayed) record to the index and the dead-byte accounting. */
  private apply(key: BlockKey, location: Location, tombstone: boolean): void {
    const previous = this.index.get(key);
    if (previous) this.markDead(previous);
    if (tombstone) {
      this.index.delete(key);
      location.segment.deadBytes += location.recordBytes; // dropped with its segment, see the header
    } else {
      this.index.set(key, location);
      location.segment.liveRecords++;
    }
  }

  private markDead(location: Location): void {
    location.segment.deadBytes += location.recordBytes;
    location.segment.liveRecords--;
  }

  // ---- reads and damage -------------------------------------------------------------------------

  /**
   * Checks a record read into `header` + `dst`; returns it, or null (damage handled).
   * `payloadChecksum`: the payload's XXH3-64 when the read already computed it.
   */
  private verify(
    key: BlockKey,
    location: Location,
    header: Buffer,
    bytesRead: number,
    dst: Uint8Array,
    payloadChecksum?: bigint,
  ): BlockRecord | null {
    const length = location.recordBytes - HEADER_BYTES;
    if (bytesRead < location.recordBytes) {
      return this.damaged(key, location, `record truncated (${bytesRead} of ${location.recordBytes} bytes)`, 'checksum');
    }
    const decoded = decodeHeader(header, 0, HEADER_BYTES);
    if (!decoded.ok) return this.damaged(key, location, decoded.reason, 'checksum');
    const { record } = decoded;
    if (decoded.tombstone || record.key !== key || record.length !== length) {
      return this.damaged(key, location, 'header names another block', 'checksum');
    }
    let actual = payloadChecksum;
    if (actual === undefined) {
      const ops = this.checksumOps;
      ops[0] = 0;
      ops[1] = 0;
      ops[2] = length;
      native.checksumBatch([dst], ops, this.checksumOut);
      actual = this.checksumOut[0]!;
    }
    if (actual !== record.checksum) return this.damaged(key, location, 'payload checksum mismatch', 'checksum');
    return record;
  }

  /**
   * Counts and reports a damaged block, drops it from the index at once (so it is never served
   * again) and appends a tombstone so a reopen does not bring it back. A block whose key has a
   * newer write in flight is left to that write. Only the first finder of a damaged record counts
   * and reports it: concurrent reads (or a read and compaction) of the same record each find it,
   * and a location no longer in the index was already handled or has been superseded.
   */
  private damaged(key: BlockKey, location: Location, reason: string, kind: 'checksum' | 'io'): null {
    if (this.index.get(key) !== location) return null;
    if (kind === 'checksum') this.io.checksumErrors++;
    else this.io.ioErrors++;
    this.onDamage({ tier: this.name, key, reason, location: `${basename(location.segment.path)}@${location.offset}` });
    if (this.closed || this.ledger.busy(key)) return null;
    const ticket = this.ledger.issue(key, false);
    this.index.delete(key);
    this.recent.delete(key);
    this.markDead(location);
    const removal = this.append('tombstone', key, [headerOf(tombstoneRecord(key), true)], null).then(
      () => this.ledger.settle(ticket, true),
      () => this.ledger.settle(ticket, false),
    );
    this.inflight.add(removal);
    void removal.then(() => this.inflight.delete(removal));
    return null;
  }

  // ---- compaction -------------------------------------------------------------------------------

  private maybeCompact(): void {
    if (this.compaction || this.closed || !this.compactionDue()) return;
    this.compaction = this.compactLoop()
      .catch(() => undefined) // clean() stops on I/O errors by itself; nothing here may escape unhandled
      .finally(() => {
        this.compaction = null;
      });
  }

  /** Due when the sealed segments' dead bytes reach the ratio (the active segment cannot be cleaned). */
  private compactionDue(): boolean {
    let bytes = 0;
    let dead = 0;
    for (const segment of this.segments.values()) {
      if (segment === this.active) continue;
      bytes += segment.size;
      dead += segment.deadBytes;
    }
    return bytes > 0 && dead / bytes >= this.compactDeadRatio;
  }

  private async compactLoop(): Promise<void> {
    while (!this.closed && this.compactionDue()) {
      const oldest = this.segments.values().next().value as Segment;
      if (oldest === this.active || !(await this.clean(oldest))) return;
    }
  }

  /** Re-appends the live records of `segment` and deletes its file; false when it had to stop. */
  private async clean(segment: Segment): Promise<boolean> {
    const live = [...this.index]
      .filter(([, location]) => location.segment === segment)
      .sort(([, a], [, b]) => a.offset - b.offset);
    const lease = this.handles.acquire(segment.path);
    const copies: Promise<boolean>[] = [];
    let copyBytes = 0;
    let movedBytes = 0;
    try {
      const handle = await lease.handle;
      for (const [key, location] of live) {
        if (this.closed) return false;
        if (this.index.get(key) !== location) continue;
        const buffer = Buffer.allocUnsafe(location.recordBytes);
        const bytesRead = await readAll(handle, [buffer], location.offset);
        const record = this.verify(key, location, buffer, bytesRead, buffer.subarray(HEADER_BYTES));
        if (record === null || this.index.get(key) !== location) continue;
        copies.push(
          this.append('copy', key, [buffer], location).then((placed) => {
            if (placed) movedBytes += location.recordBytes;
            return placed;
          }),
        );
        copyBytes += location.recordBytes;
        if (copyBytes >= MAX_COMPACTION_INFLIGHT_BYTES) {
          await Promise.all(copies.splice(0));
          copyBytes = 0;
        }
      }
      await Promise.all(copies);
    } catch {
      await Promise.allSettled(copies);
      return false; // an I/O error: leave the segment for a later attempt
    } finally {
      lease.release();
    }
    if (segment.liveRecords > 0 || this.closed) return false;
    this.segments.delete(segment.seq);
    this.handles.forget(segment.path);
    this.compactions++;
    this.compactedBytes += movedBytes;
    try {
      await unlink(segment.path);
    } catch (cause) {
      if (errorCode(cause) !== 'ENOENT') this.io.ioErrors++;
    }
    return true;
  }

  protected holds(key: BlockKey): boolean {
    return this.index.has(key);
  }
}
