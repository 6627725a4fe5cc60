// machine.h - runs a guest program file end to end: loads the ELF, picks
// the execution environment (bare metal with HTIF when the ELF defines
// `tohost`, else a Linux user-mode process), runs it and reports how it
// ended with its deterministic counters.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "cpu/hart.h"
#include "mmu/mmu.h"

namespace vm::machine {

struct run_options {
  std::vector<std::string> argv;  // argv[0] is the program as named by the user
  std::vector<std::string> envp;
  uint64_t ram_bytes = 4ull << 30;
  uint64_t max_instructions = UINT64_MAX;
  // Guest libc functions run natively (linux/native_calls.h), Linux
  // programs only: a bit set of linux_abi::native_function.
  uint32_t native_functions = 0;
};

struct run_report {
  int exit_status = 0;     // what `vmbench exec` exits with (qemu-riscv64's convention)
  std::string diagnostic;  // one line for stderr when the guest died or was stopped; else empty
  bool bare_metal = false;
  uint64_t instructions = 0;  // retired guest instructions
  double seconds = 0;         // host wall time of the run (not of loading)
  mmu::mmu_counters memory;
  cpu::hart_counters cpu;
  uint64_t syscalls = 0;
  uint64_t demand_faults = 0;
  uint64_t native_calls = 0;     // guest memcpy/memset/memmove calls the host completed
  uint64_t native_declined = 0;  // ... and left to the guest's code
  uint64_t native_bytes = 0;
  std::string memcpy_kernel;  // the host kernel in use (core/simd)
};

// Errors are about the input (kIo, kBadInput, kUnsupported) or resources
// (kOutOfMemory); anything the guest does is reported in run_report.
result<run_report> run_program(const std::string& path, const run_options& options);

}  // namespace vm::machine
