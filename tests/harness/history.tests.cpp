// history.tests.cpp - the nightly history: a directory of compact results
// files keyed by machine, start time and commit; loading skips and names
// bad files; the view keeps one machine and suite and finds change points.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "history/history.h"
#include "support/child_process.h"

namespace {

using namespace vm::harness;
using json = nlohmann::json;
using vm::test::scratch_dir;

results_file night(const std::string& started, const std::string& commit, double scale,
                   const std::string& cpu = "Test CPU 9000", const std::string& suite = "nightly") {
  results_file r;
  r.path = "night-" + started + ".json";
  r.kind = results_kind::kResults;
  r.suite = suite;
  r.started = started;
  fingerprint fp;
  fp.machine.cpu_model = cpu;
  fp.machine.logical_cpus = 2;
  fp.build.git_commit = commit;
  fp.build.git_branch = "main";
  fp.build.git_dirty = "false";
  r.print = fp;
  r.warnings = {"high load"};
  for (const char* name : {"mem/a", "exec/b"}) {
    benchmark_result b;
    b.name = name;
    for (int i = 0; i < 5; ++i) {
      b.real_time_ns.push_back(scale * (1000 + i));
      b.cpu_time_ns.push_back(scale * (990 + i));
    }
    b.counters = {{"walks", 12}, {"register_hash", "xxh3-128:00"}};
    r.benchmarks.push_back(b);
  }
  return r;
}

std::string day(int d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "2026-%02d-%02dT02:00:00Z", 1 + d / 28, 1 + d % 28);
  return buf;
}

std::string sha(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", 0xc0ffee00 + i);
  return buf + std::string(32, '0');
}

}  // namespace

TEST_CASE("a run goes into the history as a results file keyed by machine, start and commit",
          "[harness][history]") {
  scratch_dir dir;
  const results_file r = night("2026-11-24T21:08:01Z", sha(7), 1.0);
  auto added = add_to_history(dir.path(), r);
  REQUIRE(added.ok());
  CHECK_FALSE(added.value().already_present);
  CHECK(added.value().path ==
        dir.path() + "/test-9000-2c/20261124T210801Z_" + sha(7).substr(0, 12) + ".json");

  // The entry is itself a results file: compare and report read it as one.
  auto back = load_results_file(added.value().path);
  REQUIRE(back.ok());
  CHECK(back.value().kind == results_kind::kResults);
  CHECK(back.value().started == r.started);
  CHECK(back.value().suite == "nightly");
  REQUIRE(back.value().print);
  CHECK(back.value().print->build.git_commit == sha(7));
  CHECK(back.value().warnings == r.warnings);
  REQUIRE(back.value().benchmarks.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(back.value().benchmarks[i].name == r.benchmarks[i].name);
    CHECK(back.value().benchmarks[i].real_time_ns == r.benchmarks[i].real_time_ns);
    CHECK(back.value().benchmarks[i].cpu_time_ns == r.benchmarks[i].cpu_time_ns);
    CHECK(back.value().benchmarks[i].counters == r.benchmarks[i].counters);
  }

  // The same run again is recognised, not duplicated.
  auto again = add_to_history(dir.path(), r);
  REQUIRE(again.ok());
  CHECK(again.value().already_present);
  auto h = load_history(dir.path());
  REQUIRE(h.ok());
  CHECK(h.value().entries.size() == 1);
}

TEST_CASE("only results of vmbench run go into the history", "[harness][history]") {
  scratch_dir dir;
  results_file plain = night(day(1), sha(1), 1.0);
  plain.print.reset();
  plain.kind = results_kind::kGoogleBenchmark;
  auto a = add_to_history(dir.path(), plain);
  REQUIRE_FALSE(a.ok());
  CHECK(a.err().message.find(plain.path) == 0);
  CHECK(a.err().message.find("no fingerprint") != std::string::npos);

  results_file undated = night("", sha(1), 1.0);
  auto b = add_to_history(dir.path(), undated);
  REQUIRE_FALSE(b.ok());
  CHECK(b.err().message.find("vmbench.started") != std::string::npos);
  CHECK(std::filesystem::is_empty(dir.path()));  // nothing half-written
}

TEST_CASE("loading a history skips and names bad files and keeps the rest", "[harness][history]") {
  scratch_dir dir;
  for (int d = 0; d < 3; ++d) REQUIRE(add_to_history(dir.path(), night(day(d), sha(d), 1.0)).ok());
  const std::string machine_dir = dir.path() + "/test-9000-2c";
  std::ofstream(machine_dir + "/truncated.json") << "{\"benchmarks\": [";
  std::ofstream(machine_dir + "/counters.json")
      << R"({"schema_version": 1, "kind": "vmbench.counters", "benchmarks": {}})";
  std::ofstream(machine_dir + "/notes.txt") << "not json, not looked at";
  std::ofstream(machine_dir + "/x.json.tmp.abc123") << "{";  // an interrupted write

  auto h = load_history(dir.path());
  REQUIRE(h.ok());
  CHECK(h.value().entries.size() == 3);
  REQUIRE(h.value().skipped.size() == 2);
  CHECK(h.value().skipped[0].find("counters.json") != std::string::npos);
  CHECK(h.value().skipped[1].find("truncated.json") != std::string::npos);
  CHECK(h.value().skipped[1].find("truncated") != std::string::npos);
  for (size_t i = 1; i < h.value().entries.size(); ++i)
    CHECK(h.value().entries[i - 1].started < h.value().entries[i].started);

  SECTION("an empty directory is an empty history") {
    scratch_dir empty;
    auto e = load_history(empty.path());
    REQUIRE(e.ok());
    CHECK(e.value().entries.empty());
    CHECK(e.value().skipped.empty());
  }
  SECTION("a missing directory or a file is an error naming it") {
    auto missing = load_history(dir.file("nope"));
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.err().message == dir.file("nope") + ": not a history directory (does not exist)");
    auto file = load_history(machine_dir + "/notes.txt");
    REQUIRE_FALSE(file.ok());
    CHECK(file.err().message.find("not a directory") != std::string::npos);
  }
}

TEST_CASE("the history view keeps one machine and suite and finds the night a step began",
          "[harness][history]") {
  scratch_dir dir;
  // 20 nights of the nightly suite; mem/a is 6 % slower from night 12 on.
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(1.0, 0.003);
  std::vector<double> scales;
  for (int d = 0; d < 20; ++d) {
    scales.push_back(noise(rng));
    results_file r = night(day(d), sha(d), scales.back());
    if (d >= 12)
      for (double& t : r.benchmarks[0].real_time_ns) t *= 1.06;
    REQUIRE(add_to_history(dir.path(), r).ok());
  }
  // Noise that must not be mixed in: another machine, another suite.
  REQUIRE(add_to_history(dir.path(), night(day(30), sha(90), 3.0, "Other CPU")).ok());
  REQUIRE(add_to_history(dir.path(), night(day(5), sha(91), 2.0, "Test CPU 9000", "quick")).ok());
  auto h = load_history(dir.path());
  REQUIRE(h.ok());
  REQUIRE(h.value().entries.size() == 22);

  trend_options to;
  to.machine = "test-9000-2c";
  const history_view v = build_history_view(h.value(), to);
  CHECK(v.suite == "nightly");  // the newest run's of this machine
  CHECK(v.entries.size() == 20);
  CHECK(v.other_machines == std::map<std::string, size_t>{{"other-2c", 1}});
  CHECK(v.other_suites == std::map<std::string, size_t>{{"quick", 1}});
  REQUIRE(v.trends.size() == 2);
  const benchmark_trend& exec = v.trends[0];
  const benchmark_trend& mem = v.trends[1];
  CHECK(exec.name == "exec/b");
  CHECK(mem.name == "mem/a");
  CHECK(mem.points.size() == 20);
  CHECK(mem.points[3].commit == sha(3));
  CHECK(mem.points[3].median_ns == Approx(1002 * scales[3]));  // median of 1000..1004
  CHECK(exec.points[15].median_ns == Approx(1002 * scales[15]));
  CHECK(exec.changes.empty());
  REQUIRE(mem.changes.size() == 1);
  CHECK(mem.changes[0].point == 12);
  CHECK(mem.points[mem.changes[0].point].commit == sha(12));
  CHECK(mem.changes[0].ratio == Approx(1.06).epsilon(0.01));

  SECTION("by default the newest run's machine") {
    const history_view newest = build_history_view(h.value(), {});
    CHECK(newest.machine == "other-2c");
    CHECK(newest.entries.size() == 1);
    CHECK(newest.other_machines.at("test-9000-2c") == 21);
  }
}
