// gort/hash.h — the hash functions behind gort::map (Go's memhash family).
//
// memhash hashes bytes with a per-process random key and a per-call seed
// (each map draws its own seed), so keys crafted to collide under one run's
// hash do not collide under another's: the defence against hash flooding
// (claim 310). On x86-64 CPUs with AES-NI it runs AES rounds (aesenc keyed
// with the process key); elsewhere a portable 64×64→128 multiply-mix.
// Implementation: runtime/src/lang/hash.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace gort {

// memhash hashes n bytes at p under seed.
std::uint64_t memhash(const void* p, std::size_t n, std::uint64_t seed) noexcept;
// memhash64 / memhash32 hash one 8- or 4-byte word under seed (the map's
// fast paths for integer keys, as Go's memhash64/memhash32).
std::uint64_t memhash64(std::uint64_t v, std::uint64_t seed) noexcept;
std::uint64_t memhash32(std::uint32_t v, std::uint64_t seed) noexcept;
// fastrand64 is a cheap per-thread pseudo-random number (map seeds,
// iteration start points); not for cryptography.
std::uint64_t fastrand64() noexcept;
// hash_uses_aes reports whether memhash runs on AES-NI in this process.
bool hash_uses_aes() noexcept;

// hasher<K> is how gort::map hashes a key: integers, enums and pointers by
// value, strings by their bytes, and user types that define a member
// `std::uint64_t hash(std::uint64_t seed) const`. Specialise it for others.
template <class K, class = void>
struct hasher {
  static_assert(sizeof(K) == 0,
                "gort::hasher<K>: give K a member hash(seed), or specialise gort::hasher");
};

template <class K>
struct hasher<K, std::enable_if_t<(std::is_integral_v<K> || std::is_enum_v<K> ||
                                   std::is_pointer_v<K>)>> {
  std::uint64_t operator()(const K& k, std::uint64_t seed) const noexcept {
    if constexpr (sizeof(K) == 8) {
      std::uint64_t v;
      __builtin_memcpy(&v, &k, 8);
      return memhash64(v, seed);
    } else if constexpr (sizeof(K) == 4) {
      std::uint32_t v;
      __builtin_memcpy(&v, &k, 4);
      return memhash32(v, seed);
    } else {
      return memhash(&k, sizeof(K), seed);
    }
  }
};

template <>
struct hasher<std::string> {
  std::uint64_t operator()(const std::string& k, std::uint64_t seed) const noexcept {
    return memhash(k.data(), k.size(), seed);
  }
};

template <>
struct hasher<std::string_view> {
  std::uint64_t operator()(std::string_view k, std::uint64_t seed) const noexcept {
    return memhash(k.data(), k.size(), seed);
  }
};

template <class K>
struct hasher<K, std::void_t<decltype(std::declval<const K&>().hash(std::uint64_t{}))>> {
  std::uint64_t operator()(const K& k, std::uint64_t seed) const noexcept { return k.hash(seed); }
};

}  // namespace gort
