/**
 * The trace formats by name (case-insensitive), format auto-detection, and the two entry points
 * the CLI and the replay driver use: `openTrace` (a streaming reader) and `loadTrace` (typed arrays).
 *
 * Auto-detection reads the first non-blank line, which must be a JSON object, and picks:
 * 1. "conversation" when it has a `turns` field;
 * 2. "qwen-bailian" when it has `chat_id` or `parent_chat_id`;
 * 3. "mooncake" when it has `hash_ids` and `input_length`.
 * Anything else is ERR_TRACE_PARSE asking for an explicit format.
 */
import { describeValue, ErrorCode, KvtierError } from '../errors.js';
import { BailianReader } from './bailian-reader.js';
import { ConversationReader, type ConversationReaderOptions } from './conversation-reader.js';
import type { JsonlReaderOptions } from './jsonl-record.js';
import { readLinesSync } from './line-reader.js';
import type { LoadedTrace } from './loaded-trace.js';
import { MooncakeReader } from './mooncake-reader.js';
import { RecordScanner } from './record-scanner.js';
import type { TraceReader } from './request.js';
import { traceParseError } from './trace-error.js';

/** Every reader option; each reader reads the ones it knows. */
export type AnyTraceReaderOptions = JsonlReaderOptions & ConversationReaderOptions;

/** A registered trace format. */
export interface TraceFormat {
  /** Registry name (lowercase). */
  readonly name: string;
  /** One line for `--help` and error messages. */
  readonly description: string;
  /** Opens a file in this format. */
  create(path: string, options: AnyTraceReaderOptions): TraceReader;
}

const FORMATS: readonly TraceFormat[] = Object.freeze([
  {
    name: 'mooncake',
    description: 'Mooncake JSONL: timestamp (ms), input_length, output_length, hash_ids (512 tokens a block)',
    create: (path, options) => new MooncakeReader(path, options),
  },
  {
    name: 'qwen-bailian',
    description: "Qwen-Bailian JSONL (ATC'25 KVCache-in-the-wild traces): chat_id, parent_chat_id, timestamp (s), hash_ids (16 tokens a block)",
    create: (path, options) => new BailianReader(path, options),
  },
  {
    name: 'conversation',
    description: 'conversation log JSONL: one session a line with its turns (text or token ids), keyed with the engine hash',
    create: (path, options) => new ConversationReader(path, options),
  },
]);

/** Names of the registered formats. */
export function traceFormatNames(): string[] {
  return FORMATS.map((format) => format.name);
}

/** The format registered under `name` (case-insensitive); ERR_CONFIG listing the names otherwise. */
export function getTraceFormat(name: string): TraceFormat {
  const wanted = typeof name === 'string' ? name.trim().toLowerCase() : '';
  const format = FORMATS.find((f) => f.name === wanted);
  if (!format) {
    throw new KvtierError(
      ErrorCode.CONFIG,
      `unknown trace format ${describeValue(name)}; known formats: ${traceFormatNames().join(', ')}`,
      { name, known: traceFormatNames() },
    );
  }
  return format;
}

/** Found the first non-blank line: stops `readLinesSync` early. */
const STOP = new Error('first line found');
/** What detection reads first: lines are far shorter, and reading 1 MiB to see one cost a load ~1 ms. */
const DETECT_CHUNK_BYTES = 64 * 1024;

/** The format of a trace file, from its first non-blank line (rules in the file header). */
export function detectTraceFormat(path: string): string {
  const scanner = new RecordScanner([], { interner: null, allowStringIds: false });
  let found: { line: number; record: unknown } | null = null;
  try {
    readLinesSync(path, (buf, start, end, line) => {
      if (!scanner.scan(buf, start, end)) return;
      if (scanner.syntaxError !== null) {
        throw traceParseError(path, line, null, `cannot detect the trace format: invalid JSON ${scanner.syntaxError}`);
      }
      found = { line, record: scanner.decode(start, end) };
      throw STOP;
    }, DETECT_CHUNK_BYTES);
  } catch (error) {
    if (error !== STOP) throw error;
  }
  if (found === null) {
    throw new KvtierError(ErrorCode.TRACE_PARSE, `${path}: no request line to detect the trace format from (the file is blank)`, {
      file: path,
      line: null,
      field: null,
    });
  }
  const { line, record } = found as { line: number; record: unknown };
  if (record !== null && typeof record === 'object' && !Array.isArray(record)) {
    const has = (key: string): boolean => Object.hasOwn(record, key);
    if (has('turns')) return 'conversation';
    if (has('chat_id') || has('parent_chat_id')) return 'qwen-bailian';
    if (has('hash_ids') && has('input_length')) return 'mooncake';
  }
  throw traceParseError(
    path,
    line,
    null,
    `cannot detect the trace format from ${describeValue(record)}; pass one of: ${traceFormatNames().join(', ')}`,
  );
}

/** Options of `openTrace` and `loadTrace`. */
export interface OpenTraceOptions extends AnyTraceReaderOptions {
  /** A registered format name, or "auto" to detect it from the first line. @default "auto" */
  format?: string;
}

/** Opens a trace file as a reader, detecting its format unless `format` names one. */
export function openTrace(path: string, options: OpenTraceOptions = {}): TraceReader {
  const { format = 'auto', ...readerOptions } = options;
  const name = typeof format === 'string' && format.trim().toLowerCase() === 'auto' ? detectTraceFormat(path) : format;
  return getTraceFormat(name).create(path, readerOptions);
}

/** Loads a whole trace into typed arrays (ids dense), the form replay consumes. Rejects on any error. */
export async function loadTrace(path: string, options: OpenTraceOptions = {}): Promise<LoadedTrace> {
  return openTrace(path, options).load();
}
