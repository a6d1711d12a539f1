/**
 * Sweep grids: a YAML or JSON file whose keys each take one value or a list, expanded into the
 * cartesian product of replay configurations.
 *
 * ```yaml
 * model: llama-3.1-8b                 # model preset(s)
 * gpu: [h100, b200]                   # GPU preset(s)
 * policy: [lru, s3fifo, arc]          # eviction policy of every tier
 * layout:                             # tier layouts, top first (a list, or a map name → list)
 *   two-tier: [hbm=16GiB, ddr=128GiB]
 *   four-tier: [hbm=32GiB, ddr=256GiB, flash=1TiB, disk=4TiB]
 * capacityScale: [0.25, 0.5, 1, 2]    # multiplies every tier's capacity
 * writePolicy: write-back             # write-back | write-through
 * promotion: exclusive                # exclusive | inclusive
 * seed: 1
 * ```
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_TIERS, parseTierFlag } from '../cli/tier-options.js';
import { ErrorCode, KvtierError } from '../errors.js';
import { capacityInBlocks } from '../engine/capacity.js';
import { isPolicyName, policyNames } from '../policies/registry.js';
import { gpuPreset } from '../replay/gpu.js';

/** One point of the grid: everything a worker needs to run one replay (plain, serialisable). */
export interface SweepConfig {
  label: string;
  params: Record<string, string | number>;
  model: string;
  gpu: string;
  policy: string;
  /** Tier flags (`name=SIZE`) after scaling; capacities already in blocks. */
  tiers: { name: string; capacity: string; policy: string }[];
  writePolicy: 'write-back' | 'write-through';
  promotion: 'exclusive' | 'inclusive';
  seed: number;
}

const KEYS = ['model', 'gpu', 'policy', 'layout', 'capacityScale', 'writePolicy', 'promotion', 'seed'] as const;

/** Reads and expands a grid file. */
export async function loadGrid(path: string, blockBytesOf: (model: string) => number): Promise<SweepConfig[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new KvtierError(ErrorCode.CONFIG, `cannot read grid file ${path}: ${(cause as Error).message}`, { file: path });
  }
  let document: unknown;
  try {
    document = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new KvtierError(ErrorCode.CONFIG, `${path}: not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(cause as Error).message}`, {
      file: path,
    });
  }
  return expandGrid(document, path, blockBytesOf);
}

/** Expands a parsed grid document; `source` names it in errors. */
export function expandGrid(document: unknown, source: string, blockBytesOf: (model: string) => number): SweepConfig[] {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw gridError(source, null, 'expected a mapping of grid keys');
  }
  const grid = document as Record<string, unknown>;
  for (const key of Object.keys(grid)) {
    if (!(KEYS as readonly string[]).includes(key)) throw gridError(source, key, `unknown key; valid keys: ${KEYS.join(', ')}`);
  }
  const models = strings(grid, 'model', ['llama-3.1-8b'], source);
  const blockBytesByModel = new Map(models.map((model) => [model, checked(() => blockBytesOf(model), source, 'model')]));
  const gpus = strings(grid, 'gpu', ['h100'], source);
  // Checked here, so a typo fails the sweep before any worker starts rather than in every worker.
  for (const gpu of gpus) checked(() => gpuPreset(gpu), source, 'gpu');
  const policies = strings(grid, 'policy', ['lru'], source);
  for (const policy of policies) {
    if (!isPolicyName(policy)) throw gridError(source, 'policy', `unknown policy "${policy}"; valid: ${policyNames().join(', ')}`);
  }
  const layouts = layoutsOf(grid.layout, source);
  const scales = numbers(grid, 'capacityScale', [1], source);
  const writePolicies = strings(grid, 'writePolicy', ['write-back'], source) as SweepConfig['writePolicy'][];
  for (const w of writePolicies) if (w !== 'write-back' && w !== 'write-through') throw gridError(source, 'writePolicy', `unknown "${w}"`);
  const promotions = strings(grid, 'promotion', ['exclusive'], source) as SweepConfig['promotion'][];
  for (const p of promotions) if (p !== 'exclusive' && p !== 'inclusive') throw gridError(source, 'promotion', `unknown "${p}"`);
  const seeds = numbers(grid, 'seed', [1], source);
  // Seeds feed integer PRNGs (and the engine accepts only safe integers).
  if (!seeds.every((seed) => Number.isSafeInteger(seed))) throw gridError(source, 'seed', 'expected a positive whole number or a non-empty list of them');

  // Labels name only what varies across the grid, so they stay readable.
  const varying = new Set(
    Object.entries({ model: models, gpu: gpus, layout: layouts, capacityScale: scales, policy: policies, writePolicy: writePolicies, promotion: promotions, seed: seeds })
      .filter(([, values]) => values.length > 1)
      .map(([key]) => key),
  );
  const configs: SweepConfig[] = [];
  for (const model of models)
    for (const gpu of gpus)
      for (const [layoutName, layout] of layouts)
        for (const capacityScale of scales)
          for (const policy of policies)
            for (const writePolicy of writePolicies)
              for (const promotion of promotions)
                for (const seed of seeds) {
                  const blockBytes = blockBytesByModel.get(model)!;
                  const tiers = layout.map((flag) => {
                    const tier = checked(() => parseTierFlag(flag), source, `layout.${layoutName}`);
                    const tierBlocks = checked(() => capacityInBlocks(tier.capacity, blockBytes), source, `layout.${layoutName}`);
                    const blocks = Math.max(1, Math.floor(tierBlocks * capacityScale));
                    // The control plane indexes a tier's blocks with 32-bit integers.
                    if (!(blocks <= MAX_TIER_BLOCKS)) {
                      throw gridError(
                        source,
                        'capacityScale',
                        `${capacityScale} scales ${flag} (layout ${layoutName}, model ${model}) to ${blocks} blocks; a tier holds at most ${MAX_TIER_BLOCKS}`,
                      );
                    }
                    return { name: tier.name, capacity: `${blocks}blocks`, policy };
                  });
                  const params = { model, gpu, layout: layoutName, capacityScale, policy, writePolicy, promotion, seed };
                  configs.push({
                    label:
                      Object.entries(params)
                        .filter(([k]) => varying.has(k))
                        .map(([k, v]) => `${k}=${v}`)
                        .join(' ') || 'default',
                    params,
                    model,
                    gpu,
                    policy,
                    tiers,
                    writePolicy,
                    promotion,
                    seed,
                  });
                }
  return configs;
}

function layoutsOf(value: unknown, source: string): [string, string[]][] {
  if (value === undefined) return [['default', [...DEFAULT_TIERS]]];
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((layout, i) => [`layout${i + 1}`, layout])
    : value !== null && typeof value === 'object'
      ? Object.entries(value)
      : [];
  if (entries.length === 0) throw gridError(source, 'layout', 'expected a list of tier layouts or a map name → layout');
  return entries.map(([name, layout]) => {
    if (!Array.isArray(layout) || layout.length === 0 || !layout.every((t) => typeof t === 'string')) {
      throw gridError(source, `layout.${name}`, 'expected a list of tiers such as [hbm=16GiB, ddr=128GiB]');
    }
    for (const flag of layout as string[]) checked(() => parseTierFlag(flag), source, `layout.${name}`);
    return [name, layout as string[]];
  });
}

/** Most blocks one tier may hold (the control plane's limit). */
const MAX_TIER_BLOCKS = 0x7fffffff;

/** Runs a check from another module; its KvtierError is reported with the grid file and the key that holds the value. */
function checked<T>(check: () => T, source: string, key: string): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof KvtierError) throw gridError(source, key, error.message);
    throw error;
  }
}

function listOf(grid: Record<string, unknown>, key: string): unknown[] | undefined {
  const value = grid[key];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value : [value];
}

function strings(grid: Record<string, unknown>, key: string, fallback: string[], source: string): string[] {
  const values = listOf(grid, key) ?? fallback;
  if (values.length === 0 || !values.every((v) => typeof v === 'string' && v !== '')) {
    throw gridError(source, key, 'expected a string or a non-empty list of strings');
  }
  return values as string[];
}

function numbers(grid: Record<string, unknown>, key: string, fallback: number[], source: string): number[] {
  const values = listOf(grid, key) ?? fallback;
  if (values.length === 0 || !values.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0)) {
    throw gridError(source, key, 'expected a positive number or a non-empty list of them');
  }
  return values as number[];
}

function gridError(source: string, key: string | null, problem: string): KvtierError {
  return new KvtierError(ErrorCode.CONFIG, `${source}: ${key ? `\`${key}\`: ` : ''}${problem}`, { file: source, key });
}
