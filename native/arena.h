// Aligned memory arenas: the backing store of the simulated HBM and DDR/CXL tiers.
#pragma once

#include <napi.h>

namespace kvtier {

Napi::Value CreateArena(const Napi::CallbackInfo& info);
Napi::Value AlignmentOf(const Napi::CallbackInfo& info);

}  // namespace kvtier
