/**
 * The data plane: executes the control plane's moves on real tiers. Batches start one after
 * another and each batch's moves start strictly in order: order is what makes slot reuse safe (a
 * demotion reads a slot before the insert that reuses it writes it), and waiting for a batch (so
 * for everything queued before it) is how a caller waits for the copies its blocks depend on (an
 * acquire after a prefetch waits for the prefetch's copy, never copies twice).
 *
 * Two kinds of durable-tier work finish in the background instead, so that a put or an acquire
 * does not wait for LMDB commits or segment appends it does not need, and so that concurrent ones
 * share a transaction or an append:
 * - a demotion from a memory tier into a durable tier: its bytes are staged in a private buffer,
 *   the memory slot is freed at once and the write lands in the background. (Not a write-through
 *   copy: a put waits for it, so an acknowledged write-through put is as durable as the tier's
 *   sync mode makes it. Nor a durable-to-durable demotion: its source copy may only go once the
 *   write has landed, or a crash in between would lose the block, and until then it holds a slot
 *   the tier's capacity check counts.)
 * - the delete of a durable source copy after a promotion.
 * A durable tier applies one key's operations in issue order and counts an issued write or delete
 * when it checks capacity, so only reads need care: reading a block whose write is still landing
 * waits for it, except for an exclusive promotion (a LIFT), which copies the staged bytes instead:
 * a block evicted a moment ago and wanted again (a tight top tier, a conversation's next turn) then
 * comes back without waiting for the commit or reading the device. `idle()` covers background
 * work; failures reach the failure handler as before.
 */
import { ErrorCode, KvtierError } from '../errors.js';
import { transferSeconds } from '../hardware/device.js';
import { isMemoryTier, type BlockRecord, type Tier } from '../tiers/tier.js';
import { MoveKind } from './control-plane.js';
import { StagingPool } from './staging-pool.js';

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
 * `superseded`: the background write of a demotion whose block was lifted back out of its staged
 * copy before the write landed; the block lives on where the lift took it, only the stale write failed.
 */
export type MoveFailureStage = 'read' | 'write' | 'free' | 'superseded';

/**
 * Called when a move could not be completed. After a failed read or write the destination holds
 * nothing of it, and for a MOVE the source copy has been freed as well (the control plane already
 * gave its slot away).
 */
export type MoveFailureHandler = (move: PendingMove, error: KvtierError, stage: MoveFailureStage) => void;

/** Modelled seconds and real bytes per tier, accumulated as moves execute. */
export interface DataPlaneCounters {
  bytesRead: Float64Array;
  /** Per tier, lifts served from the staged copy of a demotion still landing in it (no device read). */
  stagedReads: Float64Array;
  bytesWritten: Float64Array;
  modelledSec: Float64Array;
  failedMoves: number;
}

/** Bytes of staged demotions in flight at most; a demotion beyond it waits for earlier ones to land. */
const MAX_BACKGROUND_BYTES = 64 * 2 ** 20;

/** The background writes of one key still landing: when all have landed, and the latest one's staged bytes. */
interface Landing {
  readonly landed: Promise<void>;
  readonly move: PendingMove;
  /** The latest write's staged bytes; null once that write has settled (the buffer is back in the pool). */
  staged: Uint8Array | null;
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
  /** Background work in flight (settles, never rejects), with the bytes each staged write holds. */
  private readonly background = new Map<Promise<void>, number>();
  private backgroundBytes = 0;
  /** Per key, the background writes of it still landing. */
  private readonly landing = new Map<string, Landing>();
  /** Background writes whose block a lift has since taken from the staged copy (see MoveFailureStage). */
  private readonly superseded = new Set<PendingMove>();
  private readonly staging = new StagingPool();

  constructor(
    private readonly tiers: readonly Tier[],
    private readonly onFailure: MoveFailureHandler,
  ) {
    const n = tiers.length;
    this.counters = {
      bytesRead: new Float64Array(n),
      stagedReads: new Float64Array(n),
      bytesWritten: new Float64Array(n),
      modelledSec: new Float64Array(n),
      failedMoves: 0,
    };
  }

  /**
   * Queues a batch; the promise settles once it and every batch before it have run, except for
   * background work (see the file comment). Never rejects.
   */
  run(moves: readonly PendingMove[]): Promise<void> {
    if (moves.length === 0) return this.tail;
    this.tail = this.tail.then(() => this.execute(moves));
    return this.tail;
  }

  /** Settles when everything queued so far has run, background work included. */
  async idle(): Promise<void> {
    for (;;) {
      const tail = this.tail;
      await tail;
      if (this.background.size > 0) await Promise.all(this.background.keys());
      else if (this.tail === tail) return;
    }
  }

  private async execute(moves: readonly PendingMove[]): Promise<void> {
    for (const move of moves) {
      const progress = { stage: 'read' as MoveFailureStage };
      try {
        await this.apply(move, progress);
      } catch (cause) {
        // The control plane already counted the source slot of a MOVE as free, and the moves after
        // this one may fill it: a copy left behind would overfill that tier. So it goes too.
        if ((move.kind === MoveKind.MOVE || move.kind === MoveKind.LIFT) && progress.stage !== 'free') {
          await this.tiers[move.from]!.delete(move.record.key).catch(() => undefined);
        }
        this.fail(move, cause, progress.stage);
      }
    }
  }

  private fail(move: PendingMove, cause: unknown, stage: MoveFailureStage): void {
    this.counters.failedMoves++;
    if (move.kind === MoveKind.LIFT && stage !== 'free') this.failedLifts.add(move.record.key);
    this.onFailure(move, asKvtierError(move, cause), stage);
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
        const landsLater = move.kind === MoveKind.MOVE && isMemoryTier(source) && !isMemoryTier(this.tiers[move.to]!);
        const bytes = await this.readSource(source, record, move.from, landsLater);
        progress.stage = 'write';
        if (landsLater) await this.writeInBackground(move, bytes);
        else await this.write(move.to, record, bytes.subarray(0, record.length));
        progress.stage = 'free';
        if (move.kind === MoveKind.MOVE) await this.free(move);
        return;
      }
      case MoveKind.LIFT: {
        const source = this.tiers[move.from]!;
        this.lifted.set(record.key, this.liftStaged(move) ?? (await this.readSource(source, record, move.from, true)));
        progress.stage = 'free';
        await this.free(move);
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
        try {
          await this.write(move.to, record, bytes);
        } finally {
          this.staging.give(bytes);
        }
        return;
      }
    }
  }

  /** Frees the source copy of a moved block: a memory slot at once (the next move may reuse it), a durable copy in the background. */
  private async free(move: PendingMove): Promise<void> {
    const source = this.tiers[move.from]!;
    if (isMemoryTier(source)) {
      await source.delete(move.record.key);
      return;
    }
    this.track(
      source.delete(move.record.key).catch((cause: unknown) => this.fail(move, cause, 'free')),
      0,
    );
  }

  /** Starts writing a demoted block's staged `bytes` (its own copy) into a durable tier; waits only while too many bytes are in flight. */
  private async writeInBackground(move: PendingMove, bytes: Uint8Array): Promise<void> {
    while (this.backgroundBytes > 0 && this.backgroundBytes + bytes.length > MAX_BACKGROUND_BYTES) {
      await Promise.race(this.background.keys());
    }
    const { key } = move.record;
    const written = this.write(move.to, move.record, bytes)
      .catch((cause: unknown) => this.fail(move, cause, this.superseded.has(move) ? 'superseded' : 'write'))
      .finally(() => {
        this.superseded.delete(move);
        if (landing.staged === bytes) landing.staged = null;
        this.staging.give(bytes);
      });
    const earlier = this.landing.get(key);
    const landed = earlier ? Promise.all([earlier.landed, written]).then(() => undefined) : written;
    const landing: Landing = { landed, move, staged: bytes };
    this.landing.set(key, landing);
    void landed.then(() => {
      if (this.landing.get(key) === landing) this.landing.delete(key);
    });
    this.track(written, bytes.length);
  }

  /**
   * The bytes of a lifted block whose demotion into the lift's source tier is still landing,
   * copied from that demotion's staged buffer (the block's own bytes, taken from memory), or null.
   * The pending write is then stale: the block lives on where the lift takes it, and the delete
   * that frees the source copy follows the write in the tier's per-key order.
   */
  private liftStaged(move: PendingMove): Uint8Array | null {
    const { record } = move;
    const landing = this.landing.get(record.key);
    const staged = landing?.staged;
    if (!landing || !staged || landing.move.to !== move.from || landing.move.record.checksum !== record.checksum) return null;
    const bytes = this.staging.take(record.length, this.tiers[move.from]!.blockBytes);
    bytes.set(staged.subarray(0, record.length));
    this.superseded.add(landing.move);
    this.counters.stagedReads[move.from]!++;
    return bytes;
  }

  private track(work: Promise<void>, bytes: number): void {
    this.background.set(work, bytes);
    this.backgroundBytes += bytes;
    void work.then(() => {
      this.background.delete(work);
      this.backgroundBytes -= bytes;
    });
  }

  /**
   * The verified bytes of a block in `source`; throws ERR_CHECKSUM when missing or damaged. With
   * `own`, the bytes are the caller's to keep (not a tier view or the shared scratch buffer).
   */
  private async readSource(source: Tier, record: BlockRecord, tier: number, own = false): Promise<Uint8Array> {
    let bytes: Uint8Array | null;
    if (isMemoryTier(source)) {
      const view = source.view(record.key);
      bytes = view;
      if (own && view !== null) {
        bytes = this.staging.take(record.length, source.blockBytes);
        bytes.set(view.subarray(0, record.length));
      }
    } else {
      await this.landing.get(record.key)?.landed;
      const into = own ? this.staging.take(record.length, source.blockBytes) : null;
      bytes = await this.readDurable(source, record, into);
      if (bytes === null && into !== null) this.staging.give(into);
    }
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

  /** Reads a block into `into`, or into the shared scratch buffer when null. */
  private async readDurable(source: Tier, record: BlockRecord, into: Uint8Array | null): Promise<Uint8Array | null> {
    let dst = into;
    if (dst === null) {
      if (this.scratch === null || this.scratch.length < record.length) this.scratch = new Uint8Array(source.blockBytes);
      dst = this.scratch;
    }
    const found = await source.read(record.key, dst);
    return found === null || found.checksum !== record.checksum ? null : dst;
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

function asKvtierError(move: PendingMove, cause: unknown): KvtierError {
  if (cause instanceof KvtierError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new KvtierError(ErrorCode.IO, `move of block ${move.record.key} (${move.from} → ${move.to}) failed: ${reason}`, {}, { cause });
}
