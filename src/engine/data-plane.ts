/**
 * The data plane: executes the control plane's moves on real tiers, strictly in order, one batch
 * after another. Order is what makes slot reuse safe (a demotion reads a slot before the insert
 * that reuses it writes it), and waiting for the queue is how a caller waits for the copies its
 * blocks depend on (an acquire after a prefetch waits for the prefetch's copy, never copies twice).
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

/** Called when a move could not be completed: the block is lost from `tier` (never served). */
export type MoveFailureHandler = (move: PendingMove, error: KvtierError) => void;

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
      try {
        await this.apply(move);
      } catch (cause) {
        this.counters.failedMoves++;
        const error =
          cause instanceof KvtierError ? cause : new KvtierError(ErrorCode.IO, describe(move, cause), {}, { cause });
        this.onFailure(move, error);
      }
    }
  }

  private async apply(move: PendingMove): Promise<void> {
    const { record } = move;
    switch (move.kind) {
      case MoveKind.INSERT:
        await this.write(move.to, record, move.bytes!);
        return;
      case MoveKind.DROP:
        await this.tiers[move.from]!.delete(record.key);
        return;
      case MoveKind.MOVE:
      case MoveKind.COPY: {
        const source = this.tiers[move.from]!;
        const bytes = isMemoryTier(source) ? source.view(record.key) : await this.readDurable(source, record);
        if (bytes === null) {
          throw new KvtierError(ErrorCode.CHECKSUM, `block ${record.key} is missing or damaged in tier ${source.name}`, {
            key: record.key,
            tier: source.name,
          });
        }
        this.account(move.from, record.length, 'read');
        await this.write(move.to, record, bytes.subarray(0, record.length));
        if (move.kind === MoveKind.MOVE) await source.delete(record.key);
        return;
      }
    }
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
