/** The native surface re-implemented in plain TypeScript: the oracle the addon is tested against. */
import { types } from 'node:util';
import type { ByteSource, NativeAddon } from './native.js';

// Everything here mirrors native/*.cc rule for rule: the same validation order, the same error
// types and the same message text, so a test can compare the two implementations on any input,
// including bad input. Speed is not a goal; being obviously correct is.

const COPY_OP_WIDTH = 5;
const CHECKSUM_OP_WIDTH = 3;
const MMAP_THRESHOLD = 1 << 20;
/** V8 aligns every ArrayBuffer's memory at least this much (Float64Array needs it). */
const GUARANTEED_ALIGNMENT = 8;

// ---- XXH64 on unsigned 64-bit integers held as two 32-bit halves (no BigInt on the hot path) ----

/** A mutable unsigned 64-bit integer; every operation wraps modulo 2^64 like C's uint64_t. */
class U64 {
  constructor(
    public hi = 0,
    public lo = 0,
  ) {}

  set(hi: number, lo: number): this {
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
    return this;
  }

  copy(other: U64): this {
    return this.set(other.hi, other.lo);
  }

  add(other: U64): this {
    const lo = this.lo + other.lo;
    return this.set(this.hi + other.hi + (lo > 0xffffffff ? 1 : 0), lo);
  }

  mul(other: U64): this {
    // The low 32×32 product needs all 64 bits: split into 16-bit limbs so every partial
    // product stays exact in a double. The cross terms only matter modulo 2^32 (Math.imul).
    const a0 = this.lo & 0xffff;
    const a1 = this.lo >>> 16;
    const b0 = other.lo & 0xffff;
    const b1 = other.lo >>> 16;
    const mid = a0 * b1 + a1 * b0;
    const low = a0 * b0 + (mid % 0x10000) * 0x10000;
    const high =
      a1 * b1 + Math.floor(mid / 0x10000) + Math.floor(low / 0x100000000) + Math.imul(this.hi, other.lo) +
      Math.imul(this.lo, other.hi);
    return this.set(high, low);
  }

  /** Rotate left by 1..31 bits (all XXH64 needs). */
  rotl(bits: number): this {
    return this.set((this.hi << bits) | (this.lo >>> (32 - bits)), (this.lo << bits) | (this.hi >>> (32 - bits)));
  }

  xor(other: U64): this {
    return this.set(this.hi ^ other.hi, this.lo ^ other.lo);
  }

  /** this ^= this >> bits, for 29 ≤ bits ≤ 33 (the avalanche shifts). */
  xorShiftRight(bits: number): this {
    const shifted =
      bits >= 32 ? [0, this.hi >>> (bits - 32)] : [this.hi >>> bits, (this.lo >>> bits) | (this.hi << (32 - bits))];
    return this.set(this.hi ^ shifted[0]!, this.lo ^ shifted[1]!);
  }

  toBigInt(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }
}

const P1 = new U64(0x9e3779b1, 0x85ebca87);
const P2 = new U64(0xc2b2ae3d, 0x27d4eb4f);
const P3 = new U64(0x165667b1, 0x9e3779f9);
const P4 = new U64(0x85ebca77, 0xc2b2ae63);
const P5 = new U64(0x27d4eb2f, 0x165667c5);

const scratch = new U64();
const word = new U64();

/** acc = rotl(acc + input × P2, 31) × P1 */
function round(acc: U64, input: U64): U64 {
  return acc.add(scratch.copy(input).mul(P2)).rotl(31).mul(P1);
}

function mergeRound(h: U64, lane: U64): U64 {
  const k = round(new U64(), lane);
  return h.xor(k).mul(P1).add(P4);
}

function read64(view: DataView, at: number, into: U64): U64 {
  return into.set(view.getUint32(at + 4, true), view.getUint32(at, true));
}

/** XXH64 with seed 0 of `bytes`, from the published specification. */
export function xxh64(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = bytes.byteLength;
  let p = 0;
  let h: U64;
  if (length >= 32) {
    // seed 0: v1 = P1 + P2, v2 = P2, v3 = 0, v4 = -P1 (mod 2^64)
    const v1 = new U64().copy(P1).add(P2);
    const v2 = new U64().copy(P2);
    const v3 = new U64();
    const v4 = new U64().copy(P1).xor(new U64(0xffffffff, 0xffffffff)).add(new U64(0, 1));
    for (; p + 32 <= length; p += 32) {
      round(v1, read64(view, p, word));
      round(v2, read64(view, p + 8, word));
      round(v3, read64(view, p + 16, word));
      round(v4, read64(view, p + 24, word));
    }
    h = new U64().copy(v1).rotl(1);
    h.add(new U64().copy(v2).rotl(7)).add(new U64().copy(v3).rotl(12)).add(new U64().copy(v4).rotl(18));
    for (const lane of [v1, v2, v3, v4]) mergeRound(h, lane);
  } else {
    h = new U64().copy(P5);
  }
  h.add(new U64(Math.floor(length / 0x100000000), length));
  for (; p + 8 <= length; p += 8) {
    h.xor(round(new U64(), read64(view, p, word)));
    h.rotl(27).mul(P1).add(P4);
  }
  if (p + 4 <= length) {
    h.xor(new U64(0, view.getUint32(p, true)).mul(P1));
    h.rotl(23).mul(P2).add(P3);
    p += 4;
  }
  for (; p < length; p++) {
    h.xor(new U64(0, bytes[p]!).mul(P5));
    h.rotl(11).mul(P1);
  }
  h.xorShiftRight(33).mul(P2).xorShiftRight(29).mul(P3).xorShiftRight(32);
  return h.toBigInt();
}

// ---- argument checks, in the native code's order and words (see native/common.h) ----

/** The bytes of one argument, plus what overlap detection needs: the memory they live in. */
interface Span {
  bytes: Uint8Array;
  memory: ArrayBufferLike | null;
}

/** The "got V" part of a message, as native/common.h's Describe renders it. */
function describe(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'boolean':
    case 'number':
      return String(value);
    case 'string':
      return 'a string';
    case 'symbol':
      return 'a symbol';
    case 'bigint':
      return 'a bigint';
    case 'function':
      return 'a function';
  }
  if (value === null) return 'null';
  if (types.isArrayBuffer(value)) return `an ArrayBuffer of ${value.byteLength} bytes`;
  if (types.isTypedArray(value)) {
    const name = Object.prototype.toString.call(value).slice(8, -1);
    return `${name.startsWith('I') ? 'an' : 'a'} ${name} of ${value.byteLength} bytes`;
  }
  if (types.isDataView(value)) return `a DataView of ${value.byteLength} bytes`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return 'an object';
}

function spanOf(value: unknown, name: string): Span {
  if (types.isArrayBuffer(value)) {
    return value.byteLength === 0 ? empty() : { bytes: new Uint8Array(value), memory: value };
  }
  if (types.isTypedArray(value) || types.isDataView(value)) {
    const view = value as ArrayBufferView;
    // A view of a detached buffer has byteLength 0 and cannot be re-wrapped: it reads as empty.
    if (view.byteLength === 0) return empty();
    return { bytes: new Uint8Array(view.buffer, view.byteOffset, view.byteLength), memory: view.buffer };
  }
  throw new TypeError(`expected an ArrayBuffer, TypedArray or DataView for \`${name}\`, got ${describe(value)}`);
}

function empty(): Span {
  return { bytes: new Uint8Array(0), memory: null };
}

function isSize(value: number): boolean {
  return value >= 0 && value <= Number.MAX_SAFE_INTEGER && Number.isInteger(value);
}

/** Exact for any safe integer (JS bit operators would truncate to 32 bits). */
function isPowerOfTwo(value: number): boolean {
  let n = value;
  while (n > 1 && n % 2 === 0) n /= 2;
  return n === 1;
}

function notSize(label: string, value: number): RangeError {
  return new RangeError(`expected a non-negative integer for ${label}, got ${String(value)}`);
}

function sizeArg(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`expected a number for \`${name}\`, got ${describe(value)}`);
  if (!isSize(value)) throw notSize(`\`${name}\``, value);
  return value;
}

function sizeAt(value: number, name: string, op: number): number {
  if (!isSize(value)) throw notSize(`\`${name}\` of op ${op}`, value);
  return value;
}

function float64Arg(value: unknown, name: string): Float64Array {
  if (!types.isFloat64Array(value)) {
    throw new TypeError(`expected a Float64Array for \`${name}\`, got ${describe(value)}`);
  }
  return value;
}

function spansOf(value: unknown): Span[] {
  if (!Array.isArray(value)) {
    throw new TypeError(`expected an array of ArrayBuffers/TypedArrays for \`buffers\`, got ${describe(value)}`);
  }
  // Every element is read before any is checked, as natively (where that keeps user getters
  // from running once raw pointers are taken).
  const values: unknown[] = [];
  for (let i = 0; i < value.length; i++) values.push(value[i]);
  return values.map((buffer, i) => spanOf(buffer, `buffers[${i}]`));
}

function spanAt(spans: readonly Span[], value: number, name: string, op: number): Span {
  const index = sizeAt(value, name, op);
  if (index >= spans.length) {
    throw new RangeError(`\`${name}\` of op ${op} is ${index} but only ${spans.length} buffers were given`);
  }
  return spans[index]!;
}

function checkRange(span: Span, offset: number, length: number, what: string, op: number): void {
  if (offset > span.bytes.length || length > span.bytes.length - offset) {
    throw new RangeError(
      `${what} [${offset}, ${offset + length}) of op ${op} is outside its buffer of ${span.bytes.length} bytes`,
    );
  }
}

/** Whether two ranges share a byte: only possible inside the same memory. */
function overlaps(a: Span, aOffset: number, aLength: number, b: Span, bOffset: number, bLength: number): boolean {
  if (aLength === 0 || bLength === 0 || a.memory === null || a.memory !== b.memory) return false;
  const aStart = a.bytes.byteOffset + aOffset;
  const bStart = b.bytes.byteOffset + bOffset;
  return aStart < bStart + bLength && bStart < aStart + aLength;
}

interface CopyOp {
  src: Uint8Array;
  dst: Uint8Array;
}

function parseCopyOps(spans: readonly Span[], ops: Float64Array): CopyOp[] {
  if (ops.length % COPY_OP_WIDTH !== 0) {
    const layout = '5 numbers per op (srcIndex, srcOffset, dstIndex, dstOffset, length)';
    throw new RangeError(`expected \`ops\` to hold ${layout}, got ${ops.length} numbers`);
  }
  const parsed: CopyOp[] = [];
  for (let op = 0; op < ops.length / COPY_OP_WIDTH; op++) {
    const row = op * COPY_OP_WIDTH;
    const src = spanAt(spans, ops[row]!, 'srcIndex', op);
    const srcOffset = sizeAt(ops[row + 1]!, 'srcOffset', op);
    const dst = spanAt(spans, ops[row + 2]!, 'dstIndex', op);
    const dstOffset = sizeAt(ops[row + 3]!, 'dstOffset', op);
    const length = sizeAt(ops[row + 4]!, 'length', op);
    checkRange(src, srcOffset, length, 'source range', op);
    checkRange(dst, dstOffset, length, 'destination range', op);
    if (overlaps(src, srcOffset, length, dst, dstOffset, length)) {
      throw new RangeError(`source and destination of op ${op} overlap`);
    }
    parsed.push({
      src: src.bytes.subarray(srcOffset, srcOffset + length),
      dst: dst.bytes.subarray(dstOffset, dstOffset + length),
    });
  }
  return parsed;
}

function checksumOut(value: unknown, count: number): BigUint64Array {
  if (!types.isBigUint64Array(value)) {
    throw new TypeError(`expected a BigUint64Array for \`checksums\`, got ${describe(value)}`);
  }
  const out = value;
  if (out.length < count) {
    throw new RangeError(`\`checksums\` holds ${out.length} entries but the batch has ${count} ops`);
  }
  return out;
}

function runCopies(ops: readonly CopyOp[], checksums: BigUint64Array | undefined): void {
  ops.forEach((op, i) => {
    op.dst.set(op.src);
    if (checksums) checksums[i] = xxh64(op.dst);
  });
}

interface PagedCopy {
  pages: Uint8Array[];
  contiguous: Uint8Array;
}

function parsePaged(
  pagedArg: unknown,
  offsetsArg: unknown,
  pageBytesArg: unknown,
  blockArg: unknown,
  blockOffsetArg: unknown,
): PagedCopy {
  const paged = spanOf(pagedArg, 'paged');
  const offsets = float64Arg(offsetsArg, 'pageOffsets');
  const pageBytes = sizeArg(pageBytesArg, 'pageBytes');
  const block = spanOf(blockArg, 'block');
  const blockOffset = sizeArg(blockOffsetArg, 'blockOffset');
  const count = offsets.length;
  const blockLength = block.bytes.length;
  if (blockOffset > blockLength || (pageBytes !== 0 && count > Math.floor((blockLength - blockOffset) / pageBytes))) {
    throw new RangeError(
      `\`block\` needs ${count} pages of ${pageBytes} bytes from offset ${blockOffset} but holds ${blockLength} bytes`,
    );
  }
  const pages: Uint8Array[] = [];
  for (let page = 0; page < count; page++) {
    const offset = offsets[page]!;
    if (!isSize(offset)) throw notSize(`\`pageOffsets[${page}]\``, offset);
    if (offset > paged.bytes.length || pageBytes > paged.bytes.length - offset) {
      throw new RangeError(
        `page ${page} at [${offset}, ${offset + pageBytes}) is outside \`paged\` of ${paged.bytes.length} bytes`,
      );
    }
    if (overlaps(paged, offset, pageBytes, block, blockOffset, count * pageBytes)) {
      throw new RangeError(`page ${page} overlaps the contiguous block`);
    }
    pages.push(paged.bytes.subarray(offset, offset + pageBytes));
  }
  return { pages, contiguous: block.bytes.subarray(blockOffset, blockOffset + count * pageBytes) };
}

/** Options of {@link createReferenceAddon}. */
export interface ReferenceAddonOptions {
  /** Page size the arena rules are stated in (large arenas cannot be aligned beyond it). @default 4096 */
  pageBytes?: number;
}

/**
 * A pure-TypeScript {@link NativeAddon}: the same results, errors and messages as the addon.
 * Two things it cannot mirror: arenas are plain ArrayBuffers (their alignment is bookkept, not
 * real, so `alignmentOf` reports a guaranteed lower bound, 0 for empty buffers), and the
 * allocator never refuses an alignment, only a size.
 */
export function createReferenceAddon(options: ReferenceAddonOptions = {}): NativeAddon {
  const page = options.pageBytes ?? 4096;
  const arenaAlignment = new WeakMap<ArrayBufferLike, number>();

  return {
    createArena(byteLength: number, alignment: number): ArrayBuffer {
      sizeArg(byteLength, 'byteLength');
      sizeArg(alignment, 'alignment');
      if (byteLength === 0) throw new RangeError('expected a positive integer for `byteLength`, got 0');
      if (alignment < 64 || !isPowerOfTwo(alignment)) {
        throw new RangeError(`expected a power of two ≥ 64 for \`alignment\`, got ${alignment}`);
      }
      const mapped = byteLength >= MMAP_THRESHOLD;
      if (alignment > page && mapped) {
        throw new RangeError(
          `expected a power of two from 64 to ${page} for \`alignment\` of an arena of 1 MiB or more, got ${alignment}`,
        );
      }
      let buffer: ArrayBuffer;
      try {
        buffer = new ArrayBuffer(byteLength);
      } catch {
        throw new RangeError(`could not ${mapped ? 'map' : 'allocate'} an arena of ${byteLength} bytes`);
      }
      arenaAlignment.set(buffer, mapped ? page : alignment);
      return buffer;
    },

    copyBatch(buffers: readonly ByteSource[], ops: Float64Array, checksums?: BigUint64Array): void {
      const parsed = parseCopyOps(spansOf(buffers), float64Arg(ops, 'ops'));
      const out = checksums === undefined ? undefined : checksumOut(checksums, parsed.length);
      runCopies(parsed, out);
    },

    copyBatchAsync(buffers: readonly ByteSource[], ops: Float64Array, checksums?: BigUint64Array): Promise<void> {
      try {
        const parsed = parseCopyOps(spansOf(buffers), float64Arg(ops, 'ops'));
        const out = checksums === undefined ? undefined : checksumOut(checksums, parsed.length);
        // Like the thread pool, the copy happens after this call returns.
        return new Promise((resolve) => setImmediate(() => resolve(runCopies(parsed, out))));
      } catch (error) {
        return Promise.reject(error);
      }
    },

    checksumBatch(buffers: readonly ByteSource[], ops: Float64Array, checksums: BigUint64Array): void {
      const spans = spansOf(buffers);
      float64Arg(ops, 'ops');
      if (ops.length % CHECKSUM_OP_WIDTH !== 0) {
        throw new RangeError(
          `expected \`ops\` to hold 3 numbers per op (bufferIndex, offset, length), got ${ops.length} numbers`,
        );
      }
      const count = ops.length / CHECKSUM_OP_WIDTH;
      const out = checksumOut(checksums, count);
      const ranges: Uint8Array[] = [];
      for (let op = 0; op < count; op++) {
        const row = op * CHECKSUM_OP_WIDTH;
        const span = spanAt(spans, ops[row]!, 'bufferIndex', op);
        const offset = sizeAt(ops[row + 1]!, 'offset', op);
        const length = sizeAt(ops[row + 2]!, 'length', op);
        checkRange(span, offset, length, 'range', op);
        ranges.push(span.bytes.subarray(offset, offset + length));
      }
      ranges.forEach((range, op) => (out[op] = xxh64(range)));
    },

    gather(paged: ByteSource, pageOffsets: Float64Array, pageBytes: number, block: ByteSource, blockOffset: number) {
      const copy = parsePaged(paged, pageOffsets, pageBytes, block, blockOffset);
      copy.pages.forEach((bytes, i) => copy.contiguous.set(bytes, i * pageBytes));
    },

    scatter(block: ByteSource, blockOffset: number, paged: ByteSource, pageOffsets: Float64Array, pageBytes: number) {
      const copy = parsePaged(paged, pageOffsets, pageBytes, block, blockOffset);
      copy.pages.forEach((bytes, i) => bytes.set(copy.contiguous.subarray(i * pageBytes, (i + 1) * pageBytes)));
    },

    memcpyBaseline(dst: ByteSource, src: ByteSource, blockBytes: number, blocks: number, rounds: number): number {
      const to = spanOf(dst, 'dst');
      const from = spanOf(src, 'src');
      sizeArg(blockBytes, 'blockBytes');
      sizeArg(blocks, 'blocks');
      sizeArg(rounds, 'rounds');
      const fits = (span: Span) => blocks <= Math.floor(span.bytes.length / blockBytes);
      if (blockBytes !== 0 && (!fits(to) || !fits(from))) {
        const sizes = `\`dst\` (${to.bytes.length} bytes) and \`src\` (${from.bytes.length} bytes)`;
        throw new RangeError(`${sizes} must each hold ${blocks} blocks of ${blockBytes} bytes`);
      }
      const total = blocks * blockBytes;
      if (overlaps(to, 0, total, from, 0, total)) throw new RangeError('`dst` and `src` overlap');
      const start = process.hrtime.bigint();
      for (let r = 0; total !== 0 && r < rounds; r++) {
        for (let b = 0; b < total; b += blockBytes) to.bytes.set(from.bytes.subarray(b, b + blockBytes), b);
      }
      return Number(process.hrtime.bigint() - start);
    },

    alignmentOf(bytes: ByteSource): number {
      const span = spanOf(bytes, 'bytes');
      if (span.memory === null) return 0;
      const base = arenaAlignment.get(span.memory) ?? GUARANTEED_ALIGNMENT;
      const offset = span.bytes.byteOffset;
      // The lowest set bit of the offset, computed without 32-bit overflow.
      let lowest = 1;
      while (lowest < base && offset % (lowest * 2) === 0) lowest *= 2;
      return offset === 0 ? base : lowest;
    },

    noop(): void {},
  };
}

/** The shared reference instance (page size 4096). */
export const referenceAddon: NativeAddon = createReferenceAddon();
