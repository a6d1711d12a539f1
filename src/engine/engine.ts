/**
 * The embeddable cache: `KvCache.open(config)` builds the tiers, rebuilds the index from the
 * durable tiers, and serves lookup / acquire / put / prefetch. The synchronous control plane
 * decides placements; the data plane executes them on the tiers in order (DESIGN.md section 5).
 * Many async callers may share one engine: every decision is made synchronously on the JS thread,
 * so there is no lost update, no double eviction, and capacity is never exceeded.
 */
import { createHash } from 'node:crypto';
import { ErrorCode, KvtierError, invalidArgument } from '../errors.js';
import { checksum } from '../memory/copy-batch.js';
import type { DamageReport } from '../tiers/damage.js';
import { createTier } from '../tiers/registry.js';
import { isMemoryTier, type BlockKey, type BlockRecord, type Tier } from '../tiers/tier.js';
import { assertNamespace } from '../tiers/validate.js';
import { assertBlockKey, blockKeys, namespaceSalt } from './block-keys.js';
import { resolveEngineConfig, type EngineConfig, type ResolvedEngineConfig } from './config.js';
import { ControlPlane, MoveKind, type MoveSink } from './control-plane.js';
import { DataPlane, type MoveFailureStage, type PendingMove } from './data-plane.js';
import { BlockMeta } from './block-meta.js';
import { KeyTable } from './key-table.js';
import { PinHandle, type PinEnd, type PinOwner } from './pin-handle.js';
import { buildStats, type EngineCounters, type EngineStats } from './stats.js';

export type { EngineConfig, TierConfig } from './config.js';

/** Result of `lookup`. */
export interface LookupResult {
  /** Length of the longest cached prefix of the keys. */
  prefixBlocks: number;
  /** Tier name of each block of that prefix. */
  tiers: string[];
}

/** Why a prefetch did not bring a block up. */
export type PrefetchSkipReason =
  | 'not cached'
  | 'after a missing block'
  | 'top tier full of pinned blocks'
  | 'no room without evicting an earlier block of this prefetch';

/** Result of `prefetch`: what started, what did not and why. */
export interface PrefetchResult {
  requested: number;
  /** Blocks whose promotion to the top tier started. */
  started: number;
  /** Blocks already in the top tier. */
  alreadyInTop: number;
  skipped: { key: BlockKey; reason: PrefetchSkipReason }[];
  /** Settles when the started copies are done. */
  done: Promise<void>;
}

/** Options of `put`. */
export interface PutOptions {
  /** Key of the previous block of the prefix chain (for prefix-aware eviction and recovery). */
  parent?: BlockKey | null;
}

const EMPTY_SALT = Buffer.alloc(0);

/** State shared by every namespace handle of one engine. */
class CacheCore implements MoveSink, PinOwner {
  readonly table = new KeyTable();
  readonly control: ControlPlane;
  readonly dataPlane: DataPlane;
  readonly counters: EngineCounters;
  private readonly namespaces: string[] = [''];
  private readonly salts: Buffer[] = [EMPTY_SALT];
  private readonly meta: BlockMeta;
  private batch: PendingMove[] = [];
  /** Ids the current batch brings into tier 0. */
  private batchToTop: number[] = [];
  /** Per id, the queued batch that last brought it into tier 0, until that batch has run. */
  private readonly toTop = new Map<number, Promise<void>>();
  private insertBytes: Uint8Array | null = null;
  private readonly failures = new WeakMap<PendingMove, KvtierError>();
  closed = false;

  constructor(
    readonly config: ResolvedEngineConfig,
    readonly tiers: readonly Tier[],
  ) {
    this.control = new ControlPlane(
      {
        tiers: config.tiers.map((t) => ({
          capacityBlocks: t.capacityBlocks,
          ...(t.policy ? { policy: t.policy } : {}),
          ...(t.policyOptions ? { policyOptions: t.policyOptions } : {}),
        })),
        writePolicy: config.writePolicy,
        promotion: config.promotion,
        seed: config.seed,
      },
      this,
    );
    this.dataPlane = new DataPlane(tiers, (move, error, stage) => this.moveFailed(move, error, stage));
    this.meta = new BlockMeta(config.blockBytes);
    this.counters = {
      hits: new Float64Array(tiers.length),
      misses: new Float64Array(tiers.length),
      lookups: 0,
      lookupBlocks: 0,
      hitBlocks: 0,
      puts: 0,
      prefetch: { requested: 0, started: 0, alreadyInTop: 0, skipped: 0, revoked: 0, used: 0 },
      pins: { acquired: 0, released: 0, leaked: 0, expired: 0 },
      recovered: 0,
      recoveryDropped: 0,
      lostBlocks: 0,
    };
  }

  // ---- namespaces and keys ----

  namespaceIndex(name: string): number {
    let index = this.namespaces.indexOf(name);
    if (index < 0) {
      index = this.namespaces.push(name) - 1;
      this.salts.push(namespaceSalt(name));
    }
    return index;
  }

  namespaceName(ns: number): string {
    return this.namespaces[ns]!;
  }

  /**
   * The key a block is stored under: the user's key in the default namespace, otherwise a hash
   * of (namespace salt, key), so equal keys of two tenants never meet in a tier.
   */
  storageKey(key: BlockKey, ns: number): BlockKey {
    if (ns === 0) return key;
    return createHash('sha256').update(this.salts[ns]!).update(key, 'hex').digest().subarray(0, 16).toString('hex');
  }

  /** The id of a cached block of namespace `ns`, or -1. */
  findId(key: BlockKey, ns: number): number {
    const id = this.table.find(this.storageKey(key, ns), ns);
    return id >= 0 && this.control.has(id) ? id : -1;
  }

  /** Ids of the longest cached prefix of `keys`. */
  prefixIds(keys: readonly BlockKey[], ns: number): number[] {
    const ids: number[] = [];
    for (const key of keys) {
      const id = this.findId(key, ns);
      if (id < 0) break;
      ids.push(id);
    }
    return ids;
  }

  recordOf(id: number): BlockRecord {
    const parent = this.control.parentOfId(id);
    return {
      key: this.table.keyOf(id),
      parent: parent >= 0 ? this.table.keyOf(parent) : null,
      namespace: this.namespaces[this.table.namespaceOf(id)]!,
      length: this.meta.lengthOf(id),
      checksum: this.meta.checksumOf(id),
    };
  }

  // ---- the move sink: moves decided by the control plane become data-plane work ----

  move(kind: MoveKind, id: number, from: number, to: number): void {
    const move: PendingMove =
      kind === MoveKind.INSERT
        ? { kind, id, record: this.recordOf(id), from, to, bytes: this.insertBytes! }
        : { kind, id, record: this.recordOf(id), from, to };
    this.batch.push(move);
    if (to === 0) this.batchToTop.push(id);
    if (from === 0 && (kind === MoveKind.MOVE || kind === MoveKind.LIFT || kind === MoveKind.DROP) && this.meta.clearPrefetched(id)) {
      this.counters.prefetch.revoked++;
    }
    if (kind === MoveKind.DROP) this.releaseIfGone(id);
  }

  /** Hands the moves decided so far to the data plane. */
  flush(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    const done = this.dataPlane.run(batch);
    if (this.batchToTop.length > 0) {
      const ids = this.batchToTop;
      this.batchToTop = [];
      for (const id of ids) this.toTop.set(id, done);
      void done.then(() => {
        for (const id of ids) if (this.toTop.get(id) === done) this.toTop.delete(id);
      });
    }
    return done;
  }

  /**
   * Settles once the batches that brought these blocks into tier 0 have run. An acquire waits for
   * those copies only, not for the whole queue: its pins would otherwise hold top-tier slots for
   * as long as unrelated demotions to flash or disk take, and fill the tier for everyone else.
   * Batches run in order, so everything queued before them has run too.
   */
  private async topReady(ids: readonly number[]): Promise<void> {
    const pending = new Set<Promise<void>>();
    for (const id of ids) {
      const done = this.toTop.get(id);
      if (done) pending.add(done);
    }
    if (pending.size > 0) await Promise.all(pending);
  }

  private releaseIfGone(id: number): void {
    if (this.control.presenceOf(id) === 0 && this.control.pinCount(id) === 0) {
      this.meta.clearPrefetched(id);
      this.table.release(id);
    }
  }

  private moveFailed(move: PendingMove, error: KvtierError, stage: MoveFailureStage): void {
    this.config.onWarning(error.message);
    this.failures.set(move, error);
    const id = move.id;
    // The same id may have been reused for another block since: only drop it if it is still ours.
    if (this.table.idLimit <= id || this.table.keyOf(id) !== move.record.key || !this.control.has(id)) return;
    // The block is where the control plane says: only an old copy could not be freed (a full
    // append-only disk cannot even write a tombstone), or a stale write failed whose block a
    // promotion had already taken from its staged bytes. The warning above is all there is to do.
    if (stage === 'free' || stage === 'superseded') return;
    if (move.kind === MoveKind.COPY && stage === 'write') {
      // A copy that could not be written (write-through, inclusive promotion): the source is intact.
      this.control.removeFrom(id, move.to);
    } else {
      this.counters.lostBlocks++;
      this.control.remove(id);
    }
    void this.flush();
  }

  failureOf(move: PendingMove | undefined): KvtierError | undefined {
    return move ? this.failures.get(move) : undefined;
  }

  // ---- writes ----

  async put(key: BlockKey, bytes: Uint8Array, ns: number, parent: BlockKey | null): Promise<boolean> {
    this.assertOpen();
    assertBlockKey(key);
    // isView as well as instanceof: a Proxy of a Uint8Array passes instanceof, then throws on `.length`.
    if (!(ArrayBuffer.isView(bytes) && bytes instanceof Uint8Array)) {
      throw invalidArgument('bytes', 'a Uint8Array or Buffer', bytes);
    }
    if (bytes.length === 0 || bytes.length > this.config.blockBytes) {
      throw invalidArgument('bytes', `1 to ${this.config.blockBytes} bytes (the block size)`, bytes);
    }
    if (parent != null) assertBlockKey(parent, 'parent');
    const existing = this.findId(key, ns);
    if (existing >= 0) {
      this.control.access(existing);
      await this.flush();
      return false;
    }
    const id = this.table.intern(this.storageKey(key, ns), ns);
    this.meta.set(id, bytes.length, checksum(bytes));
    this.control.setParent(id, parent != null ? this.findId(parent, ns) : -1);
    this.insertBytes = bytes;
    try {
      this.control.insert(id);
    } catch (error) {
      this.releaseIfGone(id);
      await this.flush();
      throw error;
    } finally {
      this.insertBytes = null;
    }
    const insert = this.batch.find((m) => m.kind === MoveKind.INSERT && m.id === id);
    await this.flush();
    this.counters.puts++;
    const failure = this.failureOf(insert);
    if (failure) throw failure;
    return true;
  }

  // ---- reads ----

  lookup(keys: readonly BlockKey[], ns: number): LookupResult {
    this.assertOpen();
    const ids = this.prefixIds(checkKeys(keys), ns);
    this.countLookup(keys.length, ids);
    return { prefixBlocks: ids.length, tiers: ids.map((id) => this.tiers[this.control.tierOf(id)]!.name) };
  }

  async acquire(keys: readonly BlockKey[], ns: number): Promise<PinHandle> {
    this.assertOpen();
    const ids = this.prefixIds(checkKeys(keys), ns);
    this.countLookup(keys.length, ids);
    for (const id of ids) this.control.pin(id);
    try {
      // An access: a top-tier block is touched, a lower one promoted (the same rule as replay).
      for (const id of ids) this.control.access(id);
    } catch (error) {
      for (const id of ids) this.control.unpin(id);
      await this.flush();
      throw error;
    }
    void this.flush();
    await this.topReady(ids);
    // A promotion can fail (a damaged lower copy): serve only the prefix that made it.
    let served = 0;
    while (served < ids.length && this.control.tierOf(ids[served]!) === 0) served++;
    let kept = ids.slice(0, served);
    this.unpinUnserved(ids.slice(served));
    const views: Uint8Array[] = [];
    for (const id of kept) {
      const view = await this.topView(id);
      if (view === null) break;
      views.push(view);
    }
    if (views.length < kept.length) {
      // A durable top tier found the block damaged (counted and reported there): a miss from here on.
      const lost = kept[views.length]!;
      if (this.control.has(lost)) {
        this.counters.lostBlocks++;
        this.control.remove(lost);
        void this.flush();
      }
      this.unpinUnserved(kept.slice(views.length));
      kept = kept.slice(0, views.length);
    }
    for (const id of kept) {
      if (this.meta.clearPrefetched(id)) this.counters.prefetch.used++;
    }
    this.counters.pins.acquired += kept.length > 0 ? 1 : 0;
    return new PinHandle(this, kept, keys.slice(0, kept.length), views, this.config.pinTtlMs);
  }

  prefetch(keys: readonly BlockKey[], ns: number): PrefetchResult {
    this.assertOpen();
    checkKeys(keys);
    const ids = this.prefixIds(keys, ns);
    const result: PrefetchResult = { requested: keys.length, started: 0, alreadyInTop: 0, skipped: [], done: Promise.resolve() };
    let i = 0;
    let fullReason: PrefetchSkipReason = 'top tier full of pinned blocks';
    // Blocks of this call are held on top while it runs: bringing up a later block must not evict
    // an earlier one (the chain's head matters most, and the copy up would be wasted).
    const held: number[] = [];
    try {
      for (; i < ids.length; i++) {
        const id = ids[i]!;
        if (this.control.tierOf(id) === 0) {
          result.alreadyInTop++;
        } else {
          try {
            this.control.promote(id);
          } catch (error) {
            if (!(error instanceof KvtierError) || error.code !== ErrorCode.TIER_FULL) throw error;
            if ((error.details.pinned as number) - this.heldOnlyBy(held) < this.control.capacity[0]!) {
              fullReason = 'no room without evicting an earlier block of this prefetch';
            }
            break;
          }
          this.meta.markPrefetched(id);
          result.started++;
        }
        this.control.pin(id);
        held.push(id);
      }
    } finally {
      for (const id of held) this.control.unpin(id);
    }
    for (let j = i; j < ids.length; j++) result.skipped.push({ key: keys[j]!, reason: fullReason });
    for (let j = ids.length; j < keys.length; j++) {
      result.skipped.push({ key: keys[j]!, reason: j === ids.length ? 'not cached' : 'after a missing block' });
    }
    const p = this.counters.prefetch;
    p.requested += result.requested;
    p.started += result.started;
    p.alreadyInTop += result.alreadyInTop;
    p.skipped += result.skipped.length;
    result.done = this.flush();
    return result;
  }

  /** How many distinct blocks of `held` have no pin but these holds (duplicates hold twice). */
  private heldOnlyBy(held: readonly number[]): number {
    const holds = new Map<number, number>();
    for (const id of held) holds.set(id, (holds.get(id) ?? 0) + 1);
    let only = 0;
    for (const [id, count] of holds) if (this.control.pinCount(id) === count) only++;
    return only;
  }

  /** Undoes the pins an acquire took for blocks it will not serve (no handle owns them: not counted). */
  private unpinUnserved(ids: readonly number[]): void {
    for (const id of ids) {
      this.control.unpin(id);
      this.releaseIfGone(id);
    }
  }

  unpinAll(ids: readonly number[], reason: PinEnd): void {
    for (const id of ids) {
      this.control.unpin(id);
      this.releaseIfGone(id);
    }
    if (ids.length === 0) return;
    this.counters.pins[reason]++;
    if (reason === 'leaked') this.config.onWarning(`a pin handle of ${ids.length} blocks was garbage-collected without release()`);
  }

  /** The bytes of a pinned top-tier block, or null when the tier cannot serve them (damaged, missing). */
  private async topView(id: number): Promise<Uint8Array | null> {
    const top = this.tiers[0]!;
    const key = this.table.keyOf(id);
    const length = this.meta.lengthOf(id);
    if (isMemoryTier(top)) return top.view(key)?.subarray(0, length) ?? null;
    const copy = new Uint8Array(length);
    const record = await top.read(key, copy);
    return record !== null && record.checksum === this.meta.checksumOf(id) ? copy : null;
  }

  private countLookup(requested: number, ids: readonly number[]): void {
    const c = this.counters;
    c.lookups++;
    c.lookupBlocks += requested;
    c.hitBlocks += ids.length;
    for (const id of ids) {
      const tier = this.control.tierOf(id);
      c.hits[tier]!++;
      for (let t = 0; t < tier; t++) c.misses[t]!++;
    }
    if (ids.length < requested) for (let t = 0; t < this.tiers.length; t++) c.misses[t]! += requested - ids.length;
  }

  // ---- recovery, stats, shutdown ----

  async recover(): Promise<void> {
    const parents: { id: number; parent: BlockKey; ns: number }[] = [];
    for (let tier = this.tiers.length - 1; tier >= 0; tier--) {
      for await (const record of this.tiers[tier]!.scan()) {
        if (record.length > this.config.blockBytes) {
          // Written under a larger block size (another model or blockTokens): it could never be served.
          this.config.onWarning(
            `block ${record.key} in ${this.tiers[tier]!.name} is ${record.length} bytes, larger than the block size ${this.config.blockBytes}; dropping it`,
          );
          this.counters.recoveryDropped++;
          await this.tiers[tier]!.delete(record.key);
          continue;
        }
        const ns = this.namespaceIndex(record.namespace);
        let id: number;
        try {
          id = this.table.intern(record.key, ns);
        } catch (error) {
          if (!(error instanceof KvtierError) || error.code !== ErrorCode.INVALID_ARGUMENT) throw error;
          // The same storage key under two namespaces (files from elsewhere): serve neither namespace this copy.
          this.config.onWarning(`block ${record.key} is stored under two namespaces; dropping the copy in ${this.tiers[tier]!.name}`);
          await this.tiers[tier]!.delete(record.key);
          continue;
        }
        if (this.control.has(id) && this.meta.checksumOf(id) !== record.checksum) {
          // Two durable copies disagree: trust neither, and free the tier space of both.
          this.config.onWarning(`block ${record.key} has different checksums in two tiers; dropping it`);
          this.control.remove(id);
          await this.tiers[tier]!.delete(record.key);
          continue;
        }
        this.meta.set(id, record.length, record.checksum);
        if (!this.control.restore(id, tier)) {
          this.counters.recoveryDropped++;
          if (!this.control.has(id)) this.table.release(id);
          await this.tiers[tier]!.delete(record.key);
          continue;
        }
        this.counters.recovered++;
        if (record.parent) parents.push({ id, parent: record.parent, ns });
      }
    }
    for (const { id, parent, ns } of parents) {
      const parentId = this.table.find(parent, ns);
      this.control.setParent(id, parentId >= 0 && this.control.has(parentId) ? parentId : -1);
    }
    await this.flush();
  }

  stats(): EngineStats {
    return buildStats(this.tiers, this.control, this.dataPlane.counters, this.counters, this.table);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.dataPlane.idle();
    for (const tier of this.tiers) await tier.flush();
    for (const tier of this.tiers) await tier.close();
  }

  assertOpen(): void {
    if (this.closed) throw new KvtierError(ErrorCode.CLOSED, 'the cache is closed');
  }
}

function checkKeys(keys: readonly BlockKey[]): readonly BlockKey[] {
  if (!Array.isArray(keys)) throw invalidArgument('keys', 'an array of block keys', keys);
  keys.forEach((key, i) => assertBlockKey(key, `keys[${i}]`));
  return keys;
}

/**
 * A handle on the cache for one namespace (tenant). Handles of different namespaces share the
 * engine's tiers but never see each other's blocks: a lookup in one gives the same answer as on
 * an empty cache for the blocks of another.
 */
export class KvCache {
  private constructor(
    private readonly core: CacheCore,
    private readonly ns: number,
  ) {}

  /** Opens an engine: creates the tiers and rebuilds the index from the durable ones. */
  static async open(config: EngineConfig): Promise<KvCache> {
    const resolved = resolveEngineConfig(config);
    const tiers: Tier[] = [];
    // Damaged blocks found by a durable tier are warnings of this engine, like every other one.
    const onDamage = (report: DamageReport): void =>
      resolved.onWarning(
        `tier \`${report.tier}\`: dropped damaged block ${report.key ?? '(unknown key)'}` +
          `${report.location ? ` at ${report.location}` : ''}: ${report.reason}`,
      );
    try {
      for (const tier of resolved.tiers) {
        tiers.push(
          await createTier({
            name: tier.name,
            capacityBlocks: tier.capacityBlocks,
            blockBytes: resolved.blockBytes,
            onDamage,
            ...(tier.dir !== undefined ? { dir: tier.dir } : {}),
            ...(tier.durability !== undefined ? { durability: tier.durability } : {}),
            ...(tier.verifyOnOpen !== undefined ? { verifyOnOpen: tier.verifyOnOpen } : {}),
            ...(tier.device !== undefined ? { device: tier.device } : {}),
          }),
        );
      }
      // Inside the try: a bad policy or a failed recovery must not leave LMDB or segment files open.
      const core = new CacheCore(resolved, tiers);
      await core.recover();
      return new KvCache(core, core.namespaceIndex(resolved.namespace));
    } catch (error) {
      for (const tier of tiers) await tier.close().catch(() => undefined);
      throw error;
    }
  }

  /** A handle on another namespace of the same engine. */
  namespace(name: string): KvCache {
    if (typeof name !== 'string') throw invalidArgument('name', 'a string', name);
    // Checked here, not at the first demotion: every durable record carries its namespace.
    assertNamespace(name, 'name');
    return new KvCache(this.core, this.core.namespaceIndex(name));
  }

  /** This handle's namespace. */
  get namespaceName(): string {
    return this.core.namespaceName(this.ns);
  }

  /** Bytes of one block. */
  get blockBytes(): number {
    return this.core.config.blockBytes;
  }

  /** Tokens of one block. */
  get blockTokens(): number {
    return this.core.config.blockTokens;
  }

  /** Tier names, top first. */
  get tierNames(): string[] {
    return this.core.tiers.map((t) => t.name);
  }

  /** The chained keys of the full blocks of `tokens` in this namespace. */
  keys(tokens: ArrayLike<number>, parent: BlockKey | null = null): BlockKey[] {
    return blockKeys(tokens, {
      blockTokens: this.core.config.blockTokens,
      namespace: this.namespaceName,
      parent,
    });
  }

  /** Longest cached prefix of `keys` and the tier of each of its blocks. Changes nothing. */
  lookup(keys: readonly BlockKey[]): LookupResult {
    return this.core.lookup(keys, this.ns);
  }

  /**
   * Pins the longest cached prefix of `keys` and brings it to the top tier; the handle's `blocks`
   * are views of the bytes until `release()`. Rejects with ERR_TIER_FULL when the top tier cannot
   * hold them without evicting pinned blocks.
   */
  acquire(keys: readonly BlockKey[]): Promise<PinHandle> {
    return this.core.acquire(keys, this.ns);
  }

  /**
   * Stores a computed block (resolves true), or touches it if already cached (false). `bytes`
   * must not change until the promise settles. Rejects when the top tier has no room (all pinned)
   * or its write fails; nothing already stored is affected.
   */
  put(key: BlockKey, bytes: Uint8Array, options: PutOptions | null = {}): Promise<boolean> {
    // `options?.`: null means no options, and an async API must reject, never throw.
    return this.core.put(key, bytes, this.ns, options?.parent ?? null);
  }

  /** Stores consecutive blocks of one chain: `blocks[i]` under `keys[i]`, each the parent of the next. */
  async putChain(keys: readonly BlockKey[], blocks: readonly Uint8Array[], parent: BlockKey | null = null): Promise<number> {
    checkKeys(keys);
    if (!Array.isArray(blocks) || blocks.length !== keys.length) {
      throw invalidArgument('blocks', `an array of ${keys.length} blocks (one per key)`, blocks);
    }
    let stored = 0;
    for (let i = 0; i < keys.length; i++) {
      if (await this.core.put(keys[i]!, blocks[i]!, this.ns, i === 0 ? parent : keys[i - 1]!)) stored++;
    }
    return stored;
  }

  /** Starts bringing the cached prefix of `keys` to the top tier without pinning; says what it skipped and why. */
  prefetch(keys: readonly BlockKey[]): PrefetchResult {
    return this.core.prefetch(keys, this.ns);
  }

  /** A snapshot of every counter. */
  stats(): EngineStats {
    return this.core.stats();
  }

  /** Waits for queued moves and makes durable tiers' completed writes durable. */
  async flush(): Promise<void> {
    await this.core.dataPlane.idle();
    for (const tier of this.core.tiers) await tier.flush();
  }

  /** Finishes queued moves and closes the tiers. Further calls reject with ERR_CLOSED. */
  close(): Promise<void> {
    return this.core.close();
  }
}
