/** The policies' contract errors, in the project's one message shape, so every policy fails alike. */
import { ErrorCode, KvtierError, describeValue, invalidArgument } from '../errors.js';

/**
 * Largest block id a policy accepts: links are Int32Array with -1 as "none", and an id indexes
 * arrays of length id + 1, which must stay within int32.
 */
export const MAX_BLOCK_ID = 0x7ffffffe;

/** Throws unless `id` is an integer in [0, MAX_BLOCK_ID]; one `|0` test covers NaN, fractions and range. */
export function assertBlockId(id: number): void {
  if ((id | 0) !== id || id < 0 || id > MAX_BLOCK_ID) {
    throw invalidArgument('id', `a block id (an integer in [0, ${MAX_BLOCK_ID}])`, id);
  }
}

/** `insert` of an id the policy already tracks: the engine would otherwise corrupt the policy's links. */
export function alreadyTracked(policy: string, id: number): KvtierError {
  return invalidArgument('id', `a block id not yet tracked by ${policy}`, id);
}

/** `touch` of an id the policy does not track: a hit on a block that is not in the tier. */
export function notTracked(policy: string, id: number): KvtierError {
  return invalidArgument('id', `a block id tracked by ${policy}`, id);
}

/** A policy cannot work with what its context or options provide (ERR_CONFIG, same message shape). */
export function configError(name: string, expected: string, value: unknown): KvtierError {
  return new KvtierError(ErrorCode.CONFIG, `expected ${expected} for \`${name}\`, got ${describeValue(value)}`, { name });
}

/** The tier capacity a queue-sizing policy (ARC, S3-FIFO) needs from its context. */
export function capacityOf(policy: string, capacityBlocks: number): number {
  if (!Number.isSafeInteger(capacityBlocks) || capacityBlocks <= 0) {
    throw configError('context.capacityBlocks', `a positive integer (${policy} sizes its queues from it)`, capacityBlocks);
  }
  return capacityBlocks;
}
