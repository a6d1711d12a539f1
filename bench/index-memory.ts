/**
 * Index memory per cached block: `node --expose-gc dist/bench/main.js index-memory [--json] [--quick]`.
 *
 * Fills one engine's hbm tier with 1M blocks (16-byte payloads, so the arena stays small) and
 * measures what the bookkeeping costs: JS heap plus ArrayBuffer bytes, after forced GCs. Two
 * layouts: independent blocks (no parents) and prefix chains (each block the parent of the next).
 * For each, a bare memory tier is filled with the same records first, so the total splits into
 * the tier's bookkeeping (measured) and the engine's index (the total minus that). The baseline is
 * a plain `Map<string, number>` of the same keys, the structure the key tables replace.
 *
 * The arena payload is excluded by measuring it: an arena of the same size is created alone and
 * whatever it adds to heap + ArrayBuffer bytes is subtracted. (Native arenas are reported to V8 as
 * external memory, not as ArrayBuffer bytes, so today that amount is zero; subtracting a computed
 * slot size instead would hide real index bytes.)
 */
import { KvCache } from '../src/engine/engine.js';
import { Arena } from '../src/memory/arena.js';
import { checksum } from '../src/memory/copy-batch.js';
import { ArenaTier } from '../src/tiers/memory-tier.js';
import type { BlockKey } from '../src/tiers/tier.js';
import { machineHeader, printTable, type BenchArgs } from './support.js';

const PAYLOAD = 16;
/** Blocks per chain in the chained layout (a 16K-token prompt at 512 tokens per block). */
const CHAIN_BLOCKS = 32;

type Layout = 'independent' | 'chains';

interface Row {
  layout: Layout;
  blocks: number;
  /** Engine with one hbm tier: everything the cache holds per block. */
  totalBytesPerBlock: number;
  /** The memory tier's own bookkeeping, measured on a bare tier holding the same records. */
  tierBytesPerBlock: number;
  /** The engine's index: total minus the tier. */
  engineBytesPerBlock: number;
}

function retained(): number {
  globalThis.gc!();
  globalThis.gc!();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

function keyOf(i: number): BlockKey {
  return i.toString(16).padStart(32, '0');
}

function parentOf(layout: Layout, i: number): BlockKey | null {
  return layout === 'chains' && i % CHAIN_BLOCKS !== 0 ? keyOf(i - 1) : null;
}

/** What an arena of `slots` payload slots adds to ArrayBuffer bytes (its JS object is noise). */
function countedArenaBytes(slots: number): number {
  globalThis.gc!();
  const before = process.memoryUsage().arrayBuffers;
  let arena: Arena | null = new Arena(slots, PAYLOAD);
  const counted = process.memoryUsage().arrayBuffers - before;
  if (arena.buffer.byteLength === 0) throw new Error('empty arena');
  arena = null;
  return counted;
}

async function tierBytes(layout: Layout, blocks: number, payload: Uint8Array, arenaBytes: number): Promise<number> {
  const sum = checksum(payload);
  const before = retained();
  const tier = new ArenaTier({ name: 'hbm', capacityBlocks: blocks, blockBytes: PAYLOAD });
  for (let i = 0; i < blocks; i++) {
    await tier.write({ key: keyOf(i), parent: parentOf(layout, i), namespace: '', length: PAYLOAD, checksum: sum }, payload);
  }
  const after = retained();
  if (tier.blockCount !== blocks) throw new Error('the tier lost blocks');
  // Correctness before measuring: a record comes back whole.
  const probe = Math.min(blocks - 1, CHAIN_BLOCKS + 1);
  const record = await tier.read(keyOf(probe), new Uint8Array(PAYLOAD));
  if (record?.parent !== parentOf(layout, probe) || record.checksum !== sum || record.length !== PAYLOAD) {
    throw new Error('the tier returned a wrong record');
  }
  await tier.close();
  return (after - before - arenaBytes) / blocks;
}

async function engineBytes(layout: Layout, blocks: number, payload: Uint8Array, arenaBytes: number): Promise<number> {
  const before = retained();
  const cache = await KvCache.open({ blockBytes: PAYLOAD, tiers: [{ name: 'hbm', capacity: `${blocks}blocks` }] });
  if (layout === 'chains') {
    const chain = new Array<Uint8Array>(CHAIN_BLOCKS).fill(payload);
    for (let start = 0; start < blocks; start += CHAIN_BLOCKS) {
      const keys: BlockKey[] = [];
      for (let i = start; i < Math.min(blocks, start + CHAIN_BLOCKS); i++) keys.push(keyOf(i));
      await cache.putChain(keys, chain.slice(0, keys.length));
    }
  } else {
    for (let i = 0; i < blocks; i++) await cache.put(keyOf(i), payload);
  }
  const after = retained();
  if (cache.stats().tiers[0]!.usedBlocks !== blocks) throw new Error('not every block was stored');
  await cache.close();
  return (after - before - arenaBytes) / blocks;
}

function mapBytes(blocks: number): number {
  const before = retained();
  const map = new Map<string, number>();
  for (let i = 0; i < blocks; i++) map.set(keyOf(i), i);
  const bytes = (retained() - before) / blocks;
  if (map.size !== blocks) throw new Error('map lost keys');
  return bytes;
}

export async function run(args: BenchArgs): Promise<void> {
  if (typeof globalThis.gc !== 'function') {
    throw new Error('run with --expose-gc: node --expose-gc dist/bench/main.js index-memory');
  }
  const blocks = args.quick ? 100_000 : 1_000_000;
  const payload = new Uint8Array(PAYLOAD).fill(7);
  const arenaBytes = countedArenaBytes(blocks);

  const rows: Row[] = [];
  for (const layout of ['independent', 'chains'] as const) {
    const tier = await tierBytes(layout, blocks, payload, arenaBytes);
    const total = await engineBytes(layout, blocks, payload, arenaBytes);
    rows.push({ layout, blocks, totalBytesPerBlock: total, tierBytesPerBlock: tier, engineBytesPerBlock: total - tier });
  }
  const baseline = mapBytes(blocks);

  if (args.json) {
    console.log(JSON.stringify({ rows, baselineMapBytesPerBlock: baseline, arenaBytesCounted: arenaBytes }, null, 2));
    return;
  }
  console.log(machineHeader());
  console.log(`# ${blocks} cached blocks of ${PAYLOAD} bytes; heap + ArrayBuffer bytes per block after forced GC`);
  console.log(`# arena payload excluded (it added ${arenaBytes} bytes to heap + ArrayBuffers); chains of ${CHAIN_BLOCKS} blocks`);
  printTable(
    rows.map((r) => ({
      layout: r.layout,
      blocks: r.blocks,
      'total B/block': r.totalBytesPerBlock,
      'memory tier B/block': r.tierBytesPerBlock,
      'engine index B/block': r.engineBytesPerBlock,
    })),
  );
  console.log(`# baseline: Map<string, number> of the same keys: ${baseline.toFixed(0)} B/block`);
}
