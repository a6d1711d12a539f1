/**
 * A byte-level scanner for one JSONL line holding a flat JSON object: the trace readers' hot path.
 * It validates the whole line against the JSON grammar (RFC 8259), picks out the fields of a
 * schema without allocating (numbers are parsed from bytes, the id array is written into a reused
 * typed array), and skips any other field. Unlike JSON.parse it keeps integers beyond 2^53 exact
 * (as digit strings for interning) and reports where the syntax broke.
 *
 * Deviations from JSON.parse, all on the side of rejecting: nesting deeper than 512 levels is an
 * error, and a schema field given twice is reported (`count` > 1) rather than last-one-wins.
 */
import type { IdColumn } from './id-column.js';
import type { IdInterner } from './id-interner.js';

/** How a schema field is read: a JSON number, a JSON string, or the array of block ids. */
export type FieldKind = 'number' | 'string' | 'ids';

/** One field the scanner picks out of the object. */
export interface FieldSpec {
  /** Name as spelled in the file. */
  readonly name: string;
  readonly kind: FieldKind;
}

/** How ids are stored by `scan`. */
export interface IdOptions {
  /** Renumber every id densely while scanning; null keeps numeric ids as they are. */
  interner: IdInterner | null;
  /** Also accept string ids and integer ids beyond 2^53 (requires `interner`). */
  allowStringIds: boolean;
  /**
   * Write each line's ids into this column, past its committed length, instead of a buffer reused
   * line after line; the caller commits them (requires `interner`: dense ids fit an Int32Array).
   * @default null
   */
  column?: IdColumn | null;
}

const MAX_DEPTH = 512;
/** Up to this many significant digits a decimal mantissa is exact in a double. */
const EXACT_DIGITS = 15;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
/** 10^0 … 10^3 as int32s: the id loop's arithmetic then stays in integers (POW10 holds doubles). */
const WORD_POW10 = Int32Array.of(1, 10, 100, 1000);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const SPACE = 0x20;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

/** Thrown internally to unwind from a syntax error; never escapes `scan`. */
const SYNTAX = new Error('json syntax');

/** `FieldKind`s as small integers (index in this list), for the per-field dispatch. */
const KINDS: readonly FieldKind[] = ['number', 'string', 'ids'];
const NUMBER = 0;
const STRING = 1;
const IDS = 2;

/**
 * How many of the four bytes of `word` (little-endian: the first byte is the lowest), counted from
 * the first, are ASCII digits. A byte b is a digit iff neither b − 0x30 nor b + 0x46 sets its top
 * bit; the borrows and carries of the lane arithmetic only ever reach bytes after the first
 * non-digit, whose answer is then not needed.
 */
function digitCount(word: number): number {
  const nonDigits = (((word - 0x30303030) | 0) | ((word + 0x46464646) | 0)) & 0x80808080;
  return nonDigits === 0 ? 4 : (31 - Math.clz32(nonDigits & -nonDigits)) >> 3;
}

/**
 * The value of the first `count` (1 to 4) bytes of `word`, all ASCII digits, as a decimal number:
 * they are shifted to the top lanes (the lanes below become leading zeros), then pairs of lanes are
 * combined (×10), then pairs of pairs (×100), with 32-bit multiplications.
 */
function digitsValue(word: number, count: number): number {
  const digits = ((word - 0x30303030) | 0) << (32 - 8 * count);
  const pairs = (Math.imul(digits & 0x0f0f0f0f, 10 * 256 + 1) >>> 8) & 0x00ff00ff;
  return Math.imul(pairs, 100 * 65536 + 1) >>> 16;
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

function isHex(c: number): boolean {
  return (c >= ZERO && c <= NINE) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Scans lines against one schema; results of the last `scan` are in its public fields. */
export class RecordScanner {
  readonly fields: readonly FieldSpec[];
  /** Occurrences of each field in the last line (saturates at 255). */
  readonly count: Uint8Array;
  /** Whether each field's (last) value had the JSON type its kind asks for. */
  readonly typeOk: Uint8Array;
  /** Value of each number field. */
  readonly numbers: Float64Array;
  /** Value of each string field. */
  readonly strings: (string | undefined)[];
  /** Byte span [valueStart, valueEnd) of each field's last value, to describe it in errors. */
  readonly valueStart: Int32Array;
  readonly valueEnd: Int32Array;
  /**
   * The ids of the id field (raw or dense): `idCount` of them from `idStart` (0 unless they are
   * written into a column). Reallocated when it grows.
   */
  ids: Float64Array | Int32Array;
  idStart = 0;
  idCount = 0;
  /** Index of the first element that is not a valid id, or -1; its byte span follows. */
  badIdIndex = -1;
  badIdStart = 0;
  badIdEnd = 0;
  /** Set when the line is valid JSON but not an object. */
  notObject = false;
  /** The syntax error of the last line ("at column N: …"), or null. */
  syntaxError: string | null = null;

  private readonly names: Uint8Array[];
  /** Each name's bytes as little-endian 32-bit words (the last zero-padded), to match keys a word at a time. */
  private readonly nameWords: Int32Array[];
  /** Per name, the mask of the bytes of its last word that belong to it. */
  private readonly lastWordMasks: Int32Array;
  private readonly kinds: Uint8Array;
  /** The field whose key is tried first: the one after the last key matched (files repeat one key order). */
  private nextField = 0;
  private readonly interner: IdInterner | null;
  private readonly column: IdColumn | null;
  private readonly allowStringIds: boolean;
  private buf: Buffer = Buffer.alloc(0);
  /** `buf` read four bytes at a time (little-endian), for the id loop. */
  private words = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private lineStart = 0;
  private end = 0;
  private numValue = 0;
  private numInteger = false;

  constructor(fields: readonly FieldSpec[], idOptions: IdOptions) {
    if (fields.filter((f) => f.kind === 'ids').length > 1) throw new Error('a schema has at most one ids field');
    if (idOptions.allowStringIds && !idOptions.interner) throw new Error('string ids need an interner');
    if (idOptions.column && !idOptions.interner) throw new Error('an id column needs an interner');
    this.fields = fields;
    this.names = fields.map((f) => Buffer.from(f.name, 'utf8'));
    // Keys are matched byte for byte against the names, which is only right for names that need no escaping.
    if (this.names.some((name) => name.some((b) => b < 0x20 || b === QUOTE || b === BACKSLASH))) {
      throw new Error('field names must not contain quotes, backslashes or control characters');
    }
    this.nameWords = this.names.map((name) => {
      const words = new Int32Array(Math.ceil(name.length / 4));
      for (let i = 0; i < name.length; i++) words[i >> 2]! |= name[i]! << (8 * (i & 3));
      return words;
    });
    this.lastWordMasks = Int32Array.from(this.names, (name) => (name.length % 4 === 0 ? -1 : (1 << (8 * (name.length % 4))) - 1));
    this.kinds = Uint8Array.from(fields, (f) => KINDS.indexOf(f.kind));
    this.count = new Uint8Array(fields.length);
    this.typeOk = new Uint8Array(fields.length);
    this.numbers = new Float64Array(fields.length);
    this.strings = new Array<string | undefined>(fields.length).fill(undefined);
    this.valueStart = new Int32Array(fields.length);
    this.valueEnd = new Int32Array(fields.length);
    this.interner = idOptions.interner;
    this.allowStringIds = idOptions.allowStringIds;
    this.column = idOptions.column ?? null;
    this.ids = this.column ? this.column.array : new Float64Array(1024);
  }

  /**
   * Scans bytes [start, end) of `buf` as one line. Returns false for a blank line (whitespace
   * only). Otherwise check `syntaxError`, then `notObject`, then the per-field results.
   */
  scan(buf: Buffer, start: number, end: number): boolean {
    if (buf !== this.buf) {
      this.buf = buf;
      this.words = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    this.lineStart = start;
    this.end = end;
    const count = this.count;
    for (let f = 0; f < count.length; f++) count[f] = 0;
    if (this.column !== null) {
      this.ids = this.column.array;
      this.idStart = this.column.length;
    }
    this.idCount = 0;
    this.badIdIndex = -1;
    this.notObject = false;
    this.syntaxError = null;
    let pos = this.skipWs(start);
    if (pos === end) return false;
    try {
      if (buf[pos] === OPEN_BRACE) {
        pos = this.scanRecord(pos);
      } else {
        pos = this.skipValue(pos, 0);
        this.notObject = true;
      }
      pos = this.skipWs(pos);
      if (pos !== end) this.fail(pos, 'after the end of the JSON value');
    } catch (error) {
      if (error !== SYNTAX) throw error;
    }
    return true;
  }

  /** The JSON text of bytes [start, end) of the last line, decoded (for error messages; the span is valid JSON). */
  decode(start: number, end: number): unknown {
    return JSON.parse(this.buf.toString('utf8', start, end));
  }

  /** The whole last line as text. */
  lineText(): string {
    return this.buf.toString('utf8', this.lineStart, this.end);
  }

  private fail(pos: number, where?: string): never {
    const column = pos - this.lineStart + 1;
    let what: string;
    if (pos >= this.end) what = 'unexpected end of line';
    else {
      const c = this.buf[pos]!;
      what = c >= 0x20 && c < 0x7f ? `unexpected ${JSON.stringify(String.fromCharCode(c))}` : `unexpected byte 0x${c.toString(16).padStart(2, '0')}`;
    }
    this.syntaxError = `at column ${column}: ${what}${where ? ` ${where}` : ''}`;
    throw SYNTAX;
  }

  private skipWs(pos: number): number {
    const buf = this.buf;
    const end = this.end;
    while (pos < end && isWhitespace(buf[pos]!)) pos++;
    return pos;
  }

  /** `skipWs` for the usual spacing after a separator, nothing or one space, decided without a loop. */
  private skipBlank(pos: number): number {
    const buf = this.buf;
    const end = this.end;
    if (pos < end && buf[pos] === SPACE) pos++;
    // Every whitespace byte is at most a space.
    return pos < end && buf[pos]! <= SPACE ? this.skipWs(pos) : pos;
  }

  private expect(pos: number, byte: number, where: string): number {
    pos = this.skipWs(pos);
    if (pos >= this.end || this.buf[pos] !== byte) this.fail(pos, where);
    return pos + 1;
  }

  /** The top-level object: schema fields are read, other fields skipped. */
  private scanRecord(pos: number): number {
    const buf = this.buf;
    const end = this.end;
    pos = this.skipWs(pos + 1);
    if (pos < end && buf[pos] === CLOSE_BRACE) return pos + 1;
    for (;;) {
      if (pos >= end || buf[pos] !== QUOTE) this.fail(pos, 'where a field name was expected');
      let field = this.plainKey(pos);
      if (field >= 0) {
        pos += this.names[field]!.length + 2;
      } else {
        const keyEnd = this.skipString(pos);
        field = this.fieldIndex(pos, keyEnd);
        pos = keyEnd;
      }
      pos = pos < end && buf[pos] === COLON ? pos + 1 : this.expect(pos, COLON, "where ':' was expected");
      pos = this.skipBlank(pos);
      pos = field < 0 ? this.skipValue(pos, 1) : this.scanField(field, pos);
      if (pos < end && buf[pos] === COMMA) {
        pos = this.skipBlank(pos + 1);
        continue;
      }
      pos = this.skipWs(pos);
      if (pos >= end) this.fail(pos, "where ',' or '}' was expected");
      const c = buf[pos];
      if (c === COMMA) pos = this.skipWs(pos + 1);
      else if (c === CLOSE_BRACE) return pos + 1;
      else this.fail(pos, "where ',' or '}' was expected");
    }
  }

  /**
   * The schema field whose name the string at `pos` (its opening quote) spells exactly, without
   * escapes, or -1. Matching the bytes up to the closing quote also validates the key (field names
   * need no escaping), so the common case reads each key once.
   */
  private plainKey(pos: number): number {
    const buf = this.buf;
    const end = this.end;
    const names = this.names;
    const fieldCount = names.length;
    for (let tried = 0, f = this.nextField; tried < fieldCount; tried++, f = f + 1 === fieldCount ? 0 : f + 1) {
      const close = pos + 1 + names[f]!.length;
      if (close >= end || buf[close] !== QUOTE) continue;
      if (this.keyIs(f, pos + 1)) {
        this.nextField = f + 1 === fieldCount ? 0 : f + 1;
        return f;
      }
    }
    return -1;
  }

  /** Whether the bytes from `at` spell field `f`'s name, compared four at a time. */
  private keyIs(f: number, at: number): boolean {
    const name = this.nameWords[f]!;
    const last = name.length - 1;
    const words = this.words;
    // The last word may reach up to three bytes past the name (masked off): it must still lie in the buffer.
    if (last < 0 || at + 4 * last + 4 > this.buf.length) return this.keyIsByBytes(f, at);
    for (let k = 0; k < last; k++) {
      if (words.getInt32(at + 4 * k, true) !== name[k]) return false;
    }
    return (words.getInt32(at + 4 * last, true) & this.lastWordMasks[f]!) === name[last];
  }

  /** `keyIs` a byte at a time, for a key at the very end of the buffer. */
  private keyIsByBytes(f: number, at: number): boolean {
    const name = this.names[f]!;
    const buf = this.buf;
    for (let i = 0; i < name.length; i++) if (name[i] !== buf[at + i]) return false;
    return true;
  }

  /** Which schema field the key at [start, end) (quotes included) names, or -1. */
  private fieldIndex(start: number, end: number): number {
    const buf = this.buf;
    const length = end - start - 2;
    const names = this.names;
    for (let f = 0; f < names.length; f++) {
      const name = names[f]!;
      if (name.length !== length) continue;
      let i = 0;
      while (i < length && name[i] === buf[start + 1 + i]) i++;
      if (i === length) return f;
    }
    // A key spelled with escapes ("hash\u005fids") still names its field.
    for (let i = start + 1; i < end - 1; i++) {
      if (buf[i] === BACKSLASH) {
        const key = this.decode(start, end) as string;
        return this.fields.findIndex((f) => f.name === key);
      }
    }
    return -1;
  }

  private scanField(field: number, pos: number): number {
    if (this.count[field]! < 255) this.count[field]!++;
    this.valueStart[field] = pos;
    const kind = this.kinds[field]!;
    const c = this.buf[pos]!;
    let end: number;
    let ok = false;
    if (kind === NUMBER && (c === MINUS || (c >= ZERO && c <= NINE))) {
      end = this.scanNumber(pos);
      this.numbers[field] = this.numValue;
      ok = true;
    } else if (kind === STRING && c === QUOTE) {
      end = this.skipString(pos);
      this.strings[field] = this.stringAt(pos, end);
      ok = true;
    } else if (kind === IDS && c === OPEN_BRACKET) {
      end = this.scanIds(pos);
      ok = true;
    } else {
      end = this.skipValue(pos, 1);
    }
    this.typeOk[field] = ok ? 1 : 0;
    this.valueEnd[field] = end;
    return end;
  }

  /**
   * The id array: the hot loop of trace parsing, kept to locals and the common ", " separator. An
   * id of up to seven digits is read a word at a time (`digitCount`, `digitsValue`); the last few
   * bytes of a line, and longer or unusual ids, go byte by byte.
   */
  private scanIds(pos: number): number {
    const buf = this.buf;
    const words = this.words;
    const end = this.end;
    // Whole words are read only within the line: from `pos` up to `wordsEnd` both fit before `end`.
    const wordsEnd = end - 8;
    const interner = this.interner;
    const start = this.idStart;
    let ids = this.ids;
    pos = this.skipWs(pos + 1);
    if (pos < end && buf[pos] === CLOSE_BRACKET) return pos + 1;
    let at = start;
    for (;;) {
      if (at === ids.length) ids = this.growIds(at - start);
      // The id's value and the position after its digits, or -1 when it needs the slow path.
      let value = 0;
      let p = -1;
      if (pos <= wordsEnd) {
        // Up to seven digits from two words, with no loop (so no mispredicted branch where the
        // digits end). Written out here rather than in a helper: V8 inlines the small helpers into
        // this loop, but not a helper of its own that calls them.
        const low = words.getInt32(pos, true);
        const lowDigits = digitCount(low);
        if (lowDigits < 4) {
          // No leading zero (JSON has none): "0" alone is the only id that starts with one.
          if (lowDigits > 0 && ((low & 0xff) !== ZERO || lowDigits === 1)) {
            value = digitsValue(low, lowDigits);
            p = pos + lowDigits;
          }
        } else if ((low & 0xff) !== ZERO) {
          const high = words.getInt32(pos + 4, true);
          const highDigits = digitCount(high);
          if (highDigits < 4) {
            value = digitsValue(low, 4) * WORD_POW10[highDigits]! + (highDigits === 0 ? 0 : digitsValue(high, highDigits));
            p = pos + 4 + highDigits;
          }
        }
      }
      if (p < 0) {
        const first = pos < end ? buf[pos]! : -1;
        if (first >= ZERO && first <= NINE) {
          let c = first;
          let q = pos + 1;
          value = first - ZERO;
          while (q < end && (c = buf[q]!) >= ZERO && c <= NINE) {
            value = value * 10 + (c - ZERO);
            q++;
          }
          // Up to 15 digits and no leading zero: an exact unsigned integer, no Number() or safety check needed.
          if (q - pos <= EXACT_DIGITS && (first !== ZERO || q === pos + 1)) p = q;
        }
      }
      // A separator must follow (not ".", "e", or the line's end): else the slow path says what is wrong.
      let c = p >= 0 && p < end ? buf[p]! : -1;
      if (c === COMMA || c === CLOSE_BRACKET || c === SPACE) {
        ids[at] = interner === null ? value : interner.number(value);
        pos = p;
      } else {
        pos = this.scanIdSlow(pos, at - start);
        c = pos < end ? buf[pos]! : -1;
      }
      at++;
      if (c === COMMA) {
        pos = this.skipBlank(pos + 1);
        continue;
      }
      if (c === CLOSE_BRACKET) break;
      pos = this.skipWs(pos);
      c = pos < end ? buf[pos]! : -1;
      if (c === COMMA) pos = this.skipWs(pos + 1);
      else if (c === CLOSE_BRACKET) break;
      else this.fail(pos, "where ',' or ']' was expected");
    }
    this.idCount = at - start;
    return pos + 1;
  }

  /** Any id element other than a short unsigned integer: signed, fractional, huge, string or wrong type. */
  private scanIdSlow(pos: number, index: number): number {
    const c = pos < this.end ? this.buf[pos]! : -1;
    let end: number;
    let id = -1;
    if (c === MINUS || (c >= ZERO && c <= NINE)) {
      end = this.scanNumber(pos);
      const value = this.numValue;
      if (Number.isSafeInteger(value) && value >= 0) {
        id = this.interner ? this.interner.number(value + 0) : value + 0;
      } else if (this.allowStringIds && this.numInteger && c !== MINUS) {
        id = this.interner!.string(this.buf.toString('latin1', pos, end));
      }
    } else if (c === QUOTE) {
      end = this.skipString(pos);
      if (this.allowStringIds) id = this.interner!.string(this.stringAt(pos, end));
    } else {
      end = this.skipValue(pos, 2);
    }
    if (id < 0 && this.badIdIndex < 0) {
      this.badIdIndex = index;
      this.badIdStart = pos;
      this.badIdEnd = end;
    }
    this.ids[this.idStart + index] = id;
    return end;
  }

  /** Room for more ids once `written` of this line's are in. */
  private growIds(written: number): Float64Array | Int32Array {
    if (this.column !== null) {
      this.ids = this.column.reserve(written + 1);
    } else {
      const bigger = new Float64Array(this.ids.length * 2);
      bigger.set(this.ids);
      this.ids = bigger;
    }
    return this.ids;
  }

  /** A JSON number at `pos`; its value lands in `numValue`, whether it had neither fraction nor exponent in `numInteger`. */
  private scanNumber(pos: number): number {
    const buf = this.buf;
    const end = this.end;
    const start = pos;
    const negative = buf[pos] === MINUS;
    if (negative) pos++;
    let c = pos < end ? buf[pos]! : -1;
    let mantissa = 0;
    let digits = 0;
    if (c === ZERO) {
      pos++;
      digits = 1;
    } else if (c > ZERO && c <= NINE) {
      while (pos < end && (c = buf[pos]!) >= ZERO && c <= NINE) {
        mantissa = mantissa * 10 + (c - ZERO);
        digits++;
        pos++;
      }
    } else {
      this.fail(pos, 'in a number');
    }
    let fractionDigits = 0;
    let exponent = false;
    if (pos < end && buf[pos] === DOT) {
      pos++;
      while (pos < end && (c = buf[pos]!) >= ZERO && c <= NINE) {
        mantissa = mantissa * 10 + (c - ZERO);
        digits++;
        fractionDigits++;
        pos++;
      }
      if (fractionDigits === 0) this.fail(pos, 'in a number');
    }
    if (pos < end && ((c = buf[pos]!) === LOWER_E || c === UPPER_E)) {
      exponent = true;
      pos++;
      if (pos < end && ((c = buf[pos]!) === PLUS || c === MINUS)) pos++;
      const exponentStart = pos;
      while (pos < end && (c = buf[pos]!) >= ZERO && c <= NINE) pos++;
      if (pos === exponentStart) this.fail(pos, 'in a number');
    }
    let value: number;
    if (!exponent && digits <= EXACT_DIGITS) {
      // Both operands are exact doubles, and IEEE division rounds correctly.
      value = fractionDigits === 0 ? mantissa : mantissa / POW10[fractionDigits]!;
      if (negative) value = -value;
    } else {
      value = Number(buf.toString('latin1', start, pos));
    }
    this.numValue = value;
    this.numInteger = fractionDigits === 0 && !exponent;
    return pos;
  }

  /** Validates the string starting at the quote at `pos`; returns the position after its closing quote. */
  private skipString(pos: number): number {
    const buf = this.buf;
    const end = this.end;
    pos++;
    for (;;) {
      let c = -1;
      while (pos < end && (c = buf[pos]!) >= 0x20 && c !== QUOTE && c !== BACKSLASH) pos++;
      if (pos >= end) this.fail(pos, 'in a string');
      if (c === QUOTE) return pos + 1;
      if (c !== BACKSLASH) this.fail(pos, 'in a string'); // a control character
      const e = pos + 1 < end ? buf[pos + 1]! : -1;
      if (e === 0x75 /* u */) {
        for (let i = 2; i < 6; i++) {
          if (pos + i >= end || !isHex(buf[pos + i]!)) this.fail(pos + i, 'in a \\u escape');
        }
        pos += 6;
      } else if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        pos += 2;
      } else {
        this.fail(pos + 1, 'after a backslash');
      }
    }
  }

  /** The decoded text of the string at [start, end) (quotes included). */
  private stringAt(start: number, end: number): string {
    const buf = this.buf;
    for (let i = start + 1; i < end - 1; i++) {
      if (buf[i] === BACKSLASH) return this.decode(start, end) as string;
    }
    return buf.toString('utf8', start + 1, end - 1);
  }

  /** Validates any JSON value at `pos` (after whitespace); returns the position after it. */
  private skipValue(pos: number, depth: number): number {
    const buf = this.buf;
    const end = this.end;
    if (pos >= end) this.fail(pos, 'where a value was expected');
    const c = buf[pos]!;
    if (c === QUOTE) return this.skipString(pos);
    if (c === MINUS || (c >= ZERO && c <= NINE)) return this.scanNumber(pos);
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (depth >= MAX_DEPTH) this.fail(pos, `nested deeper than ${MAX_DEPTH} levels`);
      const object = c === OPEN_BRACE;
      const close = object ? CLOSE_BRACE : CLOSE_BRACKET;
      pos = this.skipWs(pos + 1);
      if (pos < end && buf[pos] === close) return pos + 1;
      for (;;) {
        if (object) {
          if (pos >= end || buf[pos] !== QUOTE) this.fail(pos, 'where a field name was expected');
          pos = this.expect(this.skipString(pos), COLON, "where ':' was expected");
          pos = this.skipWs(pos);
        }
        pos = this.skipWs(this.skipValue(pos, depth + 1));
        if (pos >= end) this.fail(pos, object ? "where ',' or '}' was expected" : "where ',' or ']' was expected");
        const next = buf[pos];
        if (next === COMMA) pos = this.skipWs(pos + 1);
        else if (next === close) return pos + 1;
        else this.fail(pos, object ? "where ',' or '}' was expected" : "where ',' or ']' was expected");
      }
    }
    for (const literal of LITERALS) {
      if (c === literal[0] && end - pos >= literal.length && literal.every((b, i) => buf[pos + i] === b)) {
        return pos + literal.length;
      }
    }
    return this.fail(pos, 'where a value was expected');
  }
}

const LITERALS = ['true', 'false', 'null'].map((word) => [...Buffer.from(word)]);
