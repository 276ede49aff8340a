// hash_test.cc — memhash: both implementations, every length, seed
// sensitivity, spread.
#include "gort/hash.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace gort::lang {
void set_hash_fallback_for_testing(bool fallback);
}

namespace {

class Hash : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { gort::lang::set_hash_fallback_for_testing(GetParam()); }
  void TearDown() override { gort::lang::set_hash_fallback_for_testing(false); }
};

TEST_P(Hash, DeterministicAndLengthSensitive) {
  std::vector<unsigned char> buf(300);
  for (std::size_t i = 0; i < buf.size(); i++) buf[i] = static_cast<unsigned char>(i * 7 + 1);
  std::set<std::uint64_t> seen;
  for (std::size_t n = 0; n <= buf.size(); n++) {
    std::uint64_t h = gort::memhash(buf.data(), n, 42);
    EXPECT_EQ(h, gort::memhash(buf.data(), n, 42));
    seen.insert(h);
  }
  EXPECT_EQ(seen.size(), buf.size() + 1) << "two prefix lengths collided";
}

TEST_P(Hash, EveryByteMatters) {
  // Flipping any bit of the input, at every length up to 130, changes the hash.
  for (std::size_t n = 1; n <= 130; n++) {
    std::vector<unsigned char> a(n, 0x5a);
    std::uint64_t base = gort::memhash(a.data(), n, 7);
    for (std::size_t i = 0; i < n; i++) {
      for (int bit = 0; bit < 8; bit += 3) {
        a[i] ^= static_cast<unsigned char>(1 << bit);
        ASSERT_NE(gort::memhash(a.data(), n, 7), base) << "n=" << n << " i=" << i;
        a[i] ^= static_cast<unsigned char>(1 << bit);
      }
    }
  }
}

TEST_P(Hash, SeedChangesEverything) {
  std::string s = "hello, world";
  EXPECT_NE(gort::memhash(s.data(), s.size(), 1), gort::memhash(s.data(), s.size(), 2));
  EXPECT_NE(gort::memhash64(5, 1), gort::memhash64(5, 2));
  EXPECT_NE(gort::memhash32(5, 1), gort::memhash32(5, 2));
}

TEST_P(Hash, LowBitsSpreadForStridedKeys) {
  // Keys that are multiples of 2^20 (all equal modulo any power of two up to
  // 2^20) must still fill 1024 low-bit buckets evenly.
  std::vector<int> counts(1024);
  for (std::uint64_t i = 0; i < 102400; i++) counts[gort::memhash64(i << 20, 99) & 1023]++;
  for (int c : counts) {
    EXPECT_GT(c, 40);
    EXPECT_LT(c, 170);
  }
}

TEST_P(Hash, TopByteSpread) {
  std::vector<int> counts(256);
  for (std::uint64_t i = 0; i < 256 * 200; i++) counts[gort::memhash64(i, 3) >> 56]++;
  for (int c : counts) {
    EXPECT_GT(c, 100);
    EXPECT_LT(c, 320);
  }
}

INSTANTIATE_TEST_SUITE_P(Impl, Hash, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "fallback" : "native"; });

TEST(HashInfo, ReportsImplementation) {
  // Informational: which implementation this machine uses.
  std::printf("memhash uses %s\n", gort::hash_uses_aes() ? "AES-NI" : "the portable fallback");
  SUCCEED();
}

TEST(FastRand, Varies) {
  std::set<std::uint64_t> s;
  for (int i = 0; i < 1000; i++) s.insert(gort::fastrand64());
  EXPECT_EQ(s.size(), 1000u);
}

}  // namespace
