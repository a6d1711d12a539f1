/**
 * The `flash` tier: blocks in LMDB (the `lmdb` package), one environment per tier directory.
 *
 * Two databases in one environment, always written in the same transaction:
 * - `records`: key → the block's 256-byte header (block-header.ts: magic, version, payload length,
 *   XXH3-64, key, parent, namespace, header checksum). scan() walks only this database, so recovery
 *   reads a few hundred bytes per block instead of every payload (LMDB has no partial reads).
 * - `blocks`: key → the payload, exactly the caller's bytes. Keeping the header out of this value
 *   (rather than header + payload in one value) spares a full copy of every block on the JS thread
 *   before the put: lmdb-js hands the caller's buffer to its write thread as is. Measured at
 *   64 KiB–1 MiB blocks, that copy cost 10–25% of write throughput. The caller's `bytes` must
 *   therefore stay unchanged until write() settles (a change would be caught on read, not served).
 *
 * Publish is LMDB's commit: a write becomes visible only when its transaction commits, so a failed
 * or interrupted write is never served. Reads verify the header, then copy the payload into the
 * caller's buffer with the addon's fused copy+XXH3-64 and compare; a mismatch is a miss, counted,
 * reported and the entry removed. A block whose record is in `recent` (written or verified
 * lately) skips the `records` get and is checked against that record instead.
 *
 * Writes and deletes issued in the same turn share one transaction (commit()): with one batch()
 * per write, lmdb-js committed 8 concurrent 64 KiB writes about 4 at a time; the turn's group
 * commits all 8 at once (half the commits and a third of the page writes, counted with strace).
 *
 * Two lmdb-js behaviours shape this file: the map grows on demand (so `mapBytes` is an initial
 * reservation, not a limit: fullness is enforced by `capacityBlocks`), and a failed commit with
 * event-turn batching leaves an internal promise rejected with no handler, so event-turn batching
 * is off and writes are grouped explicitly with `batch()`.
 */
import { statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { ErrorCode, KvtierError, invalidConfig, ioError } from '../errors.js';
import { asBuffer } from '../memory/as-buffer.js';
import { native } from '../native.js';
import { HEADER_BYTES, decodeHeader, encodeHeaders } from './block-header.js';
import { warnDamage } from './damage.js';
import { DurableTier, checkDurableOptions, type DurableTierOptions, type PendingWrite } from './durable-tier.js';
import { KeyLedger } from './key-ledger.js';
import { checkEnvironment } from './lmdb-check.js';
import { prepareEnvironmentDir } from './lmdb-preflight.js';
import type { BlockKey, BlockRecord, Tier } from './tier.js';
import { assertDstFits, isBlockKey } from './validate.js';

/**
 * Options of the LMDB tier: `dir` is the LMDB environment's directory; `fast` durability maps to
 * lmdb `noSync` (no fsync per commit).
 */
export interface LmdbTierOptions extends DurableTierOptions {
  /**
   * Initial LMDB map size, bytes. lmdb-js enlarges the map when it fills, so this only saves
   * remaps. @default capacity × (header + payload, page-rounded) × 1.25 + 16 MiB, at most 1 TiB
   */
  mapBytes?: number;
  /**
   * Check an existing environment's page structure in a child process before opening it
   * (lmdb-check.ts), and set it aside if LMDB cannot read it without crashing. LMDB does not
   * checksum its pages, so without the check a damaged `data.mdb` can kill the process. Costs
   * about one read of every stored block at open. @default true
   */
  verifyOnOpen?: boolean;
}

const PAGE_BYTES = 4096;
const EMPTY = new Uint8Array(0);
const MAX_INITIAL_MAP_BYTES = 2 ** 40;
const MDB_MAP_FULL = -30792;

/** Default initial map size: room for a full tier with LMDB's page rounding and free-page slack. */
function defaultMapBytes(capacityBlocks: number, blockBytes: number): number {
  const recordPages = Math.ceil((HEADER_BYTES + blockBytes + 64) / PAGE_BYTES) + 1; // + records DB and branch pages
  const bytes = capacityBlocks * recordPages * PAGE_BYTES * 1.25 + 16 * 2 ** 20;
  return Math.min(MAX_INITIAL_MAP_BYTES, Math.ceil(bytes / PAGE_BYTES) * PAGE_BYTES);
}

/** LMDB reports a failed commit as an opaque error whose `commitError` promise holds the real cause. */
async function commitCause(error: unknown): Promise<unknown> {
  const commitError = (error as { commitError?: Promise<unknown> } | null)?.commitError;
  if (!commitError || typeof commitError.then !== 'function') return error;
  // The real cause settles in the same callback; never wait longer than one turn for it.
  const nextTurn = new Promise<unknown>((resolve) => setImmediate(() => resolve(error)));
  return Promise.race([
    commitError.then(
      () => error,
      (cause: unknown) => cause,
    ),
    nextTurn,
  ]);
}

/**
 * One write or delete waiting for its turn's shared transaction: a write from trackedWrite, or a
 * deletion of `key` settled through `done` (null when visible, else its error).
 */
type PendingOperation = PendingWrite | { readonly key: BlockKey; readonly done: (error: KvtierError | null) => void };

function isWrite(operation: PendingOperation): operation is PendingWrite {
  return 'record' in operation;
}

/** The key an operation writes or deletes. */
function keyOf(operation: PendingOperation): string {
  return isWrite(operation) ? operation.record.key : operation.key;
}

/** The operations issued in one turn, committed in one transaction (see commit()). */
interface Group {
  readonly operations: PendingOperation[];
  /** The records of its writes, in issue order: their headers are encoded together. */
  readonly records: BlockRecord[];
}

/**
 * A buffer for a group's headers, and one view of each header in it: a put's value must be a
 * Buffer of its own, and making the views once spares a Buffer per write.
 */
interface HeaderSlab {
  readonly bytes: Buffer;
  readonly views: readonly Buffer[];
}

/** A flash tier over LMDB. Open with `LmdbTier.open(options)`. */
export class LmdbTier extends DurableTier implements Tier {
  /**
   * Keys of committed blocks, mirrored in memory: has() and the capacity checks then cost no LMDB
   * read transaction (renewing one after every commit, and the snapshot it pins, cost a quarter of
   * the write throughput).
   */
  private readonly known: Set<BlockKey>;
  /** Operations issued this turn, committed together at the end of it (see commit()). */
  private gathering: Group | null = null;
  private readonly copyOps = new Float64Array(5);
  private readonly copySum = new BigUint64Array(1);
  private readonly copyBuffers: Uint8Array[] = [EMPTY, EMPTY];
  /**
   * Slabs a group's headers are encoded into (all at once, one native hash call for the group),
   * kept for the next groups. At 64 KiB blocks a write's header
   * had cost about as much as the rest of the tier's own work per write: a fresh buffer, the
   * namespace encoded again, a native call of its own (see encodeHeaders).
   */
  private readonly spareHeaderSlabs: HeaderSlab[] = [];

  private constructor(
    options: LmdbTierOptions,
    private readonly env: RootDatabase,
    private readonly blocks: Database<Buffer, string>,
    private readonly records: Database<Buffer, string>,
    known: Set<BlockKey>,
  ) {
    super(options, 'flash');
    this.known = known;
    this.ledger = new KeyLedger(
      () => this.known.size,
      (key) => this.known.has(key),
    );
  }

  /** Opens (or creates) the environment in `options.dir`. */
  static async open(options: LmdbTierOptions): Promise<LmdbTier> {
    const durability = checkDurableOptions(options);
    const mapBytes = options.mapBytes ?? defaultMapBytes(options.capacityBlocks, options.blockBytes);
    if (!Number.isSafeInteger(mapBytes) || mapBytes <= 0) throw invalidConfig('mapBytes', 'a positive integer', mapBytes);
    const verify = options.verifyOnOpen ?? true;
    if (typeof verify !== 'boolean') throw invalidConfig('verifyOnOpen', 'true or false', verify);
    const envOptions = { path: options.dir, maxDbs: 4, mapSize: mapBytes, noSync: durability === 'fast', overlappingSync: false, eventTurnBatching: false, encoding: 'binary' as const };
    // A damaged environment's blocks are lost either way: set its file aside and start empty.
    const setAside = async (reason: string): Promise<void> => {
      const aside = join(options.dir, `data.mdb.damaged-${Date.now()}`);
      await rename(join(options.dir, 'data.mdb'), aside);
      await rm(join(options.dir, 'lock.mdb'), { force: true });
      (options.onDamage ?? warnDamage)({ tier: options.name ?? 'flash', key: null, reason: `${reason}; moved to ${aside}, starting empty`, location: options.dir });
      await prepareEnvironmentDir(options.dir); // a new lock file, and room for a new environment
    };
    let env: RootDatabase | undefined;
    try {
      const dataBytes = await prepareEnvironmentDir(options.dir);
      if (verify && dataBytes > 0) {
        const verdict = await checkEnvironment(envOptions, dataBytes);
        if (verdict.kind === 'damaged') await setAside(verdict.reason);
      }
      env = open(envOptions);
      const short = shortDataFile(options.dir, env);
      if (short !== null) {
        // LMDB maps the file and trusts its meta pages: touching a page past a truncated end would
        // kill the process (SIGBUS). Caught here too when verifyOnOpen is off.
        await env.close();
        env = undefined;
        await setAside(short);
        env = open(envOptions);
      }
      const blocks = env.openDB<Buffer, string>({ name: 'blocks', encoding: 'binary' });
      const records = env.openDB<Buffer, string>({ name: 'records', encoding: 'binary' });
      const known = new Set<BlockKey>();
      for (const key of records.getKeys({})) known.add(String(key));
      return new LmdbTier({ ...options, durability }, env, blocks, records, known);
    } catch (cause) {
      await env?.close().catch(() => undefined);
      throw ioError(`tier \`${options.name ?? 'flash'}\`: cannot open LMDB environment in ${options.dir}`, cause);
    }
  }

  write(record: BlockRecord, bytes: Uint8Array): Promise<void> {
    return this.trackedWrite(record, bytes, this.startWrite);
  }

  /** trackedWrite's `start`: made once, so a write allocates no closure for it. */
  private readonly startWrite = (write: PendingWrite): void => this.commit(write);

  /** Synchronous: LMDB reads are memory-mapped, so a read needs no promise of its own. */
  protected fetch(key: BlockKey, dst: Uint8Array): BlockRecord | null {
    const known = this.recent.get(key);
    if (known) {
      // The payload must hash to the record's checksum. Anything else takes the full path, which
      // re-reads and verifies the header from the same snapshot as the payload: real damage, or a
      // snapshot that already holds a commit whose promise has not resolved yet.
      assertDstFits(dst, known.length);
      const payload = this.get(this.blocks, key);
      if (payload !== undefined && payload.length === known.length && this.copyVerified(payload, dst, known)) return known;
    }
    return this.fetchWithHeader(key, dst);
  }

  /** A read that verifies the stored header first; caches the record when the block is settled. */
  private fetchWithHeader(key: BlockKey, dst: Uint8Array): BlockRecord | null {
    // getBinaryFast returns a buffer reused by the next get, with `length` set to the value's
    // size (its `byteLength` is the whole buffer): decode the header before fetching the payload.
    const headerValue = this.get(this.records, key);
    if (headerValue === undefined) return this.known.has(key) ? this.damaged(key, 'record missing') : null;
    const decoded = decodeHeader(headerValue, 0, headerValue.length);
    if (!decoded.ok) return this.damaged(key, decoded.reason);
    const { record } = decoded;
    if (decoded.tombstone || record.key !== key) return this.damaged(key, 'header names another block');
    assertDstFits(dst, record.length);
    const payload = this.get(this.blocks, key);
    if (payload === undefined) return this.damaged(key, 'payload missing');
    if (payload.length !== record.length) {
      return this.damaged(key, `payload is ${payload.length} bytes, header says ${record.length}`);
    }
    if (!this.copyVerified(payload, dst, record)) return this.damaged(key, 'payload checksum mismatch');
    if (this.known.has(key) && !this.ledger.busy(key)) this.recent.set(key, Object.freeze(record));
    return record;
  }

  /** Copies the payload into `dst` with the fused copy+XXH3-64; whether it matches the record. */
  private copyVerified(payload: Buffer, dst: Uint8Array, record: BlockRecord): boolean {
    const ops = this.copyOps;
    ops[0] = 0;
    ops[1] = 0;
    ops[2] = 1;
    ops[3] = 0;
    ops[4] = record.length;
    const buffers = this.copyBuffers;
    buffers[0] = payload;
    buffers[1] = dst;
    try {
      native.copyBatch(buffers, ops, this.copySum);
    } finally {
      buffers[1] = buffers[0] = EMPTY; // keep no caller buffer alive
    }
    return this.copySum[0] === record.checksum;
  }

  async delete(key: BlockKey): Promise<void> {
    if (!this.checkDelete(key)) return;
    await this.tracked(key, false, () => this.removal(key));
    this.io.deletes++;
  }

  /**
   * Every stored block's record, from the `records` database: headers are verified (a damaged one
   * is reported, counted and removed), payloads are verified when read.
   */
  async *scan(): AsyncIterable<BlockRecord> {
    this.assertOpen();
    for (const { key, value } of this.records.getRange({})) {
      if (this.closed) return;
      if (!this.known.has(key)) continue; // found damaged meanwhile: reported once, removal in flight
      const decoded = isBlockKey(key) ? decodeHeader(value, 0, value.length) : null;
      if (decoded === null) {
        this.damaged(String(key), 'malformed key');
        continue;
      }
      if (!decoded.ok) {
        this.damaged(key, decoded.reason);
        continue;
      }
      if (decoded.tombstone || decoded.record.key !== key) {
        this.damaged(key, 'header names another block');
        continue;
      }
      yield decoded.record;
    }
  }

  /**
   * Waits for in-flight writes; in `fast` mode also forces the environment to disk (fsync). In
   * `synced` mode every write already resolved after its commit's fsync.
   */
  async flush(): Promise<void> {
    this.assertOpen();
    await this.groupsStarted();
    await Promise.allSettled([...this.inflight]);
    if (this.durability === 'fast') {
      await this.timedIo('flush failed', async () => {
        await this.syncEnv();
        this.io.syncs++;
      });
    }
  }

  /** Waits for in-flight operations, then closes the environment. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.groupsStarted();
    await Promise.allSettled([...this.inflight]);
    try {
      await this.env.close();
    } catch (cause) {
      throw ioError(`tier \`${this.name}\`: close failed`, cause);
    }
  }

  /**
   * Queues a write or delete for the transaction of this turn and settles it (in commit order)
   * once that transaction is visible or has failed. Every write and delete issued in the same turn
   * shares one transaction (one `batch()`): lmdb-js would otherwise commit each batch() of
   * concurrent writes on its own, and a commit (meta page, branch pages of both databases) costs
   * as much as copying a 64 KiB block. A transaction commits whole or not at all, so publish stays
   * two-phase; a failed commit fails every operation of its group. In `synced` mode LMDB's commit
   * has fsynced by then: overlappingSync is off, because with it a failed commit leaves lmdb-js's
   * flush promise unresolved for ever (env.flushed and env.close() then hang), and `env.flushed`
   * reports the latest batch, not this one. A failure is counted in `ioErrors` and settles with
   * ERR_IO ("cannot <verb> block <key>: <cause>"), or ERR_TIER_FULL when the map is full.
   */
  private commit(operation: PendingOperation): void {
    const gathering = this.gathering;
    if (gathering !== null) {
      gathering.operations.push(operation);
      if (isWrite(operation)) gathering.records.push(operation.record);
      return;
    }
    this.gathering = { operations: [operation], records: isWrite(operation) ? [operation.record] : [] };
    queueMicrotask(this.commitGathered);
  }

  /**
   * commit()'s microtask, once per turn: commits the gathered group, kept in `inflight` until it
   * has settled (flush() and close() first let a group gathered in their turn get this far).
   */
  private readonly commitGathered = (): void => {
    const group = this.gathering!;
    this.gathering = null;
    const done = this.commitGroup(group);
    this.inflight.add(done);
    void done.then(() => this.inflight.delete(done));
  };

  /**
   * Resolves once a group gathered before the call has started (and so is in `inflight`): its
   * microtask was queued first.
   */
  private async groupsStarted(): Promise<void> {
    if (this.gathering !== null) await undefined;
  }

  /** Runs a turn's gathered operations in one transaction and settles each of them. */
  private async commitGroup({ operations, records }: Group): Promise<void> {
    // An operation that throws fails only itself (lmdb-js commits what was queued anyway).
    let thrown: Map<PendingOperation, unknown> | null = null;
    const failed = (operation: PendingOperation): boolean => thrown !== null && thrown.has(operation);
    const fail = (operation: PendingOperation, cause: unknown): void => void (thrown ??= new Map()).set(operation, cause);
    // The slab stays untouched until the commit has settled: lmdb-js's write thread reads the
    // headers from it.
    const slab = this.takeHeaderSlab(records.length);
    let committed: Promise<unknown>;
    try {
      committed = this.blocks.batch(() => {
        try {
          encodeHeaders(records, slab.bytes);
        } catch (cause) {
          for (const operation of operations) if (isWrite(operation)) fail(operation, cause);
        }
        let written = 0;
        for (const operation of operations) {
          const header = isWrite(operation) ? slab.views[written++]! : null;
          if (failed(operation)) continue;
          try {
            if (header === null) this.records.remove(keyOf(operation));
            else this.records.put(keyOf(operation), header);
          } catch (cause) {
            fail(operation, cause);
          }
        }
        for (const operation of operations) {
          if (failed(operation)) continue;
          try {
            if (isWrite(operation)) this.blocks.put(operation.record.key, asBuffer(operation.bytes));
            else this.blocks.remove(operation.key);
          } catch (cause) {
            fail(operation, cause);
          }
        }
      });
    } catch (cause) {
      committed = Promise.reject(cause);
    }
    let failure: { cause: unknown } | null = null;
    try {
      await committed;
      // In `synced` mode the commit returned once LMDB had synced it.
      if (this.durability === 'synced') this.io.syncs++;
    } catch (cause) {
      failure = { cause };
    }
    this.spareHeaderSlabs.push(slab);
    let now = performance.now(); // one clock read for the group's writes, taken again after an await
    for (const operation of operations) {
      let error: KvtierError | null = null;
      if (failure !== null || failed(operation)) {
        this.io.ioErrors++;
        const cause = failure !== null ? failure.cause : thrown!.get(operation);
        error = await this.writeError(`cannot ${isWrite(operation) ? 'write' : 'delete'} block ${keyOf(operation)}`, cause);
        now = performance.now();
      }
      if (!isWrite(operation)) {
        operation.done(error);
        continue;
      }
      if (error === null) {
        const { key } = operation.record;
        this.known.add(key);
        this.recent.set(key, operation.record);
      }
      this.settleWrite(operation, error, now);
    }
  }

  /** A spare slab of room for at least `count` headers (the smaller spares are dropped), else a new one. */
  private takeHeaderSlab(count: number): HeaderSlab {
    let spare = this.spareHeaderSlabs.pop();
    while (spare !== undefined && spare.views.length < count) spare = this.spareHeaderSlabs.pop();
    if (spare !== undefined) return spare;
    // allocUnsafeSlow: a buffer of its own, not a slice of Node's shared pool.
    const bytes = Buffer.allocUnsafeSlow(Math.max(count, 16) * HEADER_BYTES);
    const views = Array.from({ length: bytes.byteLength / HEADER_BYTES }, (_, i) => bytes.subarray(i * HEADER_BYTES, (i + 1) * HEADER_BYTES));
    return { bytes, views };
  }

  /** The commit that removes a key's entries from both databases and then forgets the key. */
  private removal(key: string): Promise<void> {
    return new Promise<void>((resolve, reject) =>
      this.commit({
        key,
        done: (error) => {
          if (error !== null) {
            reject(error);
            return;
          }
          this.known.delete(key);
          this.recent.delete(key);
          resolve();
        },
      }),
    );
  }

  private get(db: Database<Buffer, string>, key: BlockKey): Buffer | undefined {
    try {
      return db.getBinaryFast(key);
    } catch (cause) {
      this.io.ioErrors++;
      throw ioError(`tier \`${this.name}\`: cannot read block ${key}`, cause);
    }
  }

  /**
   * Counts and reports a damaged block and removes it, unless a newer write of it is already in
   * flight. It leaves `known` at once, so has() and scan() stop showing it before the removal commits.
   */
  private damaged(key: string, reason: string): null {
    this.io.checksumErrors++;
    this.onDamage({ tier: this.name, key: isBlockKey(key) ? key : null, reason, location: this.dir });
    if (!this.closed && !this.ledger.busy(key)) {
      // A block key's removal is a ledger operation, issued synchronously (before `known` changes).
      const removal = (isBlockKey(key) ? this.tracked(key, false, () => this.removal(key)) : this.removal(key)).catch(
        () => undefined, // already counted in ioErrors; the entry will fail again and be retried
      );
      this.known.delete(key); // after the ledger has counted the removal, as it counts from `known`
      this.recent.delete(key);
      this.inflight.add(removal);
      void removal.finally(() => this.inflight.delete(removal));
    }
    return null;
  }

  private async writeError(action: string, error: unknown): Promise<KvtierError> {
    const cause = await commitCause(error);
    const code = (cause as { code?: unknown } | null)?.code;
    if (code === MDB_MAP_FULL || (cause instanceof Error && cause.message.includes('MDB_MAP_FULL'))) {
      return new KvtierError(ErrorCode.TIER_FULL, `tier \`${this.name}\`: ${action}: LMDB map is full`, {}, { cause });
    }
    return ioError(`tier \`${this.name}\`: ${action}`, cause);
  }

  private syncEnv(): Promise<void> {
    // `sync` is on the root database at runtime but missing from lmdb's type declarations.
    const env = this.env as unknown as { sync(callback: (error?: unknown) => void): void };
    return new Promise((resolve, reject) => env.sync((error) => (error ? reject(error) : resolve())));
  }

  protected holds(key: BlockKey): boolean {
    return this.known.has(key);
  }
}

/**
 * Why the environment's data file cannot hold the pages its meta page claims (a truncated file),
 * or null when it can. Reads only the meta page (env stats) and the file size, no data page.
 */
function shortDataFile(dir: string, env: RootDatabase): string | null {
  const stats = env.getStats() as { pageSize?: number; lastPageNumber?: number };
  if (typeof stats.pageSize !== 'number' || typeof stats.lastPageNumber !== 'number') return null;
  const needed = (stats.lastPageNumber + 1) * stats.pageSize;
  const size = statSync(join(dir, 'data.mdb')).size;
  return size < needed ? `data.mdb is truncated: ${size} bytes, its meta page needs ${needed}` : null;
}
