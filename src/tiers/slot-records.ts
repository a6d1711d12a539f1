/**
 * The block records of a memory tier, kept in typed-array columns indexed by slot, with an
 * open-addressing key → slot index over them: no JS object or string per block, so a tier holding
 * a million blocks spends about 30 bytes of bookkeeping on each instead of a Map entry plus a
 * record object (about 180 bytes).
 */
import { resized } from '../memory/resized.js';
import { keyDigit, type BlockKey, type BlockRecord } from './tier.js';

/** A block key is 128 bits: four 32-bit words, most significant first (the hex order). */
const KEY_WORDS = 4;
const EMPTY = -1;
/** Highest load of the key index; linear probing averages 2.5 probes per hit and 8.5 per miss at it. */
const MAX_LOAD = 0.75;
const MIN_SLOTS = 64;
const MIN_TABLE = 16;
const TWO_TO_32 = 2 ** 32;

/**
 * Per-slot records of a memory tier and the index of its published keys.
 *
 * A slot's columns are written by `store`, possibly well before its key is published (while the
 * bytes are still being copied in); the key becomes findable only with `publish`. Each key is
 * published in at most one slot, but a second slot may hold a newer record of the same key while
 * its copy runs: `publish` then moves the key to it and hands back the old slot.
 *
 * Columns grow with the highest slot in use, never past the tier's capacity, so a full tier pays
 * exactly one entry per slot. Columns that would hold the same value for every block (the full
 * length, a single namespace, no parent) are allocated only once some block differs.
 */
export class SlotRecords {
  private readonly capacity: number;
  private readonly fullLength: number;
  private allocated = 0;
  private keys = new Uint32Array(0);
  private checksums = new BigUint64Array(0);
  /** Payload lengths; null while every stored block is `fullLength` bytes. */
  private lengths: Uint32Array | null = null;
  /** Indices into `names`; null while every stored block belongs to names[0]. */
  private namespaces: Uint16Array | Uint32Array | null = null;
  /** Parent key words; null until a block with a parent is stored. */
  private parents: Uint32Array | null = null;
  /** One bit per slot: whether it has a parent. Keys use all 128 bits, so no key value can mean "none". */
  private parentBits: Uint8Array | null = null;
  private readonly names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  /** Slots by key hash, EMPTY where free. Not a power of two: sized to the capacity once it would reach it. */
  private table: Int32Array;
  private readonly maxTableSize: number;
  private published = 0;
  private readonly probe = new Uint32Array(KEY_WORDS);

  /**
   * @param capacity the tier's slot count: slots are in [0, capacity)
   * @param fullLength the tier's block size, the length most blocks have
   */
  constructor(capacity: number, fullLength: number) {
    this.capacity = capacity;
    this.fullLength = fullLength;
    // Every published key holds a slot, so at most `capacity` keys: this size keeps the load at or below MAX_LOAD.
    this.maxTableSize = Math.ceil(capacity / MAX_LOAD) + 1;
    this.table = new Int32Array(Math.min(this.maxTableSize, MIN_TABLE)).fill(EMPTY);
  }

  /** Published keys. */
  get size(): number {
    return this.published;
  }

  /** The slot of a published key, or -1. `key` must be well formed (the tier validates it). */
  find(key: BlockKey): number {
    this.loadKey(key);
    return this.table[this.locate()]!;
  }

  /** Writes `record` into the columns of `slot` (not yet findable unless the slot already holds the key). */
  store(slot: number, record: BlockRecord): void {
    if (slot >= this.allocated) this.grow(slot);
    writeKey(this.keys, slot * KEY_WORDS, record.key);
    this.checksums[slot] = record.checksum;
    if (record.length !== this.fullLength || this.lengths !== null) this.lengthColumn()[slot] = record.length;
    const ns = this.nameId(record.namespace);
    if (ns !== 0 || this.namespaces !== null) this.namespaceColumn(ns)[slot] = ns;
    if (record.parent !== null) {
      writeKey(this.parentColumn(), slot * KEY_WORDS, record.parent);
      this.parentBits![slot >>> 3] |= 1 << (slot & 7);
    } else if (this.parentBits !== null) {
      this.parentBits[slot >>> 3] &= ~(1 << (slot & 7));
    }
  }

  /**
   * Makes the key stored in `slot` findable there. Returns the slot that published it before (to
   * be recycled by the caller), or -1.
   */
  publish(slot: number): number {
    const base = slot * KEY_WORDS;
    for (let w = 0; w < KEY_WORDS; w++) this.probe[w] = this.keys[base + w]!;
    let cell = this.locate();
    const previous = this.table[cell]!;
    if (previous !== EMPTY) {
      this.table[cell] = slot;
      return previous;
    }
    if (this.published + 1 > this.table.length * MAX_LOAD && this.table.length < this.maxTableSize) {
      this.rehash(Math.min(this.maxTableSize, this.table.length * 2));
      cell = this.locate();
    }
    this.table[cell] = slot;
    this.published++;
    return EMPTY;
  }

  /** Unpublishes a key; returns the slot it held (to be recycled by the caller), or -1. */
  remove(key: BlockKey): number {
    this.loadKey(key);
    let hole = this.locate();
    const slot = this.table[hole]!;
    if (slot === EMPTY) return EMPTY;
    // Backward-shift deletion: pull later entries of the probe run into the hole whenever the hole
    // lies between their home cell and where they sit, so lookups never need tombstones.
    const size = this.table.length;
    let next = hole + 1 === size ? 0 : hole + 1;
    while (this.table[next] !== EMPTY) {
      const home = this.homeOfSlot(this.table[next]!);
      if (distance(home, next, size) >= distance(hole, next, size)) {
        this.table[hole] = this.table[next]!;
        hole = next;
      }
      next = next + 1 === size ? 0 : next + 1;
    }
    this.table[hole] = EMPTY;
    this.published--;
    return slot;
  }

  /** Payload length of the record in `slot`. */
  lengthOf(slot: number): number {
    return this.lengths === null ? this.fullLength : this.lengths[slot]!;
  }

  /** The key stored in `slot`. */
  keyOf(slot: number): BlockKey {
    return readKey(this.keys, slot * KEY_WORDS);
  }

  /** The record stored in `slot`, built on demand; pass `key` when the caller already has it as a string. */
  recordOf(slot: number, key: BlockKey = this.keyOf(slot)): BlockRecord {
    const hasParent = this.parentBits !== null && (this.parentBits[slot >>> 3]! & (1 << (slot & 7))) !== 0;
    return {
      key,
      parent: hasParent ? readKey(this.parents!, slot * KEY_WORDS) : null,
      namespace: this.names[this.namespaces === null ? 0 : this.namespaces[slot]!]!,
      length: this.lengthOf(slot),
      checksum: this.checksums[slot]!,
    };
  }

  /** Forgets every record and releases the columns. */
  clear(): void {
    this.allocated = 0;
    this.keys = new Uint32Array(0);
    this.checksums = new BigUint64Array(0);
    this.lengths = null;
    this.namespaces = null;
    this.parents = null;
    this.parentBits = null;
    this.names.length = 0;
    this.nameIds.clear();
    this.table = new Int32Array(Math.min(this.maxTableSize, MIN_TABLE)).fill(EMPTY);
    this.published = 0;
  }

  private grow(slot: number): void {
    const size = Math.min(this.capacity, Math.max(slot + 1, this.allocated * 2, MIN_SLOTS));
    this.keys = resized(this.keys, size * KEY_WORDS);
    this.checksums = resized(this.checksums, size);
    if (this.lengths !== null) this.lengths = resized(this.lengths, size);
    if (this.namespaces !== null) this.namespaces = resized(this.namespaces, size);
    if (this.parents !== null) this.parents = resized(this.parents, size * KEY_WORDS);
    if (this.parentBits !== null) this.parentBits = resized(this.parentBits, Math.ceil(size / 8));
    this.allocated = size;
  }

  private lengthColumn(): Uint32Array {
    // Every block stored so far had the full length.
    this.lengths ??= new Uint32Array(this.allocated).fill(this.fullLength);
    return this.lengths;
  }

  /** The namespace column, wide enough for index `ns`. */
  private namespaceColumn(ns: number): Uint16Array | Uint32Array {
    // Zero-filled: every block stored so far belongs to names[0].
    this.namespaces ??= new Uint16Array(this.allocated);
    if (ns > 0xffff && this.namespaces instanceof Uint16Array) this.namespaces = Uint32Array.from(this.namespaces);
    return this.namespaces;
  }

  private parentColumn(): Uint32Array {
    if (this.parents === null) {
      this.parents = new Uint32Array(this.allocated * KEY_WORDS);
      this.parentBits = new Uint8Array(Math.ceil(this.allocated / 8));
    }
    return this.parents;
  }

  private nameId(namespace: string): number {
    let id = this.nameIds.get(namespace);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(namespace);
      this.nameIds.set(namespace, id);
    }
    return id;
  }

  private loadKey(key: BlockKey): void {
    writeKey(this.probe, 0, key);
  }

  /** The cell holding the probe key, or the empty cell ending its probe run. */
  private locate(): number {
    const size = this.table.length;
    const p = this.probe;
    let cell = homeCell(hashWords(p[0]!, p[1]!, p[2]!, p[3]!), size);
    for (;;) {
      const slot = this.table[cell]!;
      if (slot === EMPTY || this.slotHoldsProbe(slot)) return cell;
      cell = cell + 1 === size ? 0 : cell + 1;
    }
  }

  private slotHoldsProbe(slot: number): boolean {
    const base = slot * KEY_WORDS;
    const k = this.keys;
    const p = this.probe;
    return k[base] === p[0] && k[base + 1] === p[1] && k[base + 2] === p[2] && k[base + 3] === p[3];
  }

  private homeOfSlot(slot: number): number {
    const base = slot * KEY_WORDS;
    const k = this.keys;
    return homeCell(hashWords(k[base]!, k[base + 1]!, k[base + 2]!, k[base + 3]!), this.table.length);
  }

  private rehash(size: number): void {
    const old = this.table;
    this.table = new Int32Array(size).fill(EMPTY);
    for (let i = 0; i < old.length; i++) {
      const slot = old[i]!;
      if (slot === EMPTY) continue;
      let cell = this.homeOfSlot(slot);
      while (this.table[cell] !== EMPTY) cell = cell + 1 === size ? 0 : cell + 1;
      this.table[cell] = slot;
    }
  }
}

/** Parses a well-formed key (32 lowercase hex characters) into four words at `base`. */
function writeKey(words: Uint32Array, base: number, key: BlockKey): void {
  for (let w = 0; w < KEY_WORDS; w++) {
    let word = 0;
    for (let i = w * 8; i < w * 8 + 8; i++) word = (word << 4) | keyDigit(key, i);
    words[base + w] = word;
  }
}

function readKey(words: Uint32Array, base: number): BlockKey {
  let hex = '';
  for (let w = 0; w < KEY_WORDS; w++) hex += words[base + w]!.toString(16).padStart(8, '0');
  return hex;
}

/**
 * A 32-bit hash of the four key words. Keys from `blockKeys` are uniform already, but any
 * well-formed key is accepted (replay's are zero-padded counters), so every word is mixed in.
 * `homeCell` uses the high bits, which multiplication mixes best.
 */
function hashWords(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ 0x3c6ef372, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15) ^ w1, 0x85ebca77);
  h = Math.imul(h ^ (h >>> 13) ^ w2, 0xc2b2ae3d);
  h = Math.imul(h ^ (h >>> 16) ^ w3, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 15), 0x165667b1);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Maps a 32-bit hash onto [0, size) by multiplication, so the table size need not be a power of two. */
function homeCell(hash: number, size: number): number {
  // hash * size < 2^63; the relative rounding error (2^-53) cannot lift the result to `size`.
  return Math.floor((hash * size) / TWO_TO_32);
}

/** Steps forward from cell `from` to cell `to` in a circular table of `size` cells. */
function distance(from: number, to: number, size: number): number {
  return to >= from ? to - from : to - from + size;
}
