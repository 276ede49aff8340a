// swiss_map_test.cc — the Swiss-table map (gort/swiss_map.h): nil map,
// a randomized model test against std::unordered_map, per-table growth and
// splits, Go's iteration rules under deletes and inserts.
#include "gort/swiss_map.h"

#include "gort/gort.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {

using SM = gort::swiss_map<std::int64_t, std::int64_t>;

TEST(SwissMap, NilMap) {
  SM m;
  EXPECT_TRUE(m.is_nil());
  EXPECT_EQ(m.find(1), nullptr);
  EXPECT_FALSE(m.erase(1));
  EXPECT_EQ(m.get(1), 0);
  int n = 0;
  for (auto&& kv : m) {
    (void)kv;
    n++;
  }
  EXPECT_EQ(n, 0);
  try {
    m[1] = 2;
    FAIL() << "no panic";
  } catch (const gort::panic_error& p) {
    EXPECT_STREQ(p.what(), "assignment to entry in nil map");
  }
}

TEST(SwissMap, SharedLikeAGoMap) {
  auto m = gort::make_swiss_map<std::string, int>();
  auto alias = m;
  alias["a"] = 1;
  ASSERT_NE(m.find("a"), nullptr);
  EXPECT_EQ(*m.find("a"), 1);
  EXPECT_EQ(gort::len(m), 1u);
}

// check_equal compares the whole map with the model, through lookups and
// through one iteration (each key exactly once).
void check_equal(const SM& m, const std::unordered_map<std::int64_t, std::int64_t>& model) {
  ASSERT_EQ(m.size(), model.size());
  std::unordered_set<std::int64_t> seen;
  for (auto&& [k, v] : m) {
    ASSERT_TRUE(seen.insert(k).second) << "key " << k << " visited twice";
    auto it = model.find(k);
    ASSERT_NE(it, model.end()) << "key " << k << " not in the model";
    ASSERT_EQ(v, it->second);
  }
  ASSERT_EQ(seen.size(), model.size());
  for (auto& [k, v] : model) {
    const std::int64_t* p = m.find(k);
    ASSERT_NE(p, nullptr) << k;
    ASSERT_EQ(*p, v);
  }
}

void model_run(std::int64_t key_space, int ops, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  auto m = gort::make_swiss_map<std::int64_t, std::int64_t>();
  std::unordered_map<std::int64_t, std::int64_t> model;
  for (int i = 0; i < ops; i++) {
    std::int64_t k = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(key_space));
    switch (rng() % 10) {
      case 0: case 1: case 2: case 3: {
        std::int64_t v = static_cast<std::int64_t>(rng());
        m[k] = v;
        model[k] = v;
        break;
      }
      case 4: case 5: case 6:
        ASSERT_EQ(m.erase(k), model.erase(k) == 1) << "op " << i;
        break;
      case 7: case 8: {
        const std::int64_t* p = m.find(k);
        auto it = model.find(k);
        ASSERT_EQ(p != nullptr, it != model.end()) << "op " << i;
        if (p) ASSERT_EQ(*p, it->second);
        break;
      }
      default:
        if (rng() % 2000 == 0) {
          m.clear();
          model.clear();
        } else {
          m.set(k, 7);
          model[k] = 7;
        }
    }
    ASSERT_EQ(m.size(), model.size()) << "op " << i;
    if (i % 5000 == 0) check_equal(m, model);
  }
  check_equal(m, model);
}

TEST(SwissMap, ModelSmallKeySpaceManyTombstones) { model_run(300, 200000, 1); }
TEST(SwissMap, ModelLargeKeySpaceSplits) { model_run(200000, 300000, 2); }

TEST(SwissMap, GrowsByTablesOfBoundedSize) {
  auto m = gort::make_swiss_map<std::int64_t, std::int64_t>();
  for (std::int64_t i = 0; i < 100000; i++) m[i] = i * 3;
  auto s = m.stats();
  EXPECT_EQ(s.count, 100000u);
  EXPECT_GT(s.tables, 64u);
  EXPECT_GT(s.global_depth, 5u);
  // Every table stays at most kMaxTableSlots slots, so a rebuild is bounded.
  EXPECT_LE(s.slots, s.tables * gort::swiss_detail::kMaxTableSlots);
  for (std::int64_t i = 0; i < 100000; i++) ASSERT_EQ(m.get(i), i * 3);
  // A hint sizes the directory up front: no rebuild while filling to it.
  auto h = gort::make_swiss_map<std::int64_t, std::int64_t>(50000);
  for (std::int64_t i = 0; i < 50000; i++) h[i] = i;
  EXPECT_EQ(h.stats().rehashes, 0u);
}

TEST(SwissMap, SwarMatch) {
  using namespace gort::swiss_detail;
  std::uint64_t ctrl = 0;
  std::uint8_t bytes[8] = {0x11, kEmpty, 0x22, kDeleted, 0x11, 0x7f, kEmpty, 0x00};
  for (int i = 0; i < 8; i++) ctrl |= std::uint64_t{bytes[i]} << (8 * i);
  std::uint64_t m = match_h2(ctrl, 0x11);
  ASSERT_NE(m, 0u);
  EXPECT_EQ(first(m), 0);
  m = drop_first(m);
  // A false positive may follow a true match; the next true one is slot 4.
  while (m && first(m) != 4) m = drop_first(m);
  EXPECT_NE(m, 0u);
  EXPECT_EQ(match_empty(ctrl), (std::uint64_t{0x80} << 8) | (std::uint64_t{0x80} << 48));
  EXPECT_EQ(match_free(ctrl), (std::uint64_t{0x80} << 8) | (std::uint64_t{0x80} << 24) | (std::uint64_t{0x80} << 48));
  EXPECT_EQ(first(match_full(ctrl)), 0);
  EXPECT_EQ(match_h2(ctrl, 0x33), 0u);
}

TEST(SwissMap, IterationSkipsKeysDeletedBeforeTheyAreReached) {
  auto m = gort::make_swiss_map<std::int64_t, std::int64_t>();
  for (std::int64_t i = 0; i < 5000; i++) m[i] = i;
  std::unordered_set<std::int64_t> seen;
  bool first = true;
  std::int64_t first_key = -1;
  for (auto&& [k, v] : m) {
    ASSERT_TRUE(seen.insert(k).second);
    if (first) {
      first = false;
      first_key = k;
      for (std::int64_t i = 0; i < 5000; i += 2) m.erase(i);  // delete every even key
    }
  }
  for (std::int64_t i = 0; i < 5000; i++) {
    if (i % 2 == 1) EXPECT_TRUE(seen.count(i)) << i;
    else if (i != first_key) EXPECT_FALSE(seen.count(i)) << i;
  }
}

TEST(SwissMap, IterationThroughGrowthSeesEachOldKeyOnceWithItsCurrentValue) {
  auto m = gort::make_swiss_map<std::int64_t, std::int64_t>();
  const std::int64_t n = 3000;
  for (std::int64_t i = 0; i < n; i++) m[i] = i;
  std::unordered_map<std::int64_t, int> visits;
  std::int64_t step = 0;
  for (auto&& [k, v] : m) {
    visits[k]++;
    if (k < n) {
      // Updated values are seen: every old key's value was bumped by 1000000
      // once the first insert wave ran (step >= 1).
      if (step >= 1) EXPECT_EQ(v, k + 1000000) << k;
      else EXPECT_EQ(v, k);
    }
    if (step == 0) {
      // Grow the map under the iterator: forces rebuilds and splits of the
      // tables it has yet to visit, and updates every old key.
      for (std::int64_t i = n; i < 40 * n; i++) m[i] = i;
      for (std::int64_t i = 0; i < n; i++) m[i] = i + 1000000;
      EXPECT_GT(m.stats().rehashes, 0u);
    }
    step++;
  }
  for (std::int64_t i = 0; i < n; i++) EXPECT_EQ(visits[i], 1) << i;
  for (auto& [k, c] : visits) EXPECT_EQ(c, 1) << k;
}

TEST(SwissMap, ClearDuringIterationEndsIt) {
  auto m = gort::make_swiss_map<std::int64_t, std::int64_t>();
  for (std::int64_t i = 0; i < 2000; i++) m[i] = i;
  int n = 0;
  for (auto&& kv : m) {
    (void)kv;
    if (n++ == 0) m.clear();
  }
  EXPECT_EQ(n, 1);
  EXPECT_EQ(m.size(), 0u);
  m[5] = 6;
  EXPECT_EQ(m.get(5), 6);
}

TEST(SwissMap, ValuesAreDestroyed) {
  // GC semantics (gort/lang_alloc.h): erase destroys its value at once;
  // what a rebuild leaves in tables an iterator still holds, and everything
  // in an unreachable map, is destroyed by the collector (a finalizer on
  // each group array), not when the last handle goes away.
  gort::run([] {
    auto p = std::make_shared<int>(0);
    std::shared_ptr<int>* pp = &p;
    auto done = gort::make_chan<int>();
    // On a goroutine that exits, so no stale pointer into the tables stays
    // on a stack the (conservative) collector scans.
    gort::go([pp, done] {
      auto m = gort::make_swiss_map<std::int64_t, std::shared_ptr<int>>();
      for (std::int64_t i = 0; i < 3000; i++) m[i] = *pp;
      for (std::int64_t i = 0; i < 1000; i++) m.erase(i);
      // Rebuilds without an iterator move entries: only live ones count.
      EXPECT_EQ(pp->use_count(), 2001);
      // An iterator holding old tables across a rebuild makes them keep
      // copies, until the collector finds those tables unreachable.
      for (auto&& kv : m) {
        (void)kv;
        for (std::int64_t i = 3000; i < 20000; i++) m[i] = *pp;
        break;
      }
      EXPECT_GE(pp->use_count(), 1 + 19000);
      done.send(1);
    });
    done.recv();
    for (int c = 0; c < 20 && p.use_count() > 1; c++) {
      gort::gc::collect();
      gort::sleep_ns(2'000'000);
    }
    EXPECT_EQ(p.use_count(), 1);
    return 0;
  });
}

}  // namespace

// The randomized driver for runtime/tests/fuzz/swiss_map_fuzz.cc (its
// libFuzzer entry needs clang: cmake -DGORT_FUZZ=ON).
#include "fuzz/swiss_map_fuzz.cc"

namespace {
TEST(SwissMapFuzz, RandomInputs) {
  std::mt19937 rng(2025);
  for (int round = 0; round < 300; round++) {
    std::vector<std::uint8_t> in(1 + rng() % 600);
    for (auto& b : in) b = static_cast<std::uint8_t>(rng());
    gort_swiss_fuzz::swiss_map_fuzz_one(in.data(), in.size());
  }
}
}  // namespace
