/**
 * Index memory per cached block: `npm run bench -- index-memory [--json]`.
 *
 * Fills one engine's memory tier with 1M blocks (16-byte payloads, so the arena stays small) and
 * measures what the index costs: JS heap plus ArrayBuffer bytes (the typed arrays of the key
 * table, the control plane and the policy), before and after, with forced GCs. The baseline is a
 * plain `Map<string, number>` holding the same keys, the structure the key table replaces.
 */
import { KvCache } from '../src/engine/engine.js';
import { machineHeader, printTable, type BenchArgs } from './support.js';

const PAYLOAD = 16;

function retained(): number {
  globalThis.gc!();
  globalThis.gc!();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

function keyOf(i: number): string {
  return i.toString(16).padStart(32, '0');
}

export async function run(args: BenchArgs): Promise<void> {
  if (typeof globalThis.gc !== 'function') {
    throw new Error('run with --expose-gc: node --expose-gc dist/bench/main.js index-memory');
  }
  const blocks = args.quick ? 100_000 : 1_000_000;
  const payload = new Uint8Array(PAYLOAD).fill(7);

  const before = retained();
  const cache = await KvCache.open({ blockBytes: PAYLOAD, tiers: [{ name: 'hbm', capacity: `${blocks}blocks` }] });
  const opened = retained();
  for (let i = 0; i < blocks; i++) await cache.put(keyOf(i), payload);
  const filled = retained();
  if (cache.stats().tiers[0]!.usedBlocks !== blocks) throw new Error('not every block was stored');
  const arenaBytes = blocks * 64; // 16-byte payloads in 64-byte aligned slots
  const engineIndex = (filled - opened - arenaBytes) / blocks;
  await cache.close();
  void before;

  const mapBefore = retained();
  const map = new Map<string, number>();
  for (let i = 0; i < blocks; i++) map.set(keyOf(i), i);
  const mapBytes = (retained() - mapBefore) / blocks;
  if (map.size !== blocks) throw new Error('map lost keys');

  const rows = [
    { name: 'engine-index', blocks, bytesPerBlock: engineIndex },
    { name: 'baseline-map-string-keys', blocks, bytesPerBlock: mapBytes },
  ];
  if (args.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  console.log(machineHeader());
  console.log(`# ${blocks} cached blocks; heap + ArrayBuffer bytes per block, arena excluded`);
  printTable(rows.map((r) => ({ case: r.name, blocks: r.blocks, 'bytes/block': r.bytesPerBlock })));
}
