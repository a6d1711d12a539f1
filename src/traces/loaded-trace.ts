/**
 * A whole trace in compact typed arrays (column per field, block ids renumbered densely), the form
 * the replay driver consumes at tens of millions of block references a second; and its builder.
 */
import { ErrorCode, KvtierError } from '../errors.js';
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

const MAX_REFS = 0xffffffff;
/** Ids per chunk once a trace is large; the first chunks are smaller, so a tiny trace does not allocate 4 MiB. */
const ID_CHUNK = 1 << 20;
const FIRST_ID_CHUNK = 1 << 12;

/** Accumulates requests into growing typed arrays. */
export class LoadedTraceBuilder {
  private count = 0;
  private refs = 0;
  private timestamps = new Float64Array(1024);
  private inputLengths = new Float64Array(1024);
  private outputLengths = new Float64Array(1024);
  private lines = new Float64Array(1024);
  private sessions = new Int32Array(1024);
  private offsets = new Uint32Array(1025);
  /** Ids in fixed-size chunks, concatenated once by `finish`: no over-allocation, no repeated copying. */
  private readonly idChunks: Int32Array[] = [];
  private chunk = new Int32Array(FIRST_ID_CHUNK);
  private chunkFill = 0;
  private hasSessions = false;
  private readonly sessionIndex = new Map<string, number>();
  private readonly warnings: TraceWarning[] = [];
  private warningCount = 0;

  constructor(
    private readonly format: string,
    private readonly file: string,
    private readonly blockTokens: number,
  ) {}

  /** Appends a request whose `idCount` dense ids are the first elements of `ids`. */
  add(timestamp: number, inputLength: number, outputLength: number, line: number, ids: ArrayLike<number>, idCount: number): void {
    const i = this.count;
    if (i === this.timestamps.length) this.growRequests();
    this.timestamps[i] = timestamp;
    this.inputLengths[i] = inputLength;
    this.outputLengths[i] = outputLength;
    this.lines[i] = line;
    this.sessions[i] = -1;
    const start = this.refs;
    const end = start + idCount;
    if (end > MAX_REFS) {
      throw new KvtierError(ErrorCode.INVALID_ARGUMENT, `${this.file}: more than ${MAX_REFS} block references do not fit one loaded trace`);
    }
    let k = 0;
    while (k < idCount) {
      if (this.chunkFill === this.chunk.length) {
        this.idChunks.push(this.chunk);
        this.chunk = new Int32Array(Math.min(ID_CHUNK, this.chunk.length * 2));
        this.chunkFill = 0;
      }
      const take = Math.min(idCount - k, this.chunk.length - this.chunkFill);
      const chunk = this.chunk;
      const fill = this.chunkFill;
      if (take > 64 && (ids instanceof Float64Array || ids instanceof Int32Array)) {
        chunk.set(ids.subarray(k, k + take), fill);
      } else {
        for (let j = 0; j < take; j++) chunk[fill + j] = ids[k + j]!;
      }
      this.chunkFill = fill + take;
      k += take;
    }
    this.refs = end;
    this.count = i + 1;
    this.offsets[i + 1] = end;
  }

  /** Tags the request added last with a session. */
  setSession(sessionId: string): void {
    let index = this.sessionIndex.get(sessionId);
    if (index === undefined) {
      index = this.sessionIndex.size;
      this.sessionIndex.set(sessionId, index);
    }
    this.sessions[this.count - 1] = index;
    this.hasSessions = true;
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
      blockRefCount: this.refs,
      uniqueBlocks,
      timestamps: fit(this.timestamps, n),
      inputLengths: fit(this.inputLengths, n),
      outputLengths: fit(this.outputLengths, n),
      lines: fit(this.lines, n),
      offsets: fit(this.offsets, n + 1),
      ids: this.concatIds(),
      sessions: this.hasSessions ? fit(this.sessions, n) : null,
      sessionCount: this.sessionIndex.size,
      warnings: this.warnings,
      warningCount: this.warningCount,
    };
  }

  private growRequests(): void {
    const length = Math.ceil(this.timestamps.length * 1.5);
    this.timestamps = grown(this.timestamps, length);
    this.inputLengths = grown(this.inputLengths, length);
    this.outputLengths = grown(this.outputLengths, length);
    this.lines = grown(this.lines, length);
    this.sessions = grown(this.sessions, length);
    this.offsets = grown(this.offsets, length + 1);
  }

  private concatIds(): Int32Array {
    if (this.idChunks.length === 0) return this.chunk.slice(0, this.chunkFill);
    const ids = new Int32Array(this.refs);
    let at = 0;
    for (const chunk of this.idChunks) {
      ids.set(chunk, at);
      at += chunk.length;
    }
    ids.set(this.chunk.subarray(0, this.chunkFill), at);
    return ids;
  }
}

type NumberArray = Float64Array | Int32Array | Uint32Array;

function grown<T extends NumberArray>(array: T, length: number): T {
  const bigger = new (array.constructor as new (length: number) => T)(length);
  bigger.set(array);
  return bigger;
}

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
