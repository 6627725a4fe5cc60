// report.tests.cpp - the report document (report_model.h) and its HTML page
// (html_report.h): verdicts and statistics carried from the comparison,
// every odd input said in plain words, TLB figures from the counters,
// trends and change points from the history, and HTML that escapes what it
// shows. The page in a real browser: tests/browser.

#include <catch2/catch.hpp>
#include <random>

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
