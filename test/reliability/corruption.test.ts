/**
 * Corruption between runs: bit flips, truncations and deleted files in the flash (LMDB) and disk
 * (segment files) directories. Every damaged block must be a miss, counted in stats(); every other
 * block is still served byte-exact; nothing throws or crashes.
 */
import { spawnSync } from 'node:child_process';
import { cp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { KvCache, type EngineConfig } from '../../src/engine/engine.js';
import { checksum } from '../../src/memory/copy-batch.js';
import { HEADER_BYTES, headerOf } from '../../src/tiers/block-header.js';
import { prng } from './fixtures/blocks.mjs';
import { ROOT } from './fixtures/crash-harness.mjs';
import { isPayloadOf, keyOf, payloadOf, removeDir, tempDir, testSeed } from './support.js';

const BLOCK_BYTES = 512;
const BLOCKS = 300;
const LABEL = 'corruption';
const VARIABLE = false; // full-length payloads: a stored value is recognisable by its header + payload

/** Rounds of random damage to the segment file, and of random flips in the LMDB file (each a child process). */
const ROUNDS = 25;
const LMDB_ROUNDS = 12;

const keys = Array.from({ length: BLOCKS }, (_, i) => keyOf(LABEL, i));
const payload = (key: string) => payloadOf(key, BLOCK_BYTES, VARIABLE);

/** Warnings of the engines opened by a test (damage reports included). */
const warnings: string[] = [];

function config(dir: string, top: 'memory' | 'durable' = 'memory'): EngineConfig {
  const durable = [
    { name: 'flash', capacity: '100blocks', dir: join(dir, 'flash') },
    { name: 'disk', capacity: '1000blocks', dir: join(dir, 'disk') },
  ];
  return {
    blockBytes: BLOCK_BYTES,
    tiers: top === 'memory' ? [{ name: 'hbm', capacity: '4blocks' }, ...durable] : durable,
    onWarning: (message) => warnings.push(message),
  };
}

/** The stored header of a block put by the engine (default namespace, no parent). */
function storedHeader(key: string): Buffer {
  const bytes = payload(key);
  return headerOf({ key, parent: null, namespace: '', length: bytes.length, checksum: checksum(bytes) });
}

function offsetsOf(haystack: Buffer, needle: Uint8Array): number[] {
  const found: number[] = [];
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) found.push(at);
  return found;
}

/** A record of a segment file, walked with the documented layout (block-header.ts). */
interface SegmentRecord {
  key: string;
  offset: number;
  bytes: number;
  tombstone: boolean;
}

function segmentRecords(data: Buffer): SegmentRecord[] {
  const records: SegmentRecord[] = [];
  for (let offset = 0; offset + HEADER_BYTES <= data.length; ) {
    const length = data.readUInt32LE(offset + 8);
    const tombstone = (data.readUInt16LE(offset + 6) & 2) !== 0;
    records.push({ key: data.toString('hex', offset + 24, offset + 40), offset, bytes: HEADER_BYTES + length, tombstone });
    offset += HEADER_BYTES + length;
  }
  return records;
}

/** Where the pristine fill left each block: the live segment records and the flash keys. */
interface Layout {
  /** The segment file's name (the fill writes one segment). */
  segmentName: string;
  diskRecords: SegmentRecord[];
  flashKeys: string[];
}

async function layoutOf(dir: string): Promise<Layout> {
  const names = (await readdir(join(dir, 'disk'))).filter((n) => n.endsWith('.kvs'));
  expect(names).toHaveLength(1);
  const all = segmentRecords(await readFile(join(dir, 'disk', names[0]!)));
  const live = new Map<string, SegmentRecord>();
  for (const record of all) {
    if (record.tombstone) live.delete(record.key);
    else live.set(record.key, record);
  }
  const data = await readFile(join(dir, 'flash', 'data.mdb'));
  const flashKeys = keys.filter((key) => offsetsOf(data, storedHeader(key)).length > 0 && !live.has(key));
  return { segmentName: names[0]!, diskRecords: [...live.values()].sort((a, b) => a.offset - b.offset), flashKeys };
}

/** Opens the engine on `dir`, acquires every key one by one, closes; returns what was served and the counters. */
async function serveAll(dir: string, top: 'memory' | 'durable' = 'memory') {
  const cache = await KvCache.open(config(dir, top));
  const served = new Set<string>();
  const wrong: string[] = [];
  try {
    for (const key of keys) {
      const handle = await cache.acquire([key]);
      if (handle.length === 1) {
        if (isPayloadOf(key, handle.blocks[0]!, BLOCK_BYTES, VARIABLE)) served.add(key);
        else wrong.push(key);
        handle.release();
      }
    }
    // The engine keeps working after the damage: new blocks go in and come back out.
    const fresh = keyOf(`${LABEL}-fresh`, served.size);
    await cache.put(fresh, payload(fresh));
    const handle = await cache.acquire([fresh]);
    const freshOk = handle.length === 1 && isPayloadOf(fresh, handle.blocks[0]!, BLOCK_BYTES, VARIABLE);
    handle.release();
    const stats = cache.stats();
    const tier = (name: string) => stats.tiers.find((t) => t.name === name)!;
    return {
      served,
      wrong,
      freshOk,
      flashErrors: tier('flash').checksumErrors,
      diskErrors: tier('disk').checksumErrors,
      ioErrors: tier('flash').ioErrors + tier('disk').ioErrors,
    };
  } finally {
    await cache.close();
  }
}

function flipBit(data: Buffer, offset: number, bit: number): void {
  data[offset] = data[offset]! ^ (1 << bit);
}


describe('corruption of the durable tiers between runs', () => {
  let pristine: string;
  let layout: Layout;
  let work: string;
  let warn: ReturnType<typeof vi.spyOn>;

  beforeAll(async () => {
    pristine = await tempDir('kvtier-corruption-');
    const cache = await KvCache.open(config(pristine));
    for (const key of keys) await cache.put(key, payload(key));
    await cache.close();
    layout = await layoutOf(pristine);
    // 4 blocks were in hbm at close (lost by design); the rest are split between flash and disk.
    expect(layout.flashKeys.length).toBe(100);
    expect(layout.diskRecords.length).toBe(BLOCKS - 100 - 4);
  });

  afterAll(() => removeDir(pristine));

  beforeEach(async () => {
    work = await tempDir('kvtier-corruption-run-');
    await cp(pristine, work, { recursive: true });
    // Damaged blocks are reported once each, as engine warnings (or, from a tier left to its default
    // reporter, as a console.warn line): both are collected and counted instead of printed.
    warnings.length = 0;
    warn = vi.spyOn(console, 'warn').mockImplementation((message: unknown) => void warnings.push(String(message)));
  });

  afterEach(async () => {
    warn.mockRestore();
    await removeDir(work);
  });

  const segmentPath = (dir = work) => join(dir, 'disk', layout.segmentName);
  const durableKeys = () => new Set([...layout.flashKeys, ...layout.diskRecords.map((r) => r.key)]);

  it('serves every block of an undamaged copy (the baseline the damage tests compare with)', async () => {
    const result = await serveAll(work);
    expect(result.wrong).toEqual([]);
    expect(result.served).toEqual(durableKeys());
    expect([result.flashErrors, result.diskErrors, result.ioErrors]).toEqual([0, 0, 0]);
    expect(result.freshOk).toBe(true);
  });

  it('detects bit flips in LMDB values and segment payloads: each is a miss, counted and reported, the rest served', async () => {
    const seed = testSeed();
    const random = prng(seed);
    const pickSome = <T>(items: readonly T[], n: number): T[] => [...items].sort(() => random() - 0.5).slice(0, n);

    // flash: one flipped bit per damaged block, in its stored header or in its payload. Every copy is
    // hit, because LMDB is copy-on-write and stale copies of a value may linger in free pages.
    const mdbPath = join(work, 'flash', 'data.mdb');
    const mdb = await readFile(mdbPath);
    const damagedFlash = pickSome(layout.flashKeys, 15);
    damagedFlash.forEach((key, n) => {
      const inHeader = n % 2 === 0;
      const sites = inHeader ? offsetsOf(mdb, storedHeader(key)) : offsetsOf(mdb, payload(key));
      expect(sites.length, key).toBeGreaterThan(0);
      const delta = Math.floor(random() * (inHeader ? HEADER_BYTES : BLOCK_BYTES));
      const bit = Math.floor(random() * 8);
      for (const at of sites) flipBit(mdb, at + delta, bit);
    });
    await writeFile(mdbPath, mdb);

    // disk: payload flips in the first half of the segment (replay goes on past them).
    const segment = await readFile(segmentPath());
    const firstHalf = layout.diskRecords.slice(0, layout.diskRecords.length >> 1);
    const damagedDisk = pickSome(firstHalf, 12);
    for (const record of damagedDisk) {
      flipBit(segment, record.offset + HEADER_BYTES + Math.floor(random() * (record.bytes - HEADER_BYTES)), Math.floor(random() * 8));
    }
    // ... and one flipped header in the second half: the replay of the segment stops there, by design
    // (a damaged header cannot say where the next record starts), so the records after it are lost too.
    const cut = layout.diskRecords[(layout.diskRecords.length >> 1) + Math.floor(random() * (layout.diskRecords.length >> 2))]!;
    flipBit(segment, cut.offset + Math.floor(random() * HEADER_BYTES), Math.floor(random() * 8));
    await writeFile(segmentPath(), segment);
    const afterCut = new Set(layout.diskRecords.filter((r) => r.offset >= cut.offset).map((r) => r.key));

    const result = await serveAll(work);
    expect(result.wrong).toEqual([]);
    for (const key of [...damagedFlash, ...damagedDisk.map((r) => r.key), ...afterCut]) expect(result.served.has(key), key).toBe(false);
    const intact = [...durableKeys()].filter((k) => !damagedFlash.includes(k) && !damagedDisk.some((r) => r.key === k) && !afterCut.has(k));
    for (const key of intact) expect(result.served.has(key), key).toBe(true);
    // Counted and reported: every damaged block, no other block, and the region after the damaged header once.
    // (A damaged disk block read twice at once, e.g. by compaction and a promotion, may count twice.)
    expect(result.flashErrors, `seed ${seed}`).toBe(damagedFlash.length);
    expect(result.diskErrors, `seed ${seed}`).toBeGreaterThanOrEqual(damagedDisk.length + 1);
    const reported = new Set(warnings.map((m) => /dropped damaged block (\S+)/.exec(m)?.[1]).filter((k) => k !== undefined));
    expect(reported).toEqual(new Set([...damagedFlash, ...damagedDisk.map((r) => r.key), '(unknown']));
    expect(warnings.filter((m) => m.includes('(unknown key)'))).toHaveLength(1);
    expect(result.freshOk).toBe(true);
  });

  it('drops the records from a truncated segment tail on, counting the torn region once', async () => {
    const random = prng(testSeed());
    const torn = layout.diskRecords[Math.floor(random() * layout.diskRecords.length)]!;
    await truncate(segmentPath(), torn.offset + 1 + Math.floor(random() * (torn.bytes - 1)));
    const result = await serveAll(work);
    expect(result.wrong).toEqual([]);
    for (const record of layout.diskRecords) expect(result.served.has(record.key), record.key).toBe(record.offset < torn.offset);
    for (const key of layout.flashKeys) expect(result.served.has(key)).toBe(true);
    expect(result.diskErrors).toBe(1);
    expect(result.freshOk).toBe(true);
  });

  it.each([
    ['the LMDB files', ['flash/data.mdb', 'flash/lock.mdb']],
    ['the segment file', ['SEGMENT']],
    ['both tier directories', ['flash', 'disk']],
  ])('treats the blocks of deleted %s as misses and serves the rest', async (_what, paths) => {
    const removed = paths.map((p) => (p === 'SEGMENT' ? segmentPath() : join(work, p)));
    for (const path of removed) await rm(path, { recursive: true, force: true });
    const result = await serveAll(work);
    expect(result.wrong).toEqual([]);
    const flashGone = removed.some((p) => p.includes('flash'));
    const diskGone = removed.some((p) => p.includes('disk'));
    for (const key of layout.flashKeys) expect(result.served.has(key)).toBe(!flashGone);
    for (const record of layout.diskRecords) expect(result.served.has(record.key)).toBe(!diskGone);
    expect(result.freshOk).toBe(true);
  });

  it(`survives random flips, truncation, garbage and zeroed regions anywhere in the segment files (${ROUNDS} rounds)`, async () => {
    const random = prng(testSeed());
    const segment = await readFile(segmentPath(pristine));
    for (let round = 0; round < ROUNDS; round++) {
      await rm(join(work, 'disk'), { recursive: true, force: true });
      await cp(join(pristine, 'disk'), join(work, 'disk'), { recursive: true });
      const damaged = Buffer.from(segment);
      let length = damaged.length;
      const flips = Math.floor(random() * 20);
      for (let f = 0; f < flips; f++) flipBit(damaged, Math.floor(random() * length), Math.floor(random() * 8));
      if (random() < 0.3) damaged.fill(0, Math.floor(random() * length), Math.floor(random() * length));
      if (random() < 0.3) length = Math.floor(random() * length);
      const tail = random() < 0.3 ? Buffer.from(Array.from({ length: Math.floor(random() * 2000) }, () => Math.floor(random() * 256))) : Buffer.alloc(0);
      await writeFile(segmentPath(), Buffer.concat([damaged.subarray(0, length), tail]));
      const changed = !damaged.subarray(0, length).equals(segment.subarray(0, length)) || length < segment.length || tail.length > 0;

      const result = await serveAll(work);
      expect(result.wrong, `round ${round}`).toEqual([]);
      const lost = layout.diskRecords.filter((r) => !result.served.has(r.key));
      // A lost disk block is always accounted for: some damage was counted, and only when the file changed.
      if (lost.length > 0) {
        expect(changed, `round ${round}`).toBe(true);
        expect(result.diskErrors + result.ioErrors, `round ${round}`).toBeGreaterThan(0);
      }
      for (const key of layout.flashKeys) expect(result.served.has(key), `round ${round}`).toBe(true);
      expect(result.freshOk).toBe(true);
      await rm(join(work, 'flash'), { recursive: true, force: true });
      await cp(join(pristine, 'flash'), join(work, 'flash'), { recursive: true });
    }
  });

  it('never serves wrong bytes, and rarely crashes, after random flips anywhere in the LMDB data file (child processes)', async () => {
    // Flips outside the values can break LMDB's own page structure, which LMDB does not checksum and
    // which can crash it. The flash tier checks an existing environment in a child process before
    // opening it (lmdb-check.ts) and sets a damaged one aside. So the engine serves what verifies, or
    // starts the tier empty, or refuses to open with ERR_IO; never a wrong byte. Each run is still a
    // child process, so that a crash cannot kill the runner.
    const seed = testSeed();
    const random = prng(seed);
    const outcomes = { served: 0, refused: 0, crashed: 0 };
    let lastCrash = '';
    // Undamaged, the child serves every durable block: it runs the same engine as this suite (dist/ is current).
    const baseline = serveInChild(work);
    expect(baseline.status, baseline.stderr).toBe(0);
    expect(baseline.served).toBe(durableKeys().size);
    const pristineMdb = await readFile(join(pristine, 'flash', 'data.mdb'));
    for (let round = 0; round < LMDB_ROUNDS; round++) {
      const damaged = Buffer.from(pristineMdb);
      for (let f = 0; f < 20; f++) flipBit(damaged, Math.floor(random() * damaged.length), Math.floor(random() * 8));
      await writeFile(join(work, 'flash', 'data.mdb'), damaged);
      const run = serveInChild(work);
      expect(run.wrong, `seed ${seed} (KVTIER_TEST_SEED), round ${round}: ${run.stderr}`).toBe(0);
      if (run.signal !== null) {
        outcomes.crashed++;
        lastCrash = `round ${round}: ${run.signal}: ${run.stderr.slice(-500)}`;
      } else if (run.refused !== null) {
        expect(run.refused).toMatch(/^KvtierError ERR_IO /);
        outcomes.refused++;
      } else {
        expect(run.status, run.stderr).toBe(0);
        outcomes.served++;
      }
    }
    expect(outcomes.served + outcomes.refused + outcomes.crashed).toBe(LMDB_ROUNDS);
    // The integrity check on open sets aside what crashes LMDB when read (all 7 crashes of a 60-round
    // exploration); a rare crash remains, where the tier's own writes (demotions, removals of damaged
    // entries) take pages from a damaged free list. Reported, not failed: see RELIABILITY.md.
    if (outcomes.crashed > 0) console.warn(`seed ${seed}: ${outcomes.crashed} of ${LMDB_ROUNDS} rounds crashed; ${lastCrash}`);
    expect(outcomes.crashed).toBeLessThan(LMDB_ROUNDS / 4);
  });

  it('reopened with a smaller block size, never serves an oversized block and keeps working', async () => {
    const small = { ...config(work), blockBytes: 64 };
    const cache = await KvCache.open(small);
    try {
      for (const key of keys) {
        const pin = await cache.acquire([key]);
        for (const bytes of pin.blocks) expect(bytes.length).toBeLessThanOrEqual(64);
        pin.release();
      }
      const fresh = keyOf(`${LABEL}-small`, 0);
      const bytes = payloadOf(fresh, 64, false);
      await cache.put(fresh, bytes);
      const pin = await cache.acquire([fresh]);
      expect(pin.length).toBe(1);
      expect(Buffer.from(pin.blocks[0]!).equals(Buffer.from(bytes))).toBe(true);
      pin.release();
    } finally {
      await cache.close();
    }
  });

  // LMDB maps data.mdb and trusts its own meta pages: a file cut below its last used page would make
  // the first read past the end fault (SIGBUS). The flash tier's check on open sets a short file
  // aside instead of touching it (and, with the check off, it compares the file size with the meta
  // page's last page number).
  it('survives a truncated LMDB data file (a miss for every flash block, no crash)', async () => {
    const mdbPath = join(work, 'flash', 'data.mdb');
    const size = (await readFile(mdbPath)).length;
    await truncate(mdbPath, Math.floor(size / 2));
    const run = serveInChild(work);
    expect(run.signal, run.stderr).toBe(null);
    expect(run.status, run.stderr).toBe(0);
    expect(run.wrong).toBe(0);
  });

  // A durable top tier: a damaged block must be a miss like anywhere else. (acquire() used to reject
  // with ERR_CHECKSUM here, leaving the block pinned and indexed: found by this test, fixed in engine.ts.)
  it('treats a damaged block of a durable top tier as a miss (no rejection, no leaked pin)', async () => {
    const mdbPath = join(work, 'flash', 'data.mdb');
    const mdb = await readFile(mdbPath);
    const victim = layout.flashKeys[0]!;
    for (const at of offsetsOf(mdb, payload(victim))) flipBit(mdb, at + 7, 3);
    await writeFile(mdbPath, mdb);
    const cache = await KvCache.open(config(work, 'durable'));
    try {
      const handle = await cache.acquire([victim, layout.flashKeys[1]!]);
      expect(handle.length).toBe(0);
      handle.release();
      expect(cache.lookup([victim]).prefixBlocks).toBe(0);
      const next = await cache.acquire([layout.flashKeys[1]!]);
      expect(next.length).toBe(1);
      expect(isPayloadOf(layout.flashKeys[1]!, next.blocks[0]!, BLOCK_BYTES, VARIABLE)).toBe(true);
      next.release();
      expect(cache.stats().tiers[0]!.checksumErrors).toBe(1);
      expect(cache.stats().pins.acquired).toBe(cache.stats().pins.released);
    } finally {
      await cache.close();
    }
  });
});

/** What a child process serving every block reported. */
interface ChildRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  wrong: number;
  /** Blocks served byte-exact, or -1 when the engine refused to open. */
  served: number;
  /** "KvtierError ERR_IO ..." when the engine refused to open. */
  refused: string | null;
  stderr: string;
}

/** Serves every block from `dir` over the built engine in a child process: a native crash there cannot take the test down. */
function serveInChild(dir: string): ChildRun {
  const engine = pathToFileURL(join(ROOT, 'dist', 'src', 'engine', 'engine.js')).href;
  const blocks = pathToFileURL(join(ROOT, 'test', 'reliability', 'fixtures', 'blocks.mjs')).href;
  const script = `
    const { KvCache } = await import(${JSON.stringify(engine)});
    const { keyOf, isPayloadOf } = await import(${JSON.stringify(blocks)});
    console.warn = () => {};
    const cfg = ${JSON.stringify(config(dir))};
    let cache;
    try {
      cache = await KvCache.open({ ...cfg, onWarning: () => {} });
    } catch (error) {
      // A refusal to open is a clean outcome when it is a KvtierError saying why.
      process.stdout.write('REFUSED ' + error.name + ' ' + error.code + ' ' + String(error.message).split('\\n')[0] + '\\n');
      process.exit(0);
    }
    let wrong = 0;
    let served = 0;
    for (let i = 0; i < ${BLOCKS}; i++) {
      const key = keyOf(${JSON.stringify(LABEL)}, i);
      const handle = await cache.acquire([key]);
      if (handle.length === 1) {
        if (!isPayloadOf(key, handle.blocks[0], ${BLOCK_BYTES}, ${VARIABLE})) { wrong++; process.stdout.write('WRONG ' + key + '\\n'); }
        else served++;
        handle.release();
      }
    }
    await cache.close();
    process.stdout.write('SERVED ' + served + '\\n');
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  return {
    status: run.status,
    signal: run.signal,
    wrong: (run.stdout.match(/^WRONG /gm) ?? []).length,
    served: Number(/^SERVED (\d+)$/m.exec(run.stdout)?.[1] ?? -1),
    refused: /^REFUSED (.*)$/m.exec(run.stdout)?.[1] ?? null,
    stderr: run.stderr.slice(0, 2000),
  };
}
