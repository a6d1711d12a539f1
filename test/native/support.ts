/** Helpers shared by the native addon tests: random bytes, byte comparison, child node processes. */
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { nativePath } from '../../src/native.js';

/** `length` random bytes in a fresh Buffer (not from the shared pool, so offsets are our own). */
export function randomBuffer(length: number): Buffer {
  const buffer = Buffer.alloc(length);
  randomFillSync(buffer);
  return buffer;
}

/** Fills any byte container with random bytes and returns a Uint8Array over it. */
export function fillRandom(bytes: ArrayBuffer | ArrayBufferView): Uint8Array {
  // randomFillSync refuses more than 2^31-1 bytes per call; tests stay far below that.
  return randomFillSync(bytesOf(bytes));
}

/** Uint8Array view of an ArrayBuffer or any view, for comparisons. */
export function bytesOf(bytes: ArrayBuffer | ArrayBufferView): Uint8Array {
  return bytes instanceof ArrayBuffer
    ? new Uint8Array(bytes)
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Asserts two byte ranges are identical. Buffer.compare keeps it fast on MiB-sized data, and
 * on failure the message names the first differing offset instead of dumping megabytes.
 */
export function expectSameBytes(actual: ArrayBuffer | ArrayBufferView, expected: ArrayBuffer | ArrayBufferView): void {
  const a = bytesOf(actual);
  const b = bytesOf(expected);
  expect(a.byteLength).toBe(b.byteLength);
  if (Buffer.compare(a, b) === 0) return;
  let i = 0;
  while (a[i] === b[i]) i++;
  expect.fail(`bytes differ first at offset ${i} of ${a.byteLength}: ${a[i]} !== ${b[i]}`);
}

/** Hex form of a checksum, for readable failures and for values crossing a process boundary. */
export function hex(value: bigint): string {
  return value.toString(16).padStart(16, '0');
}

/** Result of a child node process. */
export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs an ES module `script` in a fresh node process that can `require(ADDON)` the same build
 * of the addon as this process (so an ASAN run tests its children too; the environment,
 * LD_PRELOAD included, is inherited).
 */
export function runChild(
  script: string,
  options: { nodeFlags?: string[]; env?: Record<string, string> } = {},
): ChildResult {
  const prelude = [
    `import { createRequire } from 'node:module';`,
    `const ADDON = ${JSON.stringify(nativePath)};`,
    `const require = createRequire(import.meta.url);`,
  ].join('\n');
  const args = [...(options.nodeFlags ?? []), '--input-type=module', '-e', `${prelude}\n${script}`];
  const result = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
    timeout: 60_000,
  });
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** The file the positional-read tests read: its directory, its bytes, and descriptors of it and of the directory. */
export interface ReadFixture {
  dir: string;
  content: Buffer;
  /** Open for reading; the file was written through the page cache, so it is cached. */
  fd: number;
  /** A directory's descriptor: reading it fails with EISDIR. */
  dirFd: number;
}

/** Creates a file of `bytes` random bytes in a fresh temp directory before the file's tests (removed after), and hands it to `use`. */
export function useReadFixture(prefix: string, bytes: number, use: (fixture: ReadFixture) => void): void {
  let fixture: ReadFixture | undefined;
  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    const content = randomBuffer(bytes);
    writeFileSync(join(dir, 'data'), content);
    fixture = { dir, content, fd: openSync(join(dir, 'data'), 'r'), dirFd: openSync(dir, 'r') };
    use(fixture);
  });
  afterAll(async () => {
    if (!fixture) return;
    closeSync(fixture.fd);
    closeSync(fixture.dirFd);
    await rm(fixture.dir, { recursive: true, force: true });
  });
}
