/**
 * Reader of the Qwen-Bailian traces released with "KVCache Cache in the Wild: Characterizing and
 * Optimizing KVCache Cache at a Large Cloud Provider" (USENIX ATC '25). Source of the format: the
 * README of github.com/alibaba-edu/qwen-bailian-usagetraces-anon (Apache-2.0), whose files are
 * qwen_traceA_blksz_16.jsonl, qwen_traceB_blksz_16.jsonl, qwen_coder_blksz_16.jsonl and
 * qwen_thinking_blksz_16.jsonl. JSONL, one request a line:
 *
 *   {"chat_id": 159, "parent_chat_id": 55, "timestamp": 61.114, "input_length": 521,
 *    "output_length": 132, "type": "text", "turn": 2, "hash_ids": [1089, 1090, …]}
 *
 * - `chat_id`: request id, a non-negative integer;
 * - `parent_chat_id`: the previous turn's `chat_id`, or -1 for the first turn of a session;
 * - `timestamp`: arrival time in SECONDS from the start of the trace (fractions allowed); converted
 *   to milliseconds, rounded to whole microseconds, and checked for order like Mooncake's;
 * - `input_length`, `output_length`: tokens;
 * - `type`: workload tag (text, search, image, file; "thinking" in the thinking trace); optional;
 * - `turn`: 1-based turn number within the session; optional;
 * - `hash_ids`: salted-SipHash block ids remapped to integers, 16 tokens a block; by default exactly
 *   ceil(input_length / 16) of them (the rule simulators built on these files check).
 *
 * Sessions follow `parent_chat_id` chains: a request's `sessionId` is the `chat_id` of its chain's
 * root (a parent absent from the file roots its own session). Other rules (blank lines, line
 * endings, errors) are those of the Mooncake reader.
 */
import {
  JsonlRecordParser,
  type JsonlReaderOptions,
  JsonlTraceReader,
  type ParserSettings,
} from './jsonl-record.js';
import type { LoadedTraceBuilder } from './loaded-trace.js';
import type { FieldSpec } from './record-scanner.js';
import type { TraceRequest } from './request.js';

/** Tokens per block in the released Qwen-Bailian traces (the `blksz_16` in their file names). */
export const BAILIAN_BLOCK_TOKENS = 16;

const FIELDS: readonly FieldSpec[] = [
  { name: 'chat_id', kind: 'number' },
  { name: 'parent_chat_id', kind: 'number' },
  { name: 'timestamp', kind: 'number' },
  { name: 'input_length', kind: 'number' },
  { name: 'output_length', kind: 'number' },
  { name: 'type', kind: 'string' },
  { name: 'turn', kind: 'number' },
  { name: 'hash_ids', kind: 'ids' },
];
const CHAT_ID = 0;
const PARENT_CHAT_ID = 1;
const TIMESTAMP = 2;
const INPUT_LENGTH = 3;
const OUTPUT_LENGTH = 4;
const TYPE = 5;
const TURN = 6;
const HASH_IDS = 7;

/** Options of the Qwen-Bailian reader. */
export type BailianReaderOptions = JsonlReaderOptions;

class BailianParser extends JsonlRecordParser {
  timestamp = 0;
  inputLength = 0;
  outputLength = 0;
  session = 0;
  type: string | undefined;
  turn: number | undefined;
  /** chat_id → chat_id of its session's root. */
  private readonly roots = new Map<number, number>();

  constructor(settings: ParserSettings) {
    super(FIELDS, settings);
  }

  parse(buf: Buffer, start: number, end: number, line: number): boolean {
    if (!this.scanLine(buf, start, end, line)) return false;
    const chatId = this.integer(CHAT_ID);
    const parent = this.integer(PARENT_CHAT_ID, -1, 'a chat_id or -1');
    const seconds = this.nonNegativeNumber(TIMESTAMP, 'a non-negative number of seconds');
    this.timestamp = Math.round(seconds * 1e6) / 1e3;
    this.inputLength = this.integer(INPUT_LENGTH);
    this.outputLength = this.integer(OUTPUT_LENGTH);
    this.type = this.optionalString(TYPE);
    this.turn = this.optionalInteger(TURN, 1, 'a positive integer');
    this.checkIds(HASH_IDS, this.inputLength);
    this.checkOrder(TIMESTAMP, this.timestamp);
    const root = parent < 0 ? chatId : (this.roots.get(parent) ?? parent);
    this.roots.set(chatId, root);
    this.session = root;
    return true;
  }

  request(): TraceRequest {
    const request: TraceRequest = {
      timestamp: this.timestamp,
      inputLength: this.inputLength,
      outputLength: this.outputLength,
      hashIds: this.idArray(),
      line: this.line,
      sessionId: String(this.session),
    };
    if (this.turn !== undefined) request.turn = this.turn;
    if (this.type !== undefined) request.type = this.type;
    return request;
  }

  addTo(builder: LoadedTraceBuilder): void {
    builder.addWritten(this.timestamp, this.inputLength, this.outputLength, this.line, this.idCount);
    builder.setSession(String(this.session));
  }
}

/** A Qwen-Bailian JSONL trace: iterate it (streaming, re-openable) or `load()` it into typed arrays. */
export class BailianReader extends JsonlTraceReader {
  readonly format = 'qwen-bailian';

  constructor(path: string, options: BailianReaderOptions = {}) {
    super(path, options, BAILIAN_BLOCK_TOKENS);
  }

  protected createParser(settings: ParserSettings): JsonlRecordParser {
    return new BailianParser(settings);
  }
}
