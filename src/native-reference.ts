/** The native surface re-implemented in plain TypeScript: the oracle the addon is tested against. */
import { fstatSync, readSync } from 'node:fs';
import { types } from 'node:util';
import type { ByteSource, FileMap, NativeAddon } from './native.js';

// Everything here mirrors native/*.cc rule for rule: the same validation order, the same error
// types and the same message text, so a test can compare the two implementations on any input,
// including bad input. Speed is not a goal; being obviously correct is.

const COPY_OP_WIDTH = 5;
const CHECKSUM_OP_WIDTH = 3;
const READ_OP_WIDTH = 5;
const MAX_FD = 2147483647;
const MMAP_THRESHOLD = 1 << 20;
/** V8 aligns every ArrayBuffer's memory at least this much (Float64Array needs it). */
const GUARANTEED_ALIGNMENT = 8;

// ---- XXH3-64 (seed 0, default secret) on BigInt, from the published specification ----
// Arithmetic is modulo 2^64 as in C: explicitly through `wrap`, or implicitly by storing into a
// BigUint64Array (which keeps the low 64 bits of whatever it is given).

const MASK64 = (1n << 64n) - 1n;
const PRIME32_1 = 0x9e3779b1n;
const PRIME32_2 = 0x85ebca77n;
const PRIME32_3 = 0xc2b2ae3dn;
const PRIME64_1 = 0x9e3779b185ebca87n;
const PRIME64_2 = 0xc2b2ae3d27d4eb4fn;
const PRIME64_3 = 0x165667b19e3779f9n;
const PRIME64_4 = 0x85ebca77c2b2ae63n;
const PRIME64_5 = 0x27d4eb2f165667c5n;
const PRIME_MX1 = 0x165667919e3779f9n;
const PRIME_MX2 = 0x9fb21c651e98df25n;

/** The specification's default 192-byte secret. */
const SECRET = new DataView(
  Uint8Array.of(
    0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
    0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
    0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
    0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
    0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
    0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
    0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
    0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
    0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
    0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
    0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
    0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
  ).buffer,
);
const SECRET_BYTES = SECRET.byteLength;
const STRIPE_BYTES = 64;
const STRIPES_PER_BLOCK = (SECRET_BYTES - STRIPE_BYTES) / 8;
const BLOCK_BYTES = STRIPE_BYTES * STRIPES_PER_BLOCK;

const wrap = (value: bigint): bigint => value & MASK64;
const secret64 = (offset: number): bigint => SECRET.getBigUint64(offset, true);
const secret32 = (offset: number): bigint => BigInt(SECRET.getUint32(offset, true));
const rotl = (value: bigint, bits: bigint): bigint => wrap((value << bits) | (value >> (64n - bits)));

function bswap64(value: bigint): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, value, true);
  return view.getBigUint64(0, false);
}

/** The full 128-bit product of two 64-bit values, its halves xored together. */
function mulFold(a: bigint, b: bigint): bigint {
  const product = a * b;
  return (product & MASK64) ^ (product >> 64n);
}

function avalanche(h: bigint): bigint {
  const x = wrap((h ^ (h >> 37n)) * PRIME_MX1);
  return x ^ (x >> 32n);
}

function avalancheXxh64(h: bigint): bigint {
  let x = wrap((h ^ (h >> 33n)) * PRIME64_2);
  x = wrap((x ^ (x >> 29n)) * PRIME64_3);
  return x ^ (x >> 32n);
}

/** XXH3-64 with seed 0 and the default secret of `bytes`, from the published specification. */
export function xxh3(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength;
  const length = BigInt(n);
  const read64 = (at: number) => view.getBigUint64(at, true);
  const read32 = (at: number) => BigInt(view.getUint32(at, true));
  const mix16 = (at: number, key: number) => mulFold(read64(at) ^ secret64(key), read64(at + 8) ^ secret64(key + 8));

  if (n === 0) return avalancheXxh64(secret64(56) ^ secret64(64));
  if (n <= 3) {
    const [first, middle, last] = [bytes[0]!, bytes[n >> 1]!, bytes[n - 1]!].map(BigInt) as [bigint, bigint, bigint];
    const combined = last | (length << 8n) | (first << 16n) | (middle << 24n);
    return avalancheXxh64((secret32(0) ^ secret32(4)) ^ combined);
  }
  if (n <= 8) {
    let h = secret64(8) ^ secret64(16) ^ (read32(n - 4) | (read32(0) << 32n));
    h ^= rotl(h, 49n) ^ rotl(h, 24n);
    h = wrap(h * PRIME_MX2);
    h ^= (h >> 35n) + length; // the sum stays below 2^64: h >> 35 has 29 bits
    h = wrap(h * PRIME_MX2);
    return h ^ (h >> 28n);
  }
  if (n <= 16) {
    const low = secret64(24) ^ secret64(32) ^ read64(0);
    const high = secret64(40) ^ secret64(48) ^ read64(n - 8);
    return avalanche(wrap(length + bswap64(low) + high + mulFold(low, high)));
  }
  if (n <= 128) {
    let acc = wrap(length * PRIME64_1);
    for (let i = 0; i <= (n - 1) >> 5; i++) {
      acc = wrap(acc + mix16(16 * i, 32 * i) + mix16(n - 16 * (i + 1), 32 * i + 16));
    }
    return avalanche(acc);
  }
  if (n <= 240) {
    let acc = wrap(length * PRIME64_1);
    for (let i = 0; i < 8; i++) acc = wrap(acc + mix16(16 * i, 16 * i));
    acc = avalanche(acc);
    for (let i = 8; i < n >> 4; i++) acc = wrap(acc + mix16(16 * i, 16 * (i - 8) + 3));
    return avalanche(wrap(acc + mix16(n - 16, 136 - 17)));
  }

  const lanes = BigUint64Array.of(
    PRIME32_3, PRIME64_1, PRIME64_2, PRIME64_3, PRIME64_4, PRIME32_2, PRIME64_5, PRIME32_1,
  );
  const stripe = (at: number, key: number) => {
    for (let i = 0; i < 8; i++) {
      const word = read64(at + 8 * i);
      const mixed = word ^ secret64(key + 8 * i);
      lanes[i ^ 1] += word;
      lanes[i] += (mixed & 0xffffffffn) * (mixed >> 32n);
    }
  };
  const blocks = Math.floor((n - 1) / BLOCK_BYTES);
  for (let block = 0; block < blocks; block++) {
    for (let s = 0; s < STRIPES_PER_BLOCK; s++) stripe(block * BLOCK_BYTES + s * STRIPE_BYTES, 8 * s);
    for (let i = 0; i < 8; i++) {
      const lane = lanes[i]!;
      lanes[i] = (lane ^ (lane >> 47n) ^ secret64(SECRET_BYTES - STRIPE_BYTES + 8 * i)) * PRIME32_1;
    }
  }
  const lastBlock = blocks * BLOCK_BYTES;
  const stripes = Math.floor((n - 1 - lastBlock) / STRIPE_BYTES);
  for (let s = 0; s < stripes; s++) stripe(lastBlock + s * STRIPE_BYTES, 8 * s);
  stripe(n - STRIPE_BYTES, SECRET_BYTES - STRIPE_BYTES - 7);
  let result = wrap(length * PRIME64_1);
  for (let i = 0; i < 4; i++) {
    result += mulFold(lanes[2 * i]! ^ secret64(11 + 16 * i), lanes[2 * i + 1]! ^ secret64(11 + 16 * i + 8));
  }
  return avalanche(wrap(result));
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

/** A typed array receiving one entry per op (`checksums` or `results`), as native PerOpOut checks it. */
function perOpOut<T extends BigUint64Array | Float64Array>(
  value: unknown,
  count: number,
  is: (value: unknown) => value is T,
  typeName: string,
  name: string,
): T {
  if (!is(value)) throw new TypeError(`expected a ${typeName} for \`${name}\`, got ${describe(value)}`);
  if (value.length < count) {
    throw new RangeError(`\`${name}\` holds ${value.length} entries but the batch has ${count} ops`);
  }
  return value;
}

function checksumOut(value: unknown, count: number): BigUint64Array {
  return perOpOut(value, count, types.isBigUint64Array, 'BigUint64Array', 'checksums');
}

function runCopies(ops: readonly CopyOp[], checksums: BigUint64Array | undefined): void {
  ops.forEach((op, i) => {
    op.dst.set(op.src);
    if (checksums) checksums[i] = xxh3(op.dst);
  });
}

interface ReadOp {
  fd: number;
  position: number;
  dst: Uint8Array;
}

function parseReadOps(spans: readonly Span[], ops: Float64Array): ReadOp[] {
  if (ops.length % READ_OP_WIDTH !== 0) {
    const layout = '5 numbers per op (fd, position, bufferIndex, offset, length)';
    throw new RangeError(`expected \`ops\` to hold ${layout}, got ${ops.length} numbers`);
  }
  const parsed: ReadOp[] = [];
  for (let op = 0; op < ops.length / READ_OP_WIDTH; op++) {
    const row = op * READ_OP_WIDTH;
    const fd = sizeAt(ops[row]!, 'fd', op);
    if (fd > MAX_FD) throw new RangeError(`\`fd\` of op ${op} is ${fd}, past the largest file descriptor ${MAX_FD}`);
    const position = sizeAt(ops[row + 1]!, 'position', op);
    const span = spanAt(spans, ops[row + 2]!, 'bufferIndex', op);
    const offset = sizeAt(ops[row + 3]!, 'offset', op);
    const length = sizeAt(ops[row + 4]!, 'length', op);
    checkRange(span, offset, length, 'range', op);
    parsed.push({ fd, position, dst: span.bytes.subarray(offset, offset + length) });
  }
  return parsed;
}

function resultsOut(value: unknown, count: number): Float64Array {
  return perOpOut(value, count, types.isFloat64Array, 'Float64Array', 'results');
}

/** A mapping's label in messages: `name` or `name[index]`. */
function mappingError(value: unknown, label: string): TypeError {
  return new TypeError(`expected a mapping from mapFile for \`${label}\`, got ${describe(value)}`);
}

/** readBatchAsync's `maps`, checked as native/copy.cc's MapsOf does (the reference reads every op anyway). */
function checkMaps(value: unknown, count: number, mappings: WeakSet<object>): void {
  if (!Array.isArray(value)) {
    throw new TypeError(`expected an array of mappings from mapFile (or undefined) for \`maps\`, got ${describe(value)}`);
  }
  if (value.length !== count) throw new RangeError(`expected \`maps\` to hold one entry per op (${count}), got ${value.length}`);
  value.forEach((map: unknown, i) => {
    if (map !== undefined && !(typeof map === 'object' && map !== null && mappings.has(map))) throw mappingError(map, `maps[${i}]`);
  });
}

/** One op as the pool thread runs it: read until full or end of file; the bytes read, or -errno. */
function readFully(op: ReadOp): number {
  let done = 0;
  while (done < op.dst.length) {
    let n: number;
    try {
      n = readSync(op.fd, op.dst, done, op.dst.length - done, op.position + done);
    } catch (error) {
      // Node's errno is already negative (-errno) on POSIX.
      return (error as { errno?: number }).errno ?? -1;
    }
    if (n === 0) break;
    done += n;
  }
  return done;
}

function runReads(ops: readonly ReadOp[], results: Float64Array, checksums: BigUint64Array | undefined): void {
  ops.forEach((op, i) => {
    const result = readFully(op);
    results[i] = result;
    if (checksums) checksums[i] = xxh3(op.dst.subarray(0, Math.max(0, result)));
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
  // What mapFile handed out: the reference maps nothing (its reads always go to the file).
  const mappings = new WeakSet<object>();

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

    readBatchAsync(
      buffers: readonly ByteSource[],
      ops: Float64Array,
      results: Float64Array,
      checksums?: BigUint64Array,
      maps?: readonly (FileMap | undefined)[],
    ): Promise<void> {
      try {
        const parsed = parseReadOps(spansOf(buffers), float64Arg(ops, 'ops'));
        const out = resultsOut(results, parsed.length);
        const sums = checksums === undefined ? undefined : checksumOut(checksums, parsed.length);
        if (maps !== undefined) checkMaps(maps, parsed.length, mappings);
        return new Promise((resolve) => setImmediate(() => resolve(runReads(parsed, out, sums))));
      } catch (error) {
        return Promise.reject(error);
      }
    },

    // It cannot ask what the page cache holds, so it reads every op (the results a fully cached file gives).
    readBatchCached(buffers: readonly ByteSource[], ops: Float64Array, results: Float64Array, checksums?: BigUint64Array): void {
      const parsed = parseReadOps(spansOf(buffers), float64Arg(ops, 'ops'));
      const out = resultsOut(results, parsed.length);
      const sums = checksums === undefined ? undefined : checksumOut(checksums, parsed.length);
      runReads(parsed, out, sums);
    },

    mapFile(fd: number, byteLength: number): FileMap {
      sizeArg(fd, 'fd');
      sizeArg(byteLength, 'byteLength');
      if (fd > MAX_FD) throw new RangeError(`\`fd\` is ${fd}, past the largest file descriptor ${MAX_FD}`);
      // What fstat and the file type tell (mmap refuses directories, pipes and sockets with
      // ENODEV); not mirrored: a descriptor not open for reading (EACCES), address space (ENOMEM).
      let errno = 0;
      try {
        const status = fstatSync(fd);
        if (byteLength !== 0 && (status.isDirectory() || status.isFIFO() || status.isSocket())) errno = -19;
      } catch (cause) {
        errno = (cause as NodeJS.ErrnoException).errno ?? 0;
      }
      if (errno !== 0) throw Object.assign(new Error(`could not map fd ${fd} (errno ${-errno})`), { errno });
      const mapping = Object.freeze({}) as FileMap;
      mappings.add(mapping);
      return mapping;
    },

    unmapFile(mapping: FileMap): void {
      if (!(typeof mapping === 'object' && mapping !== null && mappings.has(mapping))) throw mappingError(mapping, 'mapping');
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
      ranges.forEach((range, op) => (out[op] = xxh3(range)));
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
