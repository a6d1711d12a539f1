/**
 * A text file written in large buffered chunks and published atomically: it is written under a
 * temporary name beside the target and renamed into place only when complete, so a failed or
 * interrupted conversion never leaves a truncated trace behind.
 */
import { existsSync } from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { invalidArgument, ioError } from '../errors.js';

const FLUSH_CHARS = 1 << 20;

/** Options of `OutputFile.create`. */
export interface OutputFileOptions {
  /** Replace an existing file. @default false */
  overwrite?: boolean;
}

/** A text file being written; `commit` publishes it, `abort` discards it. */
export class OutputFile {
  private pending: string[] = [];
  private pendingChars = 0;

  private constructor(
    readonly path: string,
    private readonly temporaryPath: string,
    private readonly handle: FileHandle,
  ) {}

  /** Starts writing `path` (under a temporary name until `commit`). */
  static async create(path: string, options: OutputFileOptions = {}): Promise<OutputFile> {
    if (typeof path !== 'string' || path.length === 0) throw invalidArgument('output', 'a file path', path);
    if (!options.overwrite && existsSync(path)) {
      throw invalidArgument('output', 'a file that does not exist yet (or overwrite: true)', path);
    }
    const temporaryPath = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
    try {
      return new OutputFile(path, temporaryPath, await open(temporaryPath, 'wx'));
    } catch (cause) {
      throw ioError(`cannot create ${path}`, cause);
    }
  }

  /** Appends text; flushes to disk once about 1 MiB is pending. */
  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= FLUSH_CHARS) await this.flush();
  }

  /** Writes what is pending, closes the file and renames it into place. */
  async commit(): Promise<void> {
    try {
      await this.flush();
      await this.handle.close();
      await rename(this.temporaryPath, this.path);
    } catch (cause) {
      await rm(this.temporaryPath, { force: true });
      throw ioError(`cannot write ${this.path}`, cause);
    }
  }

  /** Closes and deletes the temporary file; the target is untouched. */
  async abort(): Promise<void> {
    await this.handle.close().catch(() => {});
    await rm(this.temporaryPath, { force: true });
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    try {
      await this.handle.write(text);
    } catch (cause) {
      throw ioError(`cannot write ${this.path}`, cause);
    }
  }
}

/** Runs `body` against a new output file, committing on success and discarding it on any error. */
export async function writeOutputFile<T>(path: string, options: OutputFileOptions, body: (file: OutputFile) => Promise<T>): Promise<T> {
  const file = await OutputFile.create(path, options);
  let result: T;
  try {
    result = await body(file);
  } catch (error) {
    await file.abort();
    throw error;
  }
  await file.commit();
  return result;
}
