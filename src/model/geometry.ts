/** Model geometry: how many KV-cache bytes a token and a block take, from presets or explicit numbers. */
import { ErrorCode, KvtierError, invalidArgument } from '../errors.js';

/** The shape of a model's KV cache and what a prefill costs. */
export interface ModelGeometry {
  /** Preset or custom name. */
  readonly name: string;
  /** Transformer layers. */
  readonly layers: number;
  /** Key/value heads per layer (GQA); ignored for MLA models. */
  readonly kvHeads: number;
  /** Dimension of one head. */
  readonly headDim: number;
  /** Query heads per layer (for the attention FLOPs of a prefill). */
  readonly attentionHeads: number;
  /** Bytes per KV element: 2 for bf16/fp16, 1 for fp8. */
  readonly dtypeBytes: number;
  /** Parameters active per token (all of them for dense models), for the 2·N·tokens prefill FLOPs. */
  readonly activeParams: number;
  /** MLA (DeepSeek-V2/V3): one latent of kvLoraRank + ropeDim elements per layer instead of K and V heads. */
  readonly mla?: { readonly kvLoraRank: number; readonly ropeDim: number };
}

const PRESETS: readonly ModelGeometry[] = Object.freeze([
  { name: 'llama-3.1-8b', layers: 32, kvHeads: 8, headDim: 128, attentionHeads: 32, dtypeBytes: 2, activeParams: 8.03e9 },
  { name: 'llama-3.1-70b', layers: 80, kvHeads: 8, headDim: 128, attentionHeads: 64, dtypeBytes: 2, activeParams: 70.6e9 },
  { name: 'qwen2.5-7b', layers: 28, kvHeads: 4, headDim: 128, attentionHeads: 28, dtypeBytes: 2, activeParams: 7.62e9 },
  { name: 'qwen2.5-72b', layers: 80, kvHeads: 8, headDim: 128, attentionHeads: 64, dtypeBytes: 2, activeParams: 72.7e9 },
  {
    name: 'deepseek-v3',
    layers: 61,
    kvHeads: 1,
    headDim: 128,
    attentionHeads: 128,
    dtypeBytes: 2,
    activeParams: 37e9,
    mla: { kvLoraRank: 512, ropeDim: 64 },
  },
]);

/** Names of the shipped model presets. */
export function modelNames(): string[] {
  return PRESETS.map((p) => p.name);
}

/** A preset by name (case-insensitive); unknown names list the valid ones. */
export function modelPreset(name: string): ModelGeometry {
  const preset = PRESETS.find((p) => p.name === name.toLowerCase());
  if (!preset) {
    throw new KvtierError(ErrorCode.CONFIG, `unknown model "${name}"; valid models: ${modelNames().join(', ')}`);
  }
  return preset;
}

/** Checks a custom geometry and returns it frozen. */
export function customModel(geometry: ModelGeometry): ModelGeometry {
  for (const field of ['layers', 'kvHeads', 'headDim', 'attentionHeads', 'dtypeBytes'] as const) {
    const value = geometry[field];
    if (!Number.isSafeInteger(value) || value <= 0) throw invalidArgument(`model.${field}`, 'a positive integer', value);
  }
  if (!(geometry.activeParams > 0) || !Number.isFinite(geometry.activeParams)) {
    throw invalidArgument('model.activeParams', 'a positive number', geometry.activeParams);
  }
  if (geometry.mla) {
    for (const field of ['kvLoraRank', 'ropeDim'] as const) {
      const value = geometry.mla[field];
      if (!Number.isSafeInteger(value) || value < 0) throw invalidArgument(`model.mla.${field}`, 'a non-negative integer', value);
    }
  }
  return Object.freeze({ ...geometry });
}

/** A preset name or a custom geometry, checked. */
export function resolveModel(model: string | ModelGeometry): ModelGeometry {
  return typeof model === 'string' ? modelPreset(model) : customModel(model);
}

/** KV-cache bytes of one token: layers × 2 (K, V) × kvHeads × headDim × dtype, or layers × latent for MLA. */
export function bytesPerToken(model: ModelGeometry): number {
  if (model.mla) return model.layers * (model.mla.kvLoraRank + model.mla.ropeDim) * model.dtypeBytes;
  return model.layers * 2 * model.kvHeads * model.headDim * model.dtypeBytes;
}

/** KV-cache bytes of one full block of `blockTokens` tokens. */
export function blockBytes(model: ModelGeometry, blockTokens: number): number {
  if (!Number.isSafeInteger(blockTokens) || blockTokens <= 0) {
    throw invalidArgument('blockTokens', 'a positive integer', blockTokens);
  }
  return bytesPerToken(model) * blockTokens;
}
