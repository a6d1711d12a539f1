/** The request every trace reader yields, the reader interface, and the options all readers share. */
import type { LoadedTrace } from './loaded-trace.js';

/** One request of a trace, in the units the replay driver uses. */
export interface TraceRequest {
  /** Arrival time in milliseconds from the start of the trace (fractional milliseconds allowed). */
  timestamp: number;
  /** Prompt tokens. */
  inputLength: number;
  /** Generated tokens. */
  outputLength: number;
  /**
   * Block ids of the prompt's prefix chain, first block first, `blockTokens` tokens a block (the
   * last block may be partial). Equal ids are reusable KV blocks. Always non-negative safe integers:
   * formats whose ids are strings, hex or beyond 2^53 are interned to dense integers by the reader.
   */
  hashIds: number[];
  /** 1-based line of the source file the request came from. */
  line: number;
  /** Conversation the request belongs to, when the format knows it. */
  sessionId?: string;
  /** 1-based turn within the session, when the format knows it. */
  turn?: number;
  /** Workload tag, when the format has one (Qwen-Bailian `type`: text, search, image, file, thinking…). */
  type?: string;
}

/** A problem the reader tolerated because an option told it to (e.g. `allowUnsortedTimestamps`). */
export interface TraceWarning {
  file: string;
  /** 1-based line. */
  line: number;
  /** The field concerned, as spelled in the file. */
  field: string;
  message: string;
}

/** Options every reader accepts. */
export interface TraceReaderOptions {
  /** Tokens per block of the trace's `hash_ids`. @default the format's own (512 for Mooncake, 16 for Qwen-Bailian) */
  blockTokens?: number;
  /**
   * Accept timestamps that go backwards (still rejecting negative ones). Each such line yields a
   * `TraceWarning` (to `onWarning`, and into `LoadedTrace.warnings`) instead of ERR_TRACE_PARSE.
   * Requests keep their file order either way: replay is in file order.
   * @default false
   */
  allowUnsortedTimestamps?: boolean;
  /** Called with every warning as it happens. @default none */
  onWarning?: (warning: TraceWarning) => void;
}

/**
 * A trace file opened in one format. Iterating reads the file again from its start each time, so
 * one reader can be iterated many times (and re-created from `format` + `path` in a worker).
 * Iteration streams: memory stays bounded whatever the file size.
 */
export interface TraceReader extends AsyncIterable<TraceRequest> {
  /** Registry name of the format, e.g. "mooncake". */
  readonly format: string;
  /** The file being read. */
  readonly path: string;
  /** Tokens per block of the yielded `hashIds`. */
  readonly blockTokens: number;
  /**
   * Reads the whole trace into compact typed arrays (ids renumbered densely), the form replay
   * consumes. Throws (rejects with) the same ERR_TRACE_PARSE errors as iteration.
   */
  load(): Promise<LoadedTrace>;
}
