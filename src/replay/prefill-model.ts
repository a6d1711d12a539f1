/** What a request costs the GPU: prefill (compute-bound), decode (memory-bound), TTFT with and without cached KV. */
import { invalidArgument } from '../errors.js';
import { bytesPerToken, type ModelGeometry } from '../model/geometry.js';
import type { GpuModel } from './gpu.js';

/**
 * Fraction of the GPU's dense peak FLOP/s a prefill sustains (model FLOPs utilisation) unless told
 * otherwise: large prefills on H100-class GPUs reach roughly 40-60% in vLLM/SGLang, hence the
 * middle of that range. Override it with a measured figure.
 */
export const DEFAULT_PREFILL_UTILISATION = 0.5;

/** Knobs of the decode model. Defaults are typical of well-tuned serving stacks; override with measured figures. */
export interface DecodeOptions {
  /**
   * Fraction of HBM bandwidth a decode step sustains (decode streams weights and KV from HBM).
   * @default 0.8
   */
  readonly bandwidthUtilisation: number;
  /** Bytes of one weight parameter read by every decode step. @default 2 (BF16 weights) */
  readonly weightBytesPerParam: number;
  /**
   * Requests decoded together: each step's weight reads are shared among them, while every request
   * still reads its own KV cache. 1 gives the per-request (unbatched) upper bound.
   * @default 1
   */
  readonly batchSize: number;
}

/** The defaults of {@link DecodeOptions}. */
export const DEFAULT_DECODE_OPTIONS: DecodeOptions = Object.freeze({
  bandwidthUtilisation: 0.8,
  weightBytesPerParam: 2,
  batchSize: 1,
});

function checkUtilisation(name: string, value: number): void {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) throw invalidArgument(name, 'a number in (0, 1]', value);
}

/** Fills in defaults and checks every field once, so {@link decodeSeconds} need not. */
export function resolveDecodeOptions(options: Partial<DecodeOptions> = {}): DecodeOptions {
  const resolved = { ...DEFAULT_DECODE_OPTIONS, ...options };
  checkUtilisation('bandwidthUtilisation', resolved.bandwidthUtilisation);
  const weightBytes = resolved.weightBytesPerParam;
  if (typeof weightBytes !== 'number' || !(weightBytes > 0) || !Number.isFinite(weightBytes)) {
    throw invalidArgument('weightBytesPerParam', 'a positive finite number', weightBytes);
  }
  if (!Number.isSafeInteger(resolved.batchSize) || resolved.batchSize <= 0) {
    throw invalidArgument('batchSize', 'a positive integer', resolved.batchSize);
  }
  return Object.freeze(resolved);
}

function checkTokens(name: string, value: number): void {
  if (!(value >= 0) || !Number.isFinite(value)) throw invalidArgument(name, 'a non-negative finite number', value);
}

/**
 * FLOPs to prefill `newTokens` after `cachedTokens` of context already held as KV:
 * 2 × activeParams × newTokens (the matmuls) plus the causal attention, QKᵀ and AV, each
 * 2 × heads × headDim FLOPs per (query, key) pair: 4 × layers × attentionHeads × headDim × newTokens
 * × (cachedTokens + newTokens / 2), since new token j attends to the cached tokens and about half of
 * the new ones. For MLA models headDim stands in for the query/key width (an approximation).
 */
export function prefillFlops(model: ModelGeometry, newTokens: number, cachedTokens: number): number {
  checkTokens('newTokens', newTokens);
  checkTokens('cachedTokens', cachedTokens);
  const linear = 2 * model.activeParams * newTokens;
  const attention = 4 * model.layers * model.attentionHeads * model.headDim * newTokens * (cachedTokens + newTokens / 2);
  return linear + attention;
}

/**
 * Seconds to prefill `newTokens` after `cachedTokens`: {@link prefillFlops} / (peak × utilisation).
 * @param utilisation fraction of peak FLOP/s achieved, in (0, 1]; default {@link DEFAULT_PREFILL_UTILISATION}
 */
export function prefillSeconds(
  model: ModelGeometry,
  gpu: GpuModel,
  newTokens: number,
  cachedTokens: number,
  utilisation: number = DEFAULT_PREFILL_UTILISATION,
): number {
  checkUtilisation('utilisation', utilisation);
  return prefillFlops(model, newTokens, cachedTokens) / (gpu.peakFlopsPerSec * utilisation);
}

/**
 * Seconds to decode `outputTokens` further tokens after a prompt of `contextTokens`. Decode is
 * memory-bound: step i reads the active weights (shared by the batch) and the request's KV cache
 * of contextTokens + i tokens from HBM, so the bytes are
 * outputTokens × activeParams × weightBytesPerParam / batchSize
 * + bytesPerToken × (outputTokens × contextTokens + outputTokens × (outputTokens − 1) / 2),
 * divided by HBM bandwidth × bandwidthUtilisation.
 */
export function decodeSeconds(
  model: ModelGeometry,
  gpu: GpuModel,
  outputTokens: number,
  contextTokens: number,
  options: DecodeOptions = DEFAULT_DECODE_OPTIONS,
): number {
  checkTokens('outputTokens', outputTokens);
  checkTokens('contextTokens', contextTokens);
  const weightBytes = (outputTokens * model.activeParams * options.weightBytesPerParam) / options.batchSize;
  const kvBytes = bytesPerToken(model) * (outputTokens * contextTokens + (outputTokens * (outputTokens - 1)) / 2);
  return (weightBytes + kvBytes) / (gpu.hbmBytesPerSec * options.bandwidthUtilisation);
}

/**
 * Time to first token when loading the hits' KV overlaps the prefill of the misses layer by layer:
 * a two-stage pipeline (load layer l, then compute layer l) over `layers` equal stages takes
 * max(load, prefill) + min(load, prefill) / layers. It reduces to the prefill alone when nothing
 * is loaded and to the load alone when nothing is computed.
 */
export function ttftWithCache(loadSec: number, prefillSec: number, layers: number): number {
  return Math.max(loadSec, prefillSec) + Math.min(loadSec, prefillSec) / layers;
}

/** One request's modelled GPU time, with the cache and without it. Seconds. */
export interface RequestTiming {
  /** Prefill of the tokens the cache did not supply. */
  prefillSecWithCache: number;
  /** Prefill of every input token. */
  prefillSecWithoutCache: number;
  /** {@link ttftWithCache} of the hits' load time and the misses' prefill. */
  ttftWithCacheSec: number;
  /** Equal to prefillSecWithoutCache: nothing to load. */
  ttftWithoutCacheSec: number;
}

/**
 * Times one request of `inputTokens` whose first `hitTokens` came from the cache, their KV taking
 * `loadSec` to reach the GPU (queueing included). Even a full hit recomputes the last prompt token,
 * as serving engines do, because its logits give the first output token. Writes into `out` when
 * given, so the replay's per-request loop allocates nothing.
 */
export function requestTiming(
  model: ModelGeometry,
  gpu: GpuModel,
  inputTokens: number,
  hitTokens: number,
  loadSec: number,
  utilisation: number = DEFAULT_PREFILL_UTILISATION,
  out: RequestTiming = { prefillSecWithCache: 0, prefillSecWithoutCache: 0, ttftWithCacheSec: 0, ttftWithoutCacheSec: 0 },
): RequestTiming {
  checkTokens('inputTokens', inputTokens);
  if (!(hitTokens >= 0 && hitTokens <= inputTokens)) {
    throw invalidArgument('hitTokens', `a number in [0, inputTokens = ${inputTokens}]`, hitTokens);
  }
  checkTokens('loadSec', loadSec);
  const cachedTokens = inputTokens > 0 && hitTokens >= inputTokens ? inputTokens - 1 : hitTokens;
  const withCache = prefillSeconds(model, gpu, inputTokens - cachedTokens, cachedTokens, utilisation);
  const withoutCache = prefillSeconds(model, gpu, inputTokens, 0, utilisation);
  out.prefillSecWithCache = withCache;
  out.prefillSecWithoutCache = withoutCache;
  out.ttftWithCacheSec = ttftWithCache(loadSec, withCache, model.layers);
  out.ttftWithoutCacheSec = withoutCache;
  return out;
}

/** GPU prefill time with and without the cache, and what the difference is worth. */
export interface GpuSavings {
  prefillSecWithCache: number;
  prefillSecWithoutCache: number;
  /** prefillSecWithoutCache − prefillSecWithCache. */
  secSaved: number;
  /** secSaved × costPerHourUsd / 3600. */
  costSavedUsd: number;
}

/** Totals the GPU-seconds saved by the cache and prices them at the GPU's hourly cost. */
export function gpuSavings(gpu: GpuModel, prefillSecWithCache: number, prefillSecWithoutCache: number): GpuSavings {
  const secSaved = prefillSecWithoutCache - prefillSecWithCache;
  return { prefillSecWithCache, prefillSecWithoutCache, secSaved, costSavedUsd: (secSaved * gpu.costPerHourUsd) / 3600 };
}
