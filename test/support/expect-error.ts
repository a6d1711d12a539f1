/** Assertions that an operation fails with a KvtierError of a given code (and message). */
import { expect } from 'vitest';
import { KvtierError } from '../../src/errors.js';

/** Awaits a promise expected to reject with a KvtierError of `code` (and a message matching `message`). */
export async function rejection(promise: Promise<unknown>, code: string, message?: RegExp | string): Promise<KvtierError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KvtierError);
  expect((error as KvtierError).code).toBe(code);
  if (message !== undefined) expect((error as KvtierError).message).toMatch(message);
  return error as KvtierError;
}

/** Calls `fn`, expecting a KvtierError of `code` whose message is exactly `message` (or matches it). */
export function thrown(fn: () => unknown, code: string, message?: RegExp | string): KvtierError {
  let error: unknown = null;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(KvtierError);
  expect((error as KvtierError).code).toBe(code);
  if (typeof message === 'string') expect((error as KvtierError).message).toBe(message);
  else if (message) expect((error as KvtierError).message).toMatch(message);
  return error as KvtierError;
}
