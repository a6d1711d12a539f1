/** The tier registry: names, defaults, devices and configuration errors. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { devicePreset } from '../../src/hardware/presets.js';
import { FileTier } from '../../src/tiers/file-tier.js';
import { LmdbTier } from '../../src/tiers/lmdb-tier.js';
import { ArenaTier } from '../../src/tiers/memory-tier.js';
import { TIER_NAMES, canonicalTierName, createTier } from '../../src/tiers/registry.js';
import type { Tier } from '../../src/tiers/tier.js';
import { removeDir, tempDir } from './fixtures.js';

describe('tier registry', () => {
  let dir: string;
  const opened: Tier[] = [];

  beforeEach(async () => {
    dir = await tempDir();
  });

  afterEach(async () => {
    for (const tier of opened.splice(0)) await tier.close();
    await removeDir(dir);
  });

  async function create(spec: Parameters<typeof createTier>[0]): Promise<Tier> {
    const tier = await createTier(spec);
    opened.push(tier);
    return tier;
  }

  it('knows hbm, ddr, cxl, flash and disk', () => {
    expect(TIER_NAMES).toEqual(['hbm', 'ddr', 'cxl', 'flash', 'disk']);
  });

  it('builds each tier from its name, case-insensitively, with its default device', async () => {
    const hbm = await create({ name: 'HBM', capacityBlocks: 2, blockBytes: 64 });
    const cxl = await create({ name: ' Cxl ', capacityBlocks: 2, blockBytes: 64 });
    const flash = await create({ name: 'Flash', capacityBlocks: 2, blockBytes: 64, dir: `${dir}/flash` });
    const disk = await create({ name: 'DISK', capacityBlocks: 2, blockBytes: 64, dir: `${dir}/disk`, durability: 'synced' });
    expect(hbm).toBeInstanceOf(ArenaTier);
    expect([hbm.name, cxl.name, flash.name, disk.name]).toEqual(['hbm', 'cxl', 'flash', 'disk']);
    expect(cxl.kind).toBe('memory');
    expect(cxl.device).toBe(devicePreset('cxl-ddr5-x8'));
    expect(flash).toBeInstanceOf(LmdbTier);
    expect(flash.device).toBe(devicePreset('nvme-gen5'));
    expect(disk).toBeInstanceOf(FileTier);
    expect((disk as FileTier).durability).toBe('synced');
    expect(disk.device).toBe(devicePreset('hdd-7200'));
  });

  it('takes a device by preset name or as a custom model', async () => {
    const ddr = await create({ name: 'ddr', capacityBlocks: 1, blockBytes: 64, device: 'H200-HBM3E' });
    expect(ddr.device).toBe(devicePreset('h200-hbm3e'));
    const custom = { name: 'lab-ssd', readBytesPerSec: 1e9, writeBytesPerSec: 5e8, latencySec: 1e-4, capacityBytes: 1e12, source: 'lab' };
    const flash = await create({ name: 'flash', capacityBlocks: 1, blockBytes: 64, dir, device: custom });
    expect(flash.device).toEqual(custom);
    await expect(create({ name: 'ddr', capacityBlocks: 1, blockBytes: 64, device: { ...custom, readBytesPerSec: -1 } })).rejects.toThrow(
      /expected a positive finite number for `device.readBytesPerSec`, got -1/,
    );
  });

  it('rejects unknown names listing the valid ones', async () => {
    await expect(createTier({ name: 'tape', capacityBlocks: 1, blockBytes: 64 })).rejects.toMatchObject({
      code: ErrorCode.CONFIG,
      message: 'unknown tier name "tape"; valid names: hbm, ddr, cxl, flash, disk',
    });
    expect(() => canonicalTierName(42)).toThrow(/unknown tier name 42/);
    expect(canonicalTierName('DDR')).toBe('ddr');
  });

  it('requires a directory for durable tiers and valid geometry for all', async () => {
    await expect(createTier({ name: 'flash', capacityBlocks: 1, blockBytes: 64 })).rejects.toMatchObject({
      code: ErrorCode.CONFIG,
      message: 'expected a directory path for the flash tier for `dir`, got undefined',
    });
    await expect(createTier({ name: 'disk', capacityBlocks: 1, blockBytes: 64, dir: '' })).rejects.toMatchObject({
      code: ErrorCode.CONFIG,
    });
    await expect(createTier({ name: 'hbm', capacityBlocks: -3, blockBytes: 64 })).rejects.toMatchObject({
      code: ErrorCode.CONFIG,
      message: 'expected a positive integer for `capacityBlocks`, got -3',
    });
    await expect(createTier({ name: 'disk', capacityBlocks: 1, blockBytes: 2 ** 33, dir })).rejects.toMatchObject({
      code: ErrorCode.CONFIG,
    });
  });
});
