/** Copy throughput: the addon's batched copies (sync, async, fused XXH3-64) and Buffer.copy against a C memcpy loop. */
import { native } from '../src/native.js';
import { xxh3 } from '../src/native-reference.js';
import { formatBytes, machineHeader, median, nowNs, printTable, type BenchArgs } from './support.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Per side, the most a cache-hot case touches: 4 MiB source + 4 MiB destination sit in L3. */
const HOT_BYTES = 4 * MiB;

type Regime = 'cache-hot' | 'streaming';
type Method = 'memcpy' | 'copyBatch' | 'copyBatchAsync' | 'copyBatch+xxh3' | 'Buffer.copy';
const METHODS: readonly Method[] = ['memcpy', 'copyBatch', 'copyBatchAsync', 'copyBatch+xxh3', 'Buffer.copy'];

/** One JSON entry: a method on one (regime, block size, batch) case. */
export interface CopyResult {
  name: Method;
  regime: Regime;
  blockBytes: number;
  batch: number;
  /** Decimal GB (1e9 bytes) copied per second: the median of the runs. */
  gbPerSec: number;
  /** Median over runs of this method's rate divided by the memcpy loop's in the same run. */
  ratioToMemcpy: number;
}

interface Settings {
  blockSizes: number[];
  batches: number[];
  /** Bytes of each streaming arena (source and destination each). */
  streamBytes: number;
  /** Bytes moved per measurement; a median is taken over `runs` measurements. */
  targetBytes: number;
  /** Cap on native calls per measurement, so tiny batches with async hand-offs stay quick. */
  maxCalls: number;
  runs: number;
}

function settings(args: BenchArgs): Settings {
  return args.quick
    ? {
        blockSizes: [16 * KiB, 256 * KiB, 4 * MiB],
        batches: [1, 64],
        streamBytes: 256 * MiB,
        targetBytes: 128 * MiB,
        maxCalls: 512,
        runs: Math.min(args.runs, 3),
      }
    : {
        blockSizes: [16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB, 16 * MiB],
        batches: [1, 64],
        streamBytes: 512 * MiB,
        targetBytes: 512 * MiB,
        maxCalls: 4096,
        runs: args.runs,
      };
}

/** Source and destination arenas and their Buffer views (for Buffer.copy and checks). */
interface Arenas {
  src: ArrayBuffer;
  dst: ArrayBuffer;
  srcBuf: Buffer;
  dstBuf: Buffer;
}

function makeArenas(bytes: number): Arenas {
  const src = native.createArena(bytes, 4096);
  const dst = native.createArena(bytes, 4096);
  const srcBuf = Buffer.from(src);
  const dstBuf = Buffer.from(dst);
  // Non-trivial source bytes, and every page of both arenas faulted in before any timing.
  const tile = Buffer.alloc(64 * KiB);
  for (let i = 0; i < tile.length; i++) tile[i] = (i * 2654435761) >>> 24;
  srcBuf.fill(tile);
  dstBuf.fill(0);
  return { src, dst, srcBuf, dstBuf };
}

/**
 * The blocks one measurement copies: `calls` batches of `batch` ops. Op g of the measurement
 * uses slot (first + g) mod slots, at the same offset in source and destination. Cache-hot
 * cases cycle over a few slots; streaming ones walk the whole arena.
 */
interface Plan {
  blockBytes: number;
  batch: number;
  calls: number;
  slots: number;
  first: number;
  ops: Float64Array[];
}

function plan(blockBytes: number, batch: number, slots: number, first: number, s: Settings): Plan {
  const calls = Math.max(1, Math.min(s.maxCalls, Math.round(s.targetBytes / (blockBytes * batch))));
  // Views into one large array, as a reused CopyBatch would pass: a fresh Float64Array of
  // ≤ 64 bytes lives inside V8's heap and is moved out on its first native use, at ~0.5 µs.
  const all = new Float64Array(calls * batch * 5);
  const ops: Float64Array[] = [];
  for (let call = 0; call < calls; call++) {
    const batchOps = all.subarray(call * batch * 5, (call + 1) * batch * 5);
    for (let i = 0; i < batch; i++) {
      const offset = ((first + call * batch + i) % slots) * blockBytes;
      batchOps.set([0, offset, 1, offset, blockBytes], i * 5);
    }
    ops.push(batchOps);
  }
  return { blockBytes, batch, calls, slots, first, ops };
}

/** Runs one measurement of `method` over `p`; returns decimal GB/s. */
async function measure(method: Method, p: Plan, a: Arenas): Promise<number> {
  const bytes = p.calls * p.batch * p.blockBytes;
  const buffers = [a.src, a.dst];
  if (method === 'memcpy') {
    // The same blocks as the other methods, timed inside C: a cycling working set as one call
    // with rounds (no per-call clock reads), a walk as runs of adjacent slots.
    const total = p.calls * p.batch;
    if (p.first === 0 && total % p.slots === 0) {
      const view = (buffer: ArrayBuffer) => new Uint8Array(buffer, 0, p.slots * p.blockBytes);
      return bytes / native.memcpyBaseline(view(a.dst), view(a.src), p.blockBytes, p.slots, total / p.slots);
    }
    let ns = 0;
    let op = 0;
    while (op < total) {
      const slot = (p.first + op) % p.slots;
      const run = Math.min(total - op, p.slots - slot);
      const at = slot * p.blockBytes;
      const view = (buffer: ArrayBuffer) => new Uint8Array(buffer, at, run * p.blockBytes);
      ns += native.memcpyBaseline(view(a.dst), view(a.src), p.blockBytes, run, 1);
      op += run;
    }
    return bytes / ns;
  }
  const checksums = new BigUint64Array(p.batch);
  const start = nowNs();
  switch (method) {
    case 'copyBatch':
      for (const ops of p.ops) native.copyBatch(buffers, ops);
      break;
    case 'copyBatch+xxh3':
      for (const ops of p.ops) native.copyBatch(buffers, ops, checksums);
      break;
    case 'copyBatchAsync':
      // One batch in flight at a time: the price of the thread-pool hand-off is included.
      for (const ops of p.ops) await native.copyBatchAsync(buffers, ops);
      break;
    case 'Buffer.copy':
      for (const ops of p.ops) {
        for (let i = 0; i < ops.length; i += 5) {
          a.srcBuf.copy(a.dstBuf, ops[i + 3]!, ops[i + 1]!, ops[i + 1]! + ops[i + 4]!);
        }
      }
      break;
  }
  return bytes / (nowNs() - start);
}

/** Checks every method once (bytes, and checksums against the TypeScript XXH3-64) before any timing. */
async function verify(a: Arenas): Promise<void> {
  const blockBytes = 64 * KiB;
  const ops = new Float64Array(8 * 5);
  for (let i = 0; i < 8; i++) ops.set([0, (3 + i) * blockBytes, 1, (3 + i) * blockBytes, blockBytes], i * 5);
  const p: Plan = { blockBytes, batch: 8, calls: 1, slots: 64, first: 3, ops: [ops] };
  const region = (buf: Buffer) => buf.subarray(3 * blockBytes, 11 * blockBytes);
  for (const method of METHODS) {
    region(a.dstBuf).fill(0);
    if (method === 'copyBatch+xxh3') {
      const checksums = new BigUint64Array(8);
      native.copyBatch([a.src, a.dst], ops, checksums);
      for (let i = 0; i < 8; i++) {
        const block = a.srcBuf.subarray((3 + i) * blockBytes, (4 + i) * blockBytes);
        if (checksums[i] !== xxh3(block)) throw new Error(`copy: the fused checksum of block ${i} is wrong`);
      }
    } else {
      await measure(method, p, a);
    }
    if (Buffer.compare(region(a.dstBuf), region(a.srcBuf)) !== 0) throw new Error(`copy: ${method} copied wrong bytes`);
  }
}

/** `npm run bench -- copy [--json] [--quick] [--runs N]` */
export async function run(args: BenchArgs): Promise<void> {
  const s = settings(args);
  const log = (line: string) => {
    if (!args.json) console.log(line);
  };
  log(machineHeader());
  log(`# copy: median of ${s.runs} runs, GB/s = 1e9 bytes/s; memcpy = libc memcpy in a C loop in the addon`);
  log(`# cache-hot: ≤ ${formatBytes(HOT_BYTES)} per side, reused; streaming: walks ${formatBytes(s.streamBytes)} per side`);

  const hot = makeArenas(HOT_BYTES);
  const stream = makeArenas(s.streamBytes);
  await verify(stream);

  const results: CopyResult[] = [];
  let cursor = 0; // streaming position, carried across runs so no run starts on blocks still in cache
  for (const regime of ['cache-hot', 'streaming'] as const) {
    for (const blockBytes of s.blockSizes) {
      for (const batch of s.batches) {
        const arenas = regime === 'cache-hot' ? hot : stream;
        const slots =
          regime === 'cache-hot' ? Math.min(batch, Math.floor(HOT_BYTES / blockBytes)) : s.streamBytes / blockBytes;
        if (slots === 0) continue; // a 16 MiB block cannot stay cache-hot
        const next = () => {
          const p = plan(blockBytes, batch, slots, regime === 'streaming' ? cursor : 0, s);
          if (regime === 'streaming') cursor = (cursor + p.calls * batch) % slots;
          return p;
        };
        // Runs interleave the methods (run 1 of each, then run 2 of each, ...), so a burst of
        // load from elsewhere on the machine hits them alike; each run's ratio pairs a method
        // with the memcpy measured right before it, and the reported ratio is their median.
        const rates = new Map<Method, number[]>(METHODS.map((m) => [m, []]));
        for (let r = -1; r < s.runs; r++) {
          for (const method of METHODS) {
            const rate = await measure(method, next(), arenas);
            if (r >= 0) rates.get(method)!.push(rate); // run -1 warms up: JIT, thread pool, TLB
          }
        }
        const memcpy = rates.get('memcpy')!;
        for (const [name, runs] of rates) {
          const ratios = runs.map((rate, r) => rate / memcpy[r]!);
          results.push({ name, regime, blockBytes, batch, gbPerSec: median(runs), ratioToMemcpy: median(ratios) });
        }
      }
    }
  }
  if (args.json) {
    const rounded = results.map((r) => ({ ...r, gbPerSec: round(r.gbPerSec), ratioToMemcpy: round(r.ratioToMemcpy) }));
    console.log(JSON.stringify(rounded));
    return;
  }
  for (const regime of ['cache-hot', 'streaming'] as const) {
    console.log(`\n${regime}: GB/s (× memcpy)`);
    printTable(
      s.blockSizes.flatMap((blockBytes) =>
        s.batches.flatMap((batch) => {
          const cell = results.filter((r) => r.regime === regime && r.blockBytes === blockBytes && r.batch === batch);
          if (cell.length === 0) return [];
          const row: Record<string, string | number> = { block: formatBytes(blockBytes), batch };
          for (const r of cell) {
            const rate = r.gbPerSec.toFixed(1);
            row[r.name] = r.name === 'memcpy' ? rate : `${rate} (${r.ratioToMemcpy.toFixed(2)})`;
          }
          return [row];
        }),
      ),
    );
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
