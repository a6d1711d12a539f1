/** The hardware model: what a tier's device and the links between tiers can do, in SI units. */

/** A storage device behind one tier. Bandwidths in bytes per second, latency in seconds. */
export interface DeviceModel {
  /** Preset or custom name, e.g. "h100-hbm3". */
  readonly name: string;
  /** Sustained read bandwidth, bytes/s. */
  readonly readBytesPerSec: number;
  /** Sustained write bandwidth, bytes/s. */
  readonly writeBytesPerSec: number;
  /** Latency of one access, seconds (added once per transfer). */
  readonly latencySec: number;
  /** Default capacity of the device, bytes (a tier may use less). */
  readonly capacityBytes: number;
  /** Where the figures come from (datasheet), for the reports. */
  readonly source: string;
}

/** A link between two adjacent tiers (PCIe, CXL, NVMe). */
export interface LinkModel {
  readonly name: string;
  /** Bandwidth per direction, bytes/s. */
  readonly bytesPerSec: number;
  /** Latency of one transfer, seconds. */
  readonly latencySec: number;
  readonly source: string;
}

/** Modelled seconds to move `bytes` through a device or link at `bytesPerSec` after `latencySec`. */
export function transferSeconds(bytes: number, bytesPerSec: number, latencySec: number): number {
  return latencySec + bytes / bytesPerSec;
}
