// main.cpp - the vmbench command line.

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "commands.h"
#include "mem/host_memory.h"
#include "simd/memory_kernel.h"

int main(int argc, char** argv) {
  CLI::App app{
      "vmbench: a RISC-V RV64 guest machine with a software MMU, and the benchmark harness around "
      "it.\n"
      "Exit status: 0 success, 1 regression found (compare), 2 bad input or usage;\n"
      "`vmbench exec` exits with the guest's own status, as qemu-riscv64 does."};
  app.set_version_flag("--version", VMBENCH_VERSION);
  app.require_subcommand(1);
  std::string memcpy_kernel;
  app.add_option(
      "--memcpy", memcpy_kernel,
      "Force this host memcpy kernel (avx512, avx2, sse2, neon, scalar) for benchmarking; "
      "the same as VM_FORCE_MEMCPY=NAME, which child processes inherit. Default: the "
      "best one this CPU runs (`vmbench host` lists them)");
  std::string thp = "on";
  app.add_option("--thp", thp,
                 "Guest RAM and transparent huge pages: on (2 MiB-aligned, madvise(MADV_HUGEPAGE): "
                 "huge pages when the system mode is madvise or always), off "
                 "(MADV_NOHUGEPAGE), system (no advice: the system's mode decides)")
      ->capture_default_str();
  int numa_node = -1;
  app.add_option("--numa-node", numa_node,
                 "Bind guest RAM to this NUMA node (mbind); -1: no binding (first touch). "
                 "Without NUMA support it falls back to unbound memory and says so once")
      ->capture_default_str();

  const auto exec = vm::harness::add_exec_command(app);
  const auto run = vm::harness::add_run_command(app);
  const auto record = vm::harness::add_record_command(app);
  const auto replay = vm::harness::add_replay_command(app);
  const auto trace = vm::harness::add_trace_command(app);
  const auto compare = vm::harness::add_compare_command(app);
  const auto merge = vm::harness::add_merge_command(app);
  const auto baseline = vm::harness::add_baseline_command(app);
  const auto report = vm::harness::add_report_command(app);
  const auto history = vm::harness::add_history_command(app);
  const auto host = vm::harness::add_host_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : vm::harness::kExitBadInput;
  }
  // A bad VM_FORCE_MEMCPY or --memcpy is a usage error, never a crash or a
  // silent fallback.
  if (vm::error e = vm::simd::environment_error()) {
    std::fprintf(stderr, "vmbench: %s\n", e.message.c_str());
    return vm::harness::kExitBadInput;
  }
  if (!memcpy_kernel.empty()) {
    if (vm::error e = vm::simd::force_kernel(memcpy_kernel)) {
      std::fprintf(stderr, "vmbench: --memcpy: %s\n", e.message.c_str());
      return vm::harness::kExitBadInput;
    }
    setenv("VM_FORCE_MEMCPY", memcpy_kernel.c_str(), 1);  // for `vmbench exec` children
  }
  {
    auto mode = vm::mem::parse_thp_mode(thp);
    if (!mode.ok()) {
      std::fprintf(stderr, "vmbench: --thp: %s\n", mode.err().message.c_str());
      return vm::harness::kExitBadInput;
    }
    if (vm::error e = vm::mem::check_numa_node(numa_node)) {
      std::fprintf(stderr, "vmbench: --numa-node: %s\n", e.message.c_str());
      return vm::harness::kExitBadInput;
    }
    vm::mem::set_default_placement({mode.value(), numa_node});
  }
  try {
    if (app.got_subcommand("exec")) return exec();
    if (app.got_subcommand("run")) return run();
    if (app.got_subcommand("record")) return record();
    if (app.got_subcommand("replay")) return replay();
    if (app.got_subcommand("trace")) return trace();
    if (app.got_subcommand("compare")) return compare();
    if (app.got_subcommand("merge")) return merge();
    if (app.got_subcommand("baseline")) return baseline();
    if (app.got_subcommand("report")) return report();
    if (app.got_subcommand("history")) return history();
    if (app.got_subcommand("host")) return host();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vmbench: %s\n", e.what());
    return vm::harness::kExitBadInput;
  }
  return vm::harness::kExitBadInput;
}
