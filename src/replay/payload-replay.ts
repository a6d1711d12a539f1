/**
 * Replay with real payloads (`--payload bytes=N`): every block carries N real bytes through the
 * embedded engine — arenas and the addon for the memory tiers, LMDB for flash, files for disk —
 * while the timing model still uses the true block size. It runs the same control plane as the
 * metadata replay, so the hit counts are identical; what it adds is the real data path, measured
 * wall time, and a byte-for-byte check of every block served.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvCache } from '../engine/engine.js';
import { ErrorCode, KvtierError } from '../errors.js';
import type { BlockKey } from '../tiers/tier.js';
import { prepareReplay, replayExtras, timeRequest, type ReplayOptions } from './replay.js';
import { blockTokenCount } from './replay-trace.js';
import { ReplayStatsCollector } from './replay-stats.js';
import type { ReplayResult } from './result.js';

const DURABLE = new Set(['flash', 'disk']);

/** `none` → null (metadata only); `bytes=N` → N. */
export function parsePayload(mode: string): number | null {
  if (mode === 'none') return null;
  const match = /^bytes=(\d+)$/.exec(mode);
  const bytes = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 16) {
    throw new KvtierError(ErrorCode.CONFIG, `expected --payload none or bytes=N with N ≥ 16, got "${mode}"`);
  }
  return bytes;
}

/** The block key replay uses for a trace's dense block id. */
export function replayKey(id: number): BlockKey {
  return id.toString(16).padStart(32, '0');
}

/** Fills `out` with bytes derived from the block id, so any block served can be checked. */
export function fillPayload(id: number, out: Uint8Array): Uint8Array {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let x = (id * 2654435761) >>> 0 || 1;
  const words = out.byteLength >> 2;
  for (let i = 0; i < words; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    view.setUint32(i * 4, x >>> 0, true);
  }
  for (let i = words * 4; i < out.byteLength; i++) out[i] = id & 0xff;
  return out;
}

/** Replays with `payloadBytes` real bytes per block through the real tiers. */
export async function replayWithPayload(options: ReplayOptions, payloadBytes: number): Promise<ReplayResult> {
  const started = performance.now();
  const trace = options.trace;
  const setup = prepareReplay(options);
  const scratch = await mkdtemp(join(tmpdir(), 'kvtier-replay-'));
  const cache = await KvCache.open({
    model: setup.model,
    blockTokens: setup.blockTokens,
    blockBytes: payloadBytes,
    writePolicy: options.writePolicy ?? 'write-back',
    promotion: options.promotion ?? 'exclusive',
    seed: options.seed ?? 1,
    tiers: setup.tiers.map((tier, i) => ({
      name: tier.name,
      capacity: `${tier.capacityBlocks}blocks`,
      policy: tier.policy,
      device: tier.device,
      ...(DURABLE.has(tier.name) ? { dir: tier.dir ?? join(scratch, `${i}-${tier.name}`) } : {}),
      ...(options.tiers[i]!.policyOptions ? { policyOptions: options.tiers[i]!.policyOptions } : {}),
    })),
  });
  const stats = new ReplayStatsCollector(setup.tiers.length, options.ttftSamples ?? 10_000, trace.requestCount);
  const tierIndex = new Map(setup.tiers.map((t, i) => [t.name, i]));
  const block = new Uint8Array(payloadBytes);
  const expected = new Uint8Array(payloadBytes);
  let mismatches = 0;
  try {
    for (let r = 0; r < trace.requestCount; r++) {
      const nowSec = trace.timestamps[r]! / 1000;
      const start = trace.offsets[r]!;
      const end = trace.offsets[r + 1]!;
      const n = end - start;
      const input = trace.inputLengths[r]!;
      const keys = Array.from(trace.ids.subarray(start, end), replayKey);
      const before = cache.stats().tiers;

      const found = cache.lookup(keys);
      const loads = new Float64Array(setup.tiers.length);
      let hitTokens = 0;
      found.tiers.forEach((name, i) => {
        const tier = tierIndex.get(name)!;
        const tokens = blockTokenCount(i, n, input, setup.blockTokens);
        stats.hit(tier, tokens);
        hitTokens += tokens;
        loads[tier]!++;
      });
      stats.request(n, input);

      // Accesses, first to last, as in the metadata replay: a cached block is acquired (touched,
      // promoted, its bytes checked), a missing one is put. One block at a time, so a request
      // longer than the top tier never needs all its blocks pinned at once.
      for (let i = 0; i < n; i++) {
        const id = trace.ids[start + i]!;
        const handle = await cache.acquire([keys[i]!]);
        if (handle.length > 0) {
          stats.independentHit();
          if (!equalBytes(handle.blocks[0]!, fillPayload(id, expected))) mismatches++;
          handle.release();
        } else {
          await cache.put(keys[i]!, fillPayload(id, block), { parent: i > 0 ? keys[i - 1]! : null });
        }
      }

      let loadDoneSec = nowSec;
      for (let tier = 1; tier < loads.length; tier++) {
        if (loads[tier]! > 0) loadDoneSec = Math.max(loadDoneSec, setup.queues.transfer(tier, 0, loads[tier]! * setup.blockBytes, nowSec));
      }
      const after = cache.stats().tiers;
      for (let tier = 1; tier < after.length; tier++) {
        const demoted = after[tier]!.demotionsIn - before[tier]!.demotionsIn;
        if (demoted > 0) setup.queues.transfer(tier - 1, tier, demoted * setup.blockBytes, nowSec);
      }
      timeRequest(setup, stats, input, hitTokens, loadDoneSec - nowSec);
      stats.sampleOccupancy(nowSec, Int32Array.from(after, (t) => t.usedBlocks));
      if (options.onProgress && r % 256 === 0) options.onProgress(r, trace.requestCount);
    }
    options.onProgress?.(trace.requestCount, trace.requestCount);
    if (mismatches > 0) {
      throw new KvtierError(ErrorCode.CHECKSUM, `${mismatches} blocks served with bytes that differ from what was stored`);
    }
    const engineStats = cache.stats();
    return stats.result({
      ...replayExtras(options, setup, `bytes=${payloadBytes}`),
      tiers: setup.tiers,
      links: setup.links,
      counters: engineStats.tiers,
      queues: setup.queues,
      blockBytes: setup.blockBytes,
      gpu: setup.gpu,
      wallSec: (performance.now() - started) / 1000,
    });
  } finally {
    await cache.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
