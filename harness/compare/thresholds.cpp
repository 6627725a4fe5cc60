#include "compare/thresholds.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace vm::harness {
namespace {

using json = nlohmann::json;

error bad(const std::string& path, const std::string& field, const std::string& what) {
  return error{error_code::kBadInput, path + ": " + field + ": " + what};
}

error compile(const std::string& text, std::regex& out, const std::string& path,
              const std::string& field) {
  try {
    out = std::regex(text);
  } catch (const std::regex_error& e) {
    return bad(path, field, "bad regular expression '" + text + "': " + e.what());
  }
  return error::ok();
}

// Reads min_effect / gate_counters of one object into `rule`.
error read_rule(const json& object, const std::string& path, const std::string& field,
                bool allow_match, threshold_rule& rule) {
  if (!object.is_object()) return bad(path, field, "expected an object");
  for (const auto& [key, value] : object.items()) {
    (void)value;
    if (key != "min_effect" && key != "gate_counters" && key != "reason" &&
        !(allow_match && key == "match"))
      return bad(path, field + "." + key, "unknown key");
  }
  if (object.contains("min_effect")) {
    const json& v = object["min_effect"];
    if (!v.is_number() || !(v.get<double>() >= 0 && v.get<double>() < 1))
      return bad(path, field + ".min_effect", "expected a number in [0, 1) (0.03 = 3 %)");
    rule.min_effect = v.get<double>();
  }
  if (object.contains("gate_counters")) {
    if (!object["gate_counters"].is_string())
      return bad(path, field + ".gate_counters", "expected a regular expression string");
    rule.gate_counters = object["gate_counters"].get<std::string>();
    VM_PROPAGATE(compile(rule.gate_counters, rule.gate_re, path, field + ".gate_counters"));
  }
  return error::ok();
}

}  // namespace

const threshold_rule& thresholds::rule_for(const std::string& benchmark) const noexcept {
  for (const threshold_rule& r : rules)
    if (std::regex_search(benchmark, r.match_re)) return r;
  return defaults;
}

std::string thresholds::rule_name(const std::string& benchmark) const {
  for (size_t i = 0; i < rules.size(); ++i)
    if (std::regex_search(benchmark, rules[i].match_re))
      return "rules[" + std::to_string(i) + "] (" + rules[i].match + ")";
  return "default";
}

bool thresholds::counter_gates(const std::string& benchmark, const std::string& counter) const {
  const threshold_rule& r = rule_for(benchmark);
  return !r.gate_counters.empty() && std::regex_search(counter, r.gate_re);
}

thresholds default_thresholds() {
  thresholds t;
  t.defaults.min_effect = kDefaultMinEffect;
  t.defaults.gate_counters = ".*";
  t.defaults.gate_re = std::regex(".*");
  return t;
}

result<thresholds> parse_thresholds(const std::string& text, const std::string& path) {
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return error{error_code::kBadInput, path + ": not valid JSON"};
  if (!doc.is_object()) return error{error_code::kBadInput, path + ": expected a JSON object"};
  for (const auto& [key, value] : doc.items()) {
    (void)value;
    if (key != "schema_version" && key != "default" && key != "rules" && key != "comment")
      return bad(path, key, "unknown key");
  }
  if (!doc.contains("schema_version") || !doc["schema_version"].is_number_integer() ||
      doc["schema_version"].get<int64_t>() != 1)
    return bad(path, "schema_version", "missing or not 1");
  thresholds t = default_thresholds();
  if (doc.contains("default"))
    VM_PROPAGATE(read_rule(doc["default"], path, "default", false, t.defaults));
  if (doc.contains("rules")) {
    if (!doc["rules"].is_array()) return bad(path, "rules", "expected an array");
    for (size_t i = 0; i < doc["rules"].size(); ++i) {
      const json& r = doc["rules"][i];
      const std::string field = "rules[" + std::to_string(i) + "]";
      threshold_rule rule = t.defaults;  // inherits what it does not set
      VM_PROPAGATE(read_rule(r, path, field, true, rule));
      if (!r.contains("match") || !r["match"].is_string())
        return bad(path, field + ".match", "missing (a regular expression over benchmark names)");
      rule.match = r["match"].get<std::string>();
      VM_PROPAGATE(compile(rule.match, rule.match_re, path, field + ".match"));
      t.rules.push_back(std::move(rule));
    }
  }
  return t;
}

result<thresholds> load_thresholds(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return error{error_code::kIo, path + ": cannot open the thresholds file"};
  std::ostringstream text;
  text << in.rdbuf();
  return parse_thresholds(text.str(), path);
}

}  // namespace vm::harness
