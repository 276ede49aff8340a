// mcentral_test.cc — span movement between mcache, mcentral lists and mheap
// across sweep cycles.
#include "mem/mcentral.h"

#include <gtest/gtest.h>

#include "gort/mem.h"
#include "mem/mcache.h"
#include "mem/mheap.h"
#include "mem/sweep.h"

namespace gort::mem {
namespace {

constexpr SpanClass kSpc = make_span_class(6, /*noscan=*/true);  // 64 B

TEST(MCentral, CacheUncacheSweepCycle) {
  MCentral& mc = g_heap.central(kSpc);
  const std::uint32_t sg0 = g_heap.sweepgen.load();
  Span* a = mc.cache_span(kSpc);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->sweepgen.load(), sg0 + 3);  // cached
  EXPECT_EQ(a->alloc_count, 0u);
  // Fill it completely, then give it back: it lands on the full swept list.
  for (std::uint32_t i = 0; i < a->nelems; ++i) {
    std::uintptr_t v = a->next_free_fast();
    if (v == 0) {
      ASSERT_NE(a->next_free_index(), a->nelems);
      ++a->alloc_count;
    }
  }
  EXPECT_EQ(a->count_free(), 0u);
  mc.uncache_span(a);
  std::size_t ps, fs, us;
  mc.count_lists(g_heap.sweepgen.load(), &ps, &fs, &us);
  EXPECT_EQ(fs, 1u);
  EXPECT_EQ(ps + us, 0u);

  // A new cycle makes it unswept; marking half keeps it as a partial span.
  start_sweep_cycle();
  mc.count_lists(g_heap.sweepgen.load(), &ps, &fs, &us);
  EXPECT_EQ(us, 1u);
  for (std::uint32_t i = 0; i < a->nelems; i += 2) a->set_marked(i);
  EXPECT_EQ(sweep_all(), 1u);
  mc.count_lists(g_heap.sweepgen.load(), &ps, &fs, &us);
  EXPECT_EQ(ps, 1u);
  EXPECT_EQ(a->alloc_count, (a->nelems + 1) / 2);
  EXPECT_EQ(a->sweepgen.load(), g_heap.sweepgen.load());

  // Refill takes that partial span back rather than growing.
  const std::uint64_t grows = read_stats().central_grows;
  Span* b = mc.cache_span(kSpc);
  EXPECT_EQ(b, a);
  EXPECT_EQ(read_stats().central_grows, grows);

  // Cached across a cycle start (sweepgen h+1): uncache sweeps it; with no
  // marks it is empty and goes back to the heap.
  start_sweep_cycle();
  EXPECT_EQ(b->sweepgen.load(), g_heap.sweepgen.load() + 1);
  const std::uint64_t frees = read_stats().heap_span_frees;
  mc.uncache_span(b);
  EXPECT_EQ(read_stats().heap_span_frees, frees + 1);
  EXPECT_EQ(b->state.load(), SpanState::kDead);
  mc.count_lists(g_heap.sweepgen.load(), &ps, &fs, &us);
  EXPECT_EQ(ps + fs + us, 0u);
}

}  // namespace
}  // namespace gort::mem
