// Bare-metal programs (spike's HTIF convention) run end to end through
// `vmbench exec`: exit codes, console output and M/U-mode traps.

#include <catch2/catch.hpp>
#include <string>

#include "machine/machine.h"
#include "support/child_process.h"

namespace {

std::string program(const std::string& name) {
  return std::string(VMBENCH_TEST_PROGRAMS_DIR) + "/" + name + ".elf";
}

}  // namespace

TEST_CASE("an HTIF exit of 0 is success and a non-zero code becomes the exit status",
          "[integration][bare-metal][htif]") {
  vm::machine::run_options options;
  options.ram_bytes = 64 << 20;
  auto pass = vm::machine::run_program(program("htif_exit_0"), options);
  REQUIRE(pass.ok());
  CHECK(pass.value().bare_metal);
  CHECK(pass.value().exit_status == 0);
  CHECK(pass.value().diagnostic.empty());

  auto fail = vm::machine::run_program(program("htif_exit_3"), options);
  REQUIRE(fail.ok());
  CHECK(fail.value().exit_status == 3);
  CHECK_THAT(fail.value().diagnostic, Catch::Contains("HTIF exit code 3"));
}

TEST_CASE(
    "a bare-metal program prints through the HTIF console and takes M- and U-mode ecall traps",
    "[integration][bare-metal][htif][trap]") {
  const vm::test::child_result r =
      vm::test::run_child({VMBENCH_BINARY, "exec", "--ram-mib", "64", program("htif_console")});
  INFO(vm::test::show(r));
  CHECK(r.out == "hello\n");
  CHECK(r.status == 0);  // 1 would mean a trap check failed, 9 that a trap was missed
}
