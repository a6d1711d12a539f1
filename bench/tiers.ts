/**
 * Durable tier throughput against raw baselines in the same run: the flash tier against plain
 * lmdb put/getBinaryFast, the disk tier against plain fs appends/positional reads, same sync mode,
 * same number of operations in flight; and the disk tier's mapped reads against its own reads
 * without mappings. One case = one entry of CASES (one table row per block size).
 *
 *   npm run build && npm run bench -- tiers [--json] [--runs N] [--quick] [--synced] [--inflight N]
 *     [--case NAME[,NAME…]] [--size SIZE[,SIZE…]] [--bytes SIZE]
 *
 * Every case and size starts with discarded runs of each side (JIT warm-up: 2–12 pairs, 12288
 * operations per side where that fits, 2 pairs with --quick; see warmUp), then `--runs` timed ones.
 * `--case` keeps the cases whose name starts with one of the given prefixes ("disk read", "flash");
 * `--size` keeps the given block sizes ("64KiB,256KiB"); `--bytes` sets the bytes moved per run
 * (default 64 MiB and at least MIN_DEFAULT_BLOCKS blocks, 16 MiB with --quick): more gives
 * steadier figures on a busy machine.
 */
import { randomFillSync } from 'node:crypto';
import { mkdtemp, open as openFile, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open as openLmdb, type RootDatabase } from 'lmdb';
import { parseBytes } from '../src/engine/capacity.js';
import { KvCache } from '../src/engine/engine.js';
import { checksum } from '../src/memory/copy-batch.js';
import { native } from '../src/native.js';
import { FileTier } from '../src/tiers/file-tier.js';
import { LmdbTier } from '../src/tiers/lmdb-tier.js';
import type { BlockRecord, Durability, Tier } from '../src/tiers/tier.js';
import { alternatingPairs, formatBytes, listFlag, machineHeader, median, printTable, type BenchArgs } from './support.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BLOCK_SIZES = [64 * KiB, 256 * KiB, MiB];
/** Distinct payloads cycled through, so no two neighbouring blocks carry the same bytes. */
const DISTINCT_PAYLOADS = 8;

/** Everything a case needs for one run. */
export interface CaseContext {
  readonly blockBytes: number;
  /** Blocks moved per measurement (of the tier and of its baseline alike). */
  readonly blocks: number;
  /** Operations kept in flight (writes and reads alike). */
  readonly inFlight: number;
  readonly durability: Durability;
  /** A fresh empty directory for this run, removed afterwards. */
  readonly dir: string;
  /** `DISTINCT_PAYLOADS` blocks of random bytes with their records' checksums. */
  readonly payloads: readonly { bytes: Buffer; checksum: bigint }[];
  /**
   * Block i's record (its key in `.key`), made once before any timing and shared by both sides:
   * an engine hands its tiers long-lived key strings, and making them (BigInt arithmetic, a fresh
   * string the tier then hashes and checks) cost ~1 µs a write, charged to the tier's side only.
   */
  readonly records: readonly BlockRecord[];
  /** One destination buffer per lane for reads (see laneBuffers), shared by every run of a block size. */
  readonly lanes: readonly Buffer[];
}

/**
 * A benchmark case: one operation and the raw baseline it is compared with. Each function does
 * one timed run on its own fresh directory and returns the time `context.blocks` blocks took;
 * untimed set-up (filling a store before timing reads) and clean-up (flushing what it wrote, so
 * dirty pages do not slow the next measurement) happen inside, outside the timed region.
 */
export interface TierBenchCase {
  readonly name: string;
  /** The raw operation it is compared with. */
  readonly baseline: string;
  measure(context: CaseContext): Promise<Timing>;
  measureBaseline(context: CaseContext): Promise<Timing>;
}

/** Wall-clock and CPU time (all threads of the process: JS, libuv pool, lmdb's writer) of one timed section. */
export interface Timing {
  seconds: number;
  cpuSeconds: number;
}

/** One result row (also the JSON shape). */
export interface TierBenchResult {
  name: string;
  blockBytes: number;
  /** Median over runs, decimal MB (1e6 bytes) per second. */
  mbPerSec: number;
  baselineMbPerSec: number;
  /** Median over runs of the run's tier rate / baseline rate. */
  ratio: number;
  /** Lowest and highest per-run ratio: the spread around `ratio`. */
  ratioRange: [number, number];
  /**
   * Median over runs of baseline CPU seconds / tier CPU seconds for the same bytes: the share of
   * the baseline's efficiency the tier keeps, much less sensitive than `ratio` to other load.
   */
  cpuRatio: number;
}

// ---- helpers --------------------------------------------------------------------------------------

function keyOf(i: number): string {
  return (BigInt(i + 1) * 0x9e3779b97f4a7c15n).toString(16).padStart(32, '0').slice(-32);
}

/** Records of `blocks` blocks (see CaseContext.records). */
function recordsOf(blocks: number, blockBytes: number, payloads: CaseContext['payloads']): BlockRecord[] {
  const keys = Array.from({ length: blocks }, (_, i) => keyOf(i));
  return keys.map((key, i) => ({ key, parent: i > 0 ? keys[i - 1]! : null, namespace: 'bench', length: blockBytes, checksum: payloads[i % DISTINCT_PAYLOADS]!.checksum }));
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** Runs `op(i)` for i in [0, count) with `inFlight` operations outstanding. */
async function timed(count: number, inFlight: number, op: (i: number, lane: number) => Promise<unknown>): Promise<Timing> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(inFlight, count) }, async (_, lane) => {
      while (next < count) await op(next++, lane);
    }),
  );
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: cpuSecondsSince(cpu) };
}

/** A deterministic shuffle, so reads do not just stream through the file in write order. */
function readOrder(count: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  let x = 0x2545f491;
  for (let i = count - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * One destination buffer per lane, page-aligned and already touched, like the engine's long-lived
 * arena slots. Not Buffer.alloc: glibc places those at 16 bytes past a page (mmap'd chunks) or
 * anywhere 16-aligned, and the kernel's page-cache copy into a destination at 16 mod 64 ran at
 * half speed (measured on the 2-core EPYC, 1 MiB fs reads in one process: 8.9 GB/s against 17.6
 * into 64-aligned buffers; the disk tier's reads, whose payloads start 256 bytes into a page, much
 * less), so each run's ratio depended on where the allocator put its lanes. Touched before timing,
 * so neither side pays a fresh mapping's first-write page faults inside its timed region.
 *
 * Made once per block size and shared by every run of every case, both sides alike. Fresh lanes
 * per run (8 MiB of external memory each at 1 MiB) made V8 start a full collection for "external
 * memory pressure" every few runs, and its marking landed in the tier's timed reads, not the
 * baseline's (perf over a full benchmark, 2026-11-26: 24% of the CPU of the tier's 1 MiB disk
 * reads, 2% of `fs`'s). That cell read 0.44–0.63 in ten full runs with fresh lanes, 0.79–0.99
 * (median 0.91) in ten with shared ones.
 */
function laneBuffers(blockBytes: number, inFlight: number): Buffer[] {
  const stride = Math.ceil(blockBytes / 4096) * 4096;
  const arena = native.createArena(stride * inFlight, 4096);
  new Uint8Array(arena).fill(1);
  return Array.from({ length: inFlight }, (_, lane) => Buffer.from(arena, lane * stride, blockBytes));
}

function checkPayload(context: CaseContext, i: number, bytes: Uint8Array, what: string): void {
  if (!context.payloads[i % DISTINCT_PAYLOADS]!.bytes.equals(bytes.subarray(0, context.blockBytes))) {
    throw new Error(`${what}: block ${i} read back wrong bytes`);
  }
}

// ---- flash (LMDB) ---------------------------------------------------------------------------------

function openRawLmdb(context: CaseContext): RootDatabase<Buffer, string> {
  return openLmdb<Buffer, string>({
    path: join(context.dir, 'raw-lmdb'),
    encoding: 'binary',
    noSync: context.durability === 'fast',
    mapSize: context.blocks * (context.blockBytes + 8 * KiB) * 1.25 + 16 * MiB,
  });
}

function openFlash(context: CaseContext): Promise<LmdbTier> {
  return LmdbTier.open({
    dir: join(context.dir, 'flash'),
    capacityBlocks: context.blocks,
    blockBytes: context.blockBytes,
    durability: context.durability,
  });
}

/** Forces a raw environment's writes to disk (untimed), like flush() does for a tier. */
function syncRawLmdb(db: RootDatabase<Buffer, string>): Promise<void> {
  const env = db as unknown as { sync(callback: (error?: unknown) => void): void };
  return new Promise((resolve, reject) => env.sync((error) => (error ? reject(error) : resolve())));
}

async function rawLmdbWrite(context: CaseContext, db: RootDatabase<Buffer, string>): Promise<Timing> {
  return timed(context.blocks, context.inFlight, async (i) => {
    await db.put(context.records[i]!.key, context.payloads[i % DISTINCT_PAYLOADS]!.bytes);
    if (context.durability === 'synced') await db.flushed;
  });
}

async function tierWrite(context: CaseContext, tier: Tier): Promise<Timing> {
  return timed(context.blocks, context.inFlight, (i) => tier.write(context.records[i]!, context.payloads[i % DISTINCT_PAYLOADS]!.bytes));
}

async function tierRead(context: CaseContext, tier: Tier): Promise<Timing> {
  const order = readOrder(context.blocks);
  const dsts = context.lanes;
  let lastLane = 0;
  const seconds = await timed(context.blocks, context.inFlight, async (n, lane) => {
    if ((await tier.read(context.records[order[n]!]!.key, dsts[lane]!)) === null) throw new Error(`${tier.name}: block ${order[n]} missing`);
    if (n === context.blocks - 1) lastLane = lane;
  });
  checkPayload(context, order[context.blocks - 1]!, dsts[lastLane]!, tier.name);
  return seconds;
}

/** Writes every block to a tier (timed), checks one back and flushes (untimed). */
async function writeTier(context: CaseContext, tier: Tier): Promise<Timing> {
  const seconds = await tierWrite(context, tier);
  const dst = Buffer.alloc(context.blockBytes);
  if ((await tier.read(context.records[1]!.key, dst)) === null) throw new Error(`${tier.name}: block 1 missing after write`);
  checkPayload(context, 1, dst, tier.name);
  await tier.flush();
  return seconds;
}

/** Fills a tier (untimed, flushed), then reads every block back in shuffled order (timed). */
async function readTier(context: CaseContext, tier: Tier): Promise<Timing> {
  await tierWrite(context, tier);
  await tier.flush();
  return tierRead(context, tier);
}

async function withTier<T extends Tier>(opened: Promise<T>, fn: (tier: T) => Promise<Timing>): Promise<Timing> {
  const tier = await opened;
  try {
    return await fn(tier);
  } finally {
    await tier.close();
  }
}

async function withRawLmdb(context: CaseContext, fn: (db: RootDatabase<Buffer, string>) => Promise<Timing>): Promise<Timing> {
  const db = openRawLmdb(context);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const flashWrite: TierBenchCase = {
  name: 'flash write',
  baseline: 'lmdb put',
  measure: (context) => withTier(openFlash(context), (tier) => writeTier(context, tier)),
  measureBaseline: (context) =>
    withRawLmdb(context, async (db) => {
      const seconds = await rawLmdbWrite(context, db);
      await syncRawLmdb(db);
      return seconds;
    }),
};

const flashRead: TierBenchCase = {
  name: 'flash read',
  baseline: 'lmdb getBinaryFast + copy',
  measure: (context) => withTier(openFlash(context), (tier) => readTier(context, tier)),
  measureBaseline: (context) =>
    withRawLmdb(context, async (db) => {
      await rawLmdbWrite(context, db);
      await syncRawLmdb(db);
      // The same harness as the tier side (tierRead): `inFlight` lanes, each copying into its own
      // destination buffer. A synchronous loop into one buffer kept the destination cache-hot
      // (1 block instead of 8) and skipped the per-read await, both charged to the tier alone.
      const order = readOrder(context.blocks);
      const dsts = context.lanes;
      let lastLane = 0;
      const seconds = await timed(context.blocks, context.inFlight, async (n, lane) => {
        const value = db.getBinaryFast(context.records[order[n]!]!.key)!;
        // getBinaryFast's buffer is reused and cannot be .copy()'d; copy the value's own length.
        dsts[lane]!.set(value.subarray(0, value.length));
        if (n === context.blocks - 1) lastLane = lane;
      });
      checkPayload(context, order[context.blocks - 1]!, dsts[lastLane]!, 'lmdb');
      return seconds;
    }),
};

// ---- disk (segment files) -------------------------------------------------------------------------

function openDisk(context: CaseContext, mapSegments = true): Promise<FileTier> {
  return FileTier.open({
    dir: join(context.dir, 'disk'),
    capacityBlocks: context.blocks,
    blockBytes: context.blockBytes,
    durability: context.durability,
    mapSegments,
  });
}

/** The raw baseline: blocks written to one file with positional writes (+ fdatasync each when synced), then flushed. */
async function rawFsWrite(context: CaseContext, file: FileHandle): Promise<Timing> {
  const seconds = await timed(context.blocks, context.inFlight, async (i) => {
    await file.write(context.payloads[i % DISTINCT_PAYLOADS]!.bytes, 0, context.blockBytes, i * context.blockBytes);
    if (context.durability === 'synced') await file.datasync();
  });
  await file.datasync();
  return seconds;
}

async function withRawFile(context: CaseContext, fn: (file: FileHandle) => Promise<Timing>): Promise<Timing> {
  const file = await openFile(join(context.dir, 'raw.bin'), 'w+');
  try {
    return await fn(file);
  } finally {
    await file.close();
  }
}

const diskWrite: TierBenchCase = {
  name: 'disk write',
  baseline: 'fs positional write',
  measure: (context) => withTier(openDisk(context), (tier) => writeTier(context, tier)),
  measureBaseline: (context) => withRawFile(context, (file) => rawFsWrite(context, file)),
};

const diskRead: TierBenchCase = {
  name: 'disk read',
  baseline: 'fs positional read',
  measure: (context) => withTier(openDisk(context), (tier) => readTier(context, tier)),
  measureBaseline: (context) =>
    withRawFile(context, async (file) => {
      await rawFsWrite(context, file);
      const order = readOrder(context.blocks);
      const dsts = context.lanes;
      let lastLane = 0;
      const seconds = await timed(context.blocks, context.inFlight, async (n, lane) => {
        await file.read(dsts[lane]!, 0, context.blockBytes, order[n]! * context.blockBytes);
        if (n === context.blocks - 1) lastLane = lane;
      });
      checkPayload(context, order[context.blocks - 1]!, dsts[lastLane]!, 'fs');
      return seconds;
    }),
};

/**
 * The disk tier's reads with its segments mapped (cached blocks copied and hashed in one pass)
 * against the same tier without mappings (read, then hashed): the one design choice compared in
 * place, each run pairing the two. Up to 256 KiB both read on the calling thread, so it only
 * differs at 1 MiB.
 */
const diskMappedRead: TierBenchCase = {
  name: 'disk mapped read',
  baseline: 'disk tier, mapSegments off',
  measure: diskRead.measure,
  measureBaseline: (context) => withTier(openDisk(context, false), (tier) => readTier(context, tier)),
};

// ---- the engine end to end ------------------------------------------------------------------------

/**
 * put → demote → promote through a whole engine (a 4-block HBM tier over flash): every put demotes
 * an older block to LMDB, then every block is acquired back (promoted from LMDB, verified,
 * demoting another). The baseline does the same LMDB work with raw lmdb: a put per block, then per
 * block a getBinaryFast + copy (the promotion) and a put (the victim it demotes).
 */
const engineCycle: TierBenchCase = {
  name: 'engine put→demote→promote',
  baseline: 'lmdb put, get + put',
  async measure(context) {
    const cache = await KvCache.open({
      blockBytes: context.blockBytes,
      tiers: [
        { name: 'hbm', capacity: '4blocks' },
        { name: 'flash', capacity: `${context.blocks + 8}blocks`, dir: join(context.dir, 'flash'), durability: context.durability },
      ],
    });
    try {
      const cpu = process.cpuUsage();
      const started = performance.now();
      for (let i = 0; i < context.blocks; i++) await cache.put(context.records[i]!.key, context.payloads[i % DISTINCT_PAYLOADS]!.bytes);
      for (const i of readOrder(context.blocks)) {
        const pinned = await cache.acquire([context.records[i]!.key]);
        if (pinned.length !== 1) throw new Error(`engine: block ${i} missing`);
        pinned.release();
      }
      await cache.flush();
      const timing = { seconds: (performance.now() - started) / 1000, cpuSeconds: cpuSecondsSince(cpu) };
      const check = await cache.acquire([context.records[1]!.key]);
      checkPayload(context, 1, check.blocks[0]!, 'engine');
      check.release();
      return timing;
    } finally {
      await cache.close();
    }
  },
  measureBaseline: (context) =>
    withRawLmdb(context, async (db) => {
      const dst = Buffer.alloc(context.blockBytes);
      const cpu = process.cpuUsage();
      const started = performance.now();
      for (let i = 0; i < context.blocks; i++) await db.put(context.records[i]!.key, context.payloads[i % DISTINCT_PAYLOADS]!.bytes);
      for (const i of readOrder(context.blocks)) {
        const value = db.getBinaryFast(context.records[i]!.key)!;
        dst.set(value.subarray(0, value.length));
        await db.put(context.records[i]!.key, dst);
      }
      await syncRawLmdb(db);
      return { seconds: (performance.now() - started) / 1000, cpuSeconds: cpuSecondsSince(cpu) };
    }),
};

/** Every case, in table order; add a case by adding an entry. */
export const CASES: TierBenchCase[] = [flashWrite, flashRead, diskWrite, diskRead, diskMappedRead, engineCycle];

// ---- runner ---------------------------------------------------------------------------------------

interface Settings {
  runs: number;
  /** Bytes moved per measurement. */
  bytesPerRun: number;
  /** Fewest blocks a run moves, whatever `bytesPerRun` says. */
  minBlocksPerRun: number;
  inFlight: number;
  durability: Durability;
  /** Block sizes measured, bytes. */
  blockSizes: readonly number[];
  /** Cases measured, in table order. */
  cases: readonly TierBenchCase[];
  /** Operations of warm-up per side (see warmUp): WARMUP_OPERATIONS, or none beyond the fewest pairs with --quick. */
  warmUpOperations: number;
}

/**
 * Fewest blocks a default run moves. At 1 MiB, 64 MiB is 64 reads, about 5 ms: one scheduling stall
 * (the event loop waiting 4–6 ms for a core behind the pool threads, seen with
 * monitorEventLoopDelay) then moved a run's ratio from about 0.8 to 0.3, and the process CPU
 * clock, which counts in 4 ms ticks here, made the CPU ratio mostly rounding.
 */
const MIN_DEFAULT_BLOCKS = 256;

function settings(args: BenchArgs): Settings {
  let inFlight = 8;
  const at = args.rest.indexOf('--inflight');
  if (at >= 0) inFlight = Math.max(1, Number.parseInt(args.rest[at + 1] ?? '', 10) || 1);
  const sizes = listFlag(args.rest, '--size')?.map((v) => parseBytes(v, '--size')) ?? BLOCK_SIZES;
  const prefixes = listFlag(args.rest, '--case')?.map((v) => v.toLowerCase());
  const cases = prefixes ? CASES.filter((c) => prefixes.some((p) => c.name.toLowerCase().startsWith(p))) : CASES;
  if (cases.length === 0) throw new Error(`--case matches none of: ${CASES.map((c) => c.name).join(', ')}`);
  const bytes = listFlag(args.rest, '--bytes');
  return {
    runs: args.quick ? Math.min(args.runs, 3) : args.runs,
    bytesPerRun: bytes ? parseBytes(bytes[0]!, '--bytes') : args.quick ? 16 * MiB : 64 * MiB,
    minBlocksPerRun: bytes || args.quick ? 8 : MIN_DEFAULT_BLOCKS,
    inFlight,
    durability: args.rest.includes('--synced') ? 'synced' : 'fast',
    blockSizes: sizes,
    cases,
    warmUpOperations: args.quick ? 0 : WARMUP_OPERATIONS,
  };
}

function payloadsFor(blockBytes: number): { bytes: Buffer; checksum: bigint }[] {
  return Array.from({ length: DISTINCT_PAYLOADS }, () => {
    const bytes = randomFillSync(Buffer.allocUnsafe(blockBytes));
    return { bytes, checksum: checksum(bytes) };
  });
}

/**
 * Operations each side does in discarded runs before timing (see warmUp). Measured on 64 KiB flash
 * writes (1024 per run, 8 per LMDB commit), 2026-11-26: TurboFan still compiled 5–13 functions in
 * each of the tier's first four runs and about 2 in each up to its tenth (`commitGroup` alone took
 * 15 ms to compile, on the same two cores as a 60 ms run), none in most runs after; in three
 * alternating invocations the cell read 0.71–0.75 after 4096 operations of warm-up (as before)
 * and 0.75–0.81 after 12288.
 */
const WARMUP_OPERATIONS = 12288;
/** Bounds on the discarded pairs of runs, so large blocks (few operations per run) stay cheap. */
const MIN_WARMUP_PAIRS = 2;
const MAX_WARMUP_PAIRS = 12;

/**
 * Discarded runs of both sides, in pairs (baseline, then tier), until each has done `operations`
 * operations (within the pair bounds). The tier's JavaScript is compiled and re-optimised over
 * thousands of calls (V8 counts calls, not bytes), while the baselines are mostly native code:
 * with one discarded run, as before, the tier's first two timed 64 KiB runs were still warming up
 * (half the MB/s at twice the CPU time), two of the seven runs of the median. Counted in pairs, so
 * both sides get the same warm-up.
 */
async function warmUp(operations: number, blocks: number, tier: () => Promise<Timing>, baseline: () => Promise<Timing>): Promise<void> {
  const pairs = Math.min(MAX_WARMUP_PAIRS, Math.max(MIN_WARMUP_PAIRS, Math.ceil(operations / blocks)));
  for (let pair = 0; pair < pairs; pair++) {
    await baseline();
    await tier();
  }
}

/** Runs every selected case at every selected block size; medians over `runs` runs, each on a fresh directory. */
export async function measureAll(options: Settings): Promise<TierBenchResult[]> {
  const results: TierBenchResult[] = [];
  for (const blockBytes of options.blockSizes) {
    const payloads = payloadsFor(blockBytes);
    const blocks = Math.max(options.minBlocksPerRun, Math.round(options.bytesPerRun / blockBytes));
    const records = recordsOf(blocks, blockBytes, payloads);
    const lanes = laneBuffers(blockBytes, options.inFlight);
    for (const benchCase of options.cases) {
      const rates: number[] = [];
      const baselines: number[] = [];
      const ratios: number[] = [];
      const cpuRatios: number[] = [];
      const once = async (fn: (context: CaseContext) => Promise<Timing>): Promise<Timing> => {
        const dir = await mkdtemp(join(tmpdir(), 'kvtier-bench-tiers-'));
        // Cleared, so a read that wrote nothing cannot pass its check on the bytes of a run before.
        for (const lane of lanes) lane.fill(0);
        try {
          return await fn({ blockBytes, blocks, inFlight: options.inFlight, durability: options.durability, dir, payloads, records, lanes });
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      };
      const megabytes = (blocks * blockBytes) / 1e6;
      await warmUp(options.warmUpOperations, blocks, () => once(benchCase.measure), () => once(benchCase.measureBaseline));
      // Alternating which goes first, so neither always runs behind the other's background writeback.
      for (const { a: baseline, b: tier } of await alternatingPairs(options.runs, () => once(benchCase.measureBaseline), () => once(benchCase.measure))) {
        rates.push(megabytes / tier.seconds);
        baselines.push(megabytes / baseline.seconds);
        ratios.push(baseline.seconds / tier.seconds);
        cpuRatios.push(baseline.cpuSeconds / tier.cpuSeconds);
      }
      results.push({
        name: benchCase.name,
        blockBytes,
        mbPerSec: median(rates),
        baselineMbPerSec: median(baselines),
        ratio: median(ratios),
        ratioRange: [Math.min(...ratios), Math.max(...ratios)],
        cpuRatio: median(cpuRatios),
      });
    }
  }
  return results;
}

export async function run(args: BenchArgs): Promise<void> {
  const options = settings(args);
  const results = await measureAll(options);
  if (args.json) {
    console.log(JSON.stringify(results.map(({ name, blockBytes, mbPerSec, baselineMbPerSec, ratio }) => ({ name, blockBytes, mbPerSec, baselineMbPerSec, ratio })), null, 2));
    return;
  }
  console.log(machineHeader());
  console.log(
    `# ${options.durability} durability, ${options.inFlight} operations in flight, ${formatBytes(options.bytesPerRun)} per run` +
      (options.minBlocksPerRun > 8 ? ` (at least ${options.minBlocksPerRun} blocks)` : '') +
      ', ' +
      `median of ${options.runs} runs; ratio = median of per-run tier/baseline MB/s, cpu ratio = the same for MB per CPU-second; ` +
      'reads are warm (page cache)',
  );
  const baselineOf = new Map(CASES.map((c) => [c.name, c.baseline]));
  printTable(
    results.map((r) => ({
      case: r.name,
      block: formatBytes(r.blockBytes),
      'MB/s': r.mbPerSec,
      baseline: baselineOf.get(r.name) ?? '',
      'baseline MB/s': r.baselineMbPerSec,
      ratio: r.ratio,
      'ratio range': `${r.ratioRange[0].toFixed(2)}–${r.ratioRange[1].toFixed(2)}`,
      'cpu ratio': r.cpuRatio,
    })),
  );
}
