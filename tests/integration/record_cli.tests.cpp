// `vmbench record` and `vmbench replay` as a user runs them: output that
// fails on the host is recorded and replayed as it failed, a trace that
// cannot be written leaves nothing behind.

#include <catch2/catch.hpp>
#include <filesystem>

#include "support/child_process.h"

namespace {

std::string workload_elf(const std::string& name) {
  std::string problem;
  for (const auto& w : vm::test::read_workloads(VMBENCH_WORKLOADS_TSV, problem))
    if (w.name == name) return w.elf;
  FAIL("workload " << name << " not found: " << problem);
  return {};
}

vm::test::child_result shell(const std::string& command) {
  return vm::test::run_child({"/bin/sh", "-c", command});
}

}  // namespace

TEST_CASE("record: a guest whose output the host refuses still replays to a match",
          "[record][cli]") {
  const vm::test::scratch_dir dir;
  const std::string trace = dir.file("full.vmt");
  const std::string target = GENERATE("/dev/full", "closed pipe");
  CAPTURE(target);
  const std::string record =
      std::string(VMBENCH_BINARY) + " record -q -o " + trace + " " + workload_elf("sort") + " 2000";
  const auto r = target == "/dev/full"
                     ? shell(record + " > /dev/full")
                     : shell("(" + record + "; echo $? > " + dir.file("status") + ") | true");
  INFO(vm::test::show(r));
  REQUIRE(std::filesystem::exists(trace));
  const auto replay = vm::test::run_child({VMBENCH_BINARY, "replay", trace});
  INFO(vm::test::show(replay));
  CHECK(replay.status == 0);
  CHECK(replay.out.find("matched") != std::string::npos);
}

TEST_CASE("record: a trace that cannot be written fails with status 2 and leaves no file",
          "[record][cli]") {
  const vm::test::scratch_dir dir;
  // A 64 KiB file-size limit: the first chunk that crosses it fails (EFBIG).
  const auto r =
      shell("ulimit -f 64; trap '' XFSZ; " + std::string(VMBENCH_BINARY) + " record -q --mem-out " +
            dir.file("big.vmt") + " " + workload_elf("gups") + " > /dev/null");
  INFO(vm::test::show(r));
  CHECK(r.status == 2);
  CHECK(r.err.find("big.vmt") != std::string::npos);
  CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("record: -o and --mem-out naming one file is a usage error", "[record][cli]") {
  const vm::test::scratch_dir dir;
  const auto r = vm::test::run_child({VMBENCH_BINARY, "record", "-o", dir.file("x.vmt"),
                                      "--mem-out", dir.file("x.vmt"), workload_elf("sort")});
  CHECK(r.status == 2);
  CHECK(std::filesystem::is_empty(dir.path()));
}
