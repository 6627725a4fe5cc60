#include "report/report_model.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>

#include "compare/statistics.h"

namespace vm::harness {
namespace {

using json = nlohmann::json;

// "mem/recorded/sha256/page:4k/tlb:default" -> engine "mem", trace
// "recorded/sha256", parameters {"page": "4k", "tlb": "default"}.
json name_parts(const std::string& name) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = name.find('/', start);
    parts.push_back(name.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  json out = {{"engine", parts.size() > 1 ? parts[0] : ""}, {"trace", ""}, {"parameters", json::object()}};
  std::string trace;
  for (size_t i = parts.size() > 1 ? 1 : 0; i < parts.size(); ++i) {
    const size_t colon = parts[i].find(':');
    if (colon != std::string::npos) {
      out["parameters"][parts[i].substr(0, colon)] = parts[i].substr(colon + 1);
    } else {
      if (!trace.empty()) trace += '/';
      trace += parts[i];
    }
  }
  out["trace"] = trace;
  return out;
}

json side_json(const results_file& r) {
  json fp = nullptr;
  std::string machine;
  if (r.print) {
    fp = to_json(*r.print);
    machine = machine_name(r.print->machine);
  }
  const char* kind = r.kind == results_kind::kResults           ? "results"
                     : r.kind == results_kind::kGoogleBenchmark ? "google-benchmark"
                                                                : "counters";
  return {{"path", r.path},     {"kind", kind},   {"suite", r.suite},
          {"started", r.started}, {"machine", machine}, {"fingerprint", fp},
          {"warnings", r.warnings}, {"benchmarks", r.benchmarks.size()}};
}

json samples_json(const benchmark_result& b, const std::string& metric) {
  const auto& s = metric == "cpu_time" ? b.cpu_time_ns : b.real_time_ns;
  return {{"samples_ns", s}, {"median_ns", s.empty() ? json(nullptr) : json(stats::median(s))}};
}

// A count: a non-negative integer (parsed files hold unsigned ones, JSON
// built in code signed ones).
bool is_count(const json& v) {
  return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
}

uint64_t counter_value(const json& counters, const std::string& key, bool& present) {
  present = counters.is_object() && counters.contains(key) && is_count(counters[key]);
  return present ? counters[key].get<uint64_t>() : 0;
}

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string list_names(const std::vector<std::string>& names, size_t limit = 5) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < limit; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > limit) out += ", and " + std::to_string(names.size() - limit) + " more";
  return out;
}

}  // namespace

json tlb_figures(const json& counters, std::optional<double> ns_per_iteration) {
  if (!counters.is_object()) return nullptr;
  // Only <level>.hits/misses: a level's flushes and evictions, and the
  // prefetch, pattern and design-specific counters, are not levels.
  static const std::regex level_key(R"(tlb\.([A-Za-z0-9_]+)\.(hits|misses))");
  std::map<std::string, std::pair<uint64_t, uint64_t>> levels;  // level -> hits, misses
  std::vector<std::string> order;
  for (const auto& [key, value] : counters.items()) {
    std::smatch m;
    if (!std::regex_match(key, m, level_key) || !is_count(value)) continue;
    if (!levels.count(m[1])) order.push_back(m[1]);
    auto& hm = levels[m[1]];
    (m[2] == "hits" ? hm.first : hm.second) = value.get<uint64_t>();
  }
  if (levels.empty()) return nullptr;
  std::sort(order.begin(), order.end());  // l1, l2, l3, ... (and any other name after)
  auto ratio = [](uint64_t part, uint64_t whole) {
    return whole ? json(double(part) / double(whole)) : json(nullptr);
  };
  json out = {{"levels", json::array()}};
  for (const std::string& level : order) {
    const auto [hits, misses] = levels[level];
    const uint64_t lookups = hits + misses;
    out["levels"].push_back({{"level", level},
                             {"hits", hits},
                             {"misses", misses},
                             {"hit_rate", ratio(hits, lookups)},
                             {"miss_rate", ratio(misses, lookups)}});
  }
  bool r = false, w = false, f = false;
  const uint64_t accesses = counter_value(counters, "reads", r) + counter_value(counters, "writes", w) +
                            counter_value(counters, "fetches", f);
  const auto first = levels[order.front()];
  const uint64_t n = (r || w || f) ? accesses : first.first + first.second;
  out["accesses"] = n;
  bool has_walks = false;
  const uint64_t walks = counter_value(counters, "walks", has_walks);
  out["walks"] = has_walks ? json(walks) : json(nullptr);
  out["walks_per_1k"] = has_walks && n ? json(1000.0 * double(walks) / double(n)) : json(nullptr);

  bool present = false;
  counter_value(counters, "tlb.prefetch.issued", present);
  if (present) {
    json p = json::object();
    bool unused = false;
    for (const char* k : {"issued", "useful", "late", "useless", "dropped", "walks"})
      p[k] = counter_value(counters, std::string("tlb.prefetch.") + k, unused);
    const uint64_t correct = p["useful"].get<uint64_t>() + p["late"].get<uint64_t>();
    p["accuracy"] = ratio(correct, p["issued"].get<uint64_t>());
    p["coverage"] = has_walks ? ratio(correct, correct + walks) : json(nullptr);
    out["prefetch"] = p;
  } else {
    out["prefetch"] = nullptr;
  }

  json pattern = json::object();
  bool any_pattern = false;
  for (const char* k : {"sequential", "strided", "random"}) {
    pattern[k] = counter_value(counters, std::string("tlb.pattern.") + k, present);
    any_pattern |= present;
  }
  out["pattern"] = any_pattern ? pattern : json(nullptr);

  const bool timed = ns_per_iteration && std::isfinite(*ns_per_iteration) && *ns_per_iteration > 0;
  out["ns_per_access"] = timed && n ? json(*ns_per_iteration / double(n)) : json(nullptr);
  return out;
}

json build_report(const report_inputs& in) {
  const results_file& cur = *in.current;
  const results_file* base = in.baseline;
  std::vector<std::string> notes;

  json doc = {{"schema_version", kReportSchemaVersion},
              {"kind", "vmbench.report"},
              {"generated_by", in.generated_by},
              {"metric", in.options.metric},
              {"current", side_json(cur)},
              {"baseline", base ? side_json(*base) : json(nullptr)},
              {"comparison", nullptr},
              {"history", nullptr}};

  if (cur.benchmarks.empty()) notes.push_back("The results file " + cur.path + " has no benchmark.");
  if (base && base->benchmarks.empty())
    notes.push_back("The baseline " + base->path + " has no benchmark.");

  // The comparison, when there is a baseline and something to compare.
  std::optional<comparison> cmp;
  if (base) {
    auto c = compare_results(*base, cur, in.rules, in.options);
    if (c.ok()) {
      cmp = std::move(c).value();
    } else {
      notes.push_back("Nothing was compared: " + c.err().message + ".");
    }
  }
  std::vector<std::string> only_in_base, only_in_current;
  if (base) {
    for (const benchmark_result& b : base->benchmarks)
      if (!cur.find(b.name)) only_in_base.push_back(b.name);
    for (const benchmark_result& b : cur.benchmarks)
      if (!base->find(b.name)) only_in_current.push_back(b.name);
    if (!only_in_current.empty())
      notes.push_back(plural(only_in_current.size(), "benchmark is", "benchmarks are") +
                      " only in this run, with no baseline to compare with: " +
                      list_names(only_in_current) + ".");
    if (!only_in_base.empty())
      notes.push_back(plural(only_in_base.size(), "benchmark is", "benchmarks are") +
                      " only in the baseline, missing from this run: " + list_names(only_in_base) +
                      ".");
  }
  if (cmp) {
    doc["comparison"] = {{"alpha", cmp->options.alpha},
                         {"fdr", cmp->options.fdr},
                         {"metric", cmp->options.metric},
                         {"machines_match", cmp->machines_match},
                         {"machine_differences", cmp->machine_differences},
                         {"timings_compared", cmp->timings_compared},
                         {"warnings", cmp->warnings},
                         {"geomean_ratio", cmp->geomean_ratio > 0 ? json(cmp->geomean_ratio) : json(nullptr)}};
    if (!cmp->timings_compared) {
      const bool one_fingerprint = (base->print.has_value() != cur.print.has_value());
      notes.push_back(base->kind == results_kind::kCounters
                          ? "The baseline is a counters baseline: deterministic counters are "
                            "compared, timings are shown but not judged."
                      : one_fingerprint
                          ? std::string("Timings were not judged: only ") +
                                (base->print ? "the baseline" : "this run") +
                                " has a machine fingerprint, so nothing shows that both ran on "
                                "one machine; counters were still compared."
                      : !cmp->machines_match
                          ? "Timings were not judged: the two sides ran on different "
                            "machines; counters were still compared."
                          : "Timings were not judged: no benchmark has samples on both sides.");
    }
  }
  std::vector<std::string> mismatches;
  if (cmp)
    mismatches = cmp->machine_differences;
  else if (base && base->print && cur.print)
    mismatches = machine_differences(base->print->machine, cur.print->machine);
  if (base && base->print && cur.print)
    for (const std::string& d : minor_differences(*base->print, cur.print.value())) mismatches.push_back(d);
  doc["fingerprint_mismatches"] = mismatches;

  // The history: one machine and suite, those of this run.
  std::optional<history_view> view;
  if (in.past && !cur.print) {
    notes.push_back("The results file " + cur.path +
                    " has no fingerprint, so its machine is unknown: no trend is shown from the "
                    "history at " + in.past->dir + ".");
  } else if (in.past) {
    trend_options to;
    to.metric = in.options.metric;
    to.machine = machine_name(cur.print->machine);
    to.suite = cur.suite;
    view = build_history_view(*in.past, to);
    json other = json::object(), other_suites = json::object();
    for (const auto& [m, n] : view->other_machines) other[m] = n;
    for (const auto& [s, n] : view->other_suites) other_suites[s] = n;
    doc["history"] = {{"dir", in.past->dir},
                      {"machine", view->machine},
                      {"suite", view->suite},
                      {"runs", in.past->entries.size()},
                      {"runs_used", view->entries.size()},
                      {"other_machines", other},
                      {"other_suites", other_suites},
                      {"skipped_files", in.past->skipped},
                      {"nights_shown", in.nights}};
    if (in.past->entries.empty() && in.past->skipped.empty())
      notes.push_back("The history at " + in.past->dir + " is empty: no trend yet.");
    else if (in.past->entries.empty())
      notes.push_back("The history at " + in.past->dir + " has no readable run (" +
                      plural(in.past->skipped.size(), "file", "files") + " skipped): no trend.");
    else if (view->entries.empty())
      notes.push_back("The history at " + in.past->dir + " has no run of this machine (" +
                      view->machine + ") and suite (" + view->suite + "): no trend shown.");
    if (!view->other_machines.empty()) {
      std::vector<std::string> names;
      for (const auto& [m, k] : view->other_machines)
        names.push_back(m + " (" + plural(k, "run", "runs") + ")");
      notes.push_back("The history mixes machines: trends use " + view->machine +
                      " only; not shown: " + list_names(names) + ".");
    }
    if (!view->other_suites.empty()) {
      size_t n = 0;
      for (const auto& [s, k] : view->other_suites) n += k;
      notes.push_back(plural(n, "run", "runs") + " of other suites on this machine are not shown.");
    }
    if (!in.past->skipped.empty())
      notes.push_back("Skipped " + plural(in.past->skipped.size(), "history file", "history files") +
                      " that could not be read: " + list_names(in.past->skipped, 3) + ".");
  }
  std::map<std::string, const benchmark_trend*> trends;
  if (view)
    for (const benchmark_trend& t : view->trends) trends[t.name] = &t;

  // Per benchmark.
  std::map<std::string, const benchmark_comparison*> compared;
  if (cmp)
    for (const benchmark_comparison& bc : cmp->benchmarks) compared[bc.name] = &bc;
  json benchmarks = json::array();
  const std::vector<double> c_empty;
  auto add_benchmark = [&](const std::string& name) {
    const benchmark_result* c = cur.find(name);
    const benchmark_result* b = base ? base->find(name) : nullptr;
    json e = {{"name", name}};
    e.update(name_parts(name));
    e["present"] = c && b ? "both" : c ? "current" : "baseline";
    e["current"] = c ? samples_json(*c, in.options.metric) : json(nullptr);
    e["baseline"] = b ? samples_json(*b, in.options.metric) : json(nullptr);
    const threshold_rule& rule = in.rules.rule_for(name);
    e["min_effect"] = rule.min_effect;
    e["rule"] = in.rules.rule_name(name);
    auto it = compared.find(name);
    if (it != compared.end()) {
      const benchmark_comparison& bc = *it->second;
      e["timing_compared"] = bc.timing_compared;
      e["ratio"] = bc.timing_compared ? json(bc.ratio) : json(nullptr);
      e["ratio_low"] = bc.timing_compared ? json(bc.ratio_low) : json(nullptr);
      e["ratio_high"] = bc.timing_compared ? json(bc.ratio_high) : json(nullptr);
      e["p_value"] = bc.timing_compared ? json(bc.p_value) : json(nullptr);
      e["q_value"] = bc.timing_compared ? json(bc.q_value) : json(nullptr);
      e["timing_verdict"] = verdict_name(bc.timing);
      e["verdict"] = verdict_name(bc.overall());
      e["counters_gate_failed"] = bc.counters_gate_failed;
      e["note"] = bc.note;
    } else {
      e["timing_compared"] = false;
      for (const char* k : {"ratio", "ratio_low", "ratio_high", "p_value", "q_value"}) e[k] = nullptr;
      e["timing_verdict"] = "not compared";
      e["verdict"] = "not compared";
      e["counters_gate_failed"] = false;
      e["note"] = !base          ? "no baseline"
                  : !c          ? "only in the baseline"
                  : !b          ? "only in this run"
                                : "not compared";
    }
    // Counters side by side.
    json counters = json::array();
    std::set<std::string> keys;
    const json none;
    const json& cc = c && c->counters.is_object() ? c->counters : none;
    const json& bcnt = b && b->counters.is_object() ? b->counters : none;
    for (const auto& [k, v] : cc.items()) keys.insert(k);
    for (const auto& [k, v] : bcnt.items()) keys.insert(k);
    for (const std::string& k : keys) {
      const json cv = cc.is_object() && cc.contains(k) ? cc[k] : json(nullptr);
      const json bv = bcnt.is_object() && bcnt.contains(k) ? bcnt[k] : json(nullptr);
      counters.push_back({{"name", k},
                          {"current", cv},
                          {"baseline", bv},
                          {"changed", b && c && cv != bv},
                          {"gates", in.rules.counter_gates(name, k)}});
    }
    e["counters"] = counters;
    // ns per access from the same side as the counters: the central time
    // (median of the metric's samples) of one iteration, which replays the
    // trace once, over the accesses the counters saw in that replay.
    auto median_ns = [&](const benchmark_result* side) -> std::optional<double> {
      if (!side) return std::nullopt;
      const auto& s = in.options.metric == "cpu_time" ? side->cpu_time_ns : side->real_time_ns;
      if (s.empty()) return std::nullopt;
      return stats::median(s);
    };
    e["tlb"] = c ? tlb_figures(c->counters, median_ns(c)) : b ? tlb_figures(b->counters, median_ns(b))
                                                            : json(nullptr);
    e["baseline_tlb"] = b && c ? tlb_figures(b->counters, median_ns(b)) : json(nullptr);

    // Trend over the history, the last `nights` nights; change points over all.
    json trend = nullptr;
    auto t = trends.find(name);
    if (t != trends.end()) {
      const benchmark_trend& tr = *t->second;
      const size_t first = tr.points.size() > in.nights ? tr.points.size() - in.nights : 0;
      json points = json::array();
      bool has_current = false;
      for (size_t i = first; i < tr.points.size(); ++i) {
        const trend_point& p = tr.points[i];
        const bool is_current = c && p.started == cur.started && cur.print &&
                                p.commit == cur.print->build.git_commit;
        has_current |= is_current;
        points.push_back({{"started", p.started},
                          {"commit", p.commit},
                          {"dirty", p.dirty},
                          {"median_ns", p.median_ns},
                          {"this_run", is_current}});
      }
      // This run, when the history does not hold it yet (a report made
      // before `history add`) and it is newer than every night shown.
      const auto& s = !c ? c_empty : in.options.metric == "cpu_time" ? c->cpu_time_ns : c->real_time_ns;
      const bool newest = tr.points.empty() || cur.started > tr.points.back().started;
      const bool appended = !has_current && !s.empty() && newest;
      if (appended) {
        points.push_back({{"started", cur.started},
                          {"commit", cur.print ? cur.print->build.git_commit : "unknown"},
                          {"dirty", cur.print && cur.print->build.git_dirty == "true"},
                          {"median_ns", stats::median(s)},
                          {"this_run", true}});
      }
      json changes = json::array();
      for (const trend_change& ch : tr.changes) {
        const trend_point& after = tr.points[ch.point];
        const trend_point& before = tr.points[ch.point - 1];
        changes.push_back({{"started", after.started},
                           {"commit", after.commit},
                           {"previous_commit", before.commit},
                           {"previous_started", before.started},
                           {"nights_ago", tr.points.size() - ch.point},
                           {"shown_index", ch.point >= first ? json(ch.point - first) : json(nullptr)},
                           {"before_ns", ch.before_ns},
                           {"after_ns", ch.after_ns},
                           {"ratio", ch.ratio},
                           {"p_value", ch.p_value}});
      }
      trend = {{"points", points},
               {"nights", tr.points.size()},
               {"this_run_appended", appended},
               {"changes", changes}};
    }
    e["trend"] = trend;
    benchmarks.push_back(std::move(e));
  };
  for (const benchmark_result& b : cur.benchmarks) add_benchmark(b.name);
  for (const std::string& name : only_in_base) add_benchmark(name);
  doc["benchmarks"] = benchmarks;

  // Summary.
  json counts = {{"regression", 0}, {"improvement", 0}, {"unchanged", 0}, {"inconclusive", 0},
                 {"not compared", 0}};
  for (const json& e : benchmarks) counts[e["verdict"].get<std::string>()] = counts[e["verdict"].get<std::string>()].get<int>() + 1;
  size_t recent_steps = 0;
  for (const json& e : benchmarks)
    if (!e["trend"].is_null())
      for (const json& ch : e["trend"]["changes"])
        if (ch["nights_ago"].get<size_t>() <= in.nights) ++recent_steps;
  std::string verdict, headline;
  if (!cmp) {
    verdict = "not compared";
    headline = base ? "Nothing compared" : "No baseline: timings shown, not judged";
  } else if (counts["regression"].get<int>() > 0) {
    verdict = "regression";
    headline = "Regression: " + plural(counts["regression"].get<size_t>(), "benchmark", "benchmarks") +
               " slower or changed";
  } else {
    verdict = "no regression";
    headline = cmp->timings_compared ? "No regression"
                                     : "No regression in the counters; timings not judged";
  }
  doc["summary"] = {{"verdict", verdict},
                    {"headline", headline},
                    {"benchmarks", benchmarks.size()},
                    {"counts", counts},
                    {"geomean_ratio", cmp && cmp->geomean_ratio > 0 ? json(cmp->geomean_ratio) : json(nullptr)},
                    {"recent_change_points", recent_steps},
                    {"warnings", json::array()},
                    {"notes", notes}};
  json warnings = json::array();
  for (const std::string& w : cur.warnings) warnings.push_back("this run: " + w);
  if (base)
    for (const std::string& w : base->warnings) warnings.push_back("baseline: " + w);
  doc["summary"]["warnings"] = warnings;
  return doc;
}

}  // namespace vm::harness
