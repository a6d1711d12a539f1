/** Collects block copies into one native call, so call overhead is paid per batch, not per block. */
import { invalidArgument } from '../errors.js';
import { native, type ByteSource } from '../native.js';

const OP_WIDTH = 5;

/** A batch of (source range → destination range) copies over any number of buffers. */
export class CopyBatch {
  private readonly buffers: ByteSource[] = [];
  private readonly indexOf = new Map<ByteSource, number>();
  private ops: Float64Array;
  private count = 0;

  constructor(expectedOps = 16) {
    this.ops = new Float64Array(Math.max(1, expectedOps) * OP_WIDTH);
  }

  /** Number of copies queued. */
  get size(): number {
    return this.count;
  }

  /** Queues one copy of `length` bytes. Validation of ranges happens (all at once) when the batch runs. */
  add(src: ByteSource, srcOffset: number, dst: ByteSource, dstOffset: number, length: number): this {
    if (!Number.isSafeInteger(length) || length < 0) throw invalidArgument('length', 'a non-negative integer', length);
    if ((this.count + 1) * OP_WIDTH > this.ops.length) {
      const grown = new Float64Array(this.ops.length * 2);
      grown.set(this.ops);
      this.ops = grown;
    }
    const row = this.count * OP_WIDTH;
    this.ops[row] = this.slotOf(src);
    this.ops[row + 1] = srcOffset;
    this.ops[row + 2] = this.slotOf(dst);
    this.ops[row + 3] = dstOffset;
    this.ops[row + 4] = length;
    this.count++;
    return this;
  }

  /** Runs every copy on this thread; with `checksums`, also returns the XXH3-64 of each copied block. */
  run(checksums?: BigUint64Array): void {
    native.copyBatch(this.buffers, this.ops.subarray(0, this.count * OP_WIDTH), checksums);
  }

  /**
   * Runs every copy on the thread pool; the buffers stay alive until the promise settles. The
   * ops are read before this returns: ops added afterwards belong to the next run only.
   */
  runAsync(checksums?: BigUint64Array): Promise<void> {
    return native.copyBatchAsync(this.buffers, this.ops.subarray(0, this.count * OP_WIDTH), checksums);
  }

  private slotOf(buffer: ByteSource): number {
    let index = this.indexOf.get(buffer);
    if (index === undefined) {
      index = this.buffers.length;
      this.buffers.push(buffer);
      this.indexOf.set(buffer, index);
    }
    return index;
  }
}

// Reused by checksum(): a fresh typed array this small lives in V8's heap and would be moved
// out of it on every call (about half a microsecond each).
const checksumOp = new Float64Array(3);
const checksumOut = new BigUint64Array(1);

/** XXH3-64 (seed 0) of a byte range, computed natively. */
export function checksum(bytes: ArrayBufferView): bigint {
  checksumOp[2] = bytes.byteLength;
  native.checksumBatch([bytes], checksumOp, checksumOut);
  return checksumOut[0]!;
}
