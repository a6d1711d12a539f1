/**
 * Splits a file into lines, reading it in 1 MiB chunks (synchronously or asynchronously), so a
 * trace of any size is read with bounded memory. Lines are handed out as byte ranges of a shared
 * buffer: no string is made per line unless the parser asks for one.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { ioError } from '../errors.js';

/**
 * Receives one line: bytes [start, end) of `buf`, without its "\n" or "\r\n" ending (and without
 * the UTF-8 byte-order mark on line 1), and its 1-based number. The bytes are only valid during
 * the call: the buffer is reused for the next chunk.
 */
export type LineHandler = (buf: Buffer, start: number, end: number, line: number) => void;

const CHUNK_BYTES = 1 << 20;
const LF = 10;
const CR = 13;

/** The chunk buffer and the carry-over of a line cut by a chunk boundary. */
class LineSplitter {
  buf: Buffer;
  filled = 0;
  private line = 0;
  private atStart = true;

  constructor(
    private readonly onLine: LineHandler,
    chunkBytes = CHUNK_BYTES,
  ) {
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }

  /** Makes room for the next read: a line longer than the buffer doubles it. */
  room(): void {
    if (this.filled < this.buf.length) return;
    const bigger = Buffer.allocUnsafe(this.buf.length * 2);
    this.buf.copy(bigger, 0, 0, this.filled);
    this.buf = bigger;
  }

  /** Takes `bytesRead` more bytes (0 means end of file) and hands out every complete line. */
  push(bytesRead: number): void {
    this.filled += bytesRead;
    const buf = this.buf;
    const filled = this.filled;
    let pos = 0;
    if (this.atStart) {
      if (filled < 3 && bytesRead !== 0) return; // the byte-order mark may still be arriving
      this.atStart = false;
      if (filled >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
    }
    const view = buf.subarray(0, filled);
    for (let nl = view.indexOf(LF, pos); nl >= 0; nl = view.indexOf(LF, pos)) {
      this.emit(pos, nl);
      pos = nl + 1;
    }
    if (bytesRead === 0) {
      if (pos < filled) this.emit(pos, filled);
      this.filled = 0;
    } else if (pos > 0) {
      buf.copy(buf, 0, pos, filled);
      this.filled = filled - pos;
    }
  }

  private emit(start: number, end: number): void {
    this.line++;
    this.onLine(this.buf, start, end > start && this.buf[end - 1] === CR ? end - 1 : end, this.line);
  }
}

/**
 * Calls `onLine` for every line of the file, synchronously (the fastest way to load a whole trace).
 * @param chunkBytes size of each read, 1 MiB by default (a longer line grows the buffer); a caller
 * that wants only the first line passes less, so as not to read and allocate a whole MiB for it
 */
export function readLinesSync(path: string, onLine: LineHandler, chunkBytes = CHUNK_BYTES): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (cause) {
    throw ioError(`cannot open trace file ${path}`, cause);
  }
  try {
    const splitter = new LineSplitter(onLine, chunkBytes);
    for (;;) {
      splitter.room();
      let bytesRead: number;
      try {
        bytesRead = readSync(fd, splitter.buf, splitter.filled, splitter.buf.length - splitter.filled, null);
      } catch (cause) {
        throw ioError(`cannot read trace file ${path}`, cause);
      }
      splitter.push(bytesRead);
      if (bytesRead === 0) return;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads the file chunk by chunk, calling `onLine` for each complete line, and yields once after
 * every chunk so the caller can hand out what those lines produced. Breaking out of the loop
 * closes the file.
 */
export async function* readLineChunks(path: string, onLine: LineHandler): AsyncGenerator<void, void, undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    throw ioError(`cannot open trace file ${path}`, cause);
  }
  try {
    const splitter = new LineSplitter(onLine);
    for (;;) {
      splitter.room();
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(splitter.buf, splitter.filled, splitter.buf.length - splitter.filled, null));
      } catch (cause) {
        throw ioError(`cannot read trace file ${path}`, cause);
      }
      splitter.push(bytesRead);
      yield;
      if (bytesRead === 0) return;
    }
  } finally {
    await handle.close();
  }
}
