// Importing valgrind lackey output: I/L/S/M lines become F/R/W/R+W
// records, high x86-64 addresses move below 2^38 a 1 GiB granule at a
// time, the page map is the touched pages, and every malformed line is
// refused as FILE:LINE with no output file left behind.

#include "trace/lackey_import.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "support/child_process.h"
#include "support/files.h"
#include "support/trace_files.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

using namespace vm::trace;

namespace {

using vm::test::metadata_of;
using vm::test::read_all;
using vm::test::write_text;

trace_metadata provenance() {
  trace_metadata m;
  m.command = "test";
  m.producer = "vmbench test";
  return m;
}

record access(record_type type, uint64_t address, uint32_t size, uint16_t cpu = 0) {
  record r;
  r.type = type;
  r.address = address;
  r.size = size;
  r.cpu = cpu;
  return r;
}

vm::result<import_summary> import(const vm::test::scratch_dir& dir, const std::string& text,
                                  const lackey_options& options = {}) {
  write_text(dir.file("in.lackey"), text);
  return import_lackey(dir.file("in.lackey"), dir.file("out.vmt"), options, provenance());
}

bool covered(const std::vector<page_range>& map, const record& r) {
  for (const page_range& p : map)
    if (p.start <= r.address && r.address + r.size <= p.end) return true;
  return false;
}

constexpr record_type R = record_type::kRead;
constexpr record_type W = record_type::kWrite;
constexpr record_type F = record_type::kFetch;
constexpr uint8_t kRW = kPermRead | kPermWrite;
constexpr uint8_t kRX = kPermRead | kPermExecute;

}  // namespace

TEST_CASE("lackey lines become fetch, read and write records; M is a read then a write",
          "[trace][lackey]") {
  const vm::test::scratch_dir dir;
  auto summary = import(dir,
                        "==4242== Lackey, an example Valgrind tool\n"
                        "==4242== Command: ./a.out\n"
                        "==4242== \n"
                        "I  0400d7d4,8\n"
                        " L 04010008,8\n"
                        " S 04010010,4\n"
                        " M 04010018,8\n"
                        "\n"
                        "I  0400d7dc,3\r\n"
                        " L 7ffd12345678,8\n"
                        " S 7ffd12345680,8\n"
                        "\t L  555555554000,4  \n"
                        "==4242== Exit code:       0\n");
  INFO((summary.ok() ? "" : summary.err().message));
  REQUIRE(summary.ok());
  CHECK(summary.value().records == 9);
  CHECK(summary.value().lines == 13);
  CHECK(summary.value().relocations == 2);
  const std::vector<record> expected = {
      access(F, 0x400d7d4, 8),    access(R, 0x4010008, 8),    access(W, 0x4010010, 4),
      access(R, 0x4010018, 8),    access(W, 0x4010018, 8),    access(F, 0x400d7dc, 3),
      access(R, 0x3fd2345678, 8), access(W, 0x3fd2345680, 8), access(R, 0x3f95554000, 4),
  };
  CHECK(read_all(dir.file("out.vmt")) == expected);

  const trace_metadata m = metadata_of(dir.file("out.vmt"));
  CHECK(m.kind == trace_kind::kMem);
  CHECK(m.source == "lackey");
  CHECK(m.workload_name == "in.lackey");
  CHECK(m.workload_hash == hash_file(dir.file("in.lackey")).value());
  CHECK(m.cpus == 1);
  CHECK(m.command == "test");
  const nlohmann::json relocations = nlohmann::json::parse(R"([
      {"from": "0x7ffd00000000", "to": "0x3fc0000000"},
      {"from": "0x555540000000", "to": "0x3f80000000"}])");
  CHECK(m.extra.at("relocations") == relocations);
  const std::vector<page_range> map = {
      {0x400d000, 0x400e000, kRX, 4096},
      {0x4010000, 0x4011000, kRW, 4096},
      {0x3f95554000, 0x3f95555000, kRW, 4096},
      {0x3fd2345000, 0x3fd2346000, kRW, 4096},
  };
  CHECK(m.page_map == map);
}

TEST_CASE("a low granule already taken by a relocation moves too", "[trace][lackey]") {
  const vm::test::scratch_dir dir;
  auto summary = import(dir,
                        " L 7ffd00000010,8\n"  // granule 0x1fff4 takes 255
                        " L 3fc0001000,8\n"    // the real granule 255 then takes 254
                        " L 3fc0001008,8\n"
                        " L 00001000,8\n");  // granule 0 keeps its place
  REQUIRE(summary.ok());
  CHECK(read_all(dir.file("out.vmt")) ==
        std::vector<record>{access(R, 0x3fc0000010, 8), access(R, 0x3f80001000, 8),
                            access(R, 0x3f80001008, 8), access(R, 0x1000, 8)});
  CHECK(metadata_of(dir.file("out.vmt")).extra.at("relocations").size() == 2);
}

TEST_CASE("more than 256 granules is an error naming the line", "[trace][lackey]") {
  const vm::test::scratch_dir dir;
  std::string text;
  for (uint64_t g = 0; g <= 256; ++g) {
    char line[64];
    std::snprintf(line, sizeof line, " S %llx,8\n", static_cast<unsigned long long>(g << 30));
    text += line;
  }
  auto r = import(dir, text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message.rfind(dir.file("in.lackey") + ":257: address 0x4000000000 needs a 257th",
                              0) == 0);
  CHECK(::access(dir.file("out.vmt").c_str(), F_OK) != 0);
}

TEST_CASE("an access crossing a granule boundary is split there", "[trace][lackey]") {
  const vm::test::scratch_dir dir;
  auto summary = import(dir,
                        " L 3ffffffc,8\n"
                        " S 7fffbffffffc,8\n");
  REQUIRE(summary.ok());
  CHECK(read_all(dir.file("out.vmt")) ==
        std::vector<record>{access(R, 0x3ffffffc, 4), access(R, 0x40000000, 4),
                            access(W, 0x3ffffffffc, 4), access(W, 0x3f80000000, 4)});
  const trace_metadata m = metadata_of(dir.file("out.vmt"));
  CHECK(m.extra.at("split_accesses") == 2);
  for (const record& r : read_all(dir.file("out.vmt"))) CHECK(covered(m.page_map, r));
}

TEST_CASE("the page map merges adjacent pages with equal permissions", "[trace][lackey]") {
  const vm::test::scratch_dir dir;
  auto summary = import(dir,
                        "I  1000,4\n"  // code page
                        "I  2ffe,4\n"  // code, crossing into 0x3000
                        " L 4000,8\n"  // data
                        " S 5000,8\n"  // data, adjacent: merged with 0x4000
                        " L 1010,8\n"  // data read from a code page: still r-x
                        "I  8000,4\n"
                        " S 8010,4\n"  // fetched and written: rwx
                        " M 9000,8\n");
  REQUIRE(summary.ok());
  const std::vector<page_range> expected = {
      {0x1000, 0x4000, kRX, 4096},
      {0x4000, 0x6000, kRW, 4096},
      {0x8000, 0x9000, kRW | kPermExecute, 4096},
      {0x9000, 0xa000, kRW, 4096},
  };
  CHECK(metadata_of(dir.file("out.vmt")).page_map == expected);
}

TEST_CASE("the cpu and name options set every record's cpu and the workload name",
          "[trace][lackey]") {
  const vm::test::scratch_dir dir;
  lackey_options options;
  options.cpu = 3;
  options.workload_name = "ls -l";
  auto summary = import(dir, "I  1000,4\n L 2000,8\n", options);
  REQUIRE(summary.ok());
  CHECK(read_all(dir.file("out.vmt")) ==
        std::vector<record>{access(F, 0x1000, 4, 3), access(R, 0x2000, 8, 3)});
  const trace_metadata m = metadata_of(dir.file("out.vmt"));
  CHECK(m.cpus == 4);
  CHECK(m.workload_name == "ls -l");
}

TEST_CASE("an input with only valgrind messages gives an empty trace", "[trace][lackey]") {
  const vm::test::scratch_dir dir;
  auto summary = import(dir, "==1== hello\n--1-- warning\n**1** oops\n\n   \n");
  REQUIRE(summary.ok());
  CHECK(summary.value().records == 0);
  CHECK(read_all(dir.file("out.vmt")).empty());
  CHECK(metadata_of(dir.file("out.vmt")).page_map.empty());
}

TEST_CASE("malformed lackey lines are refused as FILE:LINE, leaving no output", "[trace][lackey]") {
  const std::string line = GENERATE(as<std::string>{},
                                    "X 1000,8",                      // unknown operation
                                    "hello",                         // not a trace line
                                    "L1000,8",                       // no blank after the letter
                                    " L 10g0,8",                     // bad hex
                                    " L ,8",                         // no address
                                    " L 12345678901234567,8",        // 17 hex digits
                                    " L 1000",                       // missing size
                                    " L 1000,",                      // empty size
                                    " L 1000,-8",                    // signed size
                                    " L 1000,0",                     // zero size
                                    " L 1000,100000",                // huge size
                                    " L 1000,99999999999999999999",  // absurd size
                                    " L ffffffffffffffff,8",         // wraps past 2^64
                                    "I  1000,8 junk",                // trailing text
                                    "= 1 == x");                     // not a valgrind message
  CAPTURE(line);
  const vm::test::scratch_dir dir;
  auto r = import(dir, "I  0400d7d4,8\n L 04010008,8\n" + line + "\n L 04010008,8\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == vm::error_code::kBadInput);
  CHECK(r.err().message.rfind(dir.file("in.lackey") + ":3: expected \"I|L|S|M ADDRESS,SIZE\"", 0) ==
        0);
  CHECK(r.err().message.find('\n') == std::string::npos);
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++files;
  }
  CHECK(files == 1);  // only the input
}

TEST_CASE("a missing input file is an error naming it", "[trace][lackey]") {
  const vm::test::scratch_dir dir;
  auto r = import_lackey(dir.file("absent"), dir.file("out.vmt"), {}, provenance());
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message.rfind(dir.file("absent") + ": ", 0) == 0);
  CHECK(::access(dir.file("out.vmt").c_str(), F_OK) != 0);
}

TEST_CASE("a real valgrind lackey trace of /bin/true imports and verifies", "[trace][lackey]") {
  if (::access("/usr/bin/valgrind", X_OK) != 0) {
    WARN("valgrind is not installed: skipping the real lackey import");
    return;
  }
  const vm::test::scratch_dir dir;
  const std::string log = dir.file("true.lackey");
  const vm::test::child_result run = vm::test::run_child(
      {"/usr/bin/valgrind", "--tool=lackey", "--trace-mem=yes", "--log-file=" + log, "/bin/true"});
  if (run.status != 0) {
    WARN("valgrind could not run /bin/true here: " << vm::test::show(run));
    return;
  }
  auto summary = import_lackey(log, dir.file("true.vmt"), {}, provenance());
  INFO((summary.ok() ? "" : summary.err().message));
  REQUIRE(summary.ok());
  CHECK(summary.value().records > 1000);
  CHECK_FALSE(verify(dir.file("true.vmt")));
  const trace_metadata m = metadata_of(dir.file("true.vmt"));
  CHECK_FALSE(m.page_map.empty());
  uint64_t fetches = 0, reads = 0, writes = 0;
  for (const record& r : read_all(dir.file("true.vmt"))) {
    REQUIRE(r.address + r.size <= kSv39UserLimit);
    REQUIRE(covered(m.page_map, r));
    fetches += r.type == F;
    reads += r.type == R;
    writes += r.type == W;
  }
  CHECK(fetches > 0);
  CHECK(reads > 0);
  CHECK(writes > 0);
}
