/** Hardware presets: datasheet figures, lookup, defaults per tier, and validation of custom models. */
import { describe, expect, it } from 'vitest';
import { ErrorCode, KvtierError } from '../../src/errors.js';
import { transferSeconds } from '../../src/hardware/device.js';
import {
  DEFAULT_TIER_HARDWARE,
  DEVICE_PRESETS,
  LINK_PRESETS,
  customDevice,
  customLink,
  defaultDeviceFor,
  defaultLinkFor,
  defaultTierHardware,
  devicePreset,
  linkPreset,
  resolveDevice,
  resolveLink,
} from '../../src/hardware/presets.js';

describe('hardware presets', () => {
  it('carry the datasheet figures they cite', () => {
    expect(devicePreset('h100-hbm3')).toMatchObject({ capacityBytes: 80e9, readBytesPerSec: 3.35e12 });
    expect(devicePreset('h200-hbm3e')).toMatchObject({ capacityBytes: 141e9, readBytesPerSec: 4.8e12 });
    expect(devicePreset('b200-hbm3e')).toMatchObject({ capacityBytes: 192e9, readBytesPerSec: 8e12 });
    expect(devicePreset('ddr5-4800-8ch').readBytesPerSec).toBeCloseTo(4800e6 * 8 * 8);
    expect(linkPreset('pcie5-x16').bytesPerSec).toBeCloseTo(63.0e9, -8);
    expect(linkPreset('pcie4-x16').bytesPerSec).toBeCloseTo(31.5e9, -8);
    expect(linkPreset('cxl-x8').bytesPerSec).toBeCloseTo(31.5e9, -8);
    expect(linkPreset('nvme-gen5-x4').bytesPerSec).toBeCloseTo(15.75e9, -8);
    expect(linkPreset('sata-6g').bytesPerSec).toBe(600e6);
  });

  it('are complete, positive, ordered by speed, and cite a source', () => {
    for (const device of Object.values(DEVICE_PRESETS)) {
      expect(customDevice(device)).toEqual(device); // every preset passes its own validation
      expect(device.source.length).toBeGreaterThan(20);
      expect(Object.isFrozen(device)).toBe(true);
    }
    for (const link of Object.values(LINK_PRESETS)) expect(customLink(link)).toEqual(link);
    const chain = ['hbm', 'ddr', 'cxl', 'flash', 'disk'].map((tier) => defaultDeviceFor(tier));
    for (let i = 1; i < chain.length; i++) {
      expect(chain[i]!.readBytesPerSec).toBeLessThan(chain[i - 1]!.readBytesPerSec);
    }
    // A 1 MiB block: microseconds from HBM, milliseconds from a disk (seek included).
    expect(transferSeconds(2 ** 20, defaultDeviceFor('hbm').readBytesPerSec, defaultDeviceFor('hbm').latencySec)).toBeLessThan(1e-5);
    expect(transferSeconds(2 ** 20, defaultDeviceFor('disk').readBytesPerSec, defaultDeviceFor('disk').latencySec)).toBeGreaterThan(1e-2);
  });

  it('look names up case-insensitively', () => {
    expect(devicePreset('H100-HBM3')).toBe(DEVICE_PRESETS['h100-hbm3']);
    expect(linkPreset(' NVLink-C2C ')).toBe(LINK_PRESETS['nvlink-c2c']);
    expect(resolveDevice('NVME-GEN5')).toBe(DEVICE_PRESETS['nvme-gen5']);
    expect(resolveLink('SATA-6G')).toBe(LINK_PRESETS['sata-6g']);
  });

  it('reject unknown names with ERR_CONFIG listing the valid ones', () => {
    const error = (() => {
      try {
        devicePreset('a100');
      } catch (e) {
        return e;
      }
    })() as KvtierError;
    expect(error).toBeInstanceOf(KvtierError);
    expect(error.code).toBe(ErrorCode.CONFIG);
    expect(error.message).toBe(
      'unknown device preset "a100"; valid names: h100-hbm3, h200-hbm3e, b200-hbm3e, ddr5-4800-8ch, cxl-ddr5-x8, nvme-gen5, hdd-7200',
    );
    expect(() => linkPreset('pcie7')).toThrow(/unknown link preset "pcie7"; valid names: pcie5-x16, pcie4-x16, cxl-x8/);
    expect(() => defaultTierHardware('tape')).toThrow(/unknown tier name "tape"; valid names: hbm, ddr, cxl, flash, disk/);
  });

  it('give every tier a device and the link above it', () => {
    expect(defaultTierHardware('hbm')).toEqual({ device: devicePreset('h100-hbm3'), link: null });
    expect(defaultTierHardware('DDR')).toEqual({ device: devicePreset('ddr5-4800-8ch'), link: linkPreset('pcie5-x16') });
    expect(DEFAULT_TIER_HARDWARE['cxl']!.link).toBe(linkPreset('cxl-x8'));
    expect(defaultLinkFor('flash')).toBe(linkPreset('nvme-gen5-x4'));
    expect(defaultLinkFor('disk')).toBe(linkPreset('sata-6g'));
    expect(defaultLinkFor('hbm')).toBe(linkPreset('pcie5-x16'));
  });

  it('validate custom models: positive finite bandwidths and capacity, non-negative latency', () => {
    const base = { name: 'x', readBytesPerSec: 1, writeBytesPerSec: 1, latencySec: 0, capacityBytes: 1, source: 's' };
    expect(customDevice(base)).toEqual(base);
    expect(Object.isFrozen(customDevice(base))).toBe(true);
    const cases: [Partial<typeof base> & Record<string, unknown>, RegExp][] = [
      [{ readBytesPerSec: 0 }, /positive finite number for `device.readBytesPerSec`, got 0/],
      [{ writeBytesPerSec: Number.POSITIVE_INFINITY }, /`device.writeBytesPerSec`, got Infinity/],
      [{ capacityBytes: Number.NaN }, /`device.capacityBytes`, got NaN/],
      [{ latencySec: -1 }, /non-negative finite number for `device.latencySec`, got -1/],
      [{ readBytesPerSec: '5' as unknown as number }, /`device.readBytesPerSec`, got "5"/],
      [{ name: '' }, /non-empty string for `device.name`/],
    ];
    for (const [patch, message] of cases) {
      expect(() => customDevice({ ...base, ...patch } as never)).toThrow(message);
      try {
        customDevice({ ...base, ...patch } as never);
      } catch (e) {
        expect((e as KvtierError).code).toBe(ErrorCode.CONFIG);
      }
    }
    expect(() => customDevice(null as never)).toThrow(/expected an object for `device`, got null/);
    expect(customDevice({ ...base, source: undefined } as never).source).toBe('custom');
    expect(() => customLink({ name: 'l', bytesPerSec: -5, latencySec: 0, source: 's' })).toThrow(/`link.bytesPerSec`, got -5/);
  });
});
