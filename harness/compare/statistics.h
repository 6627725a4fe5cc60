// statistics.h - the statistics behind `vmbench compare`: a rank test, a
// distribution-free shift estimate with its interval, and multiple-comparison
// adjustments. Each side is a handful of repetitions (typically 5-30), so
// nothing here assumes normal timings; compare calls these on log(time)
// samples, which turns a shift into a ratio (ratio = exp(estimate)).
//
// All functions are pure and deterministic and use only the standard
// library. Inputs are expected to be finite (results_file.h validates the
// samples at the edge); a NaN or infinity gives a documented "no evidence"
// answer rather than undefined behaviour.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace vm::harness::stats {

// Median of the values (mean of the middle two for an even count); 0 for
// none, NaN when any value is NaN.
double median(std::vector<double> values) noexcept;

// Standard normal CDF, Phi(z) = erfc(-z / sqrt 2) / 2. Relative error below
// ~1e-12 in both tails down to Phi(-37) ~ 6e-300 (the rounding of z / sqrt 2
// costs ~z^2 ulp there); no cancellation toward 1 - Phi.
double normal_cdf(double z) noexcept;
// Inverse of normal_cdf for p in (0, 1), accurate to ~1e-15 relative:
// Acklam's rational approximation (relative error 1.15e-9) refined by Halley
// steps on std::erfc. Upper-half p are answered as -normal_quantile(1 - p),
// which is exact in floating point, so quantile(1 - p) == -quantile(p).
// Returns -inf for p = 0, +inf for p = 1 and NaN outside [0, 1] or for NaN.
double normal_quantile(double p) noexcept;

// mann_whitney_u and hodges_lehmann use the exact null distribution of U
// (no ties) up to this many pairs m * n, the normal approximation beyond.
// Computing the exact table costs O(min(m, n) * m * n / 2) additions:
// ~5e5 at the limit (m = n = 100), a fraction of a millisecond. Up to that
// size the normal approximation is already within a few percent of the
// exact p-value for p ~ 0.05 (n = m = 40: see statistics.tests.cpp), so the
// limit is about cost, not accuracy.
inline constexpr std::size_t kExactMaxPairs = 10000;

struct mann_whitney_result {
  double u = 0;        // U statistic of x: #pairs (x_i > y_j) + 0.5 * #ties
  double p = 1;        // two-sided p-value
  bool exact = false;  // true when p came from the exact null distribution
};

// Two-sided Mann-Whitney U (Wilcoxon rank-sum) test of x against y.
//
// Exact when the pooled sample has no ties at all (within or across the
// samples) and x.size() * y.size() <= kExactMaxPairs: p = 2 * P(U <= min(U_x,
// U_y)) from the null distribution of U, capped at 1 (SciPy's
// method="exact", R's wilcox.test(exact=TRUE)).
//
// Otherwise the normal approximation with the tie-corrected variance
//   sigma^2 = m n / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1)))
// (t: sizes of the groups of equal values in the pooled sample, N = m + n)
// and a continuity correction of 0.5: p = 2 * Phi(-(max(U_x, U_y) - m n / 2 -
// 0.5) / sigma), clamped to [0, 1]; identical to SciPy's mannwhitneyu(
// method="asymptotic", use_continuity=True) and to R's wilcox.test(exact=FALSE,
// correct=TRUE). When every value is equal (sigma = 0), p = 1.
//
// Either side empty, or any value NaN or infinite: u = 0, p = 1, exact = false.
mann_whitney_result mann_whitney_u(std::span<const double> x, std::span<const double> y);

// The same test, always with the normal approximation (the second branch
// above), whatever the sizes and ties. For checking the approximation.
mann_whitney_result mann_whitney_u_asymptotic(std::span<const double> x, std::span<const double> y);

struct shift_interval {
  double estimate = 0;       // Hodges-Lehmann: median of all differences y_j - x_i
  double low = 0, high = 0;  // distribution-free interval (Moses) for the shift
  double confidence = 0;     // achieved; >= the requested one unless too few samples
};

// Hodges-Lehmann shift of y relative to x with Moses' confidence interval,
// built from the same null distribution of U as mann_whitney_u (exact when it
// would be exact, else the tie-corrected normal approximation with continuity
// correction, P(U <= j) ~ Phi((j + 0.5 - m n / 2) / sigma)):
// with the m * n sorted differences D(1..mn), [D(k), D(mn + 1 - k)] where k
// is the largest integer in [1, (mn + 1) / 2] with P(U <= k - 1) <=
// (1 - confidence) / 2. `confidence` reports 1 - 2 P(U <= k - 1), which is
// >= the requested one. When even k = 1 cannot reach the requested
// confidence (tiny samples: 3 against 3 can reach at most 90 %), the
// interval is the full range [D(1), D(mn)] and `confidence` what it
// actually covers (1 - 2 / C(m + n, m) when exact); likewise for a requested
// confidence >= 1 or NaN. A requested confidence <= 0 gives the middle
// difference(s): k = (mn + 1) / 2.
//
// Costs O(m n log(m n)) time and m n doubles of memory.
// Either side empty, or any value NaN or infinite: all fields NaN except
// confidence = 0.
shift_interval hodges_lehmann(std::span<const double> x, std::span<const double> y,
                              double confidence = 0.95);

// Multiple-comparison adjustments: adjusted p-values ("q-values") in the
// input order, monotone in p and capped at 1, equal to R's
// p.adjust(p, method = "BH") and p.adjust(p, method = "holm"). Like R, NaN
// entries stay NaN and do not count among the tests. Empty in, empty out.
std::vector<double> benjamini_hochberg(std::span<const double> p);
std::vector<double> holm(std::span<const double> p);

}  // namespace vm::harness::stats
