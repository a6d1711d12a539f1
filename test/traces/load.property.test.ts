import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MooncakeReader } from '../../src/traces/mooncake-reader.js';
import { collect, denseIds, tempDir } from './helpers.js';

/** JSON whitespace as writers spread it: none, spaces, tabs, a mix. */
const blank = fc.constantFrom('', ' ', '  ', '\t', ' \t ');
/** Ids of every length the scanner treats differently: 0, short, long, up to 2^53 − 1. */
const id = fc.oneof(fc.nat({ max: 50 }), fc.nat({ max: 99_999 }), fc.constant(0), fc.nat({ max: 2 ** 53 - 1 }));
/** The key as spelled in the file: usually plain, sometimes with an escape the fast key match cannot take. */
const spelled = (name: string) => fc.constantFrom(`"${name}"`, `"${name}"`, `"${name}"`, `"${name.replace('_', '\\u005f')}"`);

/** One valid Mooncake line in random key order, spacing and extra fields; long id lists force the id column to grow mid-line. */
const line = fc
  .record({
    ids: fc.oneof(fc.array(id, { minLength: 1, maxLength: 12 }), fc.array(fc.nat({ max: 3000 }), { minLength: 1000, maxLength: 3000 })),
    slack: fc.nat({ max: 511 }),
    output: fc.nat({ max: 1000 }),
    extra: fc.option(fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value))),
    order: fc.shuffledSubarray([0, 1, 2, 3, 4], { minLength: 5, maxLength: 5 }),
    spaces: fc.array(blank, { minLength: 8, maxLength: 8 }),
    keys: fc.tuple(spelled('input_length'), spelled('output_length'), spelled('hash_ids')),
  })
  .map(({ ids, slack, output, extra, order, spaces, keys }) => {
    const [a, b, c, d, e, f, g, h] = spaces;
    const fields = [
      `"timestamp"${a}:${b}TIMESTAMP`,
      `${keys[0]}${c}:${d}${ids.length * 512 - slack}`,
      `${keys[1]}:${e}${output}`,
      `${keys[2]}${f}:${g}[${g}${ids.join(`${h},${g}`)}${h}]`,
      extra === null ? null : `"extra":${e}${extra}`,
    ];
    const body = order.map((i) => fields[i]).filter((field) => field !== null);
    return { text: `${a}{${b}${body.join(`${h},${b}`)}${c}}${d}`, ids };
  });

describe('load() against iteration', () => {
  it('gives the same requests with the ids renumbered densely, whatever the spacing, key order and line endings', async () => {
    const tmp = await tempDir();
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.oneof({ weight: 6, arbitrary: line }, { weight: 1, arbitrary: fc.constant(null) }), { maxLength: 8 }), fc.boolean(), async (lines, crlf) => {
          const texts = lines.map((l, i) => (l === null ? ' ' : l.text.replace('TIMESTAMP', String(i))));
          const path = join(tmp.dir, `l${run++}.jsonl`);
          await writeFile(path, texts.join(crlf ? '\r\n' : '\n'));
          const requests = await collect(new MooncakeReader(path));
          expect(requests.map((r) => r.hashIds)).toEqual(lines.filter((l) => l !== null).map((l) => l.ids));
          const trace = await new MooncakeReader(path).load();
          expect(trace.requestCount).toBe(requests.length);
          expect([...trace.ids]).toEqual(denseIds(requests.map((r) => r.hashIds)).flat());
          expect([...trace.offsets]).toEqual([0, ...requests.map((_, i) => requests.slice(0, i + 1).reduce((n, r) => n + r.hashIds.length, 0))]);
          expect([...trace.timestamps]).toEqual(requests.map((r) => r.timestamp));
          expect([...trace.inputLengths]).toEqual(requests.map((r) => r.inputLength));
          expect([...trace.outputLengths]).toEqual(requests.map((r) => r.outputLength));
          expect([...trace.lines]).toEqual(requests.map((r) => r.line));
          expect(trace.uniqueBlocks).toBe(new Set(requests.flatMap((r) => r.hashIds)).size);
        }),
        { numRuns: 60 },
      );
    } finally {
      await tmp.cleanup();
    }
  });
});
