/** The trace layer's public surface: readers, loading, conversion, export and statistics. */
export type { TraceReader, TraceReaderOptions, TraceRequest, TraceWarning } from './request.js';
export type { LoadedTrace } from './loaded-trace.js';
export { MAX_KEPT_WARNINGS } from './loaded-trace.js';
export type { BlockCountCheck, JsonlReaderOptions } from './jsonl-record.js';
export {
  loadMooncakeTrace,
  MOONCAKE_BLOCK_TOKENS,
  type MooncakeLineOptions,
  MooncakeReader,
  type MooncakeReaderOptions,
  parseMooncakeLine,
} from './mooncake-reader.js';
export { BAILIAN_BLOCK_TOKENS, BailianReader, type BailianReaderOptions } from './bailian-reader.js';
export {
  CONVERSATION_BLOCK_TOKENS,
  type ConversationEncoding,
  ConversationReader,
  type ConversationReaderOptions,
} from './conversation-reader.js';
export {
  type AnyTraceReaderOptions,
  detectTraceFormat,
  getTraceFormat,
  loadTrace,
  openTrace,
  type OpenTraceOptions,
  type TraceFormat,
  traceFormatNames,
} from './registry.js';
export { type ConvertOptions, type ConvertResult, convertTrace, mooncakeLine } from './convert.js';
export {
  exportLibCacheSimCsv,
  LIBCACHESIM_TRACE_PARAMS,
  type LibCacheSimExportOptions,
  type LibCacheSimExportResult,
} from './libcachesim-export.js';
export {
  type InfiniteCacheStats,
  loadedTraceStats,
  type ReuseDistanceStats,
  type TraceStats,
  traceStats,
} from './stats.js';
