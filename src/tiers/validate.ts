/** Argument and configuration checks shared by every tier, so all tiers reject bad input with the same messages. */
import { ErrorCode, KvtierError, invalidArgument, invalidConfig } from '../errors.js';
import { MAX_NAMESPACE_BYTES } from './block-header.js';
import type { BlockKey, BlockRecord } from './tier.js';

const KEY_PATTERN = /^[0-9a-f]{32}$/;
const MAX_U64 = (1n << 64n) - 1n;

/** The largest block a tier accepts: the on-disk header stores payload lengths as 32-bit numbers. */
export const MAX_BLOCK_BYTES = 0xffff_ff00;

/** What a block key must look like, as worded in error messages. */
export const BLOCK_KEY_EXPECTED = 'a block key of 32 lowercase hex characters';

/** Whether `value` is a block key: exactly 32 lowercase hex characters. */
export function isBlockKey(value: unknown): value is BlockKey {
  return typeof value === 'string' && value.length === 32 && KEY_PATTERN.test(value);
}

/** Throws ERR_INVALID_ARGUMENT unless `value` is a block key. */
export function assertBlockKey(value: unknown, name = 'key'): asserts value is BlockKey {
  if (!isBlockKey(value)) throw invalidArgument(name, BLOCK_KEY_EXPECTED, value);
}

/** Throws ERR_INVALID_ARGUMENT unless `dst` is a Uint8Array (any Buffer qualifies). */
export function assertDst(dst: unknown): asserts dst is Uint8Array {
  if (!(dst instanceof Uint8Array)) throw invalidArgument('dst', 'a Uint8Array', dst);
}

/** Throws ERR_INVALID_ARGUMENT when `dst` cannot hold a payload of `length` bytes. */
export function assertDstFits(dst: Uint8Array, length: number): void {
  if (dst.byteLength < length) throw invalidArgument('dst', `a Uint8Array of at least ${length} bytes`, dst);
}

/**
 * Checks a record and its payload before a write: a valid key and parent, a string namespace,
 * a length that matches `bytes` and fits `blockBytes`, and a 64-bit checksum.
 */
export function assertWritable(record: BlockRecord, bytes: unknown, blockBytes: number): asserts bytes is Uint8Array {
  if (record === null || typeof record !== 'object') throw invalidArgument('record', 'a block record', record);
  assertBlockKey(record.key, 'record.key');
  if (record.parent !== null) assertBlockKey(record.parent, 'record.parent');
  assertNamespace(record.namespace);
  if (!Number.isSafeInteger(record.length) || record.length < 0 || record.length > blockBytes) {
    throw invalidArgument('record.length', `an integer in [0, ${blockBytes}]`, record.length);
  }
  if (typeof record.checksum !== 'bigint' || record.checksum < 0n || record.checksum > MAX_U64) {
    throw invalidArgument('record.checksum', 'an unsigned 64-bit bigint', record.checksum);
  }
  if (!(bytes instanceof Uint8Array)) throw invalidArgument('bytes', 'a Uint8Array', bytes);
  if (bytes.byteLength !== record.length) {
    throw invalidArgument('bytes', `a Uint8Array of exactly record.length (${record.length}) bytes`, bytes);
  }
}

/**
 * Throws ERR_INVALID_ARGUMENT unless `namespace` is a well-formed string of at most
 * MAX_NAMESPACE_BYTES UTF-8 bytes: every tier enforces the durable header's limit, so a block
 * accepted at the top can always be demoted.
 */
export function assertNamespace(namespace: unknown, name = 'record.namespace'): asserts namespace is string {
  // Writes of one tenant repeat its namespace: skip re-encoding the one just found valid.
  if (namespace === lastValidNamespace) return;
  const expected = `a well-formed string of at most ${MAX_NAMESPACE_BYTES} UTF-8 bytes`;
  if (typeof namespace !== 'string') throw invalidArgument(name, expected, namespace);
  const encoded = Buffer.from(namespace, 'utf8');
  // Lone surrogates would be stored as U+FFFD and come back as a different namespace.
  if (encoded.length > MAX_NAMESPACE_BYTES || encoded.toString('utf8') !== namespace) {
    throw invalidArgument(name, expected, namespace);
  }
  lastValidNamespace = namespace;
}

/** The namespace assertNamespace accepted last (a string compare is cheaper than encoding it again). */
let lastValidNamespace: string | null = null;

/** Checks the geometry every tier is configured with; ERR_CONFIG names the field. */
export function assertGeometry(capacityBlocks: unknown, blockBytes: unknown): void {
  if (!Number.isSafeInteger(capacityBlocks) || (capacityBlocks as number) <= 0) {
    throw invalidConfig('capacityBlocks', 'a positive integer', capacityBlocks);
  }
  if (!Number.isSafeInteger(blockBytes) || (blockBytes as number) <= 0 || (blockBytes as number) > MAX_BLOCK_BYTES) {
    throw invalidConfig('blockBytes', `an integer in [1, ${MAX_BLOCK_BYTES}]`, blockBytes);
  }
}

/** The error every tier raises when used after close(). */
export function closedError(tier: string): KvtierError {
  return new KvtierError(ErrorCode.CLOSED, `tier \`${tier}\` is closed`, { tier });
}

/** The error every tier raises when a new block would exceed its capacity. */
export function tierFullError(tier: string, capacityBlocks: number): KvtierError {
  return new KvtierError(
    ErrorCode.TIER_FULL,
    `tier \`${tier}\` is full (${capacityBlocks} blocks); evict a block before writing a new one`,
    { tier, capacityBlocks },
  );
}
