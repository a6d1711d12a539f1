/**
 * Reusable buffers for blocks in transit between tiers (a demotion's private copy, a promoted
 * block between its lift and its landing). A fresh large ArrayBuffer costs page faults on first
 * touch every time, which at 1 MiB blocks made staging slower than the copy itself; a spare buffer
 * is already mapped. Buffers are kept per size, up to a byte budget.
 */

/** Spare bytes kept per buffer size at most. */
const MAX_SPARE_BYTES = 64 * 2 ** 20;

/** A pool of staging buffers. */
export class StagingPool {
  private readonly spare = new Map<number, Uint8Array[]>();

  /** A buffer of `capacity` bytes (a spare one when there is one), as a view of its first `length` bytes. */
  take(length: number, capacity: number): Uint8Array {
    const buffer = this.spare.get(capacity)?.pop() ?? new Uint8Array(capacity);
    return buffer.subarray(0, length);
  }

  /** Returns a buffer from `take` (any view of it) for reuse; its bytes must no longer be needed. */
  give(view: Uint8Array): void {
    const capacity = view.buffer.byteLength;
    let list = this.spare.get(capacity);
    if (list === undefined) {
      list = [];
      this.spare.set(capacity, list);
    }
    if ((list.length + 1) * capacity <= MAX_SPARE_BYTES || list.length === 0) list.push(new Uint8Array(view.buffer));
  }
}
