import { describe, expect, it } from 'vitest';
import { ErrorCode, KvtierError } from '../../src/errors.js';
import { customGpu, gpuNames, gpuPreset, resolveGpu } from '../../src/replay/gpu.js';

describe('GPU presets', () => {
  it('ship the common datacenter GPUs with their dense BF16 peaks', () => {
    expect(gpuNames()).toEqual(expect.arrayContaining(['h100-sxm', 'h200', 'b200', 'a100-80gb']));
    expect(gpuPreset('h100-sxm')).toMatchObject({ peakFlopsPerSec: 989e12, hbmBytesPerSec: 3.35e12, hbmCapacityBytes: 80e9 });
    expect(gpuPreset('h200')).toMatchObject({ peakFlopsPerSec: 989e12, hbmBytesPerSec: 4.8e12, hbmCapacityBytes: 141e9 });
    expect(gpuPreset('b200')).toMatchObject({ peakFlopsPerSec: 2.25e15, hbmBytesPerSec: 8e12 });
    expect(gpuPreset('a100-80gb')).toMatchObject({ peakFlopsPerSec: 312e12, hbmBytesPerSec: 2.039e12 });
  });

  it('say the hourly cost is an assumption to override', () => {
    for (const name of gpuNames()) {
      const gpu = gpuPreset(name);
      expect(gpu.costPerHourUsd).toBeGreaterThan(0);
      expect(gpu.source).toMatch(/assumed/);
      expect(gpu.source).toMatch(/override/);
      expect(Object.isFrozen(gpu)).toBe(true);
    }
  });

  it('look names up case-insensitively, with short aliases', () => {
    expect(gpuPreset('H100-SXM').name).toBe('h100-sxm');
    expect(gpuPreset('H100').name).toBe('h100-sxm');
    expect(gpuPreset('a100').name).toBe('a100-80gb');
    expect(resolveGpu('B200').name).toBe('b200');
  });

  it('reject an unknown name with ERR_CONFIG listing the valid ones', () => {
    expect(() => gpuPreset('rtx-4090')).toThrow(
      new KvtierError(ErrorCode.CONFIG, 'unknown GPU "rtx-4090"; valid GPUs: a100-80gb, h100-sxm, h200, b200, mi300x'),
    );
    expect(() => gpuPreset('rtx-4090')).toThrow(expect.objectContaining({ code: ErrorCode.CONFIG }));
  });
});

describe('custom GPUs', () => {
  const base = { name: 'lab-gpu', peakFlopsPerSec: 1e15, hbmBytesPerSec: 4e12, hbmCapacityBytes: 96e9, costPerHourUsd: 2.5 };

  it('are accepted, frozen, with a default source', () => {
    const gpu = resolveGpu(base);
    expect(gpu).toEqual({ ...base, source: 'custom' });
    expect(Object.isFrozen(gpu)).toBe(true);
    expect(customGpu({ ...base, source: 'our benchmark' }).source).toBe('our benchmark');
    expect(customGpu({ ...base, costPerHourUsd: 0 }).costPerHourUsd).toBe(0);
  });

  it('are checked field by field', () => {
    expect(() => customGpu({ ...base, peakFlopsPerSec: -1 })).toThrow(
      'expected a positive finite number for `gpu.peakFlopsPerSec`, got -1',
    );
    expect(() => customGpu({ ...base, hbmBytesPerSec: Infinity })).toThrow(
      'expected a positive finite number for `gpu.hbmBytesPerSec`, got Infinity',
    );
    expect(() => customGpu({ ...base, hbmCapacityBytes: Number.NaN })).toThrow('`gpu.hbmCapacityBytes`');
    expect(() => customGpu({ ...base, costPerHourUsd: -0.5 })).toThrow(
      'expected a non-negative finite number for `gpu.costPerHourUsd`, got -0.5',
    );
    expect(() => customGpu({ ...base, name: '' })).toThrow('expected a non-empty string for `gpu.name`, got ""');
    expect(() => customGpu({ ...base, peakFlopsPerSec: 0 })).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
  });
});
