/**
 * Statistics of a trace, as a plain object (the CLI prints it): volume, reuse, the best hit ratio
 * any cache could reach under replay's longest-prefix rule, and reuse-distance percentiles.
 * Streams any reader in one pass; memory grows with the distinct blocks, not the references.
 */
import { IdInterner } from './id-interner.js';
import type { LoadedTrace } from './loaded-trace.js';
import type { TraceReader } from './request.js';
import { DistanceHistogram, ReuseDistanceTracker } from './reuse-distance.js';

/** Reuse distances: distinct blocks referenced between two references to the same block. */
export interface ReuseDistanceStats {
  /** References that are not a block's first (the ones with a distance). */
  reuses: number;
  /** Nearest-rank percentiles; null without reuses. Exact below 65,536, within 0.1 % above. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

/** What an unbounded cache would hit, with replay's rules: a request hits the longest prefix of its blocks seen before. */
export interface InfiniteCacheStats {
  hitBlocks: number;
  /** hitBlocks / totalBlocks. */
  blockHitRatio: number;
  /** Hit tokens: `blockTokens` a block, except a request's last block, which counts input_length − blockTokens × (n − 1). */
  hitTokens: number;
  /** hitTokens / inputTokens. */
  tokenHitRatio: number;
}

/** Statistics of one trace. Ratios are 0 when their denominator is. */
export interface TraceStats {
  format: string;
  file: string;
  blockTokens: number;
  requests: number;
  /** Earliest and latest arrival, ms; null for an empty trace. */
  firstTimestampMs: number | null;
  lastTimestampMs: number | null;
  /** lastTimestampMs − firstTimestampMs. */
  durationMs: number;
  /** Distinct sessions, or null when the format has none. */
  sessions: number | null;
  inputTokens: number;
  outputTokens: number;
  /** Block references of all requests. */
  totalBlocks: number;
  uniqueBlocks: number;
  /** 1 − uniqueBlocks / totalBlocks. */
  reuseRatio: number;
  infiniteCache: InfiniteCacheStats;
  reuseDistance: ReuseDistanceStats;
}

/** Folds requests (with dense ids) into the statistics. */
class StatsAccumulator {
  private requests = 0;
  private first = Number.POSITIVE_INFINITY;
  private last = Number.NEGATIVE_INFINITY;
  private inputTokens = 0;
  private outputTokens = 0;
  private totalBlocks = 0;
  private hitBlocks = 0;
  private hitTokens = 0;
  private readonly sessions = new Set<string | number>();
  private readonly tracker = new ReuseDistanceTracker();
  private readonly histogram = new DistanceHistogram();
  private seen: Uint8Array = new Uint8Array(1024);

  constructor(private readonly blockTokens: number) {}

  add(timestamp: number, inputLength: number, outputLength: number, ids: ArrayLike<number>, start: number, end: number): void {
    this.requests++;
    if (timestamp < this.first) this.first = timestamp;
    if (timestamp > this.last) this.last = timestamp;
    this.inputTokens += inputLength;
    this.outputTokens += outputLength;
    const n = end - start;
    this.totalBlocks += n;

    let seen = this.seen;
    let hits = 0;
    while (hits < n && ids[start + hits]! < seen.length && seen[ids[start + hits]!] === 1) hits++;
    this.hitBlocks += hits;
    if (hits > 0) this.hitTokens += hits === n ? Math.max(0, inputLength) : hits * this.blockTokens;

    for (let k = start; k < end; k++) {
      const id = ids[k]!;
      const distance = this.tracker.access(id);
      if (distance >= 0) this.histogram.add(distance);
      if (id >= seen.length) seen = this.growSeen(id);
      seen[id] = 1;
    }
  }

  session(id: string | number): void {
    this.sessions.add(id);
  }

  finish(format: string, file: string, hasSessions: boolean): TraceStats {
    const unique = this.tracker.distinctBlocks;
    const histogram = this.histogram;
    const percentile = (q: number): number | null => (histogram.count === 0 ? null : histogram.percentile(q));
    const empty = this.requests === 0;
    return {
      format,
      file,
      blockTokens: this.blockTokens,
      requests: this.requests,
      firstTimestampMs: empty ? null : this.first,
      lastTimestampMs: empty ? null : this.last,
      durationMs: empty ? 0 : this.last - this.first,
      sessions: hasSessions ? this.sessions.size : null,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      totalBlocks: this.totalBlocks,
      uniqueBlocks: unique,
      reuseRatio: ratio(this.totalBlocks - unique, this.totalBlocks),
      infiniteCache: {
        hitBlocks: this.hitBlocks,
        blockHitRatio: ratio(this.hitBlocks, this.totalBlocks),
        hitTokens: this.hitTokens,
        tokenHitRatio: ratio(this.hitTokens, this.inputTokens),
      },
      reuseDistance: {
        reuses: histogram.count,
        p50: percentile(0.5),
        p90: percentile(0.9),
        p99: percentile(0.99),
        max: histogram.count === 0 ? null : histogram.max,
      },
    };
  }

  private growSeen(id: number): Uint8Array {
    let length = this.seen.length * 2;
    while (length <= id) length *= 2;
    const bigger = new Uint8Array(length);
    bigger.set(this.seen);
    this.seen = bigger;
    return bigger;
  }
}

function ratio(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}

/** Statistics of a trace read from any reader, in one streaming pass. */
export async function traceStats(reader: TraceReader): Promise<TraceStats> {
  const stats = new StatsAccumulator(reader.blockTokens);
  const interner = new IdInterner();
  let dense = new Int32Array(1024);
  let hasSessions = false;
  for await (const request of reader) {
    const ids = request.hashIds;
    if (ids.length > dense.length) dense = new Int32Array(Math.max(ids.length, dense.length * 2));
    for (let k = 0; k < ids.length; k++) dense[k] = interner.number(ids[k]!);
    stats.add(request.timestamp, request.inputLength, request.outputLength, dense, 0, ids.length);
    if (request.sessionId !== undefined) {
      stats.session(request.sessionId);
      hasSessions = true;
    }
  }
  return stats.finish(reader.format, reader.path, hasSessions);
}

/** Statistics of a trace already loaded into typed arrays (same numbers as `traceStats`, faster). */
export function loadedTraceStats(trace: LoadedTrace): TraceStats {
  const stats = new StatsAccumulator(trace.blockTokens);
  const { offsets, ids, sessions } = trace;
  for (let i = 0; i < trace.requestCount; i++) {
    stats.add(trace.timestamps[i]!, trace.inputLengths[i]!, trace.outputLengths[i]!, ids, offsets[i]!, offsets[i + 1]!);
    if (sessions !== null) stats.session(sessions[i]!);
  }
  return stats.finish(trace.format, trace.file, sessions !== null);
}
