// sizeclasses_test.cc — properties of the generated size-class table.
#include "mem/sizeclasses.h"

#include <gtest/gtest.h>

namespace gort::mem {
namespace {

TEST(SizeClasses, MatchesGoTableLandmarks) {
  // A few entries of Go's sizeclasses.go, which the same method produces.
  EXPECT_EQ(class_info(1).size, 8u);
  EXPECT_EQ(class_info(2).size, 16u);
  EXPECT_EQ(class_info(3).size, 24u);
  EXPECT_EQ(class_info(5).size, 48u);
  EXPECT_EQ(class_info(32).size, 1024u);
  EXPECT_EQ(class_info(52).size, 9472u);
  EXPECT_EQ(class_info(52).npages, 7u);
  EXPECT_EQ(class_info(kNumSizeClasses - 1).size, kMaxSmallSize);
  EXPECT_EQ(class_info(kNumSizeClasses - 1).npages, 4u);
}

TEST(SizeClasses, SizesIncreaseAndAreAligned) {
  for (int c = 1; c < kNumSizeClasses; ++c) {
    const SizeClassInfo& ci = class_info(c);
    if (c > 1) EXPECT_GT(ci.size, class_info(c - 1).size) << c;
    EXPECT_EQ(ci.size % 8, 0u) << c;
    if (ci.size >= 32) EXPECT_EQ(ci.size % 16, 0u) << c;
    if (ci.size > 1024) EXPECT_EQ(ci.size % kLargeSizeDiv, 0u) << c;
    // Powers of two are naturally aligned inside page-aligned spans.
    if ((ci.size & (ci.size - 1)) == 0) EXPECT_EQ((ci.npages * kPageSize) % ci.size, 0u) << c;
  }
}

TEST(SizeClasses, TailWasteAtMostOneEighth) {
  for (int c = 1; c < kNumSizeClasses; ++c) {
    const SizeClassInfo& ci = class_info(c);
    const std::size_t span = ci.npages * kPageSize;
    EXPECT_EQ(ci.nelems, span / ci.size) << c;
    EXPECT_LE(span - std::size_t{ci.nelems} * ci.size, span / 8) << "class " << c;
    EXPECT_GE(ci.nelems, 1u);
    EXPECT_LE(ci.nelems, kPageSize / 8);
  }
}

TEST(SizeClasses, LookupIsSmallestFit) {
  for (std::size_t s = 1; s <= kMaxSmallSize; ++s) {
    const int c = size_to_class(s);
    ASSERT_GE(class_info(c).size, s) << s;
    if (c > 1) ASSERT_LT(class_info(c - 1).size, s) << s;
  }
}

TEST(SizeClasses, DivMagicIsExactForEveryOffset) {
  for (int c = 1; c < kNumSizeClasses; ++c) {
    const SizeClassInfo& ci = class_info(c);
    const std::size_t span = ci.npages * kPageSize;
    for (std::size_t off = 0; off < span; ++off) {
      ASSERT_EQ((off * std::uint64_t{ci.div_mul}) >> 32, off / ci.size) << "class " << c << " off " << off;
    }
  }
}

TEST(SizeClasses, SpanClassPacking) {
  for (int c = 0; c < kNumSizeClasses; ++c) {
    for (bool noscan : {false, true}) {
      const SpanClass spc = make_span_class(c, noscan);
      EXPECT_EQ(span_class_size(spc), c);
      EXPECT_EQ(span_class_noscan(spc), noscan);
      EXPECT_LT(int{spc}, kNumSpanClasses);
    }
  }
  EXPECT_EQ(round_up_size(1), 8u);
  EXPECT_EQ(round_up_size(17), 24u);
  EXPECT_EQ(round_up_size(33 << 10), 40u << 10);
}

}  // namespace
}  // namespace gort::mem
