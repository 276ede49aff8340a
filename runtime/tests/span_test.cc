// span_test.cc — a span's free-slot search and sweep, on memory the test
// owns (no heap involved).
#include "mem/span.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <set>

namespace gort::mem {
namespace {

std::uintptr_t take(Span& s) {
  std::uintptr_t v = s.next_free_fast();
  if (v != 0) return v;
  const std::uint32_t idx = s.next_free_index();
  if (idx == s.nelems) return 0;
  ++s.alloc_count;
  return s.object_base(idx);
}

TEST(Span, HandsOutEverySlotOnceInOrder) {
  for (int c : {1, 2, 5, 26, 40, 67}) {  // 8, 16, 48, 512, 2688, 32768 B
    Span s;
    s.init_small(0x100000, make_span_class(c, true));
    std::set<std::uintptr_t> seen;
    for (std::uint32_t i = 0; i < s.nelems; ++i) {
      const std::uintptr_t v = take(s);
      ASSERT_EQ(v, s.base + i * s.elemsize) << "class " << c;
      ASSERT_TRUE(seen.insert(v).second);
      const char* why = "";
      ASSERT_TRUE(s.check(&why)) << why;
    }
    EXPECT_EQ(take(s), 0u);
    EXPECT_EQ(s.alloc_count, s.nelems);
  }
}

TEST(Span, SweepFreesUnmarkedAndReusesOnlyThem) {
  Span s;
  s.init_small(0x200000, make_span_class(1, true));  // 1024 x 8 B
  for (std::uint32_t i = 0; i < s.nelems; ++i) ASSERT_NE(take(s), 0u);
  std::mt19937 rng(7);
  std::set<std::size_t> live;
  for (std::size_t i = 0; i < s.nelems; ++i) {
    if (rng() % 3 == 0) {
      ASSERT_TRUE(s.set_marked(i));
      ASSERT_FALSE(s.set_marked(i));  // already set
      live.insert(i);
    }
  }
  const std::size_t freed = s.sweep_bits();
  EXPECT_EQ(freed, s.nelems - live.size());
  EXPECT_EQ(s.alloc_count, live.size());
  EXPECT_TRUE(s.needzero);
  const char* why = "";
  ASSERT_TRUE(s.check(&why)) << why;
  for (std::size_t i = 0; i < s.nelems; ++i) {
    EXPECT_EQ(s.is_free(i), live.count(i) == 0);
    EXPECT_FALSE(s.is_marked(i));  // marks cleared for the next cycle
  }
  // Reallocation returns exactly the freed slots, lowest first.
  std::size_t expect = 0;
  for (std::size_t n = 0; n < freed; ++n) {
    while (live.count(expect)) ++expect;
    ASSERT_EQ(take(s), s.object_base(expect));
    ++expect;
    ASSERT_TRUE(s.check(&why)) << why;
  }
  EXPECT_EQ(take(s), 0u);
}

TEST(Span, ObjectIndexOfInteriorPointers) {
  for (int c = 1; c < kNumSizeClasses; ++c) {
    Span s;
    s.init_small(std::uintptr_t{1} << 30, make_span_class(c, false));
    for (std::size_t i = 0; i < s.nelems; i += 1 + s.nelems / 7) {
      const std::uintptr_t b = s.object_base(i);
      EXPECT_EQ(s.object_index(b), i);
      EXPECT_EQ(s.object_index(b + s.elemsize / 2), i);
      EXPECT_EQ(s.object_index(b + s.elemsize - 1), i);
    }
  }
}

TEST(Span, LargeSpanIsOneObject) {
  Span s;
  s.init_large(0x400000, 5, make_span_class(0, false));
  EXPECT_EQ(s.nelems, 1u);
  EXPECT_EQ(s.elemsize, 5 * kPageSize);
  EXPECT_EQ(s.object_index(s.base + 3 * kPageSize + 17), 0u);
}

}  // namespace
}  // namespace gort::mem
