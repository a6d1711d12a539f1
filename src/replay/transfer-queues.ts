/**
 * The replay's contention model: FCFS queues for every tier's device and every link, so transfers
 * that share a device or a link wait for each other while disjoint ones run in parallel.
 *
 * Resources and why:
 * - One queue per tier device, shared by reads and writes: a DRAM/HBM bus, an SSD controller or a
 *   disk arm serves both, so a demotion written into a tier delays a load read from it. A transfer
 *   is timed at the source's read bandwidth and the destination's write bandwidth.
 * - Two queues per link, one per direction: PCIe, CXL and NVMe links are full duplex and
 *   {@link LinkModel.bytesPerSec} is per direction, so demotions flowing down do not delay loads
 *   flowing up.
 * - Optionally a GPU link above tier 0, for hierarchies whose top tier is not GPU memory.
 *
 * A transfer holds all of its resources (source device, every link between the two tiers,
 * destination device) from its start to its finish: start = max(atSec, when each resource is
 * free), duration = max latency on the path + bytes / min bandwidth on the path. Transfers are
 * served in call order (no backfilling into idle gaps), which keeps the model deterministic and
 * O(path length) per call with no allocation: state is plain typed arrays.
 */
import { invalidArgument } from '../errors.js';
import type { DeviceModel, LinkModel } from '../hardware/device.js';

/** Options of {@link TransferQueues} beyond the devices and links. */
export interface TransferQueuesOptions {
  /**
   * The link between the GPU and tier 0. Leave it out when tier 0 is the GPU's own HBM: then hits
   * in tier 0 are used in place (no transfer) and loads from lower tiers end by writing into tier 0.
   * @default undefined (tier 0 is GPU memory)
   */
  readonly gpuLink?: LinkModel;
  /** Tier names for snapshots. @default the device names */
  readonly tierNames?: readonly string[];
}

/** Counters of one queue (a device, or one direction of a link). */
export interface QueueStats {
  /** Seconds the resource was held by transfers. */
  busySec: number;
  /** Bytes moved through it. */
  bytes: number;
  /** Transfers that used it. */
  transfers: number;
  /** Sum over those transfers of (finish − requested time): service plus queueing. */
  elapsedSec: number;
}

/** A tier device's counters. */
export interface TierQueueStats extends QueueStats {
  name: string;
  device: string;
}

/** A link's counters, per direction and summed. */
export interface LinkQueueStats {
  name: string;
  /** [upper end, lower end]: "gpu" for the GPU link. */
  between: [string, string];
  /** Away from the GPU (demotions, write-through, stores). */
  down: QueueStats;
  /** Toward the GPU (loads, promotions). */
  up: QueueStats;
  /** down.bytes + up.bytes. */
  bytes: number;
  /** down.busySec + up.busySec: may exceed wall time, since the directions run in parallel. */
  busySec: number;
}

/** A plain copy of every counter. */
export interface TransferQueuesSnapshot {
  tiers: TierQueueStats[];
  /** links[i] joins tier i and tier i + 1, as in the constructor. */
  links: LinkQueueStats[];
  /** Present when configured. */
  gpuLink?: LinkQueueStats;
}

const DOWN = 0;
const UP = 1;

function checkRequest(bytes: number, atSec: number): void {
  if (typeof bytes !== 'number' || !(bytes >= 0) || !Number.isFinite(bytes)) {
    throw invalidArgument('bytes', 'a non-negative finite number', bytes);
  }
  if (typeof atSec !== 'number' || !Number.isFinite(atSec)) throw invalidArgument('atSec', 'a finite number', atSec);
}

function checkPositive(name: string, value: number): void {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw invalidArgument(name, 'a positive finite number', value);
  }
}

function checkLatency(name: string, value: number): void {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw invalidArgument(name, 'a non-negative finite number', value);
  }
}

/**
 * FCFS transfer queues over a tier hierarchy. Internally, positions are −1 for the GPU and 0..n−1
 * for the tiers, top first; queue i is device i, and link slot k (k = 0: the GPU link; k ≥ 1: the
 * link between tiers k − 1 and k) has queues n + 2k (down) and n + 2k + 1 (up).
 */
export class TransferQueues {
  /** Number of tiers. */
  readonly tierCount: number;
  /** Start time of the most recent transfer (equals its `atSec` when it did not queue), seconds. */
  lastStartSec = 0;

  private readonly names: readonly string[];
  private readonly devices: readonly DeviceModel[];
  private readonly links: readonly (LinkModel | undefined)[];
  /** Where loads end and stores start: −1 with a GPU link, else 0 (tier 0 is GPU memory). */
  private readonly gpuPosition: number;
  /** When each queue is free of all traffic, and of foreground traffic only. */
  private readonly freeAt: Float64Array;
  private readonly foregroundFreeAt: Float64Array;
  private readonly busy: Float64Array;
  private readonly moved: Float64Array;
  private readonly count: Float64Array;
  private readonly elapsed: Float64Array;
  /** Per (from, to) position pair, (from + 1) × (n + 1) + (to + 1): the path's min bandwidth and max latency. */
  private readonly pathBytesPerSec: Float64Array;
  private readonly pathLatencySec: Float64Array;

  /**
   * @param devices the device of each tier, top (closest to the GPU) first; at least one
   * @param links links[i] joins tier i and tier i + 1: exactly devices.length − 1 of them
   */
  constructor(devices: readonly DeviceModel[], links: readonly LinkModel[], options: TransferQueuesOptions = {}) {
    const n = devices.length;
    if (n === 0) throw invalidArgument('devices', 'at least one tier device', devices);
    if (links.length !== n - 1) {
      throw invalidArgument('links', `${n - 1} links (one between each pair of adjacent tiers)`, links);
    }
    devices.forEach((d, i) => {
      checkPositive(`devices[${i}].readBytesPerSec`, d.readBytesPerSec);
      checkPositive(`devices[${i}].writeBytesPerSec`, d.writeBytesPerSec);
      checkLatency(`devices[${i}].latencySec`, d.latencySec);
    });
    links.forEach((l, i) => {
      checkPositive(`links[${i}].bytesPerSec`, l.bytesPerSec);
      checkLatency(`links[${i}].latencySec`, l.latencySec);
    });
    const { gpuLink, tierNames } = options;
    if (gpuLink) {
      checkPositive('gpuLink.bytesPerSec', gpuLink.bytesPerSec);
      checkLatency('gpuLink.latencySec', gpuLink.latencySec);
    }
    if (tierNames && tierNames.length !== n) throw invalidArgument('tierNames', `${n} names`, tierNames);
    this.tierCount = n;
    this.names = Object.freeze([...(tierNames ?? devices.map((d) => d.name))]);
    this.devices = Object.freeze([...devices]);
    this.links = Object.freeze([gpuLink, ...links]);
    this.gpuPosition = gpuLink ? -1 : 0;
    const queues = 3 * n;
    this.freeAt = new Float64Array(queues);
    this.foregroundFreeAt = new Float64Array(queues);
    this.busy = new Float64Array(queues);
    this.moved = new Float64Array(queues);
    this.count = new Float64Array(queues);
    this.elapsed = new Float64Array(queues);
    this.pathBytesPerSec = new Float64Array((n + 1) * (n + 1));
    this.pathLatencySec = new Float64Array((n + 1) * (n + 1));
    for (let from = -1; from < n; from++) {
      for (let to = -1; to < n; to++) {
        if (from === to || (!gpuLink && (from < 0 || to < 0))) continue;
        let bandwidth = Infinity;
        let latency = 0;
        if (from >= 0) {
          bandwidth = Math.min(bandwidth, this.devices[from].readBytesPerSec);
          latency = Math.max(latency, this.devices[from].latencySec);
        }
        if (to >= 0) {
          bandwidth = Math.min(bandwidth, this.devices[to].writeBytesPerSec);
          latency = Math.max(latency, this.devices[to].latencySec);
        }
        for (let i = Math.min(from, to) + 1; i <= Math.max(from, to); i++) {
          const link = this.links[i]!;
          bandwidth = Math.min(bandwidth, link.bytesPerSec);
          latency = Math.max(latency, link.latencySec);
        }
        const k = (from + 1) * (n + 1) + (to + 1);
        this.pathBytesPerSec[k] = bandwidth;
        this.pathLatencySec[k] = latency;
      }
    }
  }

  /**
   * Moves `bytes` from tier `fromTier` to tier `toTier` (any two distinct tiers), requested at
   * `atSec`; returns when it finishes. Zero bytes is a no-op that returns `atSec`.
   * A `background` transfer (demotion, write-through) yields to foreground ones (loads a request
   * waits for): it queues behind every transfer, while a foreground one queues only behind other
   * foreground transfers, as a serving engine's load path preempts its write-back traffic.
   */
  transfer(fromTier: number, toTier: number, bytes: number, atSec: number, background = false): number {
    this.checkTier('fromTier', fromTier);
    this.checkTier('toTier', toTier);
    if (fromTier === toTier) throw invalidArgument('toTier', `a tier other than fromTier (${fromTier})`, toTier);
    checkRequest(bytes, atSec);
    return this.schedule(fromTier, toTier, bytes, atSec, background);
  }

  /**
   * Reads hits from tier `fromTier` up to the GPU, requested at `atSec`; returns when they are
   * there. Without a GPU link, tier 0 is GPU memory: its hits cost nothing (used in place) and
   * loads from below end in tier 0.
   */
  load(fromTier: number, bytes: number, atSec: number): number {
    this.checkTier('fromTier', fromTier);
    checkRequest(bytes, atSec);
    if (fromTier === this.gpuPosition) return this.idle(atSec);
    return this.schedule(fromTier, this.gpuPosition, bytes, atSec);
  }

  /**
   * Writes freshly computed KV from the GPU down into tier `toTier` (write-through, or an insert
   * below the top tier). Without a GPU link, storing into tier 0 costs nothing (computed in place).
   */
  store(toTier: number, bytes: number, atSec: number): number {
    this.checkTier('toTier', toTier);
    checkRequest(bytes, atSec);
    if (toTier === this.gpuPosition) return this.idle(atSec);
    return this.schedule(this.gpuPosition, toTier, bytes, atSec);
  }

  /** Seconds tier `tier`'s device has been busy. */
  deviceBusySec(tier: number): number {
    this.checkTier('tier', tier);
    return this.busy[tier];
  }

  /** Bytes read from or written to tier `tier`'s device. */
  deviceBytes(tier: number): number {
    this.checkTier('tier', tier);
    return this.moved[tier];
  }

  /**
   * Sum over the transfers that used tier `tier`'s device of (finish − requested time): service
   * plus queueing. deviceBytes / deviceElapsedSec is the bandwidth transfers actually saw.
   */
  deviceElapsedSec(tier: number): number {
    this.checkTier('tier', tier);
    return this.elapsed[tier];
  }

  /** Busy seconds of links[`link`] (between tiers link and link + 1), both directions summed. */
  linkBusySec(link: number): number {
    return this.slotBusySec(this.linkSlot(link));
  }

  /** Bytes through links[`link`] (between tiers link and link + 1), both directions. */
  linkBytes(link: number): number {
    return this.slotBytes(this.linkSlot(link));
  }

  /** Busy seconds of the GPU link, both directions (0 when there is none). */
  gpuLinkBusySec(): number {
    return this.links[0] ? this.slotBusySec(0) : 0;
  }

  /** Bytes through the GPU link, both directions (0 when there is none). */
  gpuLinkBytes(): number {
    return this.links[0] ? this.slotBytes(0) : 0;
  }

  /** When every queue is idle, seconds (0 before any transfer). */
  drainSec(): number {
    let latest = 0;
    for (let i = 0; i < this.freeAt.length; i++) if (this.freeAt[i] > latest) latest = this.freeAt[i];
    return latest;
  }

  /** A plain, serialisable copy of every counter. */
  snapshot(): TransferQueuesSnapshot {
    const tiers = this.names.map((name, i) => ({ name, device: this.devices[i].name, ...this.queueStats(i) }));
    const links: LinkQueueStats[] = [];
    for (let slot = 1; slot < this.tierCount; slot++) links.push(this.linkStats(slot, this.names[slot - 1]));
    const result: TransferQueuesSnapshot = { tiers, links };
    if (this.links[0]) result.gpuLink = this.linkStats(0, 'gpu');
    return result;
  }

  /** The hot path: positions already checked (GPU = −1). */
  private schedule(from: number, to: number, bytes: number, atSec: number, background = false): number {
    if (bytes === 0) return this.idle(atSec);
    const n = this.tierCount;
    const k = (from + 1) * (n + 1) + (to + 1);
    const duration = this.pathLatencySec[k] + bytes / this.pathBytesPerSec[k];
    const lo = from < to ? from : to;
    const hi = from < to ? to : from;
    const linkBase = n + (from < to ? DOWN : UP);
    const free = background ? this.freeAt : this.foregroundFreeAt;
    let start = atSec;
    if (from >= 0 && free[from] > start) start = free[from];
    if (to >= 0 && free[to] > start) start = free[to];
    for (let i = lo + 1; i <= hi; i++) {
      const q = linkBase + 2 * i;
      if (free[q] > start) start = free[q];
    }
    const finish = start + duration;
    if (from >= 0) this.occupy(from, bytes, duration, finish, atSec, background);
    if (to >= 0) this.occupy(to, bytes, duration, finish, atSec, background);
    for (let i = lo + 1; i <= hi; i++) this.occupy(linkBase + 2 * i, bytes, duration, finish, atSec, background);
    this.lastStartSec = start;
    return finish;
  }

  private occupy(queue: number, bytes: number, duration: number, finish: number, atSec: number, background: boolean): void {
    if (finish > this.freeAt[queue]) this.freeAt[queue] = finish;
    if (!background && finish > this.foregroundFreeAt[queue]) this.foregroundFreeAt[queue] = finish;
    this.busy[queue] += duration;
    this.moved[queue] += bytes;
    this.count[queue] += 1;
    this.elapsed[queue] += finish - atSec;
  }

  /** Nothing to move: done as soon as requested. */
  private idle(atSec: number): number {
    this.lastStartSec = atSec;
    return atSec;
  }

  private checkTier(name: string, tier: number): void {
    if (!Number.isInteger(tier) || tier < 0 || tier >= this.tierCount) {
      throw invalidArgument(name, `a tier index in [0, ${this.tierCount - 1}]`, tier);
    }
  }

  /** The slot of links[link]: slot 0 is the GPU link. */
  private linkSlot(link: number): number {
    if (!Number.isInteger(link) || link < 0 || link >= this.tierCount - 1) {
      throw invalidArgument('link', `a link index in [0, ${this.tierCount - 2}]`, link);
    }
    return link + 1;
  }

  private slotBusySec(slot: number): number {
    const down = this.tierCount + 2 * slot + DOWN;
    return this.busy[down] + this.busy[down + 1];
  }

  private slotBytes(slot: number): number {
    const down = this.tierCount + 2 * slot + DOWN;
    return this.moved[down] + this.moved[down + 1];
  }

  private queueStats(queue: number): QueueStats {
    return {
      busySec: this.busy[queue],
      bytes: this.moved[queue],
      transfers: this.count[queue],
      elapsedSec: this.elapsed[queue],
    };
  }

  private linkStats(slot: number, upper: string): LinkQueueStats {
    const downQueue = this.tierCount + 2 * slot + DOWN;
    const down = this.queueStats(downQueue);
    const up = this.queueStats(downQueue + 1);
    return {
      name: this.links[slot]!.name,
      between: [upper, this.names[slot]],
      down,
      up,
      bytes: down.bytes + up.bytes,
      busySec: down.busySec + up.busySec,
    };
  }
}
