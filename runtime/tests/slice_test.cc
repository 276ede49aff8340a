// slice_test.cc — gort::slice: Go's growth sequence, aliasing, bounds
// panics, zero values, copy.
#include "gort/slice.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace {

using gort::slice;

// Capacity sequences printed by Go 1.23 (go run, appending one zero value at
// a time to a nil slice, 20000 times; see benches/go/lang/lang_test.go
// TestGrowthSequence, which prints the same lists).
const std::vector<std::size_t> kGo1 = {8, 16, 32, 64, 128, 256, 512, 896, 1408, 2048, 3072, 4096,
                                       5376, 6912, 9472, 12288, 16384, 21760};
const std::vector<std::size_t> kGo8 = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 848, 1280, 1792,
                                       2560, 3408, 5120, 7168, 9216, 12288, 16384, 21504};
const std::vector<std::size_t> kGo24 = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 853, 1365, 2048,
                                        3072, 4096, 5461, 7168, 9216, 11946, 15360, 19456, 24576};
const std::vector<std::size_t> kGo1000 = {1, 2, 4, 8, 16, 32, 65, 131, 262, 524, 851, 1261,
                                          1769, 2408, 3203, 4202, 5447, 7004, 8953, 11386, 14426,
                                          18227, 22978};
// [3]*int: a pointer-holding element (Go 1.22+ malloc header above 512 B).
const std::vector<std::size_t> kGoPtr24 = {1, 2, 4, 8, 16, 37, 74, 170, 341, 682, 1135, 1706,
                                           2389, 3413, 4778, 6485, 8533, 10922, 13994, 17749, 22528};

template <class T>
std::vector<std::size_t> growth_sequence() {
  slice<T> s;
  std::vector<std::size_t> caps;
  std::size_t last = ~std::size_t{0};
  for (int i = 0; i < 20000; i++) {
    s.append(T{});
    if (s.cap() != last) {
      caps.push_back(s.cap());
      last = s.cap();
    }
  }
  return caps;
}

struct Bytes24 { std::array<std::int64_t, 3> a; };
struct Bytes1000 { std::array<unsigned char, 1000> a; };
struct Ptrs24 {
  std::array<int*, 3> a;
  static constexpr bool gort_noscan = false;
};

TEST(Slice, GrowthMatchesGo) {
  EXPECT_EQ(growth_sequence<std::uint8_t>(), kGo1);
  EXPECT_EQ(growth_sequence<std::int64_t>(), kGo8);
  EXPECT_EQ(growth_sequence<Bytes24>(), kGo24);
  EXPECT_EQ(growth_sequence<Bytes1000>(), kGo1000);
  EXPECT_EQ(growth_sequence<Ptrs24>(), kGoPtr24);
}

TEST(Slice, NextSliceCapRule) {
  EXPECT_EQ(gort::lang::nextslicecap(1, 0), 1);
  EXPECT_EQ(gort::lang::nextslicecap(11, 5), 11);    // need beats doubling
  EXPECT_EQ(gort::lang::nextslicecap(200, 128), 256);  // double below 256
  EXPECT_EQ(gort::lang::nextslicecap(257, 256), 256 + (256 + 768) / 4);
  EXPECT_EQ(gort::lang::nextslicecap(4097, 4096), 4096 + (4096 + 768) / 4);
}

TEST(Slice, AliasingAfterReslice) {
  auto s = gort::make_slice<int>(3, 10);
  s[0] = 1, s[1] = 2, s[2] = 3;
  auto t = s.sub(0, 1);
  t.append(99);  // room in the shared array: overwrites s[1]
  EXPECT_EQ(s[1], 99);
  EXPECT_EQ(t.cap(), 10u);
  // With a full slice expression the capacity is capped, so append copies.
  auto u = s.sub(0, 1, 1);
  u.append(7);
  EXPECT_EQ(s[1], 99);
  EXPECT_EQ(u[1], 7);
  u[0] = 42;
  EXPECT_EQ(s[0], 1);  // u has its own array now
}

TEST(Slice, AppendBeyondCapDetaches) {
  auto a = gort::make_slice<int>(2, 2);
  auto b = gort::append(a, 5);
  b[0] = 9;
  EXPECT_EQ(a[0], 0);
  EXPECT_EQ(b.len(), 3u);
  EXPECT_EQ(b.cap(), 4u);
}

TEST(Slice, ReslicingUpToCapacity) {
  auto s = gort::make_slice<int>(2, 8);
  auto t = s.sub(1, 6);
  EXPECT_EQ(t.len(), 5u);
  EXPECT_EQ(t.cap(), 7u);
  EXPECT_EQ(t[4], 0);  // zero values beyond the old length
}

TEST(Slice, IndexOutOfRangePanics) {
  slice<int> s = {1, 2, 3};
  try {
    (void)s[5];
    FAIL();
  } catch (const gort::panic_error& p) {
    EXPECT_STREQ(p.what(), "runtime error: index out of range [5] with length 3");
    EXPECT_TRUE(p.is_runtime_error());
  }
}

TEST(Slice, BoundsPanicsHaveGoMessages) {
  auto s = gort::make_slice<int>(3, 5);
  auto msg = [&](auto f) -> std::string {
    try {
      f();
    } catch (const gort::panic_error& p) {
      return p.what();
    }
    return "no panic";
  };
  EXPECT_EQ(msg([&] { s.sub(0, 6); }), "runtime error: slice bounds out of range [:6] with capacity 5");
  EXPECT_EQ(msg([&] { s.sub(3, 2); }), "runtime error: slice bounds out of range [3:2]");
  EXPECT_EQ(msg([&] { s.sub(0, 1, 6); }), "runtime error: slice bounds out of range [::6] with capacity 5");
  EXPECT_EQ(msg([&] { s.sub(0, 4, 3); }), "runtime error: slice bounds out of range [:4:3]");
  EXPECT_EQ(msg([&] { s.sub(2, 1, 3); }), "runtime error: slice bounds out of range [2:1:]");
  EXPECT_EQ(msg([&] { gort::make_slice<int>(-1); }), "runtime error: makeslice: len out of range");
  EXPECT_EQ(msg([&] { gort::make_slice<int>(4, 2); }), "runtime error: makeslice: cap out of range");
}

TEST(Slice, ZeroValuesAndNil) {
  slice<std::string> nil;
  EXPECT_TRUE(nil.is_nil());
  EXPECT_EQ(gort::len(nil), 0u);
  auto e = gort::make_slice<int>(0);
  EXPECT_FALSE(e.is_nil());
  auto z = gort::make_slice<std::string>(4, 9);
  for (std::size_t i = 0; i < z.cap(); i++) EXPECT_EQ(z.sub(0, z.cap())[i], "");
  auto n = gort::make_slice<double>(1000);
  for (double d : n) ASSERT_EQ(d, 0.0);
}

TEST(Slice, Grow) {
  slice<std::int64_t> s;
  s.grow(1000);
  EXPECT_EQ(s.len(), 0u);
  EXPECT_GE(s.cap(), 1000u);
  auto before = gort::lang::read_slice_counters().reallocs;
  for (int i = 0; i < 1000; i++) s.append(i);
  EXPECT_EQ(gort::lang::read_slice_counters().reallocs, before);
  s.grow(0);
  EXPECT_EQ(gort::lang::read_slice_counters().reallocs, before);
}

TEST(Slice, CopyOverlapping) {
  slice<int> s = {1, 2, 3, 4, 5};
  EXPECT_EQ(gort::copy(s.sub(1), s), 4u);
  EXPECT_EQ((std::vector<int>(s.begin(), s.end())), (std::vector<int>{1, 1, 2, 3, 4}));
  slice<std::string> a = {"a", "b", "c"};
  EXPECT_EQ(gort::copy(a, a.sub(1)), 2u);
  EXPECT_EQ(a[0], "b");
  EXPECT_EQ(a[1], "c");
}

TEST(Slice, AppendSliceToItself) {
  slice<std::string> s = {"x", "y"};
  s.append_slice(s);
  ASSERT_EQ(s.len(), 4u);
  EXPECT_EQ(s[3], "y");
}

TEST(Slice, NonTrivialElementsSurviveGrowth) {
  slice<std::string> s;
  for (int i = 0; i < 3000; i++) s.append(std::to_string(i));
  auto alias = s.sub(0, 10);
  for (int i = 0; i < 3000; i++) s.append("more");
  for (int i = 0; i < 10; i++) EXPECT_EQ(alias[i], std::to_string(i));
  EXPECT_EQ(s[2999], "2999");
}

}  // namespace
