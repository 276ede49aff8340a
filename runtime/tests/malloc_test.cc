// malloc_test.cc — the allocator through its entry points: every size
// class, zeroing, alignment, tiny objects, large objects, interior pointers,
// bad sizes, accounting after a full release, concurrent threads, and a
// randomized allocate/mark/sweep model.
#include "gort/mem.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "gort/panic.h"
#include "mem/arena.h"
#include "mem/malloc.h"
#include "mem/mheap.h"
#include "mem/sizeclasses.h"
#include "mem/span.h"
#include "mem/sweep.h"

namespace gort::mem {
namespace {

// kScale shrinks the longest tests under TSan, which runs them ~50x slower.
#if defined(GORT_TSAN)
constexpr int kScale = 5;
#else
constexpr int kScale = 1;
#endif

bool all_zero(const void* p, std::size_t n) {
  const auto* b = static_cast<const unsigned char*>(p);
  return std::all_of(b, b + n, [](unsigned char c) { return c == 0; });
}

void expect_clean_heap() {
  const Stats st = read_stats();
  EXPECT_EQ(st.heap_live, 0);
  EXPECT_EQ(st.spans_in_use, 0u);
  EXPECT_EQ(st.heap_in_use, 0u);
  EXPECT_EQ(st.heap_sys, st.heap_in_use + st.heap_idle);
  EXPECT_GE(st.heap_idle, st.heap_released);
  const char* why = "";
  EXPECT_TRUE(g_heap.check(&why)) << why;
}

class Malloc : public ::testing::Test {
 protected:
  void SetUp() override { set_heap_goal(std::uint64_t{1} << 40); }  // no scavenging
  void TearDown() override {
    release_all();
    expect_clean_heap();
  }
};

TEST_F(Malloc, EveryClassRoundTripAlignedZeroedDistinct) {
  for (int round = 0; round < 2; ++round) {  // 2nd round reuses dirty memory
    for (int c = 1; c < kNumSizeClasses; ++c) {
      const SizeClassInfo& ci = class_info(c);
      for (bool scan : {false, true}) {
        const std::size_t size = scan || ci.size >= 16 ? ci.size : 16;
        std::vector<unsigned char*> objs;
        for (std::uint32_t i = 0; i < 2 * ci.nelems + 1; ++i) {
          auto* p = static_cast<unsigned char*>(alloc(size, scan));
          ASSERT_NE(p, nullptr);
          const auto a = reinterpret_cast<std::uintptr_t>(p);
          ASSERT_EQ(a % 8, 0u);
          if (ci.size % 16 == 0) {
            ASSERT_EQ(a % 16, 0u) << "class " << c;
          }
          if ((ci.size & (ci.size - 1)) == 0 && ci.size <= kPageSize) {
            ASSERT_EQ(a % ci.size, 0u);
          }
          ASSERT_TRUE(all_zero(p, size)) << "class " << c << " round " << round;
          ASSERT_EQ(usable_size(p), round_up_size(size));
          std::uintptr_t base;
          Span* s;
          ASSERT_TRUE(find_object(p + size - 1, &base, &s));
          ASSERT_EQ(base, a);
          ASSERT_EQ(span_class_noscan(s->spc), !scan);
          std::memset(p, 0xA5, size);
          objs.push_back(p);
        }
        std::sort(objs.begin(), objs.end());
        for (std::size_t i = 1; i < objs.size(); ++i) ASSERT_GE(objs[i] - objs[i - 1], static_cast<long>(size));
      }
    }
    release_all();
  }
}

TEST_F(Malloc, TinyObjectsArePackedAlignedAndZeroed) {
  std::vector<std::pair<std::uintptr_t, std::size_t>> objs;
  std::mt19937 rng(3);
  for (int i = 0; i < 20000; ++i) {
    const std::size_t size = 1 + rng() % 15;
    auto* p = static_cast<unsigned char*>(alloc(size, false));
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    const std::size_t align = size % 8 == 0 ? 8 : size % 4 == 0 ? 4 : size % 2 == 0 ? 2 : 1;
    ASSERT_EQ(a % align, 0u) << size;
    ASSERT_TRUE(all_zero(p, size));
    std::memset(p, 0xFF, size);
    objs.emplace_back(a, size);
  }
  std::sort(objs.begin(), objs.end());
  for (std::size_t i = 1; i < objs.size(); ++i) {
    ASSERT_GE(objs[i].first, objs[i - 1].first + objs[i - 1].second) << "tiny objects overlap";
  }
  const Stats st = read_stats();
  EXPECT_GT(st.tiny_allocs, 5000u);  // most requests shared a block
}

TEST_F(Malloc, ZeroSizeIsOneSharedAddress) {
  void* a = alloc(0, true);
  void* b = alloc(0, false);
  EXPECT_NE(a, nullptr);
  EXPECT_EQ(a, b);
  EXPECT_EQ(alloc_array(0, 100, true), a);
  EXPECT_EQ(alloc_array(100, 0, true), a);
  EXPECT_EQ(usable_size(a), 0u);
}

TEST_F(Malloc, ImpossibleSizesPanicWithGosMessage) {
  try {
    alloc_array(SIZE_MAX / 2, 4, false);
    FAIL() << "no panic";
  } catch (const gort::panic_error& e) {
    EXPECT_STREQ(e.what(), "runtime error: makeslice: len out of range");
    EXPECT_TRUE(e.is_runtime_error());
  }
  try {
    alloc_array(std::size_t{1} << 40, 1 << 10, true);
    FAIL() << "no panic";
  } catch (const gort::panic_error& e) {
    EXPECT_STREQ(e.what(), "runtime error: makeslice: len out of range");
  }
  EXPECT_THROW(alloc(SIZE_MAX, false), gort::panic_error);
}

TEST_F(Malloc, LargeObjects) {
  for (std::size_t size : {kMaxSmallSize + 1, std::size_t{100} << 10, std::size_t{1} << 20,
                           std::size_t{5} << 20, std::size_t{100} << 20}) {
    for (int rep = 0; rep < 2; ++rep) {
      auto* p = static_cast<unsigned char*>(alloc(size, rep == 0));
      ASSERT_EQ(reinterpret_cast<std::uintptr_t>(p) % kPageSize, 0u);
      ASSERT_TRUE(all_zero(p, size)) << size;
      std::uintptr_t base;
      Span* s;
      ASSERT_TRUE(find_object(p + size / 2, &base, &s));
      EXPECT_EQ(base, reinterpret_cast<std::uintptr_t>(p));
      EXPECT_EQ(s->npages, (size + kPageSize - 1) / kPageSize);
      EXPECT_EQ(usable_size(p + size - 1), s->elemsize);
      std::memset(p, 0x5A, size);
      release_all();  // dirty pages must come back zeroed
    }
  }
  EXPECT_GE(read_stats().large_allocs, 10u);
}

TEST_F(Malloc, NonHeapPointersResolveToNothing) {
  int local = 0;
  std::uintptr_t base;
  Span* s;
  EXPECT_FALSE(find_object(&local, &base, &s));
  EXPECT_FALSE(find_object(nullptr, &base, &s));
  EXPECT_EQ(usable_size(&local), 0u);
  // A page freed back to the heap no longer resolves.
  void* p = alloc(64, false);
  EXPECT_TRUE(find_object(p, &base, &s));
  release_all();
  EXPECT_FALSE(find_object(p, &base, &s));
  EXPECT_TRUE(in_arena(p));
}

TEST_F(Malloc, AccountingAfterRelease) {
  const Stats before = read_stats();
  for (int i = 0; i < 1000; ++i) alloc(100, true);
  for (int i = 0; i < 10; ++i) alloc(64 << 10, false);
  Stats mid = read_stats();
  EXPECT_EQ(mid.mallocs - before.mallocs, 1000u);
  EXPECT_EQ(mid.large_allocs - before.large_allocs, 10u);
  EXPECT_GE(mid.heap_live, 1000 * 112 + 10 * (64 << 10));
  EXPECT_GT(mid.heap_in_use, 0u);
  EXPECT_EQ(mid.heap_sys, mid.heap_in_use + mid.heap_idle);
  EXPECT_GE(mid.mcache_refills, 1u);
  release_all();
  const Stats after = read_stats();
  EXPECT_EQ(after.freed_objects - before.freed_objects, 1010u);
  EXPECT_EQ(after.heap_span_allocs - before.heap_span_allocs,
            after.heap_span_frees - before.heap_span_frees);
}

TEST_F(Malloc, ConcurrentThreadsNeverShareABlock) {
  constexpr int kThreads = 4, kPer = 20000 / kScale;
  std::vector<std::vector<std::pair<std::uintptr_t, std::size_t>>> got(kThreads);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([t, &got] {
      std::mt19937 rng(t);
      for (int i = 0; i < kPer; ++i) {
        const std::size_t size = rng() % 16 == 0 ? 40000 : 1 + rng() % 600;
        auto* p = static_cast<unsigned char*>(alloc(size, rng() % 2));
        std::memset(p, t + 1, size);
        got[t].emplace_back(reinterpret_cast<std::uintptr_t>(p), size);
      }
      for (auto [a, n] : got[t]) {
        const auto* b = reinterpret_cast<const unsigned char*>(a);
        for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(b[i], t + 1) << "overwritten by another thread";
      }
    });
  }
  for (auto& th : ts) th.join();
  std::vector<std::pair<std::uintptr_t, std::size_t>> all;
  for (auto& v : got) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  for (std::size_t i = 1; i < all.size(); ++i) ASSERT_GE(all[i].first, all[i - 1].first + all[i - 1].second);
}

// The model: objects the "GC" marks survive a sweep with their contents;
// the rest are reused; no live block is handed out twice; every accounting
// equation holds after each cycle.
TEST_F(Malloc, RandomAllocateMarkSweepModel) {
  std::mt19937 rng(1234);
  struct Obj { unsigned char* p; std::size_t size; unsigned char tag; };
  std::vector<Obj> live;
  for (int cycle = 0; cycle < 30 / kScale; ++cycle) {
    const int n = 500 + static_cast<int>(rng() % 3000);
    for (int i = 0; i < n; ++i) {
      std::size_t size;
      switch (rng() % 10) {
        case 0: size = 1 + rng() % 15; break;
        case 1: size = kMaxSmallSize + rng() % (200 << 10); break;
        default: size = 1 + rng() % 2048; break;
      }
      const bool scan = size >= 16 ? (rng() & 1) : true;  // keep tiny out: it shares blocks
      auto* p = static_cast<unsigned char*>(alloc(size, scan));
      ASSERT_TRUE(all_zero(p, size));
      const auto tag = static_cast<unsigned char>(1 + rng() % 250);
      std::memset(p, tag, size);
      live.push_back({p, size, tag});
    }
    // Survivors: a random third, marked as the GC would.
    flush_all_mcaches();
    std::vector<Obj> keep;
    for (const Obj& o : live) {
      if (rng() % 3 != 0) continue;
      std::uintptr_t base;
      Span* s;
      ASSERT_TRUE(find_object(o.p, &base, &s));
      ASSERT_EQ(base, reinterpret_cast<std::uintptr_t>(o.p));
      s->set_marked(s->object_index(base));
      keep.push_back(o);
    }
    start_sweep_cycle();
    sweep_all();
    live = keep;
    for (const Obj& o : live) {
      for (std::size_t i = 0; i < o.size; ++i) ASSERT_EQ(o.p[i], o.tag) << "survivor damaged";
      std::uintptr_t base;
      Span* s;
      ASSERT_TRUE(find_object(o.p, &base, &s));
      ASSERT_FALSE(s->is_free(s->object_index(base)));
      const char* why = "";
      ASSERT_TRUE(s->check(&why)) << why;
    }
    std::vector<std::pair<std::uintptr_t, std::size_t>> ranges;
    std::int64_t live_bytes = 0;
    for (const Obj& o : live) {
      ranges.emplace_back(reinterpret_cast<std::uintptr_t>(o.p), o.size);
      live_bytes += static_cast<std::int64_t>(usable_size(o.p));
    }
    std::sort(ranges.begin(), ranges.end());
    for (std::size_t i = 1; i < ranges.size(); ++i) ASSERT_GE(ranges[i].first, ranges[i - 1].first + ranges[i - 1].second);
    const Stats st = read_stats();
    EXPECT_EQ(st.heap_live, live_bytes) << "heap_live == bytes of marked objects after a full sweep";
    EXPECT_EQ(st.heap_sys, st.heap_in_use + st.heap_idle);
    const char* why = "";
    ASSERT_TRUE(g_heap.check(&why)) << why;
  }
}

}  // namespace
}  // namespace gort::mem
