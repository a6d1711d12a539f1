/**
 * A whole trace in compact typed arrays (column per field, block ids renumbered densely), the form
 * the replay driver consumes at tens of millions of block references a second; and its builder.
 */
import { resized } from '../memory/resized.js';
import { IdColumn } from './id-column.js';
import { IdInterner } from './id-interner.js';
import type { TraceRequest, TraceWarning } from './request.js';

/** At most this many warnings are kept in `LoadedTrace.warnings`; `warningCount` counts them all. */
export const MAX_KEPT_WARNINGS = 1000;

/** Request i owns ids[offsets[i] .. offsets[i + 1]). */
export interface LoadedTrace {
  /** Registry name of the source format. */
  readonly format: string;
  /** Source file. */
  readonly file: string;
  /** Tokens per block. */
  readonly blockTokens: number;
  readonly requestCount: number;
  /** Block references of all requests (ids.length). */
  readonly blockRefCount: number;
  /** Distinct blocks; dense ids are 0 .. uniqueBlocks − 1, numbered in order of first reference. */
  readonly uniqueBlocks: number;
  /** Arrival times, ms. */
  readonly timestamps: Float64Array;
  readonly inputLengths: Float64Array;
  readonly outputLengths: Float64Array;
  /** 1-based source line of each request. */
  readonly lines: Float64Array;
  /** requestCount + 1 offsets into `ids`. */
  readonly offsets: Uint32Array;
  /** Dense block ids of every request, concatenated. */
  readonly ids: Int32Array;
  /** Dense session index of each request (0 .. sessionCount − 1), or null when the format has no sessions. */
  readonly sessions: Int32Array | null;
  readonly sessionCount: number;
  /** The first `MAX_KEPT_WARNINGS` warnings. */
  readonly warnings: readonly TraceWarning[];
  /** All warnings, kept or not. */
  readonly warningCount: number;
}

/** Headroom over an estimate from part of a file, so a slightly low estimate does not end in one more doubling. */
const PRESIZE_MARGIN = 1.05;

/** Accumulates requests into growing typed arrays. */
export class LoadedTraceBuilder {
  /** Block ids of the requests added so far; byte-level loaders write a request's ids here in place, then `addWritten`. */
  readonly idColumn: IdColumn;
  private count = 0;
  private timestamps = new Float64Array(1024);
  private inputLengths = new Float64Array(1024);
  private outputLengths = new Float64Array(1024);
  private lines = new Float64Array(1024);
  /** Session index per request, allocated by the first `setSession` (most formats have none). */
  private sessions: Int32Array | null = null;
  private offsets = new Uint32Array(1025);
  private readonly sessionIndex = new Map<string, number>();
  private readonly warnings: TraceWarning[] = [];
  private warningCount = 0;

  constructor(
    private readonly format: string,
    private readonly file: string,
    private readonly blockTokens: number,
  ) {
    this.idColumn = new IdColumn(file);
  }

  /** Appends a request whose `idCount` dense ids are the first elements of `ids`. */
  add(timestamp: number, inputLength: number, outputLength: number, line: number, ids: ArrayLike<number>, idCount: number): void {
    this.idColumn.append(ids, idCount);
    this.record(timestamp, inputLength, outputLength, line);
  }

  /** Appends a request whose `idCount` dense ids were written into `idColumn` past its committed length. */
  addWritten(timestamp: number, inputLength: number, outputLength: number, line: number, idCount: number): void {
    this.idColumn.commit(idCount);
    this.record(timestamp, inputLength, outputLength, line);
  }

  private record(timestamp: number, inputLength: number, outputLength: number, line: number): void {
    const i = this.count;
    if (i === this.timestamps.length) this.growRequests();
    this.timestamps[i] = timestamp;
    this.inputLengths[i] = inputLength;
    this.outputLengths[i] = outputLength;
    this.lines[i] = line;
    if (this.sessions !== null) this.sessions[i] = -1;
    this.count = i + 1;
    this.offsets[i + 1] = this.idColumn.length;
  }

  /**
   * Makes room for `scale` times the requests and ids added so far, for a loader that has read
   * 1/scale of its file: the columns then take the rest without being regrown and copied.
   */
  presize(scale: number): void {
    const requests = Math.ceil(this.count * scale * PRESIZE_MARGIN);
    if (requests > this.timestamps.length) this.resizeRequests(requests);
    this.idColumn.presize(Math.ceil(this.idColumn.length * scale * PRESIZE_MARGIN));
  }

  /** Tags the request added last with a session. */
  setSession(sessionId: string): void {
    let index = this.sessionIndex.get(sessionId);
    if (index === undefined) {
      index = this.sessionIndex.size;
      this.sessionIndex.set(sessionId, index);
    }
    this.sessions ??= new Int32Array(this.timestamps.length).fill(-1);
    this.sessions[this.count - 1] = index;
  }

  warn(warning: TraceWarning): void {
    if (this.warnings.length < MAX_KEPT_WARNINGS) this.warnings.push(warning);
    this.warningCount++;
  }

  /** The finished trace; arrays with much slack are copied to their exact length. */
  finish(uniqueBlocks: number): LoadedTrace {
    const n = this.count;
    return {
      format: this.format,
      file: this.file,
      blockTokens: this.blockTokens,
      requestCount: n,
      blockRefCount: this.idColumn.length,
      uniqueBlocks,
      timestamps: fit(this.timestamps, n),
      inputLengths: fit(this.inputLengths, n),
      outputLengths: fit(this.outputLengths, n),
      lines: fit(this.lines, n),
      offsets: fit(this.offsets, n + 1),
      ids: fit(this.idColumn.array, this.idColumn.length),
      sessions: this.sessions === null ? null : fit(this.sessions, n),
      sessionCount: this.sessionIndex.size,
      warnings: this.warnings,
      warningCount: this.warningCount,
    };
  }

  private growRequests(): void {
    this.resizeRequests(this.timestamps.length * 2);
  }

  private resizeRequests(length: number): void {
    this.timestamps = resized(this.timestamps, length);
    this.inputLengths = resized(this.inputLengths, length);
    this.outputLengths = resized(this.outputLengths, length);
    this.lines = resized(this.lines, length);
    if (this.sessions !== null) this.sessions = resized(this.sessions, length);
    this.offsets = resized(this.offsets, length + 1);
  }
}

type NumberArray = Float64Array | Int32Array | Uint32Array;

/** A view when the slack is small, else an exact copy (so a big trace does not keep half its arrays empty). */
function fit<T extends NumberArray>(array: T, length: number): T {
  return (array.length - length > array.length / 8 ? array.slice(0, length) : array.subarray(0, length)) as T;
}

/**
 * Loads requests from any iterable into `builder` (ids interned densely, sessions indexed). Formats
 * with a byte-level loader (Mooncake, Qwen-Bailian) fill their builder directly instead.
 */
export async function loadFromRequests(requests: AsyncIterable<TraceRequest>, builder: LoadedTraceBuilder): Promise<LoadedTrace> {
  const interner = new IdInterner();
  let dense = new Int32Array(1024);
  for await (const request of requests) {
    const ids = request.hashIds;
    if (ids.length > dense.length) dense = new Int32Array(Math.max(ids.length, dense.length * 2));
    for (let k = 0; k < ids.length; k++) dense[k] = interner.number(ids[k]!);
    builder.add(request.timestamp, request.inputLength, request.outputLength, request.line, dense, ids.length);
    if (request.sessionId !== undefined) builder.setSession(request.sessionId);
  }
  return builder.finish(interner.size);
}
