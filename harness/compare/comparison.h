// comparison.h - what `vmbench compare` concludes about two results files:
// per benchmark, a timing verdict from the statistics (statistics.h) and
// the exact comparison of its deterministic counters; per suite, the
// false-discovery-rate control and the exit status. Formatting lives in
// compare_format.h; loading the files in results_file.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compare/results_file.h"
#include "compare/thresholds.h"

namespace vm::harness {

enum class verdict {
  kRegression,    // significantly slower (after FDR control) by at least the minimum effect
  kImprovement,   // significantly faster by at least the minimum effect
  kUnchanged,     // the whole 95 % interval lies within +-minimum effect
  kInconclusive,  // neither: too noisy, too few repetitions, or not compared
};
const char* verdict_name(verdict v) noexcept;  // "regression", "improvement", ...

// One deterministic counter that differs (or exists on one side only).
struct counter_change {
  std::string name;
  std::string base;       // its value as text; "(absent)" when missing on this side
  std::string candidate;  // likewise
  std::string delta;      // candidate - base for integers ("+12", "-3"); empty otherwise
  bool gates = false;     // thresholds.json makes this counter gate the verdict
};

struct benchmark_comparison {
  std::string name;
  std::string min_effect_rule;  // the thresholds.json rule that matched ("default" if none)
  double min_effect = 0.03;     // the minimum relative effect that counts

  // Timing, in nanoseconds of the compared metric per iteration.
  bool timing_compared = false;  // false: see note; the verdict is then inconclusive
  size_t base_samples = 0, candidate_samples = 0;
  double base_median_ns = 0, candidate_median_ns = 0;
  // Candidate / base: the median of all pairwise ratios (Hodges-Lehmann on
  // log time) and its distribution-free 95 % (1 - alpha) interval.
  double ratio = 1, ratio_low = 1, ratio_high = 1;
  double p_value = 1;  // Mann-Whitney U, two-sided
  double q_value = 1;  // p adjusted across the suite (Benjamini-Hochberg, Holm or none)
  verdict timing = verdict::kInconclusive;
  std::string note;  // why timing was not compared or is inconclusive; empty otherwise

  // Counters: compared exactly whenever both sides have them.
  bool counters_compared = false;
  std::vector<counter_change> counter_changes;
  bool counters_gate_failed = false;  // a gating counter changed

  // The benchmark's verdict: a regression when the timing regressed or a
  // gating counter changed; otherwise the timing verdict.
  verdict overall() const noexcept { return counters_gate_failed ? verdict::kRegression : timing; }
};

struct comparison_options {
  std::string metric = "real_time";  // or "cpu_time"
  double alpha = 0.05;               // false-discovery rate (or family-wise error for holm)
  std::string fdr = "bh";            // "bh" (Benjamini-Hochberg), "holm", "none"
  bool allow_different_machines = false;
};

struct comparison {
  int schema_version = 1;
  std::string base_path, candidate_path;
  std::string suite;  // from the candidate (or base) results; may be empty
  comparison_options options;

  bool machines_match = true;                    // fingerprints name the same machine
  std::vector<std::string> machine_differences;  // "cpu model: X vs Y", ...
  bool timings_compared = true;       // false: refused (different machines) or no samples
  std::vector<std::string> warnings;  // shown above every output

  std::vector<benchmark_comparison> benchmarks;  // in the candidate's order
  std::vector<std::string> only_in_base, only_in_candidate;

  size_t count(verdict v) const noexcept;  // by overall()
  // Geometric mean of candidate/base medians over benchmarks whose timing
  // was compared; 0 when none.
  double geomean_ratio = 0;

  // 1 when any benchmark's overall verdict is a regression, else 0.
  int exit_status() const noexcept;
};

// The options' own errors (an unknown metric or FDR method, alpha outside
// (0, 1)), named by their command-line flag; compare_results checks them
// first, and a caller may check them before loading anything.
error check_comparison_options(const comparison_options& options);

// Compares two loaded results files. Only input problems are errors (no
// benchmark in common, for one); everything else is a verdict.
result<comparison> compare_results(const results_file& base, const results_file& candidate,
                                   const thresholds& rules, const comparison_options& options);

}  // namespace vm::harness
