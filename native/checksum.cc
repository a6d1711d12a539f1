// XXH3-64 and the fused copy+XXH3. Inputs up to 240 bytes take short scalar formulas; longer ones
// run 8 lanes of 32×32→64 multiply-accumulate over 64-byte stripes, which is the part worth
// vectorising: SSE2 (every x86-64 CPU), AVX2 or AVX-512 (picked at run time, so the binary still
// runs on any x86-64) or portable scalar code. All kernels share one driver and one finaliser, and
// the fused copy shares the driver too, so no path can drift from the others.
#include "checksum.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define KVTIER_X86_KERNELS 1
#endif

namespace kvtier {
namespace {

constexpr uint64_t kPrime32_1 = 0x9E3779B1ULL;
constexpr uint64_t kPrime32_2 = 0x85EBCA77ULL;
constexpr uint64_t kPrime32_3 = 0xC2B2AE3DULL;
constexpr uint64_t kPrime64_1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kPrime64_2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kPrime64_3 = 0x165667B19E3779F9ULL;
constexpr uint64_t kPrime64_4 = 0x85EBCA77C2B2AE63ULL;
constexpr uint64_t kPrime64_5 = 0x27D4EB2F165667C5ULL;
constexpr uint64_t kPrimeMx1 = 0x165667919E3779F9ULL;
constexpr uint64_t kPrimeMx2 = 0x9FB21C651E98DF25ULL;

// The default secret of the specification. Every use reads it as little-endian words at
// byte offsets that are often not multiples of 8, hence plain bytes.
constexpr size_t kSecretBytes = 192;
alignas(64) constexpr uint8_t kSecret[kSecretBytes] = {
    0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
    0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
    0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
    0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
    0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
    0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
    0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
    0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
    0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
    0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
    0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
    0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
};

// Long-input geometry for the default secret: a stripe feeds the 8 lanes once, a block is the
// run of stripes between two scrambles, each stripe keyed 8 bytes further into the secret.
constexpr size_t kStripeBytes = 64;
constexpr size_t kStripesPerBlock = (kSecretBytes - kStripeBytes) / 8;  // 16
constexpr size_t kBlockBytes = kStripeBytes * kStripesPerBlock;        // 1024
constexpr size_t kScrambleKey = kSecretBytes - kStripeBytes;           // 128
constexpr size_t kLastStripeKey = kSecretBytes - kStripeBytes - 7;     // 121
constexpr size_t kMergeKey = 11;
constexpr size_t kMidSizeMax = 240;

inline uint64_t Read64(const uint8_t* p) {
  uint64_t value;
  std::memcpy(&value, p, sizeof value);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  value = __builtin_bswap64(value);  // the checksum is defined on little-endian words
#endif
  return value;
}

inline uint32_t Read32(const uint8_t* p) {
  uint32_t value;
  std::memcpy(&value, p, sizeof value);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  value = __builtin_bswap32(value);
#endif
  return value;
}

inline uint64_t Rotl(uint64_t value, int bits) { return (value << bits) | (value >> (64 - bits)); }

inline uint64_t Bswap64(uint64_t value) {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_bswap64(value);
#else
  uint64_t out = 0;
  for (int i = 0; i < 8; ++i) out = (out << 8) | ((value >> (8 * i)) & 0xff);
  return out;
#endif
}

// The full 128-bit product of two 64-bit words, folded to 64 bits by xoring its halves.
inline uint64_t MulFold(uint64_t a, uint64_t b) {
#if defined(__SIZEOF_INT128__)
  unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
#else
  // Schoolbook on 32-bit halves; `cross` collects the middle terms with their carries.
  uint64_t aLo = a & 0xffffffff, aHi = a >> 32, bLo = b & 0xffffffff, bHi = b >> 32;
  uint64_t ll = aLo * bLo, lh = aLo * bHi, hl = aHi * bLo, hh = aHi * bHi;
  uint64_t cross = (ll >> 32) + (lh & 0xffffffff) + hl;
  uint64_t high = hh + (lh >> 32) + (cross >> 32);
  uint64_t low = (cross << 32) | (ll & 0xffffffff);
  return low ^ high;
#endif
}

// The finaliser of XXH3's own paths.
inline uint64_t Avalanche(uint64_t h) {
  h ^= h >> 37;
  h *= kPrimeMx1;
  return h ^ (h >> 32);
}

// XXH64's finaliser, which XXH3 reuses for inputs of 0–3 bytes.
inline uint64_t AvalancheXxh64(uint64_t h) {
  h ^= h >> 33;
  h *= kPrime64_2;
  h ^= h >> 29;
  h *= kPrime64_3;
  return h ^ (h >> 32);
}

// ---- inputs of 0–240 bytes ----

uint64_t HashEmpty() { return AvalancheXxh64(Read64(kSecret + 56) ^ Read64(kSecret + 64)); }

uint64_t Hash1To3(const uint8_t* p, size_t length) {
  uint32_t combined = static_cast<uint32_t>(p[length - 1]) | static_cast<uint32_t>(length << 8) |
                      (static_cast<uint32_t>(p[0]) << 16) | (static_cast<uint32_t>(p[length >> 1]) << 24);
  uint64_t key = Read32(kSecret) ^ Read32(kSecret + 4);
  return AvalancheXxh64(key ^ combined);
}

uint64_t Hash4To8(const uint8_t* p, size_t length) {
  uint64_t combined = Read32(p + length - 4) | (static_cast<uint64_t>(Read32(p)) << 32);
  uint64_t h = Read64(kSecret + 8) ^ Read64(kSecret + 16) ^ combined;
  h ^= Rotl(h, 49) ^ Rotl(h, 24);
  h *= kPrimeMx2;
  h ^= (h >> 35) + length;
  h *= kPrimeMx2;
  return h ^ (h >> 28);
}

uint64_t Hash9To16(const uint8_t* p, size_t length) {
  uint64_t low = Read64(kSecret + 24) ^ Read64(kSecret + 32) ^ Read64(p);
  uint64_t high = Read64(kSecret + 40) ^ Read64(kSecret + 48) ^ Read64(p + length - 8);
  return Avalanche(length + Bswap64(low) + high + MulFold(low, high));
}

// 16 input bytes against 16 secret bytes, multiplied out to 128 bits and folded.
inline uint64_t Mix16(const uint8_t* p, const uint8_t* key) {
  return MulFold(Read64(p) ^ Read64(key), Read64(p + 8) ^ Read64(key + 8));
}

// 16-byte chunks taken in pairs from both ends towards the middle (they may overlap).
uint64_t Hash17To128(const uint8_t* p, size_t length) {
  uint64_t acc = length * kPrime64_1;
  size_t rounds = ((length - 1) >> 5) + 1;
  for (size_t i = 0; i < rounds; ++i) {
    acc += Mix16(p + 16 * i, kSecret + 32 * i);
    acc += Mix16(p + length - 16 * (i + 1), kSecret + 32 * i + 16);
  }
  return Avalanche(acc);
}

uint64_t Hash129To240(const uint8_t* p, size_t length) {
  uint64_t acc = length * kPrime64_1;
  for (size_t i = 0; i < 8; ++i) acc += Mix16(p + 16 * i, kSecret + 16 * i);
  acc = Avalanche(acc);
  // The secret is too short for 15 chunks, so the later ones reuse it from byte 3 on.
  for (size_t i = 8; i < length / 16; ++i) acc += Mix16(p + 16 * i, kSecret + 16 * (i - 8) + 3);
  acc += Mix16(p + length - 16, kSecret + 136 - 17);  // 136: the shortest secret the algorithm allows
  return Avalanche(acc);
}

uint64_t HashShort(const uint8_t* p, size_t length) {
  if (length > 128) return Hash129To240(p, length);
  if (length > 16) return Hash17To128(p, length);
  if (length > 8) return Hash9To16(p, length);
  if (length >= 4) return Hash4To8(p, length);
  if (length > 0) return Hash1To3(p, length);
  return HashEmpty();
}

// ---- inputs over 240 bytes: 8 lanes, stripes, blocks, scrambles ----

constexpr uint64_t kInitialLanes[8] = {kPrime32_3, kPrime64_1, kPrime64_2, kPrime64_3,
                                       kPrime64_4, kPrime32_2, kPrime64_5, kPrime32_1};

uint64_t MergeLanes(const uint64_t lanes[8], size_t length) {
  uint64_t result = length * kPrime64_1;
  for (size_t i = 0; i < 4; ++i) {
    const uint8_t* key = kSecret + kMergeKey + 16 * i;
    result += MulFold(lanes[2 * i] ^ Read64(key), lanes[2 * i + 1] ^ Read64(key + 8));
  }
  return Avalanche(result);
}

// A kernel holds the 8 lanes in whatever registers suit it and offers:
//   Load(lanes) / Store(lanes)        move the lanes in from / out to 8 words;
//   Stripe<kCopy>(out, p, key)        one 64-byte stripe at p keyed by 64 bytes at key, also
//                                     writing the stripe to out when kCopy (the fused copy);
//   Scramble(key)                     the end-of-block scramble keyed by 64 bytes at key.
// For each lane i: lane[i ^ 1] += word i; lane[i] += low32(word i ^ key i) × high32(word i ^ key i).

struct ScalarKernel {
  uint64_t lanes[8];

  void Load(const uint64_t* from) { std::memcpy(lanes, from, sizeof lanes); }
  void Store(uint64_t* to) const { std::memcpy(to, lanes, sizeof lanes); }

  template <bool kCopy>
  void Stripe(uint8_t* out, const uint8_t* p, const uint8_t* key) {
    uint64_t words[8];
    for (size_t i = 0; i < 8; ++i) words[i] = Read64(p + 8 * i);
    if (kCopy) std::memcpy(out, p, kStripeBytes);
    for (size_t i = 0; i < 8; ++i) {
      uint64_t mixed = words[i] ^ Read64(key + 8 * i);
      lanes[i ^ 1] += words[i];
      lanes[i] += (mixed & 0xffffffff) * (mixed >> 32);
    }
  }

  void Scramble(const uint8_t* key) {
    for (size_t i = 0; i < 8; ++i) {
      uint64_t lane = lanes[i];
      lane ^= lane >> 47;
      lane ^= Read64(key + 8 * i);
      lanes[i] = lane * kPrime32_1;
    }
  }
};

// The driver every kernel runs: whole blocks with a scramble after each, then the stripes of the
// last (possibly whole) block, then the input's last 64 bytes as a final stripe keyed apart
// (it may overlap stripes already taken). With kCopy, every byte is also written to dst: a
// stripe as it is loaded, the bytes after the last whole stripe just before the final one.
// (dst is null without kCopy, and even null + 0 offsets are kept out of that case.) The 8 lanes
// come in and go out as words in `lanes`; the kernel holds them in its registers in between.
template <bool kCopy, class Kernel>
inline void DriveLanes(Kernel& kernel, uint64_t* lanes, uint8_t* dst, const uint8_t* src, size_t length) {
  kernel.Load(lanes);
  const size_t blocks = (length - 1) / kBlockBytes;
  size_t at = 0;
  for (size_t block = 0; block < blocks; ++block) {
    for (size_t stripe = 0; stripe < kStripesPerBlock; ++stripe, at += kStripeBytes) {
      kernel.template Stripe<kCopy>(kCopy ? dst + at : nullptr, src + at, kSecret + 8 * stripe);
    }
    kernel.Scramble(kSecret + kScrambleKey);
  }
  const size_t stripes = (length - 1 - at) / kStripeBytes;
  for (size_t stripe = 0; stripe < stripes; ++stripe, at += kStripeBytes) {
    kernel.template Stripe<kCopy>(kCopy ? dst + at : nullptr, src + at, kSecret + 8 * stripe);
  }
  if (kCopy) std::memcpy(dst + at, src + at, length - at);
  kernel.template Stripe<false>(nullptr, src + length - kStripeBytes, kSecret + kLastStripeKey);
  kernel.Store(lanes);
}

// One entry point per (kernel, copy or not): lanes in and out as 8 words.
using LanesFn = void (*)(uint64_t* lanes, uint8_t* dst, const uint8_t* src, size_t length);

template <bool kCopy>
void ScalarLanes(uint64_t* lanes, uint8_t* dst, const uint8_t* src, size_t length) {
  ScalarKernel kernel;
  DriveLanes<kCopy>(kernel, lanes, dst, src, length);
}

#ifdef KVTIER_X86_KERNELS
// Lanes (0,1), (2,3), (4,5), (6,7) in four 128-bit registers. pmuludq multiplies the low 32
// bits of each 64-bit half, which is exactly XXH3's low32 × high32 once one operand is shifted;
// swapping the 64-bit halves gives each lane its neighbour's word.
struct Sse2Kernel {
  __m128i lanes[4];

  void Load(const uint64_t* from) {
    for (size_t i = 0; i < 4; ++i) lanes[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + 2 * i));
  }
  void Store(uint64_t* to) const {
    for (size_t i = 0; i < 4; ++i) _mm_storeu_si128(reinterpret_cast<__m128i*>(to + 2 * i), lanes[i]);
  }

  template <bool kCopy>
  void Stripe(uint8_t* out, const uint8_t* p, const uint8_t* key) {
    for (size_t i = 0; i < 4; ++i) {
      __m128i words = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
      if (kCopy) _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * i), words);
      __m128i mixed = _mm_xor_si128(words, _mm_loadu_si128(reinterpret_cast<const __m128i*>(key + 16 * i)));
      __m128i product = _mm_mul_epu32(mixed, _mm_srli_epi64(mixed, 32));
      __m128i swapped = _mm_shuffle_epi32(words, _MM_SHUFFLE(1, 0, 3, 2));
      lanes[i] = _mm_add_epi64(lanes[i], _mm_add_epi64(product, swapped));
    }
  }

  void Scramble(const uint8_t* key) {
    // A 64-bit lane times a 32-bit prime, from two 32×32→64 products: low + (high << 32).
    const __m128i prime = _mm_set1_epi32(static_cast<int>(kPrime32_1));
    for (size_t i = 0; i < 4; ++i) {
      __m128i lane = _mm_xor_si128(lanes[i], _mm_srli_epi64(lanes[i], 47));
      lane = _mm_xor_si128(lane, _mm_loadu_si128(reinterpret_cast<const __m128i*>(key + 16 * i)));
      __m128i low = _mm_mul_epu32(lane, prime);
      __m128i high = _mm_mul_epu32(_mm_srli_epi64(lane, 32), prime);
      lanes[i] = _mm_add_epi64(low, _mm_slli_epi64(high, 32));
    }
  }
};

template <bool kCopy>
void Sse2Lanes(uint64_t* lanes, uint8_t* dst, const uint8_t* src, size_t length) {
  Sse2Kernel kernel;
  DriveLanes<kCopy>(kernel, lanes, dst, src, length);
}

#define KVTIER_AVX2 __attribute__((target("avx2")))

// Makes the compiler keep a loaded stripe in a register. Left alone, it folds the load into both
// the xor and the shuffle that use the stripe, loading it twice, and the AVX kernels become bound
// by loads: measured on the 2-core EPYC (Zen 4), 1 MiB inputs, AVX2 went from 47 to 58 GB/s and
// AVX-512 from 47 to 64 GB/s with it. ("v": any vector register the function's target allows.)
#define KVTIER_IN_REGISTER(vector) asm("" : "+v"(vector))

// The same as Sse2Kernel, two 256-bit registers. Its methods carry the avx2 target, so they can
// only be inlined into avx2 code: Avx2Lanes is `flatten`, which pulls the generic driver and these
// methods into one avx2 function, with no call per stripe.
struct Avx2Kernel {
  __m256i lanes[2];

  KVTIER_AVX2 void Load(const uint64_t* from) {
    for (size_t i = 0; i < 2; ++i) lanes[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(from + 4 * i));
  }
  KVTIER_AVX2 void Store(uint64_t* to) const {
    for (size_t i = 0; i < 2; ++i) _mm256_storeu_si256(reinterpret_cast<__m256i*>(to + 4 * i), lanes[i]);
  }

  template <bool kCopy>
  KVTIER_AVX2 void Stripe(uint8_t* out, const uint8_t* p, const uint8_t* key) {
    for (size_t i = 0; i < 2; ++i) {
      __m256i words = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * i));
      KVTIER_IN_REGISTER(words);
      if (kCopy) _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32 * i), words);
      __m256i mixed = _mm256_xor_si256(words, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(key + 32 * i)));
      __m256i product = _mm256_mul_epu32(mixed, _mm256_srli_epi64(mixed, 32));
      __m256i swapped = _mm256_shuffle_epi32(words, _MM_SHUFFLE(1, 0, 3, 2));
      lanes[i] = _mm256_add_epi64(lanes[i], _mm256_add_epi64(product, swapped));
    }
  }

  KVTIER_AVX2 void Scramble(const uint8_t* key) {
    const __m256i prime = _mm256_set1_epi32(static_cast<int>(kPrime32_1));
    for (size_t i = 0; i < 2; ++i) {
      __m256i lane = _mm256_xor_si256(lanes[i], _mm256_srli_epi64(lanes[i], 47));
      lane = _mm256_xor_si256(lane, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(key + 32 * i)));
      __m256i low = _mm256_mul_epu32(lane, prime);
      __m256i high = _mm256_mul_epu32(_mm256_srli_epi64(lane, 32), prime);
      lanes[i] = _mm256_add_epi64(low, _mm256_slli_epi64(high, 32));
    }
  }
};

template <bool kCopy>
KVTIER_AVX2 __attribute__((flatten)) void Avx2Lanes(uint64_t* lanes, uint8_t* dst, const uint8_t* src,
                                                    size_t length) {
  Avx2Kernel kernel;
  DriveLanes<kCopy>(kernel, lanes, dst, src, length);
}

#define KVTIER_AVX512 __attribute__((target("avx512f")))

// GCC 12's AVX-512 intrinsics seed their unused pass-through operand with a self-initialised
// variable, which its own uninitialised-use warnings then flag (GCC bug 105593, fixed in GCC 13).
#if !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

// All 8 lanes in one 512-bit register: the same steps as Avx2Kernel in half the instructions
// (Zen 4 executes a 512-bit operation as two 256-bit halves, but decodes and retires it as one):
// 64 against 58 GB/s for AVX2 at 1 MiB on the benchmark machine. Only AVX-512F is needed.
// (On Skylake-era Intel CPUs 512-bit code can lower the core's clock; KVTIER_XXH3_KERNEL=avx2
// opts out there.)
struct Avx512Kernel {
  __m512i lanes;

  KVTIER_AVX512 void Load(const uint64_t* from) { lanes = _mm512_loadu_si512(from); }
  KVTIER_AVX512 void Store(uint64_t* to) const { _mm512_storeu_si512(to, lanes); }

  template <bool kCopy>
  KVTIER_AVX512 void Stripe(uint8_t* out, const uint8_t* p, const uint8_t* key) {
    __m512i words = _mm512_loadu_si512(p);
    KVTIER_IN_REGISTER(words);
    if (kCopy) _mm512_storeu_si512(out, words);
    __m512i mixed = _mm512_xor_si512(words, _mm512_loadu_si512(key));
    __m512i product = _mm512_mul_epu32(mixed, _mm512_srli_epi64(mixed, 32));
    __m512i swapped = _mm512_shuffle_epi32(words, static_cast<_MM_PERM_ENUM>(_MM_SHUFFLE(1, 0, 3, 2)));
    lanes = _mm512_add_epi64(lanes, _mm512_add_epi64(product, swapped));
  }

  KVTIER_AVX512 void Scramble(const uint8_t* key) {
    const __m512i prime = _mm512_set1_epi32(static_cast<int>(kPrime32_1));
    __m512i lane = _mm512_xor_si512(lanes, _mm512_srli_epi64(lanes, 47));
    lane = _mm512_xor_si512(lane, _mm512_loadu_si512(key));
    __m512i low = _mm512_mul_epu32(lane, prime);
    __m512i high = _mm512_mul_epu32(_mm512_srli_epi64(lane, 32), prime);
    lanes = _mm512_add_epi64(low, _mm512_slli_epi64(high, 32));
  }
};

template <bool kCopy>
KVTIER_AVX512 __attribute__((flatten)) void Avx512Lanes(uint64_t* lanes, uint8_t* dst, const uint8_t* src,
                                                        size_t length) {
  Avx512Kernel kernel;
  DriveLanes<kCopy>(kernel, lanes, dst, src, length);
}
#if !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

struct LanesKernel {
  const char* name;
  LanesFn hash;
  LanesFn copyHash;
};

// The widest kernel this CPU runs, or the one kXxh3KernelEnv names if the CPU has it. Decided
// once per process.
const LanesKernel& ChosenKernel() {
  static const LanesKernel chosen = [] {
    LanesKernel available[4];
    size_t count = 0;
    available[count++] = {"scalar", ScalarLanes<false>, ScalarLanes<true>};
#ifdef KVTIER_X86_KERNELS
    available[count++] = {"sse2", Sse2Lanes<false>, Sse2Lanes<true>};
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) available[count++] = {"avx2", Avx2Lanes<false>, Avx2Lanes<true>};
    if (__builtin_cpu_supports("avx512f")) available[count++] = {"avx512", Avx512Lanes<false>, Avx512Lanes<true>};
#endif
    const LanesKernel& widest = available[count - 1];
    const char* forced = std::getenv(kXxh3KernelEnv);
    if (forced == nullptr || *forced == '\0') return widest;
    for (size_t i = 0; i < count; ++i) {
      if (std::strcmp(forced, available[i].name) == 0) return available[i];
    }
    std::fprintf(stderr, "kvtier: ignoring %s=%s: this CPU's XXH3 kernels are", kXxh3KernelEnv, forced);
    for (size_t i = 0; i < count; ++i) std::fprintf(stderr, " %s", available[i].name);
    std::fprintf(stderr, "; using %s\n", widest.name);
    return widest;
  }();
  return chosen;
}

}  // namespace

uint64_t Xxh3(const uint8_t* data, size_t length) {
  if (length <= kMidSizeMax) return HashShort(data, length);
  uint64_t lanes[8];
  std::memcpy(lanes, kInitialLanes, sizeof lanes);
  ChosenKernel().hash(lanes, nullptr, data, length);
  return MergeLanes(lanes, length);
}

uint64_t CopyXxh3(uint8_t* dst, const uint8_t* src, size_t length) {
  if (length <= kMidSizeMax) {
    // memcpy with a null pointer is undefined even for 0 bytes, and empty buffers may have one.
    if (length != 0) std::memcpy(dst, src, length);
    return HashShort(src, length);
  }
  uint64_t lanes[8];
  std::memcpy(lanes, kInitialLanes, sizeof lanes);
  ChosenKernel().copyHash(lanes, dst, src, length);
  return MergeLanes(lanes, length);
}

}  // namespace kvtier
