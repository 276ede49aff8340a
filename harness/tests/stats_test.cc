// stats_test.cc — compare's statistics against values computed once with
// SciPy 1.10.1 (Debian 12's python3-scipy):
//   stats.mannwhitneyu(a, b, alternative='two-sided')   (method 'auto')
//   order-statistic median CI: largest l with
//   binom.cdf(n-l, n, .5) - binom.cdf(l-1, n, .5) >= 0.95
// The generator script is in the comment at the end of this file.
#include "gortbench/stats.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gs = gortbench::stats;

namespace {

struct UCase {
  std::string name;
  std::vector<double> a, b;
  double u, p;
};

const UCase kCases[] = {
    {"separated5", {1.0, 2.0, 3.0, 4.0, 5.0}, {6.0, 7.0, 8.0, 9.0, 10.0}, 0.0, 0.007936507936507936},
    {"close6", {10.1, 10.3, 9.8, 10.0, 10.2, 10.4}, {10.9, 11.2, 10.7, 11.0, 10.8, 11.1}, 0.0,
     0.0021645021645021645},
    {"interleaved4", {1.0, 3.0, 5.0, 7.0}, {2.0, 4.0, 6.0, 8.0}, 6.0, 0.6857142857142857},
    {"ties7", {1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0}, {2.0, 3.0, 3.0, 4.0, 4.0, 5.0, 5.0}, 11.0,
     0.0860363143950735},
    {"large12",
     {101.0, 99.0, 103.0, 98.0, 100.0, 102.0, 97.0, 104.0, 100.5, 99.5, 101.5, 98.5},
     {103.0, 105.0, 102.0, 106.0, 104.0, 107.0, 101.0, 108.0, 104.5, 103.5, 105.5, 102.5}, 12.0,
     0.0005855405920991035},
    {"unequal3v9", {5.0, 5.5, 6.0}, {4.0, 4.2, 4.4, 4.6, 4.8, 5.2, 5.4, 5.6, 5.8}, 21.0,
     0.20909090909090908},
};

TEST(StatsTest, MannWhitneyMatchesScipy) {
  for (const auto& c : kCases) {
    gs::MannWhitney r = gs::mann_whitney_u(c.a, c.b);
    EXPECT_DOUBLE_EQ(r.u, c.u) << c.name;
    EXPECT_NEAR(r.p, c.p, 1e-9 * std::max(1.0, c.p)) << c.name;
  }
}

TEST(StatsTest, MannWhitneyMethodChoice) {
  EXPECT_TRUE(gs::mann_whitney_u(kCases[0].a, kCases[0].b).exact);
  EXPECT_FALSE(gs::mann_whitney_u(kCases[3].a, kCases[3].b).exact);  // ties
  EXPECT_FALSE(gs::mann_whitney_u(kCases[4].a, kCases[4].b).exact);  // both n > 8
  EXPECT_TRUE(gs::mann_whitney_u(kCases[5].a, kCases[5].b).exact);   // 3 vs 9
}

TEST(StatsTest, MannWhitneySymmetricAndIdentical) {
  gs::MannWhitney ab = gs::mann_whitney_u(kCases[4].a, kCases[4].b);
  gs::MannWhitney ba = gs::mann_whitney_u(kCases[4].b, kCases[4].a);
  EXPECT_NEAR(ab.p, ba.p, 1e-15);
  EXPECT_DOUBLE_EQ(ab.u + ba.u, 144.0);
  // All values tied: no evidence of a difference.
  EXPECT_DOUBLE_EQ(gs::mann_whitney_u({5, 5, 5}, {5, 5, 5}).p, 1.0);
}

TEST(StatsTest, MedianCIMatchesBinomialRanks) {
  // n -> (l, u) 1-based ranks and coverage, from SciPy's binom.
  struct R { int n, l, u; double cov; };
  const R rs[] = {{6, 1, 6, 0.96875}, {7, 1, 7, 0.984375}, {10, 2, 9, 0.978515625},
                  {20, 6, 15, 0.9586105346679688}, {30, 10, 21, 0.9572260547429323}};
  for (const auto& r : rs) {
    std::vector<double> xs;
    for (int i = r.n; i >= 1; i--) xs.push_back(i * 10.0);  // x_(k) = 10k
    gs::MedianCI ci = gs::median_ci(xs);
    EXPECT_TRUE(ci.has_ci) << r.n;
    EXPECT_DOUBLE_EQ(ci.lo, r.l * 10.0) << r.n;
    EXPECT_DOUBLE_EQ(ci.hi, r.u * 10.0) << r.n;
    EXPECT_NEAR(ci.coverage, r.cov, 1e-12) << r.n;
  }
}

TEST(StatsTest, NoIntervalUnderSixSamples) {
  gs::MedianCI ci = gs::median_ci({3, 1, 2, 5, 4});
  EXPECT_FALSE(ci.has_ci);
  EXPECT_DOUBLE_EQ(ci.median, 3);
  EXPECT_DOUBLE_EQ(ci.lo, 3);
}

TEST(StatsTest, MedianAndGeomean) {
  EXPECT_DOUBLE_EQ(gs::median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(gs::median({7}), 7);
  EXPECT_NEAR(*gs::geomean({2, 8}), 4.0, 1e-12);
  EXPECT_FALSE(gs::geomean({}).has_value());
  EXPECT_FALSE(gs::geomean({1, 0}).has_value());
}

}  // namespace

// Generator (run once with /usr/bin/python3, SciPy 1.10.1):
//   from scipy import stats
//   for a, b in cases: r = stats.mannwhitneyu(a, b, alternative='two-sided')
//   for n in [6, 7, 10, 20, 30]:
//     for l in range(n // 2, 0, -1):
//       cov = stats.binom.cdf(n - l, n, .5) - stats.binom.cdf(l - 1, n, .5)
//       if cov >= .95: print(n, l, n + 1 - l, cov); break
