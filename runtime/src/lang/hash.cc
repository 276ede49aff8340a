// hash.cc — memhash: AES-NI rounds where the CPU has them, a portable
// multiply-mix elsewhere; both keyed by per-process random keys.
//
// Design. The process key (kKeys, 4×128 bits) comes from getrandom at load
// time. A hash starts from a state s = (seed, length) xor key[0], scrambled
// by one AES round, so the seed and length change every output bit. Input
// blocks of 16 bytes are xored with s and run through aesenc rounds keyed
// with the process key; several blocks are folded with further aesenc
// rounds. Inputs under 16 bytes are loaded without reading past the end.
// The output is the low 64 bits of the final block. Three rounds per block
// are enough for a hash table (we want avalanche and key-dependence, not a
// MAC); the seed makes collisions unpredictable from outside the process.
//
// The fallback mixes 64-bit words with a full 128-bit product (folding the
// high half into the low), the keys playing the same role.
//
// Invariants: the keys are written once, before main (constructor priority
// 101), and only read afterwards; the selection of AES vs fallback is made at
// the same time.
#include "gort/hash.h"

#include <sys/random.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace gort {
namespace {

alignas(16) std::uint64_t kKeys[8];  // 4 × 128-bit keys
bool use_aes = false;

__attribute__((constructor(101))) void init_hash_keys() {
  std::size_t got = 0;
  auto* bytes = reinterpret_cast<unsigned char*>(kKeys);
  while (got < sizeof kKeys) {
    ssize_t n = getrandom(bytes + got, sizeof kKeys - got, 0);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got < sizeof kKeys) {  // no getrandom: time and address entropy
    std::uint64_t x = static_cast<std::uint64_t>(time(nullptr)) ^
                      reinterpret_cast<std::uintptr_t>(&got) ^ (static_cast<std::uint64_t>(getpid()) << 32);
    for (auto& k : kKeys) {
      x += 0x9e3779b97f4a7c15ull;
      std::uint64_t z = x;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      k = z ^ (z >> 31);
    }
  }
  for (auto& k : kKeys) k |= 1;  // odd: never a zero multiplier in the fallback
#if defined(__x86_64__)
  unsigned a, b, c, d;
  if (__get_cpuid(1, &a, &b, &c, &d)) use_aes = (c & bit_AES) && (c & bit_SSE4_1);
#endif
}

inline std::uint64_t load64(const unsigned char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline std::uint32_t load32(const unsigned char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// ---- portable fallback ----

inline std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

std::uint64_t fallback_hash(const unsigned char* p, std::size_t n, std::uint64_t seed) {
  std::uint64_t h = mix(seed ^ kKeys[0], n ^ kKeys[1]);
  while (n > 16) {
    h = mix(load64(p) ^ kKeys[2] ^ h, load64(p + 8) ^ kKeys[3]);
    p += 16;
    n -= 16;
  }
  std::uint64_t a = 0, b = 0;
  if (n >= 8) {
    a = load64(p);
    b = load64(p + n - 8);
  } else if (n >= 4) {
    a = load32(p);
    b = load32(p + n - 4);
  } else if (n > 0) {
    a = (std::uint64_t{p[0]} << 16) | (std::uint64_t{p[n >> 1]} << 8) | p[n - 1];
  }
  h = mix(a ^ kKeys[4] ^ h, b ^ kKeys[5]);
  return mix(h ^ kKeys[6], kKeys[7]);
}

// ---- AES-NI ----
#if defined(__x86_64__)
#define GORT_AES __attribute__((target("aes,sse4.1")))

GORT_AES inline __m128i key(int i) {
  return _mm_load_si128(reinterpret_cast<const __m128i*>(kKeys) + i);
}

GORT_AES inline __m128i start(std::uint64_t seed, std::uint64_t n) {
  __m128i s = _mm_set_epi64x(static_cast<long long>(n), static_cast<long long>(seed));
  return _mm_aesenc_si128(_mm_xor_si128(s, key(0)), key(1));
}

GORT_AES inline std::uint64_t finish(__m128i x, __m128i s) {
  x = _mm_aesenc_si128(_mm_xor_si128(x, s), key(2));
  x = _mm_aesenc_si128(x, key(3));
  x = _mm_aesenc_si128(x, s);
  return static_cast<std::uint64_t>(_mm_cvtsi128_si64(x));
}

GORT_AES std::uint64_t aes_hash(const unsigned char* p, std::size_t n, std::uint64_t seed) {
  __m128i s = start(seed, n);
  if (n <= 16) {
    __m128i x;
    if (n >= 8) {
      x = _mm_set_epi64x(static_cast<long long>(load64(p + n - 8)), static_cast<long long>(load64(p)));
    } else if (n >= 4) {
      x = _mm_set_epi64x(load32(p + n - 4), load32(p));
    } else if (n > 0) {
      x = _mm_cvtsi32_si128(static_cast<int>((p[0] << 16) | (p[n >> 1] << 8) | p[n - 1]));
    } else {
      x = _mm_setzero_si128();
    }
    return finish(x, s);
  }
  if (n <= 32) {
    __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16));
    a = _mm_aesenc_si128(_mm_xor_si128(a, s), key(2));
    b = _mm_aesenc_si128(_mm_xor_si128(b, s), key(3));
    return finish(_mm_aesenc_si128(a, b), s);
  }
  // Four lanes over 64-byte blocks; the last block overlaps the previous
  // one when n is not a multiple of 64.
  __m128i l0 = _mm_xor_si128(s, key(0)), l1 = _mm_xor_si128(s, key(1));
  __m128i l2 = _mm_xor_si128(s, key(2)), l3 = _mm_xor_si128(s, key(3));
  auto block = [&](const unsigned char* q) GORT_AES {
    l0 = _mm_aesenc_si128(_mm_xor_si128(l0, _mm_loadu_si128(reinterpret_cast<const __m128i*>(q))), key(0));
    l1 = _mm_aesenc_si128(_mm_xor_si128(l1, _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16))), key(1));
    l2 = _mm_aesenc_si128(_mm_xor_si128(l2, _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 32))), key(2));
    l3 = _mm_aesenc_si128(_mm_xor_si128(l3, _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 48))), key(3));
  };
  if (n < 64) {  // 33..63: two overlapping 32-byte halves
    l0 = _mm_aesenc_si128(_mm_xor_si128(l0, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p))), key(0));
    l1 = _mm_aesenc_si128(_mm_xor_si128(l1, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16))), key(1));
    l2 = _mm_aesenc_si128(_mm_xor_si128(l2, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 32))), key(2));
    l3 = _mm_aesenc_si128(_mm_xor_si128(l3, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16))), key(3));
  } else {
    std::size_t off = 0;
    for (; off + 64 <= n; off += 64) block(p + off);
    if (off < n) block(p + n - 64);
  }
  __m128i x = _mm_aesenc_si128(_mm_aesenc_si128(l0, l1), _mm_aesenc_si128(l2, l3));
  return finish(x, s);
}

GORT_AES std::uint64_t aes_hash64(std::uint64_t v, std::uint64_t seed) {
  __m128i s = start(seed, 8);
  return finish(_mm_cvtsi64_si128(static_cast<long long>(v)), s);
}
GORT_AES std::uint64_t aes_hash32(std::uint32_t v, std::uint64_t seed) {
  __m128i s = start(seed, 4);
  return finish(_mm_cvtsi32_si128(static_cast<int>(v)), s);
}
#endif

}  // namespace

bool hash_uses_aes() noexcept { return use_aes; }

std::uint64_t memhash(const void* p, std::size_t n, std::uint64_t seed) noexcept {
#if defined(__x86_64__)
  if (__builtin_expect(use_aes, 1)) return aes_hash(static_cast<const unsigned char*>(p), n, seed);
#endif
  return fallback_hash(static_cast<const unsigned char*>(p), n, seed);
}

std::uint64_t memhash64(std::uint64_t v, std::uint64_t seed) noexcept {
#if defined(__x86_64__)
  if (__builtin_expect(use_aes, 1)) return aes_hash64(v, seed);
#endif
  return mix(mix(v ^ kKeys[0], seed ^ kKeys[1]) ^ kKeys[6], kKeys[7]);
}

std::uint64_t memhash32(std::uint32_t v, std::uint64_t seed) noexcept {
#if defined(__x86_64__)
  if (__builtin_expect(use_aes, 1)) return aes_hash32(v, seed);
#endif
  return mix(mix(v ^ kKeys[2], seed ^ kKeys[3]) ^ kKeys[6], kKeys[7]);
}

std::uint64_t fastrand64() noexcept {
  // wyrand-style generator; per thread, seeded from the process key and the
  // thread's own address so threads do not share a sequence.
  thread_local std::uint64_t state = 0;
  if (__builtin_expect(state == 0, 0)) state = (kKeys[5] ^ reinterpret_cast<std::uintptr_t>(&state)) | 1;
  state += 0xa0761d6478bd642full;
  return mix(state, state ^ 0xe7037ed1a0b428dbull);
}

namespace lang {
// set_hash_fallback_for_testing switches memhash to the portable path (tests
// compare both).
void set_hash_fallback_for_testing(bool fallback) { use_aes = !fallback && [] {
#if defined(__x86_64__)
  unsigned a, b, c, d;
  return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_AES) && (c & bit_SSE4_1);
#else
  return false;
#endif
}(); }
}  // namespace lang

}  // namespace gort
