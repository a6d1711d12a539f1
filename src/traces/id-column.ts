/**
 * The block-id column of a trace being loaded: one Int32Array grown by doubling, so the byte-level
 * scanners write each line's dense ids straight into their final place (no per-line buffer, no
 * chunk list to concatenate at the end).
 */
import { ErrorCode, KvtierError } from '../errors.js';

/** At most this many block references fit one column (offsets into it are Uint32). */
export const MAX_BLOCK_REFS = 0xffffffff;
const INITIAL_LENGTH = 4096;

/** Committed ids are `array[0 .. length)`; a writer fills past `length`, then commits. */
export class IdColumn {
  /** The storage; replaced (contents kept) when it grows, so re-read it after `reserve`. */
  array = new Int32Array(INITIAL_LENGTH);
  /** Committed ids. */
  length = 0;

  /** @param file the trace file, named in errors */
  constructor(private readonly file: string) {}

  /** Makes room for `count` ids past `length`; returns the (possibly new) array. */
  reserve(count: number): Int32Array {
    const needed = this.length + count;
    if (needed <= this.array.length) return this.array;
    if (needed > MAX_BLOCK_REFS) {
      throw new KvtierError(ErrorCode.INVALID_ARGUMENT, `${this.file}: more than ${MAX_BLOCK_REFS} block references do not fit one loaded trace`);
    }
    let size = this.array.length * 2;
    while (size < needed) size *= 2;
    return this.resize(Math.min(size, MAX_BLOCK_REFS));
  }

  /** Grows the storage to exactly `total` ids when it is smaller (a loader that can estimate its file's ids). */
  presize(total: number): void {
    if (total > this.array.length) this.resize(Math.min(total, MAX_BLOCK_REFS));
  }

  private resize(size: number): Int32Array {
    // Copy everything written past `length` too: a writer may be part-way through a line.
    const bigger = new Int32Array(size);
    bigger.set(this.array);
    this.array = bigger;
    return bigger;
  }

  /** Appends a copy of the first `count` elements of `ids`. */
  append(ids: ArrayLike<number>, count: number): void {
    const array = this.reserve(count);
    const at = this.length;
    if (count > 64 && ids instanceof Int32Array) array.set(ids.subarray(0, count), at);
    else for (let k = 0; k < count; k++) array[at + k] = ids[k]!;
    this.length = at + count;
  }

  /** Commits `count` ids a writer has put at `array[length ..]`. */
  commit(count: number): void {
    if (this.length + count > this.array.length) throw new RangeError(`${count} ids were not written: the column has room for ${this.array.length - this.length}`);
    this.length += count;
  }
}
