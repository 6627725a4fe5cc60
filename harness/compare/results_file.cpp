#include "compare/results_file.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace vm::harness {
namespace {

using json = nlohmann::json;

error bad(const std::string& path, const std::string& field, const std::string& what) {
  return error{error_code::kBadInput, path + ": " + (field.empty() ? "" : field + ": ") + what};
}

result<double> to_ns(const json& entry, const char* key, const std::string& path,
                     const std::string& field) {
  if (!entry.contains(key) || !entry[key].is_number())
    return bad(path, field + "." + key, "missing or not a number");
  const double v = entry[key].get<double>();
  if (!(v >= 0) || !std::isfinite(v)) return bad(path, field + "." + key, "not a finite time >= 0");
  if (entry.contains("time_unit") && !entry["time_unit"].is_string())
    return bad(path, field + ".time_unit", "expected a string");
  const std::string unit = entry.value("time_unit", std::string("ns"));
  if (unit == "ns") return v;
  if (unit == "us") return v * 1e3;
  if (unit == "ms") return v * 1e6;
  if (unit == "s") return v * 1e9;
  return bad(path, field + ".time_unit", "unknown unit '" + unit + "'");
}

error check_counters(const json& counters, const std::string& path, const std::string& field) {
  if (!counters.is_object()) return bad(path, field, "expected an object of counters");
  for (const auto& [key, value] : counters.items()) {
    const bool count =
        value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0);
    if (!count && !value.is_string())
      return bad(path, field + "." + key, "a counter must be an unsigned integer or a string");
  }
  return error::ok();
}

result<results_file> parse_counters_file(const json& doc, const std::string& path) {
  results_file f;
  f.path = path;
  f.kind = results_kind::kCounters;
  if (!doc.contains("schema_version") || !doc["schema_version"].is_number_integer())
    return bad(path, "schema_version", "missing");
  if (doc["schema_version"].get<int64_t>() != kCountersSchemaVersion)
    return bad(path, "schema_version",
               doc["schema_version"].dump() + " is not supported (this vmbench reads " +
                   std::to_string(kCountersSchemaVersion) + ")");
  if (doc.contains("suite") && !doc["suite"].is_string())
    return bad(path, "suite", "expected a string");
  f.suite = doc.value("suite", std::string());
  if (!doc.contains("benchmarks") || !doc["benchmarks"].is_object())
    return bad(path, "benchmarks", "expected an object of benchmark name -> counters");
  for (const auto& [name, counters] : doc["benchmarks"].items()) {
    VM_PROPAGATE(check_counters(counters, path, "benchmarks." + name));
    f.benchmarks.push_back({name, {}, {}, counters});
  }
  return f;
}

// Google Benchmark's context.date is local time with an offset
// ("2026-11-24T22:08:04+01:00"); the history is keyed and sorted by UTC
// ("2026-11-24T21:08:04Z"). Anything that does not parse is kept as it is.
std::string to_utc(const std::string& date) {
  std::tm tm{};
  int offset_h = 0, offset_m = 0;
  char sign = 0;
  if (std::sscanf(date.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c%2d:%2d", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &sign, &offset_h,
                  &offset_m) != 9 ||
      (sign != '+' && sign != '-'))
    return date;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t t = timegm(&tm);
  t -= (sign == '+' ? 1 : -1) * (offset_h * 3600 + offset_m * 60);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return out;
}

}  // namespace

const benchmark_result* results_file::find(const std::string& name) const noexcept {
  for (const benchmark_result& b : benchmarks)
    if (b.name == name) return &b;
  return nullptr;
}

result<results_file> parse_results(const json& doc, const std::string& path) {
  if (!doc.is_object()) return bad(path, "", "expected a JSON object");
  if (doc.contains("kind") && !doc["kind"].is_string())
    return bad(path, "kind", "expected a string");
  if (doc.value("kind", std::string()) == "vmbench.counters") return parse_counters_file(doc, path);
  if (!doc.contains("benchmarks") || !doc["benchmarks"].is_array())
    return bad(path, "benchmarks",
               "missing: not a Google Benchmark / vmbench results file or a counters baseline");
  results_file f;
  f.path = path;
  f.kind = results_kind::kGoogleBenchmark;

  if (doc.contains("context") && doc["context"].is_object() && doc["context"].contains("date") &&
      doc["context"]["date"].is_string())
    f.started = to_utc(doc["context"]["date"].get<std::string>());

  const json* section = nullptr;
  if (doc.contains("vmbench")) {
    section = &doc["vmbench"];
    if (!section->is_object()) return bad(path, "vmbench", "expected an object");
    if (!section->contains("schema_version") || !(*section)["schema_version"].is_number_integer())
      return bad(path, "vmbench.schema_version", "missing");
    const int64_t version = (*section)["schema_version"].get<int64_t>();
    if (version != kResultsSchemaVersion)
      return bad(path, "vmbench.schema_version",
                 std::to_string(version) + " is not supported (this vmbench reads " +
                     std::to_string(kResultsSchemaVersion) + ")");
    f.kind = results_kind::kResults;
    if (section->contains("suite")) {
      if (!(*section)["suite"].is_string()) return bad(path, "vmbench.suite", "expected a string");
      f.suite = (*section)["suite"].get<std::string>();
    }
    if (section->contains("started")) {
      if (!(*section)["started"].is_string())
        return bad(path, "vmbench.started", "expected a string");
      f.started = (*section)["started"].get<std::string>();
    }
    if (section->contains("fingerprint")) {
      if (!(*section)["fingerprint"].is_object())
        return bad(path, "vmbench.fingerprint", "expected an object");
      f.print = fingerprint_from_json((*section)["fingerprint"]);
    }
    if (section->contains("warnings")) {
      if (!(*section)["warnings"].is_array())
        return bad(path, "vmbench.warnings", "expected an array");
      for (const json& w : (*section)["warnings"])
        if (w.is_string()) f.warnings.push_back(w.get<std::string>());
    }
    if (section->contains("benchmarks") && !(*section)["benchmarks"].is_object())
      return bad(path, "vmbench.benchmarks", "expected an object");
  }

  std::map<std::string, size_t> index;
  const json& list = doc["benchmarks"];
  for (size_t i = 0; i < list.size(); ++i) {
    const json& entry = list[i];
    const std::string field = "benchmarks[" + std::to_string(i) + "]";
    if (!entry.is_object()) return bad(path, field, "expected an object");
    if (!entry.contains("name") || !entry["name"].is_string())
      return bad(path, field + ".name", "missing");
    for (const char* key : {"run_type", "time_unit", "aggregate_name"})
      if (entry.contains(key) && !entry[key].is_string())
        return bad(path, field + "." + key, "expected a string");
    if (entry.contains("error_occurred") && !entry["error_occurred"].is_boolean())
      return bad(path, field + ".error_occurred", "expected true or false");
    const std::string run_type = entry.value("run_type", std::string("iteration"));
    if (run_type != "iteration") continue;  // aggregates are recomputed from the samples
    // Iteration entries of a benchmark with repetitions carry run_name in
    // newer Google Benchmark; the name is the same for every repetition.
    const std::string name = entry["name"].get<std::string>();
    auto [it, fresh] = index.try_emplace(name, f.benchmarks.size());
    if (fresh) f.benchmarks.push_back({name, {}, {}, nullptr});
    benchmark_result& b = f.benchmarks[it->second];
    if (entry.value("error_occurred", false)) continue;  // a failed run has no time
    auto real = to_ns(entry, "real_time", path, field);
    if (!real.ok()) return std::move(real).err();
    auto cpu = to_ns(entry, "cpu_time", path, field);
    if (!cpu.ok()) return std::move(cpu).err();
    b.real_time_ns.push_back(real.value());
    b.cpu_time_ns.push_back(cpu.value());
  }
  if (section && section->contains("benchmarks")) {
    for (const auto& [name, entry] : (*section)["benchmarks"].items()) {
      const std::string field = "vmbench.benchmarks." + name;
      if (!entry.is_object()) return bad(path, field, "expected an object");
      auto it = index.find(name);
      if (it == index.end()) {  // prepared but never timed (it failed): counters still count
        index[name] = f.benchmarks.size();
        f.benchmarks.push_back({name, {}, {}, nullptr});
        it = index.find(name);
      }
      if (entry.contains("counters")) {
        VM_PROPAGATE(check_counters(entry["counters"], path, field + ".counters"));
        f.benchmarks[it->second].counters = entry["counters"];
      }
    }
  }
  return f;
}

result<json> read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return error{error_code::kIo, path + ": cannot open"};
  std::ostringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  if (s.empty()) return bad(path, "", "empty file");
  try {
    return json::parse(s);
  } catch (const json::parse_error& e) {
    return bad(path, "",
               "not valid JSON at byte " + std::to_string(e.byte) +
                   (e.byte >= s.size() ? " (the file is truncated)" : ""));
  }
}

result<results_file> load_results_file(const std::string& path) {
  auto doc = read_json_file(path);
  if (!doc.ok()) return std::move(doc).err();
  return parse_results(doc.value(), path);
}

}  // namespace vm::harness
