/**
 * The fixed 256-byte header the durable tiers store with every payload: in front of it in a
 * segment-file record (disk), as the block's `records` entry (flash). Fixed size so a reader can
 * fetch header and payload in one positional read, and self-checking so a damaged header is never
 * trusted.
 *
 * Layout, little-endian:
 *   0  u32  magic "KVTB"             16  u64  XXH3-64 (seed 0) of payload
 *   4  u16  format version (1)       24  16 B key (the 32 hex characters as bytes)
 *   6  u16  flags (1 parent, 2 tomb) 40  16 B parent key (zeros when none)
 *   8  u32  payload length, bytes    56  namespace, UTF-8, up to 192 bytes, zero-padded
 *  12  u16  namespace length        248  u64  XXH3-64 (seed 0) of [0, 248)
 *  14  u16  reserved (0)
 */
import { native } from '../native.js';
import type { BlockRecord } from './tier.js';

/** Bytes of the header in front of every stored payload. */
export const HEADER_BYTES = 256;
/** Longest namespace, in UTF-8 bytes, that fits the header. */
export const MAX_NAMESPACE_BYTES = 192;
/** Format version written by this code (2: XXH3-64 checksums; 1 used XXH64); others are rejected as damaged. */
export const FORMAT_VERSION = 2;

const MAGIC = 0x4254564b; // bytes "KVTB"
const FLAG_PARENT = 1;
const FLAG_TOMBSTONE = 2;
const KNOWN_FLAGS = FLAG_PARENT | FLAG_TOMBSTONE;
const OFF_VERSION = 4;
const OFF_FLAGS = 6;
const OFF_LENGTH = 8;
const OFF_NAMESPACE_LENGTH = 12;
const OFF_RESERVED = 14;
const OFF_CHECKSUM = 16;
const OFF_KEY = 24;
const OFF_PARENT = 40;
const OFF_NAMESPACE = 56;
const OFF_HEADER_CHECKSUM = 248;

/** A decoded header: the record, and whether it marks a deletion (segment files only). */
export type DecodedHeader =
  | { readonly ok: true; readonly record: BlockRecord; readonly tombstone: boolean }
  | { readonly ok: false; readonly reason: string };

const checksumOps = new Float64Array(3);
const checksumOut = new BigUint64Array(1);

function headerChecksum(bytes: Uint8Array, offset: number): bigint {
  checksumOps[0] = 0;
  checksumOps[1] = offset;
  checksumOps[2] = OFF_HEADER_CHECKSUM;
  native.checksumBatch([bytes], checksumOps, checksumOut);
  return checksumOut[0]!;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Writes the header of `record` into `target` at `offset` (HEADER_BYTES bytes). The record must
 * already be validated (see assertWritable); `tombstone` marks a deletion record.
 */
export function encodeHeader(record: BlockRecord, target: Uint8Array, offset = 0, tombstone = false): void {
  const out = asBuffer(target);
  out.fill(0, offset, offset + HEADER_BYTES);
  const view = viewOf(out);
  const namespaceBytes = out.write(record.namespace, offset + OFF_NAMESPACE, MAX_NAMESPACE_BYTES, 'utf8');
  view.setUint32(offset, MAGIC, true);
  view.setUint16(offset + OFF_VERSION, FORMAT_VERSION, true);
  view.setUint16(offset + OFF_FLAGS, (record.parent === null ? 0 : FLAG_PARENT) | (tombstone ? FLAG_TOMBSTONE : 0), true);
  view.setUint32(offset + OFF_LENGTH, record.length, true);
  view.setUint16(offset + OFF_NAMESPACE_LENGTH, namespaceBytes, true);
  view.setBigUint64(offset + OFF_CHECKSUM, record.checksum, true);
  out.write(record.key, offset + OFF_KEY, 16, 'hex');
  if (record.parent !== null) out.write(record.parent, offset + OFF_PARENT, 16, 'hex');
  view.setBigUint64(offset + OFF_HEADER_CHECKSUM, headerChecksum(out, offset), true);
}

/** A fresh HEADER_BYTES buffer holding the header of `record`. */
export function headerOf(record: BlockRecord, tombstone = false): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES);
  encodeHeader(record, out, 0, tombstone);
  return out;
}

/**
 * Reads and verifies a header at `offset`; `available` is how many bytes from `offset` are
 * really there (a short value or file is damage, not an exception). Never throws on bad bytes.
 */
export function decodeHeader(source: Uint8Array, offset = 0, available = source.length - offset): DecodedHeader {
  if (available < HEADER_BYTES || offset + HEADER_BYTES > source.byteLength) {
    return { ok: false, reason: `header truncated (${Math.max(0, available)} of ${HEADER_BYTES} bytes)` };
  }
  const bytes = asBuffer(source);
  const view = viewOf(bytes);
  if (view.getUint32(offset, true) !== MAGIC) return { ok: false, reason: 'bad magic' };
  if (view.getBigUint64(offset + OFF_HEADER_CHECKSUM, true) !== headerChecksum(bytes, offset)) {
    return { ok: false, reason: 'header checksum mismatch' };
  }
  const version = view.getUint16(offset + OFF_VERSION, true);
  if (version !== FORMAT_VERSION) return { ok: false, reason: `unsupported format version ${version}` };
  const flags = view.getUint16(offset + OFF_FLAGS, true);
  const namespaceBytes = view.getUint16(offset + OFF_NAMESPACE_LENGTH, true);
  if ((flags & ~KNOWN_FLAGS) !== 0 || namespaceBytes > MAX_NAMESPACE_BYTES || view.getUint16(offset + OFF_RESERVED, true)) {
    return { ok: false, reason: 'malformed header fields' };
  }
  const record: BlockRecord = {
    key: bytes.toString('hex', offset + OFF_KEY, offset + OFF_KEY + 16),
    parent: flags & FLAG_PARENT ? bytes.toString('hex', offset + OFF_PARENT, offset + OFF_PARENT + 16) : null,
    namespace: bytes.toString('utf8', offset + OFF_NAMESPACE, offset + OFF_NAMESPACE + namespaceBytes),
    length: view.getUint32(offset + OFF_LENGTH, true),
    checksum: view.getBigUint64(offset + OFF_CHECKSUM, true),
  };
  return { ok: true, record, tombstone: (flags & FLAG_TOMBSTONE) !== 0 };
}
