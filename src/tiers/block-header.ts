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
import { asBuffer } from '../memory/as-buffer.js';
import { native } from '../native.js';
import { keyDigit, type BlockKey, type BlockRecord } from './tier.js';

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

// Scratch reused by every encode and decode (one thread, no re-entrance): a group of headers costs
// no allocation beyond its buffer and one DataView, a decode none beyond the decoded record. Grown
// (never shrunk) to the largest group of headers encoded at once.
let checksumOps = new Float64Array(3);
// One header's op (every decode): a view of the grown checksumOps would cost an allocation per call.
const singleOps = new Float64Array(3);
let checksumOut = new BigUint64Array(1);
// The same hashes as 32-bit halves: comparing these allocates no BigInt (a read costs one compare).
let checksumHalves = new Uint32Array(checksumOut.buffer);
const EMPTY = new Uint8Array(0);
const hashed: Uint8Array[] = [EMPTY];

/** Writes the 16 bytes of a validated block key at `offset` (see assertWritable). */
function writeKeyBytes(key: BlockKey, out: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) out[offset + i] = (keyDigit(key, 2 * i) << 4) | keyDigit(key, 2 * i + 1);
}

/** Hashes `count` headers, the first at `offset`, into checksumOut / checksumHalves (one native call). */
function hashHeaders(bytes: Uint8Array, offset: number, count: number): void {
  if (checksumOut.length < count) {
    checksumOps = new Float64Array(3 * count);
    checksumOut = new BigUint64Array(count);
    checksumHalves = new Uint32Array(checksumOut.buffer);
  }
  const ops = count === 1 ? singleOps : checksumOps.subarray(0, 3 * count);
  for (let i = 0; i < count; i++) {
    ops[3 * i] = 0;
    ops[3 * i + 1] = offset + i * HEADER_BYTES;
    ops[3 * i + 2] = OFF_HEADER_CHECKSUM;
  }
  hashed[0] = bytes;
  native.checksumBatch(hashed, ops, checksumOut);
  hashed[0] = EMPTY; // drop the reference to the caller's buffer
}

/**
 * The fields every header of one namespace shares (magic, version, namespace and its length, zeros
 * elsewhere), for the namespace encoded last: a tenant's writes repeat it, and copying 256 bytes
 * costs less than encoding the namespace and clearing its padding each time.
 */
let template: { readonly namespace: string; readonly bytes: Buffer } | null = null;

function templateOf(namespace: string): Buffer {
  if (template !== null && template.namespace === namespace) return template.bytes;
  const bytes = Buffer.alloc(HEADER_BYTES);
  const namespaceBytes = bytes.write(namespace, OFF_NAMESPACE, MAX_NAMESPACE_BYTES, 'utf8');
  bytes.writeUInt32LE(MAGIC, 0);
  bytes.writeUInt16LE(FORMAT_VERSION, OFF_VERSION);
  bytes.writeUInt16LE(namespaceBytes, OFF_NAMESPACE_LENGTH);
  template = { namespace, bytes };
  return bytes;
}

/** Everything of a header but its checksum, at `offset` of `out` (`view` is a DataView of `out`'s bytes). */
function encodeFields(record: BlockRecord, out: Uint8Array, view: DataView, offset: number, tombstone: boolean): void {
  out.set(templateOf(record.namespace), offset);
  view.setUint16(offset + OFF_FLAGS, (record.parent === null ? 0 : FLAG_PARENT) | (tombstone ? FLAG_TOMBSTONE : 0), true);
  view.setUint32(offset + OFF_LENGTH, record.length, true);
  view.setBigUint64(offset + OFF_CHECKSUM, record.checksum, true);
  writeKeyBytes(record.key, out, offset + OFF_KEY);
  if (record.parent !== null) writeKeyBytes(record.parent, out, offset + OFF_PARENT);
}

/**
 * Writes the headers of `records` into `target`, one after another from `offset`
 * (records.length × HEADER_BYTES bytes), hashing them all in one native call. The records must
 * already be validated (see assertWritable); `tombstone` marks deletion records.
 */
export function encodeHeaders(records: readonly BlockRecord[], target: Uint8Array, offset = 0, tombstone = false): void {
  if (records.length === 0) return;
  // One DataView for the whole group: its accessors cost a fraction of Buffer's writeUInt32LE and
  // friends, but a view per header would cost more than the writes.
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  for (let i = 0; i < records.length; i++) encodeFields(records[i]!, target, view, offset + i * HEADER_BYTES, tombstone);
  hashHeaders(target, offset, records.length);
  for (let i = 0; i < records.length; i++) {
    const at = offset + i * HEADER_BYTES + OFF_HEADER_CHECKSUM;
    view.setUint32(at, checksumHalves[2 * i]!, true);
    view.setUint32(at + 4, checksumHalves[2 * i + 1]!, true);
  }
}

/** encodeHeaders of one record. */
export function encodeHeader(record: BlockRecord, target: Uint8Array, offset = 0, tombstone = false): void {
  encodeHeaders([record], target, offset, tombstone);
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
  if (bytes.readUInt32LE(offset) !== MAGIC) return { ok: false, reason: 'bad magic' };
  hashHeaders(bytes, offset, 1);
  if (
    bytes.readUInt32LE(offset + OFF_HEADER_CHECKSUM) !== checksumHalves[0] ||
    bytes.readUInt32LE(offset + OFF_HEADER_CHECKSUM + 4) !== checksumHalves[1]
  ) {
    return { ok: false, reason: 'header checksum mismatch' };
  }
  const version = bytes.readUInt16LE(offset + OFF_VERSION);
  if (version !== FORMAT_VERSION) return { ok: false, reason: `unsupported format version ${version}` };
  const flags = bytes.readUInt16LE(offset + OFF_FLAGS);
  const namespaceBytes = bytes.readUInt16LE(offset + OFF_NAMESPACE_LENGTH);
  if ((flags & ~KNOWN_FLAGS) !== 0 || namespaceBytes > MAX_NAMESPACE_BYTES || bytes.readUInt16LE(offset + OFF_RESERVED)) {
    return { ok: false, reason: 'malformed header fields' };
  }
  const record: BlockRecord = {
    key: bytes.toString('hex', offset + OFF_KEY, offset + OFF_KEY + 16),
    parent: flags & FLAG_PARENT ? bytes.toString('hex', offset + OFF_PARENT, offset + OFF_PARENT + 16) : null,
    namespace: namespaceBytes === 0 ? '' : bytes.toString('utf8', offset + OFF_NAMESPACE, offset + OFF_NAMESPACE + namespaceBytes),
    length: bytes.readUInt32LE(offset + OFF_LENGTH),
    checksum: bytes.readBigUInt64LE(offset + OFF_CHECKSUM),
  };
  return { ok: true, record, tombstone: (flags & FLAG_TOMBSTONE) !== 0 };
}
