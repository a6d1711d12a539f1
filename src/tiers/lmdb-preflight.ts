/**
 * Checks before LMDB opens an environment, for the failures lmdb-js cannot survive on a full file
 * system. LMDB maps `lock.mdb` after growing it with ftruncate, so on a full file system the first
 * store into the map kills the process (SIGBUS); and when writing a new environment's meta pages
 * fails, lmdb-js crashes while cleaning up (SIGSEGV in EnvWrap::closeEnv, lmdb 3.x). Both happen
 * inside `open()`, before any error could reach JavaScript, so they are prevented here instead:
 * the lock file is written with real bytes first (an ENOSPC is then an ordinary error), and a new
 * environment is not started without room for its first pages.
 */
import { constants } from 'node:fs';
import { mkdir, open, stat, statfs, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Bytes written into a new lock file: more than LMDB's reader table needs (8,272 bytes for
 * lmdb-js's default 126 readers); LMDB keeps a larger file and sizes its reader table to it.
 */
const LOCK_FILE_BYTES = 16 * 1024;
/** The smallest lock file LMDB could be using (its header and one reader slot); smaller ones are leftovers. */
const MIN_LIVE_LOCK_BYTES = 4096;
/** Free space a new environment needs: two meta pages, the first commit's pages, and slack. */
export const NEW_ENVIRONMENT_FREE_BYTES = 64 * 1024;

function errorCode(cause: unknown): unknown {
  return (cause as { code?: unknown } | null)?.code;
}

async function sizeAndBlocks(path: string): Promise<{ size: number; blocks: number } | null> {
  try {
    return await stat(path);
  } catch (cause) {
    if (errorCode(cause) === 'ENOENT') return null;
    throw cause;
  }
}

/**
 * Gives `lock.mdb` real (allocated) bytes when it is missing, shorter than any live lock file, or
 * wholly unallocated (left by an ftruncate that a crash interrupted). A lock file another process
 * is using always has its header written, so it is never touched. Throws the fs error (ENOSPC)
 * when the bytes cannot be written, after removing what it wrote.
 */
async function allocateLockFile(dir: string): Promise<void> {
  const path = join(dir, 'lock.mdb');
  const current = await sizeAndBlocks(path);
  if (current !== null && current.size >= MIN_LIVE_LOCK_BYTES && current.blocks > 0) return;
  const created = current === null;
  const handle = await open(path, created ? constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL : 'r+');
  try {
    await handle.write(Buffer.alloc(LOCK_FILE_BYTES), 0, LOCK_FILE_BYTES, 0);
  } catch (cause) {
    await handle.close();
    if (created) await unlink(path).catch(() => undefined);
    throw cause;
  }
  await handle.close();
}

/**
 * Prepares `dir` for LMDB: creates it, allocates the lock file, and when `data.mdb` is new (absent
 * or empty) checks that the file system has NEW_ENVIRONMENT_FREE_BYTES free. Returns the size of
 * `data.mdb` (0 when new). Throws a plain Error (or the fs error) saying what is missing; the
 * caller wraps it as ERR_IO.
 */
export async function prepareEnvironmentDir(dir: string): Promise<number> {
  await mkdir(dir, { recursive: true });
  await allocateLockFile(dir);
  const data = await sizeAndBlocks(join(dir, 'data.mdb'));
  if (data !== null && data.size > 0) return data.size;
  const space = await statfs(dir);
  const free = space.bavail * space.bsize;
  if (free < NEW_ENVIRONMENT_FREE_BYTES) {
    throw Object.assign(new Error(`no space left on device: ${free} bytes free, a new LMDB environment needs ${NEW_ENVIRONMENT_FREE_BYTES}`), {
      code: 'ENOSPC',
    });
  }
  return 0;
}
