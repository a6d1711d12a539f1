// XXH64 (xxHash, 64-bit; Yann Collet's published algorithm, BSD-2-Clause) written from its
// specification: a fast non-cryptographic checksum of a block, alone or fused with a copy.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kvtier {

// Checksum of `length` bytes at `data`.
uint64_t Xxh64(const uint8_t* data, size_t length, uint64_t seed);

// Copies `length` bytes from `src` to `dst` (non-overlapping) and returns the XXH64 of them,
// reading the source once: cheaper than a copy followed by a checksum.
uint64_t CopyXxh64(uint8_t* dst, const uint8_t* src, size_t length, uint64_t seed);

}  // namespace kvtier
