/** Device and link presets with public datasheet figures, lookup by name, and custom-model validation. */
import { ErrorCode, KvtierError, describeValue, invalidConfig } from '../errors.js';
import type { DeviceModel, LinkModel } from './device.js';

const GB = 1e9;
const TB = 1e12;
const MB = 1e6;
const NS = 1e-9;
const US = 1e-6;
const MS = 1e-3;

/** PCIe payload bandwidth per direction: `gtPerSec` GT/s per lane × `lanes`, 128b/130b encoding (Gen3+). */
function pcieBytesPerSec(gtPerSec: number, lanes: number): number {
  return (gtPerSec * 1e9 * lanes * (128 / 130)) / 8;
}

/**
 * Device presets. Bandwidths are the vendors' peak (sequential) figures; latencies are typical
 * single-access figures from vendor datasheets or published microbenchmarks, as noted in `source`.
 */
export const DEVICE_PRESETS: Readonly<Record<string, DeviceModel>> = Object.freeze({
  'h100-hbm3': Object.freeze({
    name: 'h100-hbm3',
    readBytesPerSec: 3.35 * TB,
    writeBytesPerSec: 3.35 * TB,
    latencySec: 600 * NS,
    capacityBytes: 80 * GB,
    source: 'NVIDIA H100 SXM5 datasheet: 80 GB HBM3, 3.35 TB/s; ~600 ns load latency (published GPU memory microbenchmarks)',
  }),
  'h200-hbm3e': Object.freeze({
    name: 'h200-hbm3e',
    readBytesPerSec: 4.8 * TB,
    writeBytesPerSec: 4.8 * TB,
    latencySec: 600 * NS,
    capacityBytes: 141 * GB,
    source: 'NVIDIA H200 SXM datasheet: 141 GB HBM3e, 4.8 TB/s; latency taken as H100 HBM3',
  }),
  'b200-hbm3e': Object.freeze({
    name: 'b200-hbm3e',
    readBytesPerSec: 8 * TB,
    writeBytesPerSec: 8 * TB,
    latencySec: 600 * NS,
    capacityBytes: 192 * GB,
    source: 'NVIDIA Blackwell B200 announcement (GTC 2024): 192 GB HBM3e, 8 TB/s; latency taken as H100 HBM3',
  }),
  'ddr5-4800-8ch': Object.freeze({
    name: 'ddr5-4800-8ch',
    readBytesPerSec: 307.2 * GB,
    writeBytesPerSec: 307.2 * GB,
    latencySec: 100 * NS,
    capacityBytes: 512 * GB,
    source: 'JEDEC DDR5-4800: 4800 MT/s × 8 B × 8 channels = 307.2 GB/s per socket; 8 × 64 GB RDIMM; ~100 ns load-to-use',
  }),
  'cxl-ddr5-x8': Object.freeze({
    name: 'cxl-ddr5-x8',
    readBytesPerSec: 36 * GB,
    writeBytesPerSec: 36 * GB,
    latencySec: 250 * NS,
    capacityBytes: 256 * GB,
    source: 'Micron CZ120 CXL 2.0 Type-3 memory expander (PCIe Gen5 x8, DDR5): 256 GB, up to 36 GB/s; ~250 ns load latency',
  }),
  'nvme-gen5': Object.freeze({
    name: 'nvme-gen5',
    readBytesPerSec: 13 * GB,
    writeBytesPerSec: 6.6 * GB,
    latencySec: 80 * US,
    capacityBytes: 15.36 * TB,
    source: 'Samsung PM1743 PCIe Gen5 x4 enterprise SSD datasheet: 15.36 TB, 13,000 MB/s read, 6,600 MB/s write; ~80 µs read latency',
  }),
  'hdd-7200': Object.freeze({
    name: 'hdd-7200',
    readBytesPerSec: 285 * MB,
    writeBytesPerSec: 285 * MB,
    latencySec: 12.7 * MS,
    capacityBytes: 20 * TB,
    source: 'Seagate Exos X20 7200 rpm datasheet: 20 TB, 285 MB/s sustained; 4.16 ms average rotational latency + ~8.5 ms average seek',
  }),
});

/** Link presets: bandwidth per direction after line encoding; latency of one transfer on the wire. */
export const LINK_PRESETS: Readonly<Record<string, LinkModel>> = Object.freeze({
  'pcie5-x16': Object.freeze({
    name: 'pcie5-x16',
    bytesPerSec: pcieBytesPerSec(32, 16),
    latencySec: 1 * US,
    source: 'PCIe 5.0: 32 GT/s × 16 lanes, 128b/130b = 63 GB/s per direction; ~1 µs DMA round trip',
  }),
  'pcie4-x16': Object.freeze({
    name: 'pcie4-x16',
    bytesPerSec: pcieBytesPerSec(16, 16),
    latencySec: 1 * US,
    source: 'PCIe 4.0: 16 GT/s × 16 lanes, 128b/130b = 31.5 GB/s per direction; ~1 µs DMA round trip',
  }),
  'cxl-x8': Object.freeze({
    name: 'cxl-x8',
    bytesPerSec: pcieBytesPerSec(32, 8),
    latencySec: 100 * NS,
    source: 'CXL 2.0 over PCIe 5.0 PHY: 32 GT/s × 8 lanes = 31.5 GB/s per direction; ~100 ns added by the link',
  }),
  'nvme-gen5-x4': Object.freeze({
    name: 'nvme-gen5-x4',
    bytesPerSec: pcieBytesPerSec(32, 4),
    latencySec: 1 * US,
    source: 'NVMe over PCIe 5.0: 32 GT/s × 4 lanes, 128b/130b = 15.75 GB/s per direction',
  }),
  'sata-6g': Object.freeze({
    name: 'sata-6g',
    bytesPerSec: (6e9 * (8 / 10)) / 8,
    latencySec: 2 * US,
    source: 'SATA III: 6 Gb/s line rate, 8b/10b encoding = 600 MB/s',
  }),
  'nvlink-c2c': Object.freeze({
    name: 'nvlink-c2c',
    bytesPerSec: 450 * GB,
    latencySec: 500 * NS,
    source: 'NVIDIA Grace Hopper NVLink-C2C: 900 GB/s bidirectional = 450 GB/s per direction',
  }),
});

/** The hardware of one tier: its device and the link that connects it to the tier above (null for the top tier). */
export interface TierHardware {
  readonly device: DeviceModel;
  readonly link: LinkModel | null;
}

/** Default hardware per tier name: the layout of a typical H100 serving node. */
export const DEFAULT_TIER_HARDWARE: Readonly<Record<string, TierHardware>> = Object.freeze({
  hbm: Object.freeze({ device: DEVICE_PRESETS['h100-hbm3']!, link: null }),
  ddr: Object.freeze({ device: DEVICE_PRESETS['ddr5-4800-8ch']!, link: LINK_PRESETS['pcie5-x16']! }),
  cxl: Object.freeze({ device: DEVICE_PRESETS['cxl-ddr5-x8']!, link: LINK_PRESETS['cxl-x8']! }),
  flash: Object.freeze({ device: DEVICE_PRESETS['nvme-gen5']!, link: LINK_PRESETS['nvme-gen5-x4']! }),
  disk: Object.freeze({ device: DEVICE_PRESETS['hdd-7200']!, link: LINK_PRESETS['sata-6g']! }),
});

function lookup<T>(table: Readonly<Record<string, T>>, kind: string, name: unknown): T {
  if (typeof name === 'string') {
    const found = table[name.trim().toLowerCase()];
    if (found) return found;
  }
  throw new KvtierError(
    ErrorCode.CONFIG,
    `unknown ${kind} ${describeValue(name)}; valid names: ${Object.keys(table).join(', ')}`,
    { name, valid: Object.keys(table) },
  );
}

/** A device preset by name (case-insensitive); an unknown name throws ERR_CONFIG listing the valid ones. */
export function devicePreset(name: string): DeviceModel {
  return lookup(DEVICE_PRESETS, 'device preset', name);
}

/** A link preset by name (case-insensitive); an unknown name throws ERR_CONFIG listing the valid ones. */
export function linkPreset(name: string): LinkModel {
  return lookup(LINK_PRESETS, 'link preset', name);
}

/** The default device and link of a tier name (hbm, ddr, cxl, flash, disk; case-insensitive). */
export function defaultTierHardware(tierName: string): TierHardware {
  return lookup(DEFAULT_TIER_HARDWARE, 'tier name', tierName);
}

/** The default device of a tier name (see DEFAULT_TIER_HARDWARE); unknown names throw ERR_CONFIG. */
export function defaultDeviceFor(tierName: string): DeviceModel {
  return defaultTierHardware(tierName).device;
}

/**
 * The default link between a tier and the tier above it. `hbm` is normally the top tier and has
 * none; placed lower, it is reached over PCIe Gen5 x16. Unknown names throw ERR_CONFIG.
 */
export function defaultLinkFor(tierName: string): LinkModel {
  return defaultTierHardware(tierName).link ?? LINK_PRESETS['pcie5-x16']!;
}

function positive(model: Record<string, unknown>, prefix: string, field: string): number {
  const value = model[field];
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidConfig(`${prefix}.${field}`, 'a positive finite number', value);
  }
  return value;
}

function nonNegative(model: Record<string, unknown>, prefix: string, field: string): number {
  const value = model[field];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalidConfig(`${prefix}.${field}`, 'a non-negative finite number', value);
  }
  return value;
}

function text(model: Record<string, unknown>, prefix: string, field: string, fallback?: string): string {
  const value = model[field] ?? fallback;
  if (typeof value !== 'string' || value.trim() === '') throw invalidConfig(`${prefix}.${field}`, 'a non-empty string', value);
  return value;
}

function asObject(model: unknown, prefix: string): Record<string, unknown> {
  if (model === null || typeof model !== 'object' || Array.isArray(model)) throw invalidConfig(prefix, 'an object', model);
  return model as Record<string, unknown>;
}

/**
 * Validates a custom device model and returns a frozen copy. Bandwidths and capacity must be
 * positive finite numbers; latency may be zero (an idealised device) but not negative.
 * Invalid figures throw ERR_CONFIG naming the field.
 */
export function customDevice(model: DeviceModel): DeviceModel {
  const raw = asObject(model, 'device');
  return Object.freeze({
    name: text(raw, 'device', 'name'),
    readBytesPerSec: positive(raw, 'device', 'readBytesPerSec'),
    writeBytesPerSec: positive(raw, 'device', 'writeBytesPerSec'),
    latencySec: nonNegative(raw, 'device', 'latencySec'),
    capacityBytes: positive(raw, 'device', 'capacityBytes'),
    source: text(raw, 'device', 'source', 'custom'),
  });
}

/** Validates a custom link model and returns a frozen copy (same rules as `customDevice`). */
export function customLink(model: LinkModel): LinkModel {
  const raw = asObject(model, 'link');
  return Object.freeze({
    name: text(raw, 'link', 'name'),
    bytesPerSec: positive(raw, 'link', 'bytesPerSec'),
    latencySec: nonNegative(raw, 'link', 'latencySec'),
    source: text(raw, 'link', 'source', 'custom'),
  });
}

/** A device given as a preset name or a custom model. */
export function resolveDevice(spec: string | DeviceModel): DeviceModel {
  return typeof spec === 'string' ? devicePreset(spec) : customDevice(spec);
}

/** A link given as a preset name or a custom model. */
export function resolveLink(spec: string | LinkModel): LinkModel {
  return typeof spec === 'string' ? linkPreset(spec) : customLink(spec);
}
