// XXH64 and the fused copy+XXH64. One implementation of the tail and the finaliser serves both,
// so the fused path cannot drift from the plain checksum.
#include "checksum.h"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define KVTIER_VECTOR_LANES 1
#endif

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

// The 32-byte stripes, four independent lanes. kCopy also writes each stripe to `out`, so the
// fused copy reads the source once. Returns the first byte after the last whole stripe.
template <bool kCopy>
const uint8_t* ScalarStripes(Lanes& lanes, const uint8_t* p, uint8_t* out, size_t stripes) {
  for (size_t i = 0; i < stripes; ++i) {
    uint64_t a = Read64(p), b = Read64(p + 8), c = Read64(p + 16), d = Read64(p + 24);
    if (kCopy) {
      std::memcpy(out, &a, 8);
      std::memcpy(out + 8, &b, 8);
      std::memcpy(out + 16, &c, 8);
      std::memcpy(out + 24, &d, 8);
      out += 32;
    }
    lanes.v1 = Round(lanes.v1, a);
    lanes.v2 = Round(lanes.v2, b);
    lanes.v3 = Round(lanes.v3, c);
    lanes.v4 = Round(lanes.v4, d);
    p += 32;
  }
  return p;
}

#ifdef KVTIER_VECTOR_LANES
// The same rounds with the four lanes in one 256-bit register. The scalar loop needs eight
// 64-bit multiplies per stripe and x86 cores issue one per cycle, which caps it near
// 4 bytes/cycle; vpmullq does four at once, leaving only the lane dependency chain
// (add, rotate, multiply). About 2× faster on AMD Zen 4, but slower on Intel, whose vpmullq
// takes ~15 cycles: see UseVectorLanes.
template <bool kCopy>
__attribute__((target("avx512f,avx512dq,avx512vl"))) const uint8_t* VectorStripes(Lanes& lanes, const uint8_t* p,
                                                                                  uint8_t* out, size_t stripes) {
  __m256i acc = _mm256_set_epi64x(static_cast<long long>(lanes.v4), static_cast<long long>(lanes.v3),
                                  static_cast<long long>(lanes.v2), static_cast<long long>(lanes.v1));
  const __m256i prime1 = _mm256_set1_epi64x(static_cast<long long>(kPrime1));
  const __m256i prime2 = _mm256_set1_epi64x(static_cast<long long>(kPrime2));
  for (size_t i = 0; i < stripes; ++i) {
    __m256i input = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    if (kCopy) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), input);
      out += 32;
    }
    acc = _mm256_add_epi64(acc, _mm256_mullo_epi64(input, prime2));
    acc = _mm256_mullo_epi64(_mm256_rol_epi64(acc, 31), prime1);
    p += 32;
  }
  alignas(32) uint64_t v[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(v), acc);
  lanes.v1 = v[0];
  lanes.v2 = v[1];
  lanes.v3 = v[2];
  lanes.v4 = v[3];
  return p;
}

// Decided once per process: AVX-512DQ/VL on an AMD core, unless KVTIER_SCALAR_XXH64=1 (which
// lets the tests check the scalar path on machines that would otherwise take this one).
bool UseVectorLanes() {
  static const bool use = [] {
    const char* force = std::getenv("KVTIER_SCALAR_XXH64");
    if (force != nullptr && std::strcmp(force, "1") == 0) return false;
    __builtin_cpu_init();
    return __builtin_cpu_is("amd") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  }();
  return use;
}
#endif

template <bool kCopy>
const uint8_t* Stripes(Lanes& lanes, const uint8_t* p, uint8_t* out, size_t stripes) {
#ifdef KVTIER_VECTOR_LANES
  if (UseVectorLanes()) return VectorStripes<kCopy>(lanes, p, out, stripes);
#endif
  return ScalarStripes<kCopy>(lanes, p, out, stripes);
}

}  // namespace

uint64_t Xxh64(const uint8_t* data, size_t length, uint64_t seed) {
  const uint8_t* p = data;
  uint64_t h;
  if (length >= 32) {
    Lanes lanes(seed);
    p = Stripes<false>(lanes, p, nullptr, length / 32);
    h = lanes.Converge();
  } else {
    h = seed + kPrime5;
  }
  return Finish(h + length, p, length % 32);
}

uint64_t CopyXxh64(uint8_t* dst, const uint8_t* src, size_t length, uint64_t seed) {
  const uint8_t* p = src;
  uint64_t h;
  if (length >= 32) {
    Lanes lanes(seed);
    p = Stripes<true>(lanes, p, dst, length / 32);
    h = lanes.Converge();
  } else {
    h = seed + kPrime5;
  }
  size_t tail = length % 32;
  if (tail != 0) std::memcpy(dst + (length - tail), p, tail);  // src may be null when length is 0
  return Finish(h + length, p, tail);
}

}  // namespace kvtier
