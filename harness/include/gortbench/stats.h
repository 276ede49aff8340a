// gortbench/stats.h — the statistics `gort-bench compare` prints, in the
// manner of benchstat: medians with a distribution-free 95% confidence
// interval, a two-sided Mann–Whitney U test, and the geometric mean of
// ratios. Pure functions of their inputs; checked against SciPy in
// harness/tests/stats_test.cc.
#pragma once

#include <optional>
#include <vector>

namespace gortbench::stats {

// median of xs (mean of the two middle values for even n). REQUIRES: !xs.empty().
double median(std::vector<double> xs);

// MedianCI is the median and a confidence interval of it from order
// statistics: [x_(l), x_(n+1-l)] for the largest l whose binomial(n, 1/2)
// coverage is at least `level`. `has_ci` is false when no such l exists (for
// 95%: n < 6), then lo == hi == median.
struct MedianCI {
  double median = 0, lo = 0, hi = 0;
  double coverage = 0;  // the exact coverage of [lo, hi]
  bool has_ci = false;
};
MedianCI median_ci(std::vector<double> xs, double level = 0.95);

// MannWhitney is the two-sided U test result. u is U of the first sample
// (count of pairs a > b, ties counted 1/2); exact is true when the exact
// null distribution was used (no ties and the smaller sample <= 8, as
// SciPy 1.10's "auto"; here also the larger <= 64 to bound the table),
// otherwise the normal approximation with tie and continuity correction.
struct MannWhitney {
  double u = 0;
  double p = 1;
  bool exact = false;
};
// mann_whitney_u. REQUIRES: both samples non-empty.
MannWhitney mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b);

// geomean of positive values; nullopt when empty or any value <= 0.
std::optional<double> geomean(const std::vector<double>& xs);

// Warnings the comparison prints for small samples.
inline constexpr int kMinSamplesForCI = 6;      // fewer: no 95% interval
inline constexpr int kMinSamplesForChange = 4;  // fewer: no change detectable at 0.05

}  // namespace gortbench::stats
