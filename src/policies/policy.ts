/**
 * The eviction-policy interface. Policies track block ids, never bytes: a block id is a dense
 * non-negative integer handed out by the engine's index (or by replay), so policies keep their
 * state in typed arrays indexed by id and grow them on demand.
 */

/** What a policy may ask of the engine that owns it. */
export interface PolicyContext {
  /**
   * Whether a block may leave the tier now (false while pinned or while a move of it is in
   * flight). A policy skips such blocks and keeps them, in their place, for later.
   */
  canEvict(id: number): boolean;
  /** The previous block of the same prefix chain, or -1 for a chain's first block (or unknown). */
  parentOf(id: number): number;
  /** Current time in milliseconds (virtual in replay, wall-clock when embedded). */
  now(): number;
  /** Seed for any randomised choice; the same seed gives the same decisions. */
  readonly seed: number;
  /** Capacity of the tier in blocks, for policies that size internal queues (S3-FIFO, ARC). */
  readonly capacityBlocks: number;
  /**
   * Offline knowledge for OPT/Belady only: the logical time of the next reference to `id`
   * after the current one, or Infinity when it is never used again. Absent outside replay.
   */
  nextUse?(id: number): number;
}

/** Decides which block leaves a full tier. One instance per tier. */
export interface EvictionPolicy {
  /** Registry name, e.g. "lru". */
  readonly name: string;
  /** Blocks currently tracked. */
  readonly size: number;
  /** Whether `id` is tracked. */
  has(id: number): boolean;
  /**
   * `id` entered the tier. Throws ERR_INVALID_ARGUMENT when `id` is already tracked or is not a
   * block id (an integer in [0, 2^31 − 2]).
   */
  insert(id: number): void;
  /** `id` was referenced while in the tier (a hit). Throws ERR_INVALID_ARGUMENT when `id` is not tracked. */
  touch(id: number): void;
  /** `id` left the tier for another reason (promotion, deletion, corruption); a no-op if untracked. */
  remove(id: number): void;
  /**
   * Chooses a victim among tracked blocks with `canEvict(id)`, stops tracking it and returns it;
   * returns -1 when every tracked block is unevictable (or none is tracked).
   */
  evict(): number;
  /**
   * Optional: `id` was looked up and missed, and will be inserted once room is made. Call it
   * before the evictions that make that room. Policies that learn from ghost entries (ARC,
   * S3-FIFO) adapt here, in the order their papers prescribe (adapt, then evict, then insert);
   * without the call they adapt at `insert`, one eviction late.
   */
  miss?(id: number): void;
  /**
   * Optional: drops one tracked, evictable block whose lifetime is over (TTL) even when the tier
   * is not full, and returns it; -1 when none has expired. Call repeatedly to drain.
   */
  expire?(): number;
  /**
   * Optional, OPT only: the next use (`context.nextUse`) of the block `evict` would choose now,
   * or -Infinity when no tracked block is evictable. Replay compares a missed block's next use
   * against it to decide Belady's bypass before evicting anything.
   */
  peekFarthest?(): number;
}

/** Options common to every policy; policy-specific ones are documented on each factory. */
export interface PolicyOptions {
  /** Time-to-live for the TTL policy, in milliseconds. @default 60000 */
  ttlMs?: number;
  /** Share of capacity for S3-FIFO's small queue. @default 0.1 */
  smallQueueRatio?: number;
}

/** Builds one policy instance for one tier. */
export type PolicyFactory = (context: PolicyContext, options?: PolicyOptions) => EvictionPolicy;
