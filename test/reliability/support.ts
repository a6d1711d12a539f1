/** Shared helpers of the reliability suites: temp directories, the built engine, block payload checks. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ErrorCode, KvtierError } from '../../src/errors.js';

export { isPayloadOf, keyOf, lengthOf, payloadOf } from './fixtures/blocks.mjs';

/** A fresh empty directory under the OS temp dir. */
export function tempDir(prefix = 'kvtier-reliability-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Removes a directory tree, ignoring a missing one. */
export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** A seed for a randomised test: KVTIER_TEST_SEED when set (to replay a failure), else a fresh one. */
export function testSeed(): number {
  const fromEnv = Number(process.env.KVTIER_TEST_SEED);
  return Number.isSafeInteger(fromEnv) && fromEnv > 0 ? fromEnv : 1 + Math.floor(Math.random() * 2 ** 31);
}

/** Every error code kvtier defines. */
export const ERROR_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/**
 * Asserts that `error` is what a bad input may end in: a KvtierError with a known code and a
 * message, or one of the `allowed` native error types (TypeError/RangeError from the addon).
 */
export function expectCleanError(error: unknown, allowed: readonly (new (...args: never[]) => Error)[] = []): void {
  if (error instanceof KvtierError) {
    expect(ERROR_CODES.has(error.code), `unknown code ${error.code}`).toBe(true);
    expect(error.message.length).toBeGreaterThan(0);
    return;
  }
  if (allowed.some((type) => error instanceof type)) return;
  throw new Error(`expected a KvtierError, got ${describe(error)}`, { cause: error });
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.constructor.name}: ${error.message}\n${error.stack ?? ''}`;
  return String(error);
}
