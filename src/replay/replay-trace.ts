/** The compact, columnar form of a trace that replay consumes, and the per-request token rule. */

/**
 * A whole trace in typed arrays. Request r's blocks are `ids[offsets[r] .. offsets[r + 1])`,
 * first block first; ids are dense (0 .. uniqueBlocks − 1), so the control plane can index
 * typed arrays with them directly.
 */
export interface ReplayTrace {
  readonly requestCount: number;
  /** Arrival times, milliseconds. */
  readonly timestamps: ArrayLike<number>;
  readonly inputLengths: ArrayLike<number>;
  readonly outputLengths: ArrayLike<number>;
  /** requestCount + 1 offsets into `ids`. */
  readonly offsets: ArrayLike<number>;
  readonly ids: Int32Array;
  readonly uniqueBlocks: number;
  /** Tokens per block of the trace. */
  readonly blockTokens: number;
}

/**
 * Tokens of block `index` of a request with `blocks` blocks and `inputLength` input tokens:
 * `blockTokens`, except the last block, which counts `inputLength − blockTokens × (blocks − 1)`
 * (DESIGN.md section 4, rule 4).
 */
export function blockTokenCount(index: number, blocks: number, inputLength: number, blockTokens: number): number {
  return index === blocks - 1 ? inputLength - blockTokens * (blocks - 1) : blockTokens;
}

/** Total block references of a trace. */
export function totalRefs(trace: ReplayTrace): number {
  return trace.offsets[trace.requestCount]! - trace.offsets[0]!;
}

/**
 * A copy of the trace's columns in SharedArrayBuffers: posted to worker threads it is shared, not
 * copied, so a sweep parses the file once and every worker replays the same memory.
 */
export function shareTrace(trace: ReplayTrace): ReplayTrace {
  const share = <T extends Float64Array | Uint32Array | Int32Array>(
    make: new (buffer: SharedArrayBuffer) => T,
    bytesPerElement: number,
    source: ArrayLike<number>,
  ): T => {
    const shared = new make(new SharedArrayBuffer(Math.max(1, source.length) * bytesPerElement));
    if (ArrayBuffer.isView(source)) shared.set(source as unknown as ArrayLike<number>);
    else for (let i = 0; i < source.length; i++) shared[i] = source[i]!;
    return shared;
  };
  return {
    requestCount: trace.requestCount,
    timestamps: share(Float64Array, 8, trace.timestamps),
    inputLengths: share(Float64Array, 8, trace.inputLengths),
    outputLengths: share(Float64Array, 8, trace.outputLengths),
    offsets: share(Uint32Array, 4, trace.offsets),
    ids: share(Int32Array, 4, trace.ids),
    uniqueBlocks: trace.uniqueBlocks,
    blockTokens: trace.blockTokens,
  };
}
