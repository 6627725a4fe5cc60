// qemu_crosscheck.tests.cpp - every workload in VMBENCH_WORKLOADS_TSV, at
// its small size, must print the same stdout and exit with the same status
// under `vmbench exec` as under qemu-riscv64, and vmbench must be
// deterministic (identical stdout on a second run).
//
// qemu-user and the workloads are part of the project's setup (ci/setup):
// when either is missing the test fails rather than passing vacuously.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support/child_process.h"

using vm::test::child_result;
using vm::test::read_workloads;
using vm::test::run_child;
using vm::test::show;
using vm::test::workload;

TEST_CASE("qemu cross-check: every workload matches qemu-riscv64 and is deterministic",
          "[integration][qemu]") {
  const std::string qemu = VMBENCH_QEMU;
  if (qemu.empty() || access(qemu.c_str(), X_OK) != 0) {
    FAIL("qemu-riscv64 not found (VMBENCH_QEMU='" << qemu
                                                  << "'): the project setup installs qemu-user; "
                                                     "install it and re-run cmake");
  }
  // Read once: the test case body runs again for every generated workload.
  static std::string problem;
  static const std::vector<workload> workloads = read_workloads(VMBENCH_WORKLOADS_TSV, problem);
  if (workloads.empty()) FAIL(problem);

  const size_t index = GENERATE_COPY(range(size_t{0}, workloads.size()));
  const workload& w = workloads[index];
  INFO("workload " << w.name << ": " << w.elf);
  REQUIRE(access(w.elf.c_str(), R_OK) == 0);

  std::vector<std::string> vm_cmd = {VMBENCH_BINARY, "exec", w.elf};
  std::vector<std::string> qemu_cmd = {qemu, w.elf};
  vm_cmd.insert(vm_cmd.end(), w.small_args.begin(), w.small_args.end());
  qemu_cmd.insert(qemu_cmd.end(), w.small_args.begin(), w.small_args.end());

  const child_result reference = run_child(qemu_cmd);
  const child_result first = run_child(vm_cmd);
  INFO("qemu-riscv64: " << show(reference));
  INFO("vmbench exec: " << show(first));
  CHECK_FALSE(reference.out.empty());
  CHECK(reference.status == 0);  // the workloads all exit 0 (workloads/check.sh)
  CHECK(first.status == reference.status);
  CHECK(first.out == reference.out);

  const child_result second = run_child(vm_cmd);
  INFO("vmbench exec, second run: " << show(second));
  CHECK(second.status == first.status);
  CHECK(second.out == first.out);

  // The guest's memcpy/memset/memmove run natively (every workload calls
  // them): the program must not notice.
  std::vector<std::string> accelerated_cmd = {VMBENCH_BINARY, "exec", "--accelerate", "all", w.elf};
  accelerated_cmd.insert(accelerated_cmd.end(), w.small_args.begin(), w.small_args.end());
  const child_result accelerated = run_child(accelerated_cmd);
  INFO("vmbench exec --accelerate all: " << show(accelerated));
  CHECK(accelerated.status == reference.status);
  CHECK(accelerated.out == reference.out);
}
