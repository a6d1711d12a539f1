/**
 * The replay driver: a trace through the control plane on a virtual clock (DESIGN.md sections 4–6).
 *
 * Per request, in file order: the lookup (longest cached prefix, any tier), then every block is
 * accessed first to last (hit → touched and promoted to the top tier; miss → inserted, evicting
 * and demoting as needed). The moves the control plane emits are timed by the transfer-queue model
 * (promotions are the loads a request waits for; demotions and write-through copies are background
 * traffic that contends for the same devices and links), the misses by the prefill model, and the
 * output tokens by the decode model, during which the request's blocks may stay pinned.
 */
import { ControlPlane, MoveKind, type MoveSink, type PromotionPolicy, type WritePolicy } from '../engine/control-plane.js';
import { capacityInBlocks, type Capacity } from '../engine/capacity.js';
import { ErrorCode, KvtierError } from '../errors.js';
import { blockBytes as modelBlockBytes, resolveModel, type ModelGeometry } from '../model/geometry.js';
import type { DeviceModel } from '../hardware/device.js';
import { resolveDevice, resolveLink, defaultDeviceFor, defaultLinkFor } from '../hardware/presets.js';
import type { PolicyOptions } from '../policies/policy.js';
import { resolveGpu, type GpuModel } from './gpu.js';
import { decodeSeconds, requestTiming, type RequestTiming } from './prefill-model.js';
import { TransferQueues } from './transfer-queues.js';
import { defaultCurveCapacities, lruCurve } from './lru-curve.js';
import { optHitRatio } from './opt.js';
import { blockTokenCount, totalRefs, type ReplayTrace } from './replay-trace.js';
import { ReplayStatsCollector, type ReplayEnd } from './replay-stats.js';
import type { ReplayResult } from './result.js';
import { PinSchedule } from './pin-schedule.js';

/** One tier of a replay. */
export interface ReplayTierSpec {
  /** "hbm", "ddr", "cxl", "flash" or "disk" (names the default device). */
  name: string;
  /** Bytes ("80GiB") or blocks ("4000blocks"). */
  capacity: Capacity;
  /** @default "lru" */
  policy?: string;
  policyOptions?: PolicyOptions;
  /** Device preset or model. @default the tier name's preset */
  device?: string | DeviceModel;
  /** Directory of a flash or disk tier (payload mode only; a temporary one by default). */
  dir?: string;
}

/** Options of `replay`. */
export interface ReplayOptions {
  trace: ReplayTrace;
  /** A name for the trace in the result. @default "trace" */
  traceName?: string;
  /** @default "llama-3.1-70b" */
  model?: string | ModelGeometry;
  /** @default "h100" */
  gpu?: string | GpuModel;
  tiers: readonly ReplayTierSpec[];
  /** @default "write-back" */
  writePolicy?: WritePolicy;
  /** @default "exclusive" */
  promotion?: PromotionPolicy;
  /** @default 1 */
  seed?: number;
  /** Hold each request's blocks pinned for its modelled decode time. @default false (keeps LRU exact) */
  pinDuringDecode?: boolean;
  /** Also compute Belady/OPT at the total capacity. @default true */
  opt?: boolean;
  /** Capacities (blocks) for the one-pass LRU curve; `true` for a default spread. @default none */
  curve?: readonly number[] | boolean;
  /** Fraction of peak FLOP/s a prefill achieves. @default 0.5 */
  utilisation?: number;
  /** Keep per-request TTFT samples (subsampled to at most this many). @default 10000 */
  ttftSamples?: number;
  /** Called every few thousand requests with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** Counts moves per (from, to) pair within one request; the driver turns them into transfers. */
class MoveCounter implements MoveSink {
  readonly counts: Float64Array;
  readonly stride: number;

  constructor(tiers: number) {
    this.stride = tiers + 1;
    this.counts = new Float64Array(this.stride * this.stride);
  }

  move(kind: MoveKind, _id: number, from: number, to: number): void {
    // A LIFT is the transfer of an exclusive promotion; its LAND moves no further bytes.
    if (kind === MoveKind.MOVE || kind === MoveKind.COPY || kind === MoveKind.LIFT) this.counts[from * this.stride + to]!++;
  }
}

/** What every replay mode resolves from its options before the first request. */
export interface ReplaySetup {
  model: ModelGeometry;
  gpu: GpuModel;
  blockTokens: number;
  /** True bytes of a block (the timing model always uses these). */
  blockBytes: number;
  utilisation: number;
  tiers: { name: string; capacityBlocks: number; policy: string; device: DeviceModel; dir?: string }[];
  links: { name: string; between: [string, string] }[];
  queues: TransferQueues;
}

/** Resolves model, GPU, tiers, devices and links, and builds the transfer queues. */
export function prepareReplay(options: ReplayOptions): ReplaySetup {
  const trace = options.trace;
  const model = resolveModel(options.model ?? 'llama-3.1-70b');
  const gpu = resolveGpu(options.gpu ?? 'h100');
  const blockTokens = trace.blockTokens;
  const blockBytes = modelBlockBytes(model, blockTokens);
  if (options.tiers.length === 0) throw new KvtierError(ErrorCode.CONFIG, 'a replay needs at least one tier');
  const tiers = options.tiers.map((tier, i) => {
    const capacityBlocks = capacityInBlocks(tier.capacity, blockBytes, `tiers[${i}].capacity`);
    if (capacityBlocks < 1) {
      throw new KvtierError(ErrorCode.CONFIG, `tier ${i} (${tier.name}) holds no block of ${blockBytes} bytes`);
    }
    return {
      name: tier.name,
      capacityBlocks,
      policy: tier.policy ?? 'lru',
      device: tier.device !== undefined ? resolveDevice(tier.device) : defaultDeviceFor(tier.name),
      ...(tier.dir !== undefined ? { dir: tier.dir } : {}),
    };
  });
  const linkModels = tiers.slice(1).map((tier) => resolveLink(defaultLinkFor(tier.name)));
  return {
    model,
    gpu,
    blockTokens,
    blockBytes,
    utilisation: options.utilisation ?? 0.5,
    tiers,
    links: linkModels.map((link, i) => ({ name: link.name, between: [tiers[i]!.name, tiers[i + 1]!.name] })),
    queues: new TransferQueues(
      tiers.map((t) => t.device),
      linkModels,
    ),
  };
}

/**
 * Times one request whose KV for `hitTokens` reaches the GPU `loadSec` after arrival, and feeds
 * `stats`; returns its TTFT. When loading would be slower than recomputing everything (a slow tier
 * behind a busy link), the request recomputes instead, as a serving engine that weighs the two
 * would: so the cache never makes a request slower than no cache.
 */
export function timeRequest(
  setup: ReplaySetup,
  stats: ReplayStatsCollector,
  inputTokens: number,
  hitTokens: number,
  loadSec: number,
): number {
  const timing = requestTiming(setup.model, setup.gpu, inputTokens, hitTokens, loadSec, setup.utilisation, scratchTiming);
  const recompute = timing.ttftWithCacheSec > timing.ttftWithoutCacheSec;
  const ttft = recompute ? timing.ttftWithoutCacheSec : timing.ttftWithCacheSec;
  stats.ttft(ttft, timing.ttftWithoutCacheSec, recompute ? timing.prefillSecWithoutCache : timing.prefillSecWithCache, recompute);
  return ttft;
}

const scratchTiming: RequestTiming = { prefillSecWithCache: 0, prefillSecWithoutCache: 0, ttftWithCacheSec: 0, ttftWithoutCacheSec: 0 };

/** The parts of the result every replay mode computes the same way: OPT, the curve, the config. */
export function replayExtras(options: ReplayOptions, setup: ReplaySetup, payload: string): Pick<ReplayEnd, 'config' | 'opt' | 'curve' | 'durationSec'> {
  const trace = options.trace;
  const totalCapacity = setup.tiers.reduce((sum, t) => sum + t.capacityBlocks, 0);
  const opt = options.opt === false ? undefined : optHitRatio(trace, totalCapacity);
  const curveCapacities =
    options.curve === true ? defaultCurveCapacities(trace.uniqueBlocks) : options.curve ? [...options.curve] : null;
  const curve = curveCapacities ? lruCurve(trace, curveCapacities) : undefined;
  const n = trace.requestCount;
  return {
    config: {
      trace: options.traceName ?? 'trace',
      model: setup.model.name,
      gpu: setup.gpu.name,
      blockTokens: setup.blockTokens,
      blockBytes: setup.blockBytes,
      payload,
      writePolicy: options.writePolicy ?? 'write-back',
      promotion: options.promotion ?? 'exclusive',
      tiers: setup.tiers.map((t) => ({ name: t.name, capacityBlocks: t.capacityBlocks, policy: t.policy, device: t.device.name })),
      seed: options.seed ?? 1,
    },
    ...(opt ? { opt } : {}),
    ...(curve ? { curve } : {}),
    durationSec: n > 0 ? (trace.timestamps[n - 1]! - trace.timestamps[0]!) / 1000 : 0,
  };
}

/** Replays a trace through the control plane with the timing model (metadata only). */
export function replay(options: ReplayOptions): ReplayResult {
  const started = performance.now();
  const trace = options.trace;
  const setup = prepareReplay(options);
  const { tiers, queues, blockBytes, blockTokens, model, gpu } = setup;
  let clockMs = 0;
  const counter = new MoveCounter(tiers.length);
  const control = new ControlPlane(
    {
      tiers: options.tiers.map((tier, i) => ({
        capacityBlocks: tiers[i]!.capacityBlocks,
        policy: tiers[i]!.policy,
        ...(tier.policyOptions ? { policyOptions: tier.policyOptions } : {}),
      })),
      writePolicy: options.writePolicy ?? 'write-back',
      promotion: options.promotion ?? 'exclusive',
      seed: options.seed ?? 1,
      now: () => clockMs,
    },
    counter,
  );
  const stats = new ReplayStatsCollector(tiers.length, options.ttftSamples ?? 10_000, totalRefs(trace));
  const pins = options.pinDuringDecode ? new PinSchedule(control) : null;
  const hitTiers = new Int8Array(maxRequestBlocks(trace));
  const parentSet = new Uint8Array(trace.uniqueBlocks);
  const stride = counter.stride;
  const progressEvery = 4096;

  for (let r = 0; r < trace.requestCount; r++) {
    clockMs = trace.timestamps[r]!;
    const nowSec = clockMs / 1000;
    pins?.releaseUntil(nowSec);
    control.expire();
    const start = trace.offsets[r]!;
    const end = trace.offsets[r + 1]!;
    const n = end - start;
    const input = trace.inputLengths[r]!;

    // Lookup: the longest cached prefix, and where each of its blocks sits.
    const prefix = control.lookupPrefix(trace.ids, start, end, hitTiers);
    let hitTokens = 0;
    for (let i = 0; i < prefix; i++) {
      const tokens = blockTokenCount(i, n, input, blockTokens);
      stats.hit(hitTiers[i]!, tokens);
      hitTokens += tokens;
    }
    stats.request(n, input);

    // Accesses, first to last.
    for (let i = start; i < end; i++) {
      const id = trace.ids[i]!;
      if (parentSet[id] === 0) {
        parentSet[id] = 1;
        if (i > start) control.setParent(id, trace.ids[i - 1]!);
      }
      let found: number;
      try {
        found = control.access(id);
      } catch (error) {
        // Only with decode pins: the top tier is full of pinned blocks, so this block bypasses it.
        if (!(error instanceof KvtierError) || error.code !== ErrorCode.TIER_FULL) throw error;
        stats.bypassed++;
        found = control.tierOf(id);
      }
      if (found >= 0) stats.independentHit();
    }

    // Timing: loads of promoted blocks (the request waits), then background demotions/copies.
    let loadDoneSec = nowSec;
    const counts = counter.counts;
    for (let from = 0; from < tiers.length; from++) {
      for (let to = 0; to < tiers.length; to++) {
        const moved = counts[from * stride + to]!;
        if (moved === 0) continue;
        counts[from * stride + to] = 0;
        const load = to === 0 && from > 0;
        const done = queues.transfer(from, to, moved * blockBytes, nowSec, !load);
        if (load && done > loadDoneSec) loadDoneSec = done;
      }
    }
    const ttft = timeRequest(setup, stats, input, hitTokens, loadDoneSec - nowSec);
    if (pins) {
      const decodeSec = decodeSeconds(model, gpu, trace.outputLengths[r]!, input);
      pins.hold(trace.ids, start, end, nowSec + ttft + decodeSec);
    }
    stats.sampleOccupancy(nowSec, control.used);
    if (options.onProgress && r % progressEvery === 0) options.onProgress(r, trace.requestCount);
  }
  options.onProgress?.(trace.requestCount, trace.requestCount);

  return stats.result({
    ...replayExtras(options, setup, 'none'),
    tiers,
    links: setup.links,
    counters: control.counterSnapshot(),
    queues,
    blockBytes,
    gpu,
    wallSec: (performance.now() - started) / 1000,
  });
}

function maxRequestBlocks(trace: ReplayTrace): number {
  let max = 1;
  for (let r = 0; r < trace.requestCount; r++) max = Math.max(max, trace.offsets[r + 1]! - trace.offsets[r]!);
  return max;
}
