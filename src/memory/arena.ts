/** A slab of fixed-size, aligned slots in native memory: the backing store of the memory tiers. */
import { invalidArgument } from '../errors.js';
import { native } from '../native.js';

/** Branded slot index, so a slot is never confused with a block id or a byte offset. */
export type SlotIndex = number & { readonly __slot: unique symbol };

const CACHE_LINE = 64;
const PAGE = 4096;

/** Geometry and zero-copy views of one arena. */
export class Arena {
  readonly slots: number;
  readonly slotBytes: number;
  /** Distance between consecutive slots: `slotBytes` rounded up to the alignment. */
  readonly strideBytes: number;
  readonly alignment: number;
  /** The native memory; held by every in-flight async copy, so it outlives them. */
  readonly buffer: ArrayBuffer;

  constructor(slots: number, slotBytes: number) {
    if (!Number.isSafeInteger(slots) || slots <= 0) throw invalidArgument('slots', 'a positive integer', slots);
    if (!Number.isSafeInteger(slotBytes) || slotBytes <= 0) {
      throw invalidArgument('slotBytes', 'a positive integer', slotBytes);
    }
    this.slots = slots;
    this.slotBytes = slotBytes;
    this.alignment = slotBytes >= PAGE ? PAGE : CACHE_LINE;
    this.strideBytes = Math.ceil(slotBytes / this.alignment) * this.alignment;
    this.buffer = native.createArena(slots * this.strideBytes, this.alignment);
  }

  /** Byte offset of a slot inside `buffer`. */
  offsetOf(slot: SlotIndex): number {
    this.check(slot);
    return slot * this.strideBytes;
  }

  /** A zero-copy view of one slot; valid as long as the arena lives. */
  view(slot: SlotIndex): Uint8Array {
    return new Uint8Array(this.buffer, this.offsetOf(slot), this.slotBytes);
  }

  private check(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.slots) {
      throw invalidArgument('slot', `an integer in [0, ${this.slots})`, slot);
    }
  }
}
