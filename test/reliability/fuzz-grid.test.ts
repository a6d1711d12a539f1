/**
 * Bad sweep grids: 10,000 random grid documents through `expandGrid`. Each must either expand into
 * configurations a replay accepts, or fail with ERR_CONFIG naming the file; never another error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KvtierError } from '../../src/errors.js';
import { blockBytes, modelPreset } from '../../src/model/geometry.js';
import { isPolicyName } from '../../src/policies/registry.js';
import { gpuNames, gpuPreset } from '../../src/replay/gpu.js';
import { expandGrid, type SweepConfig } from '../../src/sweep/grid.js';

/** As the CLI does it: a model's block size at the trace's 512 tokens a block. */
const blockBytesOf = (model: string) => blockBytes(modelPreset(model), 512);

/** Largest tier the control plane accepts, in blocks. */
const MAX_BLOCKS = 0x7fffffff;

const junk = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(0, -1, 1e308, -1e308, Number.MIN_VALUE, 2 ** 53, '', ' '),
);

/** Values: mostly valid ones, some near misses, some junk, as one value or a short list (the grid is a product). */
const valueOf = (valid: unknown[], invalid: unknown[]) => {
  const one = fc.oneof(
    { weight: 20, arbitrary: fc.constantFrom(...valid) },
    { weight: 2, arbitrary: fc.constantFrom(...invalid) },
    { weight: 1, arbitrary: junk },
  );
  return fc.oneof(
    { weight: 8, arbitrary: one },
    { weight: 8, arbitrary: fc.array(one, { minLength: 1, maxLength: 2 }) },
    { weight: 1, arbitrary: fc.array(one, { maxLength: 2 }) },
    { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
  );
};

const tierFlag = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('hbm=16GiB', 'ddr=128GiB', 'flash=1TiB', 'disk=4TiB', 'cxl=64GiB', 'hbm=4blocks', 'ddr=1', 'disk=1e300TiB') },
  { weight: 1, arbitrary: fc.constantFrom('hbm', 'hbm=', '=4blocks', 'hbm=-1', 'hbm=4blocks:/tmp/x', 'hbm=NaN', 'hbm=1e309blocks') },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
);
const layout = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.array(tierFlag, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 2 }) },
  { weight: 2, arbitrary: fc.array(fc.array(tierFlag, { maxLength: 3 }), { maxLength: 2 }) },
  { weight: 2, arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.array(tierFlag, { maxLength: 3 }), junk), { maxKeys: 2 }) },
  { weight: 1, arbitrary: junk },
);

const grid = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      {
        model: valueOf(['llama-3.1-8b', 'llama-3.1-70b', 'qwen2.5-72b', 'deepseek-v3', 'LLAMA-3.1-8B'], ['no-such-model', '']),
        gpu: valueOf([...gpuNames(), 'h100', 'A100'], ['no-such-gpu', 'h100 ']),
        policy: valueOf(['lru', 'fifo', 'lfu', 's3fifo', 'arc', 'prefix-lru', 'ttl', 'LRU'], ['nope', 'opt ', 'lru,arc']),
        layout,
        capacityScale: valueOf([0.25, 0.5, 1, 2, 1e-6, 1e3], [1e6, 1e300, 0, -1, Number.POSITIVE_INFINITY, Number.NaN]),
        writePolicy: valueOf(['write-back', 'write-through'], ['write-around', 'WRITE-BACK']),
        promotion: valueOf(['exclusive', 'inclusive'], ['both', 'Exclusive']),
        seed: valueOf([1, 2, 42, 2 ** 40], [0, -1, 0.5, 1e308, 2 ** 53 + 2]),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
);

/** A configuration a replay accepts: known names, whole capacities of 1 to 2^31-1 blocks, an integer seed. */
function checkConfig(config: SweepConfig): void {
  expect(() => modelPreset(config.model)).not.toThrow();
  expect(() => gpuPreset(config.gpu)).not.toThrow();
  expect(isPolicyName(config.policy)).toBe(true);
  expect(['write-back', 'write-through']).toContain(config.writePolicy);
  expect(['exclusive', 'inclusive']).toContain(config.promotion);
  expect(Number.isSafeInteger(config.seed)).toBe(true);
  expect(config.tiers.length).toBeGreaterThan(0);
  for (const tier of config.tiers) {
    const match = /^(\d+)blocks$/.exec(tier.capacity);
    expect(match, tier.capacity).not.toBeNull();
    const blocks = Number(match![1]);
    expect(Number.isSafeInteger(blocks) && blocks >= 1 && blocks <= MAX_BLOCKS, tier.capacity).toBe(true);
  }
}

describe('sweep grids under random documents', () => {
  it('expand into valid configurations or fail with ERR_CONFIG (10,000 documents)', () => {
    let expanded = 0;
    let rejected = 0;
    fc.assert(
      fc.property(grid, (document) => {
        let configs: SweepConfig[];
        try {
          configs = expandGrid(document, 'g.yaml', blockBytesOf);
        } catch (error) {
          if (!(error instanceof KvtierError)) throw error;
          expect(error.code).toBe('ERR_CONFIG');
          expect(error.message.startsWith('g.yaml')).toBe(true);
          rejected++;
          return;
        }
        expanded++;
        expect(configs.length).toBeGreaterThan(0);
        for (const config of configs) checkConfig(config);
      }),
      { numRuns: 10_000 },
    );
    // Both outcomes were reached: the generator is not all junk.
    expect(expanded).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(1000);
  });
});
