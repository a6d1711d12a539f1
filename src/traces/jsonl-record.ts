/**
 * What the one-request-a-line JSONL formats (Mooncake, Qwen-Bailian) share: field checks with
 * exact ERR_TRACE_PARSE messages, the hash_ids rules, timestamp ordering, and a reader that both
 * streams requests and loads the whole file straight into typed arrays.
 */
import { statSync } from 'node:fs';
import { describeValue, invalidArgument } from '../errors.js';
import type { IdColumn } from './id-column.js';
import { IdInterner } from './id-interner.js';
import { readLineChunks, readLinesSync } from './line-reader.js';
import { type LoadedTrace, LoadedTraceBuilder } from './loaded-trace.js';
import { type FieldSpec, RecordScanner } from './record-scanner.js';
import type { TraceReader, TraceReaderOptions, TraceRequest, TraceWarning } from './request.js';
import { traceFieldError, traceParseError } from './trace-error.js';

/**
 * How `hash_ids` must relate to `input_length`:
 * - "exact": exactly ceil(input_length / blockTokens) ids, the last block possibly partial (true
 *   of Mooncake's released traces, and the rule simulators built on the Qwen-Bailian files check);
 * - "none": any non-empty list (then token accounting in replay is only approximate).
 */
export type BlockCountCheck = 'exact' | 'none';

/** Options of the JSONL readers. */
export interface JsonlReaderOptions extends TraceReaderOptions {
  /** How `hash_ids` must relate to `input_length`. @default "exact" */
  blockCountCheck?: BlockCountCheck;
  /**
   * Accept string ids and integer ids beyond 2^53, renumbering every id of the file densely (in
   * order of first appearance) in iteration too. Without it such ids are an error, and iteration
   * yields the file's own numeric ids. (`load()` always renumbers densely.)
   * @default false
   */
  internIds?: boolean;
}

/** What a line parser needs besides its schema. */
export interface ParserSettings {
  file: string;
  blockTokens: number;
  blockCountCheck: BlockCountCheck;
  allowUnsortedTimestamps: boolean;
  onWarning: (warning: TraceWarning) => void;
  interner: IdInterner | null;
  allowStringIds: boolean;
  /** Where ids are written when loading (see `IdOptions.column`); null when streaming. */
  column: IdColumn | null;
}

const NON_NEGATIVE_INTEGER = 'a non-negative integer';
/** Bytes of a file read before `loadSync` sizes its columns for the whole file. */
const PRESIZE_SAMPLE_BYTES = 1 << 20;

/** The size of a file in bytes, or 0 when it cannot be read (the reader then reports the error). */
function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Parses and checks lines of one JSONL format; the results of the last line are in its fields. */
export abstract class JsonlRecordParser {
  protected readonly scanner: RecordScanner;
  protected readonly settings: ParserSettings;
  protected line = 0;
  private previousTimestamp = Number.NEGATIVE_INFINITY;
  private readonly idExpectation: string;

  constructor(fields: readonly FieldSpec[], settings: ParserSettings) {
    this.scanner = new RecordScanner(fields, {
      interner: settings.interner,
      allowStringIds: settings.allowStringIds,
      column: settings.column,
    });
    this.settings = settings;
    this.idExpectation = settings.allowStringIds
      ? 'a block id (a non-negative integer or a string)'
      : 'a block id (a non-negative integer below 2^53)';
  }

  /** The number of ids of the last line (in the scanner, or written into the column when loading). */
  get idCount(): number {
    return this.scanner.idCount;
  }

  /** Parses one line; false for a blank line. Throws ERR_TRACE_PARSE for a bad one. */
  abstract parse(buf: Buffer, start: number, end: number, line: number): boolean;

  /** The last line as a request (ids copied out). */
  abstract request(): TraceRequest;

  /** Appends the last line to the loaded trace whose id column the parser writes into. */
  abstract addTo(builder: LoadedTraceBuilder): void;

  /** Scans the line and rejects bad JSON and non-objects; false for a blank line. */
  protected scanLine(buf: Buffer, start: number, end: number, line: number): boolean {
    this.line = line;
    const scanner = this.scanner;
    if (!scanner.scan(buf, start, end)) return false;
    if (scanner.syntaxError !== null) {
      throw traceParseError(this.settings.file, line, null, `invalid JSON ${scanner.syntaxError}`);
    }
    if (scanner.notObject) {
      const value = scanner.decode(start, end);
      throw traceParseError(this.settings.file, line, null, `expected a JSON object for the line, got ${describeValue(value)}`);
    }
    return true;
  }

  /** Whether the field is present (exactly once); throws when it is given twice. */
  protected present(field: number): boolean {
    const count = this.scanner.count[field]!;
    if (count > 1) {
      const name = this.scanner.fields[field]!.name;
      throw traceParseError(this.settings.file, this.line, name, `field \`${name}\` appears ${count} times`);
    }
    return count === 1;
  }

  /** A required field; throws when missing. */
  protected require(field: number): void {
    if (!this.present(field)) {
      const name = this.scanner.fields[field]!.name;
      throw traceParseError(this.settings.file, this.line, name, `missing field \`${name}\``);
    }
  }

  protected fieldError(field: number, expected: string): never {
    const scanner = this.scanner;
    const got = scanner.decode(scanner.valueStart[field]!, scanner.valueEnd[field]!);
    throw traceFieldError(this.settings.file, this.line, scanner.fields[field]!.name, expected, got);
  }

  /** A required integer field ≥ `min`. */
  protected integer(field: number, min = 0, expected = NON_NEGATIVE_INTEGER): number {
    this.require(field);
    const value = this.scanner.numbers[field]!;
    if (this.scanner.typeOk[field] === 0 || !Number.isSafeInteger(value) || value < min) this.fieldError(field, expected);
    return value + 0; // -0 → 0
  }

  /** An optional integer field ≥ `min`, or undefined. */
  protected optionalInteger(field: number, min = 0, expected = NON_NEGATIVE_INTEGER): number | undefined {
    return this.present(field) ? this.integer(field, min, expected) : undefined;
  }

  /** A required finite number ≥ 0. */
  protected nonNegativeNumber(field: number, expected: string): number {
    this.require(field);
    const value = this.scanner.numbers[field]!;
    if (this.scanner.typeOk[field] === 0 || !Number.isFinite(value) || value < 0) this.fieldError(field, expected);
    return value + 0;
  }

  /** An optional string field, or undefined. */
  protected optionalString(field: number): string | undefined {
    if (!this.present(field)) return undefined;
    if (this.scanner.typeOk[field] === 0) this.fieldError(field, 'a string');
    return this.scanner.strings[field];
  }

  /** The id field: present, an array, every element an id, non-empty, and as many as `blockCountCheck` asks. */
  protected checkIds(field: number, inputLength: number): void {
    this.require(field);
    const scanner = this.scanner;
    const name = scanner.fields[field]!.name;
    if (scanner.typeOk[field] === 0) this.fieldError(field, 'a non-empty array of block ids');
    if (scanner.badIdIndex >= 0) {
      const got = scanner.decode(scanner.badIdStart, scanner.badIdEnd);
      throw traceFieldError(this.settings.file, this.line, name, this.idExpectation, got, `${name}[${scanner.badIdIndex}]`);
    }
    const count = scanner.idCount;
    if (count === 0) this.fieldError(field, 'a non-empty array of block ids');
    const blockTokens = this.settings.blockTokens;
    // count === ceil(inputLength / blockTokens), decided by multiplying (exact for these integers), not dividing.
    if (this.settings.blockCountCheck === 'exact' && (count * blockTokens < inputLength || (count - 1) * blockTokens >= inputLength)) {
      const expected = Math.ceil(inputLength / blockTokens);
      throw traceParseError(
        this.settings.file,
        this.line,
        name,
        `expected ${expected} block ids (ceil(input_length ${inputLength} / ${blockTokens} tokens a block)) for \`${name}\`, got ${count}`,
      );
    }
  }

  /** Checks that the timestamp (in ms) does not go back; an error unless unsorted traces are allowed. */
  protected checkOrder(field: number, timestampMs: number): void {
    const previous = this.previousTimestamp;
    this.previousTimestamp = timestampMs;
    if (timestampMs >= previous) return;
    const name = this.scanner.fields[field]!.name;
    const { file } = this.settings;
    if (!this.settings.allowUnsortedTimestamps) {
      throw traceParseError(
        file,
        this.line,
        name,
        `expected a timestamp no earlier than the previous request's (${previous} ms) for \`${name}\`, got ${timestampMs} ms ` +
          '(allowUnsortedTimestamps accepts unsorted traces)',
      );
    }
    this.settings.onWarning({
      file,
      line: this.line,
      field: name,
      message: `timestamp ${timestampMs} ms is earlier than the previous request's (${previous} ms)`,
    });
  }

  /** The last line's ids as a plain array. */
  protected idArray(): number[] {
    const { ids, idStart, idCount } = this.scanner;
    const out = new Array<number>(idCount);
    for (let k = 0; k < idCount; k++) out[k] = ids[idStart + k]!;
    return out;
  }
}

/** Resolved options of a JSONL reader. */
export interface ResolvedJsonlOptions {
  blockTokens: number;
  blockCountCheck: BlockCountCheck;
  allowUnsortedTimestamps: boolean;
  internIds: boolean;
  onWarning: ((warning: TraceWarning) => void) | undefined;
}

/** Validates reader options once, at construction. */
export function resolveJsonlOptions(options: JsonlReaderOptions, defaultBlockTokens: number): ResolvedJsonlOptions {
  const blockTokens = options.blockTokens ?? defaultBlockTokens;
  if (!Number.isSafeInteger(blockTokens) || blockTokens <= 0) throw invalidArgument('blockTokens', 'a positive integer', blockTokens);
  const blockCountCheck = options.blockCountCheck ?? 'exact';
  if (blockCountCheck !== 'exact' && blockCountCheck !== 'none') {
    throw invalidArgument('blockCountCheck', '"exact" or "none"', blockCountCheck);
  }
  if (options.onWarning !== undefined && typeof options.onWarning !== 'function') {
    throw invalidArgument('onWarning', 'a function', options.onWarning);
  }
  return {
    blockTokens,
    blockCountCheck,
    allowUnsortedTimestamps: options.allowUnsortedTimestamps ?? false,
    internIds: options.internIds ?? false,
    onWarning: options.onWarning,
  };
}

/** A reader of a one-request-a-line JSONL format: streaming iteration plus a synchronous bulk loader. */
export abstract class JsonlTraceReader implements TraceReader {
  abstract readonly format: string;
  readonly path: string;
  readonly blockTokens: number;
  protected readonly options: ResolvedJsonlOptions;

  constructor(path: string, options: JsonlReaderOptions, defaultBlockTokens: number) {
    if (typeof path !== 'string' || path.length === 0) throw invalidArgument('path', 'a file path', path);
    this.path = path;
    this.options = resolveJsonlOptions(options, defaultBlockTokens);
    this.blockTokens = this.options.blockTokens;
  }

  /** A fresh parser for one pass over the file. */
  protected abstract createParser(settings: ParserSettings): JsonlRecordParser;

  private parser(interner: IdInterner | null, column: IdColumn | null, onWarning: (warning: TraceWarning) => void): JsonlRecordParser {
    const { blockTokens, blockCountCheck, allowUnsortedTimestamps, internIds } = this.options;
    return this.createParser({
      file: this.path,
      blockTokens,
      blockCountCheck,
      allowUnsortedTimestamps,
      onWarning,
      interner,
      allowStringIds: internIds,
      column,
    });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TraceRequest, void, undefined> {
    const parser = this.parser(this.options.internIds ? new IdInterner() : null, null, this.options.onWarning ?? (() => {}));
    const batch: TraceRequest[] = [];
    // A bad line ends the pass, but only after the requests before it have been handed out.
    let failure: unknown = null;
    const chunks = readLineChunks(this.path, (buf, start, end, line) => {
      if (failure !== null) return;
      try {
        if (parser.parse(buf, start, end, line)) batch.push(parser.request());
      } catch (error) {
        failure = error;
      }
    });
    for await (const _ of chunks) {
      for (let i = 0; i < batch.length; i++) yield batch[i]!;
      batch.length = 0;
      if (failure !== null) throw failure;
    }
  }

  load(): Promise<LoadedTrace> {
    try {
      return Promise.resolve(this.loadSync());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `load()` without the promise: the whole file in one synchronous pass (fastest). */
  loadSync(): LoadedTrace {
    const builder = new LoadedTraceBuilder(this.format, this.path, this.blockTokens);
    const interner = new IdInterner();
    const forward = this.options.onWarning;
    const parser = this.parser(interner, builder.idColumn, (warning) => {
      builder.warn(warning);
      forward?.(warning);
    });
    // Once the first bytes are in, the columns are sized for the whole file from them.
    const fileBytes = fileSize(this.path);
    let sampledBytes = 0;
    readLinesSync(this.path, (buf, start, end, line) => {
      if (parser.parse(buf, start, end, line)) parser.addTo(builder);
      if (sampledBytes < PRESIZE_SAMPLE_BYTES) {
        sampledBytes += end - start + 1;
        if (sampledBytes >= PRESIZE_SAMPLE_BYTES && fileBytes > sampledBytes) builder.presize(fileBytes / sampledBytes);
      }
    });
    return builder.finish(interner.size);
  }
}
