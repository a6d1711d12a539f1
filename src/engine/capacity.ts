/** Capacities as users write them: bytes with units ("64GiB", "1.5TB", 4096) or blocks ("4000blocks"). */
import { ErrorCode, KvtierError, describeValue } from '../errors.js';

const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
};

const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

/** A capacity: a number of bytes, or a string with a byte unit or the "blocks" suffix. */
export type Capacity = number | string;

/** Parses a size in bytes ("64GiB", "512MB", "4096"). */
export function parseBytes(value: Capacity, name = 'size'): number {
  return toBlocksOrBytes(value, name, 1).bytes;
}

/** Whole blocks of `blockBytes` that fit in `value` (bytes, or "N blocks"). At least 0. */
export function capacityInBlocks(value: Capacity, blockBytes: number, name = 'capacity'): number {
  const parsed = toBlocksOrBytes(value, name, blockBytes);
  return parsed.blocks ?? Math.floor(parsed.bytes / blockBytes);
}

function toBlocksOrBytes(value: Capacity, name: string, blockBytes: number): { bytes: number; blocks?: number } {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw bad(name, value);
    return { bytes: Math.floor(value) };
  }
  if (typeof value !== 'string') throw bad(name, value);
  const match = PATTERN.exec(value);
  if (!match) throw bad(name, value);
  const amount = Number(match[1]);
  const unit = match[2]!.toLowerCase();
  if (unit === 'blocks' || unit === 'block') {
    if (!Number.isSafeInteger(amount)) throw bad(name, value);
    return { bytes: amount * blockBytes, blocks: amount };
  }
  const scale = unit === '' ? 1 : UNITS[unit];
  if (scale === undefined) throw bad(name, value);
  const bytes = Math.floor(amount * scale);
  if (!Number.isSafeInteger(bytes)) throw bad(name, value);
  return { bytes };
}

function bad(name: string, value: unknown): KvtierError {
  return new KvtierError(
    ErrorCode.CONFIG,
    // describeValue, not JSON.stringify: NaN and Infinity must not read as "null".
    `expected a size for \`${name}\` such as 4096, "64GiB", "1.5TB" or "4000blocks", got ${describeValue(value)}`,
    { name },
  );
}

/** Formats bytes with binary units: 16384 → "16.0 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
