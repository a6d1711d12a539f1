/** Capacities as users write them: byte units, block counts, and the one error message for anything else. */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { capacityInBlocks, formatBytes, parseBytes } from '../../src/engine/capacity.js';
import { thrown } from './support.js';

describe('parseBytes', () => {
  it.each([
    [4096, 4096],
    [4096.9, 4096],
    ['4096', 4096],
    [' 12 ', 12],
    ['1B', 1],
    ['2kb', 2000],
    ['3MB', 3e6],
    ['1.5TB', 1.5e12],
    ['64GiB', 64 * 2 ** 30],
    ['64 gib', 64 * 2 ** 30],
    ['1KiB', 1024],
    ['2MiB', 2 * 2 ** 20],
    ['1TiB', 2 ** 40],
    ['8k', 8192],
    ['1m', 2 ** 20],
    ['2G', 2 ** 31],
    ['1t', 2 ** 40],
    ['0.5KiB', 512],
    [0, 0],
  ] as const)('%j is %d bytes', (input, bytes) => {
    expect(parseBytes(input)).toBe(bytes);
  });

  it.each([
    [-1, '-1'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    ['', '""'],
    ['-5GiB', '"-5GiB"'],
    ['1e3', '"1e3"'],
    ['12 parsecs', '"12 parsecs"'],
    ['GiB', '"GiB"'],
    ['1.5.2MB', '"1.5.2MB"'],
    ['99999999999999999999TiB', '"99999999999999999999TiB"'],
  ] as const)('rejects %j with one message shape', (input, shown) => {
    thrown(
      () => parseBytes(input, 'tiers[1].capacity'),
      ErrorCode.CONFIG,
      `expected a size for \`tiers[1].capacity\` such as 4096, "64GiB", "1.5TB" or "4000blocks", got ${shown}`,
    );
  });

  it('rejects values that are neither numbers nor strings', () => {
    thrown(() => parseBytes(null as unknown as string), ErrorCode.CONFIG, /for `size` .*, got null$/);
    thrown(() => parseBytes({} as unknown as string), ErrorCode.CONFIG, /got an object \(Object\)$/);
  });
});

describe('capacityInBlocks', () => {
  it('counts whole blocks in a byte size, rounding down', () => {
    expect(capacityInBlocks('1MiB', 4096)).toBe(256);
    expect(capacityInBlocks(4096 * 3 + 4095, 4096)).toBe(3);
    expect(capacityInBlocks(100, 4096)).toBe(0);
    expect(capacityInBlocks('64GiB', 128 * 2 ** 20)).toBe(512);
  });

  it('takes block counts as written, whatever the block size', () => {
    expect(capacityInBlocks('4000blocks', 4096)).toBe(4000);
    expect(capacityInBlocks('1 block', 2 ** 30)).toBe(1);
    expect(capacityInBlocks('7 Blocks', 1)).toBe(7);
    expect(capacityInBlocks('0blocks', 4096)).toBe(0);
  });

  it('rejects fractional block counts', () => {
    thrown(() => capacityInBlocks('2.5blocks', 4096, 'cap'), ErrorCode.CONFIG, /for `cap` .*, got "2.5blocks"$/);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [16384, '16.0 KiB'],
    [1.5 * 2 ** 20, '1.5 MiB'],
    [64 * 2 ** 30, '64.0 GiB'],
    [3 * 2 ** 40, '3.0 TiB'],
    [2 ** 60, '1024.0 PiB'],
    [-2048, '-2.0 KiB'],
  ])('%d → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
