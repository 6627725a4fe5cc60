#include "compare/statistics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>

namespace vm::harness::stats {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr double kSqrtHalf = 0.70710678118654752440;          // 1 / sqrt(2)
constexpr double kInverseSqrtTwoPi = 0.39894228040143267794;  // 1 / sqrt(2 pi)

bool all_finite(std::span<const double> values) noexcept {
  return std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
}

// Median of values already sorted ascending; not empty.
double sorted_median(const std::vector<double>& sorted) noexcept {
  const size_t mid = sorted.size() / 2;
  if (sorted.size() % 2 == 1) return sorted[mid];
  return std::midpoint(sorted[mid - 1], sorted[mid]);
}

// What the null distribution of U needs from the pooled sample.
struct rank_summary {
  double u = 0;         // U of x: rank sum of x - m (m + 1) / 2, with midranks for ties
  double tie_term = 0;  // sum over groups of equal values of t^3 - t
  bool ties = false;    // some value occurs more than once (in either sample)
};

rank_summary summarize_ranks(std::span<const double> x, std::span<const double> y) {
  std::vector<std::pair<double, bool>> pooled;  // value, from x
  pooled.reserve(x.size() + y.size());
  for (double v : x) pooled.emplace_back(v, true);
  for (double v : y) pooled.emplace_back(v, false);
  std::sort(pooled.begin(), pooled.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });

  rank_summary summary;
  double rank_sum_x = 0;  // sums of half-integers below 2^52: exact
  for (size_t begin = 0; begin < pooled.size();) {
    size_t end = begin + 1;
    while (end < pooled.size() && pooled[end].first == pooled[begin].first) ++end;
    const double midrank = 0.5 * static_cast<double>(begin + 1 + end);  // ranks begin+1 .. end
    size_t from_x = 0;
    for (size_t i = begin; i < end; ++i) from_x += pooled[i].second ? 1 : 0;
    rank_sum_x += midrank * static_cast<double>(from_x);
    const double t = static_cast<double>(end - begin);
    if (end - begin > 1) {
      summary.ties = true;
      summary.tie_term += t * t * t - t;
    }
    begin = end;
  }
  const double m = static_cast<double>(x.size());
  summary.u = rank_sum_x - m * (m + 1) / 2;
  return summary;
}

// The null distribution of U for samples of m and n values: exact (no ties,
// m * n <= kExactMaxPairs) or the tie-corrected normal approximation with a
// continuity correction of 0.5.
class u_null_distribution {
 public:
  u_null_distribution(size_t m, size_t n, const rank_summary& ranks)
      : pairs_(m * n), mean_(0.5 * static_cast<double>(m) * static_cast<double>(n)) {
    exact_ = !ranks.ties && pairs_ <= kExactMaxPairs;
    if (exact_) {
      build_exact_table(m, n);
    } else {
      const double big_n = static_cast<double>(m + n);
      const double variance = static_cast<double>(m) * static_cast<double>(n) / 12 *
                              ((big_n + 1) - ranks.tie_term / (big_n * (big_n - 1)));
      sigma_ = std::sqrt(std::max(0.0, variance));
    }
  }

  bool exact() const noexcept { return exact_; }

  // P(U <= j) for a whole or half-integer j.
  double cdf(double j) const noexcept {
    if (!exact_) {
      if (sigma_ == 0) return j >= mean_ ? 1 : 0;  // every value equal: U = mn / 2
      return normal_cdf((j + 0.5 - mean_) / sigma_);
    }
    const double k = std::floor(j);
    if (k < 0) return 0;
    const double pairs = static_cast<double>(pairs_);
    if (k >= pairs) return 1;
    const size_t half = pairs_ / 2;
    if (k <= static_cast<double>(half)) return lower_cdf_[static_cast<size_t>(k)];
    // U and mn - U have the same distribution: P(U <= k) = 1 - P(U <= mn - k - 1),
    // and mn - k - 1 < mn / 2 lies in the table.
    return 1 - lower_cdf_[static_cast<size_t>(pairs - k - 1)];
  }

 private:
  // The number of orderings of the pooled sample with U = k is the
  // coefficient of q^k in the Gaussian binomial [m + n choose m]_q =
  // prod_{i=1..a} (1 - q^(b + i)) / (1 - q^i) with a = min(m, n), b = max(m, n).
  // Multiplying the factors in one at a time, truncated at mn / 2 (the rest
  // follows by symmetry), costs O(a * mn / 2). In doubles the counts stay
  // below C(200, 100) ~ 9e58 at the limit; checked against exact integer
  // arithmetic for sizes up to 100 x 100, the relative error of every count
  // and of every tail sum stays below 1e-14.
  void build_exact_table(size_t m, size_t n) {
    const size_t a = std::min(m, n), b = std::max(m, n);
    const size_t half = pairs_ / 2;
    std::vector<double> count(half + 1, 0.0);
    count[0] = 1;
    for (size_t i = 1; i <= a; ++i) {
      if (half >= b + i) {
        for (size_t k = half; k >= b + i; --k) count[k] -= count[k - b - i];  // b + i >= 2
      }
      for (size_t k = i; k <= half; ++k) count[k] += count[k - i];
    }
    // Total = C(m + n, m): both halves, the middle count once when mn is even.
    double total = 2 * std::accumulate(count.begin(), count.end(), 0.0);
    if (pairs_ % 2 == 0) total -= count[half];
    lower_cdf_.resize(half + 1);
    double running = 0;
    for (size_t k = 0; k <= half; ++k) {
      running += count[k];
      lower_cdf_[k] = running / total;
    }
  }

  size_t pairs_;
  double mean_;
  bool exact_ = false;
  double sigma_ = 0;               // normal approximation only
  std::vector<double> lower_cdf_;  // exact only: P(U <= k) for k = 0 .. mn / 2
};

mann_whitney_result mann_whitney(std::span<const double> x, std::span<const double> y,
                                 bool allow_exact) {
  if (x.empty() || y.empty() || !all_finite(x) || !all_finite(y)) return {};
  rank_summary ranks = summarize_ranks(x, y);
  const double u = ranks.u;
  if (!allow_exact) ranks.ties = true;  // forces the normal approximation
  const u_null_distribution null(x.size(), y.size(), ranks);
  // Two-sided: twice the smaller tail. For the normal approximation this is
  // 2 Phi((min(U_x, U_y) + 0.5 - mn/2) / sigma) = 2 Phi(-(max(U_x, U_y) - mn/2 - 0.5) / sigma).
  const double pairs = static_cast<double>(x.size()) * static_cast<double>(y.size());
  const double p = 2 * null.cdf(std::min(u, pairs - u));
  return {u, std::clamp(p, 0.0, 1.0), null.exact()};
}

// Acklam's rational approximation of the normal quantile for p in (0, 0.5]
// (relative error below 1.15e-9).
double acklam_lower_quantile(double p) noexcept {
  constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                          1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                          6.680131188771972e+01, -1.328068155288572e+01};
  constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                          -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                          3.754408661907416e+00};
  constexpr double kTail = 0.02425;  // below: the tail approximation
  if (p < kTail) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double q = p - 0.5;
  const double r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// normal_quantile for p in (0, 0.5], where normal_cdf is relatively accurate.
double lower_quantile(double p) noexcept {
  double x = acklam_lower_quantile(p);
  // Halley's method on normal_cdf(x) - p: cubic convergence, so one step
  // reaches full precision from 1e-9; the others only confirm it.
  for (int step = 0; step < 4; ++step) {
    const double density = kInverseSqrtTwoPi * std::exp(-0.5 * x * x);
    if (!(density > 0)) break;  // p below ~1e-322: keep Acklam's value
    const double u = (normal_cdf(x) - p) / density;
    const double change = u / (1 + 0.5 * x * u);
    if (!std::isfinite(change)) break;
    x -= change;
    if (std::abs(change) <= 1e-15 * std::abs(x)) break;
  }
  return x;
}

}  // namespace

double median(std::vector<double> values) noexcept {
  if (values.empty()) return 0;
  if (std::any_of(values.begin(), values.end(), [](double v) { return std::isnan(v); })) {
    return kNaN;
  }
  const auto mid = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), mid, values.end());
  if (values.size() % 2 == 1) return *mid;
  return std::midpoint(*std::max_element(values.begin(), mid), *mid);
}

double normal_cdf(double z) noexcept {
  return 0.5 * std::erfc(-z * kSqrtHalf);
}

double normal_quantile(double p) noexcept {
  if (!(p >= 0 && p <= 1)) return kNaN;
  if (p == 0) return -kInfinity;
  if (p == 1) return kInfinity;
  // 1 - p is exact for p in (0.5, 1) (Sterbenz), and the lower tail is where
  // normal_cdf has its relative accuracy.
  if (p > 0.5) return -lower_quantile(1 - p);
  return lower_quantile(p);
}

mann_whitney_result mann_whitney_u(std::span<const double> x, std::span<const double> y) {
  return mann_whitney(x, y, /*allow_exact=*/true);
}

mann_whitney_result mann_whitney_u_asymptotic(std::span<const double> x,
                                              std::span<const double> y) {
  return mann_whitney(x, y, /*allow_exact=*/false);
}

shift_interval hodges_lehmann(std::span<const double> x, std::span<const double> y,
                              double confidence) {
  if (x.empty() || y.empty() || !all_finite(x) || !all_finite(y)) {
    return {kNaN, kNaN, kNaN, 0};
  }
  std::vector<double> differences;
  differences.reserve(x.size() * y.size());
  for (double yj : y) {
    for (double xi : x) differences.push_back(yj - xi);
  }
  std::sort(differences.begin(), differences.end());

  const u_null_distribution null(x.size(), y.size(), summarize_ranks(x, y));
  const size_t pairs = differences.size();
  const double tail = (1 - confidence) / 2;
  // The largest k in [1, (mn + 1) / 2] with P(U <= k - 1) <= tail, by
  // bisection (the condition holds for every k below it); k = 1 when none.
  const auto covers = [&](size_t k) { return null.cdf(static_cast<double>(k) - 1) <= tail; };
  size_t k = 1;
  if (covers(1)) {
    size_t good = 1, bad = (pairs + 1) / 2 + 1;  // covers(good), !covers(bad) or out of range
    while (bad - good > 1) {
      const size_t mid = good + (bad - good) / 2;
      (covers(mid) ? good : bad) = mid;
    }
    k = good;
  }
  shift_interval result;
  result.estimate = sorted_median(differences);
  result.low = differences[k - 1];
  result.high = differences[pairs - k];
  result.confidence = std::clamp(1 - 2 * null.cdf(static_cast<double>(k) - 1), 0.0, 1.0);
  return result;
}

std::vector<double> benjamini_hochberg(std::span<const double> p) {
  std::vector<double> q(p.size(), kNaN);
  std::vector<size_t> order;
  for (size_t i = 0; i < p.size(); ++i) {
    if (!std::isnan(p[i])) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  // R: pmin(1, cummin(n / i * p[o])) over the p-values in decreasing order.
  const double n = static_cast<double>(order.size());
  double running = kInfinity;
  for (size_t rank = order.size(); rank >= 1; --rank) {
    const size_t index = order[rank - 1];
    running = std::min(running, n / static_cast<double>(rank) * p[index]);
    q[index] = std::min(1.0, running);
  }
  return q;
}

std::vector<double> holm(std::span<const double> p) {
  std::vector<double> q(p.size(), kNaN);
  std::vector<size_t> order;
  for (size_t i = 0; i < p.size(); ++i) {
    if (!std::isnan(p[i])) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  // R: pmin(1, cummax((n - i + 1) * p[o])) over the p-values in increasing order.
  const size_t n = order.size();
  double running = -kInfinity;
  for (size_t rank = 1; rank <= n; ++rank) {
    const size_t index = order[rank - 1];
    running = std::max(running, static_cast<double>(n - rank + 1) * p[index]);
    q[index] = std::min(1.0, running);
  }
  return q;
}

}  // namespace vm::harness::stats
