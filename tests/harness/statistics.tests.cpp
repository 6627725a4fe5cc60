// statistics.tests.cpp - the statistics of `vmbench compare`: the normal
// distribution, the Mann-Whitney U test (exact null distribution against a
// brute-force enumeration, the tie-corrected normal approximation against
// R), the Hodges-Lehmann shift with Moses' interval, and the p-value
// adjustments against R's p.adjust.
//
// Reference values marked "R" are R's printed output; the longer digits come
// from an independent computation (exact fractions over the recurrence
// f(m, n, k) = f(m - 1, n, k - n) + f(m, n - 1, k), and math.erfc), shown
// next to each value.

#include "compare/statistics.h"

#include <algorithm>
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace {

namespace stats = vm::harness::stats;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Uniform in [0, 1) from the raw 64-bit Mersenne Twister output, which the
// standard fixes bit for bit (std::uniform_real_distribution does not).
double uniform(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

std::vector<double> uniform_sample(std::mt19937_64& rng, size_t count, double scale = 1) {
  std::vector<double> values(count);
  for (double& v : values) v = scale * uniform(rng);
  return values;
}

// The null distribution of U for m against n values, by enumerating every
// way to give m of the ranks 1..m+n to x: counts[u] = #assignments with U = u.
std::vector<uint64_t> brute_force_u_counts(size_t m, size_t n) {
  const size_t total = m + n;
  std::vector<uint64_t> counts(m * n + 1, 0);
  for (uint32_t mask = 0; mask < (1u << total); ++mask) {
    if (static_cast<size_t>(std::popcount(mask)) != m) continue;
    // U of x: for each x (a set bit), the number of y (clear bits) below it.
    size_t u = 0, ys_below = 0;
    for (size_t rank = 0; rank < total; ++rank) {
      if (mask & (1u << rank)) {
        u += ys_below;
      } else {
        ++ys_below;
      }
    }
    ++counts[u];
  }
  return counts;
}

// P(U <= k) from brute-force counts; 0 for k < 0.
double brute_force_cdf(const std::vector<uint64_t>& counts, long k) {
  uint64_t below = 0, total = 0;
  for (size_t u = 0; u < counts.size(); ++u) {
    total += counts[u];
    if (static_cast<long>(u) <= k) below += counts[u];
  }
  return static_cast<double>(below) / static_cast<double>(total);
}

// U of x by its definition: #pairs (x_i > y_j) + 0.5 * #ties.
double u_by_pairs(const std::vector<double>& x, const std::vector<double>& y) {
  double u = 0;
  for (double a : x) {
    for (double b : y) u += a > b ? 1 : (a == b ? 0.5 : 0);
  }
  return u;
}

std::vector<double> sorted_differences(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<double> d;
  for (double b : y) {
    for (double a : x) d.push_back(b - a);
  }
  std::sort(d.begin(), d.end());
  return d;
}

}  // namespace

// ---------------------------------------------------------------- median

TEST_CASE("median is the middle value, or the mean of the middle two", "[harness][statistics]") {
  CHECK(stats::median({3, 1, 2}) == 2);
  CHECK(stats::median({4, 1, 3, 2}) == 2.5);
  CHECK(stats::median({7}) == 7);
  CHECK(stats::median({5, 5, 1, 9}) == 5);
  CHECK(stats::median({}) == 0);
  CHECK(std::isnan(stats::median({1, kNaN, 2})));
}

// ---------------------------------------------------------------- normal distribution

TEST_CASE("normal_cdf matches tabulated values in the centre and the tails",
          "[harness][statistics]") {
  CHECK(stats::normal_cdf(0) == 0.5);
  CHECK(stats::normal_cdf(1.96) == Approx(0.9750021048517795).epsilon(1e-14));
  CHECK(stats::normal_cdf(-1) == Approx(0.15865525393145707).epsilon(1e-14));
  // Phi(-10) = 7.6198530241605260659...e-24: the lower tail keeps its relative accuracy.
  CHECK(stats::normal_cdf(-10) == Approx(7.619853024160526e-24).epsilon(1e-12));
  CHECK(stats::normal_cdf(-37) > 0);  // ~5.7e-300
  CHECK(stats::normal_cdf(40) == 1);
}

TEST_CASE("normal_quantile matches known quantiles", "[harness][statistics]") {
  CHECK(stats::normal_quantile(0.975) == Approx(1.959963984540054).epsilon(1e-14));
  CHECK(stats::normal_quantile(0.025) == Approx(-1.959963984540054).epsilon(1e-14));
  CHECK(stats::normal_quantile(0.995) == Approx(2.5758293035489004).epsilon(1e-14));
  CHECK(stats::normal_quantile(0.5) == 0);
  CHECK(stats::normal_quantile(0) == -std::numeric_limits<double>::infinity());
  CHECK(stats::normal_quantile(1) == std::numeric_limits<double>::infinity());
  CHECK(std::isnan(stats::normal_quantile(-0.1)));
  CHECK(std::isnan(stats::normal_quantile(1.5)));
  CHECK(std::isnan(stats::normal_quantile(kNaN)));
}

TEST_CASE("normal_quantile inverts normal_cdf from the far tail to the centre",
          "[harness][statistics]") {
  // 0.02425 is where Acklam's approximation switches from tail to centre.
  const double p = GENERATE(1e-300, 1e-100, 1e-20, 1e-10, 1e-5, 1e-3, 0.01, 0.02425, 0.025, 0.1,
                            0.3, 0.4999, 0.5);
  CAPTURE(p);
  const double z = stats::normal_quantile(p);
  CHECK(stats::normal_cdf(z) == Approx(p).epsilon(1e-13));
  // The upper half is the mirror image, exactly, where 1 - p loses nothing.
  if (1 - (1 - p) == p) CHECK(stats::normal_quantile(1 - p) == -z);
  if (p >= 1e-10) CHECK(1 - stats::normal_cdf(-z) == Approx(p).epsilon(1e-6).margin(1e-16));
}

// ---------------------------------------------------------------- Mann-Whitney U

TEST_CASE("exact Mann-Whitney p for fully separated samples is 2 / C(2n, n)",
          "[harness][statistics]") {
  const auto [n, expected] = GENERATE(table<size_t, double>({
      {3, 0.1},                       // 2 / C(6, 3) = 2 / 20
      {5, 2.0 / 252},                 // C(10, 5) = 252
      {10, 2.0 / 184756},             // C(20, 10) = 184756
      {100, 2.2087606931995028e-59},  // 2 / C(200, 100): at kExactMaxPairs
  }));
  CAPTURE(n);
  std::vector<double> low(n), high(n);
  for (size_t i = 0; i < n; ++i) {
    low[i] = static_cast<double>(i);
    high[i] = static_cast<double>(n + i) + 0.5;
  }
  const auto below = stats::mann_whitney_u(low, high);
  CHECK(below.exact);
  CHECK(below.u == 0);
  CHECK(below.p == Approx(expected).epsilon(1e-12));
  const auto above = stats::mann_whitney_u(high, low);
  CHECK(above.u == static_cast<double>(n * n));
  CHECK(above.p == below.p);
}

TEST_CASE("exact Mann-Whitney p agrees with a brute-force enumeration of all rank assignments",
          "[harness][statistics]") {
  const auto [m, n] =
      GENERATE(table<size_t, size_t>({{4, 5}, {1, 6}, {3, 3}, {6, 2}, {5, 5}, {2, 9}, {6, 6}}));
  const uint64_t seed = GENERATE(1, 2, 3, 42);
  CAPTURE(m, n, seed);
  std::mt19937_64 rng(seed);
  const std::vector<double> x = uniform_sample(rng, m);
  // A shift makes small p-values as likely as large ones.
  std::vector<double> y = uniform_sample(rng, n);
  for (double& v : y) v += 0.3 * static_cast<double>(seed % 3);
  CAPTURE(x, y);

  const auto counts = brute_force_u_counts(m, n);
  const auto result = stats::mann_whitney_u(x, y);
  REQUIRE(result.exact);
  CHECK(result.u == u_by_pairs(x, y));
  const long u = static_cast<long>(result.u);
  const long pairs = static_cast<long>(m * n);
  const double lower = brute_force_cdf(counts, u);          // P(U <= u)
  const double upper = 1 - brute_force_cdf(counts, u - 1);  // P(U >= u)
  const double expected = std::min(1.0, 2 * std::min(lower, upper));
  CHECK(result.p == Approx(expected).epsilon(1e-13));
  CHECK(result.u + stats::mann_whitney_u(y, x).u == static_cast<double>(pairs));
}

TEST_CASE("exact Mann-Whitney reproduces R's wilcox.test example", "[harness][statistics]") {
  // R, ?wilcox.test: wilcox.test(x, y, alternative = "g") prints W = 35,
  // p-value = 0.1272 (exact, no ties). Two-sided: 2 * P(U >= 35) for
  // m = 10, n = 5 = 764 / 3003 = 0.2544122544122544.
  const std::vector<double> x = {0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46};
  const std::vector<double> y = {1.15, 0.88, 0.90, 0.74, 1.21};
  const auto result = stats::mann_whitney_u(x, y);
  CHECK(result.exact);
  CHECK(result.u == 35);
  CHECK(result.p == Approx(764.0 / 3003).epsilon(1e-13));
}

TEST_CASE("Mann-Whitney with ties uses the tie-corrected normal approximation of R and SciPy",
          "[harness][statistics]") {
  // R, ?wilcox.test: wilcox.test(Ozone ~ Month, data = airquality,
  // subset = Month %in% c(5, 8)) prints W = 127.5, p-value = 0.0001208
  // (exact = FALSE because of ties, correct = TRUE). May and August ozone
  // without the NAs, 26 values each. By hand:
  //   tie groups (value x count): 9x2 11x3 14x2 16x2 18x2 23x3 28x2 44x2 45x2,
  //   sum(t^3 - t) = 7 * 6 + 2 * 24 = 90;
  //   sigma = sqrt(26 * 26 / 12 * (53 - 90 / (52 * 51))) = 54.62375766972448;
  //   z = (676 - 127.5 - 338 - 0.5) / sigma = 3.8444810272800702;
  //   p = erfc(z / sqrt 2) = 0.00012080783076877465.
  const std::vector<double> may = {41, 36, 12, 18, 28, 23, 19, 8, 7,  16, 11, 14,  18,
                                   14, 34, 6,  30, 11, 1,  11, 4, 32, 23, 45, 115, 37};
  const std::vector<double> august = {39, 9,  16, 78, 35, 66, 122, 89,  110, 44, 28,  65, 22,
                                      59, 23, 31, 44, 21, 9,  45,  168, 73,  76, 118, 84, 85};
  const auto result = stats::mann_whitney_u(may, august);
  CHECK_FALSE(result.exact);
  CHECK(result.u == 127.5);
  CHECK(result.p == Approx(0.00012080783076877465).epsilon(1e-10));
  CHECK(stats::mann_whitney_u_asymptotic(may, august).p == result.p);
}

TEST_CASE("Mann-Whitney is symmetric in its samples and U counts every pair once",
          "[harness][statistics]") {
  const uint64_t seed = GENERATE(7, 8, 9);
  const bool with_ties = GENERATE(false, true);
  CAPTURE(seed, with_ties);
  std::mt19937_64 rng(seed);
  std::vector<double> x = uniform_sample(rng, 7, 10), y = uniform_sample(rng, 11, 10);
  if (with_ties) {
    for (double& v : x) v = std::round(v);
    for (double& v : y) v = std::round(v);
  }
  CAPTURE(x, y);
  const auto xy = stats::mann_whitney_u(x, y), yx = stats::mann_whitney_u(y, x);
  CHECK(xy.u == u_by_pairs(x, y));
  CHECK(xy.u + yx.u == 77);
  CHECK(xy.p == yx.p);
  CHECK(xy.exact == !with_ties);
  CHECK(xy.p >= 0);
  CHECK(xy.p <= 1);
}

TEST_CASE("Mann-Whitney is exact up to kExactMaxPairs pairs without ties, approximate beyond",
          "[harness][statistics]") {
  const auto sample = [](size_t count, double offset) {
    std::vector<double> v(count);
    for (size_t i = 0; i < count; ++i) v[i] = offset + 2.0 * static_cast<double>(i);
    return v;
  };
  static_assert(stats::kExactMaxPairs == 10000);
  CHECK(stats::mann_whitney_u(sample(100, 0), sample(100, 1)).exact);
  CHECK_FALSE(stats::mann_whitney_u(sample(101, 0), sample(100, 1)).exact);
  // 1 against 10000: the single x above every y has p = 2 / C(10001, 1).
  const auto lone = stats::mann_whitney_u(sample(1, 1e6), sample(10000, 1));
  CHECK(lone.exact);
  CHECK(lone.p == Approx(2.0 / 10001).epsilon(1e-13));
  // One tie, even within a sample, rules the exact distribution out.
  CHECK_FALSE(
      stats::mann_whitney_u(std::vector<double>{1, 1, 3}, std::vector<double>{2, 4, 5}).exact);
}

TEST_CASE("exact and normal-approximation p agree within 10 % for mid-range p at n = m = 40",
          "[harness][statistics]") {
  // y = x + shift, x = 0..39: no ties. Exact two-sided p from exact fractions.
  const auto [shift, exact_p] = GENERATE(table<double, double>({
      {3.5, 0.20009043531384452},   // U = 666
      {4.5, 0.10311257169575894},   // U = 630
      {5.5, 0.04870916389173166},   // U = 595
      {6.5, 0.021157756831768057},  // U = 561
  }));
  CAPTURE(shift);
  std::vector<double> x(40), y(40);
  for (size_t i = 0; i < 40; ++i) {
    x[i] = static_cast<double>(i);
    y[i] = x[i] + shift;
  }
  const auto exact = stats::mann_whitney_u(x, y);
  const auto normal = stats::mann_whitney_u_asymptotic(x, y);
  REQUIRE(exact.exact);
  REQUIRE_FALSE(normal.exact);
  CHECK(exact.u == normal.u);
  CHECK(exact.p == Approx(exact_p).epsilon(1e-12));
  CHECK(normal.p == Approx(exact.p).epsilon(0.10));
}

TEST_CASE("Mann-Whitney gives p = 1 without evidence: empty side, all equal, non-finite",
          "[harness][statistics]") {
  const std::vector<double> some = {1, 2, 3}, none;
  CHECK(stats::mann_whitney_u(some, none).p == 1);
  CHECK(stats::mann_whitney_u(none, some).p == 1);
  const std::vector<double> same = {4, 4, 4};
  const auto equal = stats::mann_whitney_u(same, same);
  CHECK(equal.p == 1);
  CHECK(equal.u == 4.5);
  CHECK(stats::mann_whitney_u(some, std::vector<double>{1, kNaN}).p == 1);
  CHECK(
      stats::mann_whitney_u(some, std::vector<double>{std::numeric_limits<double>::infinity()}).p ==
      1);
  // Identical samples without ties within them: U = mn / 2, p = 1.
  CHECK(stats::mann_whitney_u(some, some).p == 1);
}

// ---------------------------------------------------------------- Hodges-Lehmann

TEST_CASE("Hodges-Lehmann estimate of y = x + 5 is exactly 5 and its interval contains 5",
          "[harness][statistics]") {
  const size_t n = GENERATE(5, 8, 12);
  CAPTURE(n);
  std::mt19937_64 rng(n);
  std::vector<double> x(n), y(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = std::round(1000 * uniform(rng)) / 8;  // exact in binary: y - x is exact
    y[i] = x[i] + 5;
  }
  CAPTURE(x);
  const auto shift = stats::hodges_lehmann(x, y);
  CHECK(shift.estimate == 5);
  CHECK(shift.low <= 5);
  CHECK(shift.high >= 5);
  CHECK(shift.low <= shift.high);
  CHECK(shift.confidence >= 0.95);
  CHECK(stats::hodges_lehmann(y, x).estimate == -5);
}

TEST_CASE("Moses interval for 10 against 10 at 95 % runs from D(24) to D(77)",
          "[harness][statistics]") {
  // P(U <= 23) = 999 / 46189 = 0.0216 <= 0.025 < P(U <= 24) = 0.0262, so
  // k = 24 and the interval covers 1 - 2 * 999 / 46189 = 0.9567429474550218.
  std::mt19937_64 rng(2024);
  const std::vector<double> x = uniform_sample(rng, 10), y = uniform_sample(rng, 10);
  CAPTURE(x, y);
  const std::vector<double> d = sorted_differences(x, y);
  const auto shift = stats::hodges_lehmann(x, y, 0.95);
  CHECK(shift.low == d[23]);
  CHECK(shift.high == d[76]);
  CHECK(shift.estimate == (d[49] + d[50]) / 2);
  CHECK(shift.confidence == Approx(1 - 2 * 999.0 / 46189).epsilon(1e-13));
}

TEST_CASE("Moses interval matches one built from a brute-force null distribution",
          "[harness][statistics]") {
  const auto [m, n] = GENERATE(table<size_t, size_t>({{4, 5}, {5, 5}, {6, 6}, {3, 9}, {7, 4}}));
  const double confidence = GENERATE(0.5, 0.8, 0.9, 0.95, 0.99);
  CAPTURE(m, n, confidence);
  std::mt19937_64 rng(m * 100 + n);
  const std::vector<double> x = uniform_sample(rng, m), y = uniform_sample(rng, n);
  CAPTURE(x, y);

  const auto counts = brute_force_u_counts(m, n);
  const long pairs = static_cast<long>(m * n);
  long k = 1;
  for (long candidate = 1; candidate <= (pairs + 1) / 2; ++candidate) {
    if (brute_force_cdf(counts, candidate - 1) <= (1 - confidence) / 2) k = candidate;
  }
  const std::vector<double> d = sorted_differences(x, y);
  const auto shift = stats::hodges_lehmann(x, y, confidence);
  CAPTURE(k);
  CHECK(shift.low == d[static_cast<size_t>(k - 1)]);
  CHECK(shift.high == d[static_cast<size_t>(pairs - k)]);
  CHECK(shift.confidence == Approx(1 - 2 * brute_force_cdf(counts, k - 1)).epsilon(1e-13));
  // Achieved >= requested whenever k = 1 can reach it.
  if (brute_force_cdf(counts, 0) <= (1 - confidence) / 2) CHECK(shift.confidence >= confidence);
}

TEST_CASE("tiny samples give the full range with the confidence it actually covers",
          "[harness][statistics]") {
  // 3 against 3: P(U <= 0) = 1 / 20 > 0.025, so no k reaches 95 %; the full
  // range covers 1 - 2 / 20 = 90 %. 2 against 2: 1 - 2 / 6.
  const std::vector<double> x3 = {1.0, 2.5, 4.0}, y3 = {2.0, 3.25, 7.0};
  const auto three = stats::hodges_lehmann(x3, y3, 0.95);
  const std::vector<double> d = sorted_differences(x3, y3);
  CHECK(three.low == d.front());
  CHECK(three.high == d.back());
  CHECK(three.confidence == Approx(0.9).epsilon(1e-14));
  const std::vector<double> x2 = {1, 2}, y2 = {1.5, 4};
  const auto two = stats::hodges_lehmann(x2, y2, 0.95);
  CHECK(two.low == -0.5);
  CHECK(two.high == 3);
  CHECK(two.confidence == Approx(2.0 / 3).epsilon(1e-14));
  // One against one: the interval is the single difference and covers nothing.
  const auto one = stats::hodges_lehmann(std::vector<double>{1}, std::vector<double>{3});
  CHECK(one.estimate == 2);
  CHECK(one.low == 2);
  CHECK(one.high == 2);
  CHECK(one.confidence == 0);
}

TEST_CASE("Moses interval beyond kExactMaxPairs uses the normal approximation",
          "[harness][statistics]") {
  std::mt19937_64 rng(99);
  const std::vector<double> x = uniform_sample(rng, 120), y = uniform_sample(rng, 100);
  const auto shift = stats::hodges_lehmann(x, y, 0.95);
  const std::vector<double> d = sorted_differences(x, y);
  REQUIRE(std::adjacent_find(d.begin(), d.end()) == d.end());  // k is low's position
  const double k =
      static_cast<double>(std::lower_bound(d.begin(), d.end(), shift.low) - d.begin()) + 1;
  CAPTURE(k);
  CHECK(shift.high == d[d.size() - static_cast<size_t>(k)]);
  // k is the largest with P(U <= k - 1) <= 0.025 under N(mn / 2, sigma^2)
  // with continuity correction; sigma^2 = m n (N + 1) / 12 without ties.
  const double mean = 6000, sigma = std::sqrt(12000.0 * 221 / 12);
  const auto cdf = [&](double j) { return stats::normal_cdf((j + 0.5 - mean) / sigma); };
  CHECK(cdf(k - 1) <= 0.025);
  CHECK(cdf(k) > 0.025);
  CHECK(shift.confidence == Approx(1 - 2 * cdf(k - 1)).epsilon(1e-13));
  CHECK(shift.confidence >= 0.95);
  CHECK(shift.confidence < 0.951);
}

TEST_CASE("Moses interval with ties uses the tie-corrected normal approximation",
          "[harness][statistics]") {
  // 8 against 8 in whole milliseconds: ties within and across the samples.
  const std::vector<double> x = {10, 11, 11, 12, 12, 12, 13, 14};
  const std::vector<double> y = {11, 12, 13, 13, 14, 14, 15, 16};
  const auto shift = stats::hodges_lehmann(x, y, 0.9);
  CHECK(shift.estimate == 2);
  CHECK(shift.low <= shift.estimate);
  CHECK(shift.high >= shift.estimate);
  CHECK(shift.confidence >= 0.9);
  CHECK(shift.confidence < 1);
}

TEST_CASE("Hodges-Lehmann on log times recovers a 4 % slowdown as a ratio",
          "[harness][statistics]") {
  // 10 repetitions per side of a 230 ms benchmark with 0.5 % uniform noise;
  // compare works on log(time) and reports exp(shift).
  std::mt19937_64 rng(4);
  std::vector<double> base(10), candidate(10);
  for (double& t : base) t = std::log(2.3e8 * (1 + 0.005 * uniform(rng)));
  for (double& t : candidate) t = std::log(2.3e8 * 1.04 * (1 + 0.005 * uniform(rng)));
  const auto shift = stats::hodges_lehmann(base, candidate);
  CHECK(std::exp(shift.estimate) == Approx(1.04).epsilon(0.006));
  CHECK(std::exp(shift.low) > 1.02);
  CHECK(std::exp(shift.low) <= std::exp(shift.estimate));
  CHECK(std::exp(shift.high) >= std::exp(shift.estimate));
  CHECK(std::exp(shift.high) < 1.06);
  CHECK(stats::mann_whitney_u(base, candidate).p == Approx(2.0 / 184756).epsilon(1e-12));
  // Against itself: no shift, and an interval around 1.
  const auto same = stats::hodges_lehmann(base, base);
  CHECK(same.estimate == 0);
  CHECK(same.low < 0);
  CHECK(same.high > 0);
}

TEST_CASE("Hodges-Lehmann without data gives NaN and no confidence", "[harness][statistics]") {
  const std::vector<double> some = {1, 2}, none;
  const auto empty = stats::hodges_lehmann(some, none);
  CHECK(std::isnan(empty.estimate));
  CHECK(std::isnan(empty.low));
  CHECK(std::isnan(empty.high));
  CHECK(empty.confidence == 0);
  CHECK(std::isnan(stats::hodges_lehmann(std::vector<double>{kNaN}, some).estimate));
}

// ---------------------------------------------------------------- p-value adjustments

TEST_CASE("Benjamini-Hochberg and Holm match R's p.adjust", "[harness][statistics]") {
  // p sorted: 0.005 0.01 0.03 0.04 (n = 4).
  // BH: n / i * p = 0.02 0.02 0.04 0.04, cummin from the top: 0.02 0.02 0.04 0.04.
  // Holm: (n - i + 1) * p = 0.02 0.03 0.06 0.04, cummax: 0.02 0.03 0.06 0.06.
  const std::vector<double> p = {0.01, 0.04, 0.03, 0.005};
  CHECK_THAT(stats::benjamini_hochberg(p),
             Catch::Matchers::Approx(std::vector<double>{0.02, 0.04, 0.04, 0.02}).epsilon(1e-14));
  CHECK_THAT(stats::holm(p),
             Catch::Matchers::Approx(std::vector<double>{0.03, 0.06, 0.06, 0.02}).epsilon(1e-14));

  // Ties and the cap at 1. p sorted: 0.001 0.5 0.5 0.7 0.9 (n = 5).
  // BH: 0.005 1.25 0.8333 0.875 0.9 -> cummin from the top: 0.005 0.8333 0.8333 0.875 0.9.
  // Holm: 0.005 2 1.5 1.4 0.9 -> cummax 0.005 2 2 2 2 -> capped: 0.005 1 1 1 1.
  const std::vector<double> tied = {0.5, 0.9, 0.5, 0.001, 0.7};
  CHECK_THAT(stats::benjamini_hochberg(tied),
             Catch::Matchers::Approx(std::vector<double>{2.5 / 3, 0.9, 2.5 / 3, 0.005, 0.875})
                 .epsilon(1e-14));
  CHECK_THAT(stats::holm(tied),
             Catch::Matchers::Approx(std::vector<double>{1, 1, 1, 0.005, 1}).epsilon(1e-14));
}

TEST_CASE("p-value adjustments skip NaN like R and return nothing for nothing",
          "[harness][statistics]") {
  // R: p.adjust(c(0.01, NA, 0.04), "BH") = 0.02 NA 0.04 (n counts the non-NA).
  const std::vector<double> p = {0.01, kNaN, 0.04};
  for (const auto& q : {stats::benjamini_hochberg(p), stats::holm(p)}) {
    REQUIRE(q.size() == 3);
    CHECK(q[0] == Approx(0.02).epsilon(1e-14));
    CHECK(std::isnan(q[1]));
    CHECK(q[2] == Approx(0.04).epsilon(1e-14));
  }
  CHECK(stats::benjamini_hochberg({}).empty());
  CHECK(stats::holm({}).empty());
  CHECK(stats::benjamini_hochberg(std::vector<double>{0.3}) == std::vector<double>{0.3});
  CHECK(stats::holm(std::vector<double>{0.3}) == std::vector<double>{0.3});
}

TEST_CASE("adjusted p-values are monotone in p, never below p and at most 1",
          "[harness][statistics]") {
  const uint64_t seed = GENERATE(11, 12, 13);
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  std::vector<double> p = uniform_sample(rng, 40);
  for (double& v : p) v = v * v * v;  // many small p-values
  p[5] = p[17];                       // and a tie
  const auto bh = stats::benjamini_hochberg(p), fwer = stats::holm(p);
  for (size_t i = 0; i < p.size(); ++i) {
    CHECK(bh[i] >= p[i]);
    CHECK(bh[i] <= 1);
    CHECK(fwer[i] >= bh[i]);  // Holm is never less strict than BH
    CHECK(fwer[i] <= 1);
    for (size_t j = 0; j < p.size(); ++j) {
      if (p[i] <= p[j]) {
        CHECK(bh[i] <= bh[j]);
        CHECK(fwer[i] <= fwer[j]);
      }
    }
  }
}
