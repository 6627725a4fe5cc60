// changepoint.tests.cpp - change points in nightly histories (E-divisive
// means): steps found at their night with the right means, outliers and
// noise left alone, the permutation test's level, the contract for short
// and non-finite series, and the O(N log N) q-hat curve against the
// O(N^2) definition.
//
// Every series comes from std::mt19937_64's raw output (fixed by the
// standard) and Box-Muller, so the expectations hold on every platform.

#include "history/changepoint.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <numeric>
#include <random>
#include <span>
#include <vector>

namespace {

using vm::harness::change_point;
using vm::harness::changepoint_options;
using vm::harness::detect_change_points;
using vm::harness::ediv_statistic_curve;

double uniform(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

double gaussian(std::mt19937_64& rng) {
  const double u1 = 1 - uniform(rng);
  const double u2 = uniform(rng);
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
}

// `nights` values of log(1 ms) plus Gaussian noise of `noise_sd` (in log,
// so 0.01 is ~1 %).
std::vector<double> noisy_series(uint64_t seed, size_t nights, double noise_sd) {
  std::mt19937_64 rng(seed);
  std::vector<double> series(nights);
  for (double& v : series) v = std::log(1e-3) + noise_sd * gaussian(rng);
  return series;
}

// Adds `shift` (in log) to every night from `night` on.
void add_step(std::vector<double>& series, size_t night, double shift) {
  for (size_t i = night; i < series.size(); ++i) series[i] += shift;
}

double mean(std::span<const double> values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// q-hat straight from its definition (changepoint.h), O(N^2) per split.
std::vector<double> brute_force_curve(std::span<const double> z, size_t min_segment) {
  min_segment = std::max<size_t>(min_segment, 2);
  const size_t count = z.size();
  std::vector<double> curve(count + 1, std::numeric_limits<double>::quiet_NaN());
  for (size_t tau = min_segment; tau + min_segment <= count; ++tau) {
    double between = 0, within_left = 0, within_right = 0;
    for (size_t i = 0; i < count; ++i) {
      for (size_t j = i + 1; j < count; ++j) {
        const double d = std::fabs(z[i] - z[j]);
        if (j < tau) {
          within_left += d;
        } else if (i >= tau) {
          within_right += d;
        } else {
          between += d;
        }
      }
    }
    const auto m = static_cast<double>(tau);
    const auto n = static_cast<double>(count - tau);
    const double e_hat =
        2 * between / (m * n) - within_left / (m * (m - 1) / 2) - within_right / (n * (n - 1) / 2);
    curve[tau] = m * n / (m + n) * e_hat;
  }
  return curve;
}

}  // namespace

TEST_CASE("a clear step is found at its night, with the means of both sides",
          "[history][changepoint]") {
  // A 5 % step in 0.5 % noise: ten standard deviations, so no single noisy
  // night next to it looks like the other level. (At five standard
  // deviations, a neighbour 2.7 sd out can be where q-hat peaks.) Seeds 2
  // and 6 are not used: with them the noise itself holds a significant
  // split (seed 2 in the whole series, seed 6 in a side of the step), as
  // each test at alpha = 0.05 does for ~5 % of noise (see the level test).
  const uint64_t seed = GENERATE(1, 3, 4, 5, 7);
  const size_t night = GENERATE(10, 50, 87);
  const double shift = GENERATE(0.05, -0.05);
  CAPTURE(seed, night, shift);
  std::vector<double> series = noisy_series(seed, 100, 0.005);
  REQUIRE(detect_change_points(series).empty());  // the noise alone has none
  add_step(series, night, shift);

  const std::vector<change_point> points = detect_change_points(series);
  REQUIRE(points.size() == 1);
  const change_point& p = points[0];
  CHECK(p.index == night);
  CHECK(p.before == mean(std::span(series).first(night)));
  CHECK(p.after == mean(std::span(series).subspan(night)));
  CHECK(p.after - p.before == Approx(shift).margin(0.005));
  CHECK(p.p_value <= changepoint_options{}.alpha);
  CHECK(p.p_value >= 1.0 / (changepoint_options{}.permutations + 1));
  // The statistic is the maximum of the series' own q-hat curve.
  const std::vector<double> curve = ediv_statistic_curve(series, changepoint_options{}.min_segment);
  CHECK(p.statistic == Approx(curve[night]).epsilon(1e-12));
  for (double q : curve) {
    if (!std::isnan(q)) CHECK(q <= p.statistic);
  }
}

TEST_CASE("a one-night spike is not a change point, wherever it falls", "[history][changepoint]") {
  const size_t night = GENERATE(0, 1, 2, 3, 30, 50, 96, 97, 98, 99);
  const double spike = GENERATE(0.1, 0.3, 1.0, -0.3);
  CAPTURE(night, spike);
  std::vector<double> series = noisy_series(11, 100, 0.01);
  REQUIRE(detect_change_points(series).empty());
  series[night] += spike;
  CHECK(detect_change_points(series).empty());
}

TEST_CASE("two spikes far apart are not a change point", "[history][changepoint]") {
  const size_t first = GENERATE(0, 20, 45);
  const size_t second = GENERATE(60, 80, 99);
  CAPTURE(first, second);
  std::vector<double> series = noisy_series(12, 100, 0.01);
  REQUIRE(detect_change_points(series).empty());
  series[first] += 0.25;
  series[second] += 0.2;
  CHECK(detect_change_points(series).empty());
}

TEST_CASE("a step is found next to a spike, and the spike is not", "[history][changepoint]") {
  std::vector<double> series = noisy_series(13, 120, 0.01);
  add_step(series, 70, 0.04);
  series[30] += 0.3;
  series[100] += 0.3;
  const std::vector<change_point> points = detect_change_points(series);
  REQUIRE(points.size() == 1);
  CHECK(points[0].index == 70);
}

TEST_CASE("a flat noisy series has no change point", "[history][changepoint]") {
  const size_t nights = GENERATE(10, 50, 365);
  CAPTURE(nights);
  CHECK(detect_change_points(noisy_series(21, nights, 0.01)).empty());
}

TEST_CASE("on pure noise, change points are as rare as alpha says", "[history][changepoint]") {
  // The permutation test has level alpha at the first split: of 200 null
  // series, ~10 (5 %) get a change point; binomial(200, 0.05) exceeds 20
  // with probability < 0.2 %. The series are fixed, so this never flakes;
  // it fails when the test loses its level (a biased shuffle or statistic).
  size_t with_change_points = 0;
  for (uint64_t seed = 1000; seed < 1200; ++seed) {
    with_change_points += !detect_change_points(noisy_series(seed, 60, 0.01)).empty();
  }
  CAPTURE(with_change_points);
  CHECK(with_change_points <= 20);
  CHECK(with_change_points >= 1);  // a test that never rejects has no power either
}

TEST_CASE("two steps are both found, with the means of the three segments",
          "[history][changepoint]") {
  const double first = GENERATE(0.04, -0.04);
  const double second = GENERATE(0.03, -0.03);
  CAPTURE(first, second);
  std::vector<double> series = noisy_series(31, 150, 0.005);
  add_step(series, 50, first);
  add_step(series, 100, second);

  const std::vector<change_point> points = detect_change_points(series);
  REQUIRE(points.size() == 2);
  CHECK(points[0].index == 50);
  CHECK(points[1].index == 100);
  const std::span<const double> all(series);
  CHECK(points[0].before == mean(all.subspan(0, 50)));
  CHECK(points[0].after == mean(all.subspan(50, 50)));
  CHECK(points[1].before == points[0].after);
  CHECK(points[1].after == mean(all.subspan(100)));
  CHECK(points[0].after - points[0].before == Approx(first).margin(0.005));
  CHECK(points[1].after - points[1].before == Approx(second).margin(0.005));
}

TEST_CASE("a step back to the old level is two change points", "[history][changepoint]") {
  std::vector<double> series = noisy_series(32, 90, 0.01);
  add_step(series, 30, 0.05);
  add_step(series, 60, -0.05);
  const std::vector<change_point> points = detect_change_points(series);
  REQUIRE(points.size() == 2);
  CHECK(points[0].index == 30);
  CHECK(points[1].index == 60);
}

TEST_CASE("the same series and options give the same change points", "[history][changepoint]") {
  std::vector<double> series = noisy_series(41, 365, 0.02);
  add_step(series, 100, 0.03);
  add_step(series, 200, -0.02);
  add_step(series, 300, 0.04);
  for (size_t night = 5; night < series.size(); night += 29) series[night] += 0.2;
  const std::vector<change_point> first = detect_change_points(series);
  const std::vector<change_point> second = detect_change_points(series);
  REQUIRE(!first.empty());
  REQUIRE(first.size() == second.size());
  for (size_t i = 0; i < first.size(); ++i) {
    CAPTURE(i);
    CHECK(first[i].index == second[i].index);
    CHECK(first[i].before == second[i].before);
    CHECK(first[i].after == second[i].after);
    CHECK(first[i].p_value == second[i].p_value);
    CHECK(first[i].statistic == second[i].statistic);
  }
}

TEST_CASE("change points do not depend on the series' offset", "[history][changepoint]") {
  // Only distances enter q-hat, and the permutations depend on the seed and
  // the segment bounds only: moving every night by the same amount (a
  // benchmark measured in other units) changes nothing but the means.
  std::vector<double> series = noisy_series(42, 200, 0.01);
  add_step(series, 60, 0.03);
  add_step(series, 140, -0.04);
  std::vector<double> moved = series;
  for (double& v : moved) v += 5;
  const std::vector<change_point> a = detect_change_points(series);
  const std::vector<change_point> b = detect_change_points(moved);
  REQUIRE(a.size() == 2);
  REQUIRE(b.size() == a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(b[i].index == a[i].index);
    CHECK(b[i].after - b[i].before == Approx(a[i].after - a[i].before).margin(1e-9));
  }
}

TEST_CASE("every side of every split holds at least min_segment runs", "[history][changepoint]") {
  const size_t min_segment = GENERATE(2, 3, 5, 10);
  const uint64_t seed = GENERATE(51, 52, 53);
  CAPTURE(min_segment, seed);
  // Steps every 4 nights and one 2 nights before the end: more candidates
  // than min_segment allows.
  std::vector<double> series = noisy_series(seed, 60, 0.002);
  for (size_t night = 4; night < series.size(); night += 4) add_step(series, night, 0.05);
  add_step(series, 58, 0.1);
  changepoint_options options;
  options.min_segment = min_segment;
  const std::vector<change_point> points = detect_change_points(series, options);
  REQUIRE(!points.empty());
  size_t previous = 0;
  for (const change_point& p : points) {
    CAPTURE(p.index);
    CHECK(p.index - previous >= min_segment);
    previous = p.index;
  }
  CHECK(series.size() - previous >= min_segment);
}

TEST_CASE("a step in the last min_segment nights is seen early or not at all",
          "[history][changepoint]") {
  changepoint_options two;
  two.min_segment = 2;
  SECTION("two nights at the new level: min_segment 2 finds the step, 3 reports it a night early") {
    std::vector<double> series = noisy_series(61, 100, 0.005);
    add_step(series, 98, 0.2);
    const std::vector<change_point> early = detect_change_points(series);
    REQUIRE(early.size() == 1);
    CHECK(early[0].index == 97);  // the last split min_segment 3 allows
    const std::vector<change_point> points = detect_change_points(series, two);
    REQUIRE(points.size() == 1);
    CHECK(points[0].index == 98);
  }
  SECTION("one night at the new level is a spike until the next night") {
    std::vector<double> series = noisy_series(61, 100, 0.005);
    add_step(series, 99, 0.2);
    CHECK(detect_change_points(series).empty());
    CHECK(detect_change_points(series, two).empty());
  }
}

TEST_CASE("series too short to split have no change point", "[history][changepoint]") {
  CHECK(detect_change_points(std::span<const double>{}).empty());
  CHECK(detect_change_points(std::vector<double>{1.0}).empty());
  // Five runs cannot hold two sides of three.
  CHECK(detect_change_points(std::vector<double>{0, 0, 0, 1, 1}).empty());
  // Six runs can, but a shuffle of six puts the three high ones on one side
  // 1 time in 10: p ~ 0.1 is never significant at 0.05.
  CHECK(detect_change_points(std::vector<double>{0, 0, 0, 1, 1, 1}).empty());
  // min_segment 0 and 1 act as 2.
  changepoint_options zero;
  zero.min_segment = 0;
  CHECK(detect_change_points(std::vector<double>{0, 0, 1}, zero).empty());
  // A huge min_segment leaves nothing to split (and does not overflow).
  changepoint_options huge;
  huge.min_segment = std::numeric_limits<size_t>::max();
  CHECK(detect_change_points(noisy_series(71, 50, 0.01), huge).empty());
}

TEST_CASE("a series with a NaN or an infinity has no change point", "[history][changepoint]") {
  const double bad =
      GENERATE(std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
               -std::numeric_limits<double>::infinity());
  const size_t where = GENERATE(0, 40, 99);
  CAPTURE(bad, where);
  std::vector<double> series = noisy_series(81, 100, 0.01);
  add_step(series, 50, 0.1);
  REQUIRE(detect_change_points(series).size() == 1);
  series[where] = bad;
  CHECK(detect_change_points(series).empty());
}

TEST_CASE("options: no permutations, an unreachable or a NaN alpha make nothing significant",
          "[history][changepoint]") {
  std::vector<double> series = noisy_series(91, 100, 0.01);
  add_step(series, 50, 0.1);
  changepoint_options none;
  none.permutations = 0;
  CHECK(detect_change_points(series, none).empty());
  // With 199 permutations p is at least 1/200 = 0.005.
  changepoint_options strict;
  strict.alpha = 0.001;
  CHECK(detect_change_points(series, strict).empty());
  changepoint_options nan_alpha;
  nan_alpha.alpha = std::numeric_limits<double>::quiet_NaN();
  CHECK(detect_change_points(series, nan_alpha).empty());
  changepoint_options more;
  more.permutations = 999;
  more.alpha = 0.001;
  const std::vector<change_point> points = detect_change_points(series, more);
  REQUIRE(points.size() == 1);
  CHECK(points[0].p_value == 1.0 / 1000);
}

TEST_CASE("the O(N log N) q-hat curve agrees with the O(N^2) definition",
          "[history][changepoint]") {
  const size_t count = GENERATE(4, 5, 7, 20, 64, 150);
  const size_t min_segment = GENERATE(0, 2, 3, 5);
  const bool ties = GENERATE(false, true);
  const uint64_t seed = GENERATE(1, 2, 3);
  CAPTURE(count, min_segment, ties, seed);
  std::mt19937_64 rng(seed);
  std::vector<double> series(count);
  for (size_t i = 0; i < count; ++i) {
    double v = gaussian(rng) + (i >= count / 3 ? 1.5 : 0) + (uniform(rng) < 0.05 ? 8 : 0);
    if (ties) v = std::round(v * 2) / 2;  // few distinct values: many exact ties
    series[i] = v;
  }
  const std::vector<double> fast = ediv_statistic_curve(series, min_segment);
  const std::vector<double> slow = brute_force_curve(series, min_segment);
  REQUIRE(fast.size() == count + 1);
  // The curve's terms are sums of up to N^2 / 2 distances of ~1; rounding
  // in either computation is well below 1e-9 of that.
  const double scale = static_cast<double>(count);
  for (size_t tau = 0; tau <= count; ++tau) {
    CAPTURE(tau);
    REQUIRE(std::isnan(fast[tau]) == std::isnan(slow[tau]));
    if (!std::isnan(slow[tau])) CHECK(fast[tau] == Approx(slow[tau]).margin(1e-9 * scale));
  }
}

TEST_CASE("a constant series has a flat zero curve and no change point", "[history][changepoint]") {
  const std::vector<double> series(40, std::log(0.0123));
  for (double q : ediv_statistic_curve(series, 3)) {
    if (!std::isnan(q)) CHECK(q == 0);
  }
  CHECK(detect_change_points(series).empty());
}
