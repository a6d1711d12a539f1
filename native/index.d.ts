/**
 * The whole native surface of kvtier (native/*.cc, built by node-gyp from binding.gyp).
 * Bytes only, no policy. Every function validates its arguments and throws TypeError or
 * RangeError before moving a single byte (copyBatchAsync rejects instead of throwing); a batch is
 * all-or-nothing with respect to validation. src/native-reference.ts implements the same surface
 * in TypeScript, with the same error types and messages.
 *
 * Layouts:
 * - copy ops: Float64Array, 5 numbers per op: [srcIndex, srcOffset, dstIndex, dstOffset, length],
 *   where the indices point into `buffers`. Source and destination of one op must not overlap.
 * - checksum ops: Float64Array, 3 numbers per op: [bufferIndex, offset, length].
 * - read ops: Float64Array, 5 numbers per op: [fd, position, bufferIndex, offset, length]: read
 *   `length` bytes of file descriptor `fd` from byte `position` into [offset, offset + length).
 * - checksums are XXH3-64 (xxHash's XXH3 with 64-bit output, seed 0, default secret), one per op,
 *   written into a BigUint64Array.
 * - a detached buffer reads as empty: only zero-length ranges on it are valid.
 */

/** Anything that exposes raw bytes: ArrayBuffer, Buffer, any TypedArray or DataView. */
export type ByteSource = ArrayBuffer | ArrayBufferView;

declare const fileMapBrand: unique symbol;
/**
 * A read-only mapping of a file, from mapFile: an opaque handle (JavaScript never touches the
 * mapped bytes; a page past the end of the file would raise SIGBUS).
 */
export interface FileMap {
  readonly [fileMapBrand]: true;
}

export interface NativeAddon {
  /** Zeroed memory of `byteLength` bytes aligned to `alignment` (power of two ≥ 64; page-aligned from 1 MiB). */
  createArena(byteLength: number, alignment: number): ArrayBuffer;
  /** Copies every op of the batch on the calling thread; with `checksums`, fuses an XXH3-64 of each copied block. */
  copyBatch(buffers: readonly ByteSource[], ops: Float64Array, checksums?: BigUint64Array): void;
  /**
   * The same batch on the libuv thread pool. Buffers stay referenced (alive) until the promise
   * settles. Bad arguments reject the promise (nothing is queued); it never throws.
   * As with fs.read into a Buffer, do not transfer or resize a plain ArrayBuffer while a copy
   * uses it: node-api cannot pin its memory. Arenas are safe (Node clones them on transfer).
   */
  copyBatchAsync(buffers: readonly ByteSource[], ops: Float64Array, checksums?: BigUint64Array): Promise<void>;
  /**
   * Positional reads on the libuv thread pool, all ops in order on one pool thread (one thread
   * hop for the batch). Each op reads until its range is full or the file ends (short reads are
   * continued, EINTR retried) and stores in `results[i]` the bytes read, or -errno when a read
   * failed (e.g. -9 for EBADF; the batch goes on); with `checksums`, `checksums[i]` is the
   * XXH3-64 of the bytes read (of no bytes when the op failed). Bad arguments reject the promise
   * before any read (it never throws). Buffers, `results` and `checksums` stay referenced until
   * it settles and must not be read or reused before; the caller keeps every `fd` open until then.
   *
   * `maps` (one entry per op, or undefined) gives the mapping of an op's file (mapFile of a
   * descriptor of that file) or undefined: an op whose range lies within its mapping and its
   * file, and whose first and last pages the page cache holds, is copied out of the mapping,
   * fused with its checksum, instead of read (one pass over the bytes instead of a copy and a
   * re-read; a page missing in between is faulted in by the copy, as a read would fetch it). For a
   * descriptor open for reading, results and checksums are the same either way (one that cannot
   * be read, e.g. write-only, gets the bytes when they are cached and -EBADF when not); any other
   * op (a mapping of another file included) is read. The batch keeps its mappings mapped.
   */
  readBatchAsync(
    buffers: readonly ByteSource[],
    ops: Float64Array,
    results: Float64Array,
    checksums?: BigUint64Array,
    maps?: readonly (FileMap | undefined)[],
  ): Promise<void>;
  /**
   * The reads of readBatchAsync (same ops, results and checksums), on the calling thread, taking
   * only bytes the page cache already holds (Linux preadv2 with RWF_NOWAIT): an op that would
   * have to wait for storage stores -11 (EAGAIN) instead, so the call never waits on a device. Where
   * the system or the file system cannot tell, every op stores -95 (EOPNOTSUPP) and reads nothing.
   * Lets a caller serve warm reads without a thread-pool hop and send only the rest to
   * readBatchAsync. Bad arguments throw before any read.
   */
  readBatchCached(buffers: readonly ByteSource[], ops: Float64Array, results: Float64Array, checksums?: BigUint64Array): void;
  /**
   * Maps the first `byteLength` bytes of the file open as `fd` (read-only, shared: it sees the
   * file's current bytes), for readBatchAsync's `maps`. `byteLength` may exceed the file, which
   * may grow into it. Throws an Error (with a negative `errno`) when the file cannot be mapped
   * (not open, not a regular file, not open for reading, or no address space left). The mapping
   * costs address space only (its pages are the page cache's) and lives until unmapFile, or
   * until it is garbage collected.
   */
  mapFile(fd: number, byteLength: number): FileMap;
  /**
   * Unmaps now, or once the last batch holding it settles; batches started afterwards read their
   * ops instead. Repeated calls do nothing.
   */
  unmapFile(mapping: FileMap): void;
  /** XXH3-64 (seed 0) of each [bufferIndex, offset, length] range. */
  checksumBatch(buffers: readonly ByteSource[], ops: Float64Array, checksums: BigUint64Array): void;
  /** Copies pages of `pageBytes` at `pageOffsets` in `paged`, in order, into one contiguous run of `block` from `blockOffset`. */
  gather(paged: ByteSource, pageOffsets: Float64Array, pageBytes: number, block: ByteSource, blockOffset: number): void;
  /** The inverse of gather: one contiguous run of `block` from `blockOffset` into pages of `paged`. */
  scatter(block: ByteSource, blockOffset: number, paged: ByteSource, pageOffsets: Float64Array, pageBytes: number): void;
  /** Baseline for benchmarks: nanoseconds spent by a plain C memcpy loop over `blocks` blocks, `rounds` times. */
  memcpyBaseline(dst: ByteSource, src: ByteSource, blockBytes: number, blocks: number, rounds: number): number;
  /**
   * The largest power of two dividing the address of the first byte of `bytes` (0 for an empty
   * buffer without memory). Lets tests check arena alignment without exposing addresses.
   */
  alignmentOf(bytes: ByteSource): number;
  /** Does nothing: prices one crossing of the native boundary. */
  noop(): void;
}
