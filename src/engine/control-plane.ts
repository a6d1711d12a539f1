/**
 * The control plane: which block lives in which tier, decided synchronously over typed arrays.
 * It never touches bytes. Every placement decision is emitted as a move to a `MoveSink`: the
 * embedded engine's data plane executes moves on real tiers, replay times them with the hardware
 * model. One source of truth for policy, two executors (DESIGN.md section 5).
 *
 * Tier 0 is the top (fastest) tier. A block may sit in several tiers at once (write-through
 * copies, inclusive promotion); `presence` keeps one bit per tier.
 */
import { ErrorCode, KvtierError } from '../errors.js';
import { resized } from '../memory/resized.js';
import type { EvictionPolicy, PolicyContext, PolicyOptions } from '../policies/policy.js';
import { createPolicy } from '../policies/registry.js';

/** What a move does to a block. */
export const MoveKind = {
  /** New bytes from the caller enter tier `to`. */
  INSERT: 0,
  /** Copy `from` → `to`, then free the copy in `from` (promotion or demotion). */
  MOVE: 1,
  /** Copy `from` → `to` and keep the copy in `from` (write-through, inclusive promotion). */
  COPY: 2,
  /** Free the copy in `from` (eviction from the last tier, or a redundant copy). */
  DROP: 3,
  /**
   * First half of an exclusive promotion: take the block out of `from` (read it aside, free its
   * slot) so the cascade that makes room in `to` can use that slot — a swap, not an extra demotion.
   */
  LIFT: 4,
  /** Second half of an exclusive promotion: write the lifted block into `to`. */
  LAND: 5,
} as const;
export type MoveKind = (typeof MoveKind)[keyof typeof MoveKind];

/** Receives moves in the order they must be executed. */
export interface MoveSink {
  move(kind: MoveKind, id: number, from: number, to: number): void;
}

/** How new blocks reach the lower tiers. */
export type WritePolicy = 'write-back' | 'write-through';
/** Whether a promoted block keeps its lower copy. */
export type PromotionPolicy = 'exclusive' | 'inclusive';

/** One tier as the control plane sees it. */
export interface ControlTierSpec {
  /** Capacity in blocks (≥ 1). */
  capacityBlocks: number;
  /** Eviction policy name (see `policyNames()`). @default "lru" */
  policy?: string;
  policyOptions?: PolicyOptions;
}

export interface ControlPlaneOptions {
  tiers: readonly ControlTierSpec[];
  /** @default "write-back" */
  writePolicy?: WritePolicy;
  /** @default "exclusive" */
  promotion?: PromotionPolicy;
  /** Clock for TTL policies, milliseconds. @default Date.now */
  now?: () => number;
  /** Seed for randomised policies. @default 1 */
  seed?: number;
  /** Offline next-use oracle (OPT, replay only). */
  nextUse?: (id: number) => number;
}

/** Counters kept per tier, in blocks. */
export interface ControlTierCounters {
  inserts: number;
  promotionsIn: number;
  promotionsOut: number;
  demotionsIn: number;
  demotionsOut: number;
  evictions: number;
  /** Blocks that left the cache entirely from this tier. */
  drops: number;
  /** Write-through copies received. */
  copiesIn: number;
}

const COUNTERS = ['inserts', 'promotionsIn', 'promotionsOut', 'demotionsIn', 'demotionsOut', 'evictions', 'drops', 'copiesIn'] as const;
const INSERTS = 0;
const PROMOTIONS_IN = 1;
const PROMOTIONS_OUT = 2;
const DEMOTIONS_IN = 3;
const DEMOTIONS_OUT = 4;
const EVICTIONS = 5;
const DROPS = 6;
const COPIES_IN = 7;

const MAX_TIERS = 8;
const NO_TIER = -1;
const INITIAL_IDS = 1024;

/**
 * What a tier's policy sees of its control plane. A class, not an object of closures: a policy's
 * `canEvict` call, made for every eviction, then costs one map check and is inlined.
 */
class TierContext implements PolicyContext {
  /** Present only in replays that know the future (OPT). */
  declare nextUse?: (id: number) => number;

  constructor(
    private readonly plane: ControlPlane,
    readonly now: () => number,
    readonly seed: number,
    readonly capacityBlocks: number,
    nextUse: ((id: number) => number) | undefined,
  ) {
    if (nextUse) this.nextUse = nextUse;
  }

  canEvict(id: number): boolean {
    return this.plane.evictable(id);
  }

  parentOf(id: number): number {
    return this.plane.parentOfId(id);
  }
}

/** The synchronous placement state machine. */
export class ControlPlane {
  readonly tierCount: number;
  readonly writePolicy: WritePolicy;
  readonly promotion: PromotionPolicy;
  readonly capacity: Int32Array;
  readonly used: Int32Array;
  readonly policies: readonly EvictionPolicy[];
  /** `policies[0]`, the policy every access goes through. */
  private readonly top: EvictionPolicy;
  private readonly counters: Float64Array;
  private presence = new Uint8Array(INITIAL_IDS);
  private pins = new Int32Array(INITIAL_IDS);
  /** Sum of every pin count, the control plane's own holds included: while 0, every block may be evicted. */
  private totalPins = 0;
  private parents = new Int32Array(INITIAL_IDS).fill(-1);
  private sink: MoveSink;
  /** Write-through with a tier below the top: every insert also copies down. */
  private readonly writeThrough: boolean;
  /** Tiers whose policy can expire blocks on its own (TTL). */
  private readonly expiringTiers: number[];

  constructor(options: ControlPlaneOptions, sink: MoveSink) {
    const tiers = options.tiers;
    if (tiers.length === 0 || tiers.length > MAX_TIERS) {
      throw new KvtierError(ErrorCode.CONFIG, `expected 1 to ${MAX_TIERS} tiers, got ${tiers.length}`);
    }
    this.tierCount = tiers.length;
    this.writePolicy = options.writePolicy ?? 'write-back';
    this.promotion = options.promotion ?? 'exclusive';
    this.capacity = Int32Array.from(tiers, (t, i) => {
      if (!Number.isSafeInteger(t.capacityBlocks) || t.capacityBlocks < 1 || t.capacityBlocks > 0x7fffffff) {
        throw new KvtierError(
          ErrorCode.CONFIG,
          `expected a capacity of 1 to ${0x7fffffff} blocks for tier ${i}, got ${String(t.capacityBlocks)}`,
        );
      }
      return t.capacityBlocks;
    });
    this.used = new Int32Array(this.tierCount);
    this.counters = new Float64Array(this.tierCount * COUNTERS.length);
    this.sink = sink;
    const now = options.now ?? Date.now;
    this.policies = tiers.map((t, i) => {
      const context = new TierContext(this, now, (options.seed ?? 1) + i, t.capacityBlocks, options.nextUse);
      return createPolicy(t.policy ?? 'lru', context, t.policyOptions);
    });
    this.top = this.policies[0]!;
    this.writeThrough = this.writePolicy === 'write-through' && this.tierCount > 1;
    this.expiringTiers = this.policies.flatMap((policy, tier) => (policy.expire ? [tier] : []));
  }

  /** Replaces the move sink (e.g. replay swaps in a timing sink). */
  setSink(sink: MoveSink): void {
    this.sink = sink;
  }

  /** Highest tier holding `id`, or -1 when it is not cached. */
  tierOf(id: number): number {
    const bits = id < this.presence.length ? this.presence[id]! : 0;
    return bits === 0 ? NO_TIER : 31 - Math.clz32(bits & -bits);
  }

  /** Bit mask of the tiers holding `id`. */
  presenceOf(id: number): number {
    return id < this.presence.length ? this.presence[id]! : 0;
  }

  /** Whether `id` is cached in any tier. */
  has(id: number): boolean {
    return id < this.presence.length && this.presence[id] !== 0;
  }

  /**
   * Length of the longest prefix of `ids[start..end)` that is cached; writes each hit's tier into
   * `tiersOut` when given. Changes nothing: a lookup is not an access and never extends a pin.
   */
  lookupPrefix(ids: ArrayLike<number>, start = 0, end = ids.length, tiersOut?: Int8Array): number {
    const presence = this.presence;
    let hits = 0;
    for (let i = start; i < end; i++) {
      const id = ids[i]!;
      const bits = id < presence.length ? presence[id]! : 0;
      if (bits === 0) break;
      if (tiersOut) tiersOut[hits] = 31 - Math.clz32(bits & -bits);
      hits++;
    }
    return hits;
  }

  /** The chain parent recorded for `id`, or -1. */
  parentOfId(id: number): number {
    return id < this.parents.length ? this.parents[id]! : -1;
  }

  /** Records the chain parent of `id` (for prefix-aware policies); -1 for a chain's first block. */
  setParent(id: number, parent: number): void {
    this.ensure(id);
    this.parents[id] = parent;
  }

  /**
   * One reference to `id`: a cached block is touched (promoted to tier 0 if lower), a missing one
   * is inserted into tier 0 (unless `admit` is false: a bypass). Returns the tier it was found in,
   * or -1 for a miss. Throws ERR_TIER_FULL when tier 0 has no evictable block.
   */
  access(id: number, admit = true): number {
    const presence = this.presence;
    const bits = id < presence.length ? presence[id]! : 0;
    // A top-tier hit, the commonest case, is decided on the bit alone.
    if ((bits & 1) !== 0) {
      this.top.touch(id);
      return 0;
    }
    if (bits > 0) return this.promoteFound(id, bits);
    if (admit) this.insert(id);
    return NO_TIER;
  }

  /** `access` of a block cached below the top tier (presence `bits`, tier 0's clear): promotes it; returns its tier. */
  private promoteFound(id: number, bits: number): number {
    const tier = 31 - Math.clz32(bits & -bits);
    this.promote(id, tier);
    return tier;
  }

  /** Inserts a new block into tier 0 (and, write-through, a copy into tier 1). */
  insert(id: number): void {
    this.ensure(id);
    if (this.presence[id] !== 0) throw alreadyCached(id);
    // Every miss of a replay comes through here: the rare cases (a multi-tier cascade, write-through)
    // live in their own methods, so this one stays small enough for V8 to inline what it calls.
    const top = this.top;
    // No pin needed: a block in no tier cannot be chosen as a victim while room is made for it.
    top.miss?.(id);
    while (this.used[0]! >= this.capacity[0]!) {
      const victim = top.evict();
      if (victim < 0 || this.tierCount > 1) {
        this.evictedFromTop(victim);
        continue;
      }
      // The only tier: the victim leaves the cache (`evictFrom` for the last tier, inline).
      this.presence[victim] = 0;
      this.used[0]--;
      this.counters[EVICTIONS]++;
      this.counters[DROPS]++;
      this.sink.move(MoveKind.DROP, victim, 0, NO_TIER);
    }
    this.presence[id]! |= 1;
    this.used[0]++;
    top.insert(id);
    this.counters[INSERTS]++;
    this.sink.move(MoveKind.INSERT, id, NO_TIER, 0);
    if (this.writeThrough) this.copyDown(id);
  }

  /** `insert`'s eviction from tier 0 when there is none to make (ERR_TIER_FULL) or tiers below to cascade into. */
  private evictedFromTop(victim: number): void {
    if (victim < 0) throw this.fullError(0);
    this.demote(victim, 0);
  }

  /** Write-through: a copy of the block just inserted goes to tier 1 too, if room can be made there. */
  private copyDown(id: number): void {
    if (!this.missAndMakeRoom(id, 1)) return;
    this.place(id, 1);
    this.count(1, COPIES_IN);
    this.sink.move(MoveKind.COPY, id, 0, 1);
  }

  /**
   * Brings a cached block up to tier 0 (a no-op if it is there already). Exclusive promotion is a
   * swap: the block is lifted out of its tier before the top tier's victim is demoted, so the
   * victim can take its place instead of pushing a third block further down.
   */
  promote(id: number, from = this.tierOf(id)): void {
    if (from <= 0) return;
    const top = this.policies[0]!;
    top.miss?.(id);
    // Choose the victim before lifting anything, so a full tier of pinned blocks moves nothing.
    const victim = this.used[0]! >= this.capacity[0]! ? top.evict() : -1;
    if (this.used[0]! >= this.capacity[0]! && victim < 0) throw this.fullError(0);
    const exclusive = this.promotion === 'exclusive';
    if (exclusive) {
      this.unplace(id, from);
      this.policies[from]!.remove(id);
      this.sink.move(MoveKind.LIFT, id, from, 0);
    }
    if (victim >= 0) {
      // Held while the victim cascades down, so the cascade cannot evict a lower copy of it.
      this.hold(id);
      this.evictFrom(victim, 0);
      this.release(id);
    }
    this.place(id, 0);
    this.count(0, PROMOTIONS_IN);
    this.count(from, PROMOTIONS_OUT);
    if (exclusive) {
      this.sink.move(MoveKind.LAND, id, from, 0);
    } else {
      this.policies[from]!.touch(id);
      this.sink.move(MoveKind.COPY, id, from, 0);
    }
  }

  /**
   * Lets time-based policies (TTL) push out blocks whose lifetime is over, even in tiers that are
   * not full; expired blocks cascade down like any eviction. Returns how many left their tier.
   */
  expire(): number {
    let expired = 0;
    for (const tier of this.expiringTiers) {
      const policy = this.policies[tier]!;
      for (let id = policy.expire!(); id >= 0; id = policy.expire!()) {
        this.evictFrom(id, tier);
        expired++;
      }
    }
    return expired;
  }

  /** Restores a block found in a durable tier on reopen (no move is emitted). Returns false if the tier is full. */
  restore(id: number, tier: number): boolean {
    this.ensure(id);
    if ((this.presence[id]! & (1 << tier)) !== 0) return true;
    if (this.used[tier]! >= this.capacity[tier]!) return false;
    this.place(id, tier);
    return true;
  }

  /** Removes a block from every tier (deletion, or corruption found by the data plane). */
  remove(id: number): void {
    for (let tier = 0; tier < this.tierCount; tier++) this.removeFrom(id, tier);
  }

  /** Removes a block from one tier, emitting a DROP (e.g. a failed or damaged copy). */
  removeFrom(id: number, tier: number): void {
    if (id >= this.presence.length || (this.presence[id]! & (1 << tier)) === 0) return;
    this.unplace(id, tier);
    this.policies[tier]!.remove(id);
    this.sink.move(MoveKind.DROP, id, tier, NO_TIER);
  }

  /** Forgets a tier's copy without emitting a move (the data plane already lost it). */
  forget(id: number, tier: number): void {
    if (id >= this.presence.length || (this.presence[id]! & (1 << tier)) === 0) return;
    this.unplace(id, tier);
    this.policies[tier]!.remove(id);
  }

  pin(id: number): void {
    this.ensure(id);
    this.hold(id);
  }

  unpin(id: number): void {
    if (!(this.pins[id]! > 0)) throw new KvtierError(ErrorCode.PIN, `block ${id} is not pinned`);
    this.release(id);
  }

  /** Whether the cached block `id` may leave its tier now: nothing pins it (what every policy's `canEvict` asks). */
  evictable(id: number): boolean {
    // With nothing pinned at all, the common case, the answer needs no read of the block's count.
    return this.totalPins === 0 || this.pins[id] === 0;
  }

  pinCount(id: number): number {
    return id < this.pins.length ? this.pins[id]! : 0;
  }

  /** Per-tier counters as plain objects. */
  counterSnapshot(): ControlTierCounters[] {
    return Array.from({ length: this.tierCount }, (_, tier) => {
      const out = {} as ControlTierCounters;
      COUNTERS.forEach((name, i) => (out[name] = this.counters[tier * COUNTERS.length + i]!));
      return out;
    });
  }

  /** Makes room for one block in `tier`; returns false when nothing there can be evicted. */
  private makeRoom(tier: number): boolean {
    while (this.used[tier]! >= this.capacity[tier]!) {
      const victim = this.policies[tier]!.evict();
      if (victim < 0) return false;
      this.evictFrom(victim, tier);
    }
    return true;
  }

  /** Tells `tier`'s policy that `id` is about to arrive (ghost-learning policies adapt first), then makes room. */
  private missAndMakeRoom(id: number, tier: number): boolean {
    this.policies[tier]!.miss?.(id);
    return this.makeRoom(tier);
  }

  /** A victim leaves `tier`: it cascades one tier down unless a lower tier has it already. */
  private evictFrom(id: number, tier: number): void {
    if (tier + 1 < this.tierCount) {
      this.demote(id, tier);
      return;
    }
    // The last tier (the only one of a single-tier replay): the block leaves the cache.
    this.unplace(id, tier);
    this.count(tier, EVICTIONS);
    this.count(tier, DROPS);
    this.sink.move(MoveKind.DROP, id, tier, NO_TIER);
  }

  /** `evictFrom` above the last tier: the victim moves one tier down, or is dropped when no room can be made there. */
  private demote(id: number, tier: number): void {
    this.unplace(id, tier);
    this.count(tier, EVICTIONS);
    const below = tier + 1;
    if (this.presence[id]! >> below !== 0) {
      this.sink.move(MoveKind.DROP, id, tier, NO_TIER);
      return;
    }
    // Held while room is made below, so the cascade cannot pick it again.
    this.hold(id);
    const roomy = this.missAndMakeRoom(id, below);
    this.release(id);
    if (roomy) {
      this.place(id, below);
      this.count(tier, DEMOTIONS_OUT);
      this.count(below, DEMOTIONS_IN);
      this.sink.move(MoveKind.MOVE, id, tier, below);
      return;
    }
    this.count(tier, DROPS);
    this.sink.move(MoveKind.DROP, id, tier, NO_TIER);
  }

  /** One more pin on `id` (a caller's, or the control plane's own while a cascade runs). */
  private hold(id: number): void {
    this.pins[id]++;
    this.totalPins++;
  }

  /** Takes back one `hold`. */
  private release(id: number): void {
    this.pins[id]--;
    this.totalPins--;
  }

  private place(id: number, tier: number): void {
    this.presence[id]! |= 1 << tier;
    this.used[tier]++;
    this.policies[tier]!.insert(id);
  }

  private unplace(id: number, tier: number): void {
    this.presence[id]! &= ~(1 << tier);
    this.used[tier]--;
  }

  private count(tier: number, counter: number): void {
    this.counters[tier * COUNTERS.length + counter]++;
  }

  private fullError(tier: number): KvtierError {
    let pinned = 0;
    for (let id = 0; id < this.presence.length; id++) {
      if ((this.presence[id]! & (1 << tier)) !== 0 && this.pins[id]! > 0) pinned++;
    }
    return new KvtierError(
      ErrorCode.TIER_FULL,
      `tier ${tier} is full (${this.used[tier]} of ${this.capacity[tier]} blocks) and nothing can be evicted: ` +
        `${pinned} blocks are pinned`,
      { tier, used: this.used[tier], capacity: this.capacity[tier], pinned },
    );
  }

  private ensure(id: number): void {
    // `>>> 0` keeps only uint32 integers: a known id is let through on one test.
    if ((id >>> 0) === id && id < this.presence.length) return;
    this.grow(id);
  }

  /** Grows the per-id arrays to cover `id`, after checking it is a block id at all. */
  private grow(id: number): void {
    if (!Number.isSafeInteger(id) || id < 0) throw new KvtierError(ErrorCode.INVALID_ARGUMENT, `invalid block id ${id}`);
    if (id < this.presence.length) return;
    let size = this.presence.length;
    while (size <= id) size *= 2;
    this.presence = resized(this.presence, size);
    this.pins = resized(this.pins, size);
    const parents = new Int32Array(size).fill(-1);
    parents.set(this.parents);
    this.parents = parents;
  }
}

function alreadyCached(id: number): KvtierError {
  return new KvtierError(ErrorCode.INVALID_ARGUMENT, `block ${id} is already cached`);
}

