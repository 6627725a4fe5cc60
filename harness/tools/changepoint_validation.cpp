// changepoint_validation.cpp - how well detect_change_points finds steps in
// synthetic nightly histories, how often it reports one that is not there,
// and what it costs per series (docs/SIGNAL.md, `ci/signal changepoint`).
//
// The model of one benchmark's history: `nights` values of log(time) with
// Gaussian noise of standard deviation `noise` (0.01 in log is ~1 %), plus
//   - step histories: `steps` sustained steps, each log(1.01)..log(1.05)
//     (1-5 %, uniform over the five sizes) with a random sign, at random
//     nights at least `gap` nights apart and from either end;
//   - null histories: no step;
//   - recent-step histories: one step of 1-5 % (random sign), `k` nights
//     before the end, for each k of --recent: how soon a step is seen;
// and, in all of them, one-night spikes of +10..+30 % on each night with
// probability 1/`spike-every` (a busy host or a cold cache on one night).
//
// A step counts as found when a change point lies within `within` nights of
// it; every change point farther than that from all steps is false. False
// change points up to `near` nights from a step are also counted apart:
// they are a step found at the wrong night, not a step that is not there.
//
// Every figure but the time per series is a function of the options alone:
// the histories come from std::mt19937_64's raw output (fixed by the
// standard) seeded from --seed, the noise level and the history number, and
// the detector is deterministic. --no-timing leaves the timings out so that
// two runs can be diffed.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <limits>
#include <nlohmann/json.hpp>
#include <numbers>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "atomic_file.h"
#include "history/changepoint.h"

namespace {

using vm::harness::change_point;
using vm::harness::changepoint_options;

constexpr int kExitOk = 0;
constexpr int kExitBadInput = 2;
constexpr size_t kStepSizes = 5;  // steps of 1, 2, 3, 4 and 5 %

struct validation_options {
  size_t histories = 200;
  uint64_t seed = 1;
  std::vector<double> noise_percent{0.5, 1, 2};
  size_t nights = 365;
  size_t steps = 4;
  size_t gap = 20;
  double spike_every = 30;
  size_t within = 3;
  size_t near = 10;
  std::vector<size_t> recent{3, 5, 10, 20};
  changepoint_options detector;
  std::string json_path;
  bool timing = true;
};

// Uniform in [0, 1) from the raw 64-bit output, which the standard fixes bit
// for bit (std::uniform_real_distribution and std::normal_distribution are
// implementation-defined).
double uniform(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

// Standard normal by Box-Muller.
double gaussian(std::mt19937_64& rng) {
  const double u1 = 1 - uniform(rng);  // (0, 1]: log(u1) is finite
  const double u2 = uniform(rng);
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
}

size_t uniform_index(std::mt19937_64& rng, size_t count) {
  return std::min(count - 1, static_cast<size_t>(uniform(rng) * static_cast<double>(count)));
}

struct injected_step {
  size_t night = 0;       // first night at the new level
  size_t size_index = 0;  // 0..4: a step of (size_index + 1) %
};

struct synthetic_history {
  std::vector<double> log_times;
  std::vector<injected_step> steps;
};

// Random step nights, every step at least `gap` nights from the next one
// and from either end: `steps` sorted uniform offsets into the nights left
// over once the gaps are set aside, the i-th shifted by i + 1 gaps.
std::vector<size_t> step_nights(std::mt19937_64& rng, const validation_options& o) {
  const size_t slack = o.nights - 2 * o.gap - (o.steps - 1) * o.gap;
  std::vector<size_t> offsets(o.steps);
  for (size_t& offset : offsets) offset = uniform_index(rng, slack + 1);
  std::sort(offsets.begin(), offsets.end());
  for (size_t i = 0; i < offsets.size(); ++i) offsets[i] += o.gap + i * o.gap;
  return offsets;
}

// Which histories: with `steps` steps, without any, or with one step
// `recent[i]` nights before the end (kind = kRecent + i).
using history_kind = uint32_t;
constexpr history_kind kNull = 0;
constexpr history_kind kSteps = 1;
constexpr history_kind kRecent = 2;

synthetic_history make_history(const validation_options& o, double noise_sd, history_kind kind,
                               uint64_t seed) {
  std::mt19937_64 rng(seed);
  synthetic_history h;
  if (kind == kSteps && o.steps > 0) {
    for (size_t night : step_nights(rng, o))
      h.steps.push_back({night, uniform_index(rng, kStepSizes)});
  } else if (kind >= kRecent) {
    h.steps.push_back({o.nights - o.recent[kind - kRecent], uniform_index(rng, kStepSizes)});
  }
  h.log_times.resize(o.nights);
  double level = std::log(1e-3);  // 1 ms; only differences matter
  size_t next_step = 0;
  for (size_t night = 0; night < o.nights; ++night) {
    if (next_step < h.steps.size() && h.steps[next_step].night == night) {
      const double size =
          std::log(1 + 0.01 * static_cast<double>(h.steps[next_step].size_index + 1));
      level += (rng() & 1) ? size : -size;
      ++next_step;
    }
    double value = level + noise_sd * gaussian(rng);
    if (uniform(rng) * o.spike_every < 1) value += std::log(1.10 + 0.20 * uniform(rng));
    h.log_times[night] = value;
  }
  return h;
}

struct tally {
  size_t histories = 0;
  size_t nights = 0;
  size_t steps = 0, found = 0, exact = 0;
  std::array<size_t, kStepSizes> steps_by_size{}, found_by_size{};
  size_t false_points = 0;
  size_t false_points_near_a_step = 0;
  size_t histories_with_false_points = 0;
  double seconds = 0;

  // Percent; NaN (printed "-") when there is nothing to share.
  double share(size_t part, size_t whole) const {
    return whole == 0 ? std::numeric_limits<double>::quiet_NaN()
                      : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
  }
  double false_per_100_nights() const { return share(false_points, nights); }
  double ms_per_series() const {
    return histories == 0 ? 0 : 1e3 * seconds / static_cast<double>(histories);
  }
};

size_t distance(size_t a, size_t b) {
  return a > b ? a - b : b - a;
}

void score(const synthetic_history& h, const std::vector<change_point>& points,
           const validation_options& o, tally& t) {
  const size_t within = o.within;
  ++t.histories;
  t.nights += h.log_times.size();
  for (const injected_step& step : h.steps) {
    ++t.steps;
    ++t.steps_by_size[step.size_index];
    const bool found = std::any_of(points.begin(), points.end(), [&](const change_point& p) {
      return distance(p.index, step.night) <= within;
    });
    const bool exact = std::any_of(points.begin(), points.end(),
                                   [&](const change_point& p) { return p.index == step.night; });
    t.found += found;
    t.found_by_size[step.size_index] += found;
    t.exact += exact;
  }
  size_t false_points = 0;
  for (const change_point& p : points) {
    size_t nearest = std::numeric_limits<size_t>::max();
    for (const injected_step& step : h.steps)
      nearest = std::min(nearest, distance(p.index, step.night));
    if (nearest <= within) continue;
    ++false_points;
    t.false_points_near_a_step += nearest <= o.near;
  }
  t.false_points += false_points;
  t.histories_with_false_points += false_points > 0;
}

// A history's seed: the run's seed, the noise level, the kind and the
// history number, mixed so that neighbouring numbers give unrelated streams.
uint64_t history_seed(uint64_t seed, size_t noise_index, history_kind kind, size_t history) {
  std::seed_seq sequence{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                         static_cast<uint32_t>(noise_index), kind, static_cast<uint32_t>(history)};
  std::array<uint32_t, 2> words{};
  sequence.generate(words.begin(), words.end());
  return (uint64_t{words[0]} << 32) | words[1];
}

tally run_histories(const validation_options& o, size_t noise_index, history_kind kind) {
  const double noise_sd = o.noise_percent[noise_index] / 100;
  tally t;
  for (size_t i = 0; i < o.histories; ++i) {
    const synthetic_history h =
        make_history(o, noise_sd, kind, history_seed(o.seed, noise_index, kind, i));
    const auto start = std::chrono::steady_clock::now();
    const std::vector<change_point> points =
        vm::harness::detect_change_points(h.log_times, o.detector);
    t.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    score(h, points, o, t);
  }
  return t;
}

// The q-hat curve the quadratic way, as an implementation that builds the
// N x N distance matrix (MongoDB's signal-processing-algorithms) costs: the
// same recurrence as changepoint.cpp, with each night's distances to the
// nights before and after it summed by a linear scan. The anchor that the
// time of ediv_statistic_curve is reported against.
std::vector<double> quadratic_curve(std::span<const double> z, size_t min_segment) {
  const size_t count = z.size();
  std::vector<double> curve(count + 1, std::numeric_limits<double>::quiet_NaN());
  double total = 0;
  for (size_t i = 0; i < count; ++i) {
    for (size_t j = i + 1; j < count; ++j) total += std::fabs(z[i] - z[j]);
  }
  double within_left = 0, between = 0;
  for (size_t tau = 0; tau + min_segment <= count; ++tau) {
    if (tau >= min_segment) {
      const auto m = static_cast<double>(tau);
      const auto n = static_cast<double>(count - tau);
      const double within_right = total - within_left - between;
      curve[tau] =
          (2 * between - 2 * within_left * n / (m - 1) - 2 * within_right * m / (n - 1)) / (m + n);
    }
    double to_left = 0, to_right = 0;
    for (size_t i = 0; i < tau; ++i) to_left += std::fabs(z[tau] - z[i]);
    for (size_t j = tau + 1; j < count; ++j) to_right += std::fabs(z[tau] - z[j]);
    within_left += to_left;
    between += to_right - to_left;
  }
  return curve;
}

// Microseconds per call of `curve` on `series`, over at least 0.2 s.
template <class Curve>
double microseconds_per_curve(std::span<const double> series, size_t min_segment, Curve&& curve) {
  volatile double sink = 0;
  size_t calls = 0;
  const auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  while (elapsed < 0.2) {
    for (int i = 0; i < 16; ++i, ++calls) sink = sink + curve(series, min_segment)[min_segment];
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return 1e6 * elapsed / static_cast<double>(calls);
}

std::string percent(double value) {
  if (std::isnan(value)) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %%", value);
  return text;
}

std::string fixed(double value, int digits) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

int run(const validation_options& o) {
  std::printf(
      "changepoint_validation: %zu step and %zu null histories of %zu nights per noise level, seed "
      "%llu\n",
      o.histories, o.histories, o.nights, static_cast<unsigned long long>(o.seed));
  std::printf(
      "  step histories: %zu steps of 1-5 %% (uniform), random sign, >= %zu nights apart and from "
      "either end\n",
      o.steps, o.gap);
  std::printf(
      "  all histories: Gaussian noise on log(time), spikes of +10..+30 %% on one night (p = 1/%g "
      "a night)\n",
      o.spike_every);
  std::printf("  detector: min_segment %zu, permutations %d, alpha %g, seed %#llx\n",
              o.detector.min_segment, o.detector.permutations, o.detector.alpha,
              static_cast<unsigned long long>(o.detector.seed));
  std::printf(
      "  a step is found when a change point lies within %zu nights of it; other change points are "
      "false\n\n",
      o.within);
  std::printf(
      "| noise sd | steps found | 1 %% | 2 %% | 3 %% | 4 %% | 5 %% | at the exact night "
      "| false / 100 nights, step histories | of which %zu nights or less from a step "
      "| false / 100 nights, null histories | null histories with a change point |\n",
      o.near);
  std::printf(
      "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");

  nlohmann::json results = nlohmann::json::array();
  std::vector<std::string> timings;
  for (size_t n = 0; n < o.noise_percent.size(); ++n) {
    const tally with_steps = run_histories(o, n, kSteps);
    const tally null = run_histories(o, n, kNull);
    std::string row = "| " + fixed(o.noise_percent[n], 1) + " % | " +
                      percent(with_steps.share(with_steps.found, with_steps.steps));
    for (size_t s = 0; s < kStepSizes; ++s) {
      row += " | " +
             percent(with_steps.share(with_steps.found_by_size[s], with_steps.steps_by_size[s]));
    }
    row += " | " + percent(with_steps.share(with_steps.exact, with_steps.steps)) + " | " +
           fixed(with_steps.false_per_100_nights(), 3) + " | " +
           fixed(with_steps.share(with_steps.false_points_near_a_step, with_steps.nights), 3) +
           " | " + fixed(null.false_per_100_nights(), 3) + " | " +
           percent(null.share(null.histories_with_false_points, null.histories)) + " |";
    std::printf("%s\n", row.c_str());
    timings.push_back("  noise " + fixed(o.noise_percent[n], 1) +
                      " %: " + fixed(with_steps.ms_per_series(), 2) + " ms with steps, " +
                      fixed(null.ms_per_series(), 2) + " ms null");

    nlohmann::json found_by_size = nlohmann::json::object();
    for (size_t s = 0; s < kStepSizes; ++s) {
      found_by_size[std::to_string(s + 1)] = {{"steps", with_steps.steps_by_size[s]},
                                              {"found", with_steps.found_by_size[s]}};
    }
    nlohmann::json row_json = {
        {"noise_sd_percent", o.noise_percent[n]},
        {"steps", with_steps.steps},
        {"steps_found", with_steps.found},
        {"steps_found_at_exact_night", with_steps.exact},
        {"steps_found_by_size_percent", found_by_size},
        {"step_histories",
         {{"nights", with_steps.nights},
          {"false_change_points", with_steps.false_points},
          {"false_change_points_near_a_step", with_steps.false_points_near_a_step}}},
        {"null_histories",
         {{"nights", null.nights},
          {"false_change_points", null.false_points},
          {"histories_with_false_change_points", null.histories_with_false_points}}},
    };
    if (o.timing) {
      row_json["ms_per_series_with_steps"] = with_steps.ms_per_series();
      row_json["ms_per_series_null"] = null.ms_per_series();
    }
    results.push_back(row_json);
  }
  nlohmann::json recent_results = nlohmann::json::array();
  if (!o.recent.empty()) {
    std::printf(
        "\nOne step of 1-5 %% (random sign) k nights before the end of the history: share "
        "found\n\n");
    std::printf(
        "| noise sd | k | found | 1 %% | 2 %% | 3 %% | 4 %% | 5 %% | false / 100 nights |\n");
    std::printf("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  }
  for (size_t n = 0; n < o.noise_percent.size(); ++n) {
    for (size_t r = 0; r < o.recent.size(); ++r) {
      const tally t = run_histories(o, n, kRecent + static_cast<history_kind>(r));
      std::string row = "| " + fixed(o.noise_percent[n], 1) + " % | " +
                        std::to_string(o.recent[r]) + " | " + percent(t.share(t.found, t.steps));
      nlohmann::json found_by_size = nlohmann::json::object();
      for (size_t s = 0; s < kStepSizes; ++s) {
        row += " | " + percent(t.share(t.found_by_size[s], t.steps_by_size[s]));
        found_by_size[std::to_string(s + 1)] = {{"steps", t.steps_by_size[s]},
                                                {"found", t.found_by_size[s]}};
      }
      row += " | " + fixed(t.false_per_100_nights(), 3) + " |";
      std::printf("%s\n", row.c_str());
      recent_results.push_back({{"noise_sd_percent", o.noise_percent[n]},
                                {"nights_before_end", o.recent[r]},
                                {"steps", t.steps},
                                {"steps_found", t.found},
                                {"steps_found_by_size_percent", found_by_size},
                                {"nights", t.nights},
                                {"false_change_points", t.false_points}});
    }
  }

  nlohmann::json curve_timing;
  if (o.timing) {
    std::printf("\nms per %zu-night series (detect_change_points alone, one thread):\n", o.nights);
    for (const std::string& line : timings) std::printf("%s\n", line.c_str());
    // The anchor: one q-hat curve of a null history, O(N log N) against O(N^2).
    const synthetic_history h =
        make_history(o, o.noise_percent.front() / 100, kNull, history_seed(o.seed, 0, kNull, 0));
    const size_t min_segment = std::max<size_t>(o.detector.min_segment, 2);
    const double fast =
        microseconds_per_curve(h.log_times, min_segment, vm::harness::ediv_statistic_curve);
    const double quadratic = microseconds_per_curve(h.log_times, min_segment, quadratic_curve);
    std::printf(
        "one q-hat curve of %zu nights: %.1f us (ediv_statistic_curve, O(N log N)), %.1f us (the "
        "O(N^2) "
        "recurrence), ratio %.1f\n",
        o.nights, fast, quadratic, quadratic / fast);
    curve_timing = {{"us_per_curve", fast}, {"us_per_quadratic_curve", quadratic}};
  }

  if (!o.json_path.empty()) {
    nlohmann::json doc = {
        {"json_schema_version", 1},
        {"tool", "changepoint_validation"},
        {"model",
         {{"histories_per_kind_and_noise", o.histories},
          {"seed", o.seed},
          {"nights", o.nights},
          {"steps_per_history", o.steps},
          {"min_gap_nights", o.gap},
          {"step_sizes_percent", {1, 2, 3, 4, 5}},
          {"spike_every_nights", o.spike_every},
          {"spike_percent", {10, 30}},
          {"found_within_nights", o.within},
          {"near_a_step_nights", o.near},
          {"recent_step_nights_before_end", o.recent}}},
        {"detector",
         {{"min_segment", o.detector.min_segment},
          {"permutations", o.detector.permutations},
          {"alpha", o.detector.alpha},
          {"seed", o.detector.seed}}},
        {"results", results},
        {"recent_step_results", recent_results},
    };
    if (o.timing) doc["curve_timing"] = curve_timing;
    if (vm::error e = vm::harness::write_file_atomically(o.json_path, doc.dump(2) + "\n")) {
      std::fprintf(stderr, "changepoint_validation: %s\n", e.message.c_str());
      return kExitBadInput;
    }
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  validation_options o;
  CLI::App app{
      "Validates change-point detection (E-divisive means) on synthetic nightly histories "
      "(docs/SIGNAL.md)."};
  app.add_option("--histories", o.histories,
                 "Step histories, and as many null histories, per noise level")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", o.seed, "Seed of the synthetic histories")->capture_default_str();
  app.add_option("--noise", o.noise_percent,
                 "Noise standard deviations of log(time), in %, comma-separated")
      ->delimiter(',')
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  app.add_option("--nights", o.nights, "Nights per history")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--steps", o.steps, "Steps per step history")->capture_default_str();
  app.add_option("--gap", o.gap, "Least nights between steps, and between a step and either end")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--spike-every", o.spike_every,
                 "One-night spikes on 1 night in this many (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--within", o.within,
                 "A step is found when a change point lies within this many nights")
      ->capture_default_str();
  app.add_option("--near", o.near,
                 "False change points this close to a step are also counted apart")
      ->capture_default_str();
  app.add_option("--recent", o.recent,
                 "Nights before the end for the one-step histories, comma-separated")
      ->delimiter(',')
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--min-segment", o.detector.min_segment,
                 "detect_change_points: runs each side of a split")
      ->capture_default_str();
  app.add_option("--permutations", o.detector.permutations,
                 "detect_change_points: permutations per test")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--alpha", o.detector.alpha, "detect_change_points: significance level")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--json", o.json_path, "Also write the figures to this JSON file");
  app.add_flag("!--no-timing", o.timing,
               "Leave out the timings (the rest of the output is deterministic)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  if (o.steps > 0 && o.nights < 2 * o.gap + (o.steps - 1) * o.gap) {
    std::fprintf(stderr,
                 "changepoint_validation: %zu steps %zu nights apart do not fit in %zu nights\n",
                 o.steps, o.gap, o.nights);
    return kExitBadInput;
  }
  for (size_t k : o.recent) {
    if (k >= o.nights) {
      std::fprintf(stderr, "changepoint_validation: --recent %zu: must be below --nights %zu\n", k,
                   o.nights);
      return kExitBadInput;
    }
  }
  if (o.spike_every == 0) o.spike_every = std::numeric_limits<double>::infinity();
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "changepoint_validation: %s\n", e.what());
    return kExitBadInput;
  }
}
