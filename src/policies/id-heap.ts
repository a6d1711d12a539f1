/**
 * An indexed binary min-heap over block ids, ordered by two numeric keys per id (primary, then
 * secondary): the O(log n) ordering behind the prefix-aware LRU (leaves by last reference) and
 * OPT (blocks by next use). Typed arrays only; no allocation once grown.
 */
import { assertBlockId } from './policy-errors.js';
import { INITIAL_IDS, growFloat64, growInt32 } from './typed-arrays.js';

/** Min-heap of ids; callers give every id a distinct (primary, secondary) pair so the order is total. */
export class IdHeap {
  /** Heap slots → id. */
  private slots = new Int32Array(INITIAL_IDS);
  /** Per id: its slot, or -1 when not in the heap. */
  private slotOf = new Int32Array(INITIAL_IDS).fill(-1);
  private primary = new Float64Array(INITIAL_IDS);
  private secondary = new Float64Array(INITIAL_IDS);
  /** Ids popped while looking for an acceptable one, pushed back afterwards. */
  private stash = new Int32Array(64);
  private count = 0;

  /** Number of ids in the heap. */
  get size(): number {
    return this.count;
  }

  /** Whether `id` is in the heap. */
  has(id: number): boolean {
    return (id >>> 0) === id && id < this.slotOf.length && this.slotOf[id]! >= 0;
  }

  /** The primary key `id` was last given (meaningful only while it is in the heap). */
  primaryOf(id: number): number {
    return this.primary[id]!;
  }

  /** Adds `id` (not in the heap) with its keys. */
  push(id: number, primary: number, secondary: number): void {
    assertBlockId(id);
    if (id >= this.slotOf.length) this.growIds(id);
    if (this.count === this.slots.length) this.slots = growInt32(this.slots, this.count, 0);
    this.primary[id] = primary;
    this.secondary[id] = secondary;
    const slot = this.count++;
    this.slots[slot] = id;
    this.slotOf[id] = slot;
    this.siftUp(slot);
  }

  /** Gives `id` (in the heap) new keys and restores the order. */
  update(id: number, primary: number, secondary: number): void {
    this.primary[id] = primary;
    this.secondary[id] = secondary;
    const slot = this.slotOf[id]!;
    this.siftUp(slot);
    this.siftDown(this.slotOf[id]!);
  }

  /** Takes `id` out of the heap; a no-op when it is not in it. */
  delete(id: number): void {
    if (!this.has(id)) return;
    const slot = this.slotOf[id]!;
    this.slotOf[id] = -1;
    const last = --this.count;
    if (slot === last) return;
    const moved = this.slots[last]!;
    this.slots[slot] = moved;
    this.slotOf[moved] = slot;
    this.siftUp(slot);
    this.siftDown(this.slotOf[moved]!);
  }

  /**
   * Removes and returns the smallest id that `accept` approves, or -1. Rejected ids are popped
   * and pushed back with their keys unchanged, so their order is unaffected: O(k log n) for k
   * rejections.
   */
  takeFirst(accept: (id: number) => boolean): number {
    return this.first(accept, true);
  }

  /** The smallest id that `accept` approves, or -1, leaving the heap as it was. */
  findFirst(accept: (id: number) => boolean): number {
    return this.first(accept, false);
  }

  private first(accept: (id: number) => boolean, take: boolean): number {
    let rejected = 0;
    let found = -1;
    while (this.count > 0) {
      const id = this.slots[0]!;
      this.delete(id);
      if (accept(id)) {
        found = id;
        break;
      }
      if (rejected === this.stash.length) this.stash = growInt32(this.stash, rejected, 0);
      this.stash[rejected++] = id;
    }
    for (let i = 0; i < rejected; i++) {
      const id = this.stash[i]!;
      this.push(id, this.primary[id]!, this.secondary[id]!);
    }
    if (found !== -1 && !take) this.push(found, this.primary[found]!, this.secondary[found]!);
    return found;
  }

  private less(a: number, b: number): boolean {
    const pa = this.primary[a]!;
    const pb = this.primary[b]!;
    return pa < pb || (pa === pb && this.secondary[a]! < this.secondary[b]!);
  }

  private siftUp(start: number): void {
    const slots = this.slots;
    let slot = start;
    const id = slots[slot]!;
    while (slot > 0) {
      const parentSlot = (slot - 1) >> 1;
      const parent = slots[parentSlot]!;
      if (!this.less(id, parent)) break;
      slots[slot] = parent;
      this.slotOf[parent] = slot;
      slot = parentSlot;
    }
    slots[slot] = id;
    this.slotOf[id] = slot;
  }

  private siftDown(start: number): void {
    const slots = this.slots;
    const count = this.count;
    let slot = start;
    const id = slots[slot]!;
    for (;;) {
      const left = 2 * slot + 1;
      if (left >= count) break;
      const right = left + 1;
      let child = left;
      if (right < count && this.less(slots[right]!, slots[left]!)) child = right;
      const childId = slots[child]!;
      if (!this.less(childId, id)) break;
      slots[slot] = childId;
      this.slotOf[childId] = slot;
      slot = child;
    }
    slots[slot] = id;
    this.slotOf[id] = slot;
  }

  private growIds(id: number): void {
    this.slotOf = growInt32(this.slotOf, id, -1);
    this.primary = growFloat64(this.primary, id);
    this.secondary = growFloat64(this.secondary, id);
  }
}
