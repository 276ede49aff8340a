// stats.cc — medians, order-statistic intervals, Mann–Whitney U; see stats.h.
#include "gortbench/stats.h"

#include <algorithm>
#include <cmath>

namespace gortbench::stats {

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  size_t n = xs.size();
  return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

namespace {

// binom_half_cdf_terms returns P(B = i) for B ~ Binomial(n, 1/2), i = 0..n.
std::vector<double> binom_half_pmf(int n) {
  std::vector<double> p(static_cast<size_t>(n) + 1);
  double logh = std::log(0.5) * n;
  for (int i = 0; i <= n; i++)
    p[static_cast<size_t>(i)] =
        std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) + logh);
  return p;
}

}  // namespace

MedianCI median_ci(std::vector<double> xs, double level) {
  MedianCI r;
  std::sort(xs.begin(), xs.end());
  r.median = median(xs);
  r.lo = r.hi = r.median;
  int n = static_cast<int>(xs.size());
  if (n < 2) return r;
  std::vector<double> pmf = binom_half_pmf(n);
  // Coverage of [x_(l), x_(n+1-l)] (1-based) is P(l <= B <= n-l).
  for (int l = n / 2; l >= 1; l--) {
    double cov = 0;
    for (int i = l; i <= n - l; i++) cov += pmf[static_cast<size_t>(i)];
    if (cov >= level - 1e-12) {
      r.lo = xs[static_cast<size_t>(l - 1)];
      r.hi = xs[static_cast<size_t>(n - l)];
      r.coverage = cov;
      r.has_ci = true;
      return r;
    }
  }
  return r;
}

namespace {

// exact_sf returns P(U >= u) under H0 for sample sizes n1, n2 (no ties), by
// counting the arrangements with each U: c(n1, n2, k) = c(n1-1, n2, k-n2) +
// c(n1, n2-1, k).
double exact_sf(int n1, int n2, double u) {
  int max = n1 * n2;
  // table[j][k]: count for (i, j) built row by row over i.
  std::vector<std::vector<double>> prev(static_cast<size_t>(n2) + 1,
                                        std::vector<double>(static_cast<size_t>(max) + 1, 0));
  for (int j = 0; j <= n2; j++) prev[static_cast<size_t>(j)][0] = 1;  // i = 0
  for (int i = 1; i <= n1; i++) {
    std::vector<std::vector<double>> cur(static_cast<size_t>(n2) + 1,
                                         std::vector<double>(static_cast<size_t>(max) + 1, 0));
    cur[0][0] = 1;  // j = 0
    for (int j = 1; j <= n2; j++)
      for (int k = 0; k <= max; k++) {
        double v = cur[static_cast<size_t>(j - 1)][static_cast<size_t>(k)];
        if (k - j >= 0) v += prev[static_cast<size_t>(j)][static_cast<size_t>(k - j)];
        cur[static_cast<size_t>(j)][static_cast<size_t>(k)] = v;
      }
    prev.swap(cur);
  }
  const auto& counts = prev[static_cast<size_t>(n2)];
  double total = 0, tail = 0;
  for (int k = 0; k <= max; k++) {
    total += counts[static_cast<size_t>(k)];
    if (k >= u - 1e-9) tail += counts[static_cast<size_t>(k)];
  }
  return tail / total;
}

}  // namespace

MannWhitney mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b) {
  MannWhitney r;
  size_t n1 = a.size(), n2 = b.size();
  // Ranks over the pooled sample, ties get the average rank.
  std::vector<std::pair<double, int>> all;
  for (double x : a) all.push_back({x, 0});
  for (double x : b) all.push_back({x, 1});
  std::sort(all.begin(), all.end(), [](auto& x, auto& y) { return x.first < y.first; });
  size_t n = all.size();
  double rank_sum_a = 0, tie_term = 0;
  bool ties = false;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && all[j + 1].first == all[i].first) j++;
    double avg = (static_cast<double>(i) + static_cast<double>(j)) / 2 + 1;
    double t = static_cast<double>(j - i + 1);
    if (t > 1) {
      ties = true;
      tie_term += t * t * t - t;
    }
    for (size_t k = i; k <= j; k++)
      if (all[k].second == 0) rank_sum_a += avg;
    i = j + 1;
  }
  double dn1 = static_cast<double>(n1), dn2 = static_cast<double>(n2);
  double u1 = rank_sum_a - dn1 * (dn1 + 1) / 2;
  double u2 = dn1 * dn2 - u1;
  r.u = u1;
  double big = std::max(u1, u2);
  if (!ties && std::min(n1, n2) <= 8 && std::max(n1, n2) <= 64) {
    r.exact = true;
    r.p = std::min(1.0, 2 * exact_sf(static_cast<int>(n1), static_cast<int>(n2), big));
    return r;
  }
  double dn = dn1 + dn2;
  double mu = dn1 * dn2 / 2;
  double var = dn1 * dn2 / 12 * ((dn + 1) - tie_term / (dn * (dn - 1)));
  if (var <= 0) {
    r.p = 1;
    return r;
  }
  double z = (big - mu - 0.5) / std::sqrt(var);
  r.p = std::min(1.0, std::erfc(z / std::sqrt(2.0)));  // 2 * normal sf(z)
  return r;
}

std::optional<double> geomean(const std::vector<double>& xs) {
  if (xs.empty()) return std::nullopt;
  double s = 0;
  for (double x : xs) {
    if (!(x > 0)) return std::nullopt;
    s += std::log(x);
  }
  return std::exp(s / static_cast<double>(xs.size()));
}

}  // namespace gortbench::stats
