// swiss_map_fuzz.cc — gort::swiss_map against std::unordered_map, driven
// by bytes: the interpreter of map_fuzz.cc (insert bursts, delete, lookup,
// full iterations, iterations that delete and insert while they run, clear)
// on the Swiss-table map, whose rebuilds, splits and tombstones it drives.
//
//   - libFuzzer: cmake -DGORT_FUZZ=ON (runtime/CMakeLists.txt);
//   - the plain randomized driver: swiss_map_test.cc includes this file
//     (TEST(SwissMapFuzz, RandomInputs)).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <unordered_map>

#include "gort/swiss_map.h"

namespace gort_swiss_fuzz {

inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "swiss_map_fuzz: divergence: %s\n", what);
    std::abort();
  }
}

// swiss_map_fuzz_one runs one input; returns 0 (libFuzzer's convention).
inline int swiss_map_fuzz_one(const std::uint8_t* data, std::size_t size) {
  auto m = gort::make_swiss_map<std::uint32_t, std::uint32_t>(size > 0 ? data[0] % 4 : 0);
  std::unordered_map<std::uint32_t, std::uint32_t> ref;
  // Key space: 64 keys, or 4096 when the first byte is odd (more growth).
  const std::uint32_t space = (size > 0 && (data[0] & 1)) ? 4096 : 64;
  for (std::size_t i = 1; i + 1 < size; i += 2) {
    const std::uint8_t op = data[i] % 16;
    const std::uint32_t k = (static_cast<std::uint32_t>(data[i + 1]) * 2654435761u) % space;
    if (op < 6) {
      for (std::uint32_t j = 0; j < 1u + op * 7; j++) {  // bursts make growth happen
        std::uint32_t kk = (k + j * 131) % space;
        m[kk] = kk + i;
        ref[kk] = kk + static_cast<std::uint32_t>(i);
      }
    } else if (op < 9) {
      check(m.erase(k) == (ref.erase(k) == 1), "erase result");
    } else if (op < 12) {
      std::uint32_t* v = m.find(k);
      auto it = ref.find(k);
      check((v != nullptr) == (it != ref.end()), "find presence");
      if (v) check(*v == it->second, "find value");
    } else if (op < 14) {
      std::set<std::uint32_t> seen;
      for (auto&& [key, val] : m) {
        check(seen.insert(key).second, "iteration visited a key twice");
        auto it = ref.find(key);
        check(it != ref.end() && it->second == val, "iteration value");
      }
      check(seen.size() == ref.size(), "iteration missed keys");
    } else if (op == 14) {
      // Mutate while iterating: every key present at the start and not
      // deleted before its turn is seen exactly once.
      // (A key deleted and inserted again is a new entry: it may show up
      // again, as in Go.)
      std::set<std::uint32_t> seen, erased;
      std::uint32_t next = k;
      for (auto&& [key, val] : m) {
        check(seen.insert(key).second || erased.count(key) != 0, "mutating iteration visited a key twice");
        if ((key ^ next) & 1) {
          erased.insert(key);
          m.erase(key);
          ref.erase(key);
        }
        next = (next + 977) % space;
        m[next] = 1;
        ref[next] = 1;
      }
    } else {
      m.clear();
      ref.clear();
    }
    check(m.size() == ref.size(), "size");
  }
  return 0;
}

}  // namespace gort_swiss_fuzz

#ifdef GORT_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return gort_swiss_fuzz::swiss_map_fuzz_one(data, size);
}
#endif
