import { describe, expect, it } from 'vitest';
import { customModel, modelPreset } from '../../src/model/geometry.js';
import { customGpu, gpuPreset } from '../../src/replay/gpu.js';
import {
  DEFAULT_DECODE_OPTIONS,
  DEFAULT_PREFILL_UTILISATION,
  decodeSeconds,
  gpuSavings,
  prefillFlops,
  prefillSeconds,
  requestTiming,
  resolveDecodeOptions,
  ttftWithCache,
} from '../../src/replay/prefill-model.js';

// A toy model and GPU small enough to compute every figure by hand.
// bytesPerToken = layers 2 × (K,V) 2 × kvHeads 2 × headDim 8 × dtype 2 = 128 bytes.
const toy = customModel({
  name: 'toy',
  layers: 2,
  kvHeads: 2,
  headDim: 8,
  attentionHeads: 4,
  dtypeBytes: 2,
  activeParams: 1000,
});
const gpu = customGpu({ name: 'toy-gpu', peakFlopsPerSec: 1e6, hbmBytesPerSec: 1e5, hbmCapacityBytes: 1e9, costPerHourUsd: 36 });

describe('prefill', () => {
  it('counts the matmul and causal attention FLOPs', () => {
    // 2·1000·10 = 20,000; attention 4·2·4·8·10·(20 + 10/2) = 2,560·25 = 64,000.
    expect(prefillFlops(toy, 10, 20)).toBe(84_000);
    // No context: 2·1000·10 + 2,560·5 = 32,800.
    expect(prefillFlops(toy, 10, 0)).toBe(32_800);
    expect(prefillFlops(toy, 0, 500)).toBe(0);
  });

  it('divides by peak × utilisation (default 0.5)', () => {
    expect(DEFAULT_PREFILL_UTILISATION).toBe(0.5);
    expect(prefillSeconds(toy, gpu, 10, 20)).toBeCloseTo(84_000 / 5e5, 12);
    expect(prefillSeconds(toy, gpu, 10, 20, 1)).toBeCloseTo(0.084, 12);
    expect(prefillSeconds(toy, gpu, 10, 20, 0.25)).toBeCloseTo(0.336, 12);
  });

  it('gives the textbook figure for Llama-3.1-8B on an H100', () => {
    // 2·8.03e9·1000 = 1.606e13; attention 4·32·32·128·1000·500 = 2.62144e11; at 0.5 × 989e12.
    const seconds = prefillSeconds(modelPreset('llama-3.1-8b'), gpuPreset('h100-sxm'), 1000, 0);
    expect(seconds).toBeCloseTo((1.606e13 + 2.62144e11) / 494.5e12, 12);
    expect(seconds).toBeGreaterThan(0.033);
    expect(seconds).toBeLessThan(0.0331);
  });

  it('rejects negative or non-finite token counts', () => {
    expect(() => prefillFlops(toy, -1, 0)).toThrow('expected a non-negative finite number for `newTokens`, got -1');
    expect(() => prefillFlops(toy, 1, Number.NaN)).toThrow('`cachedTokens`');
    expect(() => prefillSeconds(toy, gpu, 1, 0, 0)).toThrow('expected a number in (0, 1] for `utilisation`, got 0');
    expect(() => prefillSeconds(toy, gpu, 1, 0, 1.2)).toThrow('`utilisation`');
  });
});

describe('decode', () => {
  it('reads weights and the growing KV cache once per step', () => {
    // 3 steps after 10 tokens: weights 3·1000·2 = 6,000 B; KV 128·(3·10 + 3·2/2) = 4,224 B;
    // 10,224 B at 0.8 × 1e5 B/s = 0.1278 s.
    expect(decodeSeconds(toy, gpu, 3, 10)).toBeCloseTo(0.1278, 12);
    expect(decodeSeconds(toy, gpu, 0, 10)).toBe(0);
    // The first step after an empty context reads only the weights: 2,000 B at 8e4 B/s.
    expect(decodeSeconds(toy, gpu, 1, 0)).toBeCloseTo(0.025, 12);
  });

  it('shares weight reads across a batch and honours the weight precision', () => {
    // Batch 4: weights 6,000 / 4 = 1,500 B + KV 4,224 B = 5,724 B at 8e4 B/s.
    const batched = resolveDecodeOptions({ batchSize: 4 });
    expect(decodeSeconds(toy, gpu, 3, 10, batched)).toBeCloseTo(5724 / 8e4, 12);
    // FP8 weights, full bandwidth: 3·1000·1 + 4,224 = 7,224 B at 1e5 B/s.
    const fp8 = resolveDecodeOptions({ weightBytesPerParam: 1, bandwidthUtilisation: 1 });
    expect(decodeSeconds(toy, gpu, 3, 10, fp8)).toBeCloseTo(0.07224, 12);
  });
});

describe('time to first token', () => {
  it('overlaps loads and prefill layer by layer', () => {
    // max(0.3, 0.1) + min(0.3, 0.1) / 2 layers.
    expect(ttftWithCache(0.3, 0.1, 2)).toBeCloseTo(0.35, 12);
    expect(ttftWithCache(0.1, 0.3, 4)).toBeCloseTo(0.325, 12);
    expect(ttftWithCache(0, 0.2, 80)).toBe(0.2);
    expect(ttftWithCache(0.2, 0, 80)).toBe(0.2);
  });

  it('times a partial hit against a full prefill', () => {
    // 30 tokens, 20 hit, 0.05 s to load. With cache: prefill 10 after 20 = 84,000 FLOPs = 0.168 s;
    // TTFT = 0.168 + 0.05 / 2 = 0.193. Without: 2·1000·30 + 2,560·3·15 = 175,200 FLOPs = 0.3504 s.
    const timing = requestTiming(toy, gpu, 30, 20, 0.05);
    expect(timing.prefillSecWithCache).toBeCloseTo(0.168, 12);
    expect(timing.ttftWithCacheSec).toBeCloseTo(0.193, 12);
    expect(timing.prefillSecWithoutCache).toBeCloseTo(0.3504, 12);
    expect(timing.ttftWithoutCacheSec).toBe(timing.prefillSecWithoutCache);
  });

  it('recomputes the last token of a full hit, and reuses the output object', () => {
    // 30 of 30 hit: prefill 1 token after 29: 2·1000 + 4·2·4·8·1·(29 + 0.5) = 2,000 + 7,552 = 9,552 FLOPs.
    const out = { prefillSecWithCache: -1, prefillSecWithoutCache: -1, ttftWithCacheSec: -1, ttftWithoutCacheSec: -1 };
    const timing = requestTiming(toy, gpu, 30, 30, 0.5, DEFAULT_PREFILL_UTILISATION, out);
    expect(timing).toBe(out);
    expect(out.prefillSecWithCache).toBeCloseTo(9552 / 5e5, 12);
    expect(out.ttftWithCacheSec).toBeCloseTo(0.5 + 9552 / 5e5 / 2, 12);
  });

  it('rejects more hits than input tokens', () => {
    expect(() => requestTiming(toy, gpu, 10, 11, 0)).toThrow(
      'expected a number in [0, inputTokens = 10] for `hitTokens`, got 11',
    );
  });
});

describe('GPU savings', () => {
  it('prices the prefill seconds saved at the hourly cost', () => {
    // 100 s saved at $36/h = $1.
    expect(gpuSavings(gpu, 20, 120)).toEqual({
      prefillSecWithCache: 20,
      prefillSecWithoutCache: 120,
      secSaved: 100,
      costSavedUsd: 1,
    });
  });
});

describe('decode options', () => {
  it('default and validate every knob', () => {
    expect(resolveDecodeOptions()).toEqual(DEFAULT_DECODE_OPTIONS);
    expect(DEFAULT_DECODE_OPTIONS).toEqual({ bandwidthUtilisation: 0.8, weightBytesPerParam: 2, batchSize: 1 });
    expect(() => resolveDecodeOptions({ bandwidthUtilisation: 0 })).toThrow(
      'expected a number in (0, 1] for `bandwidthUtilisation`, got 0',
    );
    expect(() => resolveDecodeOptions({ bandwidthUtilisation: 1.5 })).toThrow('`bandwidthUtilisation`');
    expect(() => resolveDecodeOptions({ weightBytesPerParam: -2 })).toThrow('`weightBytesPerParam`');
    expect(() => resolveDecodeOptions({ batchSize: 1.5 })).toThrow('expected a positive integer for `batchSize`, got 1.5');
  });
});
