/**
 * Chained block keys: key(i) = H(namespace salt, key(i-1), tokens of block i), the first 128 bits
 * of SHA-256 as 32 hex characters. Equal keys mean the same tokens after the same prefix in the
 * same namespace, so their KV cache is reusable; a different namespace gives unrelated keys.
 */
import { createHash } from 'node:crypto';
import { invalidArgument } from '../errors.js';
import type { BlockKey } from '../tiers/tier.js';

/** Length of a block key in hex characters. */
export const BLOCK_KEY_HEX_LENGTH = 32;

const KEY_PATTERN = /^[0-9a-f]{32}$/;
const ROOT = Buffer.alloc(BLOCK_KEY_HEX_LENGTH / 2);

/** Options of `blockKeys`. */
export interface BlockKeyOptions {
  /** Tokens per block. @default 512 */
  blockTokens?: number;
  /** Tenant namespace mixed into every key. @default "" */
  namespace?: string;
  /** Key of the block before `tokens[0]`, to continue a chain. @default null (a new chain) */
  parent?: BlockKey | null;
  /** Also key a trailing partial block (Mooncake traces do; serving engines key full blocks only). @default false */
  includePartial?: boolean;
}

/** Whether `value` is a well-formed block key. */
export function isBlockKey(value: unknown): value is BlockKey {
  return typeof value === 'string' && KEY_PATTERN.test(value);
}

/** Throws a clear error unless `value` is a well-formed block key. */
export function assertBlockKey(value: unknown, name = 'key'): asserts value is BlockKey {
  if (!isBlockKey(value)) throw invalidArgument(name, `a block key (${BLOCK_KEY_HEX_LENGTH} lowercase hex characters)`, value);
}

/** The salt of a namespace: a hash of its name, so namespace strings of any content are safe. */
export function namespaceSalt(namespace: string): Buffer {
  return createHash('sha256').update('kvtier-namespace\0').update(namespace, 'utf8').digest();
}

/** The chained keys of the blocks of `tokens` (token ids, each a 32-bit unsigned integer). */
export function blockKeys(tokens: ArrayLike<number>, options: BlockKeyOptions | null = {}): BlockKey[] {
  if (tokens === null || typeof tokens !== 'object' || !Number.isSafeInteger(tokens.length) || tokens.length < 0) {
    throw invalidArgument('tokens', 'an array of token ids', tokens);
  }
  options ??= {};
  const blockTokens = options.blockTokens ?? 512;
  if (!Number.isSafeInteger(blockTokens) || blockTokens <= 0) {
    throw invalidArgument('blockTokens', 'a positive integer', blockTokens);
  }
  if (options.parent != null) assertBlockKey(options.parent, 'parent');
  const salt = namespaceSalt(options.namespace ?? '');
  let previous = options.parent ? Buffer.from(options.parent, 'hex') : ROOT;
  const blocks = options.includePartial ? Math.ceil(tokens.length / blockTokens) : Math.floor(tokens.length / blockTokens);
  // Tokens of an unkeyed partial tail are still input: a bad one is an error, not silently ignored.
  for (let i = blocks * blockTokens; i < tokens.length; i++) assertToken(tokens[i], i);
  // Sized by the tokens, not by blockTokens: a huge block size is a limit, not an allocation.
  const words = new Uint32Array(Math.min(blockTokens, tokens.length));
  const keys: BlockKey[] = [];
  for (let block = 0; block < blocks; block++) {
    const start = block * blockTokens;
    const end = Math.min(start + blockTokens, tokens.length);
    for (let i = start; i < end; i++) words[i - start] = assertToken(tokens[i], i);
    const digest = createHash('sha256')
      .update(salt)
      .update(previous)
      .update(new Uint8Array(words.buffer, 0, (end - start) * 4))
      .digest();
    previous = digest.subarray(0, BLOCK_KEY_HEX_LENGTH / 2);
    keys.push(previous.toString('hex'));
  }
  return keys;
}

function assertToken(token: unknown, index: number): number {
  if (typeof token !== 'number' || !Number.isInteger(token) || token < 0 || token > 0xffffffff) {
    throw invalidArgument(`tokens[${index}]`, 'a token id (an integer in [0, 2^32))', token);
  }
  return token;
}
