/**
 * Converts a trace of any registered format to Mooncake JSONL, the common currency of KV-cache
 * simulators and benchmarks (Mooncake, LMCache's trace replayer, AIPerf). Lines are written the
 * way the Mooncake release writes them:
 *
 *   {"timestamp": 0, "input_length": 40160, "output_length": 6, "hash_ids": [0, 1, 2]}
 *
 * Timestamps are in ms, block ids are the reader's (a Mooncake input keeps its own ids; a
 * conversation log's come out dense). The block size is the input's: the file has no field for it,
 * so a trace that is not 512 tokens a block must be read back with that `blockTokens`
 * (`ConvertResult.blockTokens` says which). Session, turn and type are not part of the format and
 * are dropped. The output appears only once complete.
 */
import { openTrace, type OpenTraceOptions } from './registry.js';
import type { TraceRequest } from './request.js';
import { writeOutputFile } from './output-file.js';

/** Options of `convertTrace`: how to read the input, and whether to replace the output. */
export interface ConvertOptions extends OpenTraceOptions {
  /** Replace an existing output file. @default false */
  overwrite?: boolean;
}

/** What `convertTrace` did. */
export interface ConvertResult {
  input: string;
  /** Format the input was read as (detected or given). */
  format: string;
  output: string;
  requests: number;
  blockRefs: number;
  /** Tokens per block of the written ids: pass it as `blockTokens` when reading the output back. */
  blockTokens: number;
  /** Warnings the reader raised (with `allowUnsortedTimestamps`). */
  warningCount: number;
}

/** One request as a Mooncake JSONL line (with its newline). */
export function mooncakeLine(request: Pick<TraceRequest, 'timestamp' | 'inputLength' | 'outputLength' | 'hashIds'>): string {
  return `{"timestamp": ${request.timestamp}, "input_length": ${request.inputLength}, "output_length": ${request.outputLength}, "hash_ids": [${request.hashIds.join(', ')}]}\n`;
}

/** Reads `input` in its format (detected unless `options.format` names one) and writes it to `output` as Mooncake JSONL. */
export async function convertTrace(input: string, output: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  const { overwrite, ...openOptions } = options;
  let warningCount = 0;
  const reader = openTrace(input, {
    ...openOptions,
    onWarning: (warning) => {
      warningCount++;
      openOptions.onWarning?.(warning);
    },
  });
  let requests = 0;
  let blockRefs = 0;
  await writeOutputFile(output, { overwrite: overwrite ?? false }, async (file) => {
    for await (const request of reader) {
      await file.write(mooncakeLine(request));
      requests++;
      blockRefs += request.hashIds.length;
    }
  });
  return { input, format: reader.format, output, requests, blockRefs, blockTokens: reader.blockTokens, warningCount };
}
