#include "compare/comparison.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "compare/statistics.h"

namespace vm::harness {
namespace {

using json = nlohmann::json;

std::string counter_text(const json& v) {
  if (v.is_null()) return "(absent)";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::string counter_delta(const json& base, const json& candidate) {
  if (!base.is_number_integer() || !candidate.is_number_integer()) return "";
  // Counters are unsigned 64-bit; the difference is exact in long double for
  // any realistic count, and printed as an integer.
  const long double d = static_cast<long double>(candidate.get<uint64_t>()) -
                        static_cast<long double>(base.get<uint64_t>());
  char buf[48];
  std::snprintf(buf, sizeof buf, "%+.0Lf", d);
  return buf;
}

std::string percent(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", (ratio - 1) * 100);
  return buf;
}

// The smallest two-sided p-value an exact Mann-Whitney test can give with
// these sample sizes: 2 / C(m + n, m).
double smallest_p(size_t m, size_t n) {
  double c = 1;
  for (size_t i = 1; i <= m; ++i) c = c * double(n + i) / double(i);
  return std::min(1.0, 2 / c);
}

void compare_timing(const benchmark_result& base, const benchmark_result& candidate,
                    const comparison_options& options, benchmark_comparison& out) {
  const bool real = options.metric == "real_time";
  const std::vector<double>& b = real ? base.real_time_ns : base.cpu_time_ns;
  const std::vector<double>& c = real ? candidate.real_time_ns : candidate.cpu_time_ns;
  out.base_samples = b.size();
  out.candidate_samples = c.size();
  if (b.empty() || c.empty()) {
    out.note = b.empty() && c.empty() ? "no timing samples on either side"
               : b.empty()            ? "no timing samples in the base"
                                      : "no timing samples in the candidate";
    return;
  }
  out.base_median_ns = stats::median(b);
  out.candidate_median_ns = stats::median(c);
  for (double x : b)
    if (!(x > 0)) {
      out.note = "a base sample is not a positive time";
      return;
    }
  for (double x : c)
    if (!(x > 0)) {
      out.note = "a candidate sample is not a positive time";
      return;
    }
  // Ratios are shifts of log time: the test and the interval are about the
  // typical candidate/base ratio, and a 3 % change means the same on a 1 ms
  // and on a 1 s benchmark.
  std::vector<double> lb, lc;
  for (double x : b) lb.push_back(std::log(x));
  for (double x : c) lc.push_back(std::log(x));
  const auto test = stats::mann_whitney_u(lc, lb);
  const auto shift =
      stats::hodges_lehmann(lb, lc, 0.95);  // reported as a 95 % interval whatever alpha
  out.timing_compared = true;
  out.p_value = test.p;
  out.ratio = std::exp(shift.estimate);
  out.ratio_low = std::exp(shift.low);
  out.ratio_high = std::exp(shift.high);
  if (smallest_p(b.size(), c.size()) > options.alpha) {
    out.note = std::to_string(b.size()) + " and " + std::to_string(c.size()) +
               " repetitions cannot reach significance at alpha " + json(options.alpha).dump() +
               "; run at least 5 repetitions per side";
  }
}

void decide(benchmark_comparison& bc, double alpha) {
  if (!bc.timing_compared) {
    bc.timing = verdict::kInconclusive;
    return;
  }
  const double up = 1 + bc.min_effect;
  const double down = 1 / up;
  const bool significant = bc.q_value <= alpha;
  if (significant && bc.ratio >= up) {
    bc.timing = verdict::kRegression;
  } else if (significant && bc.ratio <= down) {
    bc.timing = verdict::kImprovement;
  } else if (bc.ratio_low >= down && bc.ratio_high <= up) {
    bc.timing = verdict::kUnchanged;
  } else {
    bc.timing = verdict::kInconclusive;
    if (bc.note.empty())
      bc.note = significant ? "significant, but the change " + percent(bc.ratio) +
                                  " is below the minimum effect while its interval is not"
                            : "the interval is wider than the minimum effect (+-" +
                                  json(std::round(bc.min_effect * 1000) / 10).dump() +
                                  "%); more repetitions or a quieter machine would decide";
  }
}

}  // namespace

const char* verdict_name(verdict v) noexcept {
  switch (v) {
    case verdict::kRegression: return "regression";
    case verdict::kImprovement: return "improvement";
    case verdict::kUnchanged: return "unchanged";
    case verdict::kInconclusive: return "inconclusive";
  }
  return "?";
}

size_t comparison::count(verdict v) const noexcept {
  size_t n = 0;
  for (const benchmark_comparison& b : benchmarks) n += b.overall() == v;
  return n;
}

int comparison::exit_status() const noexcept {
  return count(verdict::kRegression) ? 1 : 0;
}

error check_comparison_options(const comparison_options& options) {
  if (options.metric != "real_time" && options.metric != "cpu_time")
    return error{error_code::kInvalidArgument,
                 "--metric: '" + options.metric + "' is not real_time or cpu_time"};
  if (options.fdr != "bh" && options.fdr != "holm" && options.fdr != "none")
    return error{error_code::kInvalidArgument,
                 "--fdr: '" + options.fdr + "' is not bh, holm or none"};
  if (!(options.alpha > 0 && options.alpha < 1))
    return error{error_code::kInvalidArgument, "--alpha must lie in (0, 1)"};
  return error::ok();
}

result<comparison> compare_results(const results_file& base, const results_file& candidate,
                                   const thresholds& rules, const comparison_options& options) {
  VM_PROPAGATE(check_comparison_options(options));
  comparison c;
  c.base_path = base.path;
  c.candidate_path = candidate.path;
  c.suite = !candidate.suite.empty() ? candidate.suite : base.suite;
  c.options = options;
  if (!base.suite.empty() && !candidate.suite.empty() && base.suite != candidate.suite)
    c.warnings.push_back("the files come from different suites: " + base.suite + " vs " +
                         candidate.suite);

  // Machines: timings from different machines are not compared unless asked.
  if (base.kind == results_kind::kCounters || candidate.kind == results_kind::kCounters) {
    c.timings_compared = false;
    c.warnings.push_back(std::string("the ") +
                         (base.kind == results_kind::kCounters ? "base" : "candidate") +
                         " is a counters baseline: only counters are compared");
  } else if (base.print && candidate.print) {
    c.machine_differences = machine_differences(base.print->machine, candidate.print->machine);
    c.machines_match = c.machine_differences.empty();
    for (const std::string& d : minor_differences(*base.print, *candidate.print))
      c.warnings.push_back("the runs differ in " + d);
    if (!c.machines_match && !options.allow_different_machines) {
      c.timings_compared = false;
      c.warnings.push_back(
          "timings not compared: the files come from different machines "
          "(--allow-different-machines compares them anyway); counters are still compared");
    } else if (!c.machines_match) {
      c.warnings.push_back("timings from different machines compared (--allow-different-machines)");
    }
  } else if (base.print || candidate.print) {
    c.machines_match = false;
    c.machine_differences.push_back(std::string("fingerprint: only the ") +
                                    (base.print ? "base" : "candidate") + " has one");
    if (!options.allow_different_machines) {
      c.timings_compared = false;
      c.warnings.push_back(
          "timings not compared: only one file has a machine fingerprint "
          "(--allow-different-machines compares them anyway)");
    }
  } else {
    c.warnings.push_back(
        "neither file has a vmbench fingerprint (plain Google Benchmark JSON): "
        "that both ran on one machine is not checked");
  }
  for (const std::string& w : candidate.warnings) c.warnings.push_back("candidate run: " + w);
  for (const std::string& w : base.warnings) c.warnings.push_back("base run: " + w);

  for (const benchmark_result& b : base.benchmarks)
    if (!candidate.find(b.name)) c.only_in_base.push_back(b.name);
  for (const benchmark_result& cand : candidate.benchmarks) {
    const benchmark_result* b = base.find(cand.name);
    if (!b) {
      c.only_in_candidate.push_back(cand.name);
      continue;
    }
    benchmark_comparison bc;
    bc.name = cand.name;
    const threshold_rule& rule = rules.rule_for(cand.name);
    bc.min_effect = rule.min_effect;
    bc.min_effect_rule = rules.rule_name(cand.name);
    if (c.timings_compared)
      compare_timing(*b, cand, options, bc);
    else
      bc.note = base.kind == results_kind::kCounters || candidate.kind == results_kind::kCounters
                    ? "counters only"
                : c.machine_differences.size() == 1 &&
                        c.machine_differences[0].rfind("fingerprint:", 0) == 0
                    ? "timings not compared: only one file has a fingerprint"
                    : "timings not compared: different machines";
    if (b->counters.is_object() != cand.counters.is_object()) {
      // Counters on one side only: nothing can vouch that the work is the
      // same, so this fails wherever the rule gates any counter.
      bc.counters_compared = true;
      const bool in_base = b->counters.is_object();
      counter_change change{"(all counters)", in_base ? "present" : "(absent)",
                            in_base ? "(absent)" : "present", "",
                            !rules.rule_for(cand.name).gate_counters.empty()};
      bc.counters_gate_failed |= change.gates;
      bc.counter_changes.push_back(std::move(change));
    } else if (b->counters.is_object() && cand.counters.is_object()) {
      bc.counters_compared = true;
      std::set<std::string> keys;
      for (const auto& [k, v] : b->counters.items()) keys.insert(k);
      for (const auto& [k, v] : cand.counters.items()) keys.insert(k);
      for (const std::string& k : keys) {
        const json bv = b->counters.contains(k) ? b->counters[k] : json();
        const json cv = cand.counters.contains(k) ? cand.counters[k] : json();
        if (bv == cv) continue;
        counter_change change{k, counter_text(bv), counter_text(cv), counter_delta(bv, cv),
                              rules.counter_gates(cand.name, k)};
        bc.counters_gate_failed |= change.gates;
        bc.counter_changes.push_back(std::move(change));
      }
    }
    if (bc.note == "counters only" && bc.counters_compared && bc.counter_changes.empty())
      bc.note += cand.counters.size() == 1
                     ? ": its counter is equal"
                     : ": all " + std::to_string(cand.counters.size()) + " counters equal";
    c.benchmarks.push_back(std::move(bc));
  }
  if (c.benchmarks.empty())
    return error{error_code::kBadInput, "no benchmark in common between " + base.path + " (" +
                                            std::to_string(base.benchmarks.size()) + ") and " +
                                            candidate.path + " (" +
                                            std::to_string(candidate.benchmarks.size()) + ")"};

  // Suite-wide control of false discoveries over every timed comparison.
  std::vector<double> p;
  for (const benchmark_comparison& bc : c.benchmarks)
    if (bc.timing_compared) p.push_back(bc.p_value);
  const std::vector<double> q = options.fdr == "bh"     ? stats::benjamini_hochberg(p)
                                : options.fdr == "holm" ? stats::holm(p)
                                                        : p;
  size_t k = 0;
  double log_sum = 0;
  for (benchmark_comparison& bc : c.benchmarks) {
    if (bc.timing_compared) {
      bc.q_value = q[k++];
      log_sum += std::log(bc.candidate_median_ns / bc.base_median_ns);
    }
    decide(bc, options.alpha);
  }
  c.geomean_ratio = k ? std::exp(log_sum / double(k)) : 0;
  if (k == 0) c.timings_compared = false;
  return c;
}

}  // namespace vm::harness
