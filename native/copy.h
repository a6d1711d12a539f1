// Batched block copies (sync and async, optionally fused with XXH3-64), batched positional file
// reads into buffers (async, or page-cache-only on the calling thread; fused with XXH3-64), gather/scatter between a paged layout and a
// contiguous block, and the memcpy baseline the benchmarks compare against.
#pragma once

#include <napi.h>

namespace kvtier {

Napi::Value CopyBatch(const Napi::CallbackInfo& info);
Napi::Value CopyBatchAsync(const Napi::CallbackInfo& info);
Napi::Value ChecksumBatch(const Napi::CallbackInfo& info);
Napi::Value ReadBatchAsync(const Napi::CallbackInfo& info);
Napi::Value ReadBatchCached(const Napi::CallbackInfo& info);
Napi::Value Gather(const Napi::CallbackInfo& info);
Napi::Value Scatter(const Napi::CallbackInfo& info);
Napi::Value MemcpyBaseline(const Napi::CallbackInfo& info);
Napi::Value Noop(const Napi::CallbackInfo& info);

}  // namespace kvtier
