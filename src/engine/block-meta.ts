/**
 * What the engine keeps per block id besides the control plane's state: payload length, checksum,
 * and whether a prefetch brought the block up. Typed-array columns growing by doubling, so a
 * million blocks cost about 9 bytes each. Lengths take no memory while every block is full-size
 * (the usual case: only a sequence's last block can be short), the column appears with the first
 * short block.
 */
import { resized } from '../memory/resized.js';

const INITIAL_IDS = 1024;

/** Per-id length, checksum and prefetch flag. */
export class BlockMeta {
  private checksums = new BigUint64Array(INITIAL_IDS);
  private prefetchFlags = new Uint8Array(INITIAL_IDS);
  /** Lengths of short blocks, 0 meaning full-size; null while no block has been short. */
  private shortLengths: Int32Array | null = null;

  /** @param blockBytes the full block size, bytes */
  constructor(private readonly blockBytes: number) {}

  /** Records a block's payload length and checksum (a new block, or one found on recovery). */
  set(id: number, length: number, checksum: bigint): void {
    this.reserve(id);
    this.checksums[id] = checksum;
    if (length !== this.blockBytes && this.shortLengths === null) this.shortLengths = new Int32Array(this.checksums.length);
    if (this.shortLengths !== null) this.shortLengths[id] = length === this.blockBytes ? 0 : length;
  }

  lengthOf(id: number): number {
    const short = this.shortLengths?.[id] ?? 0;
    return short === 0 ? this.blockBytes : short;
  }

  checksumOf(id: number): bigint {
    return this.checksums[id]!;
  }

  /** Records that a prefetch brought the block up. */
  markPrefetched(id: number): void {
    this.reserve(id);
    this.prefetchFlags[id] = 1;
  }

  /** Clears the prefetch mark; returns whether it was set (the prefetch was used, or revoked). */
  clearPrefetched(id: number): boolean {
    if (this.prefetchFlags[id] !== 1) return false;
    this.prefetchFlags[id] = 0;
    return true;
  }

  /** Makes room for `id` in every column. */
  reserve(id: number): void {
    if (id < this.checksums.length) return;
    let size = this.checksums.length;
    while (size <= id) size *= 2;
    this.checksums = resized(this.checksums, size);
    this.prefetchFlags = resized(this.prefetchFlags, size);
    if (this.shortLengths !== null) this.shortLengths = resized(this.shortLengths, size);
  }
}
