// XXH3-64 (xxHash's XXH3 with 64-bit output, seed 0, default 192-byte secret; Yann Collet's
// published algorithm, BSD-2-Clause) written from its specification: a fast non-cryptographic
// checksum of a block, alone or fused with a copy.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kvtier {

// XXH3-64 (seed 0) of `length` bytes at `data` (which may be null when `length` is 0).
uint64_t Xxh3(const uint8_t* data, size_t length);

// Copies `length` bytes from `src` to `dst` (non-overlapping) and returns their XXH3-64 (seed 0).
// Long inputs are copied stripe by stripe as they are hashed, so the source is read once.
uint64_t CopyXxh3(uint8_t* dst, const uint8_t* src, size_t length);

// Environment variable that forces the long-input kernel ("scalar", "sse2", "avx2" or "avx512"),
// so tests can check every kernel this CPU has on one machine. A kernel the CPU lacks is refused
// with a warning on stderr, and the default (the widest the CPU has) is used.
inline constexpr const char* kXxh3KernelEnv = "KVTIER_XXH3_KERNEL";

}  // namespace kvtier
