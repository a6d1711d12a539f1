/** The part the two durable tiers (LMDB `flash`, segment-file `disk`) share: options, checks, ledger-tracked writes and deletes, counters. */
import { LRUCache } from 'lru-cache';
import { invalidConfig, ioError } from '../errors.js';
import type { DeviceModel } from '../hardware/device.js';
import { defaultTierHardware } from '../hardware/presets.js';
import { warnDamage, type DamageReporter } from './damage.js';
import type { KeyLedger, LedgerTicket } from './key-ledger.js';
import { emptyIoStats, type BlockKey, type BlockRecord, type Durability, type TierIoStats } from './tier.js';
import { assertBlockKey, assertDst, assertGeometry, assertWritable, closedError, tierFullError } from './validate.js';

/** Options every durable tier takes. */
export interface DurableTierOptions {
  /** Directory of the tier's files (created if missing). */
  dir: string;
  /** Most blocks the tier holds. */
  capacityBlocks: number;
  /** Largest payload, bytes. */
  blockBytes: number;
  /** Tier name. @default the tier's own name: 'flash' for LmdbTier, 'disk' for FileTier */
  name?: string;
  /** `fast`: no fsync per write (flush() forces one); `synced`: a write resolves once flushed to storage. @default 'fast' */
  durability?: Durability;
  /** Device model that times this tier. @default the preset of `name`, else the preset of the tier's own name */
  device?: DeviceModel;
  /** Receives one report per damaged block (or damaged region) dropped. @default one console.warn line */
  onDamage?: DamageReporter;
}

/**
 * Checks the options every durable tier shares (ERR_CONFIG names the field) and returns the
 * durability they resolve to.
 */
export function checkDurableOptions(options: DurableTierOptions): Durability {
  assertGeometry(options.capacityBlocks, options.blockBytes);
  if (typeof options.dir !== 'string' || options.dir === '') throw invalidConfig('dir', 'a directory path', options.dir);
  const durability = options.durability ?? 'fast';
  if (durability !== 'fast' && durability !== 'synced') {
    throw invalidConfig('durability', '"fast" or "synced"', durability);
  }
  return durability;
}

/** The record a write keeps in memory: a frozen copy, so a caller changing its object later changes nothing here. */
function storedRecord(record: BlockRecord): BlockRecord {
  const { key, parent, namespace, length, checksum } = record;
  return Object.freeze({ key, parent, namespace, length, checksum });
}

/** A write issued by trackedWrite and not settled yet. */
export interface PendingWrite {
  /** A frozen copy of the caller's record. */
  readonly record: BlockRecord;
  readonly bytes: Uint8Array;
  readonly ticket: LedgerTicket;
  /** performance.now() when it was issued. */
  readonly started: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Records kept for fast reads (see DurableTier.recent): about 6.5 MiB of heap when full. */
const RECENT_RECORDS = 65_536;

/**
 * Base of the durable tiers: the configuration fields, the I/O counters, the closed state and the
 * KeyLedger bookkeeping around writes and deletes, which both settle asynchronously.
 */
export abstract class DurableTier {
  readonly kind = 'durable' as const;
  readonly name: string;
  readonly blockBytes: number;
  readonly capacityBlocks: number;
  readonly device: DeviceModel;
  readonly durability: Durability;
  readonly dir: string;

  protected readonly io: TierIoStats = emptyIoStats();
  protected readonly inflight = new Set<Promise<unknown>>();
  protected readonly onDamage: DamageReporter;
  /**
   * Records of recently written or verified blocks (an LRU of RECENT_RECORDS, or of the tier's
   * capacity when smaller, since it never holds more blocks; lru-cache allocates its arrays for
   * `max` entries up front): a read of one
   * fetches the payload only and checks it against the record's checksum, sparing the header
   * fetch and decode (a third of a 64 KiB read's cost). A mismatch is not damage yet: the read
   * then takes the full path, which verifies the stored header (the entry may be a step behind a
   * rewrite that has just landed). Bounded, because a record costs about 100 bytes of heap and a
   * durable tier may hold millions of blocks.
   */
  protected readonly recent: LRUCache<BlockKey, BlockRecord>;
  /** Set by the subclass once it knows its committed keys. */
  protected ledger!: KeyLedger;
  protected closed = false;

  /** @param defaultName the name (and device preset) used when `options.name` is absent */
  protected constructor(options: DurableTierOptions, defaultName: string) {
    this.name = options.name ?? defaultName;
    this.dir = options.dir;
    this.blockBytes = options.blockBytes;
    this.capacityBlocks = options.capacityBlocks;
    this.durability = options.durability ?? 'fast';
    this.device = options.device ?? defaultTierHardware(this.name).device;
    this.onDamage = options.onDamage ?? warnDamage;
    this.recent = new LRUCache<BlockKey, BlockRecord>({ max: Math.min(RECENT_RECORDS, this.capacityBlocks) });
  }

  /** Blocks stored once every in-flight operation lands. */
  get blockCount(): number {
    return this.ledger.liveCount;
  }

  read(key: BlockKey, dst: Uint8Array): Promise<BlockRecord | null> {
    // Not an async function: a synchronous answer (flash reads, warm disk reads) then costs one
    // settled promise, not an async frame and a microtask turn. Errors still reject, never throw.
    const started = performance.now();
    let fetched: BlockRecord | null | Promise<BlockRecord | null>;
    try {
      this.assertOpen();
      // A stored key is well formed: the pattern check is only needed for the others.
      if (!this.holds(key)) assertBlockKey(key);
      assertDst(dst);
      fetched = this.fetch(key, dst);
    } catch (error) {
      this.io.wallMs += performance.now() - started;
      return Promise.reject(error);
    }
    if (!(fetched instanceof Promise)) return Promise.resolve(this.counted(fetched, started));
    return fetched.then(
      (record) => this.counted(record, started),
      (error: unknown) => {
        this.io.wallMs += performance.now() - started;
        throw error;
      },
    );
  }

  /** Adds a finished read to the counters and returns its record. */
  private counted(record: BlockRecord | null, started: number): BlockRecord | null {
    if (record !== null) {
      this.io.reads++;
      this.io.bytesRead += record.length;
    }
    this.io.wallMs += performance.now() - started;
    return record;
  }

  has(key: BlockKey): boolean {
    this.assertOpen();
    assertBlockKey(key);
    return this.holds(key);
  }

  stats(): TierIoStats {
    return { ...this.io };
  }

  /**
   * Reads and verifies a block into `dst` (arguments already checked); null when absent or damaged
   * (counted, reported). May answer synchronously (LMDB reads do), sparing a promise per read.
   */
  protected abstract fetch(key: BlockKey, dst: Uint8Array): BlockRecord | null | Promise<BlockRecord | null>;

  /** Whether a block is committed (published and not deleted), ignoring in-flight operations. */
  protected abstract holds(key: BlockKey): boolean;

  /** The checks before a write: open, a well-formed record, and room unless the key is already stored. */
  protected checkWrite(record: BlockRecord, bytes: Uint8Array): void {
    this.assertOpen();
    assertWritable(record, bytes, this.blockBytes);
    if (!this.ledger.presentAfterIssued(record.key) && this.ledger.liveCount >= this.capacityBlocks) {
      throw tierFullError(this.name, this.capacityBlocks);
    }
  }

  /** The checks before a delete; false when the key will be absent anyway (a delete is then a no-op). */
  protected checkDelete(key: BlockKey): boolean {
    this.assertOpen();
    assertBlockKey(key);
    return this.ledger.presentAfterIssued(key);
  }

  /**
   * A write as an issued ledger operation, without tracked()'s async layers (at 64 KiB each one, a
   * promise and a microtask turn, shows): checks it, issues the key's ticket and calls `start`
   * with the write, which the tier must pass to settleWrite once, when the block is published
   * (null) or has failed. One object per write carries what settling needs, rather than a chain
   * of callbacks: at 64 KiB blocks the flash tier's own work between two commits, which the
   * commits wait for, is most of what it adds to a raw lmdb put.
   */
  protected trackedWrite(record: BlockRecord, bytes: Uint8Array, start: (write: PendingWrite) => void): Promise<void> {
    try {
      this.checkWrite(record, bytes);
    } catch (error) {
      return Promise.reject(error);
    }
    const stored = storedRecord(record);
    const started = performance.now();
    const ticket = this.ledger.issue(stored.key, true);
    return new Promise<void>((resolve, reject) => {
      const write: PendingWrite = { record: stored, bytes, ticket, started, resolve, reject };
      try {
        start(write);
      } catch (error) {
        this.settleWrite(write, error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /**
   * Settles a write from trackedWrite: null when its block is published, else the error it rejects
   * with. `now` is performance.now(), passed in by a tier that settles a group of writes at once.
   */
  protected settleWrite(write: PendingWrite, error: Error | null, now = performance.now()): void {
    this.ledger.settle(write.ticket, error === null);
    this.io.wallMs += now - write.started;
    if (error !== null) {
      write.reject(error);
      return;
    }
    this.io.writes++;
    this.io.bytesWritten += write.record.length;
    write.resolve();
  }

  /**
   * Runs `operation` as an issued ledger operation that leaves `key` present or absent (issued
   * synchronously, on the call), adding its wall-clock time to the counters. Timing and tracking
   * share one async layer: each extra layer is a promise and a microtask per write.
   */
  protected async tracked(key: BlockKey, present: boolean, operation: () => Promise<unknown>): Promise<void> {
    const started = performance.now();
    const ticket = this.ledger.issue(key, present);
    let ok = false;
    try {
      await operation();
      ok = true;
    } finally {
      this.ledger.settle(ticket, ok);
      this.io.wallMs += performance.now() - started;
    }
  }

  /**
   * Runs an I/O step, adding its wall-clock time to the counters; a failure is counted in
   * `ioErrors` and rejects with ERR_IO: "tier `name`: <failure>".
   */
  protected async timedIo(failure: string, operation: () => Promise<unknown>): Promise<void> {
    const started = performance.now();
    try {
      await operation();
    } catch (cause) {
      this.io.ioErrors++;
      throw ioError(`tier \`${this.name}\`: ${failure}`, cause);
    } finally {
      this.io.wallMs += performance.now() - started;
    }
  }

  protected assertOpen(): void {
    if (this.closed) throw closedError(this.name);
  }
}
