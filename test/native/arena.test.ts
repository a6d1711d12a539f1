/** Arenas: zeroed, aligned, released when dropped, and kept alive by in-flight async copies. */
import { describe, expect, it } from 'vitest';
import { ErrorCode, KvtierError } from '../../src/errors.js';
import { Arena, type SlotIndex } from '../../src/memory/arena.js';
import { native } from '../../src/native.js';
import { createReferenceAddon } from '../../src/native-reference.js';
import { expectSameBytes, fillRandom, runChild } from './support.js';

const PAGE = 4096;

describe('createArena', () => {
  it.each([1, 63, 64, 4095, 4096, (1 << 20) - 1, 1 << 20, (3 << 20) + 1])('gives %i zeroed bytes', (byteLength) => {
    const arena = native.createArena(byteLength, 64);
    expect(arena).toBeInstanceOf(ArrayBuffer);
    expect(arena.byteLength).toBe(byteLength);
    expectSameBytes(arena, new Uint8Array(byteLength));
  });

  it.each([
    [4096, 64],
    [4096, 128],
    [4096, 4096],
    [10_000, 8192], // small arenas may be aligned beyond the page
    [1 << 20, 64], // large arenas are always page-aligned
    [5 << 20, 4096],
  ])('aligns an arena of %i bytes to at least %i', (byteLength, alignment) => {
    const arena = native.createArena(byteLength, alignment);
    expect(native.alignmentOf(arena)).toBeGreaterThanOrEqual(alignment);
    if (byteLength >= 1 << 20) expect(native.alignmentOf(arena)).toBeGreaterThanOrEqual(PAGE);
  });

  it('reports the alignment of views inside an arena exactly, like the reference', () => {
    const reference = createReferenceAddon({ pageBytes: PAGE });
    const arena = native.createArena(2 * PAGE, PAGE);
    const mirror = reference.createArena(2 * PAGE, PAGE);
    for (const offset of [1, 2, 3, 8, 24, 64, 96, 1024, 2048, 3072]) {
      expect(native.alignmentOf(new Uint8Array(arena, offset))).toBe(reference.alignmentOf(new Uint8Array(mirror, offset)));
      expect(native.alignmentOf(new DataView(arena, offset))).toBe(offset & -offset);
    }
  });

  it('keeps arenas independent: writing one leaves another zeroed', () => {
    const a = native.createArena(1 << 20, 4096);
    const b = native.createArena(1 << 20, 4096);
    fillRandom(a);
    expectSameBytes(b, new Uint8Array(1 << 20));
  });

  it('releases dropped arenas (a child allocates 1 GiB in 16 MiB arenas, one at a time)', () => {
    const script = `
      const native = require(ADDON);
      const before = process.memoryUsage().rss;
      let collected = 0;
      const registry = new FinalizationRegistry(() => collected++);
      // In a function, so no stack slot of this frame keeps the last arena alive.
      const churn = (i) => {
        const arena = native.createArena(16 << 20, 4096);
        new Uint8Array(arena).fill(i + 1); // touch every page, so a leak would show in RSS
        registry.register(arena, i);
      };
      for (let i = 0; i < 64; i++) {
        churn(i);
        globalThis.gc();
      }
      for (let i = 0; i < 50 && collected < 64; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 1)); }
      console.log(JSON.stringify({ collected, grewMiB: (process.memoryUsage().rss - before) / 2 ** 20 }));`;
    const child = runChild(script, { nodeFlags: ['--expose-gc'] });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const { collected, grewMiB } = JSON.parse(child.stdout) as { collected: number; grewMiB: number };
    expect(collected).toBe(64);
    // Kept arenas would add 1024 MiB; released ones leave at most a few behind.
    expect(grewMiB).toBeLessThan(512);
  });

  it('keeps an arena alive while an async copy reads it, after every JS reference is gone', () => {
    const script = `
      const native = require(ADDON);
      const SIZE = 128 << 20;
      const tile = new Uint8Array(4096);
      for (let i = 0; i < tile.length; i++) tile[i] = (i * 7 + 3) & 255;
      let collected = false;
      const registry = new FinalizationRegistry(() => { collected = true; }); // must outlive src to report
      let done = false;
      // src exists only inside this function: once it returns, the in-flight copy holds the only
      // reference (a suspended top-level await could otherwise keep stale registers alive).
      const start = () => {
        const src = native.createArena(SIZE, 4096);
        const view = new Uint8Array(src);
        for (let offset = 0; offset < SIZE; offset += tile.length) view.set(tile, offset);
        const dst = native.createArena(SIZE, 4096);
        registry.register(src, 'src');
        const copy = native.copyBatchAsync([src, dst], new Float64Array([0, 0, 1, 0, SIZE])).then(() => { done = true; });
        return { copy, dst };
      };
      const { copy, dst } = start();
      let gcWhileCopying = 0;
      while (!done) {
        globalThis.gc();
        if (!done) gcWhileCopying++;
        await new Promise((r) => setImmediate(r));
      }
      await copy;
      const collectedBeforeDone = collected;
      for (let i = 0; i < 50 && !collected; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 1)); }
      const out = new Uint8Array(dst);
      let badTiles = 0;
      for (let offset = 0; offset < SIZE; offset += tile.length) {
        if (Buffer.compare(out.subarray(offset, offset + tile.length), tile) !== 0) badTiles++;
      }
      console.log(JSON.stringify({ gcWhileCopying, collectedBeforeDone, collectedAfter: collected, badTiles }));`;
    const child = runChild(script, { nodeFlags: ['--expose-gc'] });
    expect(child.stderr).toBe('');
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    const result = JSON.parse(child.stdout) as Record<string, unknown>;
    expect(result).toEqual({
      gcWhileCopying: expect.any(Number),
      collectedBeforeDone: false,
      // Collected once the copy let go: the copy really was the only thing keeping it.
      collectedAfter: true,
      badTiles: 0,
    });
    expect(result['gcWhileCopying']).toBeGreaterThanOrEqual(1);
  });
});

describe('Arena', () => {
  it.each([
    [8, 100, 64, 128],
    [4, 4096, PAGE, 4096],
    [3, 5000, PAGE, 8192],
    [16, 64, 64, 64],
  ])('lays out %i slots of %i bytes with alignment %i and stride %i', (slots, slotBytes, alignment, stride) => {
    const arena = new Arena(slots, slotBytes);
    expect([arena.alignment, arena.strideBytes, arena.buffer.byteLength]).toEqual([alignment, stride, slots * stride]);
    for (let slot = 0; slot < slots; slot++) {
      const view = arena.view(slot as SlotIndex);
      expect(view.byteLength).toBe(slotBytes);
      expect(native.alignmentOf(view)).toBeGreaterThanOrEqual(alignment);
      expectSameBytes(view, new Uint8Array(slotBytes));
    }
  });

  it('gives views that do not alias each other', () => {
    const arena = new Arena(4, 100);
    arena.view(1 as SlotIndex).fill(0xff);
    expect(arena.view(0 as SlotIndex).every((b) => b === 0)).toBe(true);
    expect(arena.view(2 as SlotIndex).every((b) => b === 0)).toBe(true);
    expect(arena.view(1 as SlotIndex).every((b) => b === 0xff)).toBe(true);
  });

  it.each([
    [() => new Arena(0, 64), 'expected a positive integer for `slots`, got 0'],
    [() => new Arena(2, 1.5), 'expected a positive integer for `slotBytes`, got 1.5'],
    [() => new Arena(2, 64).view(2 as SlotIndex), 'expected an integer in [0, 2) for `slot`, got 2'],
    [() => new Arena(2, 64).offsetOf(-1 as SlotIndex), 'expected an integer in [0, 2) for `slot`, got -1'],
  ])('rejects bad arguments with KvtierError (%#)', (fn, message) => {
    let error: unknown;
    try {
      fn();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KvtierError);
    expect((error as KvtierError).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect((error as KvtierError).message).toBe(message);
  });
});
