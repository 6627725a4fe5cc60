// results_file.tests.cpp - what `vmbench compare` and `vmbench baseline`
// read: plain Google Benchmark JSON (samples from iteration entries in any
// time unit, aggregates ignored, failed runs listed without samples), a
// vmbench results document (suite, fingerprint, warnings, counters) and a
// counters baseline; and every malformed input refused with the file and
// the JSON field in the message.

#include "compare/results_file.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/files.h"

using namespace vm::harness;
using json = nlohmann::json;

namespace {

using vm::test::write_text;
bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

json iteration(const std::string& name, double real, double cpu, const std::string& unit = "ns") {
  return {{"name", name},     {"run_name", name},  {"run_type", "iteration"}, {"repetitions", 3},
          {"iterations", 10}, {"real_time", real}, {"cpu_time", cpu},         {"time_unit", unit}};
}

json aggregate(const std::string& name, const std::string& which, double real) {
  return {{"name", name + "_" + which}, {"run_name", name}, {"run_type", "aggregate"},
          {"aggregate_name", which},    {"iterations", 3},  {"real_time", real},
          {"cpu_time", real},           {"time_unit", "ns"}};
}

// What Google Benchmark writes for a run of two benchmarks with three
// repetitions, one of which failed.
json google_benchmark_doc() {
  json doc;
  doc["context"] = {
      {"date", "2026-11-24T10:00:00+00:00"}, {"num_cpus", 2}, {"library_build_type", "release"}};
  doc["benchmarks"] = json::array({
      iteration("BM_copy", 1.5, 1.25, "us"),
      iteration("BM_fail", 0, 0),
      iteration("BM_copy", 2, 1, "ms"),
      iteration("BM_copy", 3, 2.5, "s"),
      aggregate("BM_copy", "mean", 1e9),
      aggregate("BM_copy", "median", 2e6),
      aggregate("BM_copy", "stddev", 1e9),
      iteration("BM_plain", 4, 3.5),
  });
  doc["benchmarks"][1]["error_occurred"] = true;
  doc["benchmarks"][1]["error_message"] = "boom";
  doc["benchmarks"][7].erase("run_type");   // older Google Benchmark: iteration implied
  doc["benchmarks"][7].erase("time_unit");  // and ns implied
  return doc;
}

fingerprint test_fingerprint() {
  fingerprint fp;
  fp.machine.cpu_model = "Test CPU 9000";
  fp.machine.cpu_flags = {"avx2", "sse4_2"};
  fp.machine.logical_cpus = 4;
  fp.machine.memory_bytes = uint64_t{8} << 30;
  fp.machine.kernel = "Linux 6.1.0 #1 SMP x86_64";
  fp.build.compiler = "GNU 12.2.0";
  fp.build.build_type = "Release";
  fp.build.git_commit = "0123456789abcdef";
  return fp;
}

// A vmbench results document: Google Benchmark JSON plus the vmbench section.
json results_doc() {
  json doc;
  doc["context"] = {{"num_cpus", 4}};
  doc["benchmarks"] = json::array({
      iteration("exec/recorded/sha256", 100, 99),
      iteration("exec/recorded/sha256", 110, 108),
      iteration("tlb-lookup/l1/lookups:1048576", 1.25, 1.25),
  });
  doc["vmbench"] = {
      {"schema_version", 1},
      {"kind", "vmbench.results"},
      {"suite", "smoke"},
      {"fingerprint", to_json(test_fingerprint())},
      {"warnings", json::array({"cpu frequency scaling: governor is powersave", 7})},
      {"benchmarks",
       {{"exec/recorded/sha256",
         {{"engine", "exec"},
          {"counters",
           {{"instret", 123456789},
            {"huge", std::numeric_limits<uint64_t>::max()},
            {"register_hash", "xxh3-128:00ff"}}}}},
        {"tlb-lookup/l1/lookups:1048576", {{"engine", "tlb-lookup"}}},
        {"mem/prepared-only/page:4k/tlb:default",
         {{"engine", "mem"}, {"error", "failed"}, {"counters", {{"tlb.l1.misses", 12}}}}}}},
  };
  return doc;
}

json counters_doc() {
  return {{"schema_version", 1},
          {"kind", "vmbench.counters"},
          {"suite", "smoke"},
          {"comment", "written by vmbench baseline save"},
          {"source", {{"git_commit", "abc"}}},
          {"benchmarks",
           {{"exec/recorded/bytecode_vm", {{"instret", 42}, {"register_hash", "xxh3-128:1"}}},
            {"tlb-lookup/l1/lookups:1048576", {{"lookups", 1048576}}}}}};
}

// Parses doc and requires the error to be kBadInput with exactly this message
// after "<path>: ".
void require_refused(const json& doc, const std::string& message) {
  auto f = parse_results(doc, "dir/results.json");
  REQUIRE_FALSE(f.ok());
  CHECK(f.err().code == vm::error_code::kBadInput);
  CHECK(f.err().message == "dir/results.json: " + message);
}

}  // namespace

TEST_CASE("plain Google Benchmark JSON gives one sample per iteration entry in nanoseconds",
          "[harness][results]") {
  auto f = parse_results(google_benchmark_doc(), "gb.json");
  REQUIRE(f.ok());
  const results_file& r = f.value();
  CHECK(r.path == "gb.json");
  CHECK(r.kind == results_kind::kGoogleBenchmark);
  CHECK(r.suite.empty());
  CHECK_FALSE(r.print.has_value());
  CHECK(r.warnings.empty());
  // Aggregates are not benchmarks; repetitions of one name are one benchmark.
  REQUIRE(r.benchmarks.size() == 3);
  CHECK(r.benchmarks[0].name == "BM_copy");
  CHECK(r.benchmarks[1].name == "BM_fail");
  CHECK(r.benchmarks[2].name == "BM_plain");
  CHECK(r.find("BM_copy_mean") == nullptr);

  const benchmark_result* copy = r.find("BM_copy");
  REQUIRE(copy);
  CHECK(copy == &r.benchmarks[0]);
  REQUIRE(copy->real_time_ns.size() == 3);
  CHECK(copy->real_time_ns[0] == Approx(1.5e3));  // us
  CHECK(copy->real_time_ns[1] == Approx(2e6));    // ms
  CHECK(copy->real_time_ns[2] == Approx(3e9));    // s
  REQUIRE(copy->cpu_time_ns.size() == 3);
  CHECK(copy->cpu_time_ns[0] == Approx(1.25e3));
  CHECK(copy->cpu_time_ns[1] == Approx(1e6));
  CHECK(copy->cpu_time_ns[2] == Approx(2.5e9));
  CHECK(copy->counters.is_null());

  // A failed run is listed, without samples.
  const benchmark_result* failed = r.find("BM_fail");
  REQUIRE(failed);
  CHECK(failed->real_time_ns.empty());
  CHECK(failed->cpu_time_ns.empty());

  const benchmark_result* plain = r.find("BM_plain");
  REQUIRE(plain);
  CHECK(plain->real_time_ns == std::vector<double>{4});
  CHECK(plain->cpu_time_ns == std::vector<double>{3.5});
  CHECK(r.find("BM_absent") == nullptr);
}

TEST_CASE("every Google Benchmark time unit converts to nanoseconds", "[harness][results]") {
  const auto [unit, factor] = GENERATE(table<std::string, double>({
      {"ns", 1},
      {"us", 1e3},
      {"ms", 1e6},
      {"s", 1e9},
  }));
  CAPTURE(unit);
  json doc = {{"benchmarks", json::array({iteration("b", 2.5, 0.5, unit)})}};
  auto f = parse_results(doc, "gb.json");
  REQUIRE(f.ok());
  REQUIRE(f.value().benchmarks.size() == 1);
  CHECK(f.value().benchmarks[0].real_time_ns == std::vector<double>{2.5 * factor});
  CHECK(f.value().benchmarks[0].cpu_time_ns == std::vector<double>{0.5 * factor});
}

TEST_CASE("a vmbench results document gives its suite, fingerprint, warnings and counters",
          "[harness][results]") {
  auto f = parse_results(results_doc(), "run.json");
  REQUIRE(f.ok());
  const results_file& r = f.value();
  CHECK(r.kind == results_kind::kResults);
  CHECK(r.suite == "smoke");
  REQUIRE(r.print.has_value());
  CHECK(r.print->machine.cpu_model == "Test CPU 9000");
  CHECK(r.print->machine.cpu_flags == std::vector<std::string>{"avx2", "sse4_2"});
  CHECK(r.print->machine.logical_cpus == 4);
  CHECK(r.print->machine.memory_bytes == uint64_t{8} << 30);
  CHECK(r.print->build.git_commit == "0123456789abcdef");
  // Non-string warnings are dropped, strings kept in order.
  CHECK(r.warnings == std::vector<std::string>{"cpu frequency scaling: governor is powersave"});

  // Timed benchmarks in file order, then ones only the vmbench section names.
  REQUIRE(r.benchmarks.size() == 3);
  CHECK(r.benchmarks[0].name == "exec/recorded/sha256");
  CHECK(r.benchmarks[1].name == "tlb-lookup/l1/lookups:1048576");
  CHECK(r.benchmarks[2].name == "mem/prepared-only/page:4k/tlb:default");

  const benchmark_result* exec = r.find("exec/recorded/sha256");
  REQUIRE(exec);
  CHECK(exec->real_time_ns == std::vector<double>{100, 110});
  CHECK(exec->cpu_time_ns == std::vector<double>{99, 108});
  REQUIRE(exec->counters.is_object());
  CHECK(exec->counters.size() == 3);
  CHECK(exec->counters["instret"].get<uint64_t>() == 123456789);
  CHECK(exec->counters["huge"].get<uint64_t>() == std::numeric_limits<uint64_t>::max());
  CHECK(exec->counters["register_hash"] == "xxh3-128:00ff");

  // An entry without counters leaves them null.
  const benchmark_result* lookup = r.find("tlb-lookup/l1/lookups:1048576");
  REQUIRE(lookup);
  CHECK(lookup->real_time_ns == std::vector<double>{1.25});
  CHECK(lookup->counters.is_null());

  // Prepared but never timed: listed, counters kept, no samples.
  const benchmark_result* prepared = r.find("mem/prepared-only/page:4k/tlb:default");
  REQUIRE(prepared);
  CHECK(prepared->real_time_ns.empty());
  CHECK(prepared->counters == json{{"tlb.l1.misses", 12}});
}

TEST_CASE("a vmbench section without fingerprint or suite is still a results file",
          "[harness][results]") {
  json doc = {{"benchmarks", json::array({iteration("b", 1, 1)})},
              {"vmbench", {{"schema_version", 1}}}};
  auto f = parse_results(doc, "run.json");
  REQUIRE(f.ok());
  CHECK(f.value().kind == results_kind::kResults);
  CHECK(f.value().suite.empty());
  CHECK_FALSE(f.value().print.has_value());
  REQUIRE(f.value().benchmarks.size() == 1);
}

TEST_CASE("the start time is the vmbench section's, else Google Benchmark's date in UTC",
          "[harness][results]") {
  json doc = results_doc();
  doc["context"]["date"] = "2026-11-24T23:30:00+01:00";
  doc["vmbench"]["started"] = "2026-11-24T21:08:01Z";
  auto with_section = parse_results(doc, "run.json");
  REQUIRE(with_section.ok());
  CHECK(with_section.value().started == "2026-11-24T21:08:01Z");

  doc["vmbench"].erase("started");
  auto from_context = parse_results(doc, "run.json");
  REQUIRE(from_context.ok());
  CHECK(from_context.value().started == "2026-11-24T22:30:00Z");
  doc["context"]["date"] = "2026-11-24T00:15:00-02:30";
  CHECK(parse_results(doc, "run.json").value().started == "2026-11-24T02:45:00Z");
  doc["context"]["date"] = "yesterday";  // kept as it is: nothing to convert
  CHECK(parse_results(doc, "run.json").value().started == "yesterday");

  doc["vmbench"]["started"] = 12;
  auto bad = parse_results(doc, "run.json");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.err().message == "run.json: vmbench.started: expected a string");
}

TEST_CASE("a counters baseline gives counters only", "[harness][results]") {
  auto f = parse_results(counters_doc(), "baselines/counters/smoke.json");
  REQUIRE(f.ok());
  const results_file& r = f.value();
  CHECK(r.kind == results_kind::kCounters);
  CHECK(r.suite == "smoke");
  CHECK_FALSE(r.print.has_value());
  REQUIRE(r.benchmarks.size() == 2);
  const benchmark_result* exec = r.find("exec/recorded/bytecode_vm");
  REQUIRE(exec);
  CHECK(exec->real_time_ns.empty());
  CHECK(exec->cpu_time_ns.empty());
  CHECK(exec->counters == json{{"instret", 42}, {"register_hash", "xxh3-128:1"}});
  const benchmark_result* lookup = r.find("tlb-lookup/l1/lookups:1048576");
  REQUIRE(lookup);
  CHECK(lookup->counters["lookups"].get<uint64_t>() == 1048576);
}

TEST_CASE("load_results_file reads each kind of file from disk", "[harness][results]") {
  vm::test::scratch_dir dir;
  const auto [kind, doc] = GENERATE(table<results_kind, json>({
      {results_kind::kGoogleBenchmark, google_benchmark_doc()},
      {results_kind::kResults, results_doc()},
      {results_kind::kCounters, counters_doc()},
  }));
  const std::string path = dir.file("file.json");
  write_text(path, doc.dump(2) + "\n");
  auto f = load_results_file(path);
  INFO((f.ok() ? std::string() : f.err().message));
  REQUIRE(f.ok());
  CHECK(f.value().kind == kind);
  CHECK(f.value().path == path);
  auto direct = parse_results(doc, path);
  REQUIRE(direct.ok());
  REQUIRE(f.value().benchmarks.size() == direct.value().benchmarks.size());
  for (size_t i = 0; i < direct.value().benchmarks.size(); ++i) {
    CHECK(f.value().benchmarks[i].name == direct.value().benchmarks[i].name);
    CHECK(f.value().benchmarks[i].real_time_ns == direct.value().benchmarks[i].real_time_ns);
    CHECK(f.value().benchmarks[i].counters == direct.value().benchmarks[i].counters);
  }
}

TEST_CASE("a results file that is missing, empty, truncated or not JSON is refused",
          "[harness][results]") {
  vm::test::scratch_dir dir;
  const std::string path = dir.file("results.json");

  SECTION("missing") {
    auto f = load_results_file(path);
    REQUIRE_FALSE(f.ok());
    CHECK(f.err().code == vm::error_code::kIo);
    CHECK(f.err().message == path + ": cannot open");
  }
  SECTION("empty") {
    write_text(path, "");
    auto f = load_results_file(path);
    REQUIRE_FALSE(f.ok());
    CHECK(f.err().code == vm::error_code::kBadInput);
    CHECK(f.err().message == path + ": empty file");
  }
  SECTION("truncated") {
    const std::string whole = results_doc().dump(2);
    const size_t keep = GENERATE(1, 10, 100, 500);
    CAPTURE(keep);
    REQUIRE(keep < whole.size());
    write_text(path, whole.substr(0, keep));
    auto f = load_results_file(path);
    REQUIRE_FALSE(f.ok());
    CAPTURE(f.err().message);
    CHECK(f.err().code == vm::error_code::kBadInput);
    CHECK(f.err().message.rfind(path + ": not valid JSON at byte ", 0) == 0);
    CHECK(contains(f.err().message, "(the file is truncated)"));
    // The byte named is at the end of what is there.
    const std::string after = f.err().message.substr((path + ": not valid JSON at byte ").size());
    const unsigned long byte = std::stoul(after);
    CHECK(byte >= keep);
    CHECK(byte <= keep + 1);
  }
  SECTION("garbage in the middle is not called truncated") {
    std::string text = google_benchmark_doc().dump(2);
    const size_t at = text.find("\"benchmarks\"");
    REQUIRE(at != std::string::npos);
    text.insert(at, "@");
    write_text(path, text);
    auto f = load_results_file(path);
    REQUIRE_FALSE(f.ok());
    CAPTURE(f.err().message);
    CHECK(f.err().code == vm::error_code::kBadInput);
    CHECK(f.err().message == path + ": not valid JSON at byte " + std::to_string(at + 1));
    CHECK_FALSE(contains(f.err().message, "truncated"));
  }
  SECTION("not JSON at all") {
    write_text(path, "<results>12</results>\n");
    auto f = load_results_file(path);
    REQUIRE_FALSE(f.ok());
    CHECK(f.err().message == path + ": not valid JSON at byte 1");
  }
}

TEST_CASE("a results document of the wrong shape is refused naming the field",
          "[harness][results]") {
  SECTION("not an object") {
    require_refused(json::array({1, 2}), "expected a JSON object");
  }
  SECTION("no benchmarks array") {
    const std::string message =
        "benchmarks: missing: not a Google Benchmark / vmbench results file or a counters baseline";
    require_refused(json{{"context", json::object()}}, message);
    require_refused(json{{"benchmarks", json::object()}}, message);
  }
  SECTION("an unknown vmbench schema version") {
    json doc = results_doc();
    doc["vmbench"]["schema_version"] = 2;
    require_refused(doc, "vmbench.schema_version: 2 is not supported (this vmbench reads 1)");
  }
  SECTION("no vmbench schema version") {
    json doc = results_doc();
    doc["vmbench"].erase("schema_version");
    require_refused(doc, "vmbench.schema_version: missing");
  }
  SECTION("a vmbench section that is not an object") {
    json doc = results_doc();
    doc["vmbench"] = "yes";
    require_refused(doc, "vmbench: expected an object");
  }
  SECTION("a suite that is not a string") {
    json doc = results_doc();
    doc["vmbench"]["suite"] = 3;
    require_refused(doc, "vmbench.suite: expected a string");
  }
  SECTION("a fingerprint that is not an object") {
    json doc = results_doc();
    doc["vmbench"]["fingerprint"] = json::array();
    require_refused(doc, "vmbench.fingerprint: expected an object");
  }
  SECTION("warnings that are not an array") {
    json doc = results_doc();
    doc["vmbench"]["warnings"] = "load";
    require_refused(doc, "vmbench.warnings: expected an array");
  }
  SECTION("vmbench benchmarks that are not an object") {
    json doc = results_doc();
    doc["vmbench"]["benchmarks"] = json::array();
    require_refused(doc, "vmbench.benchmarks: expected an object");
  }
  SECTION("a vmbench benchmark entry that is not an object") {
    json doc = results_doc();
    doc["vmbench"]["benchmarks"]["exec/recorded/sha256"] = 5;
    require_refused(doc, "vmbench.benchmarks.exec/recorded/sha256: expected an object");
  }
  SECTION("a benchmark entry that is not an object") {
    json doc = google_benchmark_doc();
    doc["benchmarks"][2] = "BM_copy";
    require_refused(doc, "benchmarks[2]: expected an object");
  }
  SECTION("a benchmark without a name") {
    json doc = google_benchmark_doc();
    doc["benchmarks"][1].erase("name");
    require_refused(doc, "benchmarks[1].name: missing");
    doc["benchmarks"][1]["name"] = 17;
    require_refused(doc, "benchmarks[1].name: missing");
  }
  SECTION("a real_time that is not a number") {
    json doc = google_benchmark_doc();
    doc["benchmarks"][2]["real_time"] = "2";
    require_refused(doc, "benchmarks[2].real_time: missing or not a number");
  }
  SECTION("a missing cpu_time") {
    json doc = google_benchmark_doc();
    doc["benchmarks"][0].erase("cpu_time");
    require_refused(doc, "benchmarks[0].cpu_time: missing or not a number");
  }
  SECTION("a negative time") {
    json doc = google_benchmark_doc();
    doc["benchmarks"][3]["real_time"] = -1;
    require_refused(doc, "benchmarks[3].real_time: not a finite time >= 0");
  }
  SECTION("an unknown time unit") {
    json doc = google_benchmark_doc();
    doc["benchmarks"][0]["time_unit"] = "min";
    require_refused(doc, "benchmarks[0].time_unit: unknown unit 'min'");
  }
  SECTION("a counter that is a float") {
    json doc = results_doc();
    doc["vmbench"]["benchmarks"]["exec/recorded/sha256"]["counters"]["ipc"] = 1.5;
    require_refused(doc,
                    "vmbench.benchmarks.exec/recorded/sha256.counters.ipc: "
                    "a counter must be an unsigned integer or a string");
  }
  SECTION("a counter that is an array") {
    json doc = results_doc();
    doc["vmbench"]["benchmarks"]["exec/recorded/sha256"]["counters"]["list"] = json::array({1});
    require_refused(doc,
                    "vmbench.benchmarks.exec/recorded/sha256.counters.list: "
                    "a counter must be an unsigned integer or a string");
  }
  SECTION("counters that are not an object") {
    json doc = results_doc();
    doc["vmbench"]["benchmarks"]["exec/recorded/sha256"]["counters"] = 12;
    require_refused(doc,
                    "vmbench.benchmarks.exec/recorded/sha256.counters: "
                    "expected an object of counters");
  }
}

TEST_CASE("a malformed counters baseline is refused naming the field", "[harness][results]") {
  SECTION("an unknown schema version") {
    json doc = counters_doc();
    doc["schema_version"] = 2;
    require_refused(doc, "schema_version: 2 is not supported (this vmbench reads 1)");
  }
  SECTION("no schema version") {
    json doc = counters_doc();
    doc.erase("schema_version");
    require_refused(doc, "schema_version: missing");
  }
  SECTION("benchmarks as an array") {
    json doc = counters_doc();
    doc["benchmarks"] = json::array();
    require_refused(doc, "benchmarks: expected an object of benchmark name -> counters");
  }
  SECTION("a counter that is a float") {
    json doc = counters_doc();
    doc["benchmarks"]["exec/recorded/bytecode_vm"]["instret"] = 42.5;
    require_refused(doc,
                    "benchmarks.exec/recorded/bytecode_vm.instret: "
                    "a counter must be an unsigned integer or a string");
  }
  SECTION("a counter that is an object") {
    json doc = counters_doc();
    doc["benchmarks"]["tlb-lookup/l1/lookups:1048576"]["nested"] = json{{"a", 1}};
    require_refused(doc,
                    "benchmarks.tlb-lookup/l1/lookups:1048576.nested: "
                    "a counter must be an unsigned integer or a string");
  }
  SECTION("a benchmark whose counters are not an object") {
    json doc = counters_doc();
    doc["benchmarks"]["exec/recorded/bytecode_vm"] = 42;
    require_refused(doc, "benchmarks.exec/recorded/bytecode_vm: expected an object of counters");
  }
}

// nlohmann's json::value() throws type_error when the member exists with
// another type; parse_results must check types first, so that `vmbench
// compare` names the file and the field instead of printing nlohmann's
// "[json.exception.type_error.302] type must be string, but is number".
TEST_CASE("results fields of the wrong JSON type are errors, not exceptions",
          "[harness][results]") {
  json doc = google_benchmark_doc();
  std::string message;
  SECTION("time_unit") {
    doc["benchmarks"][0]["time_unit"] = 1000;
    message = "benchmarks[0].time_unit: expected a string";
  }
  SECTION("time_unit of an aggregate") {
    doc["benchmarks"][4]["time_unit"] = true;
    message = "benchmarks[4].time_unit: expected a string";
  }
  SECTION("run_type") {
    doc["benchmarks"][0]["run_type"] = 1;
    message = "benchmarks[0].run_type: expected a string";
  }
  SECTION("error_occurred") {
    doc["benchmarks"][1]["error_occurred"] = "true";
    message = "benchmarks[1].error_occurred: expected true or false";
  }
  SECTION("kind") {
    doc["kind"] = 1;
    message = "kind: expected a string";
  }
  SECTION("suite of a counters baseline") {
    doc = counters_doc();
    doc["suite"] = 1;
    message = "suite: expected a string";
  }
  CAPTURE(message);
  vm::result<results_file> f = results_file{};
  REQUIRE_NOTHROW(f = parse_results(doc, "dir/results.json"));
  REQUIRE_FALSE(f.ok());
  CHECK(f.err().code == vm::error_code::kBadInput);
  CHECK(f.err().message == "dir/results.json: " + message);
}

// Counters are unsigned: a negative one would make compare's delta wrap
// (-1 -> 1 printed as -18446744073709551614), so the reader refuses it.
TEST_CASE("a negative counter is refused", "[harness][results]") {
  json doc = results_doc();
  doc["vmbench"]["benchmarks"]["exec/recorded/sha256"]["counters"]["instret"] = -1;
  auto f = parse_results(doc, "dir/results.json");
  REQUIRE_FALSE(f.ok());
  CHECK(f.err().message.rfind(
            "dir/results.json: vmbench.benchmarks.exec/recorded/sha256.counters.instret: ", 0) ==
        0);
  json counters = counters_doc();
  counters["benchmarks"]["exec/recorded/bytecode_vm"]["instret"] = -42;
  CHECK_FALSE(parse_results(counters, "dir/counters.json").ok());
}
