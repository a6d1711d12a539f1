/**
 * The memory tiers (`hbm`, `ddr`, `cxl`): blocks live in slots of native arenas, copied in and out
 * by the addon. The arena grows chunk by chunk as the tier fills, so a tier configured with the
 * capacity of an 80 GB HBM or a 512 GB DDR socket costs nothing until it is used: the engine runs
 * the real data path on real bytes while the device model supplies the *time*. The per-block
 * bookkeeping lives in typed arrays indexed by slot (SlotRecords), about 30 bytes a block.
 */
import { invalidConfig, ioError } from '../errors.js';
import type { DeviceModel } from '../hardware/device.js';
import { defaultTierHardware } from '../hardware/presets.js';
import { Arena, type SlotIndex } from '../memory/arena.js';
import { native, type ByteSource } from '../native.js';
import { SlotRecords } from './slot-records.js';
import { emptyIoStats, type BlockKey, type BlockRecord, type MemoryTier, type TierIoStats } from './tier.js';
import {
  assertBlockKey,
  assertDst,
  assertDstFits,
  assertGeometry,
  assertWritable,
  closedError,
  tierFullError,
} from './validate.js';

/** Options of a memory tier. */
export interface MemoryTierOptions {
  /** Tier name; also selects the default device (hbm, ddr, cxl). @default 'ddr' */
  name?: string;
  /** Most blocks the tier holds. */
  capacityBlocks: number;
  /** Largest payload, bytes; every slot has this size. */
  blockBytes: number;
  /** Device model that times this tier. @default the preset of `name` (see defaultTierHardware) */
  device?: DeviceModel;
  /**
   * Arena bytes allocated at a time as the tier fills (rounded to whole slots, at least one).
   * Smaller chunks track use more closely; larger ones mean fewer arenas. @default 67108864 (64 MiB)
   */
  chunkBytes?: number;
  /**
   * Copies of at least this many bytes run on the libuv thread pool instead of the JS thread, so
   * one huge block (a 160 MiB Llama-70B block) does not stall the event loop; smaller copies are
   * cheaper inline than the thread hop. @default 4194304 (4 MiB)
   */
  asyncCopyMinBytes?: number;
}

/** A write whose asynchronous copy is in flight; a later write or delete of the key supersedes it. */
interface PendingWrite {
  superseded: boolean;
}

const DEFAULT_CHUNK_BYTES = 64 * 2 ** 20;
const DEFAULT_ASYNC_COPY_MIN_BYTES = 4 * 2 ** 20;

/** A memory tier over native arenas: zero-copy views, batched-addon copies, lazy chunked allocation. */
export class ArenaTier implements MemoryTier {
  readonly kind = 'memory' as const;
  readonly name: string;
  readonly blockBytes: number;
  readonly capacityBlocks: number;
  readonly device: DeviceModel;
  /** Slots per arena chunk. */
  readonly slotsPerChunk: number;

  private readonly asyncCopyMinBytes: number;
  private readonly chunks: Arena[] = [];
  /** A stack of recycled slots (most recent on top); it only grows as large as the most slots ever free at once. */
  private freeSlots = new Int32Array(0);
  private freeCount = 0;
  private nextFreshSlot = 0;
  /** Records of every slot in use and the index of published keys; pending writes are stored but unpublished. */
  private readonly records: SlotRecords;
  private readonly pending = new Map<BlockKey, PendingWrite>();
  /** In-flight asynchronous reads per slot; such a slot is recycled only once they finish. */
  private readonly readers = new Map<number, number>();
  private readonly recycleAfterRead = new Set<number>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly io: TierIoStats = emptyIoStats();
  private readonly syncOps = new Float64Array(5);
  private closed = false;

  constructor(options: MemoryTierOptions) {
    assertGeometry(options.capacityBlocks, options.blockBytes);
    this.name = options.name ?? 'ddr';
    this.capacityBlocks = options.capacityBlocks;
    this.blockBytes = options.blockBytes;
    this.device = options.device ?? defaultTierHardware(this.name).device;
    const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0) {
      throw invalidConfig('chunkBytes', 'a positive integer', chunkBytes);
    }
    const asyncMin = options.asyncCopyMinBytes ?? DEFAULT_ASYNC_COPY_MIN_BYTES;
    if (!Number.isSafeInteger(asyncMin) || asyncMin < 0) {
      throw invalidConfig('asyncCopyMinBytes', 'a non-negative integer', asyncMin);
    }
    this.asyncCopyMinBytes = asyncMin;
    this.slotsPerChunk = Math.min(this.capacityBlocks, Math.max(1, Math.floor(chunkBytes / this.blockBytes)));
    this.records = new SlotRecords(this.capacityBlocks, this.blockBytes);
  }

  /** Blocks currently stored. */
  get blockCount(): number {
    return this.records.size;
  }

  /** Arena bytes allocated so far (grows by one chunk at a time, never shrinks before close). */
  get allocatedBytes(): number {
    let total = 0;
    for (const arena of this.chunks) total += arena.buffer.byteLength;
    return total;
  }

  async write(record: BlockRecord, bytes: Uint8Array): Promise<void> {
    this.assertOpen();
    assertWritable(record, bytes, this.blockBytes);
    const started = performance.now();
    const key = record.key;
    const slot = this.allocateSlot();
    if (slot < 0) {
      this.rewriteInPlace(record, bytes);
    } else if (record.length < this.asyncCopyMinBytes) {
      const [arena, offset] = this.slotTarget(slot);
      try {
        this.copySync(bytes, 0, arena, offset, record.length);
        this.records.store(slot, record);
      } catch (cause) {
        this.recycle(slot);
        throw cause;
      }
      this.supersedePending(key);
      this.publish(slot);
    } else {
      await this.writeAsync(record, bytes, slot);
    }
    this.io.writes++;
    this.io.bytesWritten += record.length;
    this.io.wallMs += performance.now() - started;
  }

  async read(key: BlockKey, dst: Uint8Array): Promise<BlockRecord | null> {
    this.assertOpen();
    assertBlockKey(key);
    assertDst(dst);
    const slot = this.records.find(key);
    if (slot < 0) return null;
    // Built now: a write or delete of the key while an asynchronous copy runs must not change what this read returns.
    const record = this.records.recordOf(slot, key);
    assertDstFits(dst, record.length);
    const started = performance.now();
    const [arena, offset] = this.slotTarget(slot);
    if (record.length < this.asyncCopyMinBytes) {
      this.copySync(arena, offset, dst, 0, record.length);
    } else {
      this.readers.set(slot, (this.readers.get(slot) ?? 0) + 1);
      try {
        await this.track(native.copyBatchAsync([arena, dst], new Float64Array([0, offset, 1, 0, record.length])));
      } finally {
        this.endRead(slot);
      }
    }
    this.io.reads++;
    this.io.bytesRead += record.length;
    this.io.wallMs += performance.now() - started;
    return record;
  }

  /** A zero-copy view of a stored payload, valid until the block is deleted or overwritten. */
  view(key: BlockKey): Uint8Array | null {
    this.assertOpen();
    assertBlockKey(key);
    const slot = this.records.find(key);
    if (slot < 0) return null;
    const [arena, offset] = this.slotTarget(slot);
    return new Uint8Array(arena, offset, this.records.lengthOf(slot));
  }

  has(key: BlockKey): boolean {
    this.assertOpen();
    assertBlockKey(key);
    return this.records.find(key) >= 0;
  }

  async delete(key: BlockKey): Promise<void> {
    this.assertOpen();
    assertBlockKey(key);
    this.supersedePending(key);
    const slot = this.records.remove(key);
    if (slot < 0) return;
    this.recycle(slot);
    this.io.deletes++;
  }

  /** Memory is not durable: after a restart a memory tier is empty, so there is nothing to recover. */
  async *scan(): AsyncIterable<BlockRecord> {
    this.assertOpen();
  }

  /** Waits for in-flight copies; memory has nothing to make durable. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }

  /** Waits for in-flight copies, then drops every block and releases the arenas. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inflight]);
    this.records.clear();
    this.pending.clear();
    this.chunks.length = 0;
    this.freeSlots = new Int32Array(0);
    this.freeCount = 0;
  }

  stats(): TierIoStats {
    return { ...this.io };
  }

  private async writeAsync(record: BlockRecord, bytes: Uint8Array, slot: number): Promise<void> {
    const key = record.key;
    const [arena, offset] = this.slotTarget(slot);
    try {
      // The slot is this write's alone until published or recycled, so its record can be stored now.
      this.records.store(slot, record);
    } catch (cause) {
      this.recycle(slot);
      throw cause;
    }
    const ticket: PendingWrite = { superseded: false };
    this.supersedePending(key);
    this.pending.set(key, ticket);
    try {
      await this.track(native.copyBatchAsync([bytes, arena], new Float64Array([0, 0, 1, offset, record.length])));
    } catch (cause) {
      if (this.pending.get(key) === ticket) this.pending.delete(key);
      this.recycle(slot);
      throw ioError(`tier \`${this.name}\`: copy of block ${key} failed`, cause);
    }
    if (this.pending.get(key) === ticket) this.pending.delete(key);
    // Publish only now that every byte is in place; a newer write or a delete issued meanwhile wins.
    if (ticket.superseded || this.closed) this.recycle(slot);
    else this.publish(slot);
  }

  /** The tier is full but the key is already stored: rewrite its slot (keys name content, so normally same bytes). */
  private rewriteInPlace(record: BlockRecord, bytes: Uint8Array): void {
    const slot = this.records.find(record.key);
    if (slot < 0 || this.readers.has(slot) || this.pending.has(record.key)) {
      throw tierFullError(this.name, this.capacityBlocks);
    }
    const [arena, offset] = this.slotTarget(slot);
    const sameBytes = bytes.buffer === arena && bytes.byteOffset === offset;
    if (!sameBytes) this.copySync(bytes, 0, arena, offset, record.length);
    this.records.store(slot, record);
  }

  /** Makes the record stored in `slot` visible; the slot that held the key before is recycled. */
  private publish(slot: number): void {
    const previous = this.records.publish(slot);
    if (previous >= 0) this.recycle(previous);
  }

  private supersedePending(key: BlockKey): void {
    const pending = this.pending.get(key);
    if (pending) {
      pending.superseded = true;
      this.pending.delete(key);
    }
  }

  /** A free slot (recycled first, to keep touched memory compact), allocating a chunk if needed; -1 when full. */
  private allocateSlot(): number {
    if (this.freeCount > 0) return this.freeSlots[--this.freeCount]!;
    if (this.nextFreshSlot >= this.capacityBlocks) return -1;
    const slot = this.nextFreshSlot;
    const chunk = Math.floor(slot / this.slotsPerChunk);
    if (chunk === this.chunks.length) {
      const slots = Math.min(this.slotsPerChunk, this.capacityBlocks - chunk * this.slotsPerChunk);
      try {
        this.chunks.push(new Arena(slots, this.blockBytes));
      } catch (cause) {
        throw ioError(`tier \`${this.name}\`: cannot allocate an arena chunk of ${slots} slots`, cause);
      }
    }
    this.nextFreshSlot++;
    return slot;
  }

  private recycle(slot: number): void {
    if (this.readers.has(slot)) this.recycleAfterRead.add(slot);
    else this.pushFree(slot);
  }

  private pushFree(slot: number): void {
    if (this.freeCount === this.freeSlots.length) {
      // Distinct slots only, so the stack never needs more than capacityBlocks entries.
      const grown = new Int32Array(Math.min(this.capacityBlocks, Math.max(16, this.freeSlots.length * 2)));
      grown.set(this.freeSlots);
      this.freeSlots = grown;
    }
    this.freeSlots[this.freeCount++] = slot;
  }

  private endRead(slot: number): void {
    const left = (this.readers.get(slot) ?? 1) - 1;
    if (left > 0) {
      this.readers.set(slot, left);
      return;
    }
    this.readers.delete(slot);
    if (this.recycleAfterRead.delete(slot)) this.pushFree(slot);
  }

  /** The arena buffer and byte offset of a slot. */
  private slotTarget(slot: number): [ArrayBuffer, number] {
    const arena = this.chunks[Math.floor(slot / this.slotsPerChunk)]!;
    return [arena.buffer, arena.offsetOf((slot % this.slotsPerChunk) as SlotIndex)];
  }

  private copySync(src: ByteSource, srcOffset: number, dst: ByteSource, dstOffset: number, length: number): void {
    const ops = this.syncOps;
    ops[0] = 0;
    ops[1] = srcOffset;
    ops[2] = 1;
    ops[3] = dstOffset;
    ops[4] = length;
    native.copyBatch([src, dst], ops);
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inflight.add(promise);
    const forget = () => this.inflight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  private assertOpen(): void {
    if (this.closed) throw closedError(this.name);
  }
}
