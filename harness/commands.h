// commands.h - the vmbench subcommands. Each registers its options on a
// CLI11 subcommand and returns the process exit status when run.
//
// Exit status: 0 success; 1 a regression was found (compare); 2 bad input or
// usage. `vmbench exec` returns the guest's own status, as qemu-riscv64 does.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "compare/comparison.h"
#include "compare/thresholds.h"

namespace vm::harness {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRegression = 1;
inline constexpr int kExitBadInput = 2;

// Version of every JSON document vmbench writes.
inline constexpr int kSchemaVersion = 1;

using command_action = std::function<int()>;

command_action add_exec_command(CLI::App& app);
command_action add_run_command(CLI::App& app);
command_action add_record_command(CLI::App& app);  // record_command.cpp
command_action add_replay_command(CLI::App& app);  // replay_command.cpp
command_action add_trace_command(CLI::App& app);   // trace_command.cpp: gen/import/dump/info/verify
command_action add_compare_command(CLI::App& app);   // compare_command.cpp
command_action add_merge_command(CLI::App& app);     // compare_command.cpp
command_action add_baseline_command(CLI::App& app);  // baseline_command.cpp: save/machine
command_action add_report_command(CLI::App& app);    // report_command.cpp
command_action add_history_command(CLI::App& app);   // history_command.cpp: show/add
command_action add_host_command(CLI::App& app);      // host_command.cpp: the host memory layer

// What `compare` and `report` both take to judge two results files:
// --thresholds, --alpha, --fdr and --metric (compare_command.cpp).
struct comparison_settings {
  std::string thresholds_path;
  comparison_options stats;
};
void add_comparison_options(CLI::App* sub, comparison_settings& settings);
// The thresholds --thresholds names, or the built-in ones without it.
result<thresholds> load_comparison_thresholds(const comparison_settings& settings);

}  // namespace vm::harness
