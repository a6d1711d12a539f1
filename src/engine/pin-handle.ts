/**
 * Pins as explicit handles. A handle keeps its blocks in the top tier until `release()`; a handle
 * that is garbage-collected without release is reported and its pins dropped, and an optional TTL
 * lets a forgotten pin lapse on its own. Looking blocks up never extends a pin.
 */
import { ErrorCode, KvtierError } from '../errors.js';
import type { BlockKey } from '../tiers/tier.js';

/** How a pin ended. */
export type PinEnd = 'released' | 'leaked' | 'expired';

/** What a handle needs from the engine. */
export interface PinOwner {
  /** Drops the pins of these ids (once). */
  unpinAll(ids: readonly number[], reason: PinEnd): void;
}

interface PinState {
  owner: PinOwner;
  ids: readonly number[];
  ended: PinEnd | null;
  timer: NodeJS.Timeout | null;
}

const leaks = new FinalizationRegistry<PinState>((state) => {
  if (state.ended === null) settle(state, 'leaked');
});

function settle(state: PinState, reason: PinEnd): void {
  state.ended = reason;
  if (state.timer) clearTimeout(state.timer);
  state.timer = null;
  state.owner.unpinAll(state.ids, reason);
}

/** Pinned blocks of one acquire: the longest cached prefix of the keys asked for. */
export class PinHandle {
  /** Keys of the pinned blocks, in prefix order. */
  readonly keys: readonly BlockKey[];
  /** The blocks' bytes: zero-copy views of top-tier slots (valid until release). */
  readonly blocks: readonly Uint8Array[];
  private readonly state: PinState;

  constructor(owner: PinOwner, ids: readonly number[], keys: readonly BlockKey[], blocks: readonly Uint8Array[], ttlMs: number) {
    this.keys = keys;
    this.blocks = blocks;
    this.state = { owner, ids, ended: null, timer: null };
    if (ttlMs > 0 && ids.length > 0) {
      const state = this.state;
      state.timer = setTimeout(() => settle(state, 'expired'), ttlMs);
      state.timer.unref();
    }
    if (ids.length > 0) leaks.register(this, this.state, this);
  }

  /** Number of pinned blocks (the cached prefix length). */
  get length(): number {
    return this.keys.length;
  }

  /** Whether the pins are still held. */
  get active(): boolean {
    return this.state.ended === null;
  }

  /** Unpins the blocks. Throws ERR_PIN when called twice; a lapsed (expired) pin releases quietly. */
  release(): void {
    if (this.state.ended === 'expired') return;
    if (this.state.ended !== null) throw new KvtierError(ErrorCode.PIN, 'this pin handle was already released');
    leaks.unregister(this);
    settle(this.state, 'released');
  }
}
