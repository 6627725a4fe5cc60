// main.cpp - the vmbench command line.

#include <cstdio>
#include <exception>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "vmbench: a RISC-V RV64 guest machine with a software MMU, and the benchmark harness around "
      "it.\n"
      "Exit status: 0 success, 1 regression found (compare), 2 bad input or usage;\n"
      "`vmbench exec` exits with the guest's own status, as qemu-riscv64 does."};
  app.set_version_flag("--version", VMBENCH_VERSION);
  app.require_subcommand(1);

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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : vm::harness::kExitBadInput;
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
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vmbench: %s\n", e.what());
    return vm::harness::kExitBadInput;
  }
  return vm::harness::kExitBadInput;
}
