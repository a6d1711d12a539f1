/** Segment files of the disk tier: their names, and positional vectored I/O that survives short transfers. */
import type { FileHandle } from 'node:fs/promises';

/** Segment file names: a 12-digit hex sequence number, so names sort in creation order. */
const SEGMENT_NAME = /^seg-([0-9a-f]{12})\.kvs$/;

/** The file name of segment `seq`. Derived from the sequence number only, never from user input. */
export function segmentFileName(seq: number): string {
  return `seg-${seq.toString(16).padStart(12, '0')}.kvs`;
}

/** The sequence number of a segment file name, or -1 when the name is not a segment's. */
export function parseSegmentFileName(name: string): number {
  const match = SEGMENT_NAME.exec(name);
  return match ? Number.parseInt(match[1]!, 16) : -1;
}

/** The buffers left after the first `done` bytes of `buffers` (views, no copies). */
function remainder(buffers: readonly Uint8Array[], done: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  let skip = done;
  for (const buffer of buffers) {
    if (skip >= buffer.byteLength) {
      skip -= buffer.byteLength;
      continue;
    }
    rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
    skip = 0;
  }
  return rest;
}

function totalBytes(buffers: readonly Uint8Array[]): number {
  let total = 0;
  for (const buffer of buffers) total += buffer.byteLength;
  return total;
}

/** Writes every byte of `buffers` at `position`, looping over short writes (large or interrupted transfers). */
export async function writeAll(handle: FileHandle, buffers: readonly Uint8Array[], position: number): Promise<void> {
  const total = totalBytes(buffers);
  let done = 0;
  let pending = buffers as Uint8Array[];
  while (done < total) {
    const { bytesWritten } = await handle.writev(pending, position + done);
    if (bytesWritten <= 0) throw new Error(`short write: ${done} of ${total} bytes at offset ${position}`);
    done += bytesWritten;
    pending = remainder(buffers, done);
  }
}

/** Reads into `buffers` from `position` until they are full or the file ends; returns the bytes read. */
export async function readAll(handle: FileHandle, buffers: readonly Uint8Array[], position: number): Promise<number> {
  const total = totalBytes(buffers);
  let done = 0;
  let pending = buffers as Uint8Array[];
  while (done < total) {
    const { bytesRead } = await handle.readv(pending, position + done);
    if (bytesRead <= 0) break;
    done += bytesRead;
    pending = remainder(buffers, done);
  }
  return done;
}
