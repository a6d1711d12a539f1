/**
 * Bookkeeping for durable tiers whose writes and deletes settle asynchronously: which keys have
 * operations in flight, and how many blocks the tier will hold once they all land. Capacity checks
 * need the latter, or a burst of concurrent writes could overshoot the limit.
 */
import type { BlockKey } from './tier.js';

/** One issued operation, handed back to `settle`. */
export interface LedgerTicket {
  readonly key: BlockKey;
}

interface KeyState extends LedgerTicket {
  /** Whether the key exists once every operation issued so far succeeds. */
  present: boolean;
  ops: number;
}

/** Tracks in-flight writes/deletes per key and the resulting block count. */
export class KeyLedger {
  private readonly inflight = new Map<BlockKey, KeyState>();
  private live: number;
  private stale = false;

  /**
   * @param committedCount blocks stored now (read once, and again after a failed operation)
   * @param committedHas whether a key is stored now, ignoring in-flight operations
   */
  constructor(
    private readonly committedCount: () => number,
    private readonly committedHas: (key: BlockKey) => boolean,
  ) {
    this.live = committedCount();
  }

  /** Blocks the tier will hold once every issued operation succeeds. */
  get liveCount(): number {
    return this.live;
  }

  /** Keys with operations in flight. */
  get busyKeys(): number {
    return this.inflight.size;
  }

  /** Whether the key exists once every issued operation succeeds. */
  presentAfterIssued(key: BlockKey): boolean {
    const state = this.inflight.get(key);
    return state ? state.present : this.committedHas(key);
  }

  /** Whether an operation on the key is in flight. */
  busy(key: BlockKey): boolean {
    return this.inflight.has(key);
  }

  /** Records an operation that will leave the key present (a write) or absent (a delete). */
  issue(key: BlockKey, present: boolean): LedgerTicket {
    const before = this.presentAfterIssued(key);
    this.live += (present ? 1 : 0) - (before ? 1 : 0);
    let state = this.inflight.get(key);
    if (!state) {
      state = { key, present, ops: 0 };
      this.inflight.set(key, state);
    }
    state.present = present;
    state.ops++;
    return state;
  }

  /**
   * Records that an operation settled. After a failure the optimistic count may be off (later
   * operations assumed it would succeed), so it is re-read once nothing is in flight.
   */
  settle(ticket: LedgerTicket, ok: boolean): void {
    const state = this.inflight.get(ticket.key);
    if (state && --state.ops === 0) this.inflight.delete(ticket.key);
    if (!ok) this.stale = true;
    if (this.stale && this.inflight.size === 0) {
      this.live = this.committedCount();
      this.stale = false;
    }
  }
}
