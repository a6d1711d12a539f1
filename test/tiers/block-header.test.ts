/** The durable block header: round trips, damage detection, and the documented byte layout. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HEADER_BYTES, MAX_NAMESPACE_BYTES, decodeHeader, encodeHeader, encodeHeaders, headerOf } from '../../src/tiers/block-header.js';
import type { BlockRecord } from '../../src/tiers/tier.js';
import { keyOf } from './fixtures.js';

const hexKey = fc.stringMatching(/^[0-9a-f]{32}$/);
const namespace = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => Buffer.byteLength(s) <= MAX_NAMESPACE_BYTES);
const record = fc.record<BlockRecord>({
  key: hexKey,
  parent: fc.option(hexKey, { nil: null }),
  namespace,
  length: fc.integer({ min: 0, max: 0xffff_ff00 }),
  checksum: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
});

describe('block header', () => {
  it('round-trips every record, at any offset, with or without the tombstone flag', () => {
    fc.assert(
      fc.property(record, fc.boolean(), fc.nat(64), (r, tombstone, offset) => {
        const buffer = new Uint8Array(offset + HEADER_BYTES + 8);
        encodeHeader(r, buffer, offset, tombstone);
        expect(decodeHeader(buffer, offset, HEADER_BYTES)).toEqual({ ok: true, record: r, tombstone });
      }),
    );
  });

  it('encodes a batch of headers (mixed namespaces, over stale bytes) exactly as one at a time', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 12 }), fc.nat(64), fc.boolean(), (records, offset, tombstone) => {
        const batch = new Uint8Array(offset + records.length * HEADER_BYTES).fill(0xa5);
        encodeHeaders(records, batch, offset, tombstone);
        records.forEach((r, i) => {
          const single = new Uint8Array(HEADER_BYTES);
          encodeHeader(r, single, 0, tombstone);
          const at = offset + i * HEADER_BYTES;
          expect(Buffer.from(batch.subarray(at, at + HEADER_BYTES)).equals(single)).toBe(true);
          expect(decodeHeader(batch, at, HEADER_BYTES)).toEqual({ ok: true, record: r, tombstone });
        });
      }),
    );
  });

  it('detects any single corrupted byte', () => {
    fc.assert(
      fc.property(record, fc.nat(HEADER_BYTES - 1), fc.integer({ min: 1, max: 255 }), (r, at, flip) => {
        const header = headerOf(r);
        header[at] = header[at]! ^ flip;
        expect(decodeHeader(header).ok).toBe(false);
      }),
    );
  });

  it('names what is wrong', () => {
    const r: BlockRecord = { key: keyOf(1), parent: null, namespace: 'ns', length: 10, checksum: 5n };
    const header = headerOf(r);
    expect(decodeHeader(header.subarray(0, 100))).toEqual({ ok: false, reason: 'header truncated (100 of 256 bytes)' });
    expect(decodeHeader(header, 0, 255)).toMatchObject({ ok: false, reason: /truncated/ });
    const badMagic = Buffer.from(header);
    badMagic[0] = 0;
    expect(decodeHeader(badMagic)).toEqual({ ok: false, reason: 'bad magic' });
    const badField = Buffer.from(header);
    badField[20] = badField[20]! ^ 1;
    expect(decodeHeader(badField)).toEqual({ ok: false, reason: 'header checksum mismatch' });
    expect(decodeHeader(new Uint8Array(HEADER_BYTES))).toEqual({ ok: false, reason: 'bad magic' });
  });

  it('stores the fixed layout documented in the file', () => {
    const r: BlockRecord = { key: keyOf(1), parent: keyOf(0), namespace: 'tenant', length: 0x01020304, checksum: 0x1122334455667788n };
    const header = headerOf(r);
    expect(header.toString('latin1', 0, 4)).toBe('KVTB');
    expect(header.readUInt16LE(4)).toBe(2); // format version 2: XXH3-64 checksums
    expect(header.readUInt16LE(6)).toBe(1);
    expect(header.readUInt32LE(8)).toBe(0x01020304);
    expect(header.readUInt16LE(12)).toBe(6);
    expect(header.readBigUInt64LE(16)).toBe(0x1122334455667788n);
    expect(header.toString('hex', 24, 40)).toBe(keyOf(1));
    expect(header.toString('hex', 40, 56)).toBe(keyOf(0));
    expect(header.toString('utf8', 56, 62)).toBe('tenant');
  });
});
