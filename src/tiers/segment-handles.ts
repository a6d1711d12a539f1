/**
 * Read handles of the disk tier's segment files, kept open in an LRU (lru-cache) so a read costs
 * one positional read rather than open + read + close. A handle leaves the cache when evicted or
 * forgotten but is closed only once no read still uses it: closing a descriptor under an in-flight
 * read could let the number be reused by another file.
 *
 * Each open handle also maps its file (native mapFile) unless told to map nothing, so the native
 * reads can copy a cached block out of the page cache and hash it in one pass (see
 * native/file-map.cc). A file that cannot be mapped is only read.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { LRUCache } from 'lru-cache';
import type { FileMap } from '../native.js';
import { native } from '../native.js';

interface SharedHandle {
  readonly opened: Promise<FileHandle>;
  /** The descriptor once the open has succeeded, else -1. */
  fd: number;
  /** The file's mapping once open (and mapped), unmapped when the handle closes. */
  map: FileMap | undefined;
  refs: number;
  evicted: boolean;
}

/** The use of one handle by one reader; release it exactly once when done (extra calls are ignored). */
export interface HandleLease {
  readonly handle: Promise<FileHandle>;
  /**
   * The handle's descriptor if it is already open, else -1 (then await `handle`). It stays valid
   * until release(), so a reader may hand it to reads outside FileHandle (the disk tier's native
   * batched reads), which cost less per read than FileHandle's promise methods.
   */
  readonly fd: number;
  /** The file's mapping once the file is open (and could be mapped); valid until release(). */
  readonly map: FileMap | undefined;
  release(): void;
}

/** An LRU of read-only file handles with leases. */
export class SegmentHandles {
  private readonly cache: LRUCache<string, SharedHandle>;
  private readonly closing = new Set<Promise<void>>();

  /**
   * @param maxOpenFiles handles kept open at most (leased handles may briefly exceed it)
   * @param mapBytes bytes of each file to map (address space only: pages come from the page cache); 0 maps nothing
   */
  constructor(
    maxOpenFiles: number,
    private readonly mapBytes: number,
  ) {
    this.cache = new LRUCache<string, SharedHandle>({
      max: maxOpenFiles,
      dispose: (shared) => {
        shared.evicted = true;
        this.closeIfIdle(shared);
      },
    });
  }

  /** Leases the handle of `path`, opening it on first use. */
  acquire(path: string): HandleLease {
    let shared = this.cache.get(path);
    if (!shared) {
      const created: SharedHandle = { opened: open(path, 'r'), fd: -1, map: undefined, refs: 0, evicted: false };
      // A failed open must not stay cached: the next reader retries (and sees the real error).
      created.opened.then(
        (handle) => {
          created.fd = handle.fd;
          // Evicted before it opened: it is about to close, so not worth mapping.
          if (!created.evicted) created.map = this.mapOf(handle.fd);
        },
        () => {
          if (this.cache.peek(path) === created) this.cache.delete(path);
        },
      );
      this.cache.set(path, created);
      shared = created;
    }
    const leased = shared;
    leased.refs++;
    let released = false;
    return {
      handle: leased.opened,
      fd: leased.fd,
      // Read when the read starts: a handle still opening at acquire() has its mapping by then.
      get map() {
        return leased.map;
      },
      release: () => {
        if (released) return;
        released = true;
        leased.refs--;
        this.closeIfIdle(leased);
      },
    };
  }

  /**
   * The descriptor of `path` if its handle is open and cached, else -1; counts as a use for the
   * LRU. For synchronous reads only: a cached handle is never being closed, and nothing can close
   * it before the caller's synchronous code returns. Anything asynchronous takes a lease.
   */
  openFd(path: string): number {
    return this.cache.get(path)?.fd ?? -1;
  }

  /** Drops the handle of `path` (its file is being deleted); it closes once its leases are released. */
  forget(path: string): void {
    this.cache.delete(path);
  }

  /** Drops every handle and waits for the idle ones to close. */
  async closeAll(): Promise<void> {
    this.cache.clear();
    await Promise.allSettled([...this.closing]);
  }

  /** A mapping of the file open as `fd`, or undefined where it cannot be mapped (reads then go to the file). */
  private mapOf(fd: number): FileMap | undefined {
    if (this.mapBytes === 0) return undefined;
    try {
      return native.mapFile(fd, this.mapBytes);
    } catch (error) {
      // A file system without mmap, or no address space left (e.g. under `ulimit -v`): reads
      // go to the file. Anything else is a bug, not a reason to read more slowly.
      if ((error as { errno?: unknown }).errno === undefined) throw error;
      return undefined;
    }
  }

  private closeIfIdle(shared: SharedHandle): void {
    if (!shared.evicted || shared.refs > 0) return;
    if (shared.map !== undefined) native.unmapFile(shared.map);
    shared.map = undefined;
    const closed = shared.opened.then(
      (handle) => handle.close(),
      () => undefined,
    );
    const tracked = closed.catch(() => undefined);
    this.closing.add(tracked);
    void tracked.then(() => this.closing.delete(tracked));
  }
}
