/** Every bad-argument path: the exact error type and message, identical in native and reference, and nothing moved. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NativeAddon } from '../../src/native.js';
import { native } from '../../src/native.js';
import { referenceAddon } from '../../src/native-reference.js';
import { expectSameBytes, randomBuffer } from './support.js';

type ErrorType = abstract new (...args: never[]) => Error;

const IMPLEMENTATIONS: [string, NativeAddon][] = [
  ['native', native],
  ['reference', referenceAddon],
];

/** What a call threw (or undefined), for exact comparisons of type and message. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectError(error: unknown, type: ErrorType, message: string): void {
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toBe(message);
}

/** A buffer whose memory was transferred away: it reads as 0 bytes. */
function detached(): ArrayBuffer {
  const buffer = new ArrayBuffer(16);
  structuredClone(buffer, { transfer: [buffer] });
  return buffer;
}

// ---- copyBatch / copyBatchAsync: a good op 0 comes first, so "nothing copied" is meaningful ----

interface CopyFixture {
  a: Buffer;
  b: Buffer;
}

interface CopyCase {
  name: string;
  buffers?: (f: CopyFixture) => unknown;
  /** The bad op (appended after a good one), or a whole replacement for `ops`. */
  op?: number[];
  ops?: unknown;
  checksums?: unknown;
  type: ErrorType;
  message: string;
}

const GOOD_OP = [0, 0, 1, 0, 8];
const short = Buffer.alloc(4);

const COPY_CASES: CopyCase[] = [
  { name: 'buffers is null', buffers: () => null, type: TypeError, message: 'expected an array of ArrayBuffers/TypedArrays for `buffers`, got null' },
  { name: 'buffers is a plain object', buffers: () => ({}), type: TypeError, message: 'expected an array of ArrayBuffers/TypedArrays for `buffers`, got an object' },
  { name: 'buffers[1] is a string', buffers: (f) => [f.a, 'bytes'], type: TypeError, message: 'expected an ArrayBuffer, TypedArray or DataView for `buffers[1]`, got a string' },
  { name: 'buffers[1] is an array of numbers', buffers: (f) => [f.a, [1, 2, 3]], type: TypeError, message: 'expected an ArrayBuffer, TypedArray or DataView for `buffers[1]`, got an array of 3' },
  { name: 'buffers[1] is a number', buffers: (f) => [f.a, 64], type: TypeError, message: 'expected an ArrayBuffer, TypedArray or DataView for `buffers[1]`, got 64' },
  { name: 'buffers[1] is undefined', buffers: (f) => [f.a, undefined], type: TypeError, message: 'expected an ArrayBuffer, TypedArray or DataView for `buffers[1]`, got undefined' },
  { name: 'buffers[1] is a SharedArrayBuffer', buffers: (f) => [f.a, new SharedArrayBuffer(64)], type: TypeError, message: 'expected an ArrayBuffer, TypedArray or DataView for `buffers[1]`, got an object' },
  { name: 'ops is a Float32Array', ops: new Float32Array(10), type: TypeError, message: 'expected a Float64Array for `ops`, got a Float32Array of 40 bytes' },
  { name: 'ops is a plain array', ops: GOOD_OP, type: TypeError, message: 'expected a Float64Array for `ops`, got an array of 5' },
  { name: 'ops is missing', ops: undefined, type: TypeError, message: 'expected a Float64Array for `ops`, got undefined' },
  { name: 'ops has a partial op', op: [0, 0], type: RangeError, message: 'expected `ops` to hold 5 numbers per op (srcIndex, srcOffset, dstIndex, dstOffset, length), got 7 numbers' },
  { name: 'srcIndex past the buffers', op: [2, 0, 1, 8, 8], type: RangeError, message: '`srcIndex` of op 1 is 2 but only 2 buffers were given' },
  { name: 'dstIndex past the buffers', op: [0, 8, 5, 8, 8], type: RangeError, message: '`dstIndex` of op 1 is 5 but only 2 buffers were given' },
  { name: 'negative srcIndex', op: [-1, 8, 1, 8, 8], type: RangeError, message: 'expected a non-negative integer for `srcIndex` of op 1, got -1' },
  { name: 'fractional dstIndex', op: [0, 8, 0.5, 8, 8], type: RangeError, message: 'expected a non-negative integer for `dstIndex` of op 1, got 0.5' },
  { name: 'NaN srcOffset', op: [0, NaN, 1, 8, 8], type: RangeError, message: 'expected a non-negative integer for `srcOffset` of op 1, got NaN' },
  { name: 'fractional dstOffset', op: [0, 8, 1, 1.5, 8], type: RangeError, message: 'expected a non-negative integer for `dstOffset` of op 1, got 1.5' },
  { name: 'negative length', op: [0, 8, 1, 8, -8], type: RangeError, message: 'expected a non-negative integer for `length` of op 1, got -8' },
  { name: 'infinite length', op: [0, 8, 1, 8, Infinity], type: RangeError, message: 'expected a non-negative integer for `length` of op 1, got Infinity' },
  { name: 'srcOffset beyond 2^53', op: [0, 2 ** 53, 1, 8, 8], type: RangeError, message: 'expected a non-negative integer for `srcOffset` of op 1, got 9007199254740992' },
  { name: 'huge length', op: [0, 8, 1, 8, 1e21], type: RangeError, message: 'expected a non-negative integer for `length` of op 1, got 1e+21' },
  { name: 'source range past the end', op: [0, 60, 1, 8, 8], type: RangeError, message: 'source range [60, 68) of op 1 is outside its buffer of 64 bytes' },
  { name: 'destination range past the end', op: [0, 8, 1, 57, 8], type: RangeError, message: 'destination range [57, 65) of op 1 is outside its buffer of 64 bytes' },
  { name: 'empty range starting past the end', op: [0, 65, 1, 8, 0], type: RangeError, message: 'source range [65, 65) of op 1 is outside its buffer of 64 bytes' },
  { name: 'length past the end of a huge offset', op: [0, 2 ** 53 - 1, 1, 8, 1], type: RangeError, message: 'source range [9007199254740991, 9007199254740992) of op 1 is outside its buffer of 64 bytes' },
  { name: 'a short Buffer', buffers: (f) => [f.a, f.b, short], op: [0, 8, 2, 0, 8], type: RangeError, message: 'destination range [0, 8) of op 1 is outside its buffer of 4 bytes' },
  { name: 'a detached buffer', buffers: (f) => [f.a, f.b, detached()], op: [0, 8, 2, 0, 1], type: RangeError, message: 'destination range [0, 1) of op 1 is outside its buffer of 0 bytes' },
  { name: 'overlapping ranges of one buffer', op: [0, 8, 0, 12, 8], type: RangeError, message: 'source and destination of op 1 overlap' },
  { name: 'overlapping ranges through two views of one memory', buffers: (f) => [f.a, f.b, new Uint8Array(f.a.buffer, f.a.byteOffset + 4, 32)], op: [0, 8, 2, 0, 8], type: RangeError, message: 'source and destination of op 1 overlap' },
  { name: 'checksums is a BigInt64Array', checksums: new BigInt64Array(2), type: TypeError, message: 'expected a BigUint64Array for `checksums`, got a BigInt64Array of 16 bytes' },
  { name: 'checksums is a Float64Array', checksums: new Float64Array(2), type: TypeError, message: 'expected a BigUint64Array for `checksums`, got a Float64Array of 16 bytes' },
  { name: 'checksums is null', checksums: null, type: TypeError, message: 'expected a BigUint64Array for `checksums`, got null' },
  { name: 'checksums is too short', op: [0, 8, 1, 8, 8], checksums: new BigUint64Array(1), type: RangeError, message: '`checksums` holds 1 entries but the batch has 2 ops' },
];

function copyArgs(c: CopyCase, f: CopyFixture): [ByteSourceList, Float64Array, BigUint64Array | undefined] {
  const buffers = c.buffers ? c.buffers(f) : [f.a, f.b];
  const ops = 'ops' in c ? c.ops : new Float64Array([...GOOD_OP, ...(c.op ?? [])]);
  const checksums = 'checksums' in c ? c.checksums : undefined;
  return [buffers as ByteSourceList, ops as Float64Array, checksums as BigUint64Array | undefined];
}
type ByteSourceList = Parameters<NativeAddon['copyBatch']>[0];

function copyFixture(): CopyFixture {
  return { a: randomBuffer(64), b: Buffer.alloc(64) };
}

describe.each(IMPLEMENTATIONS)('%s argument checks', (_, addon) => {
  describe('copyBatch', () => {
    it.each(COPY_CASES)('$name', (c) => {
      const f = copyFixture();
      const a = Buffer.from(f.a);
      expectError(thrown(() => addon.copyBatch(...copyArgs(c, f))), c.type, c.message);
      expectSameBytes(f.a, a);
      expectSameBytes(f.b, Buffer.alloc(64)); // not even the good op 0 ran
    });
  });

  describe('copyBatchAsync rejects (never throws)', () => {
    it.each(COPY_CASES)('$name', async (c) => {
      const f = copyFixture();
      const a = Buffer.from(f.a);
      let promise: Promise<void> | undefined;
      expect(thrown(() => (promise = addon.copyBatchAsync(...copyArgs(c, f))))).toBeUndefined();
      expectError(await promise!.then(() => undefined, (error: unknown) => error), c.type, c.message);
      expectSameBytes(f.a, a);
      expectSameBytes(f.b, Buffer.alloc(64));
    });
  });

  it('accepts adjacent ranges of one buffer, empty ranges at the very end, and empty detached buffers', () => {
    const a = Buffer.from('0123456789abcdef');
    const ops = [0, 0, 0, 8, 8, 0, 16, 0, 16, 0, 1, 0, 0, 0, 0];
    addon.copyBatch([a, detached()], new Float64Array(ops));
    expect(a.toString()).toBe('0123456701234567');
  });

  describe('checksumBatch', () => {
    const cases: { name: string; buffers?: unknown; ops?: unknown; out?: unknown; type: ErrorType; message: string }[] = [
      { name: 'ops is an Int32Array', ops: new Int32Array(3), type: TypeError, message: 'expected a Float64Array for `ops`, got an Int32Array of 12 bytes' },
      { name: 'ops has a partial op', ops: new Float64Array(4), type: RangeError, message: 'expected `ops` to hold 3 numbers per op (bufferIndex, offset, length), got 4 numbers' },
      { name: 'checksums is missing', out: undefined, type: TypeError, message: 'expected a BigUint64Array for `checksums`, got undefined' },
      { name: 'checksums is too short', out: new BigUint64Array(1), type: RangeError, message: '`checksums` holds 1 entries but the batch has 2 ops' },
      { name: 'bufferIndex past the buffers', ops: new Float64Array([0, 0, 8, 1, 0, 8]), type: RangeError, message: '`bufferIndex` of op 1 is 1 but only 1 buffers were given' },
      { name: 'negative offset', ops: new Float64Array([0, 0, 8, 0, -1, 8]), type: RangeError, message: 'expected a non-negative integer for `offset` of op 1, got -1' },
      { name: 'fractional length', ops: new Float64Array([0, 0, 8, 0, 0, 7.5]), type: RangeError, message: 'expected a non-negative integer for `length` of op 1, got 7.5' },
      { name: 'range past the end', ops: new Float64Array([0, 0, 8, 0, 0, 65]), type: RangeError, message: 'range [0, 65) of op 1 is outside its buffer of 64 bytes' },
      { name: 'buffers[0] is an object with a byteLength', buffers: [{ byteLength: 64 }], type: TypeError, message: 'expected an ArrayBuffer, TypedArray or DataView for `buffers[0]`, got an object' },
    ];
    it.each(cases)('$name', (c) => {
      const out = new BigUint64Array(2).fill(42n);
      const args = [
        'buffers' in c ? c.buffers : [randomBuffer(64)],
        'ops' in c ? c.ops : new Float64Array([0, 0, 8, 0, 8, 8]),
        'out' in c ? c.out : out,
      ] as Parameters<NativeAddon['checksumBatch']>;
      expectError(thrown(() => addon.checksumBatch(...args)), c.type, c.message);
      expect([...out]).toEqual([42n, 42n]);
    });
  });

  describe('createArena', () => {
    const cases: [string, unknown, unknown, ErrorType, string][] = [
      ['a string size', '64', 64, TypeError, 'expected a number for `byteLength`, got a string'],
      ['a missing alignment', 64, undefined, TypeError, 'expected a number for `alignment`, got undefined'],
      ['zero bytes', 0, 64, RangeError, 'expected a positive integer for `byteLength`, got 0'],
      ['a negative size', -1, 64, RangeError, 'expected a non-negative integer for `byteLength`, got -1'],
      ['a fractional size', 1.5, 64, RangeError, 'expected a non-negative integer for `byteLength`, got 1.5'],
      ['a NaN size', NaN, 64, RangeError, 'expected a non-negative integer for `byteLength`, got NaN'],
      ['a size beyond 2^53', 2 ** 53, 64, RangeError, 'expected a non-negative integer for `byteLength`, got 9007199254740992'],
      ['a size no machine can map', 2 ** 53 - 1, 64, RangeError, 'could not map an arena of 9007199254740991 bytes'],
      ['alignment 100', 4096, 100, RangeError, 'expected a power of two ≥ 64 for `alignment`, got 100'],
      ['alignment 32', 4096, 32, RangeError, 'expected a power of two ≥ 64 for `alignment`, got 32'],
      ['alignment 0', 4096, 0, RangeError, 'expected a power of two ≥ 64 for `alignment`, got 0'],
      ['a fractional alignment', 4096, 64.5, RangeError, 'expected a non-negative integer for `alignment`, got 64.5'],
      ['alignment above the page for a large arena', 1 << 20, 8192, RangeError, 'expected a power of two from 64 to 4096 for `alignment` of an arena of 1 MiB or more, got 8192'],
    ];
    it.each(cases)('rejects %s', (_, byteLength, alignment, type, message) => {
      expectError(thrown(() => addon.createArena(byteLength as number, alignment as number)), type, message);
    });
  });

  describe('gather / scatter', () => {
    interface PagedCase {
      name: string;
      paged?: (p: Buffer) => unknown;
      offsets?: unknown;
      pageBytes?: unknown;
      block?: (p: Buffer, b: Buffer) => unknown;
      blockOffset?: unknown;
      type: ErrorType;
      message: string;
    }
    const cases: PagedCase[] = [
      { name: 'paged is missing', paged: () => undefined, type: TypeError, message: 'expected an ArrayBuffer, TypedArray or DataView for `paged`, got undefined' },
      { name: 'pageOffsets is a plain array', offsets: [0, 1024], type: TypeError, message: 'expected a Float64Array for `pageOffsets`, got an array of 2' },
      { name: 'pageOffsets is an Int8Array', offsets: new Int8Array(2), type: TypeError, message: 'expected a Float64Array for `pageOffsets`, got an Int8Array of 2 bytes' },
      { name: 'pageBytes is a string', pageBytes: '64', type: TypeError, message: 'expected a number for `pageBytes`, got a string' },
      { name: 'pageBytes is negative', pageBytes: -1, type: RangeError, message: 'expected a non-negative integer for `pageBytes`, got -1' },
      { name: 'block is an object', block: () => ({ length: 256 }), type: TypeError, message: 'expected an ArrayBuffer, TypedArray or DataView for `block`, got an object' },
      { name: 'blockOffset is fractional', blockOffset: 0.5, type: RangeError, message: 'expected a non-negative integer for `blockOffset`, got 0.5' },
      { name: 'block too small from its offset', blockOffset: 100, type: RangeError, message: '`block` needs 3 pages of 64 bytes from offset 100 but holds 256 bytes' },
      { name: 'blockOffset past the block', blockOffset: 300, type: RangeError, message: '`block` needs 3 pages of 64 bytes from offset 300 but holds 256 bytes' },
      { name: 'a fractional page offset', offsets: new Float64Array([0, 0.5, 2048]), type: RangeError, message: 'expected a non-negative integer for `pageOffsets[1]`, got 0.5' },
      { name: 'a NaN page offset', offsets: new Float64Array([0, 1024, NaN]), type: RangeError, message: 'expected a non-negative integer for `pageOffsets[2]`, got NaN' },
      { name: 'a page past the end of paged', offsets: new Float64Array([0, 1024, 4040]), type: RangeError, message: 'page 2 at [4040, 4104) is outside `paged` of 4096 bytes' },
      { name: 'a page overlapping the block', block: (p) => p.subarray(1000, 1256), type: RangeError, message: 'page 1 overlaps the contiguous block' },
    ];
    for (const direction of ['gather', 'scatter'] as const) {
      it.each(cases)(`${direction}: $name`, (c) => {
        const paged = randomBuffer(4096);
        const block = randomBuffer(256);
        const before = [Buffer.from(paged), Buffer.from(block)];
        const args = {
          paged: c.paged ? c.paged(paged) : paged,
          offsets: 'offsets' in c ? c.offsets : new Float64Array([0, 1024, 2048]),
          pageBytes: 'pageBytes' in c ? c.pageBytes : 64,
          block: c.block ? c.block(paged, block) : block,
          blockOffset: 'blockOffset' in c ? c.blockOffset : 0,
        } as { paged: Buffer; offsets: Float64Array; pageBytes: number; block: Buffer; blockOffset: number };
        const call =
          direction === 'gather'
            ? () => addon.gather(args.paged, args.offsets, args.pageBytes, args.block, args.blockOffset)
            : () => addon.scatter(args.block, args.blockOffset, args.paged, args.offsets, args.pageBytes);
        expectError(thrown(call), c.type, c.message);
        expectSameBytes(paged, before[0]!);
        expectSameBytes(block, before[1]!);
      });
    }
  });

  describe('memcpyBaseline and alignmentOf', () => {
    it('rejects buffers too small for the blocks', () => {
      const error = thrown(() => addon.memcpyBaseline(Buffer.alloc(64), Buffer.alloc(128), 64, 2, 1));
      expectError(error, RangeError, '`dst` (64 bytes) and `src` (128 bytes) must each hold 2 blocks of 64 bytes');
    });
    it('rejects overlapping dst and src', () => {
      const a = Buffer.alloc(64);
      expectError(thrown(() => addon.memcpyBaseline(a.subarray(0, 32), a.subarray(16), 32, 1, 1)), RangeError, '`dst` and `src` overlap');
    });
    it('rejects a negative round count', () => {
      const error = thrown(() => addon.memcpyBaseline(Buffer.alloc(64), Buffer.alloc(64), 64, 1, -1));
      expectError(error, RangeError, 'expected a non-negative integer for `rounds`, got -1');
    });
    it('rejects a non-buffer in alignmentOf', () => {
      expectError(thrown(() => addon.alignmentOf(42 as never)), TypeError, 'expected an ArrayBuffer, TypedArray or DataView for `bytes`, got 42');
    });
  });
});

describe('native and reference agree on arbitrary input', () => {
  const anything = fc.oneof(
    fc.anything(),
    fc.double(),
    fc.uint8Array({ maxLength: 8 }),
    fc.float64Array({ maxLength: 2 }),
    fc.bigInt64Array({ maxLength: 2 }),
    fc.constant(new DataView(new ArrayBuffer(3))),
    fc.constant(new ArrayBuffer(5)),
  );
  const outcome = (fn: () => unknown) => {
    const error = thrown(fn) as Error | undefined;
    return error ? `${error.constructor.name}: ${error.message}` : 'ok';
  };

  it('in every number of a copy op', () => {
    fc.assert(
      fc.property(fc.nat(4), fc.oneof(fc.double(), fc.integer({ min: -5, max: 80 })), (position, value) => {
        const op = [0, 8, 1, 8, 8];
        op[position] = value;
        const ops = new Float64Array([...GOOD_OP, ...op]);
        const run = (addon: NativeAddon) => {
          const f = { a: Buffer.alloc(64, 1), b: Buffer.alloc(64) };
          return [outcome(() => addon.copyBatch([f.a, f.b], ops)), f.b.toString('hex')];
        };
        expect(run(native)).toEqual(run(referenceAddon));
      }),
      { numRuns: 300 },
    );
  });

  it('for any value in place of a buffer, the ops, the checksums or a size', () => {
    fc.assert(
      fc.property(fc.nat(3), anything, (position, value) => {
        const run = (addon: NativeAddon) => {
          const args: unknown[] = [[Buffer.alloc(8), Buffer.alloc(8)], new Float64Array([0, 0, 1, 0, 0]), new BigUint64Array(1)];
          if (position === 0) args[0] = [Buffer.alloc(8), value];
          else args[position - 1] = value;
          const copy = outcome(() => addon.copyBatch(...(args as Parameters<NativeAddon['copyBatch']>)));
          // (sizes that would really allocate are left out: the two allocators' limits differ)
          const small = typeof value !== 'number' || !(value > 1 << 16);
          const arena = small ? outcome(() => addon.createArena(value as number, 64)) : 'skipped';
          const paged = outcome(() => addon.gather(Buffer.alloc(64), new Float64Array([0]), value as number, Buffer.alloc(64), 0));
          return [copy, arena, paged];
        };
        expect(run(native)).toEqual(run(referenceAddon));
      }),
      { numRuns: 300 },
    );
  });
});

describe.each(IMPLEMENTATIONS)('%s against hostile arrays', (_, addon) => {
  it('reads every element before taking any pointer, so a getter that detaches buffers[0] is seen', () => {
    const first = new ArrayBuffer(64);
    const buffers: unknown[] = [first];
    Object.defineProperty(buffers, 1, {
      get() {
        structuredClone(first, { transfer: [first] }); // first is now detached: 0 bytes
        return new ArrayBuffer(64);
      },
    });
    const error = thrown(() => addon.copyBatch(buffers as never, new Float64Array([0, 0, 1, 0, 8])));
    expectError(error, RangeError, 'source range [0, 8) of op 0 is outside its buffer of 0 bytes');
  });
});

describe('native robustness', () => {
  it('passes on an exception thrown by a getter inside `buffers` instead of crashing', () => {
    const buffers: unknown[] = [Buffer.alloc(8)];
    Object.defineProperty(buffers, 1, {
      get() {
        throw new Error('boom');
      },
    });
    expectError(thrown(() => native.copyBatch(buffers as never, new Float64Array(5))), Error, 'boom');
  });
});
