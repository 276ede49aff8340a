// pagealloc_test.cc — the page allocator against a simple model.
#include "mem/pagealloc.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

namespace gort::mem {
namespace {

TEST(PageBits, RangesAndRuns) {
  std::uint64_t bm[8] = {};
  bits::set_range(bm, 3, 70);
  EXPECT_EQ(bits::count_range(bm, 0, 512), 70u);
  EXPECT_EQ(bits::count_range(bm, 3, 70), 70u);
  EXPECT_EQ(bits::find_zero_run(bm, 512, 3), 0u);
  EXPECT_EQ(bits::find_zero_run(bm, 512, 4), 73u);
  std::uint16_t s, m, e;
  bits::summarize(bm, 512, &s, &m, &e);
  EXPECT_EQ(s, 3);
  EXPECT_EQ(m, 512 - 73);
  EXPECT_EQ(e, 512 - 73);
  bits::clear_range(bm, 10, 5);
  EXPECT_EQ(bits::count_range(bm, 0, 512), 65u);
  bits::set_range(bm, 0, 512);
  EXPECT_EQ(bits::find_zero_run(bm, 512, 1), SIZE_MAX);
  bits::summarize(bm, 512, &s, &m, &e);
  EXPECT_EQ(s + m + e, 0);
}

// A fake address range: the page allocator never touches the pages.
constexpr std::uintptr_t kBase = std::uintptr_t{1} << 40;

TEST(PageAlloc, FirstFitAcrossChunksAndRegions) {
  static PageAlloc pa;
  pa.add_region(kBase, 16);
  ASSERT_TRUE(pa.grow(kBase, 2));
  bool dirty = true;
  EXPECT_EQ(pa.alloc(1, &dirty), kBase);
  EXPECT_FALSE(dirty);  // fresh pages are scavenged = zero
  // A run crossing the chunk border.
  const std::uintptr_t big = pa.alloc(600, &dirty);
  EXPECT_EQ(big, kBase + kPageSize);
  EXPECT_EQ(pa.alloc(1024, &dirty), 0u);  // does not fit in 2 chunks
  pa.free(kBase, 1);
  EXPECT_EQ(pa.alloc(1, &dirty), kBase);
  EXPECT_TRUE(dirty);  // freed pages are dirty
  const char* why = "";
  EXPECT_TRUE(pa.check(&why)) << why;
  std::uintptr_t end;
  EXPECT_EQ(pa.room(kBase, &end), 14u);
  EXPECT_EQ(end, kBase + 2 * kChunkBytes);
}

TEST(PageAlloc, RandomModel) {
  static PageAlloc pa;
  const std::uintptr_t base2 = kBase + (std::uintptr_t{1} << 32);
  pa.add_region(kBase, 4);
  pa.add_region(base2, 4);
  pa.grow(kBase, 4);
  pa.grow(base2, 4);
  std::vector<bool> used(2 * 4 * kChunkPages);
  auto page_of = [&](std::uintptr_t a) {
    return a >= base2 ? 4 * kChunkPages + (a - base2) / kPageSize : (a - kBase) / kPageSize;
  };
  std::map<std::uintptr_t, std::size_t> live;
  std::mt19937 rng(42);
  for (int it = 0; it < 4000; ++it) {
    if (live.empty() || rng() % 3 != 0) {
      const std::size_t n = rng() % 8 == 0 ? 1 + rng() % 700 : 1 + rng() % 8;
      bool dirty;
      const std::uintptr_t a = pa.alloc(n, &dirty);
      if (a == 0) continue;
      const std::size_t p = page_of(a);
      for (std::size_t i = 0; i < n; ++i) {
        ASSERT_FALSE(used[p + i]) << "page handed out twice";
        used[p + i] = true;
      }
      live[a] = n;
    } else {
      auto it2 = live.begin();
      std::advance(it2, rng() % live.size());
      const std::size_t p = page_of(it2->first);
      for (std::size_t i = 0; i < it2->second; ++i) used[p + i] = false;
      pa.free(it2->first, it2->second);
      live.erase(it2);
    }
    if (it % 97 == 0) {
      std::size_t n = 0;
      const std::uintptr_t s = pa.take_for_scavenge(16, &n);
      if (s != 0) {
        for (std::size_t i = 0; i < n; ++i) ASSERT_FALSE(used[page_of(s) + i]);
        pa.return_scavenged(s, n);
      }
      const char* why = "";
      ASSERT_TRUE(pa.check(&why)) << why << " at iteration " << it;
    }
  }
  std::size_t nused = 0;
  for (bool b : used) nused += b;
  EXPECT_EQ(pa.free_pages(), used.size() - nused);
}

TEST(PageAlloc, ScavengeTakesHighestFirstAndReusesAsZero) {
  static PageAlloc pa;
  pa.add_region(kBase, 1);
  pa.grow(kBase, 1);
  bool dirty;
  const std::uintptr_t a = pa.alloc(kChunkPages, &dirty);
  ASSERT_EQ(a, kBase);
  pa.free(a, kChunkPages);
  EXPECT_EQ(pa.released_pages(), 0u);
  std::size_t n = 0;
  const std::uintptr_t s = pa.take_for_scavenge(64, &n);
  EXPECT_EQ(n, 64u);
  EXPECT_EQ(s, kBase + (kChunkPages - 64) * kPageSize);
  pa.return_scavenged(s, n);
  EXPECT_EQ(pa.released_pages(), 64u);
  // A run made only of released pages is known zero.
  const std::uintptr_t low = pa.alloc(kChunkPages - 64, &dirty);
  EXPECT_TRUE(dirty);
  const std::uintptr_t top = pa.alloc(64, &dirty);
  EXPECT_EQ(top, s);
  EXPECT_FALSE(dirty);
  (void)low;
  const char* why = "";
  EXPECT_TRUE(pa.check(&why)) << why;
}

}  // namespace
}  // namespace gort::mem
