// trace_cli.tests.cpp - `vmbench trace` as a user runs it: the real binary
// (VMBENCH_BINARY) in a child process, judged by exit status (0 ok, 2 bad
// input or usage), stdout, stderr and the files it leaves.

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/files.h"
#include "trace/trace_format.h"

namespace {

using vm::test::write_text;

using vm::test::child_result;
using vm::test::scratch_dir;
using vm::test::show;
using vm::test::read_text;

child_result vmbench(std::vector<std::string> args) {
  args.insert(args.begin(), VMBENCH_BINARY);
  return vm::test::run_child(args);
}

bool exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

size_t files_in(const std::string& dir) {
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    (void)entry;
    ++n;
  }
  return n;
}

// A failure: exit status 2, one stderr line "vmbench: ..." containing `says`.
void check_refused(const child_result& r, const std::string& says) {
  INFO(show(r));
  CHECK(r.status == 2);
  CHECK(r.err.rfind("vmbench: ", 0) == 0);
  CHECK(r.err.find(says) != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

}  // namespace

TEST_CASE("trace gen writes the same bytes for the same command", "[integration][trace]") {
  const scratch_dir dir;
  const std::string out = dir.file("z.vmt");
  const std::vector<std::string> command = {
      "trace", "gen",           "zipf", "-o",          out,  "--records",
      "50000", "--seed",        "9",    "--footprint", "4m", "--write-ratio",
      "0.25",  "--fetch-every", "8",    "--alpha",     "1.2"};
  const child_result first = vmbench(command);
  INFO(show(first));
  REQUIRE(first.status == 0);
  CHECK(first.out == "wrote " + out + ": 50000 records (zipf)\n");
  const std::string bytes = read_text(out);
  REQUIRE(std::rename(out.c_str(), dir.file("first.vmt").c_str()) == 0);
  REQUIRE(vmbench(command).status == 0);
  CHECK(read_text(out) == bytes);

  const child_result info = vmbench({"trace", "info", out, "--json"});
  INFO(show(info));
  REQUIRE(info.status == 0);
  const nlohmann::json j = nlohmann::json::parse(info.out);
  CHECK(j.at("schema_version") == 1);
  CHECK(j.at("trace_kind") == "mem");
  CHECK(j.at("records") == 50000);
  CHECK(j.at("records_by_type").at("F").get<uint64_t>() == 50000 / 9);
  CHECK(j.at("metadata").at("source") == "gen");
  CHECK(j.at("metadata").at("workload").at("name") == "zipf");
  CHECK(j.at("metadata").at("producer").get<std::string>().rfind("vmbench ", 0) == 0);
  const std::string command_line = j.at("metadata").at("command");
  CHECK(command_line.rfind("vmbench trace gen zipf -o " + out + " --records 50000", 0) == 0);
  CHECK(j.at("metadata").at("extra").at("alpha") == 1.2);
  CHECK(j.at("cpus_seen") == nlohmann::json::array({0}));
  CHECK(j.at("footprint_pages_4k").at("total").get<uint64_t>() <= 1024 + 4);
  CHECK(j.at("footprint_pages_4k").at("fetched").get<uint64_t>() == 4);
  CHECK(j.at("compression_ratio").at("vs_raw_16_byte_records").get<double>() > 1);
  CHECK(j.at("file_bytes").get<uint64_t>() == bytes.size());

  const child_result text = vmbench({"trace", "info", out});
  INFO(show(text));
  CHECK(text.status == 0);
  CHECK(text.out.find("records:     50000 in 1 chunks:") != std::string::npos);
  CHECK(text.out.find("kind:        mem") != std::string::npos);
}

TEST_CASE("trace gen refuses bad patterns and options with status 2 and no file",
          "[integration][trace]") {
  const scratch_dir dir;
  const std::string out = dir.file("x.vmt");
  check_refused(vmbench({"trace", "gen", "spiral", "-o", out}), "unknown pattern \"spiral\"");
  check_refused(vmbench({"trace", "gen", "uniform", "-o", out, "--alpha", "2"}),
                "--alpha applies to the zipf pattern only");
  check_refused(vmbench({"trace", "gen", "uniform", "-o", out, "--footprint", "12q"}),
                "--footprint: expected a byte count");
  check_refused(vmbench({"trace", "gen", "uniform", "-o", out, "--write-ratio", "2"}),
                "--write-ratio");
  check_refused(vmbench({"trace", "gen", "pointer-chase", "-o", out, "--write-ratio", "0.5"}),
                "pointer-chase only reads");
  CHECK(vmbench({"trace", "gen", "uniform"}).status == 2);  // no -o
  CHECK(vmbench({"trace", "gen", "-o", out}).status == 2);  // no pattern
  CHECK(vmbench({"trace", "gen", "uniform", "-o", out, "--records", "x"}).status == 2);
  CHECK(vmbench({"trace"}).status == 2);                            // no subcommand
  CHECK(vmbench({"trace", "import", "x", "-o", out}).status == 2);  // no such importer
  check_refused(vmbench({"trace", "gen", "uniform", "-o", dir.file("no/such/dir/x.vmt")}),
                "cannot create");
  CHECK(files_in(dir.path()) == 0);
}

TEST_CASE("dump and import text round-trip through the CLI", "[integration][trace]") {
  const scratch_dir dir;
  REQUIRE(vmbench({"trace", "gen", "multi-cpu", "-o", dir.file("m.vmt"), "--records", "5000",
                   "--footprint", "1m", "--fetch-every", "4", "--write-ratio", "0.5"})
              .status == 0);
  for (const std::string format : {"text", "csv"}) {
    CAPTURE(format);
    const std::string text = dir.file("m." + format);
    const child_result dump =
        vmbench({"trace", "dump", dir.file("m.vmt"), "--format", format, "-o", text});
    INFO(show(dump));
    REQUIRE(dump.status == 0);
    CHECK(dump.out.empty());
    const std::string copy = dir.file("copy-" + format + ".vmt");
    const child_result import = vmbench({"trace", "import", "text", text, "-o", copy});
    INFO(show(import));
    REQUIRE(import.status == 0);
    CHECK(import.out.rfind("wrote " + copy + ": 5000 records", 0) == 0);
    // Same rows, cpus and map: the dumps agree after their comment lines.
    const child_result a = vmbench({"trace", "dump", dir.file("m.vmt"), "--format", "csv"});
    const child_result b = vmbench({"trace", "dump", copy, "--format", "csv"});
    REQUIRE(a.status == 0);
    REQUIRE(b.status == 0);
    CHECK(a.out.substr(a.out.find("\nkind,")) == b.out.substr(b.out.find("\nkind,")));
  }
  const child_result slice = vmbench(
      {"trace", "dump", dir.file("m.vmt"), "--format", "csv", "--first", "4", "--count", "2"});
  REQUIRE(slice.status == 0);
  CHECK(slice.out.find("records 4..5 below") != std::string::npos);
  const std::string rows = slice.out.substr(slice.out.find("cpu,type,size,address\n") + 22);
  CHECK(std::count(rows.begin(), rows.end(), '\n') == 2);
}

TEST_CASE("import text refuses a bad line as FILE:LINE and leaves no output",
          "[integration][trace]") {
  const scratch_dir dir;
  const std::string in = dir.file("bad.csv");
  write_text(in, "# vmbench-trace-text 1\ncpu,type,size,address\n0,R,8,0x1000\n0,R,8,zz\n");
  check_refused(vmbench({"trace", "import", "text", in, "-o", dir.file("out.vmt")}),
                in + ":4: expected an address");
  CHECK_FALSE(exists(dir.file("out.vmt")));
  CHECK(files_in(dir.path()) == 1);
  check_refused(
      vmbench({"trace", "import", "text", dir.file("absent.csv"), "-o", dir.file("out.vmt")}),
      "absent.csv");
}

TEST_CASE("import lackey converts a trace and refuses bad lines", "[integration][trace]") {
  const scratch_dir dir;
  const std::string in = dir.file("prog.lackey");
  write_text(in,
             "==7== Lackey\n"
             "I  0400d7d4,8\n"
             " L 7ffd12345678,8\n"
             " M 7ffd12345678,8\n");
  const std::string out = dir.file("prog.vmt");
  const child_result r =
      vmbench({"trace", "import", "lackey", in, "-o", out, "--name", "prog", "--cpu", "1"});
  INFO(show(r));
  REQUIRE(r.status == 0);
  CHECK(r.out ==
        "wrote " + out + ": 4 records from 4 lines, 2 page ranges, 1 relocated 1 GiB granules\n");
  const child_result info = vmbench({"trace", "info", out, "--json"});
  REQUIRE(info.status == 0);
  const nlohmann::json j = nlohmann::json::parse(info.out);
  CHECK(j.at("metadata").at("source") == "lackey");
  CHECK(j.at("metadata").at("workload").at("name") == "prog");
  CHECK(j.at("metadata").at("cpus") == 2);
  CHECK(j.at("cpus_seen") == nlohmann::json::array({1}));
  CHECK(j.at("records_by_type").at("R") == 2);
  CHECK(j.at("records_by_type").at("W") == 1);
  CHECK(j.at("records_by_type").at("F") == 1);
  CHECK(j.at("footprint_pages_4k").at("read") == 1);
  CHECK(j.at("footprint_pages_4k").at("written") == 1);
  CHECK(j.at("footprint_pages_4k").at("fetched") == 1);
  CHECK(j.at("metadata").at("extra").at("relocations").at(0).at("to") == "0x3fc0000000");

  write_text(in, "I  0400d7d4,8\n L 7ffd12345678\n");
  const std::string bad_out = dir.file("bad.vmt");
  check_refused(vmbench({"trace", "import", "lackey", in, "-o", bad_out}),
                in + ":2: expected \"I|L|S|M ADDRESS,SIZE\"");
  CHECK_FALSE(exists(bad_out));
}

TEST_CASE("verify accepts an intact trace and refuses a damaged one", "[integration][trace]") {
  const scratch_dir dir;
  const std::string path = dir.file("u.vmt");
  REQUIRE(vmbench({"trace", "gen", "uniform", "-o", path, "--records", "20000"}).status == 0);
  const child_result ok = vmbench({"trace", "verify", path});
  INFO(show(ok));
  CHECK(ok.status == 0);
  CHECK(ok.out == "ok: 20000 records in 1 chunks\n");

  // Flip one byte inside the first chunk's compressed data.
  std::string bytes = read_text(path);
  const size_t at = vm::trace::kFileHeaderSize + vm::trace::kChunkHeaderSize + 100;
  REQUIRE(bytes.size() > at + 1000);
  bytes[at] = static_cast<char>(bytes[at] ^ 0x40);
  const std::string damaged = dir.file("damaged.vmt");
  write_text(damaged, bytes);
  check_refused(vmbench({"trace", "verify", damaged}), damaged + ": offset ");
  check_refused(vmbench({"trace", "verify", damaged}), "chunk 0");
  check_refused(vmbench({"trace", "dump", damaged, "-o", dir.file("d.txt")}), "chunk 0");
  CHECK_FALSE(exists(dir.file("d.txt")));
  check_refused(vmbench({"trace", "info", damaged}), "chunk 0");

  // A truncated file fails at open.
  write_text(dir.file("short.vmt"), bytes.substr(0, bytes.size() - 10));
  check_refused(vmbench({"trace", "verify", dir.file("short.vmt")}), "short.vmt: offset");
  check_refused(vmbench({"trace", "info", dir.file("absent.vmt")}), "absent.vmt");
  check_refused(vmbench({"trace", "dump", dir.file("absent.vmt")}), "absent.vmt");
}
