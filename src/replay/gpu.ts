/** GPU presets for the replay's compute model: peak FLOP/s, HBM bandwidth and capacity, and an assumed hourly price. */
import { ErrorCode, KvtierError, invalidArgument } from '../errors.js';

/** What the prefill/decode model needs to know about one GPU. SI units throughout. */
export interface GpuModel {
  /** Preset or custom name, e.g. "h100-sxm". */
  readonly name: string;
  /** Dense (no sparsity) BF16 tensor-core peak, FLOP/s. */
  readonly peakFlopsPerSec: number;
  /** HBM bandwidth, bytes/s. */
  readonly hbmBytesPerSec: number;
  /** HBM capacity, bytes (datasheet GB taken as 10^9 bytes). */
  readonly hbmCapacityBytes: number;
  /** Price of one GPU-hour, USD. For presets this is an assumption: override it with your own price. */
  readonly costPerHourUsd: number;
  /** Where the figures come from, for the reports. */
  readonly source: string;
}

const COST_NOTE =
  'cost per GPU-hour is an assumed round on-demand cloud price, not a quote: override it with your own (custom GPU)';

const PRESETS: readonly GpuModel[] = Object.freeze(
  [
    {
      name: 'a100-80gb',
      peakFlopsPerSec: 312e12,
      hbmBytesPerSec: 2.039e12,
      hbmCapacityBytes: 80e9,
      costPerHourUsd: 2.0,
      source: `NVIDIA A100 datasheet (SXM4 80GB: BF16 312 TFLOPS dense, HBM2e 2,039 GB/s); ${COST_NOTE}`,
    },
    {
      name: 'h100-sxm',
      peakFlopsPerSec: 989e12,
      hbmBytesPerSec: 3.35e12,
      hbmCapacityBytes: 80e9,
      costPerHourUsd: 3.0,
      source: `NVIDIA H100 datasheet (SXM5: BF16 1,979 TFLOPS with sparsity = 989 dense, HBM3 3.35 TB/s); ${COST_NOTE}`,
    },
    {
      name: 'h200',
      peakFlopsPerSec: 989e12,
      hbmBytesPerSec: 4.8e12,
      hbmCapacityBytes: 141e9,
      costPerHourUsd: 3.5,
      source: `NVIDIA H200 datasheet (SXM: BF16 1,979 TFLOPS with sparsity = 989 dense, HBM3e 4.8 TB/s, 141 GB); ${COST_NOTE}`,
    },
    {
      name: 'b200',
      peakFlopsPerSec: 2.25e15,
      hbmBytesPerSec: 8e12,
      hbmCapacityBytes: 180e9,
      costPerHourUsd: 5.0,
      source: `NVIDIA HGX B200 datasheet per GPU (BF16 36 PFLOPS with sparsity per 8 GPUs = 2.25 PFLOPS dense, HBM3e 8 TB/s, 180 GB); ${COST_NOTE}`,
    },
    {
      name: 'mi300x',
      peakFlopsPerSec: 1307.4e12,
      hbmBytesPerSec: 5.3e12,
      hbmCapacityBytes: 192e9,
      costPerHourUsd: 3.0,
      source: `AMD Instinct MI300X datasheet (BF16 1,307.4 TFLOPS dense, HBM3 5.3 TB/s, 192 GB); ${COST_NOTE}`,
    },
  ].map((p) => Object.freeze(p)),
);

/** Short names people type, mapped to the preset they mean. */
const ALIASES: Readonly<Record<string, string>> = Object.freeze({ h100: 'h100-sxm', a100: 'a100-80gb' });

/** Names of the shipped GPU presets (aliases "h100" and "a100" are accepted too). */
export function gpuNames(): string[] {
  return PRESETS.map((p) => p.name);
}

/** A preset by name or alias (case-insensitive); unknown names list the valid ones. */
export function gpuPreset(name: string): GpuModel {
  const lower = name.toLowerCase();
  const wanted = ALIASES[lower] ?? lower;
  const preset = PRESETS.find((p) => p.name === wanted);
  if (!preset) {
    throw new KvtierError(ErrorCode.CONFIG, `unknown GPU "${name}"; valid GPUs: ${gpuNames().join(', ')}`);
  }
  return preset;
}

/** A user-supplied GPU: every figure of {@link GpuModel}; `source` may be left out. */
export type CustomGpu = Omit<GpuModel, 'source'> & { readonly source?: string };

/** Checks a custom GPU and returns it frozen; `source` defaults to "custom". */
export function customGpu(gpu: CustomGpu): GpuModel {
  if (typeof gpu.name !== 'string' || gpu.name.length === 0) throw invalidArgument('gpu.name', 'a non-empty string', gpu.name);
  for (const field of ['peakFlopsPerSec', 'hbmBytesPerSec', 'hbmCapacityBytes'] as const) {
    const value = gpu[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw invalidArgument(`gpu.${field}`, 'a positive finite number', value);
    }
  }
  const cost = gpu.costPerHourUsd;
  if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0) {
    throw invalidArgument('gpu.costPerHourUsd', 'a non-negative finite number', cost);
  }
  return Object.freeze({ ...gpu, source: typeof gpu.source === 'string' && gpu.source ? gpu.source : 'custom' });
}

/** A preset name or a custom GPU, checked. */
export function resolveGpu(gpu: string | CustomGpu): GpuModel {
  return typeof gpu === 'string' ? gpuPreset(gpu) : customGpu(gpu);
}
