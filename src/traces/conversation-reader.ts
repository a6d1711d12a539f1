/**
 * Reader of conversation logs: JSONL, one session a line, turned into requests with real block
 * keys. The format (kvtier's own):
 *
 *   {"session": "s1", "turns": [
 *     {"role": "system", "text": "You are a helpful assistant."},
 *     {"role": "user", "timestamp": 0, "text": "Summarise this contract: …"},
 *     {"role": "assistant", "text": "The contract …"},
 *     {"role": "user", "timestamp": 42000, "tokens": [9906, 11, 1917]}
 *   ]}
 *
 * - `session`: a non-empty string naming the conversation;
 * - `namespace`: the tenant the session belongs to (optional; a string, default the reader's
 *   `namespace` option): blocks of different namespaces never share ids;
 * - `turns`: a non-empty array of turns in conversation order; each turn has
 *   - `role`: "system", "user" or "assistant";
 *   - exactly one of `text` (a string, tokenized here) or `tokens` (token ids already tokenized,
 *     integers in [0, 2^32));
 *   - `timestamp`: arrival time in ms (a non-negative number); required on user turns, ignored on
 *     others; user turns of one session must not go back in time (see `allowUnsortedTimestamps`).
 *
 * Every user turn becomes one request: its input is the whole conversation so far, that turn
 * included (each turn's tokens concatenated, no chat template), keyed with the engine's chained
 * block hash `blockKeys(tokens, { blockTokens, namespace, includePartial: true })` and interned to
 * dense integers, so the same prefix in two sessions gets the same ids and a different namespace
 * gets different ones. Its output length is the token count of the assistant turn right after it,
 * or `defaultOutputLength` when none follows.
 *
 * Tokenizer: gpt-tokenizer (pure JavaScript, no dependencies, every encoding bundled in the
 * package, so it runs offline; chosen over js-tiktoken, which needs base64-js and ships its ranks
 * as base64 strings). Special-token text such as "<|endoftext|>" is tokenized as plain text. Any
 * other tokenizer can be passed as `tokenize`.
 *
 * Requests are yielded in timestamp order across sessions (ties keep file order), which needs the
 * whole log's requests (ids, not text) in memory; `order: "file"` streams session by session.
 */
import { type BlockKeyOptions, blockKeys } from '../engine/block-keys.js';
import { describeValue, invalidArgument } from '../errors.js';
import { IdInterner } from './id-interner.js';
import { readLineChunks } from './line-reader.js';
import { type LoadedTrace, LoadedTraceBuilder, loadFromRequests } from './loaded-trace.js';
import { RecordScanner } from './record-scanner.js';
import type { TraceReader, TraceReaderOptions, TraceRequest, TraceWarning } from './request.js';
import { traceFieldError, traceParseError } from './trace-error.js';

/** Encodings of gpt-tokenizer the reader can use. */
export type ConversationEncoding = 'o200k_base' | 'cl100k_base';

/** Options of the conversation reader. */
export interface ConversationReaderOptions extends TraceReaderOptions {
  /** Tenant namespace mixed into every block key. @default "" */
  namespace?: string;
  /** gpt-tokenizer encoding for `text` turns. @default "o200k_base" */
  encoding?: ConversationEncoding;
  /** A tokenizer to use instead of `encoding`: text → token ids (integers in [0, 2^32)). @default none */
  tokenize?: (text: string) => ArrayLike<number>;
  /** Output tokens of a user turn that no assistant turn answers. @default 0 */
  defaultOutputLength?: number;
  /** "time": requests sorted by timestamp across sessions; "file": session by session, as in the file. @default "time" */
  order?: 'time' | 'file';
}

/** Default tokens per block, as in Mooncake traces. */
export const CONVERSATION_BLOCK_TOKENS = 512;

const ROLES = new Set(['system', 'user', 'assistant']);

type Tokenize = (text: string) => ArrayLike<number>;

/** Loads a gpt-tokenizer encoding (a large module, so only when a log has text turns). */
async function loadEncoding(encoding: ConversationEncoding): Promise<Tokenize> {
  const module =
    encoding === 'cl100k_base'
      ? await import('gpt-tokenizer/encoding/cl100k_base')
      : await import('gpt-tokenizer/encoding/o200k_base');
  const options = { disallowedSpecial: new Set<string>() };
  return (text) => module.encode(text, options);
}

/** The resolved options a pass needs. */
interface SessionSettings {
  file: string;
  blockTokens: number;
  namespace: string;
  defaultOutputLength: number;
  allowUnsortedTimestamps: boolean;
}

/** One session's state while its turns are turned into requests. */
interface SessionState {
  tokens: number[];
  /** Keys and dense ids of the full blocks keyed so far (a chain only grows). */
  fullKeys: string[];
  fullIds: number[];
  /** Block size and namespace of the session's keys. */
  keyOptions: BlockKeyOptions;
}

/** A conversation log: iterate it (re-openable) or `load()` it into typed arrays. */
export class ConversationReader implements TraceReader {
  readonly format = 'conversation';
  readonly path: string;
  readonly blockTokens: number;
  private readonly settings: SessionSettings;
  private readonly encoding: ConversationEncoding;
  private readonly tokenize: Tokenize | undefined;
  private readonly order: 'time' | 'file';
  private readonly onWarning: ((warning: TraceWarning) => void) | undefined;

  constructor(path: string, options: ConversationReaderOptions = {}) {
    if (typeof path !== 'string' || path.length === 0) throw invalidArgument('path', 'a file path', path);
    this.path = path;
    this.blockTokens = options.blockTokens ?? CONVERSATION_BLOCK_TOKENS;
    if (!Number.isSafeInteger(this.blockTokens) || this.blockTokens <= 0) {
      throw invalidArgument('blockTokens', 'a positive integer', options.blockTokens);
    }
    const namespace = options.namespace ?? '';
    if (typeof namespace !== 'string') throw invalidArgument('namespace', 'a string', namespace);
    this.encoding = options.encoding ?? 'o200k_base';
    if (this.encoding !== 'o200k_base' && this.encoding !== 'cl100k_base') {
      throw invalidArgument('encoding', '"o200k_base" or "cl100k_base"', options.encoding);
    }
    if (options.tokenize !== undefined && typeof options.tokenize !== 'function') {
      throw invalidArgument('tokenize', 'a function', options.tokenize);
    }
    this.tokenize = options.tokenize;
    const defaultOutputLength = options.defaultOutputLength ?? 0;
    if (!Number.isSafeInteger(defaultOutputLength) || defaultOutputLength < 0) {
      throw invalidArgument('defaultOutputLength', 'a non-negative integer', defaultOutputLength);
    }
    this.order = options.order ?? 'time';
    if (this.order !== 'time' && this.order !== 'file') throw invalidArgument('order', '"time" or "file"', options.order);
    if (options.onWarning !== undefined && typeof options.onWarning !== 'function') {
      throw invalidArgument('onWarning', 'a function', options.onWarning);
    }
    this.onWarning = options.onWarning;
    this.settings = {
      file: path,
      blockTokens: this.blockTokens,
      namespace,
      defaultOutputLength,
      allowUnsortedTimestamps: options.allowUnsortedTimestamps ?? false,
    };
  }

  [Symbol.asyncIterator](): AsyncGenerator<TraceRequest, void, undefined> {
    return this.requests(this.onWarning ?? (() => {}));
  }

  load(): Promise<LoadedTrace> {
    const builder = new LoadedTraceBuilder(this.format, this.path, this.blockTokens);
    return loadFromRequests(
      this.requests((warning) => {
        builder.warn(warning);
        this.onWarning?.(warning);
      }),
      builder,
    );
  }

  private async *requests(onWarning: (warning: TraceWarning) => void): AsyncGenerator<TraceRequest, void, undefined> {
    const tokenize = this.tokenize ?? (await loadEncoding(this.encoding));
    const session = new SessionParser(this.settings, tokenize, onWarning);
    const batch: TraceRequest[] = [];
    // A bad line ends the pass, but in file order only after the requests before it are handed out.
    let failure: unknown = null;
    const chunks = readLineChunks(this.path, (buf, start, end, line) => {
      if (failure !== null) return;
      const before = batch.length;
      try {
        session.parse(buf, start, end, line, batch);
      } catch (error) {
        batch.length = before; // none of a bad session's requests
        failure = error;
      }
    });
    if (this.order === 'file') {
      for await (const _ of chunks) {
        for (let i = 0; i < batch.length; i++) yield batch[i]!;
        batch.length = 0;
        if (failure !== null) throw failure;
      }
      return;
    }
    for await (const _ of chunks) {
      // Every line's requests accumulate in `batch` until the whole log is read.
      if (failure !== null) throw failure;
    }
    // Array.prototype.sort is stable: equal timestamps keep file order.
    batch.sort((a, b) => a.timestamp - b.timestamp);
    yield* batch;
  }

}

/** Parses session lines of one pass (one interner, so ids are consistent within the pass). */
class SessionParser {
  private readonly syntax = new RecordScanner([], { interner: null, allowStringIds: false });
  private readonly interner = new IdInterner();
  private readonly keyOptions: BlockKeyOptions;
  private readonly file: string;
  private line = 0;

  constructor(
    private readonly settings: SessionSettings,
    private readonly tokenize: Tokenize,
    private readonly onWarning: (warning: TraceWarning) => void,
  ) {
    this.file = settings.file;
    this.keyOptions = { blockTokens: settings.blockTokens, namespace: settings.namespace, includePartial: true };
  }

  /** Turns one session line into requests appended to `out`. */
  parse(buf: Buffer, start: number, end: number, line: number, out: TraceRequest[]): void {
    this.line = line;
    if (!this.syntax.scan(buf, start, end)) return;
    if (this.syntax.syntaxError !== null) throw traceParseError(this.file, line, null, `invalid JSON ${this.syntax.syntaxError}`);
    const record: unknown = this.syntax.decode(start, end);
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw traceParseError(this.file, line, null, `expected a JSON object for the line, got ${describeValue(record)}`);
    }
    const { session, turns, namespace } = record as { session?: unknown; turns?: unknown; namespace?: unknown };
    if (session === undefined) throw traceParseError(this.file, line, 'session', 'missing field `session`');
    if (typeof session !== 'string' || session.length === 0) this.fail('session', 'a non-empty string', session);
    if (turns === undefined) throw traceParseError(this.file, line, 'turns', 'missing field `turns`');
    if (!Array.isArray(turns) || turns.length === 0) this.fail('turns', 'a non-empty array of turns', turns);
    if (namespace !== undefined && typeof namespace !== 'string') this.fail('namespace', 'a string', namespace);

    const state: SessionState = {
      tokens: [],
      fullKeys: [],
      fullIds: [],
      keyOptions: namespace === undefined ? this.keyOptions : { ...this.keyOptions, namespace },
    };
    let previousUserTime = Number.NEGATIVE_INFINITY;
    let turnNumber = 0;
    let pending: TraceRequest | null = null;
    for (let i = 0; i < turns.length; i++) {
      const turn: unknown = turns[i];
      const at = `turns[${i}]`;
      if (turn === null || typeof turn !== 'object' || Array.isArray(turn)) this.fail(at, 'a turn object', turn);
      const { role, text, tokens, timestamp } = turn as Record<string, unknown>;
      if (role === undefined) throw traceParseError(this.file, line, `${at}.role`, `missing field \`${at}.role\``);
      if (typeof role !== 'string' || !ROLES.has(role)) this.fail(`${at}.role`, '"system", "user" or "assistant"', role);
      const turnTokens = this.turnTokens(at, text, tokens);
      if (pending !== null && role === 'assistant') pending.outputLength = turnTokens.length;
      pending = null;
      for (let k = 0; k < turnTokens.length; k++) state.tokens.push(turnTokens[k]!);
      if (role !== 'user') continue;

      turnNumber++;
      if (timestamp === undefined) {
        throw traceParseError(this.file, line, `${at}.timestamp`, `missing field \`${at}.timestamp\``);
      }
      if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) {
        this.fail(`${at}.timestamp`, 'a non-negative number of milliseconds', timestamp);
      }
      if (timestamp < previousUserTime) this.unsorted(`${at}.timestamp`, timestamp, previousUserTime);
      previousUserTime = timestamp;
      if (state.tokens.length === 0) this.fail(`${at}`, 'a conversation with at least one token by this user turn', turn);
      pending = {
        timestamp: timestamp + 0,
        inputLength: state.tokens.length,
        outputLength: this.settings.defaultOutputLength,
        hashIds: this.keyIds(state),
        line,
        sessionId: session,
        turn: turnNumber,
      };
      out.push(pending);
    }
  }

  /** The token ids of one turn, from `text` or `tokens` (exactly one of them). */
  private turnTokens(at: string, text: unknown, tokens: unknown): ArrayLike<number> {
    if ((text === undefined) === (tokens === undefined)) {
      throw traceParseError(this.file, this.line, at, `expected exactly one of \`${at}.text\` and \`${at}.tokens\``);
    }
    if (text !== undefined) {
      if (typeof text !== 'string') this.fail(`${at}.text`, 'a string', text);
      return this.tokenize(text);
    }
    if (!Array.isArray(tokens)) this.fail(`${at}.tokens`, 'an array of token ids', tokens);
    for (let k = 0; k < tokens.length; k++) {
      const token: unknown = tokens[k];
      if (typeof token !== 'number' || !Number.isInteger(token) || token < 0 || token > 0xffffffff) {
        throw traceFieldError(this.file, this.line, `${at}.tokens`, 'a token id (an integer in [0, 2^32))', token, `${at}.tokens[${k}]`);
      }
    }
    return tokens as number[];
  }

  /** Dense ids of the blocks of the conversation so far; extends the session's chain of full-block keys. */
  private keyIds(state: SessionState): number[] {
    const blockTokens = this.settings.blockTokens;
    const done = state.fullKeys.length;
    const parent = done > 0 ? state.fullKeys[done - 1]! : null;
    const keys = blockKeys(state.tokens.slice(done * blockTokens), { ...state.keyOptions, parent });
    const newFull = Math.floor(state.tokens.length / blockTokens) - done;
    for (let k = 0; k < newFull; k++) {
      state.fullKeys.push(keys[k]!);
      state.fullIds.push(this.interner.string(keys[k]!));
    }
    const ids = state.fullIds.slice();
    if (keys.length > newFull) ids.push(this.interner.string(keys[newFull]!));
    return ids;
  }

  private unsorted(field: string, timestamp: number, previous: number): void {
    if (!this.settings.allowUnsortedTimestamps) {
      throw traceParseError(
        this.file,
        this.line,
        field,
        `expected a timestamp no earlier than the session's previous user turn (${previous} ms) for \`${field}\`, got ${timestamp} ms ` +
          '(allowUnsortedTimestamps accepts unsorted traces)',
      );
    }
    this.onWarning({
      file: this.file,
      line: this.line,
      field,
      message: `timestamp ${timestamp} ms is earlier than the session's previous user turn (${previous} ms)`,
    });
  }

  private fail(field: string, expected: string, got: unknown): never {
    throw traceFieldError(this.file, this.line, field, expected, got);
  }
}
