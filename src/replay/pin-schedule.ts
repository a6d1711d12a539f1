/**
 * Decode-time pins in replay: a request's blocks stay pinned until its modelled decode ends, so
 * a concurrent request cannot evict them. Releases are kept in a binary min-heap by end time.
 */
import type { ControlPlane } from '../engine/control-plane.js';

/** Pins held until a virtual time, released as the clock passes it. */
export class PinSchedule {
  private endTimes: number[] = [];
  private blockLists: Int32Array[] = [];

  constructor(private readonly control: ControlPlane) {}

  /** Pins the cached blocks of `ids[start..end)` until `untilSec`. */
  hold(ids: Int32Array, start: number, end: number, untilSec: number): void {
    const held: number[] = [];
    for (let i = start; i < end; i++) {
      const id = ids[i]!;
      if (this.control.has(id)) {
        this.control.pin(id);
        held.push(id);
      }
    }
    this.push(untilSec, Int32Array.from(held));
  }

  /** Releases every hold that ends at or before `nowSec`. */
  releaseUntil(nowSec: number): void {
    while (this.endTimes.length > 0 && this.endTimes[0]! <= nowSec) {
      for (const id of this.pop()) this.control.unpin(id);
    }
  }

  private push(time: number, blocks: Int32Array): void {
    const times = this.endTimes;
    const lists = this.blockLists;
    let i = times.length;
    times.push(time);
    lists.push(blocks);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! <= time) break;
      times[i] = times[parent]!;
      lists[i] = lists[parent]!;
      i = parent;
    }
    times[i] = time;
    lists[i] = blocks;
  }

  private pop(): Int32Array {
    const times = this.endTimes;
    const lists = this.blockLists;
    const top = lists[0]!;
    const lastTime = times.pop()!;
    const lastList = lists.pop()!;
    if (times.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= times.length) break;
      const child = left + 1 < times.length && times[left + 1]! < times[left]! ? left + 1 : left;
      if (times[child]! >= lastTime) break;
      times[i] = times[child]!;
      lists[i] = lists[child]!;
      i = child;
    }
    times[i] = lastTime;
    lists[i] = lastList;
    return top;
  }
}
