// suite.tests.cpp - benchmark suites (harness/suites/<name>.json): the
// shipped suites parse, name their benchmarks stably and point at traces and
// workloads that exist; an entry expands to the cross product of its lists
// and may override the suite's timing settings; every malformed suite is
// refused with a message naming the file and the JSON field.

#include "suite/suite.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "simd/memory_kernel.h"
#include "support/child_process.h"
#include "tlb/tlb_config.h"

using namespace vm::harness;

namespace {

const std::string kSourceDir = VMBENCH_SOURCE_DIR;
const std::string kSuitesDir = kSourceDir + "/harness/suites";

std::vector<std::string> names_of(const suite& s) {
  std::vector<std::string> names;
  for (const suite_benchmark& b : s.benchmarks) names.push_back(b.name);
  return names;
}

const suite_benchmark* find_benchmark(const suite& s, const std::string& name) {
  for (const suite_benchmark& b : s.benchmarks)
    if (b.name == name) return &b;
  return nullptr;
}

suite load_shipped(const std::string& name) {
  auto s = load_suite(kSuitesDir + "/" + name + ".json");
  INFO(name << ": " << (s.ok() ? std::string() : s.err().message));
  REQUIRE(s.ok());
  return std::move(s).value();
}

// A suite around one benchmarks list (JSON text), with the given top-level
// extras ("\"repetitions\": 3, ") before it.
std::string suite_text(const std::string& benchmarks, const std::string& extra = "") {
  return std::string(R"({"schema_version": 1, "name": "t", )") + extra +
         "\"benchmarks\": " + benchmarks + "}";
}

suite parse_ok(const std::string& text) {
  auto s = parse_suite(text, "t.json");
  INFO(text);
  INFO((s.ok() ? std::string() : s.err().message));
  REQUIRE(s.ok());
  return std::move(s).value();
}

}  // namespace

TEST_CASE("each shipped suite parses, names itself and has unique benchmark names",
          "[harness][suite]") {
  const std::string name =
      GENERATE(as<std::string>{}, "smoke", "quick", "nightly", "anchor", "tlb", "memory");
  CAPTURE(name);
  const suite s = load_shipped(name);
  CHECK(s.name == name);
  CHECK(s.path == kSuitesDir + "/" + name + ".json");
  CHECK_FALSE(s.description.empty());
  REQUIRE_FALSE(s.benchmarks.empty());
  const std::vector<std::string> names = names_of(s);
  const std::set<std::string> unique(names.begin(), names.end());
  CHECK(unique.size() == names.size());
  for (const suite_benchmark& b : s.benchmarks) {
    CAPTURE(b.name);
    CHECK(b.repetitions >= 1);
    CHECK(b.min_time >= 0);
    CHECK(b.name.rfind(std::string(engine_name(b.engine)) + "/", 0) == 0);
  }
}

TEST_CASE("every trace and workload a shipped suite names exists in the source tree",
          "[harness][suite]") {
  const std::string name =
      GENERATE(as<std::string>{}, "smoke", "quick", "nightly", "anchor", "tlb", "memory");
  CAPTURE(name);
  const suite s = load_shipped(name);
  for (const suite_benchmark& b : s.benchmarks) {
    CAPTURE(b.name);
    switch (b.engine) {
      case engine_kind::kMemcpy: CHECK_FALSE(b.kernel.empty()); break;
      case engine_kind::kAlloc: CHECK(b.object_size >= 8); break;
      case engine_kind::kMem:
        CHECK(b.trace.size() > 8);
        CHECK(b.trace.compare(b.trace.size() - 8, 8, ".mem.vmt") == 0);
        CHECK(std::filesystem::is_regular_file(kSourceDir + "/" + b.trace));
        break;
      case engine_kind::kExec:
        CHECK(b.trace.size() > 9);
        CHECK(b.trace.compare(b.trace.size() - 9, 9, ".exec.vmt") == 0);
        CHECK(std::filesystem::is_regular_file(kSourceDir + "/" + b.trace));
        break;
      case engine_kind::kTlbLookup: CHECK(b.lookups >= 1024); break;
      case engine_kind::kVmbenchExec:
      case engine_kind::kQemu:
        CHECK(std::filesystem::is_regular_file(kSourceDir + "/workloads/" + b.workload + ".c"));
        break;
    }
  }
}

TEST_CASE("the shipped suites keep their benchmark names, counts and settings",
          "[harness][suite]") {
  SECTION("smoke") {
    const suite s = load_shipped("smoke");
    CHECK(names_of(s) ==
          std::vector<std::string>{
              "mem/recorded/stream_copy/page:4k/tlb:default",
              "mem/synthetic/sequential-64m/page:4k/tlb:default",
              "mem/synthetic/strided-4k/page:2m/tlb:default",
              "mem/recorded/stream_copy/page:4k/tlb:l1=16x4,l2=128x8,prefetch=stride",
              "mem/recorded/stream_copy/page:4k/tlb:qemu",
              "exec/recorded/bytecode_vm",
              "tlb-lookup/l1/lookups:1048576",
              "memcpy/copy/dispatched/65-256/random/hot/unaligned",
              "memcpy/copy/glibc/65-256/random/hot/unaligned",
              "alloc/pool/64/pairs",
              "alloc/malloc/64/pairs",
              "vmbench-exec/mem_ops/small/accelerate:all",
          });
    CHECK(s.repetitions == 2);
    CHECK(s.min_time == 0);
    for (const suite_benchmark& b : s.benchmarks) {
      CHECK(b.repetitions == 2);
      CHECK(b.min_time == 0);
    }
    REQUIRE(find_benchmark(s, "tlb-lookup/l1/lookups:1048576"));
    CHECK(find_benchmark(s, "tlb-lookup/l1/lookups:1048576")->lookups == 1048576);
  }
  SECTION("quick") {
    const suite s = load_shipped("quick");
    CHECK(names_of(s) == std::vector<std::string>{
                             "mem/recorded/sha256/page:4k/tlb:default",
                             "mem/recorded/stream_copy/page:4k/tlb:default",
                             "mem/recorded/bytecode_vm/page:4k/tlb:default",
                             "mem/recorded/hash_table/page:4k/tlb:default",
                             "mem/recorded/gups/page:4k/tlb:default",
                             "mem/synthetic/uniform-1g/page:4k/tlb:default",
                             "exec/recorded/bytecode_vm",
                             "tlb-lookup/l1/lookups:16777216",
                         });
    CHECK(s.repetitions == 10);
    CHECK(s.seed == 1);
    const suite_benchmark* mem = find_benchmark(s, "mem/recorded/sha256/page:4k/tlb:default");
    REQUIRE(mem);
    CHECK(mem->engine == engine_kind::kMem);
    CHECK(mem->trace == "traces/recorded/sha256.mem.vmt");
    CHECK(mem->page_size == "4k");
    CHECK(mem->tlb == "default");
    CHECK(mem->repetitions == 10);
    const suite_benchmark* exec = find_benchmark(s, "exec/recorded/bytecode_vm");
    REQUIRE(exec);
    CHECK(exec->engine == engine_kind::kExec);
    CHECK(exec->trace == "traces/recorded/bytecode_vm.exec.vmt");
    const suite_benchmark* lookup = find_benchmark(s, "tlb-lookup/l1/lookups:16777216");
    REQUIRE(lookup);
    CHECK(lookup->engine == engine_kind::kTlbLookup);
    CHECK(lookup->lookups == 16777216);
  }
  SECTION("nightly") {
    const suite s = load_shipped("nightly");
    // 17 mem traces x 2 page sizes, 2 exec traces, 1 lookup loop, 14
    // workloads under each of vmbench-exec and qemu (mem_ops also
    // accelerated), 10 memcpy/memset against glibc, 4 pool/malloc.
    CHECK(s.benchmarks.size() == 17 * 2 + 2 + 1 + 14 + 1 + 14 + 10 + 4);
    CHECK(find_benchmark(s, "vmbench-exec/mem_ops/small/accelerate:all"));
    CHECK(find_benchmark(s, "memcpy/copy/glibc/above-l3/fixed/cold/aligned"));
    CHECK(find_benchmark(s, "alloc/pool/4096/pairs"));
    CHECK(s.repetitions == 15);
    const suite_benchmark* qemu = find_benchmark(s, "qemu/sha256/small");
    REQUIRE(qemu);
    CHECK(qemu->engine == engine_kind::kQemu);
    CHECK(qemu->workload == "sha256");
    CHECK(qemu->size == "small");
    CHECK(qemu->repetitions == 5);  // the entry's override
    const suite_benchmark* peer = find_benchmark(s, "vmbench-exec/sha256/small");
    REQUIRE(peer);
    CHECK(peer->engine == engine_kind::kVmbenchExec);
    CHECK(peer->repetitions == 5);
    const suite_benchmark* mem = find_benchmark(s, "mem/recorded/sha256/page:2m/tlb:default");
    REQUIRE(mem);
    CHECK(mem->page_size == "2m");
    CHECK(mem->repetitions == 15);  // the suite's
    CHECK(find_benchmark(s, "mem/recorded/sha256/page:4k/tlb:default"));
    CHECK(find_benchmark(s, "mem/lackey/gzip/page:4k/tlb:default"));
    CHECK(find_benchmark(s, "mem/synthetic/multi-cpu-4/page:2m/tlb:default"));
    const suite_benchmark* exec = find_benchmark(s, "exec/recorded/sha256");
    REQUIRE(exec);
    CHECK(exec->trace == "traces/recorded/sha256.exec.vmt");
    CHECK(find_benchmark(s, "tlb-lookup/l1/lookups:16777216"));
    // Every workload runs under both engines: the anchor pairs are complete.
    for (const suite_benchmark& b : s.benchmarks)
      if (b.engine == engine_kind::kQemu) {
        CAPTURE(b.name);
        CHECK(find_benchmark(s, std::string("vmbench-exec/") + b.workload + "/" + b.size));
      }
  }
}

TEST_CASE("parsing a shipped suite twice gives the same names in the same order",
          "[harness][suite]") {
  const std::string name =
      GENERATE(as<std::string>{}, "smoke", "quick", "nightly", "anchor", "tlb", "memory");
  CAPTURE(name);
  CHECK(names_of(load_shipped(name)) == names_of(load_shipped(name)));
}

TEST_CASE("a mem entry expands to the cross product of traces, page sizes and TLBs in order",
          "[harness][suite]") {
  const suite s = parse_ok(suite_text(R"([
    {"engine": "mem", "traces": ["traces/recorded/a.mem.vmt", "traces/synthetic/b.mem.vmt"],
     "page_size": ["4k", "2m", "1g", "recorded"], "tlb": ["default", "l1=16384x1"]}])"));
  REQUIRE(s.benchmarks.size() == 2 * 4 * 2);
  CHECK(s.benchmarks[0].name == "mem/recorded/a/page:4k/tlb:default");
  CHECK(s.benchmarks[1].name == "mem/recorded/a/page:4k/tlb:l1=16384x1");
  CHECK(s.benchmarks[2].name == "mem/recorded/a/page:2m/tlb:default");
  CHECK(s.benchmarks[7].name == "mem/recorded/a/page:recorded/tlb:l1=16384x1");
  CHECK(s.benchmarks[8].name == "mem/synthetic/b/page:4k/tlb:default");
  CHECK(s.benchmarks[15].name == "mem/synthetic/b/page:recorded/tlb:l1=16384x1");
  for (const suite_benchmark& b : s.benchmarks) {
    CAPTURE(b.name);
    CHECK(b.engine == engine_kind::kMem);
    CHECK(b.name == std::string("mem/") + b.trace.substr(7, b.trace.size() - 7 - 8) +
                        "/page:" + b.page_size + "/tlb:" + b.tlb);
  }
  CHECK(s.benchmarks[9].trace == "traces/synthetic/b.mem.vmt");
  CHECK(s.benchmarks[9].page_size == "4k");
  CHECK(s.benchmarks[9].tlb == "l1=16384x1");
}

TEST_CASE("suite entries take defaults for the lists they leave out", "[harness][suite]") {
  const suite s = parse_ok(suite_text(R"([
    {"engine": "mem", "traces": "traces/recorded/a.mem.vmt"},
    {"engine": "exec", "traces": "other/b.exec.vmt"},
    {"engine": "tlb-lookup"},
    {"engine": "qemu", "workloads": "sort"}])"));
  REQUIRE(s.benchmarks.size() == 4);
  CHECK(s.benchmarks[0].name == "mem/recorded/a/page:4k/tlb:default");
  CHECK(s.benchmarks[0].page_size == "4k");
  CHECK(s.benchmarks[0].tlb == "default");
  // Only a leading "traces/" is dropped from the name.
  CHECK(s.benchmarks[1].name == "exec/other/b");
  CHECK(s.benchmarks[1].trace == "other/b.exec.vmt");
  CHECK(s.benchmarks[2].name == "tlb-lookup/l1/lookups:16777216");
  CHECK(s.benchmarks[2].lookups == 16777216);
  CHECK(s.benchmarks[3].name == "qemu/sort/small");
  CHECK(s.benchmarks[3].size == "small");
  // The suite-level defaults.
  CHECK(s.repetitions == 10);
  CHECK(s.min_time == Approx(0.05));
  CHECK(s.warmup == 0);
  CHECK(s.seed == 1);
  CHECK(s.description.empty());
}

TEST_CASE("workload entries expand to the cross product of workloads and sizes",
          "[harness][suite]") {
  const std::string engine = GENERATE(as<std::string>{}, "qemu", "vmbench-exec");
  CAPTURE(engine);
  const suite s = parse_ok(suite_text(std::string(R"([{"engine": ")") + engine +
                                      R"(", "workloads": ["sort", "gups", "sha256"],
                                          "size": ["small", "default"]}])"));
  REQUIRE(s.benchmarks.size() == 6);
  const std::vector<std::string> expected = {"sort/small",   "sort/default", "gups/small",
                                             "gups/default", "sha256/small", "sha256/default"};
  for (size_t i = 0; i < expected.size(); ++i) {
    CHECK(s.benchmarks[i].name == engine + "/" + expected[i]);
    CHECK(s.benchmarks[i].engine ==
          (engine == "qemu" ? engine_kind::kQemu : engine_kind::kVmbenchExec));
    CHECK(engine_name(s.benchmarks[i].engine) == engine);
  }
  CHECK(s.benchmarks[3].workload == "gups");
  CHECK(s.benchmarks[3].size == "default");
}

TEST_CASE("memcpy and alloc entries expand to their cross products with stable names",
          "[harness][suite]") {
  const suite s = parse_ok(suite_text(R"([
    {"engine": "memcpy", "op": ["copy", "set"], "kernel": ["dispatched", "glibc"],
     "size": ["0-16", "above-l3"], "distribution": "random", "buffers": ["hot", "cold"],
     "alignment": "unaligned"},
    {"engine": "memcpy", "size": "65-256"},
    {"engine": "alloc", "allocator": ["pool", "malloc"], "object_size": [64, 4096],
     "pattern": "batch"},
    {"engine": "alloc"}])"));
  REQUIRE(s.benchmarks.size() == 2 * 2 * 2 * 2 + 1 + 4 + 1);
  CHECK(s.benchmarks[0].name == "memcpy/copy/dispatched/0-16/random/hot/unaligned");
  CHECK(s.benchmarks[1].name == "memcpy/copy/dispatched/0-16/random/cold/unaligned");
  CHECK(s.benchmarks[15].name == "memcpy/set/glibc/above-l3/random/cold/unaligned");
  CHECK(s.benchmarks[15].op == "set");
  CHECK(s.benchmarks[15].kernel == "glibc");
  CHECK(s.benchmarks[15].size == "above-l3");
  CHECK(s.benchmarks[15].buffers == "cold");
  // The defaults: copy, dispatched, fixed, hot, aligned; pool, 64 B, pairs.
  CHECK(s.benchmarks[16].name == "memcpy/copy/dispatched/65-256/fixed/hot/aligned");
  CHECK(s.benchmarks[17].name == "alloc/pool/64/batch");
  CHECK(s.benchmarks[20].name == "alloc/malloc/4096/batch");
  CHECK(s.benchmarks[20].object_size == 4096);
  CHECK(s.benchmarks[21].name == "alloc/pool/64/pairs");
  for (const suite_benchmark& b : s.benchmarks) {
    CAPTURE(b.name);
    CHECK(b.name.rfind(std::string(engine_name(b.engine)) + "/", 0) == 0);
  }
}

TEST_CASE("supported expands to every memcpy kernel this CPU runs, best first",
          "[harness][suite]") {
  const suite s = parse_ok(suite_text(R"([
    {"engine": "memcpy", "kernel": ["glibc", "supported"], "size": "0-16"}])"));
  std::vector<std::string> expected = {"memcpy/copy/glibc/0-16/fixed/hot/aligned"};
  for (const vm::simd::memory_kernel* k : vm::simd::compiled_kernels())
    if (vm::simd::supported(*k))
      expected.push_back(std::string("memcpy/copy/") + k->name + "/0-16/fixed/hot/aligned");
  CHECK(names_of(s) == expected);
  CHECK(expected.back() == "memcpy/copy/scalar/0-16/fixed/hot/aligned");
}

TEST_CASE("thp and accelerate add a name part only when they are given", "[harness][suite]") {
  const suite s = parse_ok(suite_text(R"([
    {"engine": "mem", "traces": "traces/synthetic/u.mem.vmt", "thp": ["on", "off"]},
    {"engine": "vmbench-exec", "workloads": "mem_ops", "accelerate": ["none", "all"]}])"));
  CHECK(names_of(s) == std::vector<std::string>{"mem/synthetic/u/page:4k/tlb:default/thp:on",
                                                "mem/synthetic/u/page:4k/tlb:default/thp:off",
                                                "vmbench-exec/mem_ops/small",
                                                "vmbench-exec/mem_ops/small/accelerate:all"});
  CHECK(s.benchmarks[1].thp == "off");
  CHECK(s.benchmarks[3].accelerate == "all");
}

TEST_CASE("suite entries override the suite's repetitions, minimum time and warm-up",
          "[harness][suite]") {
  const suite s =
      parse_ok(suite_text(R"([
    {"engine": "exec", "traces": ["traces/a.exec.vmt", "traces/b.exec.vmt"], "repetitions": 3},
    {"engine": "tlb-lookup", "lookups": 2048, "min_time": 0.5, "warmup": 0.25},
    {"engine": "mem", "traces": "traces/c.mem.vmt", "comment": "no overrides"}])",
                          R"("repetitions": 7, "min_time": 0.2, "warmup": 0.1, "seed": 42, )"));
  CHECK(s.repetitions == 7);
  CHECK(s.min_time == Approx(0.2));
  CHECK(s.warmup == Approx(0.1));
  CHECK(s.seed == 42);
  REQUIRE(s.benchmarks.size() == 4);
  for (int i : {0, 1}) {
    CAPTURE(i);
    CHECK(s.benchmarks[i].repetitions == 3);
    CHECK(s.benchmarks[i].min_time == Approx(0.2));
    CHECK(s.benchmarks[i].warmup == Approx(0.1));
  }
  CHECK(s.benchmarks[2].name == "tlb-lookup/l1/lookups:2048");
  CHECK(s.benchmarks[2].lookups == 2048);
  CHECK(s.benchmarks[2].repetitions == 7);
  CHECK(s.benchmarks[2].min_time == Approx(0.5));
  CHECK(s.benchmarks[2].warmup == Approx(0.25));
  CHECK(s.benchmarks[3].repetitions == 7);
  CHECK(s.benchmarks[3].min_time == Approx(0.2));
  CHECK(s.benchmarks[3].warmup == Approx(0.1));
}

TEST_CASE("a malformed suite is refused with the file and the field in the message",
          "[harness][suite]") {
  struct bad_case {
    const char* what;
    std::string text;
    std::string message;  // what the message says after "dir/bad.json: " (a prefix; range
                          // messages are pinned only up to their lower bound)
  };
  const std::string mem = R"({"engine": "mem", "traces": "traces/a.mem.vmt"})";
  auto one = [](const std::string& entry, const std::string& extra = "") {
    return suite_text("[" + entry + "]", extra);
  };
  const bad_case c = GENERATE_COPY(values<bad_case>({
      {"not JSON", "{\"schema_version\": 1,", "not valid JSON"},
      {"not an object", "[1, 2]", "expected a JSON object"},
      {"wrong schema_version",
       R"({"schema_version": 2, "name": "t", "benchmarks": [{"engine": "tlb-lookup"}]})",
       "schema_version: 2 is not supported (this vmbench reads 1)"},
      {"missing schema_version", R"({"name": "t", "benchmarks": [{"engine": "tlb-lookup"}]})",
       "schema_version: missing"},
      {"unknown top-level key", one(mem, R"("repetition": 3, )"), "repetition: unknown key"},
      {"missing name", R"({"schema_version": 1, "benchmarks": [{"engine": "tlb-lookup"}]})",
       "name: expected a non-empty string"},
      {"empty name",
       R"({"schema_version": 1, "name": "", "benchmarks": [{"engine": "tlb-lookup"}]})",
       "name: expected a non-empty string"},
      {"description not a string", one(mem, R"("description": 5, )"),
       "description: expected a string"},
      {"unknown engine", one(R"({"engine": "jit"})"),
       "benchmarks[0].engine: unknown engine 'jit' (known: mem, exec, tlb-lookup, vmbench-exec, "
       "qemu, memcpy, alloc)"},
      {"missing engine", one(R"({"traces": "traces/a.mem.vmt"})"), "benchmarks[0].engine: missing"},
      {"unknown key in an entry", one(R"({"engine": "mem", "trace": "traces/a.mem.vmt"})"),
       "benchmarks[0].trace: unknown key"},
      {"entry not an object", suite_text(R"([{"engine": "tlb-lookup"}, "mem"])"),
       "benchmarks[1]: expected an object"},
      {"page_size on exec", one(R"({"engine": "exec", "traces": "a.exec.vmt", "page_size": "4k"})"),
       "benchmarks[0].page_size: does not apply to engine exec"},
      {"tlb on exec", one(R"({"engine": "exec", "traces": "a.exec.vmt", "tlb": "default"})"),
       "benchmarks[0].tlb: does not apply to engine exec"},
      {"traces on tlb-lookup", one(R"({"engine": "tlb-lookup", "traces": "a.mem.vmt"})"),
       "benchmarks[0].traces: does not apply to engine tlb-lookup"},
      {"workloads on mem", one(R"({"engine": "mem", "traces": "a.mem.vmt", "workloads": "sort"})"),
       "benchmarks[0].workloads: does not apply to engine mem"},
      {"lookups on qemu", one(R"({"engine": "qemu", "workloads": "sort", "lookups": 4096})"),
       "benchmarks[0].lookups: does not apply to engine qemu"},
      {"page_size on vmbench-exec",
       one(R"({"engine": "vmbench-exec", "workloads": "sort", "page_size": "4k"})"),
       "benchmarks[0].page_size: does not apply to engine vmbench-exec"},
      {"bad page_size",
       one(R"({"engine": "mem", "traces": "a.mem.vmt", "page_size": ["4k", "8k"]})"),
       "benchmarks[0].page_size: '8k' is not one of 4k, 2m, 1g, recorded"},
      {"bad tlb", one(R"({"engine": "mem", "traces": "a.mem.vmt", "tlb": "bogus"})"),
       "benchmarks[0].tlb: --tlb 'bogus': "},
      {"impossible tlb geometry",
       one(R"({"engine": "mem", "traces": "a.mem.vmt", "tlb": ["default", "l1=48x4"]})"),
       "benchmarks[0].tlb: --tlb 'l1=48x4': 'l1=48x4': the set count 48 is not a power of two"},
      {"bad size", one(R"({"engine": "qemu", "workloads": "sort", "size": "large"})"),
       "benchmarks[0].size: 'large' is not one of small, default"},
      {"missing traces", one(R"({"engine": "exec"})"), "benchmarks[0].traces: missing"},
      {"missing workloads", one(R"({"engine": "vmbench-exec"})"),
       "benchmarks[0].workloads: missing"},
      {"empty traces", one(R"({"engine": "mem", "traces": []})"),
       "benchmarks[0].traces: expected a string or a non-empty array of strings"},
      {"traces not strings", one(R"({"engine": "mem", "traces": ["a.mem.vmt", 3]})"),
       "benchmarks[0].traces: expected strings"},
      {"duplicate benchmark across entries",
       suite_text(R"([{"engine": "exec", "traces": "traces/recorded/sha256.exec.vmt"},
                      {"engine": "tlb-lookup"},
                      {"engine": "exec", "traces": "traces/recorded/sha256.exec.vmt"}])"),
       "benchmarks[2]: benchmark 'exec/recorded/sha256' appears twice in the suite"},
      {"duplicate benchmark within an entry",
       one(R"({"engine": "mem", "traces": ["traces/a.mem.vmt", "traces/a.vmt"]})"),
       "benchmarks[0]: benchmark 'mem/a/page:4k/tlb:default' appears twice in the suite"},
      {"suite repetitions of 0", one(mem, R"("repetitions": 0, )"), "repetitions: must lie in [1"},
      {"suite repetitions above 1000", one(mem, R"("repetitions": 1001, )"),
       "repetitions: must lie in [1"},
      {"entry repetitions of 0",
       one(R"({"engine": "mem", "traces": "traces/a.mem.vmt", "repetitions": 0})"),
       "benchmarks[0].repetitions: must lie in [1"},
      {"entry repetitions not a number",
       one(R"({"engine": "mem", "traces": "traces/a.mem.vmt", "repetitions": "10"})"),
       "benchmarks[0].repetitions: expected a number"},
      {"negative min_time", one(mem, R"("min_time": -1, )"), "min_time: must lie in [0"},
      {"entry warmup above a minute",
       one(R"({"engine": "exec", "traces": "a.exec.vmt", "warmup": 61})"),
       "benchmarks[0].warmup: must lie in [0"},
      {"too few lookups", one(R"({"engine": "tlb-lookup", "lookups": 1000})"),
       "benchmarks[0].lookups: must lie in [1024"},
      {"kernel on mem", one(R"({"engine": "mem", "traces": "a.mem.vmt", "kernel": "avx2"})"),
       "benchmarks[0].kernel: does not apply to engine mem"},
      {"thp on exec", one(R"({"engine": "exec", "traces": "a.exec.vmt", "thp": "on"})"),
       "benchmarks[0].thp: does not apply to engine exec"},
      {"accelerate on qemu", one(R"({"engine": "qemu", "workloads": "sort", "accelerate": "all"})"),
       "benchmarks[0].accelerate: does not apply to engine qemu"},
      {"bad accelerate",
       one(R"({"engine": "vmbench-exec", "workloads": "sort", "accelerate": "strlen"})"),
       "benchmarks[0].accelerate: unknown native function 'strlen'"},
      {"bad thp", one(R"({"engine": "mem", "traces": "a.mem.vmt", "thp": ["on", "maybe"]})"),
       "benchmarks[0].thp: 'maybe' is not one of on, off"},
      {"memcpy without size", one(R"({"engine": "memcpy"})"), "benchmarks[0].size: missing"},
      {"bad size class", one(R"({"engine": "memcpy", "size": "1-2"})"),
       "benchmarks[0].size: '1-2' is not one of 0-16, 17-64"},
      {"unknown kernel", one(R"({"engine": "memcpy", "size": "0-16", "kernel": "avx1024"})"),
       "benchmarks[0].kernel: 'avx1024' is not dispatched, glibc, byte, supported or a kernel"},
      {"bad buffers", one(R"({"engine": "memcpy", "size": "0-16", "buffers": "warm"})"),
       "benchmarks[0].buffers: 'warm' is not one of hot, cold"},
      {"allocator on memcpy", one(R"({"engine": "memcpy", "size": "0-16", "allocator": "pool"})"),
       "benchmarks[0].allocator: does not apply to engine memcpy"},
      {"bad allocator", one(R"({"engine": "alloc", "allocator": "tcmalloc"})"),
       "benchmarks[0].allocator: 'tcmalloc' is not one of pool, malloc, pmr-unsync, pmr-sync"},
      {"tiny object", one(R"({"engine": "alloc", "object_size": [64, 4]})"),
       "benchmarks[0].object_size: expected whole numbers of bytes in [8, 1048576]"},
      {"empty benchmarks", suite_text("[]"), "benchmarks: expected a non-empty array"},
      {"missing benchmarks", R"({"schema_version": 1, "name": "t"})",
       "benchmarks: expected a non-empty array"},
      {"benchmarks not an array", suite_text(mem), "benchmarks: expected a non-empty array"},
  }));
  CAPTURE(c.what, c.text);
  auto s = parse_suite(c.text, "dir/bad.json");
  REQUIRE_FALSE(s.ok());
  CAPTURE(s.err().message);
  CHECK(s.err().code == vm::error_code::kBadInput);
  CHECK(s.err().message.rfind("dir/bad.json: " + c.message, 0) == 0);
}

// Counts read as doubles must not be truncated: "repetitions": 2.5 would run
// 2 and "lookups": 2048.9 would run (and name) lookups:2048.
TEST_CASE("a count that is not a whole number is refused, not truncated", "[harness][suite]") {
  const auto [text, message] = GENERATE(table<std::string, std::string>({
      {suite_text(R"([{"engine": "tlb-lookup"}])", R"("repetitions": 2.5, )"), "repetitions: "},
      {suite_text(R"([{"engine": "tlb-lookup", "repetitions": 3.5}])"),
       "benchmarks[0].repetitions: "},
      {suite_text(R"([{"engine": "tlb-lookup", "lookups": 2048.9}])"), "benchmarks[0].lookups: "},
      {suite_text(R"([{"engine": "tlb-lookup"}])", R"("seed": 1.7, )"), "seed: "},
  }));
  CAPTURE(text);
  auto s = parse_suite(text, "t.json");
  REQUIRE_FALSE(s.ok());
  CAPTURE(s.err().message);
  CHECK(s.err().message == "t.json: " + message + "expected a whole number");
  CHECK(s.err().code == vm::error_code::kBadInput);
}

TEST_CASE("whole-number counts written with a fraction part are accepted", "[harness][suite]") {
  const suite s = parse_ok(suite_text(R"([{"engine": "tlb-lookup", "lookups": 4096.0}])",
                                      R"("repetitions": 3.0, "seed": 7.0, )"));
  CHECK(s.repetitions == 3);
  CHECK(s.seed == 7);
  REQUIRE(s.benchmarks.size() == 1);
  CHECK(s.benchmarks[0].name == "tlb-lookup/l1/lookups:4096");
  CHECK(s.benchmarks[0].repetitions == 3);
}

// An empty name would only surface when the run cannot open it (a trace
// "" names the source root) and would be named "mem//page:4k/tlb:default".
TEST_CASE("an empty trace or workload name is refused", "[harness][suite]") {
  const auto [text, message] = GENERATE(table<std::string, std::string>({
      {suite_text(R"([{"engine": "mem", "traces": ["traces/a.mem.vmt", ""]}])"),
       "benchmarks[0].traces: "},
      {suite_text(R"([{"engine": "exec", "traces": ""}])"), "benchmarks[0].traces: "},
      {suite_text(R"([{"engine": "qemu", "workloads": [""]}])"), "benchmarks[0].workloads: "},
  }));
  CAPTURE(text);
  auto s = parse_suite(text, "t.json");
  REQUIRE_FALSE(s.ok());
  CAPTURE(s.err().message);
  CHECK(s.err().message.rfind("t.json: " + message, 0) == 0);
  CHECK(s.err().code == vm::error_code::kBadInput);
}

TEST_CASE("a suite file that cannot be opened is an I/O error naming it", "[harness][suite]") {
  vm::test::scratch_dir dir;
  const std::string path = dir.file("absent.json");
  auto s = load_suite(path);
  REQUIRE_FALSE(s.ok());
  CHECK(s.err().code == vm::error_code::kIo);
  CHECK(s.err().message == path + ": cannot open the suite file");
}

TEST_CASE("load_suite reads a suite file and remembers its path", "[harness][suite]") {
  vm::test::scratch_dir dir;
  const std::string path = dir.file("mine.json");
  {
    std::ofstream out(path, std::ios::binary);
    out << suite_text(R"([{"engine": "tlb-lookup", "lookups": 4096}])");
  }
  auto s = load_suite(path);
  REQUIRE(s.ok());
  CHECK(s.value().path == path);
  CHECK(s.value().name == "t");
  REQUIRE(s.value().benchmarks.size() == 1);
  CHECK(s.value().benchmarks[0].name == "tlb-lookup/l1/lookups:4096");

  // A bad file's message starts with the path it was loaded from.
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << suite_text(R"([{"engine": "jit"}])");
  }
  auto bad = load_suite(path);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.err().message.rfind(path + ": benchmarks[0].engine: unknown engine 'jit'", 0) == 0);
}

TEST_CASE(
    "suite_path treats a plain name as a suite in the suites folder and anything else as a path",
    "[harness][suite]") {
  CHECK(suite_path("quick", "/src/harness/suites") == "/src/harness/suites/quick.json");
  CHECK(suite_path("my-suite", "suites") == "suites/my-suite.json");
  CHECK(suite_path("quick.json", "/src/harness/suites") == "quick.json");
  CHECK(suite_path("./quick", "/src/harness/suites") == "./quick");
  CHECK(suite_path("dir/quick", "/src/harness/suites") == "dir/quick");
  CHECK(suite_path("/abs/quick.json", "/src/harness/suites") == "/abs/quick.json");
  // The name resolves to the shipped file.
  CHECK(std::filesystem::is_regular_file(suite_path("quick", kSuitesDir)));
  auto s = load_suite(suite_path("smoke", kSuitesDir));
  REQUIRE(s.ok());
  CHECK(s.value().name == "smoke");
}

TEST_CASE("engine names are the words suites use", "[harness][suite]") {
  CHECK(std::string(engine_name(engine_kind::kMem)) == "mem");
  CHECK(std::string(engine_name(engine_kind::kExec)) == "exec");
  CHECK(std::string(engine_name(engine_kind::kTlbLookup)) == "tlb-lookup");
  CHECK(std::string(engine_name(engine_kind::kVmbenchExec)) == "vmbench-exec");
  CHECK(std::string(engine_name(engine_kind::kQemu)) == "qemu");
  CHECK(std::string(engine_name(engine_kind::kMemcpy)) == "memcpy");
  CHECK(std::string(engine_name(engine_kind::kAlloc)) == "alloc");
}

TEST_CASE("the tlb suite replays every corpus trace through every design family",
          "[harness][suite][tlb]") {
  const suite s = load_shipped("tlb");
  std::set<std::string> traces, designs;
  for (const suite_benchmark& b : s.benchmarks) {
    traces.insert(b.trace);
    designs.insert(b.tlb);
    CHECK(vm::tlb::parse_tlb_config(b.tlb).ok());
  }
  CHECK(s.benchmarks.size() == traces.size() * designs.size());
  CHECK(traces.size() == 17);
  // The QEMU reference and ours with the same total entries (1032) are both there.
  CHECK(designs.count("qemu,entries=1024,resize=off") == 1);
  CHECK(vm::tlb::parse_tlb_config("l1=2x4,l2=128x8").value().total_entries() ==
        vm::tlb::parse_tlb_config("qemu,entries=1024,resize=off").value().total_entries());
  for (const char* family : {"default", "qemu", "sharded", "lockfree"})
    CHECK(designs.count(family) == 1);
}
