/** Deterministic block keys and payload bytes for tests, and a byte-exact comparison. */
import type { BlockKey } from '../../src/tiers/tier.js';

/** A deterministic, well-spread block key for `i` (32 lowercase hex characters). */
export function keyOf(i: number): BlockKey {
  let h = BigInt(i) * 0x9e3779b97f4a7c15n + 0x632be59bd9b4e019n;
  let out = '';
  for (let word = 0; word < 2; word++) {
    h = (h ^ (h >> 31n)) * 0xbf58476d1ce4e5b9n;
    h &= (1n << 64n) - 1n;
    out += h.toString(16).padStart(16, '0');
  }
  return out;
}

/** `length` pseudo-random bytes from xorshift32 started at `state` (a zero state is replaced by 1, which xorshift needs). */
export function xorshiftBytes(length: number, state: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = state >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Byte-exact comparison that stays fast and readable on large buffers (toEqual walks element by element). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
