// report_browser.tests.cpp - the HTML report of `vmbench report` in a real
// browser: headless Chromium opens it from file:// with no network, its
// scripts run without a console message, the summary, the benchmark table
// and the charts are in the DOM, and a screenshot is saved
// (build/<preset>/tests/browser/report.png).

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "browser/chromium.h"
#include "support/child_process.h"
#include "support/files.h"

namespace {

using json = nlohmann::json;
using vm::test::child_result;
using vm::test::read_json;
using vm::test::scratch_dir;
using vm::test::write_text;

child_result vmbench(std::vector<std::string> args) {
  args.insert(args.begin(), VMBENCH_BINARY);
  return vm::test::run_child(args);
}

size_t occurrences(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

// Multiplies every repetition's times by `factor`.
void scale_times(json& doc, double factor) {
  for (json& b : doc["benchmarks"]) {
    b["real_time"] = b["real_time"].get<double>() * factor;
    b["cpu_time"] = b["cpu_time"].get<double>() * factor;
  }
}

// Rewrites every repetition of each benchmark to half its fastest one (and a
// hair apart, so there are no ties): a baseline this run is slower than
// whatever the machine's noise did to its five repetitions.
void halve_below_fastest(json& doc) {
  std::map<std::string, double> fastest;
  for (const json& b : doc["benchmarks"])
    if (b.value("run_type", "iteration") == "iteration") {
      const std::string name = b["name"].get<std::string>();
      const double t = b["real_time"].get<double>();
      auto [it, fresh] = fastest.try_emplace(name, t);
      if (!fresh) it->second = std::min(it->second, t);
    }
  for (json& b : doc["benchmarks"])
    if (b.value("run_type", "iteration") == "iteration") {
      const double t = 0.5 * fastest.at(b["name"].get<std::string>()) *
                       (1 + 0.001 * b.value("repetition_index", 0));
      b["real_time"] = t;
      b["cpu_time"] = t;
    }
}

// A real run: three smoke benchmarks, five repetitions each.
const std::string& real_results() {
  static scratch_dir dir;
  static std::string path = [] {
    const std::string p = dir.file("current.json");
    const child_result r = vmbench({"run", "--suite", "smoke", "--filter",
                                    "tlb-lookup|stream_copy/page:4k/tlb:default|strided-4k", "-r", "5", "--min-time",
                                    "0", "-q", "-o", p});
    if (r.status != 0) FAIL("vmbench run failed: " << vm::test::show(r));
    return p;
  }();
  return path;
}

// Checks what every rendered report must satisfy and returns its DOM.
std::string check_page(const std::string& html, const std::string& screenshot = "") {
  const vm::test::loaded_page page = vm::test::load_page(html, screenshot);
  INFO("Chromium log:\n" << page.log);
  REQUIRE(page.status == 0);
  CAPTURE(page.console);
  CHECK(page.console.empty());                                   // no error, no message at all
  CHECK(page.dom.find("data-ready=\"1\"") != std::string::npos);  // the script ran to its end
  CHECK(page.dom.find("<pre id=\"js-errors\"></pre>") != std::string::npos);
  CHECK(page.dom.find("id=\"summary\"") != std::string::npos);
  CHECK(page.dom.find("id=\"benchmarks\"") != std::string::npos);
  return page.dom;
}

}  // namespace

TEST_CASE("a report of a real run renders in headless Chromium with its table and charts",
          "[browser][report]") {
  scratch_dir dir;
  const std::string current = real_results();
  json doc = read_json(current);

  // The baseline: twice as fast as this run's fastest repetition, so this
  // run is a regression whatever the noise (a 10 % margin was not enough
  // on a loaded machine with five repetitions).
  json base = doc;
  halve_below_fastest(base);
  write_text(dir.file("base.json"), base.dump(1));

  // Twelve nights of history with a 8 % step after the sixth.
  const std::string history = dir.file("history");
  for (int night = 0; night < 12; ++night) {
    json n = doc;
    scale_times(n, (night < 6 ? 1.0 : 1.08) * (1 + 0.002 * (night % 3)));
    char started[32];
    std::snprintf(started, sizeof started, "2026-11-%02dT02:00:00Z", night + 1);
    n["vmbench"]["started"] = started;
    n["vmbench"]["fingerprint"]["build"]["git_commit"] = std::string(40, char('a' + night));
    const std::string file = dir.file("night.json");
    write_text(file, n.dump(1));
    const child_result add = vmbench({"history", "add", history, file});
    REQUIRE(add.status == 0);
  }

  const std::string out = dir.file("report");
  const child_result r = vmbench({"report", current, "--baseline", dir.file("base.json"),
                                  "--history", history, "-o", out});
  INFO(vm::test::show(r));
  REQUIRE(r.status == 0);

  const std::string screenshot = std::string(VMBENCH_SCREENSHOT_DIR) + "/report.png";
  const std::string dom = check_page(out + "/index.html", screenshot);
  const size_t benchmarks = read_json(out + "/report.json")["benchmarks"].size();
  CHECK(benchmarks == 3);
  CHECK(occurrences(dom, "<tbody class=\"bench\"") == benchmarks);  // a row group per benchmark
  CHECK(occurrences(dom, "class=\"chart strip\"") == benchmarks);   // repetitions of both sides
  CHECK(occurrences(dom, "class=\"chart trend\"") == benchmarks);   // trend over the history
  CHECK(dom.find("class=\"chart bars tlb-hit-rate\"") != std::string::npos);
  CHECK(dom.find("class=\"chart bars tlb-walks\"") != std::string::npos);
  CHECK(dom.find("class=\"verdict regression\">regression<") != std::string::npos);

  // The script sorts by every column and filters (index.html#time-sort)
  // without an error, and records how long that took.
  const vm::test::loaded_page timed = vm::test::load_page(out + "/index.html#time-sort");
  CHECK(timed.console.empty());
  CHECK(timed.dom.find("data-sort-ms=\"") != std::string::npos);
  CHECK(timed.dom.find("data-filter-ms=\"") != std::string::npos);
  CHECK(timed.dom.find("data-ready=\"1\"") != std::string::npos);

  // The screenshot is a real PNG of some size.
  std::ifstream png(screenshot, std::ios::binary);
  REQUIRE(png);
  std::string bytes((std::istreambuf_iterator<char>(png)), std::istreambuf_iterator<char>());
  CHECK(bytes.size() > 20000);
  CHECK(bytes.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  WARN("screenshot saved to " << screenshot);
}

TEST_CASE("reports of odd inputs render and say what is odd", "[browser][report]") {
  scratch_dir dir;
  json doc = read_json(real_results());

  SECTION("zero benchmarks and an empty history") {
    json empty = doc;
    empty["benchmarks"] = json::array();
    empty["vmbench"]["benchmarks"] = json::object();
    write_text(dir.file("empty.json"), empty.dump(1));
    const std::string history = dir.file("history");
    REQUIRE(vm::test::run_child({"/bin/mkdir", "-p", history}).status == 0);
    const child_result r =
        vmbench({"report", dir.file("empty.json"), "--history", history, "-o", dir.file("out")});
    INFO(vm::test::show(r));
    REQUIRE(r.status == 0);
    const std::string dom = check_page(dir.file("out/index.html"));
    CHECK(dom.find("has no benchmark") != std::string::npos);
    CHECK(dom.find("is empty: no trend yet") != std::string::npos);
  }
  SECTION("benchmarks on one side only and a history of another machine") {
    json base = doc;
    // This run has a benchmark the baseline lacks...
    const std::string dropped = base["benchmarks"][0]["name"].get<std::string>();
    json kept = json::array();
    for (const json& b : base["benchmarks"])
      if (b["name"] != dropped) kept.push_back(b);
    base["benchmarks"] = kept;
    base["vmbench"]["benchmarks"].erase(dropped);
    base["benchmarks"].push_back({{"name", "mem/retired/benchmark"}, {"run_type", "iteration"},
                                  {"real_time", 1.0}, {"cpu_time", 1.0}, {"time_unit", "ms"}});
    write_text(dir.file("base.json"), base.dump(1));  // ...and the baseline one this run lacks
    json other = doc;
    other["vmbench"]["fingerprint"]["machine"]["cpu_model"] = "Some Other CPU";
    write_text(dir.file("other.json"), other.dump(1));
    const std::string history = dir.file("history");
    REQUIRE(vmbench({"history", "add", history, dir.file("other.json")}).status == 0);
    const child_result r = vmbench({"report", real_results(), "--baseline", dir.file("base.json"),
                                    "--history", history, "-o", dir.file("out")});
    INFO(vm::test::show(r));
    REQUIRE(r.status == 0);
    const std::string dom = check_page(dir.file("out/index.html"));
    CHECK(dom.find("only in this run, with no baseline to compare with: " + dropped) !=
          std::string::npos);
    CHECK(dom.find("only in the baseline, missing from this run: mem/retired/benchmark") !=
          std::string::npos);
    CHECK(dom.find("The history mixes machines") != std::string::npos);
  }
}

TEST_CASE("the browser check catches a page whose script fails", "[browser]") {
  // The checks above are only worth something if they can fail.
  scratch_dir dir;
  const std::string page = dir.file("broken.html");
  std::ofstream(page) << "<!DOCTYPE html><html><body><main id=\"summary\"></main>"
                         "<script>undefinedFunction();document.documentElement.setAttribute("
                         "'data-ready','1');</script></body></html>";
  const vm::test::loaded_page loaded = vm::test::load_page(page);
  REQUIRE(loaded.status == 0);
  REQUIRE(loaded.console.size() == 1);
  CHECK(loaded.console[0].find("Uncaught ReferenceError: undefinedFunction") != std::string::npos);
  CHECK(loaded.dom.find("data-ready=\"1\"") == std::string::npos);
}
