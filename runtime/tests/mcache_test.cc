// mcache_test.cc — per-P caches: goroutines on every P allocate at once
// (TSan checks the lock-free fast path), P counts change under them, and
// flushing returns every cached span.
#include "mem/mcache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <random>
#include <vector>

#include "gort/mem.h"
#include "gort/runtime.h"
#include "mem/mheap.h"
#include "mem/sweep.h"

namespace gort::mem {
namespace {

// These tests keep their objects in std::vectors, which the collector does
// not scan, and account for every byte: they test the allocator alone, so
// the collector stays off (GOGC=off is read when gort::run starts).
const bool kGcOff = [] {
  setenv("GOGC", "off", 1);
  return true;
}();

using Block = std::pair<std::uintptr_t, std::size_t>;

// spawn_and_join runs body(i) on n goroutines and waits for all of them.
template <class F>
void spawn_and_join(int n, F body) {
  std::atomic<int> done{0};
  for (int i = 0; i < n; ++i) {
    gort::go([i, &done, &body] {
      body(i);
      done.fetch_add(1, std::memory_order_release);
    });
  }
  while (done.load(std::memory_order_acquire) < n) gort::gosched();
}

void check_disjoint(std::vector<Block>& all) {
  std::sort(all.begin(), all.end());
  for (std::size_t i = 1; i < all.size(); ++i) {
    ASSERT_GE(all[i].first, all[i - 1].first + all[i - 1].second) << "a block was handed out twice";
  }
}

TEST(MCache, ConcurrentAllocationFromAllPs) {
  const int rc = gort::run([] {
    set_heap_goal(std::uint64_t{1} << 40);
    const int procs = std::max(2, gort::max_procs());
    gort::set_max_procs(procs);
    constexpr int kG = 8, kPer = 5000;
    std::vector<std::vector<Block>> got(kG);
    spawn_and_join(kG, [&got](int g) {
      std::mt19937 rng(g);
      for (int i = 0; i < kPer; ++i) {
        const std::size_t size = rng() % 32 == 0 ? 50000 : 1 + rng() % 1000;
        auto* p = static_cast<unsigned char*>(alloc(size, rng() & 1));
        for (std::size_t j = 0; j < size; ++j) {
          if (p[j] != 0) ADD_FAILURE() << "not zeroed";
        }
        std::memset(p, g + 1, size);
        got[g].emplace_back(reinterpret_cast<std::uintptr_t>(p), size);
        if (i % 512 == 0) gort::gosched();  // let goroutines move between Ps
      }
      for (auto [a, n] : got[g]) {
        const auto* b = reinterpret_cast<const unsigned char*>(a);
        for (std::size_t j = 0; j < n; ++j) {
          if (b[j] != g + 1) {
            ADD_FAILURE() << "object overwritten";
            return;
          }
        }
      }
    });
    std::vector<Block> all;
    for (auto& v : got) all.insert(all.end(), v.begin(), v.end());
    check_disjoint(all);
    int used = 0;
    for (auto& slot : g_mcaches) used += slot.load() != nullptr;
    EXPECT_GE(used, 1);
    const Stats st = read_stats();
    EXPECT_GE(st.mallocs + st.large_allocs + st.tiny_allocs, std::uint64_t{kG} * kPer);
    release_all();
    EXPECT_EQ(read_stats().heap_live, 0);
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(MCache, SurvivesMaxProcsChangesAndFlush) {
  const int rc = gort::run([] {
    set_heap_goal(std::uint64_t{1} << 40);
    for (int procs : {1, 3, 2, 1, 4}) {
      gort::set_max_procs(procs);
      spawn_and_join(4, [](int g) {
        for (int i = 0; i < 2000; ++i) std::memset(alloc(8 + (i % 200), g & 1), 1, 8);
      });
    }
    flush_all_mcaches();
    for (auto& slot : g_mcaches) {
      if (MCache* c = slot.load()) {
        for (Span* s : c->alloc) EXPECT_EQ(s, &g_empty_span);
        EXPECT_EQ(c->tiny, 0u);
      }
    }
    release_all();
    const Stats st = read_stats();
    EXPECT_EQ(st.heap_live, 0);
    EXPECT_EQ(st.spans_in_use, 0u);
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace gort::mem
