/**
 * The `flash` tier: blocks in LMDB (the `lmdb` package), one environment per tier directory.
 *
 * Two databases in one environment, always written in the same transaction:
 * - `blocks`: key → 256-byte header (block-header.ts) + payload; what read() serves.
 * - `records`: key → the same header alone; what scan() walks, so recovery reads a few hundred
 *   bytes per block instead of every payload (LMDB has no partial reads).
 *
 * Publish is LMDB's commit: a write becomes visible only when its transaction commits, so a failed
 * or interrupted write is never served. Reads copy the payload into the caller's buffer with the
 * addon's fused copy+XXH64 and compare it with the header; a mismatch is a miss, counted, reported
 * and the entry removed. lmdb-js batches concurrent puts into transactions on its write thread.
 *
 * Two lmdb-js behaviours shape this file: the map grows on demand (so `mapBytes` is an initial
 * reservation, not a limit: fullness is enforced by `capacityBlocks`), and a failed commit with
 * event-turn batching leaves an internal promise rejected with no handler, so event-turn batching
 * is off and writes are grouped explicitly with `batch()`.
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import { ErrorCode, KvtierError, invalidConfig, ioError } from '../errors.js';
import type { DeviceModel } from '../hardware/device.js';
import { defaultTierHardware } from '../hardware/presets.js';
import { native } from '../native.js';
import { HEADER_BYTES, decodeHeader, encodeHeader } from './block-header.js';
import { warnDamage, type DamageReporter } from './damage.js';
import { KeyLedger } from './key-ledger.js';
import { emptyIoStats, type BlockKey, type BlockRecord, type Durability, type Tier, type TierIoStats } from './tier.js';
import {
  assertBlockKey,
  assertDst,
  assertDstFits,
  assertGeometry,
  assertWritable,
  closedError,
  isBlockKey,
  tierFullError,
} from './validate.js';

/** Options of the LMDB tier. */
export interface LmdbTierOptions {
  /** Directory of the LMDB environment (created if missing). */
  dir: string;
  /** Most blocks the tier holds. */
  capacityBlocks: number;
  /** Largest payload, bytes. */
  blockBytes: number;
  /** Tier name. @default 'flash' */
  name?: string;
  /** `fast`: no fsync per commit (lmdb `noSync`); `synced`: a write resolves once flushed. @default 'fast' */
  durability?: Durability;
  /** Device model that times this tier. @default the preset of `name`, else the flash preset */
  device?: DeviceModel;
  /**
   * Initial LMDB map size, bytes. lmdb-js enlarges the map when it fills, so this only saves
   * remaps. @default capacity × (header + payload, page-rounded) × 1.25 + 16 MiB, at most 1 TiB
   */
  mapBytes?: number;
  /** Receives one report per damaged block dropped. @default one console.warn line */
  onDamage?: DamageReporter;
}

const PAGE_BYTES = 4096;
const MAX_INITIAL_MAP_BYTES = 2 ** 40;
const MDB_MAP_FULL = -30792;
/** Bytes of value buffers kept for reuse between writes. */
const POOLED_VALUE_BYTES = 64 * 2 ** 20;

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

/** A flash tier over LMDB. Open with `LmdbTier.open(options)`. */
export class LmdbTier implements Tier {
  readonly kind = 'durable' as const;
  readonly name: string;
  readonly blockBytes: number;
  readonly capacityBlocks: number;
  readonly device: DeviceModel;
  readonly durability: Durability;
  readonly dir: string;

  private readonly ledger: KeyLedger;
  private readonly io: TierIoStats = emptyIoStats();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly onDamage: DamageReporter;
  private readonly copyOps = new Float64Array(5);
  private readonly copySum = new BigUint64Array(1);
  /**
   * Reused value buffers (header + largest payload). A fresh 64 KiB+ allocation per put costs page
   * faults worth a third of a put; reuse keeps writes at the speed of plain lmdb puts.
   */
  private readonly valueBuffers: Buffer[] = [];
  private readonly maxPooledBuffers: number;
  private closed = false;

  private constructor(
    options: LmdbTierOptions,
    private readonly env: RootDatabase,
    private readonly blocks: Database<Buffer, string>,
    private readonly records: Database<Buffer, string>,
  ) {
    this.name = options.name ?? 'flash';
    this.dir = options.dir;
    this.blockBytes = options.blockBytes;
    this.capacityBlocks = options.capacityBlocks;
    this.durability = options.durability ?? 'fast';
    this.device = options.device ?? defaultTierHardware(options.name ?? 'flash').device;
    this.onDamage = options.onDamage ?? warnDamage;
    this.maxPooledBuffers = Math.max(2, Math.floor(POOLED_VALUE_BYTES / (HEADER_BYTES + this.blockBytes)));
    this.ledger = new KeyLedger(
      () => (this.blocks.getStats() as { entryCount: number }).entryCount,
      (key) => this.blocks.doesExist(key),
    );
  }

  /** Opens (or creates) the environment in `options.dir`. */
  static async open(options: LmdbTierOptions): Promise<LmdbTier> {
    assertGeometry(options.capacityBlocks, options.blockBytes);
    if (typeof options.dir !== 'string' || options.dir === '') throw invalidConfig('dir', 'a directory path', options.dir);
    const durability = options.durability ?? 'fast';
    if (durability !== 'fast' && durability !== 'synced') {
      throw invalidConfig('durability', '"fast" or "synced"', durability);
    }
    const mapBytes = options.mapBytes ?? defaultMapBytes(options.capacityBlocks, options.blockBytes);
    if (!Number.isSafeInteger(mapBytes) || mapBytes <= 0) throw invalidConfig('mapBytes', 'a positive integer', mapBytes);
    let env: RootDatabase | undefined;
    try {
      env = open({
        path: options.dir,
        maxDbs: 4,
        mapSize: mapBytes,
        noSync: durability === 'fast',
        eventTurnBatching: false,
        encoding: 'binary',
      });
      const blocks = env.openDB<Buffer, string>({ name: 'blocks', encoding: 'binary' });
      const records = env.openDB<Buffer, string>({ name: 'records', encoding: 'binary' });
      return new LmdbTier({ ...options, durability }, env, blocks, records);
    } catch (cause) {
      await env?.close().catch(() => undefined);
      throw ioError(`tier \`${options.name ?? 'flash'}\`: cannot open LMDB environment in ${options.dir}`, cause);
    }
  }

  /** Blocks stored once every in-flight operation lands. */
  get blockCount(): number {
    return this.ledger.liveCount;
  }

  async write(record: BlockRecord, bytes: Uint8Array): Promise<void> {
    this.assertOpen();
    assertWritable(record, bytes, this.blockBytes);
    const key = record.key;
    if (!this.ledger.presentAfterIssued(key) && this.ledger.liveCount >= this.capacityBlocks) {
      throw tierFullError(this.name, this.capacityBlocks);
    }
    const started = performance.now();
    const buffer = this.valueBuffers.pop() ?? Buffer.allocUnsafeSlow(HEADER_BYTES + this.blockBytes);
    const value = buffer.subarray(0, HEADER_BYTES + record.length);
    encodeHeader(record, value, 0);
    value.set(bytes, HEADER_BYTES);
    const header = value.subarray(0, HEADER_BYTES);
    const ticket = this.ledger.issue(key, true);
    let ok = false;
    try {
      await this.commit(() => {
        this.blocks.put(key, value);
        this.records.put(key, header);
      });
      ok = true;
    } catch (cause) {
      this.io.ioErrors++;
      throw await this.writeError(`cannot write block ${key}`, cause);
    } finally {
      this.ledger.settle(ticket, ok);
      // lmdb-js lets go of a value once its transaction has committed; only then may the buffer be reused.
      if (ok && this.valueBuffers.length < this.maxPooledBuffers) this.valueBuffers.push(buffer);
      this.io.wallMs += performance.now() - started;
    }
    this.io.writes++;
    this.io.bytesWritten += record.length;
  }

  async read(key: BlockKey, dst: Uint8Array): Promise<BlockRecord | null> {
    this.assertOpen();
    assertBlockKey(key);
    assertDst(dst);
    const started = performance.now();
    try {
      let value: Buffer | undefined;
      try {
        value = this.blocks.getBinaryFast(key);
      } catch (cause) {
        this.io.ioErrors++;
        throw ioError(`tier \`${this.name}\`: cannot read block ${key}`, cause);
      }
      if (value === undefined) return null;
      // getBinaryFast returns a reused buffer whose `length` is the value's and `byteLength` the buffer's.
      const valueLength = value.length;
      const decoded = decodeHeader(value, 0, valueLength);
      if (!decoded.ok) return this.damaged(key, decoded.reason);
      const { record } = decoded;
      if (decoded.tombstone || record.key !== key) return this.damaged(key, 'header names another block');
      if (valueLength - HEADER_BYTES !== record.length) {
        return this.damaged(key, `payload is ${valueLength - HEADER_BYTES} bytes, header says ${record.length}`);
      }
      assertDstFits(dst, record.length);
      const ops = this.copyOps;
      ops[0] = 0;
      ops[1] = HEADER_BYTES;
      ops[2] = 1;
      ops[3] = 0;
      ops[4] = record.length;
      native.copyBatch([value, dst], ops, this.copySum);
      if (this.copySum[0] !== record.checksum) return this.damaged(key, 'payload checksum mismatch');
      this.io.reads++;
      this.io.bytesRead += record.length;
      return record;
    } finally {
      this.io.wallMs += performance.now() - started;
    }
  }

  has(key: BlockKey): boolean {
    this.assertOpen();
    assertBlockKey(key);
    return this.blocks.doesExist(key);
  }

  async delete(key: BlockKey): Promise<void> {
    this.assertOpen();
    assertBlockKey(key);
    if (!this.ledger.presentAfterIssued(key)) return;
    const started = performance.now();
    try {
      await this.remove(key);
    } finally {
      this.io.wallMs += performance.now() - started;
    }
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

  /** Waits for in-flight writes; in `fast` mode also forces the environment to disk (fsync). */
  async flush(): Promise<void> {
    this.assertOpen();
    await Promise.allSettled([...this.inflight]);
    const started = performance.now();
    try {
      if (this.durability === 'synced') await this.env.flushed;
      else await this.syncEnv();
    } catch (cause) {
      this.io.ioErrors++;
      throw ioError(`tier \`${this.name}\`: flush failed`, cause);
    } finally {
      this.io.wallMs += performance.now() - started;
    }
  }

  /** Waits for in-flight operations, then closes the environment. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inflight]);
    try {
      await this.env.close();
    } catch (cause) {
      throw ioError(`tier \`${this.name}\`: close failed`, cause);
    }
  }

  stats(): TierIoStats {
    return { ...this.io };
  }

  /** Commits the puts/removes of `operations` in one transaction; in `synced` mode waits for the flush. */
  private async commit(operations: () => void): Promise<void> {
    const committed = this.blocks.batch(operations);
    this.inflight.add(committed);
    try {
      await committed;
      if (this.durability === 'synced') await this.env.flushed;
    } finally {
      this.inflight.delete(committed);
    }
  }

  private async remove(key: BlockKey): Promise<void> {
    const ticket = this.ledger.issue(key, false);
    let ok = false;
    try {
      await this.commit(() => {
        this.blocks.remove(key);
        this.records.remove(key);
      });
      ok = true;
    } catch (cause) {
      this.io.ioErrors++;
      throw await this.writeError(`cannot delete block ${key}`, cause);
    } finally {
      this.ledger.settle(ticket, ok);
    }
  }

  /** Counts and reports a damaged block and removes it, unless a newer write of it is already in flight. */
  private damaged(key: string, reason: string): null {
    this.io.checksumErrors++;
    this.onDamage({ tier: this.name, key: isBlockKey(key) ? key : null, reason, location: this.dir });
    if (!this.closed && !this.ledger.busy(key)) {
      const removal = (
        isBlockKey(key)
          ? this.remove(key)
          : this.commit(() => {
              this.blocks.remove(key);
              this.records.remove(key);
            })
      ).catch(() => undefined); // already counted in ioErrors; the entry will fail again and be retried
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

  private assertOpen(): void {
    if (this.closed) throw closedError(this.name);
  }
}
