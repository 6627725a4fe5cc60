// The text/CSV form of a trace: a dump imports back to the same records,
// kind, cpus and page map; every malformed line is refused as
// "FILE:LINE: expected ..." with no output file left behind.

#include "trace/text_format.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/child_process.h"
#include "support/files.h"
#include "support/trace_files.h"
#include "trace/generators.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

using namespace vm::trace;

namespace {

using vm::test::metadata_of;
using vm::test::read_all;
using vm::test::slurp;
using vm::test::write_text;

std::string dump_to_string(const std::string& trace, const dump_options& options) {
  auto reader = trace_reader::open(trace);
  REQUIRE(reader.ok());
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  REQUIRE(out != nullptr);
  const vm::error e = dump_text(*reader.value(), options, out, "memory");
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  INFO(e.message);
  REQUIRE_FALSE(e);
  return text;
}

trace_metadata provenance() {
  trace_metadata m;
  m.command = "test";
  m.producer = "vmbench test";
  return m;
}

}  // namespace

TEST_CASE("a dump imports back to identical records, kind, cpus and page map", "[trace][text]") {
  const text_style style = GENERATE(text_style::kText, text_style::kCsv);
  const std::string pattern = GENERATE("multi-cpu", "zipf", "pointer-chase");
  CAPTURE(static_cast<int>(style), pattern);
  const vm::test::scratch_dir dir;
  gen_options o;
  o.pattern = parse_pattern(pattern).value();
  o.records = 30000;
  o.footprint = 1 << 20;
  o.write_ratio = pattern == "pointer-chase" ? 0 : 0.3;
  o.fetch_every = 5;
  REQUIRE_FALSE(write_generated_trace(dir.file("a.vmt"), o, provenance()));
  write_text(dir.file("a.txt"), dump_to_string(dir.file("a.vmt"), {style, 0, UINT64_MAX}));

  auto summary = import_text(dir.file("a.txt"), dir.file("b.vmt"), {}, provenance());
  INFO((summary.ok() ? "" : summary.err().message));
  REQUIRE(summary.ok());
  CHECK(summary.value().records == 30000);
  CHECK(read_all(dir.file("b.vmt")) == read_all(dir.file("a.vmt")));
  const trace_metadata a = metadata_of(dir.file("a.vmt"));
  const trace_metadata b = metadata_of(dir.file("b.vmt"));
  CHECK(b.kind == a.kind);
  CHECK(b.cpus == a.cpus);
  CHECK(b.page_map == a.page_map);
  CHECK(b.source == "text");
  CHECK(b.workload_name == "a.txt");
  CHECK(b.workload_hash == hash_file(dir.file("a.txt")).value());
  // And the round trip is stable: dumping the import gives the same rows.
  const std::string again = dump_to_string(dir.file("b.vmt"), {style, 0, UINT64_MAX});
  const std::string first = slurp(dir.file("a.txt"));
  CHECK(again.substr(again.find("\nkind")) == first.substr(first.find("\nkind")));
}

TEST_CASE("dump prints the requested slice of records", "[trace][text]") {
  const vm::test::scratch_dir dir;
  gen_options o;
  o.pattern = gen_pattern::kSequential;
  o.records = 1000;
  REQUIRE_FALSE(write_generated_trace(dir.file("s.vmt"), o, provenance()));
  const std::string text = dump_to_string(dir.file("s.vmt"), {text_style::kCsv, 998, 5});
  CHECK(text.rfind(std::string(kTextFormatLine) + "\n", 0) == 0);
  CHECK(text.find("\nkind,mem\ncpus,1\nmap,0x40000000,0x44000000,rw-,4096\ncpu,type,size,address\n"
                  "0,R,8,0x40001f30\n0,R,8,0x40001f38\n") != std::string::npos);
  CHECK(text.find("# records: 1000 in the trace; records 998..999 below") != std::string::npos);
  const std::string none = dump_to_string(dir.file("s.vmt"), {text_style::kText, 5000, 5});
  CHECK(none.find("none below") != std::string::npos);
  CHECK(none.ends_with("\ncpu type  size address\n"));
}

TEST_CASE("import reads decimal or hex, blanks or commas, and derives a page map",
          "[trace][text]") {
  const vm::test::scratch_dir dir;
  write_text(dir.file("in.csv"),
             "# vmbench-trace-text 1\r\n"
             "# a comment\n"
             "\n"
             "cpu,type,size,address\n"
             "0,R,8,0x1000\n"
             "  1 , W , 4 , 8192\n"
             "2\tF\t4\t0X3000   \n"
             "   # indented comment\n"
             "0 R 4 0x3ffe\n"   // touches 0x3000 (fetched, r-x) and 0x4000 (data)
             "0,W,8,0x10000\n"  // a gap: its own range
             "0,F,4,0x10000");  // fetched and written: rwx; no final newline
  auto summary = import_text(dir.file("in.csv"), dir.file("out.vmt"), {"named"}, provenance());
  INFO((summary.ok() ? "" : summary.err().message));
  REQUIRE(summary.ok());
  const std::vector<record> records = read_all(dir.file("out.vmt"));
  REQUIRE(records.size() == 6);
  CHECK(records[1] == record{8192, 0, 4, 0, 1, record_type::kWrite});
  CHECK(records[2] == record{0x3000, 0, 4, 0, 2, record_type::kFetch});
  CHECK(records[3] == record{0x3ffe, 0, 4, 0, 0, record_type::kRead});
  const trace_metadata m = metadata_of(dir.file("out.vmt"));
  CHECK(m.cpus == 3);
  CHECK(m.workload_name == "named");
  const std::vector<page_range> expected = {
      {0x1000, 0x3000, kPermRead | kPermWrite, 4096},
      {0x3000, 0x4000, kPermRead | kPermExecute, 4096},
      {0x4000, 0x5000, kPermRead | kPermWrite, 4096},
      {0x10000, 0x11000, kPermRead | kPermWrite | kPermExecute, 4096},
  };
  CHECK(m.page_map == expected);
}

TEST_CASE("malformed text is refused as FILE:LINE: expected ..., leaving no output",
          "[trace][text]") {
  struct bad_case {
    std::string body;  // after the version line
    int line;
    std::string says;
  };
  const std::string header = "cpu,type,size,address\n";
  const std::vector<bad_case> cases = {
      {"0,R,8,0x1000\n", 2, "expected the column header"},
      {"bogus,1\n", 2, "expected a kind, cpus or map line"},
      {"kind,exec\n", 2, "exec traces cannot be imported"},
      {"kind,disk\n", 2, "expected \"kind,mem\""},
      {"cpus,0\n", 2, "expected \"cpus,N\""},
      {"map,0x1000,0x2000,rw-\n", 2, "expected \"map,START"},
      {"map,0x1001,0x2000,rw-,4096\n", 2, "aligned"},
      {"map,0x1000,0x2000,rwz,4096\n", 2, "permissions"},
      {"map,0x1000,0x2000,rw-,8192\n", 2, "page size"},
      {"map,0x4000000000,0x4000001000,rw-,4096\n", 2, "below 2^38"},
      {"map,0x1000,0x3000,rw-,4096\nmap,0x2000,0x4000,rw-,4096\n", 3, "overlap"},
      {"cpu,type,size\n", 2, "expected the column header"},
      {header + "0,R,8,0x1000\nmap,0x1000,0x2000,rw-,4096\n", 4, "come before"},
      {header + "0,Q,8,0x1000\n", 3, "expected record type R, W or F"},
      {header + "0,S,3,64,0,616263\n", 3, "exec traces"},
      {header + "0,B,3,0x1000\n", 3, "exec traces"},
      {header + "0,R,8\n", 3, "expected 4 fields"},
      {header + "0,R,8,0x1000,5\n", 3, "expected 4 fields"},
      {header + "0,R,,0x1000\n", 3, "empty field"},
      {header + "0,R,8,0x1000,\n", 3, "empty field"},
      {header + "0,R,0,0x1000\n", 3, "access size"},
      {header + "0,R,100000,0x1000\n", 3, "access size"},
      {header + "0,R,8,0x10g0\n", 3, "expected an address"},
      {header + "0,R,8,0x12345678901234567\n", 3, "expected an address"},
      {header + "0,R,8,99999999999999999999\n", 3, "expected an address"},
      {header + "0,R,8,0x3ffffffffc\n", 3, "below 2^38"},
      {header + "x,R,8,0x1000\n", 3, "cpu number"},
      {header + "70000,R,8,0x1000\n", 3, "65535"},
      {"cpus,2\n" + header + "2,R,8,0x1000\n", 4, "cpu below 2"},
      {"map,0x1000,0x2000,rw-,4096\n" + header + "0,R,8,0x1ffc\n", 4, "inside the map"},
      {"map,0x1000,0x2000,rw-,4096\n" + header + "0,R,8,0x5000\n", 4, "inside the map"},
  };
  for (const bad_case& c : cases) {
    CAPTURE(c.body);
    const vm::test::scratch_dir dir;
    const std::string input = dir.file("bad.txt");
    write_text(input, "# vmbench-trace-text 1\n" + c.body);
    auto r = import_text(input, dir.file("out.vmt"), {}, provenance());
    REQUIRE_FALSE(r.ok());
    const std::string prefix = input + ":" + std::to_string(c.line) + ": expected";
    CHECK(r.err().message.rfind(prefix, 0) == 0);
    CHECK(r.err().message.find(c.says) != std::string::npos);
    CHECK(r.err().message.find('\n') == std::string::npos);
    // Only the input is left in the directory.
    size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
      (void)entry;
      ++files;
    }
    CHECK(files == 1);
  }
}

TEST_CASE("a file without the version line is refused", "[trace][text]") {
  const vm::test::scratch_dir dir;
  for (const std::string text : {"", "cpu,type,size,address\n", "# vmbench-trace-text 2\n"}) {
    CAPTURE(text);
    write_text(dir.file("v.txt"), text);
    auto r = import_text(dir.file("v.txt"), dir.file("out.vmt"), {}, provenance());
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().message.rfind(dir.file("v.txt") + ":1: expected \"# vmbench-trace-text 1\"", 0) ==
          0);
    CHECK(::access(dir.file("out.vmt").c_str(), F_OK) != 0);
  }
}

TEST_CASE("exec traces dump with their payloads but do not import", "[trace][text]") {
  const vm::test::scratch_dir dir;
  {
    auto w = trace_writer::create(dir.file("e.vmt"), trace_kind::kExec);
    REQUIRE(w.ok());
    record block;
    block.type = record_type::kBlock;
    block.address = 0x10074;
    block.size = 12;
    REQUIRE_FALSE(w.value()->append(block));
    record sys;
    sys.type = record_type::kSyscall;
    sys.address = 64;
    sys.value = static_cast<uint64_t>(-14);
    sys.size = 3;
    const uint8_t bytes[3] = {'a', 'b', 'c'};
    REQUIRE_FALSE(w.value()->append(sys, bytes));
    record blob;
    blob.type = record_type::kBlob;
    blob.address = 1;
    REQUIRE_FALSE(w.value()->append(blob, nullptr));
    REQUIRE_FALSE(w.value()->finish({}));
  }
  const std::string csv = dump_to_string(dir.file("e.vmt"), {text_style::kCsv, 0, UINT64_MAX});
  CHECK(csv.find("\nkind,exec\n") != std::string::npos);
  CHECK(csv.find("\n0,B,12,0x10074\n0,S,3,64,-14,616263\n0,X,0,1,0,-\n") != std::string::npos);
  write_text(dir.file("e.csv"), csv);
  auto r = import_text(dir.file("e.csv"), dir.file("out.vmt"), {}, provenance());
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message.find("exec traces cannot be imported") != std::string::npos);
  CHECK(::access(dir.file("out.vmt").c_str(), F_OK) != 0);
}

TEST_CASE("the line reader streams lines across buffer refills and hashes the file",
          "[trace][text]") {
  const vm::test::scratch_dir dir;
  std::string text;
  for (int i = 0; i < 5000; ++i) text += std::string(static_cast<size_t>(i % 37), 'x') + "\r\n";
  text += "last";
  write_text(dir.file("l.txt"), text);
  auto opened = line_reader::open(dir.file("l.txt"), 256);
  REQUIRE(opened.ok());
  line_reader& in = *opened.value();
  std::string_view line;
  for (int i = 0; i < 5000; ++i) {
    REQUIRE(in.next(line).value());
    REQUIRE(line == std::string(static_cast<size_t>(i % 37), 'x'));
  }
  REQUIRE(in.next(line).value());
  CHECK(line == "last");
  CHECK(in.line_number() == 5001);
  CHECK_FALSE(in.next(line).value());
  CHECK(in.digest() == hash_file(dir.file("l.txt")).value());

  write_text(dir.file("long.txt"), "short\n" + std::string(1000, 'y') + "\n");
  auto again = line_reader::open(dir.file("long.txt"), 256);
  REQUIRE(again.ok());
  REQUIRE(again.value()->next(line).value());
  auto too_long = again.value()->next(line);
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.err().message ==
        dir.file("long.txt") + ":2: expected a line of at most 256 bytes");
}
