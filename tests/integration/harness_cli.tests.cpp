// harness_cli.tests.cpp - `vmbench run --suite`, `compare`, `merge` and
// `baseline` as CI and developers run them: the real binary in a child
// process, judged by exit status, the files it writes and its messages.

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
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

std::string source(const std::string& path) {
  return std::string(VMBENCH_SOURCE_DIR) + "/" + path;
}

size_t lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// The smoke suite, run once for every test that needs real results.
const std::string& smoke_results() {
  static scratch_dir dir;
  static std::string path = [] {
    const std::string p = dir.file("smoke.json");
    const child_result r = vmbench({"run", "--suite", "smoke", "-q", "-o", p});
    if (r.status != 0) FAIL("vmbench run --suite smoke failed: " << vm::test::show(r));
    return p;
  }();
  return path;
}

// A results document with `reps` samples per benchmark around `centre_ns`
// (scaled per benchmark by `scale`), 1 % noise from a fixed seed, and one
// counter, as `vmbench run` writes them; a fingerprint makes it comparable.
json synthetic_results(const std::vector<std::pair<std::string, double>>& benchmarks, int reps,
                       uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(1.0, 0.01);
  json doc = {{"context", {{"date", "x"}}}, {"benchmarks", json::array()}};
  json section = {
      {"schema_version", 1},
      {"kind", "vmbench.results"},
      {"suite", "synthetic"},
      {"fingerprint",
       {{"machine", {{"cpu_model", "Test CPU"}, {"cpu_flags", {"sse2"}}, {"logical_cpus", 2}}},
        {"build", {{"git_commit", "abc"}}}}},
      {"warnings", json::array()},
      {"benchmarks", json::object()}};
  for (const auto& [name, ns] : benchmarks) {
    for (int i = 0; i < reps; ++i) {
      const double t = ns * noise(rng);
      doc["benchmarks"].push_back({{"name", name},
                                   {"run_name", name},
                                   {"run_type", "iteration"},
                                   {"repetitions", reps},
                                   {"repetition_index", i},
                                   {"iterations", 1},
                                   {"real_time", t},
                                   {"cpu_time", t},
                                   {"time_unit", "ns"}});
    }
    section["benchmarks"][name] = {{"counters", {{"instructions", 1000}, {"tlb.l1.misses", 7}}}};
  }
  doc["vmbench"] = section;
  return doc;
}

}  // namespace

TEST_CASE(
    "run --suite smoke writes Google Benchmark JSON with every repetition and a vmbench section",
    "[integration][harness][run]") {
  const json doc = read_json(smoke_results());
  REQUIRE(doc.contains("context"));
  REQUIRE(doc["context"].contains("num_cpus"));
  const json& section = doc["vmbench"];
  CHECK(section["schema_version"] == 1);
  CHECK(section["suite"] == "smoke");
  CHECK(section["fingerprint"]["machine"].contains("cpu_model"));
  CHECK(section["fingerprint"]["build"].contains("git_commit"));
  CHECK(section["fingerprint"]["build"]["binary_hash"].get<std::string>().rfind("xxh3-128:", 0) ==
        0);
  CHECK(section["inputs"].size() == 4);
  size_t iterations = 0, aggregates = 0;
  for (const json& b : doc["benchmarks"]) {
    if (b["run_type"] == "iteration") ++iterations;
    if (b["run_type"] == "aggregate") ++aggregates;
    CHECK(b["run_name"].get<std::string>().find("/repeats:") == std::string::npos);
  }
  const size_t benchmarks = section["benchmarks"].size();
  CHECK(benchmarks == 12);
  CHECK(iterations == benchmarks * 2);  // smoke: 2 repetitions each
  CHECK(aggregates == benchmarks * 4);  // mean, median, stddev, cv
  const json& mem = section["benchmarks"]["mem/recorded/stream_copy/page:4k/tlb:default"];
  CHECK(mem["counters"]["tlb.l1.misses"].get<uint64_t>() > 0);
  // The host memory layer: the kernel in use, how guest RAM was backed, and
  // bytes per second for the memcpy engine.
  CHECK_FALSE(section["fingerprint"]["host_memory"]["memcpy_kernel"].get<std::string>().empty());
  CHECK(section["fingerprint"]["host_memory"]["guest_ram_resident_bytes"].get<uint64_t>() > 0);
  CHECK(mem["host_memory"]["resident_bytes"].get<uint64_t>() > 0);
  const json& copy = section["benchmarks"]["memcpy/copy/glibc/65-256/random/hot/unaligned"];
  CHECK(copy["counters"]["bytes"].get<uint64_t>() > 0);
  // Kernels compared on one condition run the very same operations.
  CHECK(copy["counters"] ==
        section["benchmarks"]["memcpy/copy/dispatched/65-256/random/hot/unaligned"]["counters"]);
  bool bytes_per_second = false;
  for (const json& b : doc["benchmarks"])
    if (b["run_name"] == "memcpy/copy/glibc/65-256/random/hot/unaligned" &&
        b.contains("bytes_per_second"))
      bytes_per_second = true;
  CHECK(bytes_per_second);
  CHECK(mem["counters"]["records"].get<uint64_t>() > 1000000);
  // A TLB design's benchmark: its timed iterations ran that design (they
  // reproduced its own counters), and its counters are in the results.
  const json& design =
      section["benchmarks"]
             ["mem/recorded/stream_copy/page:4k/tlb:l1=16x4,l2=128x8,prefetch=stride"];
  CHECK(design["counters"]["tlb.l2.misses"].get<uint64_t>() > 0);
  CHECK(design["counters"].contains("tlb.prefetch.issued"));
  CHECK(design["counters"]["records"] == mem["counters"]["records"]);
  CHECK(design["counters"]["checksum"] == mem["counters"]["checksum"]);
}

TEST_CASE("the smoke suite's counters equal the committed counters baseline exactly",
          "[integration][harness][run]") {
  const child_result r = vmbench(
      {"compare", source("baselines/counters/smoke.json"), smoke_results(), "--color", "never"});
  INFO(vm::test::show(r));
  CHECK(r.status == 0);
  CHECK(r.out.find("counters only") != std::string::npos);
}

TEST_CASE("compare catches one changed counter every time, naming it with its delta",
          "[integration][harness][compare]") {
  scratch_dir dir;
  json doc = read_json(smoke_results());
  const std::string name = "exec/recorded/bytecode_vm";
  const uint64_t misses = doc["vmbench"]["benchmarks"][name]["counters"]["tlb.l1.misses"];
  doc["vmbench"]["benchmarks"][name]["counters"]["tlb.l1.misses"] = misses + 1;
  write_text(dir.file("changed.json"), doc.dump());
  const child_result r = vmbench({"compare", smoke_results(), dir.file("changed.json"), "--color",
                                  "never", "--junit", dir.file("junit.xml")});
  INFO(vm::test::show(r));
  CHECK(r.status == 1);
  CHECK(r.out.find("tlb.l1.misses") != std::string::npos);
  CHECK(r.out.find("+1") != std::string::npos);
  std::ifstream junit(dir.file("junit.xml"));
  const std::string xml((std::istreambuf_iterator<char>(junit)), std::istreambuf_iterator<char>());
  CHECK(xml.find("<failure") != std::string::npos);
}

TEST_CASE("compare flags a 10 % slowdown, passes noise, and writes every format",
          "[integration][harness][compare]") {
  scratch_dir dir;
  const std::vector<std::pair<std::string, double>> base = {{"a", 1e6}, {"b", 2e6}, {"c", 5e5}};
  std::vector<std::pair<std::string, double>> slower = base;
  slower[1].second *= 1.10;
  write_text(dir.file("base.json"), synthetic_results(base, 10, 1).dump());
  write_text(dir.file("same.json"), synthetic_results(base, 10, 2).dump());
  write_text(dir.file("slower.json"), synthetic_results(slower, 10, 3).dump());

  const child_result same = vmbench({"compare", dir.file("base.json"), dir.file("same.json")});
  INFO(vm::test::show(same));
  CHECK(same.status == 0);

  const child_result slow = vmbench({"compare", dir.file("base.json"), dir.file("slower.json"),
                                     "--json", dir.file("c.json"), "--markdown", dir.file("c.md"),
                                     "--junit", dir.file("c.xml"), "--table", dir.file("c.txt")});
  INFO(vm::test::show(slow));
  CHECK(slow.status == 1);
  CHECK(slow.out.find("regression") != std::string::npos);
  const json report = read_json(dir.file("c.json"));
  CHECK(report["schema_version"] == 1);
  bool found = false;
  for (const json& b : report["benchmarks"])
    if (b["name"] == "b") {
      found = true;
      CHECK(b["timing"] == "regression");
      CHECK(b["ratio"].get<double>() > 1.07);
      CHECK(b["ratio"].get<double>() < 1.13);
    }
  CHECK(found);
  for (const char* f : {"c.md", "c.xml", "c.txt"}) {
    std::ifstream in(dir.file(f));
    CHECK(in.good());
  }
  // The same as Markdown and JUnit on stdout.
  CHECK(vmbench({"compare", dir.file("base.json"), dir.file("slower.json"), "--format", "markdown"})
            .out.find("| `b` |") != std::string::npos);
  CHECK(vmbench({"compare", dir.file("base.json"), dir.file("slower.json"), "--format", "junit"})
            .out.find("<testsuites") != std::string::npos);
}

TEST_CASE(
    "compare refuses timings from different machines unless told, and still compares counters",
    "[integration][harness][compare]") {
  scratch_dir dir;
  const std::vector<std::pair<std::string, double>> base = {{"a", 1e6}};
  json other = synthetic_results({{"a", 2e6}}, 10, 5);
  other["vmbench"]["fingerprint"]["machine"]["cpu_model"] = "Other CPU";
  write_text(dir.file("base.json"), synthetic_results(base, 10, 4).dump());
  write_text(dir.file("other.json"), other.dump());
  const child_result refused = vmbench({"compare", dir.file("base.json"), dir.file("other.json")});
  INFO(vm::test::show(refused));
  CHECK(refused.status == 0);
  CHECK(refused.out.find("different machines") != std::string::npos);
  const child_result allowed = vmbench(
      {"compare", dir.file("base.json"), dir.file("other.json"), "--allow-different-machines"});
  CHECK(allowed.status == 1);
}

TEST_CASE("compare: bad input gets one line naming the file and exit status 2",
          "[integration][harness][compare]") {
  scratch_dir dir;
  const std::string good = dir.file("good.json");
  write_text(good, synthetic_results({{"a", 1e6}}, 5, 1).dump());
  const std::string text = synthetic_results({{"a", 1e6}}, 5, 1).dump();
  write_text(dir.file("truncated.json"), text.substr(0, text.size() / 2));
  write_text(dir.file("notjson.json"), "hello, world\n");
  write_text(dir.file("empty.json"), "");
  json future = synthetic_results({{"a", 1e6}}, 5, 1);
  future["vmbench"]["schema_version"] = 99;
  write_text(dir.file("future.json"), future.dump());
  write_text(dir.file("disjoint.json"), synthetic_results({{"zzz", 1e6}}, 5, 1).dump());
  write_text(dir.file("thresholds.json"),
             R"({"schema_version": 1, "rules": [{"match": "(", "min_effect": 0.05}]})");
  write_text(dir.file("typo.json"), R"({"schema_version": 1, "default": {"min_efect": 0.05}})");

  struct bad_case {
    std::vector<std::string> args;
    std::string names;  // what the message must name
  };
  const std::vector<bad_case> cases = {
      {{good, dir.file("missing.json")}, "missing.json"},
      {{good, dir.file("truncated.json")}, "truncated"},
      {{good, dir.file("notjson.json")}, "notjson.json"},
      {{good, dir.file("empty.json")}, "empty.json"},
      {{good, dir.file("future.json")}, "schema_version"},
      {{good, dir.file("disjoint.json")}, "no benchmark in common"},
      {{good, good, "--thresholds", dir.file("thresholds.json")}, "rules[0].match"},
      {{good, good, "--thresholds", dir.file("typo.json")}, "min_efect"},
      {{good, good, "--fdr", "bonferroni"}, "fdr"},
      {{good}, "candidate"},
  };
  for (const bad_case& c : cases) {
    std::vector<std::string> args = {"compare"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const child_result r = vmbench(args);
    CAPTURE(c.names);
    INFO(vm::test::show(r));
    CHECK(r.status == 2);
    CHECK(r.err.find(c.names) != std::string::npos);
    CHECK(r.out.empty());
  }
}

TEST_CASE("merge concatenates repetitions and refuses runs whose counters differ",
          "[integration][harness][merge]") {
  scratch_dir dir;
  json a = read_json(smoke_results());
  write_text(dir.file("a.json"), a.dump());
  write_text(dir.file("b.json"), a.dump());
  const child_result r =
      vmbench({"merge", "-o", dir.file("m.json"), dir.file("a.json"), dir.file("b.json")});
  INFO(vm::test::show(r));
  REQUIRE(r.status == 0);
  const json merged = read_json(dir.file("m.json"));
  size_t iterations = 0;
  for (const json& b : merged["benchmarks"]) iterations += b["run_type"] == "iteration";
  CHECK(iterations == 2 * 12 * 2);
  CHECK(merged["vmbench"]["merged_from"].size() == 2);
  a["vmbench"]["benchmarks"]["exec/recorded/bytecode_vm"]["counters"]["instructions"] = 1;
  write_text(dir.file("c.json"), a.dump());
  const child_result bad =
      vmbench({"merge", "-o", dir.file("n.json"), dir.file("a.json"), dir.file("c.json")});
  CHECK(bad.status == 2);
  CHECK(bad.err.find("counters differ") != std::string::npos);
}

TEST_CASE("baseline save writes the machine and counters baselines; machine names the machine",
          "[integration][harness][baseline]") {
  scratch_dir dir;
  const child_result machine = vmbench({"baseline", "machine", smoke_results()});
  REQUIRE(machine.status == 0);
  const std::string name = machine.out.substr(0, machine.out.find('\n'));
  CHECK(!name.empty());
  CHECK(name.find('/') == std::string::npos);
  const child_result saved =
      vmbench({"baseline", "save", "--suite", "smoke", smoke_results(), "--dir", dir.path()});
  INFO(vm::test::show(saved));
  REQUIRE(saved.status == 0);
  const json counters = read_json(dir.file("counters/smoke.json"));
  CHECK(counters["kind"] == "vmbench.counters");
  CHECK(counters["benchmarks"].size() == 7);
  CHECK(read_json(dir.file(name + "/smoke.json"))["vmbench"]["suite"] == "smoke");
  // The wrong suite name is refused, and nothing is written.
  const child_result wrong =
      vmbench({"baseline", "save", "--suite", "quick", smoke_results(), "--dir", dir.file("x")});
  CHECK(wrong.status == 2);
  CHECK(wrong.err.find("smoke") != std::string::npos);
  std::ifstream none(dir.file("x/counters/quick.json"));
  CHECK_FALSE(none.good());
}

TEST_CASE("run: an unknown suite, a filter that selects nothing and a bad suite file exit 2",
          "[integration][harness][run]") {
  scratch_dir dir;
  CHECK(vmbench({"run", "--suite", "no-such-suite"}).status == 2);
  const child_result none = vmbench({"run", "--suite", "smoke", "--filter", "^nothing$"});
  CHECK(none.status == 2);
  CHECK(none.err.find("selects no benchmark") != std::string::npos);
  write_text(dir.file("bad.json"),
             R"({"schema_version": 1, "name": "x", "benchmarks": [{"engine": "jit"}]})");
  const child_result bad = vmbench({"run", "--suite", dir.file("bad.json")});
  CHECK(bad.status == 2);
  CHECK(bad.err.find("benchmarks[0].engine") != std::string::npos);
  CHECK(lines(bad.err) == 1);
  const child_result list = vmbench({"run", "--suite", "quick", "--list"});
  CHECK(list.status == 0);
  CHECK(list.out.find("exec/recorded/bytecode_vm\n") != std::string::npos);
}
