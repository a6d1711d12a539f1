/**
 * Renumbers block ids densely (0, 1, 2… in order of first appearance). Equal ids stay equal and
 * different ids stay different, so hit ratios are unchanged, while replay can index typed arrays
 * by id. Small numeric ids (the common case: Mooncake ids are already nearly dense) go through a
 * direct table; other numbers and string ids through maps.
 */
import { ErrorCode, KvtierError } from '../errors.js';

/** Numeric ids below this use the direct table (4 bytes an entry, grown on demand: at most 64 MiB). */
const DIRECT_LIMIT = 1 << 24;
/** Dense ids must fit an Int32Array and the policies' id range. */
const MAX_DENSE = 0x7fffffff - 1;
const CANONICAL_INTEGER = /^(?:0|[1-9][0-9]{0,15})$/;

/** A dense renumbering of block ids. */
export class IdInterner {
  /** raw id → dense id + 1 (0 = not seen yet). */
  private direct = new Int32Array(0);
  private readonly numbers = new Map<number, number>();
  private readonly strings = new Map<string, number>();
  private next = 0;

  /** How many distinct ids have been seen. */
  get size(): number {
    return this.next;
  }

  /** The dense id of a numeric id (a non-negative safe integer). */
  number(id: number): number {
    if (id < DIRECT_LIMIT) {
      if (id >= this.direct.length) this.grow(id);
      const known = this.direct[id]!;
      if (known !== 0) return known - 1;
      const dense = this.allocate();
      this.direct[id] = dense + 1;
      return dense;
    }
    let dense = this.numbers.get(id);
    if (dense === undefined) {
      dense = this.allocate();
      this.numbers.set(id, dense);
    }
    return dense;
  }

  /**
   * The dense id of a string id (a hex hash, a UUID, or the digits of an integer beyond 2^53).
   * A string spelling a safe integer in canonical decimal ("42") is the same block as that number.
   */
  string(id: string): number {
    if (CANONICAL_INTEGER.test(id)) {
      const value = Number(id);
      if (Number.isSafeInteger(value)) return this.number(value);
    }
    let dense = this.strings.get(id);
    if (dense === undefined) {
      dense = this.allocate();
      this.strings.set(id, dense);
    }
    return dense;
  }

  private allocate(): number {
    if (this.next > MAX_DENSE) {
      throw new KvtierError(ErrorCode.INVALID_ARGUMENT, `a trace may hold at most ${MAX_DENSE + 1} distinct block ids`);
    }
    return this.next++;
  }

  private grow(id: number): void {
    let length = Math.max(1024, this.direct.length * 2);
    while (length <= id) length *= 2;
    const bigger = new Int32Array(Math.min(length, DIRECT_LIMIT));
    bigger.set(this.direct);
    this.direct = bigger;
  }
}
