// Replays the trace reader's fuzzing without running the fuzzer: every seed
// of its corpus (tests/fuzz/corpus/trace_reader/) and every input it ever
// found a problem with (tests/trace/fuzz_regressions/, where ci/fuzz saves
// them) goes through the fuzz target's own checks
// (tests/fuzz/trace_reader_check.h), so a fixed bug stays fixed.

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "fuzz/trace_reader_check.h"

using namespace vm::trace;
namespace fs = std::filesystem;

namespace {

const std::string kSeedDir = VMBENCH_SOURCE_DIR "/tests/fuzz/corpus/trace_reader";
const std::string kRegressionDir = VMBENCH_SOURCE_DIR "/tests/trace/fuzz_regressions";

// The inputs in `dir`, sorted; its README and hidden files are not inputs.
std::vector<fs::path> inputs_in(const std::string& dir) {
  std::vector<fs::path> out;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name[0] != '.' && name != "README.md") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<uint8_t> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("every seed of the trace fuzz corpus is a whole trace", "[trace][fuzz]") {
  REQUIRE(fs::is_directory(kSeedDir));
  const std::vector<fs::path> seeds = inputs_in(kSeedDir);
  REQUIRE(seeds.size() >= 4);  // what tests/fuzz/make_trace_corpus.cpp writes
  std::set<trace_kind> kinds;
  uint64_t records = 0;
  for (const fs::path& path : seeds) {
    CAPTURE(path.string());
    const std::vector<uint8_t> input = read_file(path);
    CHECK(input.size() < 20 * 1024);
    bool whole = false;
    CHECK(vm::fuzz::check_input(input.data(), input.size(), whole) == "");
    CHECK(whole);
    auto reader = trace_reader::open(path.string());
    REQUIRE(reader.ok());
    kinds.insert(reader.value()->kind());
    records += reader.value()->record_count();
    CHECK_FALSE(verify(path.string()));
  }
  CHECK(kinds == std::set<trace_kind>{trace_kind::kMem, trace_kind::kExec});
  CHECK(records > 0);
}

TEST_CASE("inputs the fuzzer found problems with are refused cleanly or read whole",
          "[trace][fuzz]") {
  REQUIRE(fs::is_directory(kRegressionDir));
  for (const fs::path& path : inputs_in(kRegressionDir)) {
    CAPTURE(path.string());
    const std::vector<uint8_t> input = read_file(path);
    bool whole = false;
    CHECK(vm::fuzz::check_input(input.data(), input.size(), whole) == "");
    // The same through a file descriptor, as vmbench opens traces.
    const vm::error e = verify(path.string());
    if (e) CHECK(vm::fuzz::check_refusal(e, path.string()) == "");
    CHECK(whole == !e);
  }
}
