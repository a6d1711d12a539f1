/** The engine configuration: defaults, and every validation error with its exact message. */
import { readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { resolveEngineConfig, type EngineConfig } from '../../src/engine/config.js';
import { KvCache } from '../../src/engine/engine.js';
import { rejection, removeDir, tempDir, thrown } from './support.js';

const HBM = { name: 'hbm', capacity: '4blocks' };

function config(overrides: Partial<EngineConfig>): EngineConfig {
  return { blockBytes: 4096, tiers: [HBM], ...overrides };
}

describe('resolveEngineConfig: defaults', () => {
  it('fills in the documented defaults', () => {
    const resolved = resolveEngineConfig({ tiers: [{ name: 'hbm', capacity: '64GiB' }] });
    expect(resolved.model.name).toBe('llama-3.1-8b');
    expect(resolved.blockTokens).toBe(512);
    // 32 layers × 2 × 8 KV heads × 128 × 2 bytes = 128 KiB per token.
    expect(resolved.blockBytes).toBe(512 * 128 * 1024);
    expect(resolved.tiers).toEqual([{ name: 'hbm', capacity: '64GiB', capacityBlocks: 1024 }]);
    expect(resolved.writePolicy).toBe('write-back');
    expect(resolved.promotion).toBe('exclusive');
    expect(resolved.namespace).toBe('');
    expect(resolved.seed).toBe(1);
    expect(resolved.pinTtlMs).toBe(0);
    expect(typeof resolved.onWarning).toBe('function');
  });

  it('derives the block size from the model and block tokens, unless given', () => {
    expect(resolveEngineConfig({ model: 'llama-3.1-70b', blockTokens: 16, tiers: [HBM] }).blockBytes).toBe(16 * 80 * 2 * 8 * 128 * 2);
    expect(resolveEngineConfig(config({ blockTokens: 16 })).blockBytes).toBe(4096);
    const custom = { name: 'tiny', layers: 2, kvHeads: 1, headDim: 8, attentionHeads: 2, dtypeBytes: 2, activeParams: 1e6 };
    expect(resolveEngineConfig({ model: custom, blockTokens: 4, tiers: [{ name: 'ddr', capacity: 1024 }] })).toMatchObject({
      blockBytes: 4 * 2 * 2 * 1 * 8 * 2,
      tiers: [{ capacityBlocks: 4 }],
    });
  });
});

describe('resolveEngineConfig: errors', () => {
  const cases: [string, unknown, string, string][] = [
    ['a non-object config', null, ErrorCode.INVALID_ARGUMENT, 'expected an object for `config`, got null'],
    [
      'a zero block size',
      config({ blockBytes: 0 }),
      ErrorCode.INVALID_ARGUMENT,
      'expected a positive integer up to 2 GiB for `blockBytes`, got 0',
    ],
    [
      'a block size over 2 GiB',
      config({ blockBytes: 2 ** 31 + 1 }),
      ErrorCode.INVALID_ARGUMENT,
      'expected a positive integer up to 2 GiB for `blockBytes`, got 2147483649',
    ],
    [
      'a fractional block size',
      config({ blockBytes: 4096.5 }),
      ErrorCode.INVALID_ARGUMENT,
      'expected a positive integer up to 2 GiB for `blockBytes`, got 4096.5',
    ],
    [
      'zero block tokens (with an explicit block size)',
      config({ blockTokens: 0 }),
      ErrorCode.INVALID_ARGUMENT,
      'expected a positive integer for `blockTokens`, got 0',
    ],
    [
      'fractional block tokens',
      { blockTokens: 1.5, tiers: [HBM] },
      ErrorCode.INVALID_ARGUMENT,
      'expected a positive integer for `blockTokens`, got 1.5',
    ],
    ['an unknown model', { model: 'gpt-9', tiers: [HBM] }, ErrorCode.CONFIG, /^unknown model "gpt-9"; valid models: .*llama-3\.1-8b/.source],
    [
      'no tiers',
      config({ tiers: [] }),
      ErrorCode.INVALID_ARGUMENT,
      'expected a non-empty array of tier configurations for `tiers`, got an array of 0',
    ],
    [
      'missing tiers',
      { blockBytes: 4096 },
      ErrorCode.INVALID_ARGUMENT,
      'expected a non-empty array of tier configurations for `tiers`, got undefined',
    ],
    [
      'a tier that is not an object',
      config({ tiers: [HBM, null as never] }),
      ErrorCode.INVALID_ARGUMENT,
      'expected a tier configuration with a `name` for `tiers[1]`, got null',
    ],
    [
      'a tier without a name',
      config({ tiers: [{ capacity: 4096 } as never] }),
      ErrorCode.INVALID_ARGUMENT,
      'expected a tier configuration with a `name` for `tiers[0]`, got an object (Object)',
    ],
    [
      'an unknown tier name',
      config({ tiers: [{ name: 'tape', capacity: 4096 }] }),
      ErrorCode.CONFIG,
      'unknown tier name "tape"; valid names: hbm, ddr, cxl, flash, disk',
    ],
    [
      'an unreadable capacity',
      config({ tiers: [HBM, { name: 'ddr', capacity: 'lots' }] }),
      ErrorCode.CONFIG,
      'expected a size for `tiers[1].capacity` such as 4096, "64GiB", "1.5TB" or "4000blocks", got "lots"',
    ],
    [
      'a capacity below one block',
      config({ tiers: [{ name: 'hbm', capacity: 100 }] }),
      ErrorCode.CONFIG,
      'tier 0 (hbm) holds no block: capacity 100 is below one block of 4096 bytes',
    ],
    [
      'a flash tier without a directory',
      config({ tiers: [HBM, { name: 'flash', capacity: '8blocks' }] }),
      ErrorCode.INVALID_ARGUMENT,
      'expected a directory for the flash tier for `tiers[1].dir`, got undefined',
    ],
    [
      'a disk tier (any case) with an empty directory',
      config({ tiers: [HBM, { name: 'Disk', capacity: '8blocks', dir: '' }] }),
      ErrorCode.INVALID_ARGUMENT,
      'expected a directory for the Disk tier for `tiers[1].dir`, got ""',
    ],
    [
      'two durable tiers in one directory',
      config({
        tiers: [
          { name: 'flash', capacity: '8blocks', dir: '/tmp/kvtier-shared' },
          { name: 'disk', capacity: '8blocks', dir: '/tmp/../tmp/kvtier-shared' },
        ],
      }),
      ErrorCode.CONFIG,
      'two tiers share the directory /tmp/../tmp/kvtier-shared',
    ],
    [
      'an unknown write policy',
      config({ writePolicy: 'write-around' as never }),
      ErrorCode.INVALID_ARGUMENT,
      'expected write-back or write-through for `writePolicy`, got "write-around"',
    ],
    [
      'an unknown promotion policy',
      config({ promotion: 'lazy' as never }),
      ErrorCode.INVALID_ARGUMENT,
      'expected exclusive or inclusive for `promotion`, got "lazy"',
    ],
    ['a non-string namespace', config({ namespace: 5 as never }), ErrorCode.INVALID_ARGUMENT, 'expected a string for `namespace`, got 5'],
    [
      'a negative pin TTL',
      config({ pinTtlMs: -1 }),
      ErrorCode.INVALID_ARGUMENT,
      'expected a number of milliseconds in [0, 2147483647] for `pinTtlMs`, got -1',
    ],
    [
      'a NaN pin TTL',
      config({ pinTtlMs: Number.NaN }),
      ErrorCode.INVALID_ARGUMENT,
      'expected a number of milliseconds in [0, 2147483647] for `pinTtlMs`, got NaN',
    ],
    [
      'a pin TTL beyond what a timer can wait (it would fire at once)',
      config({ pinTtlMs: 2 ** 31 }),
      ErrorCode.INVALID_ARGUMENT,
      'expected a number of milliseconds in [0, 2147483647] for `pinTtlMs`, got 2147483648',
    ],
    ['a fractional seed', config({ seed: 0.5 }), ErrorCode.INVALID_ARGUMENT, 'expected an integer for `seed`, got 0.5'],
    [
      'a warning sink that is not a function',
      config({ onWarning: 'stderr' as never }),
      ErrorCode.INVALID_ARGUMENT,
      'expected a function for `onWarning`, got "stderr"',
    ],
  ];

  it.each(cases)('rejects %s', (_, input, code, message) => {
    const pattern = message.startsWith('^') ? new RegExp(message) : message;
    thrown(() => resolveEngineConfig(input as EngineConfig), code, pattern);
  });

  it('accepts the largest pin TTL a timer can wait', () => {
    expect(resolveEngineConfig(config({ pinTtlMs: 2 ** 31 - 1 })).pinTtlMs).toBe(2 ** 31 - 1);
  });
});

describe('KvCache.open with a bad configuration', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  /** Open file descriptors of this process that point into `dir` (Linux /proc). */
  async function openFilesIn(path: string): Promise<number> {
    let count = 0;
    for (const fd of await readdir('/proc/self/fd')) {
      const target = await readlink(join('/proc/self/fd', fd)).catch(() => '');
      if (target.startsWith(path)) count++;
    }
    return count;
  }

  it('rejects an unknown policy and leaves no tier open behind', async () => {
    const tiers = [
      { name: 'hbm', capacity: '2blocks' },
      { name: 'flash', capacity: '4blocks', dir: join(dir, 'flash') },
      { name: 'disk', capacity: '4blocks', dir: join(dir, 'disk'), policy: 'mru' },
    ];
    await rejection(KvCache.open({ blockBytes: 4096, tiers }), ErrorCode.CONFIG, /^unknown eviction policy "mru"; valid policies: arc, /);
    expect(await openFilesIn(dir)).toBe(0);
    // The directories are free again: a good configuration opens them.
    tiers[2]!.policy = 'lru';
    const cache = await KvCache.open({ blockBytes: 4096, tiers });
    expect(await openFilesIn(dir)).toBeGreaterThan(0);
    await cache.close();
    expect(await openFilesIn(dir)).toBe(0);
  });

  it('rejects a tier capacity the control plane cannot index, closing the tiers', async () => {
    const tiers = [
      { name: 'flash', capacity: '4blocks', dir: join(dir, 'flash') },
      { name: 'ddr', capacity: `${2 ** 31}blocks` },
    ];
    await rejection(openWith(tiers), ErrorCode.CONFIG, 'expected a capacity of 1 to 2147483647 blocks for tier 1, got 2147483648');
    expect(await openFilesIn(dir)).toBe(0);
  });

  function openWith(tiers: EngineConfig['tiers']): Promise<KvCache> {
    return KvCache.open({ blockBytes: 4096, tiers });
  }
});
