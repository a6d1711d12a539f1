/** gather/scatter between a paged KV layout (per-layer K and V pages spread over an arena) and one contiguous block. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native.js';
import { referenceAddon } from '../../src/native-reference.js';
import { expectSameBytes, randomBuffer } from './support.js';

/**
 * A paged KV layout: for each layer, `pagesPerKind` K pages then `pagesPerKind` V pages, each
 * placed in a shuffled arena slot. `offsets[layer][kind]` are the byte offsets of those pages
 * inside the arena, in block order.
 */
function pagedLayout(layers: number, pagesPerKind: number, pageBytes: number, spareSlots: number, seed: number) {
  const pages = layers * 2 * pagesPerKind;
  const slots = Array.from({ length: pages + spareSlots }, (_, i) => i);
  // Fisher–Yates with a small LCG, so a failing layout can be reproduced from its seed.
  let state = seed >>> 0 || 1;
  for (let i = slots.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [slots[i], slots[j]] = [slots[j]!, slots[i]!];
  }
  const offsets = Array.from({ length: layers }, (_, layer) =>
    [0, 1].map((kind) =>
      Float64Array.from({ length: pagesPerKind }, (_, p) => slots[(layer * 2 + kind) * pagesPerKind + p]! * pageBytes),
    ),
  );
  return { arenaBytes: (pages + spareSlots) * pageBytes, offsets, blockBytes: pages * pageBytes };
}

describe('gather / scatter', () => {
  it('round-trips a KV block through per-layer K and V pages of an arena', () => {
    const pageBytes = 4096;
    const { arenaBytes, offsets, blockBytes } = pagedLayout(4, 6, pageBytes, 16, 7);
    const arena = native.createArena(arenaBytes, 4096);
    const block = randomBuffer(blockBytes);
    const stride = 6 * pageBytes;
    // One scatter per (layer, K|V), each from its own offset inside the block.
    offsets.forEach((kinds, layer) =>
      kinds.forEach((pages, kind) => native.scatter(block, (layer * 2 + kind) * stride, arena, pages, pageBytes)),
    );
    const paged = new Uint8Array(arena);
    offsets.forEach((kinds, layer) =>
      kinds.forEach((pages, kind) =>
        pages.forEach((offset, p) => {
          const from = (layer * 2 + kind) * stride + p * pageBytes;
          expectSameBytes(paged.subarray(offset, offset + pageBytes), block.subarray(from, from + pageBytes));
        }),
      ),
    );
    // Spare slots were never written.
    const used = new Set(offsets.flatMap((kinds) => kinds.flatMap((pages) => [...pages])));
    for (let offset = 0; offset < arenaBytes; offset += pageBytes) {
      if (!used.has(offset)) expectSameBytes(paged.subarray(offset, offset + pageBytes), new Uint8Array(pageBytes));
    }
    // One gather with every page, in block order, rebuilds the block.
    const all = Float64Array.from(offsets.flatMap((kinds) => kinds.flatMap((pages) => [...pages])));
    const back = Buffer.alloc(blockBytes + 100);
    native.gather(arena, all, pageBytes, back, 100);
    expectSameBytes(back.subarray(100), block);
    expectSameBytes(back.subarray(0, 100), new Uint8Array(100));
  });

  it('matches the reference for random layouts and page sizes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 3, 64, 100, 4096, 16384),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 4 }),
        fc.nat(),
        fc.nat(40),
        (pageBytes, layers, pagesPerKind, seed, blockOffset) => {
          const { arenaBytes, offsets, blockBytes } = pagedLayout(layers, pagesPerKind, pageBytes, 3, seed);
          const all = Float64Array.from(offsets.flatMap((kinds) => kinds.flatMap((pages) => [...pages])));
          const block = randomBuffer(blockOffset + blockBytes);
          const arena = Buffer.alloc(arenaBytes);
          const mirror = Buffer.alloc(arenaBytes);
          native.scatter(block, blockOffset, arena, all, pageBytes);
          referenceAddon.scatter(block, blockOffset, mirror, all, pageBytes);
          expectSameBytes(arena, mirror);
          const out = randomBuffer(block.length);
          const expected = Buffer.from(out);
          native.gather(arena, all, pageBytes, out, blockOffset);
          referenceAddon.gather(mirror, all, pageBytes, expected, blockOffset);
          expectSameBytes(out, expected);
          expectSameBytes(out.subarray(blockOffset), block.subarray(blockOffset));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('gathers the same page several times when asked to', () => {
    const paged = Buffer.from('AAAABBBBCCCC');
    const block = Buffer.alloc(16);
    native.gather(paged, new Float64Array([8, 0, 8, 4]), 4, block, 0);
    expect(block.toString()).toBe('CCCCAAAACCCCBBBB');
  });

  it('moves nothing for zero pages or zero-byte pages', () => {
    const paged = randomBuffer(64);
    const block = randomBuffer(64);
    const before = [Buffer.from(paged), Buffer.from(block)];
    native.gather(paged, new Float64Array(0), 16, block, 64);
    native.scatter(block, 0, paged, new Float64Array([0, 64, 3]), 0);
    expectSameBytes(paged, before[0]!);
    expectSameBytes(block, before[1]!);
  });

  it('works between two views of one arena when pages and block do not overlap', () => {
    const arena = native.createArena(64 << 10, 4096);
    const pages = new Uint8Array(arena, 0, 32 << 10);
    const block = new Uint8Array(arena, 32 << 10);
    pages.set(randomBuffer(32 << 10));
    const offsets = Float64Array.from({ length: 8 }, (_, i) => (7 - i) * 4096);
    native.gather(pages, offsets, 4096, block, 0);
    for (let i = 0; i < 8; i++) {
      expectSameBytes(block.subarray(i * 4096, (i + 1) * 4096), pages.subarray((7 - i) * 4096, (8 - i) * 4096));
    }
  });
});
