/** The one shape of ERR_TRACE_PARSE errors: "<file>:<line>: expected X for `field`, got V". */
import { describeValue, ErrorCode, KvtierError } from '../errors.js';

/**
 * An ERR_TRACE_PARSE error about one line. `field` is null when the whole line is at fault (bad
 * JSON, not an object); `problem` is the rest of the message after "<file>:<line>: ".
 */
export function traceParseError(file: string, line: number, field: string | null, problem: string): KvtierError {
  return new KvtierError(ErrorCode.TRACE_PARSE, `${file}:${line}: ${problem}`, { file, line, field });
}

/**
 * An ERR_TRACE_PARSE error about one field, in the project's "expected X for `name`, got V" shape.
 * `name` defaults to the field; an array element passes e.g. "hash_ids[3]" (details keep the field).
 */
export function traceFieldError(
  file: string,
  line: number,
  field: string,
  expected: string,
  got: unknown,
  name: string = field,
): KvtierError {
  return traceParseError(file, line, field, `expected ${expected} for \`${name}\`, got ${describeValue(got)}`);
}
