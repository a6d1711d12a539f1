/** Growth of per-id typed arrays: ids arrive without a known bound, so arrays double on demand. */
import { MAX_BLOCK_ID, assertBlockId } from './policy-errors.js';

/** Starting length of per-id arrays; small, since doubling reaches any id in a few steps. */
export const INITIAL_IDS = 1024;

/** A length that covers index `id`: at least double `current`, never beyond what int32 links can address. */
export function grownLength(current: number, id: number): number {
  assertBlockId(id);
  return Math.min(Math.max(current * 2, id + 1, INITIAL_IDS), MAX_BLOCK_ID + 1);
}

/** A copy of `array` long enough to index `id`; new cells hold `fill`. */
export function growInt32(array: Int32Array, id: number, fill: number): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(grownLength(array.length, id));
  grown.set(array);
  if (fill !== 0) grown.fill(fill, array.length);
  return grown;
}

/** A copy of `array` long enough to index `id`; new cells hold 0. */
export function growUint8(array: Uint8Array, id: number): Uint8Array<ArrayBuffer> {
  const grown = new Uint8Array(grownLength(array.length, id));
  grown.set(array);
  return grown;
}

/** A copy of `array` long enough to index `id`; new cells hold 0. */
export function growFloat64(array: Float64Array, id: number): Float64Array<ArrayBuffer> {
  const grown = new Float64Array(grownLength(array.length, id));
  grown.set(array);
  return grown;
}
