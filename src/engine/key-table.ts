/**
 * The block index's key → id map: open addressing over typed arrays, so a million cached blocks
 * cost tens of bytes each instead of a Map entry plus a 32-character string. Keys are the tiers'
 * storage keys, which the engine already separates by namespace (it hashes namespaced keys); the
 * namespace is recorded with each entry and checked on every find. One entry per storage key,
 * because the tiers have one slot per storage key: a key crafted to equal another namespace's
 * storage key must be refused, not given a second id that would overwrite the other's bytes.
 */
import { ErrorCode, KvtierError } from '../errors.js';
import { resized } from '../memory/resized.js';
import { assertBlockKey } from './block-keys.js';
import type { BlockKey } from '../tiers/tier.js';

const WORDS = 4; // the key as four 32-bit words
const EMPTY = -1;
const MAX_LOAD = 0.6;

/** Dense ids for (block key, namespace) pairs, with id reuse after removal. */
export class KeyTable {
  private words = new Uint32Array(1024 * WORDS);
  /** Namespace index per id; null while every entry is in namespace 0 (a single-tenant cache). */
  private namespaces: Uint32Array | null = null;
  private slots = new Int32Array(2048).fill(EMPTY);
  private freeIds: number[] = [];
  private nextId = 0;
  private live = 0;
  private readonly probe = new Uint32Array(WORDS);

  /** Number of live entries. */
  get size(): number {
    return this.live;
  }

  /** One past the largest id handed out so far (ids are dense below it). */
  get idLimit(): number {
    return this.nextId;
  }

  /** The id of `key` in namespace `ns`, or -1 (also when another namespace holds the key). */
  find(key: BlockKey, ns: number): number {
    this.load(key);
    const id = this.slots[this.locate()]!;
    return id !== EMPTY && this.namespaceOf(id) === ns ? id : EMPTY;
  }

  /**
   * The id of `key` in namespace `ns`, creating one if absent. Throws ERR_INVALID_ARGUMENT when
   * the key is held by another namespace.
   */
  intern(key: BlockKey, ns: number): number {
    this.load(key);
    let slot = this.locate();
    const found = this.slots[slot]!;
    if (found !== EMPTY) {
      if (this.namespaceOf(found) === ns) return found;
      throw new KvtierError(
        ErrorCode.INVALID_ARGUMENT,
        `block key ${key} is already the storage key of a block of another namespace`,
        { key },
      );
    }
    if ((this.live + 1) / this.slots.length > MAX_LOAD) {
      this.rehash(this.slots.length * 2);
      slot = this.locate();
    }
    const id = this.freeIds.length > 0 ? this.freeIds.pop()! : this.nextId++;
    if ((id + 1) * WORDS > this.words.length) {
      this.words = resized(this.words, this.words.length * 2);
      if (this.namespaces !== null) this.namespaces = resized(this.namespaces, this.words.length / WORDS);
    }
    this.words.set(this.probe, id * WORDS);
    if (ns !== 0 && this.namespaces === null) this.namespaces = new Uint32Array(this.words.length / WORDS);
    if (this.namespaces !== null) this.namespaces[id] = ns;
    this.slots[slot] = id;
    this.live++;
    return id;
  }

  /** Removes an id; it may be handed out again by `intern`. */
  release(id: number): void {
    this.probe.set(this.words.subarray(id * WORDS, id * WORDS + WORDS));
    let hole = this.locate();
    if (this.slots[hole] !== id) throw new KvtierError(ErrorCode.NOT_FOUND, `block id ${id} is not in the key table`);
    // Backward-shift deletion keeps linear probing correct without tombstones.
    const mask = this.slots.length - 1;
    let next = (hole + 1) & mask;
    while (this.slots[next] !== EMPTY) {
      const home = this.homeOf(this.slots[next]!);
      const distanceHole = (hole - home) & mask;
      const distanceNext = (next - home) & mask;
      if (distanceHole < distanceNext) {
        this.slots[hole] = this.slots[next]!;
        hole = next;
      }
      next = (next + 1) & mask;
    }
    this.slots[hole] = EMPTY;
    this.freeIds.push(id);
    this.live--;
  }

  /** The block key of an id. */
  keyOf(id: number): BlockKey {
    let hex = '';
    for (let w = 0; w < 4; w++) hex += this.words[id * WORDS + w]!.toString(16).padStart(8, '0');
    return hex;
  }

  /** The namespace index of an id. */
  namespaceOf(id: number): number {
    return this.namespaces?.[id] ?? 0;
  }

  /** Heap bytes held by the table's arrays (for the index-memory benchmark). */
  byteSize(): number {
    return this.words.byteLength + (this.namespaces?.byteLength ?? 0) + this.slots.byteLength + this.freeIds.length * 8;
  }

  private load(key: BlockKey): void {
    assertBlockKey(key);
    for (let w = 0; w < 4; w++) this.probe[w] = Number.parseInt(key.slice(w * 8, w * 8 + 8), 16);
  }

  private homeOf(id: number): number {
    const base = id * WORDS;
    const w = this.words;
    return mix(w[base]!, w[base + 1]!, w[base + 2]!, w[base + 3]!) & (this.slots.length - 1);
  }

  /** The slot holding the probe key (in any namespace), or the empty slot where it would go. */
  private locate(): number {
    const mask = this.slots.length - 1;
    const p = this.probe;
    let slot = mix(p[0]!, p[1]!, p[2]!, p[3]!) & mask;
    for (;;) {
      const id = this.slots[slot]!;
      if (id === EMPTY || this.matches(id)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private matches(id: number): boolean {
    const base = id * WORDS;
    const w = this.words;
    const p = this.probe;
    return w[base] === p[0] && w[base + 1] === p[1] && w[base + 2] === p[2] && w[base + 3] === p[3];
  }

  private rehash(size: number): void {
    const old = this.slots;
    this.slots = new Int32Array(size).fill(EMPTY);
    const mask = size - 1;
    for (let i = 0; i < old.length; i++) {
      const id = old[i]!;
      if (id === EMPTY) continue;
      let slot = this.homeOf(id);
      while (this.slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      this.slots[slot] = id;
    }
  }
}

/**
 * Home-slot hash of the four key words. Keys from `blockKeys` are uniform, but callers may pass
 * any well-formed key (replay's are zero-padded ids), so every word is mixed in (murmur3-style).
 */
function mix(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ w1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ w2, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ w3, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
