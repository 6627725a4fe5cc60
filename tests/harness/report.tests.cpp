// report.tests.cpp - the report document (report_model.h) and its HTML page
// (html_report.h): verdicts and statistics carried from the comparison,
// every odd input said in plain words, TLB figures from the counters,
// trends and change points from the history, and HTML that escapes what it
// shows. The page in a real browser: tests/browser.

#include <catch2/catch.hpp>
#include <random>
#include <sstream>

#include "history/history.h"
#include "report/html_report.h"
#include "report/report_model.h"
#include "report/svg_chart.h"
#include "compare/compare_format.h"
#include "support/child_process.h"

namespace {

using namespace vm::harness;
using json = nlohmann::json;
using vm::test::scratch_dir;

fingerprint machine(const std::string& cpu = "Test CPU 9000", const std::string& commit = "abc") {
  fingerprint fp;
  fp.machine.cpu_model = cpu;
  fp.machine.logical_cpus = 2;
  fp.build.git_commit = commit;
  fp.build.git_dirty = "false";
  return fp;
}

benchmark_result bench(const std::string& name, double ns, uint64_t seed, json counters = nullptr,
                       int reps = 8) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(1.0, 0.005);
  benchmark_result b;
  b.name = name;
  for (int i = 0; i < reps; ++i) {
    b.real_time_ns.push_back(ns * noise(rng));
    b.cpu_time_ns.push_back(b.real_time_ns.back());
  }
  b.counters = std::move(counters);
  return b;
}

results_file results(const std::string& path, std::vector<benchmark_result> benchmarks,
                     const std::string& started = "2026-11-24T02:00:00Z",
                     const fingerprint& fp = machine()) {
  results_file r;
  r.path = path;
  r.suite = "nightly";
  r.started = started;
  r.print = fp;
  r.benchmarks = std::move(benchmarks);
  return r;
}

const json kTlbCounters = {{"reads", 700}, {"writes", 200}, {"fetches", 100}, {"walks", 20},
                           {"tlb.l1.hits", 900}, {"tlb.l1.misses", 100}, {"tlb.l2.hits", 80},
                           {"tlb.l2.misses", 20}};

bool has_note(const json& report, const std::string& text) {
  for (const json& n : report["summary"]["notes"])
    if (n.get<std::string>().find(text) != std::string::npos) return true;
  return false;
}

const json& find(const json& report, const std::string& name) {
  for (const json& b : report["benchmarks"])
    if (b["name"] == name) return b;
  FAIL("no benchmark " << name);
  static json none;
  return none;
}

}  // namespace

TEST_CASE("a report against a baseline carries every verdict and the figures behind it",
          "[harness][report]") {
  const results_file base = results("base.json", {bench("mem/recorded/a/page:4k/tlb:default", 1000, 1, kTlbCounters),
                                                  bench("exec/recorded/b", 5000, 2)});
  json slower_counters = kTlbCounters;
  slower_counters["walks"] = 25;
  const results_file cur = results("cur.json", {bench("mem/recorded/a/page:4k/tlb:default", 1100, 3, slower_counters),
                                                bench("exec/recorded/b", 5000, 4)});
  report_inputs in;
  in.current = &cur;
  in.baseline = &base;
  in.generated_by = "vmbench test";
  const json r = build_report(in);

  CHECK(r["schema_version"] == kReportSchemaVersion);
  CHECK(r["kind"] == "vmbench.report");
  CHECK(r["summary"]["verdict"] == "regression");
  CHECK(r["summary"]["counts"]["regression"] == 1);
  CHECK(r["summary"]["counts"]["unchanged"] == 1);
  CHECK(r["summary"]["benchmarks"] == 2);
  CHECK(r["summary"]["geomean_ratio"].get<double>() == Approx(std::sqrt(1.1)).epsilon(0.01));
  CHECK(r["current"]["machine"] == "test-9000-2c");
  CHECK(r["baseline"]["path"] == "base.json");
  CHECK(r["comparison"]["timings_compared"] == true);

  const json& a = find(r, "mem/recorded/a/page:4k/tlb:default");
  CHECK(a["engine"] == "mem");
  CHECK(a["trace"] == "recorded/a");
  CHECK(a["parameters"] == json{{"page", "4k"}, {"tlb", "default"}});
  CHECK(a["verdict"] == "regression");
  CHECK(a["ratio"].get<double>() == Approx(1.1).epsilon(0.01));
  CHECK(a["ratio_low"].get<double>() < a["ratio"].get<double>());
  CHECK(a["ratio_high"].get<double>() > a["ratio"].get<double>());
  CHECK(a["p_value"].get<double>() < 0.001);
  CHECK(a["min_effect"] == 0.03);
  CHECK(a["current"]["samples_ns"] == cur.benchmarks[0].real_time_ns);
  CHECK(a["baseline"]["samples_ns"] == base.benchmarks[0].real_time_ns);
  // Counters side by side, the changed one marked.
  bool walks_seen = false;
  for (const json& c : a["counters"])
    if (c["name"] == "walks") {
      walks_seen = true;
      CHECK(c["current"] == 25);
      CHECK(c["baseline"] == 20);
      CHECK(c["changed"] == true);
    } else {
      CHECK(c["changed"] == false);
    }
  CHECK(walks_seen);
  CHECK(a["tlb"]["walks_per_1k"].get<double>() == Approx(25.0));
  CHECK(a["baseline_tlb"]["walks_per_1k"].get<double>() == Approx(20.0));

  const std::string html = render_html_report(r);
  CHECK(html.find("<section id=\"summary\" class=\"v-regression\">") != std::string::npos);
  CHECK(html.find("class=\"chart strip\"") != std::string::npos);
  CHECK(html.find("class=\"chart bars tlb-hit-rate\"") != std::string::npos);
  // Self-contained: nothing is fetched when the page opens.
  for (const char* remote : {"src=\"http", "href=\"http", "@import", "url(http", "<link "})
    CHECK(html.find(remote) == std::string::npos);
}

TEST_CASE("odd inputs still give a report that says what is odd", "[harness][report]") {
  report_inputs in;
  SECTION("a results file with zero benchmarks") {
    const results_file cur = results("empty.json", {});
    in.current = &cur;
    const json r = build_report(in);
    CHECK(r["benchmarks"].empty());
    CHECK(r["summary"]["verdict"] == "not compared");
    CHECK(has_note(r, "The results file empty.json has no benchmark."));
    const std::string html = render_html_report(r);
    CHECK(html.find("There is no benchmark to show") != std::string::npos);
    CHECK(html.find("id=\"benchmarks\"") != std::string::npos);
  }
  SECTION("benchmarks on one side only") {
    const results_file base = results("base.json", {bench("mem/x", 10, 1), bench("mem/old", 10, 2)});
    const results_file cur = results("cur.json", {bench("mem/x", 10, 3), bench("mem/new", 10, 4)});
    in.current = &cur;
    in.baseline = &base;
    const json r = build_report(in);
    CHECK(has_note(r, "1 benchmark is only in this run, with no baseline to compare with: mem/new."));
    CHECK(has_note(r, "1 benchmark is only in the baseline, missing from this run: mem/old."));
    CHECK(find(r, "mem/new")["present"] == "current");
    CHECK(find(r, "mem/new")["verdict"] == "not compared");
    CHECK(find(r, "mem/old")["present"] == "baseline");
    CHECK(find(r, "mem/old")["current"].is_null());
    CHECK(find(r, "mem/x")["present"] == "both");
    CHECK(r["benchmarks"].size() == 3);
  }
  SECTION("no benchmark in common") {
    const results_file base = results("base.json", {bench("mem/old", 10, 2)});
    const results_file cur = results("cur.json", {bench("mem/new", 10, 4)});
    in.current = &cur;
    in.baseline = &base;
    const json r = build_report(in);
    CHECK(r["comparison"].is_null());
    CHECK(r["summary"]["verdict"] == "not compared");
    CHECK(has_note(r, "Nothing was compared: no benchmark in common"));
  }
  SECTION("a plain Google Benchmark file, whose machine is unknown, gets no trend") {
    scratch_dir dir;
    REQUIRE(add_to_history(dir.path(), results("n.json", {bench("mem/x", 10, 1)})).ok());
    auto h = load_history(dir.path());
    REQUIRE(h.ok());
    results_file cur = results("gb.json", {bench("mem/x", 10, 3)});
    cur.print.reset();
    cur.kind = results_kind::kGoogleBenchmark;
    in.current = &cur;
    in.past = &h.value();
    const json r = build_report(in);
    CHECK(has_note(r, "The results file gb.json has no fingerprint, so its machine is unknown"));
    CHECK(r["history"].is_null());
    CHECK(find(r, "mem/x")["trend"].is_null());
  }
  SECTION("a baseline from another machine") {
    const results_file base = results("base.json", {bench("mem/x", 10, 1)}, "2026-11-23T02:00:00Z",
                                      machine("Other CPU"));
    const results_file cur = results("cur.json", {bench("mem/x", 20, 3)});
    in.current = &cur;
    in.baseline = &base;
    const json r = build_report(in);
    CHECK(has_note(r, "Timings were not judged: the two sides ran on different machines"));
    CHECK(find(r, "mem/x")["verdict"] == "inconclusive");
    CHECK_FALSE(r["fingerprint_mismatches"].empty());
  }
}

TEST_CASE("the report's history shows one machine's trend and says what it left out",
          "[harness][report][history]") {
  scratch_dir dir;
  for (int d = 0; d < 40; ++d) {
    char started[32];
    std::snprintf(started, sizeof started, "2026-10-%02dT02:00:00Z", d % 30 + 1);
    if (d >= 30) std::snprintf(started, sizeof started, "2026-11-%02dT02:00:00Z", d - 29);
    const double step = d >= 25 ? 1.05 : 1.0;
    const results_file night = results("n.json", {bench("mem/x", 1000 * step, 100 + d)}, started,
                                       machine("Test CPU 9000", std::string(40, char('a' + d % 6))));
    REQUIRE(add_to_history(dir.path(), night).ok());
  }
  REQUIRE(add_to_history(dir.path(), results("o.json", {bench("mem/x", 1, 1)}, "2026-11-30T02:00:00Z",
                                             machine("Other CPU")))
              .ok());
  auto h = load_history(dir.path());
  REQUIRE(h.ok());
  const results_file cur = results("cur.json", {bench("mem/x", 1050, 999), bench("mem/y", 5, 1)},
                                   "2026-11-12T02:00:00Z");
  report_inputs in;
  in.current = &cur;
  in.past = &h.value();
  in.nights = 20;
  const json r = build_report(in);
  CHECK(r["history"]["runs"] == 41);
  CHECK(r["history"]["runs_used"] == 40);
  CHECK(r["history"]["other_machines"] == json{{"other-2c", 1}});
  CHECK(has_note(r, "The history mixes machines: trends use test-9000-2c only; not shown: other-2c (1 run)."));

  const json& x = find(r, "mem/x");
  REQUIRE(x["trend"].is_object());
  CHECK(x["trend"]["nights"] == 40);
  // The last 20 nights, then this run (not in the history) last.
  REQUIRE(x["trend"]["points"].size() == 21);
  CHECK(x["trend"]["points"].back()["this_run"] == true);
  CHECK(x["trend"]["points"].back()["started"] == "2026-11-12T02:00:00Z");
  REQUIRE(x["trend"]["changes"].size() == 1);
  const json& step = x["trend"]["changes"][0];
  CHECK(step["started"] == "2026-10-26T02:00:00Z");  // night 25
  CHECK(step["nights_ago"] == 15);
  CHECK(step["shown_index"] == 5);
  CHECK(step["ratio"].get<double>() == Approx(1.05).epsilon(0.01));
  CHECK(r["summary"]["recent_change_points"] == 1);
  CHECK(find(r, "mem/y")["trend"].is_null());  // never ran in the history

  const std::string html = render_html_report(r);
  CHECK(html.find("class=\"chart trend\"") != std::string::npos);
  CHECK(html.find("id=\"change-points\"") != std::string::npos);
  const std::string label = format_change_percent(step["ratio"].get<double>()) + " at 2026-10-26";
  CHECK(html.find(label) != std::string::npos);

  SECTION("a change point older than the nights shown is listed but not drawn") {
    in.nights = 10;  // nights 30..39 shown; the step was at night 25
    const json narrow = build_report(in);
    const json& n = find(narrow, "mem/x");
    REQUIRE(n["trend"]["changes"].size() == 1);
    CHECK(n["trend"]["changes"][0]["shown_index"].is_null());
    CHECK(n["trend"]["changes"][0]["nights_ago"] == 15);
    CHECK(n["trend"]["points"].size() == 11);  // 10 nights, then this run
    CHECK(narrow["summary"]["recent_change_points"] == 0);
  }
  SECTION("this run is added to the trend only when it is newer than every night") {
    const results_file old = results("old.json", {bench("mem/x", 1000, 5)}, "2026-10-05T12:00:00Z");
    in.current = &old;
    const json r_old = build_report(in);
    const json& o = find(r_old, "mem/x");
    CHECK(o["trend"]["this_run_appended"] == false);
    CHECK(o["trend"]["points"].size() == 20);
    for (const json& p : o["trend"]["points"]) CHECK(p["this_run"] == false);
  }
  SECTION("the trend uses the chosen metric, for this run too") {
    results_file cpu = cur;
    for (benchmark_result& b : cpu.benchmarks)
      for (double& t : b.cpu_time_ns) t *= 0.5;
    in.current = &cpu;
    in.options.metric = "cpu_time";
    const json rc = build_report(in);
    const json& last = find(rc, "mem/x")["trend"]["points"].back();
    CHECK(last["this_run"] == true);
    CHECK(last["median_ns"].get<double>() == Approx(0.5 * find(r, "mem/x")["trend"]["points"].back()["median_ns"].get<double>()));
  }
  SECTION("an empty history is said plainly") {
    scratch_dir empty;
    auto e = load_history(empty.path());
    REQUIRE(e.ok());
    in.past = &e.value();
    const json re = build_report(in);
    CHECK(has_note(re, "is empty: no trend yet"));
    CHECK(find(re, "mem/x")["trend"].is_null());
  }
}

TEST_CASE("TLB figures come from the counters of every level", "[harness][report]") {
  const json t = tlb_figures(kTlbCounters);
  REQUIRE(t.is_object());
  CHECK(t["accesses"] == 1000);  // reads + writes + fetches
  REQUIRE(t["levels"].size() == 2);
  CHECK(t["levels"][0]["level"] == "l1");
  CHECK(t["levels"][0]["hit_rate"].get<double>() == Approx(0.9));
  CHECK(t["levels"][1]["level"] == "l2");
  CHECK(t["levels"][1]["hit_rate"].get<double>() == Approx(0.8));
  CHECK(t["walks_per_1k"].get<double>() == Approx(20.0));

  // An exec benchmark counts no reads: accesses are the first level's lookups.
  const json exec = tlb_figures({{"tlb.l1.hits", 3}, {"tlb.l1.misses", 1}, {"walks", 1}});
  CHECK(exec["accesses"] == 4);
  CHECK(exec["walks_per_1k"].get<double>() == Approx(250.0));
  // Nothing to show.
  CHECK(tlb_figures({{"lookups", 5}}).is_null());
  CHECK(tlb_figures(nullptr).is_null());
  CHECK(tlb_figures({{"tlb.l1.hits", 0}, {"tlb.l1.misses", 0}})["levels"][0]["hit_rate"].is_null());
}

TEST_CASE("the page escapes whatever the files say", "[harness][report]") {
  const std::string evil = "mem/<script>alert(\"x\")</script>&'";
  const results_file cur = results("<b>cur</b>.json", {bench(evil, 10, 1, {{"note", "</td><td>"}})});
  report_inputs in;
  in.current = &cur;
  const std::string html = render_html_report(build_report(in));
  CHECK(html.find("<script>alert") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;") != std::string::npos);
  CHECK(html.find("<b>cur</b>") == std::string::npos);
  CHECK(html.find("&lt;/td&gt;&lt;td&gt;") != std::string::npos);
  CHECK(svg::escape(std::string("a\x01z\tq\n", 6)) == "az\tq\n");
}

TEST_CASE("a report of 500 benchmarks renders every one of them", "[harness][report]") {
  std::vector<benchmark_result> benchmarks;
  for (int i = 0; i < 500; ++i)
    benchmarks.push_back(bench("mem/synthetic/t" + std::to_string(i) + "/page:4k/tlb:default",
                               1000 + i, uint64_t(i), kTlbCounters, 5));
  const results_file cur = results("cur.json", benchmarks);
  report_inputs in;
  in.current = &cur;
  const json r = build_report(in);
  const std::string html = render_html_report(r);
  size_t rows = 0;
  for (size_t at = html.find("<tbody class=\"bench\""); at != std::string::npos;
       at = html.find("<tbody class=\"bench\"", at + 1))
    ++rows;
  CHECK(rows == 500);
  CHECK(html.size() < 20u * 1024 * 1024);  // a page a browser opens without trouble
}

namespace {

// One replay's counters of a two-level design with a prefetcher: 1000
// accesses, 40 demand walks, 50 prefetches of which 30 useful and 10 late.
json prefetching_counters() {
  json c = kTlbCounters;
  c["walks"] = 40;
  c["tlb.l1.flushes"] = 3;      // a level's other counters are not levels
  c["tlb.l2.evictions"] = 7;
  c["tlb.l2.hits"] = 60;
  c["tlb.l2.misses"] = 40;
  c["tlb.prefetch.issued"] = 50;
  c["tlb.prefetch.useful"] = 30;
  c["tlb.prefetch.late"] = 10;
  c["tlb.prefetch.useless"] = 5;
  c["tlb.prefetch.dropped"] = 2;
  c["tlb.prefetch.walks"] = 52;
  c["tlb.pattern.sequential"] = 70;
  c["tlb.pattern.strided"] = 20;
  c["tlb.pattern.random"] = 10;
  c["tlb.qemu.entries"] = 64;   // design-specific counters are not levels either
  return c;
}

// A benchmark whose repetitions take exactly `samples` ns.
benchmark_result timed(const std::string& name, std::vector<double> samples, json counters) {
  benchmark_result b;
  b.name = name;
  b.real_time_ns = samples;
  b.cpu_time_ns = std::move(samples);
  b.counters = std::move(counters);
  return b;
}

// A design's counters on a trace of 1000 accesses with `walks` walks.
json design_counters(uint64_t walks, bool victim = false) {
  json c = {{"reads", 600}, {"writes", 300}, {"fetches", 100}, {"walks", walks},
            {"tlb.l1.hits", 1000 - 2 * walks}, {"tlb.l1.misses", 2 * walks}};
  if (victim) {
    c["tlb.victim.hits"] = walks;
    c["tlb.victim.misses"] = walks;
  }
  return c;
}

struct table_row {
  std::string tag;    // "<tr class=... data-name=...>"
  std::string cells;  // up to "</tr>"
};

// The rows of the page's #tlb-table, in page order.
std::vector<table_row> tlb_table_rows(const std::string& html) {
  std::vector<table_row> rows;
  const size_t table = html.find("<table id=\"tlb-table\"");
  if (table == std::string::npos) return rows;
  const size_t body = html.find("<tbody>", table);
  const size_t end = html.find("</table>", table);
  for (size_t at = html.find("<tr", body); at != std::string::npos && at < end;
       at = html.find("<tr", at + 1)) {
    const size_t close = html.find('>', at);
    const size_t row_end = html.find("</tr>", close);
    rows.push_back({html.substr(at, close + 1 - at), html.substr(close + 1, row_end - close - 1)});
  }
  return rows;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Whether an element's opening tag has `name` among its classes.
bool has_class(const std::string& tag, const std::string& name) {
  const size_t at = tag.find("class=\"");
  if (at == std::string::npos) return false;
  std::istringstream classes(tag.substr(at + 7, tag.find('"', at + 7) - at - 7));
  for (std::string c; classes >> c;)
    if (c == name) return true;
  return false;
}

}  // namespace

TEST_CASE("TLB figures give each level's miss rate, the prefetcher's accuracy and coverage, and the miss pattern",
          "[harness][report]") {
  const json t = tlb_figures(prefetching_counters(), 5000.0);
  REQUIRE(t.is_object());
  CHECK(t["accesses"] == 1000);
  REQUIRE(t["levels"].size() == 2);  // l1, l2: no "flushes", "evictions" or "qemu" level
  CHECK(t["levels"][0]["level"] == "l1");
  CHECK(t["levels"][0]["miss_rate"].get<double>() == 0.1);  // 100 / 1000
  CHECK(t["levels"][1]["level"] == "l2");
  CHECK(t["levels"][1]["miss_rate"].get<double>() == 0.4);  // 40 / 100
  CHECK(t["levels"][1]["hit_rate"].get<double>() == 0.6);
  CHECK(t["walks"] == 40);
  CHECK(t["walks_per_1k"].get<double>() == 40.0);
  const json& p = t["prefetch"];
  REQUIRE(p.is_object());
  CHECK(p["issued"] == 50);
  CHECK(p["useful"] == 30);
  CHECK(p["late"] == 10);
  CHECK(p["useless"] == 5);
  CHECK(p["dropped"] == 2);
  CHECK(p["walks"] == 52);
  CHECK(p["accuracy"].get<double>() == 0.8);  // (30 + 10) / 50
  CHECK(p["coverage"].get<double>() == 0.5);  // (30 + 10) / (30 + 10 + 40 demand walks)
  CHECK(t["pattern"] == json{{"sequential", 70}, {"strided", 20}, {"random", 10}});
  CHECK(t["ns_per_access"].get<double>() == 5.0);  // 5000 ns per replay / 1000 accesses

  SECTION("the victim and shared levels are levels too, in name order") {
    json c = prefetching_counters();
    c["tlb.victim.hits"] = 1;
    c["tlb.victim.misses"] = 3;
    c["tlb.shared.hits"] = 0;
    c["tlb.shared.misses"] = 0;
    c["tlb.shared.refill_hits"] = 9;
    const json v = tlb_figures(c);
    REQUIRE(v["levels"].size() == 4);
    CHECK(v["levels"][2]["level"] == "shared");
    CHECK(v["levels"][2]["miss_rate"].is_null());  // no lookup
    CHECK(v["levels"][3]["level"] == "victim");
    CHECK(v["levels"][3]["miss_rate"].get<double>() == 0.75);
  }
  SECTION("no prefetcher, no pattern counters: both null") {
    const json plain = tlb_figures(kTlbCounters, 1000.0);
    CHECK(plain["prefetch"].is_null());
    CHECK(plain["pattern"].is_null());
    CHECK(plain["ns_per_access"].get<double>() == 1.0);
  }
  SECTION("a prefetcher that issued nothing has no accuracy") {
    json c = prefetching_counters();
    c["tlb.prefetch.issued"] = 0;
    c["tlb.prefetch.useful"] = 0;
    c["tlb.prefetch.late"] = 0;
    const json z = tlb_figures(c);
    CHECK(z["prefetch"]["accuracy"].is_null());
    CHECK(z["prefetch"]["coverage"].get<double>() == 0.0);  // 0 / (0 + 40)
    c["walks"] = 0;
    CHECK(tlb_figures(c)["prefetch"]["coverage"].is_null());  // 0 / 0
    c.erase("walks");
    c["tlb.prefetch.useful"] = 4;
    CHECK(tlb_figures(c)["prefetch"]["coverage"].is_null());  // demand walks unknown
  }
  SECTION("only some prefetch and pattern counters: the absent ones count 0") {
    const json some = tlb_figures({{"tlb.l1.hits", 8}, {"tlb.l1.misses", 2}, {"walks", 2},
                                   {"tlb.prefetch.issued", 4}, {"tlb.prefetch.useful", 1},
                                   {"tlb.pattern.strided", 2}});
    CHECK(some["prefetch"]["late"] == 0);
    CHECK(some["prefetch"]["accuracy"].get<double>() == 0.25);
    CHECK(some["prefetch"]["coverage"].get<double>() == 1.0 / 3.0);
    CHECK(some["pattern"] == json{{"sequential", 0}, {"strided", 2}, {"random", 0}});
  }
  SECTION("ns per access needs a time and an access") {
    CHECK(tlb_figures(kTlbCounters)["ns_per_access"].is_null());
    CHECK(tlb_figures(kTlbCounters, std::nan(""))["ns_per_access"].is_null());
    CHECK(tlb_figures(kTlbCounters, 0.0)["ns_per_access"].is_null());
    CHECK(tlb_figures({{"tlb.l1.hits", 0}, {"tlb.l1.misses", 0}}, 10.0)["ns_per_access"].is_null());
  }
}

TEST_CASE("a report's TLB figures take ns per access from the median time of the same side",
          "[harness][report]") {
  const std::string name = "mem/recorded/a/page:4k/tlb:l1=64x4,l2=1024x8,prefetch=markov";
  results_file base = results("base.json", {timed(name, {8000, 2000, 3000}, kTlbCounters),
                                            timed("mem/recorded/gone/tlb:default", {900}, kTlbCounters)});
  results_file cur = results("cur.json", {timed(name, {4000, 6000, 5000}, prefetching_counters()),
                                          timed("mem/recorded/untimed/tlb:default", {}, kTlbCounters)});
  base.benchmarks[0].cpu_time_ns = {1000, 1000, 1000};
  cur.benchmarks[0].cpu_time_ns = {2000, 2500, 9000};
  report_inputs in;
  in.current = &cur;
  in.baseline = &base;
  const json r = build_report(in);
  const json& a = find(r, name);
  CHECK(a["tlb"]["ns_per_access"].get<double>() == 5.0);           // median 5000 ns / 1000
  CHECK(a["baseline_tlb"]["ns_per_access"].get<double>() == 3.0);  // median 3000 ns / 1000
  CHECK(a["tlb"]["prefetch"]["accuracy"].get<double>() == 0.8);
  CHECK(a["baseline_tlb"]["prefetch"].is_null());
  CHECK(find(r, "mem/recorded/untimed/tlb:default")["tlb"]["ns_per_access"].is_null());
  // A benchmark only in the baseline shows the baseline's figures, timed by the baseline.
  CHECK(find(r, "mem/recorded/gone/tlb:default")["tlb"]["ns_per_access"].get<double>() == 0.9);

  in.options.metric = "cpu_time";
  const json rc = build_report(in);
  CHECK(find(rc, name)["tlb"]["ns_per_access"].get<double>() == 2.5);
  CHECK(find(rc, name)["baseline_tlb"]["ns_per_access"].get<double>() == 1.0);
}

TEST_CASE("the page's TLB table marks, per trace, the design with the fewest walks",
          "[harness][report]") {
  // Two traces with three designs each, listed out of order, and a trace
  // with one design: nothing to win against.
  const std::string qemu = "tlb:qemu", hier = "tlb:l1=64x4,l2=1024x8,prefetch=markov", def = "tlb:default";
  json hier_a = prefetching_counters();  // 40 walks: the best on trace a
  const results_file cur = results(
      "cur.json", {timed("mem/recorded/b/page:4k/" + qemu, {2000}, design_counters(10, true)),
                   timed("mem/recorded/a/page:4k/" + qemu, {1000}, design_counters(50, true)),
                   timed("mem/recorded/a/page:4k/" + hier, {3000}, hier_a),
                   timed("mem/recorded/b/page:4k/" + hier, {2500}, design_counters(40)),
                   timed("mem/recorded/a/page:4k/" + def, {1500}, design_counters(45)),
                   timed("mem/recorded/b/page:4k/" + def, {1800}, design_counters(25)),
                   timed("mem/recorded/c/page:4k/" + def, {1800}, design_counters(25)),
                   timed("exec/recorded/no-tlb", {1800}, {{"instructions", 5}})});
  report_inputs in;
  in.current = &cur;
  const json r = build_report(in);
  const std::string html = render_html_report(r);
  REQUIRE(contains(html, "<table id=\"tlb-table\" class=\"tlb-table\">"));
  // Both charts are still drawn.
  CHECK(contains(html, "class=\"chart bars tlb-hit-rate\""));
  CHECK(contains(html, "class=\"chart bars tlb-walks\""));
  // A column per level seen in any row, in name order.
  CHECK(contains(html, "<th>trace</th><th>design</th><th>l1 miss rate</th><th>l2 miss rate</th>"
                       "<th>victim miss rate</th><th>walks / 1k accesses</th><th>prefetch accuracy</th>"
                       "<th>prefetch coverage</th><th>ns / access</th>"));

  const std::vector<table_row> rows = tlb_table_rows(html);
  REQUIRE(rows.size() == 7);  // every benchmark with TLB figures; exec/no-tlb has none
  // Grouped by trace, each trace's designs in file order.
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"mem/recorded/a/page:4k/" + qemu, ""}, {"mem/recorded/a/page:4k/" + hier, "best"},
      {"mem/recorded/a/page:4k/" + def, ""},  {"mem/recorded/b/page:4k/" + qemu, "best"},
      {"mem/recorded/b/page:4k/" + hier, ""}, {"mem/recorded/b/page:4k/" + def, ""},
      {"mem/recorded/c/page:4k/" + def, ""}};
  for (size_t i = 0; i < rows.size(); ++i) {
    CAPTURE(i, rows[i].tag);
    CHECK(contains(rows[i].tag, "data-name=\"" + svg::escape(expected[i].first) + "\""));
    const bool best = expected[i].second == "best";
    CHECK(has_class(rows[i].tag, "best") == best);
    CHECK(contains(rows[i].cells, "★") == best);
  }
  CHECK(contains(rows[0].tag, "class=\"trace-start\""));
  CHECK(contains(rows[3].tag, "class=\"trace-start best\""));
  CHECK(contains(rows[6].tag, "class=\"trace-start\""));  // alone on its trace: no winner

  // Trace a, the prefetching design: l1 10 %, l2 40 %, no victim level, 40
  // walks per 1000 accesses, accuracy 80 %, coverage 50 %, 3000 ns / 1000.
  CHECK(contains(rows[1].cells, "★</span>&nbsp;l1=64x4,<wbr>l2=1024x8,<wbr>prefetch=markov</td>"));
  CHECK(contains(rows[1].cells, "<td class=\"num\">10.000%</td><td class=\"num\">40.000%</td>"
                                "<td class=\"num\">-</td><td class=\"num\">40.00</td>"
                                "<td class=\"num\">80.0%</td><td class=\"num\">50.0%</td>"
                                "<td class=\"num\">3.00</td>"));
  // Trace a, QEMU: l1 10 %, no l2, victim 50 %, 50 walks per 1000, no prefetcher.
  CHECK(contains(rows[0].cells, "<td class=\"num\">10.000%</td><td class=\"num\">-</td>"
                                "<td class=\"num\">50.000%</td><td class=\"num\">50.00</td>"
                                "<td class=\"num\">-</td><td class=\"num\">-</td>"
                                "<td class=\"num\">1.00</td>"));
  CHECK(find(r, "mem/recorded/a/page:4k/" + qemu)["tlb"]["prefetch"].is_null());

  SECTION("designs that tie on a trace: no winner, or every one with the fewest walks") {
    const results_file tie = results(
        "tie.json", {timed("mem/recorded/a/" + qemu, {1000}, design_counters(20)),
                     timed("mem/recorded/a/" + def, {1000}, design_counters(20)),
                     timed("mem/recorded/b/" + qemu, {1000}, design_counters(20)),
                     timed("mem/recorded/b/" + def, {1000}, design_counters(20)),
                     timed("mem/recorded/b/" + hier, {1000}, design_counters(30))});
    in.current = &tie;
    const std::vector<table_row> t = tlb_table_rows(render_html_report(build_report(in)));
    REQUIRE(t.size() == 5);
    CHECK_FALSE(has_class(t[0].tag, "best"));
    CHECK_FALSE(has_class(t[1].tag, "best"));
    CHECK(has_class(t[2].tag, "best"));
    CHECK(has_class(t[3].tag, "best"));
    CHECK_FALSE(has_class(t[4].tag, "best"));
  }
  SECTION("a parameter that differs between rows is shown beside the design") {
    const results_file pages = results(
        "pages.json", {timed("mem/recorded/a/page:4k/" + def, {1000}, design_counters(20)),
                       timed("mem/recorded/a/page:2m/" + def, {1000}, design_counters(5))});
    in.current = &pages;
    const std::vector<table_row> t = tlb_table_rows(render_html_report(build_report(in)));
    REQUIRE(t.size() == 2);
    CHECK(contains(t[0].cells, "default <span class=\"params\">page:4k</span>"));
    CHECK(contains(t[1].cells, "default <span class=\"params\">page:2m</span>"));
    CHECK(has_class(t[1].tag, "best"));
    CHECK_FALSE(has_class(t[0].tag, "best"));
  }
  SECTION("no benchmark with TLB counters: no table") {
    const results_file none = results("none.json", {timed("exec/recorded/no-tlb", {1800}, {{"instructions", 5}})});
    in.current = &none;
    const std::string page = render_html_report(build_report(in));
    CHECK(contains(page, "No benchmark has TLB counters."));
    CHECK_FALSE(contains(page, "id=\"tlb-table\""));
  }
}
