// replay_cli.tests.cpp - `vmbench replay` as a user runs it: the real
// binary in a child process, judged by exit status, stdout, stderr and the
// JSON it writes.

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "replay/test_traces.h"
#include "support/child_process.h"
#include "support/files.h"
#include "trace/trace_format.h"

namespace {

using vm::test::child_result;
using vm::test::range;
using vm::test::read;
using vm::test::read_text;
using vm::test::write;

child_result vmbench(std::vector<std::string> args) {
  args.insert(args.begin(), VMBENCH_BINARY);
  return vm::test::run_child(args);
}

size_t lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// stdout without the lines that carry timings.
std::string counter_lines(const std::string& out) {
  std::istringstream in(out);
  std::string kept;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("time", 0) != 0 && line.rfind("throughput", 0) != 0) kept += line + "\n";
  return kept;
}

// 100 reads of one page, a store to a read-only page, a read outside the map.
std::string small_trace(const vm::test::scratch_dir& dir,
                        vm::trace::trace_kind kind = vm::trace::trace_kind::kMem) {
  vm::test::mem_trace t;
  for (int i = 0; i < 100; ++i) t.records.push_back(read(0x10000 + 8 * i));
  t.records.push_back(write(0x20000));
  t.records.push_back(read(0x90000000));
  t.page_map = {range(0x10000, 0x11000, vm::trace::kPermRead | vm::trace::kPermWrite),
                range(0x20000, 0x21000, vm::trace::kPermRead)};
  t.records_per_chunk = 50;
  const std::string path = dir.file(kind == vm::trace::trace_kind::kMem ? "t.vmt" : "e.vmt");
  vm::test::write_mem_trace(path, t, kind);
  return path;
}

}  // namespace

TEST_CASE("vmbench replay prints the counters of a mem trace", "[integration][replay]") {
  const vm::test::scratch_dir dir;
  const std::string trace = small_trace(dir);
  const child_result r = vmbench({"replay", trace});
  INFO(vm::test::show(r));
  REQUIRE(r.status == 0);
  CHECK(r.err.empty());
  CHECK_THAT(r.out, Catch::Contains("kind        mem, 102 records, 1 cpu\n"));
  CHECK_THAT(r.out, Catch::Contains("tlb         default\n"));
  CHECK_THAT(r.out, Catch::Contains("accesses    102 (reads 101, writes 1, fetches 0)"));
  CHECK_THAT(r.out, Catch::Contains("faults      2 (reads 1, writes 1, fetches 0); page faults 2"));
  CHECK_THAT(r.out, Catch::Contains("tlb l1      hits 99, misses 3\n"));
  CHECK_THAT(r.out, Catch::Contains("walks       3, pte reads 7\n"));
  CHECK_THAT(r.out, Catch::Contains("ns/access, bare TLB lookup "));

  // The same counters on a second run, and with --tlb spelled out.
  const child_result again = vmbench({"replay", trace, "--tlb", "default"});
  REQUIRE(again.status == 0);
  CHECK(counter_lines(again.out) == counter_lines(r.out));
}

TEST_CASE("vmbench replay --tlb runs a design and prints its own counters",
          "[integration][replay][tlb]") {
  const vm::test::scratch_dir dir;
  const std::string trace = small_trace(dir);
  const std::string json_path = dir.file("out.json");
  const child_result r = vmbench({"replay", trace, "--tlb", "l1=2x1,l2=8x4,prefetch=stride",
                                  "--json", json_path});
  INFO(vm::test::show(r));
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("tlb         l1=2x1,l2=8x4,fill=inclusive,repl=lru,"
                                    "prefetch=stride,pb=16,degree=2,latency=16\n"));
  // The same accesses and faults as the default design: only the TLB differs.
  CHECK_THAT(r.out, Catch::Contains("accesses    102 (reads 101, writes 1, fetches 0)"));
  CHECK_THAT(r.out, Catch::Contains("faults      2 (reads 1, writes 1, fetches 0); page faults 2"));
  CHECK_THAT(r.out, Catch::Contains("tlb l2      hits "));
  CHECK_THAT(r.out, Catch::Contains("tlb prefetch issued "));
  CHECK_THAT(r.out, Catch::Contains("tlb pattern sequential "));
  CHECK_THAT(r.out, Catch::Contains("prefetch    accuracy "));
  const nlohmann::json j = nlohmann::json::parse(read_text(json_path));
  const auto& tlb = j.at("counters").at("tlb");
  CHECK(tlb.at("l1").at("hits").get<uint64_t>() + tlb.at("l1").at("misses").get<uint64_t>() >= 102);
  CHECK(tlb.at("l2").contains("misses"));
  CHECK(tlb.at("prefetch").contains("useful"));
}

TEST_CASE("vmbench replay --json --repeat writes counters and timings", "[integration][replay]") {
  const vm::test::scratch_dir dir;
  const std::string trace = small_trace(dir);
  const std::string json_path = dir.file("out.json");
  const child_result r =
      vmbench({"replay", trace, "--repeat", "3", "--page-size", "2m", "--json", json_path});
  INFO(vm::test::show(r));
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("over 3 runs"));
  CHECK_THAT(r.out, Catch::Contains("pages       2 MiB (--page-size): 1 range, 2 MiB mapped"));
  const nlohmann::json j = nlohmann::json::parse(read_text(json_path));
  CHECK(j.at("schema_version") == 1);
  CHECK(j.at("kind") == "vmbench.replay");
  CHECK(j.at("trace_kind") == "mem");
  CHECK(j.at("page_size") == "2m");
  CHECK(j.at("records") == 102);
  const auto& c = j.at("counters");
  CHECK(c.at("accesses").at("total") == 102);
  CHECK(c.at("faults").at("reads") == 1);
  CHECK(c.at("faults").at("writes") == 0);  // 2 MiB pages merge the ranges: rw-
  CHECK(c.at("tlb").at("l1").at("misses") == 3);
  CHECK(c.at("pte_reads") == 2 + 2 + 1);
  CHECK(c.at("accesses_per_cpu") == nlohmann::json::array({102}));
  const auto& t = j.at("timing");
  CHECK(t.at("repeat") == 3);
  CHECK(t.at("seconds").size() == 3);
  CHECK(t.at("min_seconds") <= t.at("median_seconds"));
  CHECK(t.at("bare_tlb_lookup_ns") > 0);
}

TEST_CASE("vmbench replay refuses bad input with one line and exit status 2",
          "[integration][replay]") {
  const vm::test::scratch_dir dir;
  const std::string trace = small_trace(dir);
  SECTION("an impossible TLB geometry") {
    const child_result r = vmbench({"replay", trace, "--tlb", "l1=64x4,l2=1000x8"});
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(lines(r.err) == 1);
    CHECK_THAT(r.err, Catch::StartsWith("vmbench: --tlb 'l1=64x4,l2=1000x8': ") &&
                          Catch::Contains("the set count 1000 is not a power of two") &&
                          Catch::Contains("expected 'default', 'l1=SETSxWAYS"));
  }
  SECTION("more TLB levels than supported") {
    const child_result r =
        vmbench({"replay", trace, "--tlb", "l1=16x4,l2=64x4,l3=256x4,l4=1024x4"});
    CHECK(r.status == 2);
    CHECK(lines(r.err) == 1);
    CHECK_THAT(r.err, Catch::Contains("more levels than supported: 'l4'"));
  }
  SECTION("a malformed TLB configuration") {
    const child_result r = vmbench({"replay", trace, "--tlb", "big"});
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("'big' is neither key=value nor a design name"));
  }
  SECTION("a missing file") {
    const std::string missing = dir.file("missing.vmt");
    const child_result r = vmbench({"replay", missing});
    CHECK(r.status == 2);
    CHECK(lines(r.err) == 1);
    CHECK_THAT(r.err, Catch::StartsWith("vmbench: " + missing + ": "));
  }
  SECTION("a damaged chunk") {
    std::string bytes = read_text(trace);
    bytes[vm::trace::kFileHeaderSize + vm::trace::kChunkHeaderSize + 4] ^= 0x5a;
    const std::string damaged = dir.file("damaged.vmt");
    std::ofstream(damaged, std::ios::binary) << bytes;
    const child_result r = vmbench({"replay", damaged});
    INFO(vm::test::show(r));
    CHECK(r.status == 2);
    CHECK(lines(r.err) == 1);
    CHECK_THAT(r.err, Catch::StartsWith("vmbench: " + damaged + ": offset "));
  }
  SECTION("not a trace") {
    const std::string junk = dir.file("junk.vmt");
    std::ofstream(junk) << "hello";
    const child_result r = vmbench({"replay", junk});
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::StartsWith("vmbench: " + junk + ": "));
  }
  SECTION("a page size that does not exist") {
    CHECK(vmbench({"replay", trace, "--page-size", "8k"}).status == 2);
  }
  SECTION("--repeat 0") {
    CHECK(vmbench({"replay", trace, "--repeat", "0"}).status == 2);
  }
  SECTION("no trace") {
    CHECK(vmbench({"replay"}).status == 2);
  }
  SECTION("--image with a mem trace") {
    const child_result r = vmbench({"replay", trace, "--image", "/bin/true"});
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("--image applies to exec traces only"));
  }
}

TEST_CASE("vmbench replay hands exec traces to exec replay", "[integration][replay]") {
  const vm::test::scratch_dir dir;
  const std::string trace = small_trace(dir, vm::trace::trace_kind::kExec);
  SECTION("--page-size is for mem traces") {
    const child_result r = vmbench({"replay", trace, "--page-size", "2m"});
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("--page-size applies to mem traces only"));
  }
  SECTION("a trace that is not a recorded run does not replay") {
    // Neither a program image nor a digest: an error or a divergence.
    const child_result r = vmbench({"replay", trace});
    INFO(vm::test::show(r));
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::StartsWith("vmbench: "));
  }
}
