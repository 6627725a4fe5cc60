// Every workload retires exactly as many instructions under vmbench as
// under qemu-riscv64 (counted by a qemu plugin): a whole-program check that
// the interpreter executes the same instruction stream, not merely one that
// prints the same output.

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/child_process.h"

using vm::test::child_result;
using vm::test::run_child;
using vm::test::show;
using vm::test::workload;

TEST_CASE("every workload retires the same number of instructions as under qemu-riscv64",
          "[integration][qemu][instret]") {
  std::string problem;
  const std::vector<workload> workloads = vm::test::read_workloads(VMBENCH_WORKLOADS_TSV, problem);
  INFO(problem);
  REQUIRE(problem.empty());
  REQUIRE_FALSE(std::string(VMBENCH_QEMU).empty());  // ci/setup installs qemu-user
  REQUIRE(workloads.size() >= 10);
  for (const workload& w : workloads) {
    DYNAMIC_SECTION(w.name) {
      std::vector<std::string> qemu = {VMBENCH_QEMU, "-plugin", VMBENCH_QEMU_INSN_PLUGIN, w.elf};
      qemu.insert(qemu.end(), w.small_args.begin(), w.small_args.end());
      const child_result q = run_child(qemu);
      INFO(show(q));
      REQUIRE(q.status == 0);
      const auto at = q.err.find("insns: ");  // the plugin reports on stderr
      REQUIRE(at != std::string::npos);
      const uint64_t qemu_count = std::stoull(q.err.substr(at + 7));

      const std::string stats = vm::test::temp_dir() + "/vmbench-instret-" + w.name + ".json";
      std::vector<std::string> ours = {VMBENCH_BINARY, "exec", "--stats-json", stats, w.elf};
      ours.insert(ours.end(), w.small_args.begin(), w.small_args.end());
      const child_result v = run_child(ours);
      INFO(show(v));
      REQUIRE(v.status == 0);
      std::ifstream in(stats);
      const auto json = nlohmann::json::parse(in);
      std::remove(stats.c_str());
      CHECK(json.at("schema_version").get<int>() >= 1);
      CHECK(json.at("instructions").get<uint64_t>() == qemu_count);
    }
  }
}
