/**
 * The data plane: executes the control plane's moves on real tiers, strictly in order, one batch
 * after another. Order is what makes slot reuse safe (a demotion reads a slot before the insert
 * that reuses it writes it), and waiting for a batch (so for everything queued before it) is how a
 * caller waits for the copies its blocks depend on (an acquire after a prefetch waits for the
 * prefetch's copy, never copies twice).
 */
import { ErrorCode, KvtierError } from '../errors.js';
import { transferSeconds } from '../hardware/device.js';
import { isMemoryTier, type BlockRecord, type Tier } from '../tiers/tier.js';
import { MoveKind } from './control-plane.js';

/** A move as the data plane executes it: the record is captured when the move is decided. */
export interface PendingMove {
  readonly kind: MoveKind;
  readonly id: number;
  readonly record: BlockRecord;
  readonly from: number;
  readonly to: number;
  /** Payload of an INSERT. */
  readonly bytes?: Uint8Array;
}

/**
 * Which part of a move failed: reading the source copy, writing the destination, or freeing the
 * source copy afterwards (a MOVE whose destination is written, or a DROP: the block itself is fine).
 */
export type MoveFailureStage = 'read' | 'write' | 'free';

/**
 * Called when a move could not be completed. After a failed read or write the destination holds
 * nothing of it, and for a MOVE the source copy has been freed as well (the control plane already
 * gave its slot away).
 */
export type MoveFailureHandler = (move: PendingMove, error: KvtierError, stage: MoveFailureStage) => void;

/** Modelled seconds and real bytes per tier, accumulated as moves execute. */
export interface DataPlaneCounters {
  bytesRead: Float64Array;
  bytesWritten: Float64Array;
  modelledSec: Float64Array;
  failedMoves: number;
}

/** Runs move batches on the tiers in order. */
export class DataPlane {
  readonly counters: DataPlaneCounters;
  private tail: Promise<void> = Promise.resolve();
  private scratch: Uint8Array | null = null;
  /** Blocks lifted out of their tier by the first half of an exclusive promotion, by key. */
  private readonly lifted = new Map<string, Uint8Array>();
  /** Lifts that failed (already reported): their landing has nothing to write and says nothing. */
  private readonly failedLifts = new Set<string>();

  constructor(
    private readonly tiers: readonly Tier[],
    private readonly onFailure: MoveFailureHandler,
  ) {
    const n = tiers.length;
    this.counters = {
      bytesRead: new Float64Array(n),
      bytesWritten: new Float64Array(n),
      modelledSec: new Float64Array(n),
      failedMoves: 0,
    };
  }

  /** Queues a batch; the promise settles once it and every batch before it have run. Never rejects. */
  run(moves: readonly PendingMove[]): Promise<void> {
    if (moves.length === 0) return this.tail;
    this.tail = this.tail.then(() => this.execute(moves));
    return this.tail;
  }

  /** Settles when everything queued so far has run. */
  idle(): Promise<void> {
    return this.tail;
  }

  private async execute(moves: readonly PendingMove[]): Promise<void> {
    for (const move of moves) {
      const progress = { stage: 'read' as MoveFailureStage };
      try {
        await this.apply(move, progress);
      } catch (cause) {
        this.counters.failedMoves++;
        if (move.kind === MoveKind.LIFT && progress.stage !== 'free') this.failedLifts.add(move.record.key);
        const error =
          cause instanceof KvtierError ? cause : new KvtierError(ErrorCode.IO, describe(move, cause), {}, { cause });
        // The control plane already counted the source slot of a MOVE as free, and the moves after
        // this one may fill it: a copy left behind would overfill that tier. So it goes too.
        if ((move.kind === MoveKind.MOVE || move.kind === MoveKind.LIFT) && progress.stage !== 'free') {
          await this.tiers[move.from]!.delete(move.record.key).catch(() => undefined);
        }
        this.onFailure(move, error, progress.stage);
      }
    }
  }

  private async apply(move: PendingMove, progress: { stage: MoveFailureStage }): Promise<void> {
    const { record } = move;
    switch (move.kind) {
      case MoveKind.INSERT:
        progress.stage = 'write';
        await this.write(move.to, record, move.bytes!);
        return;
      case MoveKind.DROP:
        progress.stage = 'free';
        await this.tiers[move.from]!.delete(record.key);
        return;
      case MoveKind.MOVE:
      case MoveKind.COPY: {
        const source = this.tiers[move.from]!;
        const bytes = await this.readSource(source, record, move.from);
        progress.stage = 'write';
        await this.write(move.to, record, bytes.subarray(0, record.length));
        progress.stage = 'free';
        if (move.kind === MoveKind.MOVE) await source.delete(record.key);
        return;
      }
      case MoveKind.LIFT: {
        const source = this.tiers[move.from]!;
        this.lifted.set(record.key, (await this.readSource(source, record, move.from)).slice(0, record.length));
        progress.stage = 'free';
        await source.delete(record.key);
        return;
      }
      case MoveKind.LAND: {
        if (this.failedLifts.delete(record.key)) return;
        const bytes = this.lifted.get(record.key);
        if (bytes === undefined) {
          throw new KvtierError(ErrorCode.CHECKSUM, `block ${record.key} could not be lifted for promotion`, { key: record.key });
        }
        this.lifted.delete(record.key);
        progress.stage = 'write';
        await this.write(move.to, record, bytes);
        return;
      }
    }
  }

  /** The verified bytes of a block in `source`; throws ERR_CHECKSUM when missing or damaged. */
  private async readSource(source: Tier, record: BlockRecord, tier: number): Promise<Uint8Array> {
    const bytes = isMemoryTier(source) ? source.view(record.key) : await this.readDurable(source, record);
    if (bytes === null) {
      throw new KvtierError(ErrorCode.CHECKSUM, `block ${record.key} is missing or damaged in tier ${source.name}`, {
        key: record.key,
        tier: source.name,
      });
    }
    this.account(tier, record.length, 'read');
    return bytes;
  }

  private async write(tier: number, record: BlockRecord, bytes: Uint8Array): Promise<void> {
    await this.tiers[tier]!.write(record, bytes);
    this.account(tier, record.length, 'write');
  }

  private async readDurable(source: Tier, record: BlockRecord): Promise<Uint8Array | null> {
    if (this.scratch === null || this.scratch.length < record.length) this.scratch = new Uint8Array(source.blockBytes);
    const found = await source.read(record.key, this.scratch);
    return found === null || found.checksum !== record.checksum ? null : this.scratch;
  }

  private account(tier: number, bytes: number, direction: 'read' | 'write'): void {
    const device = this.tiers[tier]!.device;
    const read = direction === 'read';
    (read ? this.counters.bytesRead : this.counters.bytesWritten)[tier]! += bytes;
    this.counters.modelledSec[tier]! += transferSeconds(
      bytes,
      read ? device.readBytesPerSec : device.writeBytesPerSec,
      device.latencySec,
    );
  }
}

function describe(move: PendingMove, cause: unknown): string {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return `move of block ${move.record.key} (${move.from} → ${move.to}) failed: ${reason}`;
}
