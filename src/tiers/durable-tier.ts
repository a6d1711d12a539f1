/** The part the two durable tiers (LMDB `flash`, segment-file `disk`) share: options, checks, ledger-tracked writes and deletes, counters. */
import { invalidConfig, ioError } from '../errors.js';
import type { DeviceModel } from '../hardware/device.js';
import { defaultTierHardware } from '../hardware/presets.js';
import { warnDamage, type DamageReporter } from './damage.js';
import type { KeyLedger } from './key-ledger.js';
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
  }

  /** Blocks stored once every in-flight operation lands. */
  get blockCount(): number {
    return this.ledger.liveCount;
  }

  async read(key: BlockKey, dst: Uint8Array): Promise<BlockRecord | null> {
    this.assertOpen();
    assertBlockKey(key);
    assertDst(dst);
    // Timed inline rather than through timed(): a read is short enough for an extra async layer to show.
    const started = performance.now();
    try {
      const record = await this.fetch(key, dst);
      if (record !== null) {
        this.io.reads++;
        this.io.bytesRead += record.length;
      }
      return record;
    } finally {
      this.io.wallMs += performance.now() - started;
    }
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

  /** Runs `operation`, adding its wall-clock time to the counters whether it succeeds or not. */
  protected async timed<T>(operation: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await operation();
    } finally {
      this.io.wallMs += performance.now() - started;
    }
  }

  /** Runs a timed I/O step; a failure is counted in `ioErrors` and rejects with ERR_IO: "tier `name`: <failure>". */
  protected async timedIo(failure: string, operation: () => Promise<unknown>): Promise<void> {
    await this.timed(async () => {
      try {
        await operation();
      } catch (cause) {
        this.io.ioErrors++;
        throw ioError(`tier \`${this.name}\`: ${failure}`, cause);
      }
    });
  }

  protected assertOpen(): void {
    if (this.closed) throw closedError(this.name);
  }
}
