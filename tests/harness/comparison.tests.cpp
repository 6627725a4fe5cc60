// comparison.tests.cpp - what `vmbench compare` concludes from two results
// files built in memory: timing verdicts (regression, improvement,
// unchanged, inconclusive) from samples with fixed-seed noise, the minimum
// effect, too few repetitions, false-discovery-rate control across a suite,
// exact counter comparison with its gates, the machine fingerprint check,
// counters baselines, and the input problems that are errors.

#include "compare/comparison.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace vm::harness;
using json = nlohmann::json;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

bool has_line(const std::vector<std::string>& lines, const std::string& part) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& line) { return contains(line, part); });
}

// Uniform in [0, 1) from the raw 64-bit Mersenne Twister output, which the
// standard fixes bit for bit (std::uniform_real_distribution does not).
double uniform(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

// `count` samples uniformly within center * (1 +- noise).
std::vector<double> noisy(std::mt19937_64& rng, double center, double noise, size_t count = 10) {
  std::vector<double> samples(count);
  for (double& s : samples) s = center * (1 + noise * (2 * uniform(rng) - 1));
  return samples;
}

benchmark_result timed(const std::string& name, std::vector<double> real,
                       std::optional<std::vector<double>> cpu = std::nullopt,
                       json counters = nullptr) {
  benchmark_result b;
  b.name = name;
  b.cpu_time_ns = cpu ? *cpu : real;
  b.real_time_ns = std::move(real);
  b.counters = std::move(counters);
  return b;
}

benchmark_result counted(const std::string& name, json counters) {
  benchmark_result b;
  b.name = name;
  b.counters = std::move(counters);
  return b;
}

fingerprint machine(const std::string& cpu_model = "Test CPU 9000") {
  fingerprint fp;
  fp.machine.cpu_model = cpu_model;
  fp.machine.cpu_flags = {"avx2", "sse4_2"};
  fp.machine.logical_cpus = 4;
  fp.machine.memory_bytes = uint64_t{8} << 30;
  fp.machine.kernel = "Linux 6.1.0";
  fp.machine.governor = "performance";
  fp.build.compiler = "GNU 12.2.0";
  fp.build.build_type = "Release";
  return fp;
}

results_file results(const std::string& path, std::vector<benchmark_result> benchmarks,
                     std::optional<fingerprint> print = machine(),
                     const std::string& suite = "quick") {
  results_file f;
  f.path = path;
  f.kind = results_kind::kResults;
  f.suite = suite;
  f.print = std::move(print);
  f.benchmarks = std::move(benchmarks);
  return f;
}

results_file counters_baseline(std::vector<benchmark_result> benchmarks) {
  results_file f;
  f.path = "baselines/counters/quick.json";
  f.kind = results_kind::kCounters;
  f.suite = "quick";
  f.benchmarks = std::move(benchmarks);
  return f;
}

comparison compare_ok(const results_file& base, const results_file& candidate,
                      const comparison_options& options = {},
                      const thresholds& rules = default_thresholds()) {
  auto c = compare_results(base, candidate, rules, options);
  INFO((c.ok() ? std::string() : c.err().message));
  REQUIRE(c.ok());
  return std::move(c).value();
}

// One benchmark on each side, same machine.
comparison compare_one(const std::vector<double>& base, const std::vector<double>& candidate,
                       const comparison_options& options = {}) {
  return compare_ok(results("base.json", {timed("exec/recorded/sha256", base)}),
                    results("candidate.json", {timed("exec/recorded/sha256", candidate)}), options);
}

std::vector<double> constant(double value, size_t count) {
  return std::vector<double>(count, value);
}

std::vector<double> ramp(double first, double step, size_t count) {
  std::vector<double> v(count);
  for (size_t i = 0; i < count; ++i) v[i] = first + step * static_cast<double>(i);
  return v;
}

}  // namespace

TEST_CASE("verdicts have the names the reports print", "[harness][comparison]") {
  CHECK(std::string(verdict_name(verdict::kRegression)) == "regression");
  CHECK(std::string(verdict_name(verdict::kImprovement)) == "improvement");
  CHECK(std::string(verdict_name(verdict::kUnchanged)) == "unchanged");
  CHECK(std::string(verdict_name(verdict::kInconclusive)) == "inconclusive");
}

TEST_CASE("identical samples are unchanged and give exit status 0", "[harness][comparison]") {
  const uint64_t seed = GENERATE(1, 2, 3, 4);
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  const std::vector<double> samples = noisy(rng, 1e6, 0.01);
  const comparison c = compare_one(samples, samples);
  REQUIRE(c.benchmarks.size() == 1);
  const benchmark_comparison& b = c.benchmarks[0];
  CHECK(b.timing_compared);
  CHECK(b.timing == verdict::kUnchanged);
  CHECK(b.overall() == verdict::kUnchanged);
  CHECK(b.note.empty());
  CHECK(b.ratio == Approx(1).margin(1e-12));
  CHECK(b.ratio_low <= 1);
  CHECK(b.ratio_high >= 1);
  CHECK(b.p_value > 0.9);
  CHECK(b.base_samples == 10);
  CHECK(b.candidate_samples == 10);
  CHECK(b.base_median_ns == b.candidate_median_ns);
  CHECK(b.min_effect == 0.03);
  CHECK(b.min_effect_rule == "default");
  CHECK_FALSE(b.counters_compared);
  CHECK(c.count(verdict::kUnchanged) == 1);
  CHECK(c.count(verdict::kRegression) == 0);
  CHECK(c.exit_status() == 0);
  CHECK(c.geomean_ratio == Approx(1));
  CHECK(c.timings_compared);
  CHECK(c.machines_match);
  CHECK(c.machine_differences.empty());
}

TEST_CASE("a clear 10 % slowdown is a regression and gives exit status 1",
          "[harness][comparison]") {
  const uint64_t seed = GENERATE(1, 2, 3, 4, 5);
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  const std::vector<double> base = noisy(rng, 1e6, 0.01);
  const std::vector<double> candidate = noisy(rng, 1.1e6, 0.01);
  const comparison c = compare_one(base, candidate);
  REQUIRE(c.benchmarks.size() == 1);
  const benchmark_comparison& b = c.benchmarks[0];
  CAPTURE(b.ratio, b.ratio_low, b.ratio_high, b.p_value, b.q_value);
  CHECK(b.timing_compared);
  CHECK(b.timing == verdict::kRegression);
  CHECK(b.overall() == verdict::kRegression);
  CHECK(b.ratio == Approx(1.10).epsilon(0.02));
  CHECK(b.ratio_low <= b.ratio);
  CHECK(b.ratio <= b.ratio_high);
  CHECK(b.ratio_low > 1.03);
  CHECK(b.p_value < 0.001);       // fully separated: 2 / C(20, 10)
  CHECK(b.q_value == b.p_value);  // one test: nothing to adjust
  CHECK(b.note.empty());
  CHECK(b.candidate_median_ns > b.base_median_ns);
  CHECK(c.count(verdict::kRegression) == 1);
  CHECK(c.exit_status() == 1);
  CHECK(c.geomean_ratio == Approx(1.10).epsilon(0.02));
}

TEST_CASE("a clear 10 % speed-up is an improvement and gives exit status 0",
          "[harness][comparison]") {
  const uint64_t seed = GENERATE(1, 2, 3, 4, 5);
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  const std::vector<double> base = noisy(rng, 1.1e6, 0.01);
  const std::vector<double> candidate = noisy(rng, 1e6, 0.01);
  const comparison c = compare_one(base, candidate);
  const benchmark_comparison& b = c.benchmarks.at(0);
  CAPTURE(b.ratio, b.ratio_low, b.ratio_high, b.p_value);
  CHECK(b.timing == verdict::kImprovement);
  CHECK(b.overall() == verdict::kImprovement);
  CHECK(b.ratio == Approx(1 / 1.1).epsilon(0.02));
  CHECK(b.ratio_low <= b.ratio);
  CHECK(b.ratio <= b.ratio_high);
  CHECK(b.ratio_high < 1 / 1.03);
  CHECK(b.p_value < 0.001);
  CHECK(c.count(verdict::kImprovement) == 1);
  CHECK(c.exit_status() == 0);
}

TEST_CASE("a significant 1 % change is not a regression: it is below the 3 % minimum effect",
          "[harness][comparison]") {
  const uint64_t seed = GENERATE(1, 2, 3);
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  const std::vector<double> base = noisy(rng, 1e6, 0.001);
  const std::vector<double> candidate = noisy(rng, 1.01e6, 0.001);
  const comparison c = compare_one(base, candidate);
  const benchmark_comparison& b = c.benchmarks.at(0);
  CAPTURE(b.ratio, b.ratio_low, b.ratio_high, b.p_value);
  CHECK(b.p_value < 0.001);  // significant...
  CHECK(b.ratio == Approx(1.01).epsilon(0.002));
  CHECK(b.timing == verdict::kUnchanged);  // ...but the whole interval is within +-3 %
  CHECK(b.ratio_high < 1.03);
  CHECK(c.exit_status() == 0);
}

TEST_CASE("a significant change below the minimum effect with a wide interval is inconclusive",
          "[harness][comparison]") {
  // 100..104.5 against 102.25..106.75 in steps of 0.5: U = 15, p = 0.00684,
  // ratio ~1.022, 95 % interval ~[1.007, 1.037]: significant, smaller than
  // 3 %, but 3 % is not excluded.
  const comparison c = compare_one(ramp(100, 0.5, 10), ramp(102.25, 0.5, 10));
  const benchmark_comparison& b = c.benchmarks.at(0);
  CAPTURE(b.ratio, b.ratio_low, b.ratio_high, b.p_value);
  CHECK(b.p_value == Approx(0.006841455757864426).epsilon(1e-9));
  CHECK(b.ratio < 1.03);
  CHECK(b.ratio_low > 1);
  CHECK(b.ratio_high > 1.03);
  CHECK(b.timing == verdict::kInconclusive);
  CHECK(b.note ==
        "significant, but the change +2.2% is below the minimum effect while its "
        "interval is not");
  CHECK(c.exit_status() == 0);
}

TEST_CASE("the minimum effect comes from the thresholds rule that matches the benchmark",
          "[harness][comparison]") {
  auto rules = parse_thresholds(
      R"({"schema_version": 1, "rules": [{"match": "^exec/", "min_effect": 0.15}]})", "t.json");
  REQUIRE(rules.ok());
  std::mt19937_64 rng(7);
  const std::vector<double> base = noisy(rng, 1e6, 0.01);
  const std::vector<double> slower = noisy(rng, 1.1e6, 0.01);
  const comparison c = compare_ok(
      results("base.json", {timed("exec/recorded/sha256", base), timed("mem/a", base)}),
      results("candidate.json", {timed("exec/recorded/sha256", slower), timed("mem/a", slower)}),
      {}, rules.value());
  REQUIRE(c.benchmarks.size() == 2);
  CHECK(c.benchmarks[0].min_effect == 0.15);
  CHECK(c.benchmarks[0].min_effect_rule == "rules[0] (^exec/)");
  CHECK(c.benchmarks[0].timing == verdict::kUnchanged);  // 10 % is within +-15 %
  CHECK(c.benchmarks[1].min_effect == 0.03);
  CHECK(c.benchmarks[1].min_effect_rule == "default");
  CHECK(c.benchmarks[1].timing == verdict::kRegression);
  CHECK(c.exit_status() == 1);
}

TEST_CASE("huge noise is inconclusive and says why", "[harness][comparison]") {
  SECTION("interleaved samples spread over +-30 %") {
    const comparison c = compare_one({70, 85, 100, 115, 130}, {72, 84, 101, 114, 131});
    const benchmark_comparison& b = c.benchmarks.at(0);
    CAPTURE(b.ratio, b.ratio_low, b.ratio_high, b.p_value);
    CHECK(b.timing_compared);
    CHECK(b.timing == verdict::kInconclusive);
    CHECK(b.p_value > 0.5);
    CHECK(b.ratio_low < 1 / 1.03);
    CHECK(b.ratio_high > 1.03);
    CHECK(b.note ==
          "the interval is wider than the minimum effect (+-3.0%); more repetitions or a quieter "
          "machine would decide");
    CHECK(c.exit_status() == 0);
  }
  SECTION("random noise of +-30 % around the same time") {
    const uint64_t seed = GENERATE(1, 2, 3, 4, 5);
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    const std::vector<double> base = noisy(rng, 1e6, 0.3);
    const std::vector<double> candidate = noisy(rng, 1e6, 0.3);
    const comparison c = compare_one(base, candidate);
    const benchmark_comparison& b = c.benchmarks.at(0);
    CAPTURE(b.ratio, b.ratio_low, b.ratio_high, b.p_value);
    CHECK(b.timing == verdict::kInconclusive);
    CHECK(contains(b.note, "the interval is wider than the minimum effect"));
    CHECK(c.exit_status() == 0);
  }
}

TEST_CASE("too few repetitions cannot reach significance and say so", "[harness][comparison]") {
  SECTION("two per side: even a 50 % slowdown is inconclusive") {
    const comparison c = compare_one({100, 101}, {150, 151});
    const benchmark_comparison& b = c.benchmarks.at(0);
    CHECK(b.timing_compared);
    CHECK(b.base_samples == 2);
    CHECK(b.candidate_samples == 2);
    CHECK(b.p_value == Approx(1.0 / 3));  // 2 / C(4, 2)
    CHECK(b.timing == verdict::kInconclusive);
    CHECK(b.note ==
          "2 and 2 repetitions cannot reach significance at alpha 0.05; run at least 5 "
          "repetitions per side");
    CHECK(c.exit_status() == 0);
  }
  SECTION("three per side") {
    const comparison c = compare_one({100, 101, 102}, {150, 151, 152});
    CHECK(c.benchmarks.at(0).timing == verdict::kInconclusive);
    CHECK(contains(c.benchmarks.at(0).note, "3 and 3 repetitions cannot reach significance"));
  }
  SECTION("four per side can: 2 / C(8, 4) < 0.05") {
    const comparison c = compare_one({100, 100.5, 101, 101.5}, {110, 110.5, 111, 111.5});
    const benchmark_comparison& b = c.benchmarks.at(0);
    CHECK(b.p_value == Approx(2.0 / 70));
    CHECK(b.timing == verdict::kRegression);
    CHECK(b.note.empty());
    CHECK(c.exit_status() == 1);
  }
  SECTION("a stricter alpha needs more") {
    comparison_options options;
    options.alpha = 0.01;
    const comparison c = compare_one({100, 100.5, 101, 101.5}, {110, 110.5, 111, 111.5}, options);
    const benchmark_comparison& b = c.benchmarks.at(0);
    CHECK(b.timing == verdict::kInconclusive);
    CHECK(b.note ==
          "4 and 4 repetitions cannot reach significance at alpha 0.01; run at least 5 "
          "repetitions per side");
  }
}

TEST_CASE("false-discovery control across 20 benchmarks removes a marginal regression",
          "[harness][comparison]") {
  // 19 benchmarks with identical samples (p = 1) and one whose candidate is
  // 4.5 % slower with overlapping samples: 100..109 against 104.5..113.5,
  // U = 15 of 100 pairs, exact two-sided p = 0.00684. Benjamini-Hochberg and
  // Holm both multiply it by 20 (0.137 > 0.05); without control it is a
  // regression.
  std::vector<benchmark_result> base, candidate;
  std::mt19937_64 rng(11);
  for (int i = 0; i < 19; ++i) {
    const std::string name = std::string("mem/steady-") + std::to_string(i);
    const std::vector<double> samples = noisy(rng, 1e5 * (i + 1), 0.01);
    base.push_back(timed(name, samples));
    candidate.push_back(timed(name, samples));
  }
  base.insert(base.begin() + 7, timed("mem/marginal", ramp(100, 1, 10)));
  candidate.insert(candidate.begin() + 7, timed("mem/marginal", ramp(104.5, 1, 10)));
  const results_file b = results("base.json", base);
  const results_file c = results("candidate.json", candidate);

  auto marginal = [](const comparison& result) -> const benchmark_comparison& {
    REQUIRE(result.benchmarks.size() == 20);
    REQUIRE(result.benchmarks[7].name == "mem/marginal");
    return result.benchmarks[7];
  };
  comparison_options none;
  none.fdr = "none";
  const comparison unadjusted = compare_ok(b, c, none);
  const benchmark_comparison& raw = marginal(unadjusted);
  CAPTURE(raw.p_value, raw.ratio, raw.ratio_low, raw.ratio_high);
  REQUIRE(raw.p_value == Approx(0.006841455757864426).epsilon(1e-9));
  CHECK(raw.q_value == raw.p_value);
  CHECK(raw.ratio >= 1.03);
  CHECK(raw.timing == verdict::kRegression);
  CHECK(unadjusted.exit_status() == 1);

  const std::string method = GENERATE(as<std::string>{}, "bh", "holm");
  CAPTURE(method);
  comparison_options controlled;
  controlled.fdr = method;
  const comparison adjusted = compare_ok(b, c, controlled);
  const benchmark_comparison& q = marginal(adjusted);
  CHECK(q.p_value == raw.p_value);
  CHECK(q.q_value == Approx(20 * raw.p_value));
  CHECK(q.timing == verdict::kInconclusive);
  CHECK(contains(q.note, "the interval is wider than the minimum effect"));
  CHECK(adjusted.count(verdict::kRegression) == 0);
  CHECK(adjusted.count(verdict::kUnchanged) == 19);
  CHECK(adjusted.exit_status() == 0);
  for (const benchmark_comparison& other : adjusted.benchmarks) {
    CAPTURE(other.name);
    CHECK(other.q_value >= other.p_value);
  }
}

TEST_CASE("a strong regression survives false-discovery control among 20 benchmarks",
          "[harness][comparison]") {
  std::vector<benchmark_result> base, candidate;
  std::mt19937_64 rng(12);
  for (int i = 0; i < 19; ++i) {
    const std::string name = std::string("mem/steady-") + std::to_string(i);
    const std::vector<double> samples = noisy(rng, 1e5, 0.01);
    base.push_back(timed(name, samples));
    candidate.push_back(timed(name, samples));
  }
  base.push_back(timed("mem/slower", noisy(rng, 1e5, 0.01)));
  candidate.push_back(timed("mem/slower", noisy(rng, 1.1e5, 0.01)));
  const std::string method = GENERATE(as<std::string>{}, "bh", "holm", "none");
  CAPTURE(method);
  comparison_options options;
  options.fdr = method;
  const comparison c =
      compare_ok(results("base.json", base), results("candidate.json", candidate), options);
  REQUIRE(c.benchmarks.size() == 20);
  const benchmark_comparison& slower = c.benchmarks.back();
  CHECK(slower.name == "mem/slower");
  CHECK(slower.q_value == Approx(method == "none" ? 2.0 / 184756 : 20 * 2.0 / 184756));
  CHECK(slower.timing == verdict::kRegression);
  CHECK(c.count(verdict::kRegression) == 1);
  CHECK(c.exit_status() == 1);
}

TEST_CASE("the compared metric is real time unless cpu_time is asked for",
          "[harness][comparison]") {
  std::mt19937_64 rng(21);
  const std::vector<double> wall = noisy(rng, 1e6, 0.01);
  const std::vector<double> cpu_base = noisy(rng, 5e5, 0.01);
  const std::vector<double> cpu_slower = noisy(rng, 5.5e5, 0.01);
  const results_file base = results("base.json", {timed("exec/a", wall, cpu_base)});
  const results_file candidate = results("candidate.json", {timed("exec/a", wall, cpu_slower)});

  const comparison real = compare_ok(base, candidate);
  CHECK(real.benchmarks.at(0).timing == verdict::kUnchanged);
  CHECK(real.benchmarks.at(0).base_median_ns == Approx(1e6).epsilon(0.01));
  CHECK(real.exit_status() == 0);

  comparison_options options;
  options.metric = "cpu_time";
  const comparison cpu = compare_ok(base, candidate, options);
  CHECK(cpu.benchmarks.at(0).timing == verdict::kRegression);
  CHECK(cpu.benchmarks.at(0).base_median_ns == Approx(5e5).epsilon(0.01));
  CHECK(cpu.benchmarks.at(0).ratio == Approx(1.1).epsilon(0.02));
  CHECK(cpu.options.metric == "cpu_time");
  CHECK(cpu.exit_status() == 1);
}

TEST_CASE(
    "a benchmark without samples on one side is inconclusive and left out of the suite statistics",
    "[harness][comparison]") {
  std::mt19937_64 rng(31);
  const std::vector<double> samples = noisy(rng, 1e6, 0.01);
  const comparison c = compare_ok(
      results("base.json", {timed("exec/failed", samples), timed("exec/ok", constant(100, 5))}),
      results("candidate.json", {timed("exec/failed", {}), timed("exec/ok", constant(121, 5))}));
  REQUIRE(c.benchmarks.size() == 2);
  const benchmark_comparison& failed = c.benchmarks[0];
  CHECK_FALSE(failed.timing_compared);
  CHECK(failed.timing == verdict::kInconclusive);
  CHECK(failed.note == "no timing samples in the candidate");
  CHECK(failed.base_samples == 10);
  CHECK(failed.candidate_samples == 0);
  // The geometric mean is over the compared benchmark only.
  CHECK(c.geomean_ratio == Approx(1.21));
  CHECK(c.timings_compared);

  const comparison reversed =
      compare_ok(results("base.json", {timed("exec/failed", {})}),
                 results("candidate.json", {timed("exec/failed", samples)}));
  CHECK(reversed.benchmarks.at(0).note == "no timing samples in the base");
  CHECK_FALSE(reversed.timings_compared);  // nothing was compared
  CHECK(reversed.geomean_ratio == 0);
  const comparison neither = compare_ok(results("base.json", {timed("exec/failed", {})}),
                                        results("candidate.json", {timed("exec/failed", {})}));
  CHECK(neither.benchmarks.at(0).note == "no timing samples on either side");
}

TEST_CASE("the geometric mean ratio is over the medians of every compared benchmark",
          "[harness][comparison]") {
  const comparison c = compare_ok(
      results("base.json", {timed("a", constant(100, 5)), timed("b", constant(200, 5)),
                            timed("c", constant(300, 5))}),
      results("candidate.json", {timed("a", constant(121, 5)), timed("b", constant(200, 5)),
                                 timed("c", constant(300, 5))}));
  CHECK(c.geomean_ratio == Approx(std::pow(1.21, 1.0 / 3)));
  CHECK(c.benchmarks.at(0).base_median_ns == 100);
  CHECK(c.benchmarks.at(0).candidate_median_ns == 121);

  const comparison symmetric = compare_ok(
      results("base.json", {timed("a", constant(100, 5)), timed("b", constant(110, 5))}),
      results("candidate.json", {timed("a", constant(110, 5)), timed("b", constant(100, 5))}));
  CHECK(symmetric.geomean_ratio == Approx(1));
}

TEST_CASE("a changed gating counter is a regression even when the timing is unchanged",
          "[harness][comparison]") {
  std::mt19937_64 rng(41);
  const std::vector<double> samples = noisy(rng, 1e6, 0.01);
  const json base_counters = {
      {"instret", 100}, {"tlb.l1.misses", 10}, {"register_hash", "xxh3-128:aa"}};
  json candidate_counters = base_counters;

  SECTION("an increase") {
    candidate_counters["instret"] = 105;
    const comparison c = compare_ok(
        results("base.json", {timed("exec/a", samples, std::nullopt, base_counters)}),
        results("candidate.json", {timed("exec/a", samples, std::nullopt, candidate_counters)}));
    const benchmark_comparison& b = c.benchmarks.at(0);
    CHECK(b.timing == verdict::kUnchanged);
    CHECK(b.counters_compared);
    CHECK(b.counters_gate_failed);
    CHECK(b.overall() == verdict::kRegression);
    REQUIRE(b.counter_changes.size() == 1);
    CHECK(b.counter_changes[0].name == "instret");
    CHECK(b.counter_changes[0].base == "100");
    CHECK(b.counter_changes[0].candidate == "105");
    CHECK(b.counter_changes[0].delta == "+5");
    CHECK(b.counter_changes[0].gates);
    CHECK(c.count(verdict::kRegression) == 1);
    CHECK(c.count(verdict::kUnchanged) == 0);
    CHECK(c.exit_status() == 1);
  }
  SECTION("a decrease") {
    candidate_counters["tlb.l1.misses"] = 7;
    const comparison c = compare_ok(
        results("base.json", {timed("exec/a", samples, std::nullopt, base_counters)}),
        results("candidate.json", {timed("exec/a", samples, std::nullopt, candidate_counters)}));
    const benchmark_comparison& b = c.benchmarks.at(0);
    REQUIRE(b.counter_changes.size() == 1);
    CHECK(b.counter_changes[0].delta == "-3");
    CHECK(b.overall() == verdict::kRegression);
    CHECK(c.exit_status() == 1);
  }
  SECTION("a string counter") {
    candidate_counters["register_hash"] = "xxh3-128:bb";
    const comparison c = compare_ok(
        results("base.json", {timed("exec/a", samples, std::nullopt, base_counters)}),
        results("candidate.json", {timed("exec/a", samples, std::nullopt, candidate_counters)}));
    const benchmark_comparison& b = c.benchmarks.at(0);
    REQUIRE(b.counter_changes.size() == 1);
    CHECK(b.counter_changes[0].base == "xxh3-128:aa");
    CHECK(b.counter_changes[0].candidate == "xxh3-128:bb");
    CHECK(b.counter_changes[0].delta.empty());
    CHECK(b.counters_gate_failed);
    CHECK(c.exit_status() == 1);
  }
  SECTION("no change") {
    const comparison c = compare_ok(
        results("base.json", {timed("exec/a", samples, std::nullopt, base_counters)}),
        results("candidate.json", {timed("exec/a", samples, std::nullopt, candidate_counters)}));
    const benchmark_comparison& b = c.benchmarks.at(0);
    CHECK(b.counters_compared);
    CHECK(b.counter_changes.empty());
    CHECK_FALSE(b.counters_gate_failed);
    CHECK(b.overall() == verdict::kUnchanged);
    CHECK(c.exit_status() == 0);
  }
}

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

TEST_CASE("counter deltas are exact over the whole unsigned 64-bit range",
          "[harness][comparison]") {
  const auto [base, candidate, delta] = GENERATE(table<uint64_t, uint64_t, std::string>({
      {0, kMax, "+18446744073709551615"},
      {kMax, 0, "-18446744073709551615"},
      {(uint64_t{1} << 63), (uint64_t{1} << 63) + 1, "+1"},  // not representable as double
      {(uint64_t{1} << 53) + 1, (uint64_t{1} << 53), "-1"},
  }));
  CAPTURE(base, candidate);
  const comparison c =
      compare_ok(results("base.json", {counted("a", {{"n", base}})}, std::nullopt),
                 results("candidate.json", {counted("a", {{"n", candidate}})}, std::nullopt));
  const benchmark_comparison& b = c.benchmarks.at(0);
  REQUIRE(b.counter_changes.size() == 1);
  CHECK(b.counter_changes[0].base == std::to_string(base));
  CHECK(b.counter_changes[0].candidate == std::to_string(candidate));
  CHECK(b.counter_changes[0].delta == delta);
}

TEST_CASE("counters equal in value compare equal whatever their JSON integer type",
          "[harness][comparison]") {
  // A counter read from a file is unsigned; one built in memory may be signed.
  const json from_file = json::parse(R"({"instret": 5, "hash": "x"})");
  const json in_memory = {{"instret", int64_t{5}}, {"hash", "x"}};
  REQUIRE(from_file["instret"].is_number_unsigned());
  REQUIRE_FALSE(in_memory["instret"].is_number_unsigned());
  const comparison c =
      compare_ok(results("base.json", {counted("a", from_file)}, std::nullopt),
                 results("candidate.json", {counted("a", in_memory)}, std::nullopt));
  CHECK(c.benchmarks.at(0).counters_compared);
  CHECK(c.benchmarks.at(0).counter_changes.empty());
  CHECK(c.exit_status() == 0);
}

TEST_CASE("a change of a counter that does not gate is reported but does not fail",
          "[harness][comparison]") {
  auto rules = parse_thresholds(
      R"({"schema_version": 1, "default": {"gate_counters": "^instret$"}})", "t.json");
  REQUIRE(rules.ok());
  std::mt19937_64 rng(51);
  const std::vector<double> samples = noisy(rng, 1e6, 0.01);
  const comparison c = compare_ok(
      results("base.json",
              {timed("mem/a", samples, std::nullopt, {{"instret", 100}, {"tlb.l1.misses", 10}})}),
      results("candidate.json",
              {timed("mem/a", samples, std::nullopt, {{"instret", 100}, {"tlb.l1.misses", 12}})}),
      {}, rules.value());
  const benchmark_comparison& b = c.benchmarks.at(0);
  REQUIRE(b.counter_changes.size() == 1);
  CHECK(b.counter_changes[0].name == "tlb.l1.misses");
  CHECK(b.counter_changes[0].delta == "+2");
  CHECK_FALSE(b.counter_changes[0].gates);
  CHECK_FALSE(b.counters_gate_failed);
  CHECK(b.overall() == verdict::kUnchanged);
  CHECK(c.exit_status() == 0);
}

TEST_CASE("a counter on one side only shows as absent on the other", "[harness][comparison]") {
  const comparison c = compare_ok(
      results("base.json", {counted("a", {{"kept", 1}, {"removed", 3}})}, std::nullopt),
      results("candidate.json", {counted("a", {{"kept", 1}, {"added", "h"}})}, std::nullopt));
  const benchmark_comparison& b = c.benchmarks.at(0);
  REQUIRE(b.counter_changes.size() == 2);  // in name order
  CHECK(b.counter_changes[0].name == "added");
  CHECK(b.counter_changes[0].base == "(absent)");
  CHECK(b.counter_changes[0].candidate == "h");
  CHECK(b.counter_changes[0].delta.empty());
  CHECK(b.counter_changes[1].name == "removed");
  CHECK(b.counter_changes[1].base == "3");
  CHECK(b.counter_changes[1].candidate == "(absent)");
  CHECK(b.counter_changes[1].delta.empty());
  // Every counter gates by default: a counter appearing or vanishing fails.
  CHECK(b.counter_changes[0].gates);
  CHECK(b.counters_gate_failed);
  CHECK(c.exit_status() == 1);
}

TEST_CASE("timings from different machines are not compared unless allowed, but counters still are",
          "[harness][comparison]") {
  std::mt19937_64 rng(61);
  const std::vector<double> base_samples = noisy(rng, 1e6, 0.01);
  const std::vector<double> slower = noisy(rng, 1.1e6, 0.01);
  fingerprint other = machine("Other CPU 1");
  other.machine.logical_cpus = 16;
  const results_file base =
      results("base.json", {timed("exec/slower", base_samples),
                            timed("exec/counted", base_samples, std::nullopt, {{"n", 1}})});
  const results_file same_counters = results(
      "candidate.json",
      {timed("exec/slower", slower), timed("exec/counted", base_samples, std::nullopt, {{"n", 1}})},
      other);
  const results_file changed_counters = results(
      "candidate.json",
      {timed("exec/slower", slower), timed("exec/counted", base_samples, std::nullopt, {{"n", 2}})},
      other);

  SECTION("refused") {
    const comparison c = compare_ok(base, same_counters);
    CHECK_FALSE(c.machines_match);
    CHECK(c.machine_differences ==
          std::vector<std::string>{"cpu model: Test CPU 9000 vs Other CPU 1",
                                   "logical cpus: 4 vs 16"});
    CHECK_FALSE(c.timings_compared);
    CHECK(has_line(c.warnings, "timings not compared: the files come from different machines"));
    for (const benchmark_comparison& b : c.benchmarks) {
      CAPTURE(b.name);
      CHECK_FALSE(b.timing_compared);
      CHECK(b.timing == verdict::kInconclusive);
      CHECK(b.note == "timings not compared: different machines");
    }
    CHECK(c.benchmarks.at(1).counters_compared);
    CHECK(c.geomean_ratio == 0);
    CHECK(c.exit_status() == 0);  // the 10 % slowdown is not seen

    const comparison counted = compare_ok(base, changed_counters);
    CHECK_FALSE(counted.timings_compared);
    CHECK(counted.benchmarks.at(1).counters_gate_failed);
    CHECK(counted.benchmarks.at(1).overall() == verdict::kRegression);
    CHECK(counted.exit_status() == 1);
  }
  SECTION("allowed") {
    comparison_options options;
    options.allow_different_machines = true;
    const comparison c = compare_ok(base, same_counters, options);
    CHECK_FALSE(c.machines_match);
    CHECK(c.timings_compared);
    CHECK(has_line(c.warnings,
                   "timings from different machines compared (--allow-different-machines)"));
    CHECK(c.benchmarks.at(0).timing_compared);
    CHECK(c.benchmarks.at(0).timing == verdict::kRegression);
    CHECK(c.exit_status() == 1);
  }
}

TEST_CASE("minor fingerprint differences are warnings, not a refusal", "[harness][comparison]") {
  fingerprint newer = machine();
  newer.machine.kernel = "Linux 6.6.0";
  newer.build.compiler = "Clang 17.0.0";
  std::mt19937_64 rng(71);
  const std::vector<double> samples = noisy(rng, 1e6, 0.01);
  const comparison c = compare_ok(results("base.json", {timed("a", samples)}),
                                  results("candidate.json", {timed("a", samples)}, newer));
  CHECK(c.machines_match);
  CHECK(c.timings_compared);
  CHECK(c.benchmarks.at(0).timing_compared);
  CHECK(has_line(c.warnings, "the runs differ in kernel: Linux 6.1.0 vs Linux 6.6.0"));
  CHECK(has_line(c.warnings, "the runs differ in compiler: GNU 12.2.0 vs Clang 17.0.0"));
}

TEST_CASE("a fingerprint on one side only stops timings as different machines would",
          "[harness][comparison]") {
  std::mt19937_64 rng(81);
  const std::vector<double> samples = noisy(rng, 1e6, 0.01);
  const bool base_has_it = GENERATE(true, false);
  CAPTURE(base_has_it);
  const results_file base = results("base.json", {timed("a", samples)},
                                    base_has_it ? std::optional(machine()) : std::nullopt);
  const results_file candidate = results("candidate.json", {timed("a", samples)},
                                         base_has_it ? std::nullopt : std::optional(machine()));
  const comparison refused = compare_ok(base, candidate);
  CHECK_FALSE(refused.machines_match);
  CHECK(refused.machine_differences ==
        std::vector<std::string>{std::string("fingerprint: only the ") +
                                 (base_has_it ? "base" : "candidate") + " has one"});
  CHECK_FALSE(refused.timings_compared);
  CHECK(has_line(refused.warnings, "only one file has a machine fingerprint"));
  CHECK_FALSE(refused.benchmarks.at(0).timing_compared);

  comparison_options options;
  options.allow_different_machines = true;
  const comparison allowed = compare_ok(base, candidate, options);
  CHECK(allowed.timings_compared);
  CHECK(allowed.benchmarks.at(0).timing == verdict::kUnchanged);
}

TEST_CASE("files without fingerprints are compared with a warning", "[harness][comparison]") {
  std::mt19937_64 rng(91);
  const std::vector<double> samples = noisy(rng, 1e6, 0.01);
  results_file base = results("base.json", {timed("BM_a", samples)}, std::nullopt, "");
  results_file candidate = results("candidate.json", {timed("BM_a", samples)}, std::nullopt, "");
  base.kind = candidate.kind = results_kind::kGoogleBenchmark;
  const comparison c = compare_ok(base, candidate);
  CHECK(c.machines_match);
  CHECK(c.timings_compared);
  CHECK(has_line(c.warnings, "neither file has a vmbench fingerprint"));
  CHECK(c.benchmarks.at(0).timing == verdict::kUnchanged);
  CHECK(c.suite.empty());
}

TEST_CASE("the runs' own warnings and a suite mismatch are passed on", "[harness][comparison]") {
  std::mt19937_64 rng(101);
  const std::vector<double> samples = noisy(rng, 1e6, 0.01);
  results_file base = results("base.json", {timed("a", samples)}, machine(), "quick");
  results_file candidate = results("candidate.json", {timed("a", samples)}, machine(), "nightly");
  base.warnings = {"high load: 3.0"};
  candidate.warnings = {"cpu frequency scaling: governor is powersave"};
  const comparison c = compare_ok(base, candidate);
  CHECK(c.suite == "nightly");
  CHECK(has_line(c.warnings, "the files come from different suites: quick vs nightly"));
  CHECK(has_line(c.warnings, "candidate run: cpu frequency scaling: governor is powersave"));
  CHECK(has_line(c.warnings, "base run: high load: 3.0"));
  CHECK(c.base_path == "base.json");
  CHECK(c.candidate_path == "candidate.json");
}

TEST_CASE("a counters baseline as the base compares counters only", "[harness][comparison]") {
  std::mt19937_64 rng(111);
  const results_file base = counters_baseline({counted("exec/a", {{"instret", 10}, {"hash", "h"}}),
                                               counted("exec/b", {{"instret", 20}}),
                                               counted("exec/gone", {{"instret", 30}})});
  const results_file candidate = results(
      "candidate.json",
      {timed("exec/a", noisy(rng, 1e6, 0.01), std::nullopt, {{"instret", 10}, {"hash", "h"}}),
       timed("exec/b", noisy(rng, 1e6, 0.01), std::nullopt, {{"instret", 21}}),
       timed("exec/new", noisy(rng, 1e6, 0.01), std::nullopt, {{"instret", 1}})});
  const comparison c = compare_ok(base, candidate);
  CHECK_FALSE(c.timings_compared);
  CHECK(has_line(c.warnings, "the base is a counters baseline: only counters are compared"));
  CHECK(c.only_in_base == std::vector<std::string>{"exec/gone"});
  CHECK(c.only_in_candidate == std::vector<std::string>{"exec/new"});
  REQUIRE(c.benchmarks.size() == 2);
  for (const benchmark_comparison& b : c.benchmarks) {
    CAPTURE(b.name);
    CHECK_FALSE(b.timing_compared);
    CHECK(b.timing == verdict::kInconclusive);
    CHECK(b.note.rfind("counters only", 0) == 0);
    CHECK(b.counters_compared);
  }
  CHECK(c.benchmarks[0].overall() == verdict::kInconclusive);
  CHECK(c.benchmarks[0].note == "counters only: all 2 counters equal");
  CHECK(c.benchmarks[1].note == "counters only");
  CHECK(c.benchmarks[1].counter_changes.size() == 1);
  CHECK(c.benchmarks[1].counter_changes.at(0).delta == "+1");
  CHECK(c.benchmarks[1].overall() == verdict::kRegression);
  CHECK(c.geomean_ratio == 0);
  CHECK(c.exit_status() == 1);
}

TEST_CASE("benchmarks on one side only are listed, and the rest compared in candidate order",
          "[harness][comparison]") {
  const comparison c = compare_ok(
      results("base.json", {timed("a", constant(100, 5)), timed("b", constant(100, 5)),
                            timed("c", constant(100, 5))}),
      results("candidate.json", {timed("c", constant(100, 5)), timed("d", constant(100, 5)),
                                 timed("a", constant(100, 5))}));
  CHECK(c.only_in_base == std::vector<std::string>{"b"});
  CHECK(c.only_in_candidate == std::vector<std::string>{"d"});
  REQUIRE(c.benchmarks.size() == 2);
  CHECK(c.benchmarks[0].name == "c");
  CHECK(c.benchmarks[1].name == "a");
  CHECK(c.exit_status() == 0);
}

TEST_CASE("two files without a benchmark in common are an error", "[harness][comparison]") {
  auto c = compare_results(
      results("base.json", {timed("a", constant(1, 5))}),
      results("candidate.json", {timed("b", constant(1, 5)), timed("c", constant(1, 5))}),
      default_thresholds(), {});
  REQUIRE_FALSE(c.ok());
  CHECK(c.err().code == vm::error_code::kBadInput);
  CHECK(c.err().message == "no benchmark in common between base.json (1) and candidate.json (2)");
}

TEST_CASE("invalid comparison options are errors", "[harness][comparison]") {
  const results_file base = results("base.json", {timed("a", constant(1, 5))});
  const results_file candidate = results("candidate.json", {timed("a", constant(1, 5))});
  comparison_options options;
  std::string message;
  SECTION("metric") {
    options.metric = "wall_time";
    message = "--metric: 'wall_time' is not real_time or cpu_time";
  }
  SECTION("fdr") {
    options.fdr = "BH";
    message = "--fdr: 'BH' is not bh, holm or none";
  }
  SECTION("alpha") {
    options.alpha = GENERATE(0.0, 1.0, -0.05, 5.0, std::numeric_limits<double>::quiet_NaN());
    message = "--alpha must lie in (0, 1)";
  }
  CAPTURE(options.metric, options.fdr, options.alpha);
  auto c = compare_results(base, candidate, default_thresholds(), options);
  REQUIRE_FALSE(c.ok());
  CHECK(c.err().code == vm::error_code::kInvalidArgument);
  CHECK(c.err().message == message);
}
