// history_command.cpp - the nightly history:
//   vmbench history add DIR RESULTS.json...   file runs into the history
//   vmbench history DIR                       each benchmark's recent trend
//                                             and its change points

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>

#include "commands.h"
#include "compare/compare_format.h"
#include "compare/statistics.h"
#include "history/history.h"

namespace vm::harness {
namespace {

using json = nlohmann::json;

struct history_options {
  std::string dir;
  std::vector<std::string> add_inputs;
  std::string add_dir;
  std::string machine, suite, filter, format = "table", metric = "real_time";
  size_t last = 14;
};

// Eight-level block characters for a terminal sparkline.
std::string blocks(const std::vector<double>& v) {
  static const char* kBars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  if (v.empty()) return "";
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  std::string out;
  for (double x : v) {
    const int level = *hi > *lo ? int(std::lround((x - *lo) / (*hi - *lo) * 7)) : 3;
    out += kBars[std::clamp(level, 0, 7)];
  }
  return out;
}

std::string change_text(const trend_change& c, const benchmark_trend& t) {
  const trend_point& before = t.points[c.point - 1];
  const trend_point& after = t.points[c.point];
  return format_change_percent(c.ratio) + " since " + after.started.substr(0, 10) + " (" +
         before.commit.substr(0, 12) + ".." + after.commit.substr(0, 12) + ")";
}

int show(const history_options& o) {
  auto loaded = load_history(o.dir);
  if (!loaded.ok()) {
    std::fprintf(stderr, "vmbench history: %s\n", loaded.err().message.c_str());
    return kExitBadInput;
  }
  const history& h = loaded.value();
  for (const std::string& s : h.skipped)
    std::fprintf(stderr, "vmbench history: warning: skipped %s\n", s.c_str());
  trend_options to;
  to.machine = o.machine;
  to.suite = o.suite;
  to.metric = o.metric;
  const history_view v = build_history_view(h, to);
  std::regex filter;
  try {
    filter = std::regex(o.filter.empty() ? ".*" : o.filter);
  } catch (const std::regex_error& e) {
    std::fprintf(stderr, "vmbench history: --benchmark: not a regular expression: %s\n", e.what());
    return kExitBadInput;
  }

  if (o.format == "json") {
    json out = {{"schema_version", kSchemaVersion}, {"kind", "vmbench.history"}, {"dir", h.dir},
                {"machine", v.machine}, {"suite", v.suite}, {"runs", h.entries.size()},
                {"runs_used", v.entries.size()}, {"other_machines", v.other_machines},
                {"other_suites", v.other_suites}, {"skipped_files", h.skipped},
                {"metric", o.metric}, {"benchmarks", json::array()}};
    for (const benchmark_trend& t : v.trends) {
      if (!std::regex_search(t.name, filter)) continue;
      json points = json::array(), changes = json::array();
      const size_t first = t.points.size() > o.last ? t.points.size() - o.last : 0;
      for (size_t i = first; i < t.points.size(); ++i)
        points.push_back({{"started", t.points[i].started}, {"commit", t.points[i].commit},
                          {"dirty", t.points[i].dirty}, {"median_ns", t.points[i].median_ns}});
      for (const trend_change& c : t.changes)
        changes.push_back({{"started", t.points[c.point].started},
                           {"commit", t.points[c.point].commit},
                           {"previous_commit", t.points[c.point - 1].commit},
                           {"before_ns", c.before_ns}, {"after_ns", c.after_ns},
                           {"ratio", c.ratio}, {"p_value", c.p_value}});
      out["benchmarks"].push_back({{"name", t.name}, {"nights", t.points.size()},
                                   {"points", points}, {"changes", changes}});
    }
    std::printf("%s\n", out.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return kExitOk;
  }

  std::printf("history %s: ", h.dir.c_str());
  if (h.entries.empty()) {
    if (h.skipped.empty())
      std::printf("empty (no run recorded yet; ci/nightly adds one per night)\n");
    else
      std::printf("no readable run (%zu files skipped, see above)\n", h.skipped.size());
    return kExitOk;
  }
  std::printf("machine %s, suite %s, %zu runs", v.machine.c_str(),
              v.suite.empty() ? "(none)" : v.suite.c_str(), v.entries.size());
  if (!v.entries.empty())
    std::printf(" from %s to %s", h.entries[v.entries.front()].started.c_str(),
                h.entries[v.entries.back()].started.c_str());
  std::printf("\n");
  for (const auto& [m, n] : v.other_machines)
    std::printf("  not shown: %zu runs of machine %s (--machine %s)\n", n, m.c_str(), m.c_str());
  for (const auto& [s, n] : v.other_suites)
    std::printf("  not shown: %zu runs of suite %s (--suite %s)\n", n, s.c_str(), s.c_str());
  if (v.entries.empty()) {
    std::printf("no run of machine %s\n", v.machine.c_str());
    return kExitOk;
  }
  size_t width = 9;
  for (const benchmark_trend& t : v.trends) width = std::max(width, t.name.size());
  std::printf("%-*s %6s %10s %8s %8s  %-*s  %s\n", int(width), "benchmark", "nights", "latest",
              "vs prev", "vs med", int(o.last), "trend", "change points");
  size_t shown = 0;
  for (const benchmark_trend& t : v.trends) {
    if (!std::regex_search(t.name, filter)) continue;
    ++shown;
    const size_t n = t.points.size();
    const size_t first = n > o.last ? n - o.last : 0;
    std::vector<double> recent;
    for (size_t i = first; i < n; ++i) recent.push_back(t.points[i].median_ns);
    const double latest = t.points.back().median_ns;
    const std::string vs_prev = n > 1 ? format_change_percent(latest / t.points[n - 2].median_ns) : "-";
    const std::string vs_median = format_change_percent(latest / stats::median(recent));
    std::string changes;
    for (const trend_change& c : t.changes) changes += (changes.empty() ? "" : "; ") + change_text(c, t);
    const std::string spark = blocks(recent);
    // Pad by characters, not bytes (each block is 3 bytes of UTF-8).
    std::printf("%-*s %6zu %10s %8s %8s  %s%*s  %s\n", int(width), t.name.c_str(), n,
                format_duration_ns(latest).c_str(), vs_prev.c_str(), vs_median.c_str(),
                spark.c_str(), int(o.last - recent.size()), "",
                changes.empty() ? "-" : changes.c_str());
  }
  if (shown == 0) std::printf("(no benchmark matches)\n");
  return kExitOk;
}

}  // namespace

command_action add_history_command(CLI::App& app) {
  auto o = std::make_shared<history_options>();
  CLI::App* sub = app.add_subcommand(
      "history",
      "The nightly history, a directory of results files keyed by machine, start time and\n"
      "commit. `vmbench history DIR` prints each benchmark's recent trend and the change\n"
      "points (E-divisive means) of its whole series; `vmbench history add DIR RESULTS...`\n"
      "files runs into it.");
  sub->require_subcommand(0, 1);
  sub->add_option("dir", o->dir, "History directory");
  sub->add_option("--machine", o->machine, "Machine to show (default: that of the newest run)");
  sub->add_option("--suite", o->suite, "Suite to show (default: that of the newest run)");
  sub->add_option("--benchmark", o->filter, "Only benchmarks whose name matches this regex");
  sub->add_option("--last", o->last, "Nights in the trend column")
      ->check(CLI::Range(size_t{2}, size_t{60}))
      ->capture_default_str();
  sub->add_option("--metric", o->metric, "real_time or cpu_time")
      ->check(CLI::IsMember({"real_time", "cpu_time"}))
      ->capture_default_str();
  sub->add_option("--format", o->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  CLI::App* add = sub->add_subcommand("add", "File results of `vmbench run` into the history");
  add->add_option("dir", o->add_dir, "History directory (created if needed)")->required();
  add->add_option("results", o->add_inputs, "Results JSON files")->required();

  return [o, add]() -> int {
    if (add->parsed()) {
      int status = kExitOk;
      for (const std::string& path : o->add_inputs) {
        auto r = load_results_file(path);
        auto added = r.ok() ? add_to_history(o->add_dir, r.value())
                            : result<history_add_result>(std::move(r).err());
        if (!added.ok()) {
          std::fprintf(stderr, "vmbench history add: %s\n", added.err().message.c_str());
          status = kExitBadInput;
          continue;
        }
        std::printf("%s %s\n", added.value().already_present ? "already in the history:" : "added",
                    added.value().path.c_str());
      }
      return status;
    }
    if (o->dir.empty()) {
      std::fprintf(stderr, "vmbench history: give a history directory (or `history add DIR RESULTS`)\n");
      return kExitBadInput;
    }
    return show(*o);
  };
}

}  // namespace vm::harness
