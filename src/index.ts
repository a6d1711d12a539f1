/**
 * kvtier's public API: the embeddable tiered cache, the replay and sweep drivers, the trace
 * readers, and the presets they use. Everything else under src/ is internal.
 */

// The embeddable cache.
export { KvCache, type LookupResult, type PrefetchResult, type PrefetchSkipReason, type PutOptions } from './engine/engine.js';
export { PinHandle } from './engine/pin-handle.js';
export type { EngineConfig, TierConfig } from './engine/config.js';
export type { EngineStats, TierStats, PrefetchStats } from './engine/stats.js';
export { blockKeys, isBlockKey, BLOCK_KEY_HEX_LENGTH, type BlockKeyOptions } from './engine/block-keys.js';
export { parseBytes, capacityInBlocks, formatBytes, type Capacity } from './engine/capacity.js';
export { ControlPlane, MoveKind, type MoveSink, type WritePolicy, type PromotionPolicy } from './engine/control-plane.js';
export { ErrorCode, KvtierError } from './errors.js';

// Models and hardware.
export {
  modelPreset,
  modelNames,
  resolveModel,
  bytesPerToken,
  blockBytes,
  type ModelGeometry,
} from './model/geometry.js';
export type { DeviceModel, LinkModel } from './hardware/device.js';
export { devicePreset, linkPreset, resolveDevice, resolveLink } from './hardware/presets.js';
export { gpuPreset, gpuNames, resolveGpu, type GpuModel } from './replay/gpu.js';

// Policies and tiers, for extension.
export type { EvictionPolicy, PolicyContext, PolicyFactory, PolicyOptions } from './policies/policy.js';
export { createPolicy, policyNames } from './policies/registry.js';
export type { Tier, MemoryTier, BlockKey, BlockRecord, TierIoStats } from './tiers/tier.js';
export { createTier, type TierSpec } from './tiers/registry.js';

// Replay and sweeps.
export { replay, type ReplayOptions, type ReplayTierSpec } from './replay/replay.js';
export { replayWithPayload } from './replay/payload-replay.js';
export type { ReplayResult, HitCounts, TierReplayStats } from './replay/result.js';
export { lruCurve, type CurvePoint } from './replay/lru-curve.js';
export { optHitRatio, type OptResult } from './replay/opt.js';
export { runSweep, type SweepOptions, type SweepResult, type SweepEntry } from './sweep/sweep.js';
export { expandGrid, loadGrid, type SweepConfig } from './sweep/grid.js';
export { renderHtmlReport } from './report/html-report.js';

// Traces.
export * from './traces/index.js';
