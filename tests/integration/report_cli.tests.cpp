// report_cli.tests.cpp - `vmbench report` and `vmbench history` as the
// nightly job runs them: the real binary in a child process, judged by exit
// status, the files it writes and its one-line errors.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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

// A results file as `vmbench run` writes it: five repetitions per
// benchmark, a fingerprint, counters, a start time.
json results_doc(const std::string& started, double scale, const std::string& commit) {
  json doc = {{"context", {{"date", started}}}, {"benchmarks", json::array()}};
  json section = {{"schema_version", 1},
                  {"kind", "vmbench.results"},
                  {"suite", "synthetic"},
                  {"started", started},
                  {"fingerprint",
                   {{"machine", {{"cpu_model", "Test CPU"}, {"cpu_flags", {"sse2"}}, {"logical_cpus", 2}}},
                    {"build", {{"git_commit", commit}, {"git_dirty", "false"}}}}},
                  {"warnings", json::array()},
                  {"benchmarks", json::object()}};
  for (const char* name : {"mem/recorded/a/page:4k/tlb:default", "exec/recorded/b"}) {
    for (int i = 0; i < 5; ++i)
      doc["benchmarks"].push_back({{"name", name}, {"run_type", "iteration"},
                                   {"real_time", scale * (100 + i)}, {"cpu_time", scale * (100 + i)},
                                   {"time_unit", "us"}});
    section["benchmarks"][name] = {
        {"counters", {{"tlb.l1.hits", 990}, {"tlb.l1.misses", 10}, {"walks", 10}}}};
  }
  doc["vmbench"] = section;
  return doc;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

TEST_CASE("vmbench report writes index.html and a versioned report.json",
          "[integration][report]") {
  scratch_dir dir;
  write_text(dir.file("base.json"), results_doc("2026-11-23T02:00:00Z", 1.0, "aaa").dump());
  write_text(dir.file("cur.json"), results_doc("2026-11-24T02:00:00Z", 1.2, "bbb").dump());
  const child_result r = vmbench({"report", dir.file("cur.json"), "--baseline",
                                  dir.file("base.json"), "-o", dir.file("out")});
  INFO(vm::test::show(r));
  REQUIRE(r.status == 0);  // a report is written, whatever it finds; compare gates
  CHECK(r.out.find("Regression: 2 benchmarks slower or changed") != std::string::npos);
  const json report = read_json(dir.file("out/report.json"));
  CHECK(report["schema_version"] == 1);
  CHECK(report["kind"] == "vmbench.report");
  CHECK(report["summary"]["counts"]["regression"] == 2);
  std::ifstream html(dir.file("out/index.html"));
  const std::string page((std::istreambuf_iterator<char>(html)), std::istreambuf_iterator<char>());
  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(page.find("id=\"summary\"") != std::string::npos);
  // Written atomically: no temporary file is left behind.
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.file("out"))) {
    (void)e;
    ++files;
  }
  CHECK(files == 2);
}

TEST_CASE("vmbench history files runs and prints each benchmark's trend and change points",
          "[integration][history]") {
  scratch_dir dir;
  const std::string history = dir.file("history");
  for (int night = 0; night < 12; ++night) {
    char started[32];
    std::snprintf(started, sizeof started, "2026-11-%02dT02:00:00Z", night + 1);
    const double scale = (night >= 6 ? 1.10 : 1.0) * (1 + 0.001 * (night % 3));
    char name[16];
    std::snprintf(name, sizeof name, "n%d.json", night);
    const std::string file = dir.file(name);
    write_text(file, results_doc(started, scale, std::string(40, char('a' + night % 6))).dump());
    const child_result add = vmbench({"history", "add", history, file});
    INFO(vm::test::show(add));
    REQUIRE(add.status == 0);
    CHECK(add.out.rfind("added " + history + "/test-2c/", 0) == 0);
  }
  const child_result again = vmbench({"history", "add", history, dir.file("n3.json")});
  CHECK(again.status == 0);
  CHECK(again.out.rfind("already in the history: ", 0) == 0);

  const child_result table = vmbench({"history", history});
  INFO(vm::test::show(table));
  REQUIRE(table.status == 0);
  CHECK(first_line(table.out) ==
        "history " + history +
            ": machine test-2c, suite synthetic, 12 runs from 2026-11-01T02:00:00Z to "
            "2026-11-12T02:00:00Z");
  CHECK(table.out.find("+10.0% since 2026-11-07 (ffffffffffff..aaaaaaaaaaaa)") != std::string::npos);

  const child_result j = vmbench({"history", history, "--format", "json", "--benchmark", "^exec/"});
  REQUIRE(j.status == 0);
  const json doc = json::parse(j.out);
  CHECK(doc["schema_version"] == 1);
  CHECK(doc["kind"] == "vmbench.history");
  REQUIRE(doc["benchmarks"].size() == 1);
  CHECK(doc["benchmarks"][0]["name"] == "exec/recorded/b");
  CHECK(doc["benchmarks"][0]["nights"] == 12);
  REQUIRE(doc["benchmarks"][0]["changes"].size() == 1);
  CHECK(doc["benchmarks"][0]["changes"][0]["started"] == "2026-11-07T02:00:00Z");

  SECTION("the report draws the trend from it") {
    const child_result r = vmbench({"report", dir.file("n11.json"), "--history", history, "-o",
                                    dir.file("out")});
    REQUIRE(r.status == 0);
    const json report = read_json(dir.file("out/report.json"));
    CHECK(report["history"]["runs_used"] == 12);
    // n11 is in the history: it is the last point, not an extra one.
    CHECK(report["benchmarks"][0]["trend"]["points"].size() == 12);
    CHECK(report["benchmarks"][0]["trend"]["points"][11]["this_run"] == true);
  }
}

TEST_CASE("vmbench report and history: every bad input exits 2 with one line naming it",
          "[integration][report][history]") {
  scratch_dir dir;
  const std::string good = dir.file("good.json");
  write_text(good, results_doc("2026-11-24T02:00:00Z", 1.0, "abc").dump());
  const std::string text = results_doc("2026-11-24T02:00:00Z", 1.0, "abc").dump();
  write_text(dir.file("truncated.json"), text.substr(0, text.size() / 2));
  write_text(dir.file("plain.json"), R"({"benchmarks": [{"name": "x", "real_time": 1, "cpu_time": 1}]})");
  write_text(dir.file("thresholds.json"), "{\"schema_version\": 1, \"default\": ");

  struct bad_case {
    std::vector<std::string> args;
    std::string names;    // what the error line must mention
    bool usage = false;   // a usage error: CLI11 adds a "Run with --help" line
  };
  const std::vector<bad_case> cases = {
      {{"report", dir.file("missing.json"), "-o", dir.file("o1")}, dir.file("missing.json")},
      {{"report", dir.file("truncated.json"), "-o", dir.file("o2")}, "truncated"},
      {{"report", good, "--baseline", dir.file("truncated.json"), "-o", dir.file("o3")},
       dir.file("truncated.json")},
      {{"report", good, "--history", dir.file("no-such-dir"), "-o", dir.file("o4")},
       dir.file("no-such-dir") + ": not a history directory"},
      {{"report", good, "--thresholds", dir.file("thresholds.json"), "-o", dir.file("o5")},
       dir.file("thresholds.json")},
      {{"report", good}, "--output", true},
      {{"history", dir.file("no-such-dir")}, dir.file("no-such-dir")},
      {{"history"}, "give a history directory"},
      {{"history", "add", dir.file("h"), dir.file("plain.json")}, dir.file("plain.json")},
      {{"history", "add", dir.file("h"), dir.file("truncated.json")}, dir.file("truncated.json")},
  };
  for (const bad_case& c : cases) {
    CAPTURE(c.args);
    const child_result r = vmbench(c.args);
    INFO(vm::test::show(r));
    CHECK(r.status == 2);
    CHECK_FALSE(r.signalled);
    CHECK(r.err.find(c.names) != std::string::npos);
    if (!c.usage) CHECK(r.err.find('\n') == r.err.size() - 1);  // one line
  }
  // Nothing half-written: no report directory, no history entry.
  CHECK_FALSE(std::filesystem::exists(dir.file("o2")));
  CHECK_FALSE(std::filesystem::exists(dir.file("h")));
}
