/** The error catalogue: every error kvtier raises on purpose carries one of these stable codes. */

export const ErrorCode = {
  /** An argument has the wrong type, range or shape. */
  INVALID_ARGUMENT: 'ERR_INVALID_ARGUMENT',
  /** A configuration (engine, tier, hardware, grid) is invalid. */
  CONFIG: 'ERR_CONFIG',
  /** No block could be evicted to make room (all pinned or in flight). */
  TIER_FULL: 'ERR_TIER_FULL',
  /** Stored bytes do not match their checksum. */
  CHECKSUM: 'ERR_CHECKSUM',
  /** A trace file line could not be parsed. */
  TRACE_PARSE: 'ERR_TRACE_PARSE',
  /** A storage backend (LMDB, the file system) failed. */
  IO: 'ERR_IO',
  /** The engine was used after close(). */
  CLOSED: 'ERR_CLOSED',
  /** A block key is unknown, or belongs to another namespace. */
  NOT_FOUND: 'ERR_NOT_FOUND',
  /** The native addon could not be loaded. */
  NATIVE_LOAD: 'ERR_NATIVE_LOAD',
  /** A pin handle was used after release, or released twice. */
  PIN: 'ERR_PIN',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error raised by kvtier, with a stable `code` to branch on and optional structured details. */
export class KvtierError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KvtierError';
    this.code = code;
    this.details = details;
  }
}

/** Renders a value for an error message: short, unambiguous, never throws. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of ${value.byteLength} bytes`;
  if (value instanceof ArrayBuffer) return `an ArrayBuffer of ${value.byteLength} bytes`;
  return `an object (${value.constructor?.name ?? 'null prototype'})`;
}

/** The one message shape for bad arguments: "expected X for `name`, got V". */
export function invalidArgument(name: string, expected: string, value: unknown): KvtierError {
  return new KvtierError(ErrorCode.INVALID_ARGUMENT, `expected ${expected} for \`${name}\`, got ${describeValue(value)}`, {
    name,
  });
}

/** The same message shape for an invalid configuration value, with code ERR_CONFIG. */
export function invalidConfig(name: string, expected: string, value: unknown): KvtierError {
  return new KvtierError(ErrorCode.CONFIG, `expected ${expected} for \`${name}\`, got ${describeValue(value)}`, { name });
}

/** Wraps an LMDB or file-system failure in one place, keeping the original as `cause`. */
export function ioError(action: string, cause: unknown): KvtierError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new KvtierError(ErrorCode.IO, `${action}: ${reason}`, {}, { cause });
}
