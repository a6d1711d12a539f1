/** Shared helpers of the trace tests: fixture paths, temp files, and collecting a reader's requests. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { KvtierError } from '../../src/errors.js';
import type { TraceReader, TraceRequest } from '../../src/traces/request.js';

/** Path of a checked-in fixture under test/fixtures/traces. */
export function fixture(name: string): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'traces', name);
}

/** The example Mooncake trace shipped in examples/. */
export const EXAMPLE_TRACE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'mooncake_synthetic_trace.jsonl');

/** A fresh temp directory; `cleanup` removes it. */
export async function tempDir(): Promise<{ dir: string; file: (name: string, text: string) => Promise<string>; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'kvtier-traces-'));
  return {
    dir,
    file: async (name, text) => {
      const path = join(dir, name);
      await writeFile(path, text);
      return path;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Every request a reader yields. */
export async function collect(reader: AsyncIterable<TraceRequest> | TraceReader): Promise<TraceRequest[]> {
  const out: TraceRequest[] = [];
  for await (const request of reader) out.push(request);
  return out;
}

/** Expects `promise` to reject with a KvtierError of `code`, `message` and (when given) `details`. */
export async function expectKvtierError(
  promise: Promise<unknown>,
  code: string,
  message: string,
  details?: Record<string, unknown>,
): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KvtierError);
  const k = error as KvtierError;
  expect({ code: k.code, message: k.message }).toEqual({ code, message });
  if (details) expect(k.details).toEqual(details);
}

/** Renumbers ids densely in order of first appearance, list by list, as the readers intern them. */
export function denseIds<T>(lists: readonly (readonly T[])[]): number[][] {
  const dense = new Map<T, number>();
  return lists.map((ids) =>
    ids.map((id) => {
      if (!dense.has(id)) dense.set(id, dense.size);
      return dense.get(id)!;
    }),
  );
}
