#include "history/history.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <system_error>

#include "atomic_file.h"
#include "compare/statistics.h"

namespace vm::harness {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

// "2026-11-24T21:08:01Z" -> "20261124T210801Z"; any other character that
// cannot go into a file name is dropped.
std::string compact_stamp(const std::string& started) {
  std::string out;
  for (char c : started)
    if (std::isalnum(static_cast<unsigned char>(c))) out += c;
  return out;
}

bool safe_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

std::string safe_name(const std::string& s) {
  std::string out;
  for (char c : s) out += safe_name_char(c) ? c : '_';
  if (out.empty() || out == "." || out == "..") out = "unknown";
  return out;
}

error need_run_results(const results_file& r) {
  if (r.kind != results_kind::kResults || !r.print)
    return error{error_code::kBadInput,
                 r.path + ": not a results file of `vmbench run` (no fingerprint): the history "
                          "is keyed by machine, start time and commit"};
  if (r.started.empty())
    return error{error_code::kBadInput, r.path + ": vmbench.started: missing (the history is "
                                                 "keyed by the run's start time)"};
  return error::ok();
}

}  // namespace

result<json> history_entry_json(const results_file& r) {
  VM_PROPAGATE(need_run_results(r));
  json benchmarks = json::array();
  json section_benchmarks = json::object();
  for (const benchmark_result& b : r.benchmarks) {
    const size_t n = std::min(b.real_time_ns.size(), b.cpu_time_ns.size());
    for (size_t i = 0; i < n; ++i)
      benchmarks.push_back({{"name", b.name},
                            {"run_name", b.name},
                            {"run_type", "iteration"},
                            {"repetitions", n},
                            {"repetition_index", i},
                            {"real_time", b.real_time_ns[i]},
                            {"cpu_time", b.cpu_time_ns[i]},
                            {"time_unit", "ns"}});
    json entry = json::object();
    if (!b.counters.is_null()) entry["counters"] = b.counters;
    section_benchmarks[b.name] = entry;  // also keeps benchmarks that have no timing
  }
  return json{{"benchmarks", benchmarks},
              {"vmbench",
               {{"schema_version", kResultsSchemaVersion},
                {"kind", "vmbench.results"},
                {"history_entry", true},
                {"suite", r.suite},
                {"started", r.started},
                {"machine", machine_name(r.print->machine)},
                {"fingerprint", to_json(*r.print)},
                {"warnings", r.warnings},
                {"benchmarks", section_benchmarks}}}};
}

result<std::string> history_entry_path(const std::string& dir, const results_file& r) {
  VM_PROPAGATE(need_run_results(r));
  const std::string commit = r.print->build.git_commit.substr(0, 12);
  return (fs::path(dir) / safe_name(machine_name(r.print->machine)) /
          (compact_stamp(r.started) + "_" + safe_name(commit) + ".json"))
      .string();
}

result<history_add_result> add_to_history(const std::string& dir, const results_file& r) {
  auto doc = history_entry_json(r);
  if (!doc.ok()) return std::move(doc).err();
  auto path = history_entry_path(dir, r);
  if (!path.ok()) return std::move(path).err();
  history_add_result out;
  out.path = path.value();
  std::error_code ec;
  if (fs::exists(out.path, ec)) {
    out.already_present = true;
    return out;
  }
  fs::create_directories(fs::path(out.path).parent_path(), ec);
  if (ec)
    return error{error_code::kIo, fs::path(out.path).parent_path().string() +
                                      ": cannot create directory: " + ec.message()};
  VM_PROPAGATE(write_file_atomically(out.path, doc.value().dump() + "\n"));
  return out;
}

result<history> load_history(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return error{error_code::kBadInput, dir + ": not a history directory (" +
                                            (fs::exists(dir, ec) ? "not a directory"
                                                                  : "does not exist") +
                                            ")"};
  history h;
  h.dir = dir;
  std::vector<std::string> files;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) return error{error_code::kIo, dir + ": cannot read: " + ec.message()};
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      h.skipped.push_back(dir + ": " + ec.message());
      break;
    }
    if (it->is_regular_file(ec) && it->path().extension() == ".json")
      files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  for (const std::string& file : files) {
    auto loaded = load_results_file(file);
    if (!loaded.ok()) {
      h.skipped.push_back(loaded.err().message);
      continue;
    }
    results_file& r = loaded.value();
    if (error e = need_run_results(r)) {
      h.skipped.push_back(e.message);
      continue;
    }
    history_entry e;
    e.path = file;
    e.started = r.started;
    e.commit = r.print->build.git_commit;
    e.branch = r.print->build.git_branch;
    e.dirty = r.print->build.git_dirty == "true";
    e.machine = machine_name(r.print->machine);
    e.suite = r.suite;
    e.results = std::move(r);
    h.entries.push_back(std::move(e));
  }
  std::stable_sort(h.entries.begin(), h.entries.end(),
                   [](const history_entry& a, const history_entry& b) {
                     return a.started != b.started ? a.started < b.started : a.commit < b.commit;
                   });
  return h;
}

history_view build_history_view(const history& h, const trend_options& options) {
  history_view v;
  v.machine = options.machine;
  if (v.machine.empty() && !h.entries.empty()) v.machine = h.entries.back().machine;
  v.suite = options.suite;
  if (v.suite.empty())
    for (auto e = h.entries.rbegin(); e != h.entries.rend(); ++e)
      if (e->machine == v.machine) {
        v.suite = e->suite;
        break;
      }
  for (size_t i = 0; i < h.entries.size(); ++i) {
    const history_entry& e = h.entries[i];
    if (e.machine != v.machine)
      ++v.other_machines[e.machine];
    else if (e.suite != v.suite)
      ++v.other_suites[e.suite.empty() ? "(none)" : e.suite];
    else
      v.entries.push_back(i);
  }

  std::map<std::string, benchmark_trend> by_name;
  for (size_t i : v.entries) {
    const history_entry& e = h.entries[i];
    for (const benchmark_result& b : e.results.benchmarks) {
      const auto& samples = options.metric == "cpu_time" ? b.cpu_time_ns : b.real_time_ns;
      if (samples.empty()) continue;  // prepared but not timed that night
      benchmark_trend& t = by_name[b.name];
      t.name = b.name;
      t.points.push_back({i, e.started, e.commit, e.dirty, stats::median(samples), samples.size()});
    }
  }
  for (auto& [name, t] : by_name) {
    std::vector<double> series;
    series.reserve(t.points.size());
    bool finite = true;
    for (const trend_point& p : t.points) {
      if (!(p.median_ns > 0) || !std::isfinite(p.median_ns)) finite = false;
      series.push_back(std::log(std::max(p.median_ns, 1e-300)));
    }
    if (finite)
      for (const change_point& c : detect_change_points(series, options.detection))
        if (c.index > 0 && c.index < t.points.size())
          t.changes.push_back({c.index, std::exp(c.before), std::exp(c.after),
                               std::exp(c.after - c.before), c.p_value});
    v.trends.push_back(std::move(t));
  }
  return v;
}

}  // namespace vm::harness
