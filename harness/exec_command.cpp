// exec_command.cpp - `vmbench exec PROGRAM [ARGS...]`: run a RISC-V program
// like qemu-riscv64 does, through the software MMU.

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "atomic_file.h"
#include "commands.h"
#include "linux/native_calls.h"
#include "machine/machine.h"
#include "mem/host_memory.h"

namespace vm::harness {
namespace {

struct exec_options {
  bool stats = false;
  std::string stats_json;
  uint64_t max_instructions = 0;
  uint64_t ram_mib = 4096;
  std::vector<std::string> env;
  std::string accelerate = "none";
};

nlohmann::json stats_json(const machine::run_report& r, const std::string& program) {
  const double mips = r.seconds > 0 ? static_cast<double>(r.instructions) / r.seconds / 1e6 : 0;
  return {
      {"schema_version", kSchemaVersion},
      {"kind", "vmbench.exec.stats"},
      {"program", program},
      {"environment", r.bare_metal ? "bare-metal" : "linux-user"},
      {"exit_status", r.exit_status},
      {"instructions", r.instructions},
      {"wall_seconds", r.seconds},
      {"mips", mips},
      {"counters",
       {{"tlb_l1_hits", r.memory.l1.hits},
        {"tlb_l1_misses", r.memory.l1.misses},
        {"tlb_l1_flushes", r.memory.l1.flushes},
        {"page_walks", r.memory.walks},
        {"pte_reads", r.memory.pte_reads},
        {"page_faults", r.memory.page_faults},
        {"access_faults", r.memory.access_faults},
        {"demand_faults", r.demand_faults},
        {"syscalls", r.syscalls},
        {"traps", r.cpu.traps},
        {"blocks_decoded", r.cpu.blocks_built},
        {"block_cache_flushes", r.cpu.block_cache_flushes},
        {"native_calls", r.native_calls},
        {"native_declined", r.native_declined},
        {"native_bytes", r.native_bytes}}},
      {"memcpy_kernel", r.memcpy_kernel},
  };
}

void print_stats(const machine::run_report& r) {
  const double mips = r.seconds > 0 ? static_cast<double>(r.instructions) / r.seconds / 1e6 : 0;
  const uint64_t accesses = r.memory.l1.hits + r.memory.l1.misses;
  std::fprintf(stderr,
               "vmbench: instructions %" PRIu64
               "  wall %.3f s  %.1f MIPS\n"
               "vmbench: tlb accesses %" PRIu64 "  misses %" PRIu64 " (%.3f%%)  walks %" PRIu64
               "  page faults %" PRIu64 "  syscalls %" PRIu64 "  blocks decoded %" PRIu64 "\n",
               r.instructions, r.seconds, mips, accesses, r.memory.l1.misses,
               accesses
                   ? 100.0 * static_cast<double>(r.memory.l1.misses) / static_cast<double>(accesses)
                   : 0.0,
               r.memory.walks, r.memory.page_faults, r.syscalls, r.cpu.blocks_built);
  if (r.native_calls + r.native_declined > 0) {
    std::fprintf(stderr,
                 "vmbench: native libc calls %" PRIu64 " (%" PRIu64 " bytes)  declined %" PRIu64
                 "  memcpy kernel %s\n",
                 r.native_calls, r.native_bytes, r.native_declined, r.memcpy_kernel.c_str());
  }
}

}  // namespace

command_action add_exec_command(CLI::App& app) {
  auto options = std::make_shared<exec_options>();
  CLI::App* sub = app.add_subcommand(
      "exec",
      "Run a statically linked RISC-V 64-bit program like qemu-riscv64: same stdout, same exit\n"
      "status; every fetch, load and store goes through the Sv39 MMU. Usage: vmbench exec\n"
      "[OPTIONS] PROGRAM [ARGS...]. Exit status: the guest's; 128+signal when it dies\n"
      "(139 segmentation fault, 132 illegal instruction); 2 when PROGRAM cannot be loaded.");
  sub->prefix_command();
  sub->add_flag("--stats", options->stats,
                "Print retired instructions, wall time, MIPS and MMU counters to stderr");
  sub->add_option("--stats-json", options->stats_json,
                  "Write the same statistics as JSON to this file");
  sub->add_option("--max-instructions", options->max_instructions,
                  "Stop after this many guest instructions (exit status 124); 0 = no limit");
  sub->add_option("--ram-mib", options->ram_mib, "Guest RAM in MiB (reserved lazily)")
      ->check(CLI::Range(uint64_t{16}, uint64_t{1} << 20));
  sub->add_option("-E,--env", options->env,
                  "Set a guest environment variable VAR=VALUE (the guest environment is otherwise "
                  "empty, for determinism)");
  sub->add_option("--accelerate", options->accelerate,
                  "Run these guest libc functions natively when the guest calls them (found in "
                  "the ELF symbol table): memcpy, memset, memmove (comma-separated), all or none. "
                  "An accelerated call counts as one retired instruction, so instruction counts "
                  "differ from qemu-riscv64's")
      ->capture_default_str();

  return [sub, options]() -> int {
    const std::vector<std::string> rest = sub->remaining();
    if (rest.empty()) {
      std::fprintf(
          stderr,
          "vmbench exec: missing PROGRAM (usage: vmbench exec [OPTIONS] PROGRAM [ARGS...])\n");
      return kExitBadInput;
    }
    machine::run_options run;
    run.argv = rest;
    run.envp = options->env;
    run.ram_bytes = options->ram_mib << 20;
    if (options->max_instructions != 0) run.max_instructions = options->max_instructions;
    auto native = linux_abi::parse_native_functions(options->accelerate);
    if (!native.ok()) {
      std::fprintf(stderr, "vmbench exec: --accelerate: %s\n", native.err().message.c_str());
      return kExitBadInput;
    }
    run.native_functions = native.value();
    std::fflush(stdout);
    auto report = machine::run_program(rest[0], run);
    if (!report.ok()) {
      std::fprintf(stderr, "vmbench: %s\n", report.err().message.c_str());
      return kExitBadInput;
    }
    const machine::run_report& r = report.value();
    if (const std::string notice = mem::take_numa_notice(); !notice.empty())
      std::fprintf(stderr, "vmbench: %s\n", notice.c_str());
    if (!r.diagnostic.empty())
      std::fprintf(stderr, "vmbench: %s: %s\n", rest[0].c_str(), r.diagnostic.c_str());
    if (options->stats) print_stats(r);
    if (!options->stats_json.empty()) {
      if (error e =
              write_file_atomically(options->stats_json, stats_json(r, rest[0]).dump(2) + "\n")) {
        std::fprintf(stderr, "vmbench: %s\n", e.message.c_str());
        return kExitBadInput;
      }
    }
    return r.exit_status;
  };
}

}  // namespace vm::harness
