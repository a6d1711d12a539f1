/**
 * Exports a trace as a libCacheSim CSV trace, one row per block reference in replay order
 * (requests in file order, each request's blocks first to last), to cross-check replay results
 * against libCacheSim's `cachesim` (github.com/1a1a11a/libCacheSim, doc/quickstart_cachesim.md):
 *
 *   time,obj_id,obj_size
 *   0,0,1
 *   0,1,1
 *
 * - `time`: the request's arrival, integer seconds by default (`timeUnit`), floored;
 * - `obj_id`: the block id (the reader's numeric id; ids interned by the reader stay dense);
 * - `obj_size`: `objectBytes` on every row (default 1, so sizes count blocks).
 *
 * Read it with (cache size in blocks thanks to `--ignore-obj-size 1`):
 *
 *   ./bin/cachesim trace.csv csv lru 1000,4000 --ignore-obj-size 1 \
 *     -t "time-col=1, obj-id-col=2, obj-size-col=3, obj-id-is-num=true, delimiter=,, has-header=true"
 *
 * What matches: libCacheSim accesses every block of every request in order, inserting misses and
 * evicting as needed, which is exactly replay rule 3; so with one LRU tier of C blocks the cache
 * contents and evictions are identical, and libCacheSim's hit count equals kvtier's per-reference
 * hits. What differs: kvtier counts as a hit only the longest cached prefix of a request (rule 2),
 * while libCacheSim counts every cached reference, so its hit ratio is an upper bound of kvtier's.
 */
import { invalidArgument } from '../errors.js';
import { writeOutputFile } from './output-file.js';
import { openTrace, type OpenTraceOptions } from './registry.js';

/** Options of `exportLibCacheSimCsv`. */
export interface LibCacheSimExportOptions extends OpenTraceOptions {
  /** `obj_size` of every row, bytes (e.g. a block's KV bytes from the model geometry). @default 1 */
  objectBytes?: number;
  /** Unit of the `time` column. @default "s" */
  timeUnit?: 's' | 'ms';
  /** Replace an existing output file. @default false */
  overwrite?: boolean;
}

/** What `exportLibCacheSimCsv` wrote. */
export interface LibCacheSimExportResult {
  input: string;
  format: string;
  output: string;
  /** Data rows (block references). */
  rows: number;
  requests: number;
  /** The `-t` trace-type parameters that read the file. */
  traceTypeParams: string;
  /** A complete `cachesim` command line for one LRU run (cache size in blocks). */
  command: string;
}

/** The `cachesim -t` parameters matching the columns written here. */
export const LIBCACHESIM_TRACE_PARAMS = 'time-col=1, obj-id-col=2, obj-size-col=3, obj-id-is-num=true, delimiter=,, has-header=true';

/** Writes `input` (any registered format) to `output` as a libCacheSim CSV trace. */
export async function exportLibCacheSimCsv(
  input: string,
  output: string,
  options: LibCacheSimExportOptions = {},
): Promise<LibCacheSimExportResult> {
  const { objectBytes = 1, timeUnit = 's', overwrite = false, ...openOptions } = options;
  if (!Number.isSafeInteger(objectBytes) || objectBytes <= 0) throw invalidArgument('objectBytes', 'a positive integer', objectBytes);
  if (timeUnit !== 's' && timeUnit !== 'ms') throw invalidArgument('timeUnit', '"s" or "ms"', timeUnit);
  const divisor = timeUnit === 's' ? 1000 : 1;
  const reader = openTrace(input, openOptions);
  let rows = 0;
  let requests = 0;
  await writeOutputFile(output, { overwrite }, async (file) => {
    await file.write('time,obj_id,obj_size\n');
    for await (const request of reader) {
      const prefix = `${Math.floor(request.timestamp / divisor)},`;
      const suffix = `,${objectBytes}\n`;
      let text = '';
      for (const id of request.hashIds) text += prefix + id + suffix;
      await file.write(text);
      rows += request.hashIds.length;
      requests++;
    }
  });
  return {
    input,
    format: reader.format,
    output,
    rows,
    requests,
    traceTypeParams: LIBCACHESIM_TRACE_PARAMS,
    command: `./bin/cachesim ${shellQuote(output)} csv lru 1000 --ignore-obj-size 1 -t "${LIBCACHESIM_TRACE_PARAMS}"`,
  };
}

/** A path as one POSIX shell word. */
function shellQuote(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;
}
