// createArena(byteLength, alignment) -> ArrayBuffer over zeroed memory aligned to `alignment`,
// and alignmentOf(bytes), which lets tests check that alignment without exposing addresses.
// Large arenas come from mmap (page-aligned, zeroed lazily by the kernel); small ones from
// posix_memalign + memset. The ArrayBuffer owns the memory: it is released by V8's finaliser,
// and async copies hold a reference to it, so it cannot vanish under an in-flight copy.
#include "arena.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "common.h"

namespace kvtier {
namespace {

constexpr size_t kMmapThreshold = 1 << 20;

struct Allocation {
  size_t length;
  bool mapped;
};

void FreeArena(Napi::Env env, void* data, Allocation* allocation) {
  if (allocation->mapped) {
    munmap(data, allocation->length);
  } else {
    std::free(data);
  }
  Napi::MemoryManagement::AdjustExternalMemory(env, -static_cast<int64_t>(allocation->length));
  delete allocation;
}

}  // namespace

Napi::Value CreateArena(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t byteLength = SizeArg(info, 0, "byteLength");
  size_t alignment = SizeArg(info, 1, "alignment");
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  if (byteLength == 0) ThrowRange(env, "expected a positive integer for `byteLength`, got 0");
  if (alignment < 64 || (alignment & (alignment - 1)) != 0) {
    ThrowRange(env, "expected a power of two ≥ 64 for `alignment`, got " + std::to_string(alignment));
  }
  if (alignment > page && byteLength >= kMmapThreshold) {
    // mmap only promises page alignment, and large arenas come from mmap.
    ThrowRange(env, "expected a power of two from 64 to " + std::to_string(page) +
                        " for `alignment` of an arena of 1 MiB or more, got " + std::to_string(alignment));
  }
  void* data = nullptr;
  bool mapped = byteLength >= kMmapThreshold;
  if (mapped) {
    data = mmap(nullptr, byteLength, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (data == MAP_FAILED) ThrowRange(env, "could not map an arena of " + std::to_string(byteLength) + " bytes");
  } else {
    if (posix_memalign(&data, alignment, byteLength) != 0) {
      ThrowRange(env, "could not allocate an arena of " + std::to_string(byteLength) + " bytes");
    }
    std::memset(data, 0, byteLength);
  }
  auto* allocation = new Allocation{byteLength, mapped};
  Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(byteLength));
  return Napi::ArrayBuffer::New(env, data, byteLength, FreeArena, allocation);
}

Napi::Value AlignmentOf(const Napi::CallbackInfo& info) {
  ByteSpan span = SpanOf(info.Env(), info[0], "bytes");
  auto address = reinterpret_cast<uintptr_t>(span.data);
  // The lowest set bit of the address is the largest power of two dividing it.
  return Napi::Number::New(info.Env(), static_cast<double>(address & (~address + 1)));
}

}  // namespace kvtier
