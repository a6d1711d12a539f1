/**
 * Reader of Mooncake traces (kvcache-ai/Mooncake, FAST'25 release; also what LMCache's
 * benchmarks/trace_replayer and NVIDIA AIPerf replay): JSONL, one request a line,
 *
 *   {"timestamp": 0, "input_length": 40160, "output_length": 6, "hash_ids": [0, 1, 2, …]}
 *
 * - `timestamp`: arrival time in ms from the start; a non-negative number (fractions allowed),
 *   never decreasing from one request to the next (see `allowUnsortedTimestamps`);
 * - `input_length`, `output_length`: tokens, non-negative integers;
 * - `hash_ids`: the prompt's prefix block ids, 512 tokens a block (the last block may be
 *   partial); non-empty; non-negative integers below 2^53 (see `internIds` for other ids); by
 *   default exactly ceil(input_length / blockTokens) of them, as in Mooncake's released traces
 *   (checked on the synthetic trace and on the conversation-trace sample LMCache ships; see
 *   `blockCountCheck`).
 *
 * Other fields are ignored. Blank lines (only spaces, tabs, CR) are skipped; "\r\n" endings and
 * a UTF-8 byte-order mark are accepted; line numbers count every line. Errors are ERR_TRACE_PARSE
 * with the message "<file>:<line>: <problem>" and details { file, line, field } (field null when
 * the line is not a JSON object at all).
 */
import { IdInterner } from './id-interner.js';
import {
  JsonlRecordParser,
  type JsonlReaderOptions,
  JsonlTraceReader,
  type ParserSettings,
  resolveJsonlOptions,
} from './jsonl-record.js';
import type { LoadedTrace, LoadedTraceBuilder } from './loaded-trace.js';
import type { FieldSpec } from './record-scanner.js';
import type { TraceRequest } from './request.js';

/** Tokens per block in Mooncake's released traces. */
export const MOONCAKE_BLOCK_TOKENS = 512;

const FIELDS: readonly FieldSpec[] = [
  { name: 'timestamp', kind: 'number' },
  { name: 'input_length', kind: 'number' },
  { name: 'output_length', kind: 'number' },
  { name: 'hash_ids', kind: 'ids' },
];
const TIMESTAMP = 0;
const INPUT_LENGTH = 1;
const OUTPUT_LENGTH = 2;
const HASH_IDS = 3;

/** Options of the Mooncake reader. */
export type MooncakeReaderOptions = JsonlReaderOptions;

class MooncakeParser extends JsonlRecordParser {
  timestamp = 0;
  inputLength = 0;
  outputLength = 0;

  constructor(settings: ParserSettings) {
    super(FIELDS, settings);
  }

  parse(buf: Buffer, start: number, end: number, line: number): boolean {
    if (!this.scanLine(buf, start, end, line)) return false;
    this.timestamp = this.nonNegativeNumber(TIMESTAMP, 'a non-negative number of milliseconds');
    this.inputLength = this.integer(INPUT_LENGTH);
    this.outputLength = this.integer(OUTPUT_LENGTH);
    this.checkIds(HASH_IDS, this.inputLength);
    this.checkOrder(TIMESTAMP, this.timestamp);
    return true;
  }

  request(): TraceRequest {
    return {
      timestamp: this.timestamp,
      inputLength: this.inputLength,
      outputLength: this.outputLength,
      hashIds: this.idArray(),
      line: this.line,
    };
  }

  addTo(builder: LoadedTraceBuilder): void {
    builder.addWritten(this.timestamp, this.inputLength, this.outputLength, this.line, this.idCount);
  }
}

/** A Mooncake JSONL trace: iterate it (streaming, re-openable) or `load()` it into typed arrays. */
export class MooncakeReader extends JsonlTraceReader {
  readonly format = 'mooncake';

  constructor(path: string, options: MooncakeReaderOptions = {}) {
    super(path, options, MOONCAKE_BLOCK_TOKENS);
  }

  protected createParser(settings: ParserSettings): JsonlRecordParser {
    return new MooncakeParser(settings);
  }
}

/** Where `parseMooncakeLine` says a line came from, for its error messages. */
export interface MooncakeLineOptions extends MooncakeReaderOptions {
  /** File name in error messages. @default "<line>" */
  file?: string;
  /** Line number in error messages. @default 1 */
  line?: number;
}

/**
 * Parses one Mooncake line with the reader's exact rules and messages, for tools handed lines one
 * at a time (files go through `MooncakeReader`, which also checks timestamp order across lines).
 * Returns null for a blank line; throws ERR_TRACE_PARSE for a bad one.
 */
export function parseMooncakeLine(text: string, options: MooncakeLineOptions = {}): TraceRequest | null {
  const { file = '<line>', line = 1, ...readerOptions } = options;
  const resolved = resolveJsonlOptions(readerOptions, MOONCAKE_BLOCK_TOKENS);
  const parser = new MooncakeParser({
    file,
    blockTokens: resolved.blockTokens,
    blockCountCheck: resolved.blockCountCheck,
    allowUnsortedTimestamps: true,
    onWarning: () => {},
    interner: resolved.internIds ? new IdInterner() : null,
    allowStringIds: resolved.internIds,
    column: null,
  });
  const buf = Buffer.from(text, 'utf8');
  return parser.parse(buf, 0, buf.length, line) ? parser.request() : null;
}

/** Loads a Mooncake trace into typed arrays in one synchronous pass (the fast path for replay). */
export function loadMooncakeTrace(path: string, options: MooncakeReaderOptions = {}): LoadedTrace {
  return new MooncakeReader(path, options).loadSync();
}
