// thresholds.h - baselines/thresholds.json: the minimum effect that counts
// as a change, and which deterministic counters gate the verdict, per
// benchmark, chosen by regular expression (first matching rule wins):
//
//   {
//     "schema_version": 1,
//     "default": {"min_effect": 0.03, "gate_counters": ".*"},
//     "rules": [
//       {"match": "^exec/", "min_effect": 0.05, "reason": "..."},
//       {"match": "qemu", "gate_counters": "^(exit_status|output_hash)$"}
//     ]
//   }
//
// min_effect is relative (0.03 = 3 %) and must lie in [0, 1); a rule may set
// either field or both, and inherits the other from "default".
// gate_counters is a regular expression matched (std::regex_search) against
// counter names; "" gates none. Unknown keys are errors, so a typo cannot
// silently loosen a gate.
#pragma once

#include <regex>
#include <string>
#include <vector>

#include "common/result.h"

namespace vm::harness {

inline constexpr double kDefaultMinEffect = 0.03;

struct threshold_rule {
  std::string match;  // as written
  std::regex match_re;
  double min_effect = kDefaultMinEffect;
  std::string gate_counters;  // as written
  std::regex gate_re;
};

struct thresholds {
  threshold_rule defaults;  // match "" (every benchmark)
  std::vector<threshold_rule> rules;

  // The rule for a benchmark: the first whose match finds the name, else defaults.
  const threshold_rule& rule_for(const std::string& benchmark) const noexcept;
  // Human-readable name of that rule: "default" or "rules[2] (^exec/)".
  std::string rule_name(const std::string& benchmark) const;
  bool counter_gates(const std::string& benchmark, const std::string& counter) const;
};

// The built-in thresholds (3 %, every counter gates) used when no file is given.
thresholds default_thresholds();
result<thresholds> load_thresholds(const std::string& path);
result<thresholds> parse_thresholds(const std::string& text, const std::string& path);

}  // namespace vm::harness
