// Registers the native surface. The one piece of process-wide state is the SIGBUS guard of file
// mappings (file-map.cc), installed once for all threads, so the addon loads safely in every
// worker thread of a piscina pool.
#include <napi.h>

#include "arena.h"
#include "copy.h"
#include "file-map.h"

namespace kvtier {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("createArena", Napi::Function::New(env, CreateArena, "createArena"));
  exports.Set("alignmentOf", Napi::Function::New(env, AlignmentOf, "alignmentOf"));
  exports.Set("copyBatch", Napi::Function::New(env, CopyBatch, "copyBatch"));
  exports.Set("copyBatchAsync", Napi::Function::New(env, CopyBatchAsync, "copyBatchAsync"));
  exports.Set("checksumBatch", Napi::Function::New(env, ChecksumBatch, "checksumBatch"));
  exports.Set("readBatchAsync", Napi::Function::New(env, ReadBatchAsync, "readBatchAsync"));
  exports.Set("mapFile", Napi::Function::New(env, MapFile, "mapFile"));
  exports.Set("unmapFile", Napi::Function::New(env, UnmapFile, "unmapFile"));
  exports.Set("readBatchCached", Napi::Function::New(env, ReadBatchCached, "readBatchCached"));
  exports.Set("gather", Napi::Function::New(env, Gather, "gather"));
  exports.Set("scatter", Napi::Function::New(env, Scatter, "scatter"));
  exports.Set("memcpyBaseline", Napi::Function::New(env, MemcpyBaseline, "memcpyBaseline"));
  exports.Set("noop", Napi::Function::New(env, Noop, "noop"));
  return exports;
}

NODE_API_MODULE(kvtier_native, Init)

}  // namespace kvtier
