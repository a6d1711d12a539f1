// XXH64 and the fused copy+XXH64. One implementation of the tail and the finaliser serves both,
// so the fused path cannot drift from the plain checksum.
#include "checksum.h"

#include <cstring>

namespace kvtier {
namespace {

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ULL;
constexpr uint64_t kPrime4 = 0x85EBCA77C2B2AE63ULL;
constexpr uint64_t kPrime5 = 0x27D4EB2F165667C5ULL;

inline uint64_t Rotl(uint64_t value, int bits) { return (value << bits) | (value >> (64 - bits)); }

inline uint64_t Read64(const uint8_t* p) {
  uint64_t value;
  std::memcpy(&value, p, sizeof value);
  return value;  // little-endian hosts only (x86-64, arm64), as the checksum is defined on LE words
}

inline uint32_t Read32(const uint8_t* p) {
  uint32_t value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

inline uint64_t Round(uint64_t acc, uint64_t input) {
  acc += input * kPrime2;
  acc = Rotl(acc, 31);
  return acc * kPrime1;
}

inline uint64_t MergeRound(uint64_t acc, uint64_t lane) {
  acc ^= Round(0, lane);
  return acc * kPrime1 + kPrime4;
}

struct Lanes {
  uint64_t v1, v2, v3, v4;
  explicit Lanes(uint64_t seed) : v1(seed + kPrime1 + kPrime2), v2(seed + kPrime2), v3(seed), v4(seed - kPrime1) {}
  uint64_t Converge() const {
    uint64_t h = Rotl(v1, 1) + Rotl(v2, 7) + Rotl(v3, 12) + Rotl(v4, 18);
    h = MergeRound(h, v1);
    h = MergeRound(h, v2);
    h = MergeRound(h, v3);
    return MergeRound(h, v4);
  }
};

// The bytes after the last whole 32-byte stripe, and the avalanche.
uint64_t Finish(uint64_t h, const uint8_t* p, size_t remaining) {
  while (remaining >= 8) {
    h ^= Round(0, Read64(p));
    h = Rotl(h, 27) * kPrime1 + kPrime4;
    p += 8;
    remaining -= 8;
  }
  if (remaining >= 4) {
    h ^= static_cast<uint64_t>(Read32(p)) * kPrime1;
    h = Rotl(h, 23) * kPrime2 + kPrime3;
    p += 4;
    remaining -= 4;
  }
  while (remaining > 0) {
    h ^= (*p) * kPrime5;
    h = Rotl(h, 11) * kPrime1;
    ++p;
    --remaining;
  }
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  h ^= h >> 32;
  return h;
}

}  // namespace

uint64_t Xxh64(const uint8_t* data, size_t length, uint64_t seed) {
  const uint8_t* p = data;
  size_t remaining = length;
  uint64_t h;
  if (remaining >= 32) {
    Lanes lanes(seed);
    do {
      lanes.v1 = Round(lanes.v1, Read64(p));
      lanes.v2 = Round(lanes.v2, Read64(p + 8));
      lanes.v3 = Round(lanes.v3, Read64(p + 16));
      lanes.v4 = Round(lanes.v4, Read64(p + 24));
      p += 32;
      remaining -= 32;
    } while (remaining >= 32);
    h = lanes.Converge();
  } else {
    h = seed + kPrime5;
  }
  return Finish(h + length, p, remaining);
}

uint64_t CopyXxh64(uint8_t* dst, const uint8_t* src, size_t length, uint64_t seed) {
  const uint8_t* p = src;
  uint8_t* out = dst;
  size_t remaining = length;
  uint64_t h;
  if (remaining >= 32) {
    Lanes lanes(seed);
    do {
      uint64_t a = Read64(p), b = Read64(p + 8), c = Read64(p + 16), d = Read64(p + 24);
      std::memcpy(out, &a, 8);
      std::memcpy(out + 8, &b, 8);
      std::memcpy(out + 16, &c, 8);
      std::memcpy(out + 24, &d, 8);
      lanes.v1 = Round(lanes.v1, a);
      lanes.v2 = Round(lanes.v2, b);
      lanes.v3 = Round(lanes.v3, c);
      lanes.v4 = Round(lanes.v4, d);
      p += 32;
      out += 32;
      remaining -= 32;
    } while (remaining >= 32);
    h = lanes.Converge();
  } else {
    h = seed + kPrime5;
  }
  std::memcpy(out, p, remaining);
  return Finish(h + length, p, remaining);
}

}  // namespace kvtier
