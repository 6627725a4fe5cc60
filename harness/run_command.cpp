// run_command.cpp - `vmbench run`: the main job. Runs every workload under
// `vmbench exec` and under qemu-riscv64, alternating the two in one session,
// checks that both print the same output and exit status, and prints a table
// of guest instructions, time, MIPS and the speed ratio against qemu.
//
// Both sides are timed the same way: whole-process wall time of a child
// process, so loading and start-up count for both. The reported time is the
// median over the repetitions.

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "atomic_file.h"
#include "commands.h"
#include "process_timer.h"

namespace vm::harness {
namespace {

struct run_options {
  std::string workloads_tsv = VMBENCH_DEFAULT_WORKLOADS_TSV;
  std::string qemu = VMBENCH_QEMU;
  std::string filter;
  std::string output;
  int repetitions = 3;
  bool small = false;
  bool no_qemu = false;
};

struct workload {
  std::string name;
  std::string path;
  std::vector<std::string> default_args;
  std::vector<std::string> small_args;
};

std::vector<std::string> split_words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

bool read_workloads(const std::string& path, std::vector<workload>& out, std::string& problem) {
  std::ifstream in(path);
  if (!in) {
    problem = path +
              ": cannot open the workload list (build the `workloads` target, or pass --workloads)";
    return false;
  }
  int line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, '\t');) fields.push_back(f);
    if (fields.size() < 2) {
      problem = path + ":" + std::to_string(line_number) +
                ": expected name<TAB>path<TAB>default_args<TAB>small_args";
      return false;
    }
    workload w{fields[0], fields[1], {}, {}};
    if (fields.size() > 2) w.default_args = split_words(fields[2]);
    if (fields.size() > 3) w.small_args = split_words(fields[3]);
    out.push_back(std::move(w));
  }
  return true;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0 : (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

std::string self_path() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "vmbench";
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

command_action add_run_command(CLI::App& app) {
  auto o = std::make_shared<run_options>();
  CLI::App* sub = app.add_subcommand(
      "run",
      "The main job: run every workload under vmbench and qemu-riscv64 (alternating, same\n"
      "session), check identical stdout and exit status, and print guest instructions, time,\n"
      "MIPS and the speed ratio against qemu-riscv64. Exit status 0, or 2 on a mismatch or\n"
      "missing input.");
  sub->add_option("--workloads", o->workloads_tsv,
                  "Workload list (TSV: name, ELF path, default args, small args)");
  sub->add_option("--qemu", o->qemu, "qemu-riscv64 binary used as the anchor");
  sub->add_option("--filter", o->filter,
                  "Only workloads whose name matches this regular expression");
  sub->add_option("-r,--repetitions", o->repetitions,
                  "Timed runs per workload and engine (median reported)")
      ->check(CLI::Range(1, 100));
  sub->add_flag("--small", o->small, "Use the small test sizes instead of the default sizes");
  sub->add_flag("--no-qemu", o->no_qemu, "Do not run the qemu-riscv64 anchor");
  sub->add_option("-o,--output", o->output,
                  "Also write the results as JSON to this file (atomically)");

  return [o]() -> int {
    std::vector<workload> workloads;
    std::string problem;
    if (!read_workloads(o->workloads_tsv, workloads, problem)) {
      std::fprintf(stderr, "vmbench run: %s\n", problem.c_str());
      return kExitBadInput;
    }
    if (!o->filter.empty()) {
      std::regex re;
      try {
        re = std::regex(o->filter);
      } catch (const std::regex_error& e) {
        std::fprintf(stderr, "vmbench run: --filter: bad regular expression '%s': %s\n",
                     o->filter.c_str(), e.what());
        return kExitBadInput;
      }
      std::erase_if(workloads, [&](const workload& w) { return !std::regex_search(w.name, re); });
    }
    if (workloads.empty()) {
      std::fprintf(stderr, "vmbench run: no workloads selected\n");
      return kExitBadInput;
    }
    const bool with_qemu = !o->no_qemu && !o->qemu.empty();
    const std::string self = self_path();
    const std::string stats_path = "/tmp/vmbench-run-stats-" + std::to_string(getpid()) + ".json";

    std::printf("%-16s %14s %10s %9s %10s %9s %9s\n", "workload", "guest instr", "vmbench s",
                "MIPS", "qemu s", "qemu MIPS", "vs qemu");
    nlohmann::json results = nlohmann::json::array();
    bool mismatch = false;
    double log_ratio_sum = 0;
    int ratio_count = 0;
    for (const workload& w : workloads) {
      const auto& args = o->small ? w.small_args : w.default_args;
      std::vector<std::string> ours = {self, "exec", "--stats-json", stats_path, w.path};
      std::vector<std::string> theirs = {o->qemu, w.path};
      ours.insert(ours.end(), args.begin(), args.end());
      theirs.insert(theirs.end(), args.begin(), args.end());
      std::vector<double> our_times, qemu_times;
      uint64_t instructions = 0;
      std::string note;
      std::string first_output;  // every run must print this and exit with first_status
      int first_status = 0;
      for (int rep = 0; rep < o->repetitions; ++rep) {
        // Alternate the order so that neither engine always runs second.
        for (int turn = 0; turn < 2; ++turn) {
          const bool our_turn = (turn == 0) == (rep % 2 == 0);
          if (!our_turn && !with_qemu) continue;
          const timed_run t = run_timed(our_turn ? ours : theirs);
          if (!t.started) {
            std::fprintf(stderr, "vmbench run: %s: %s\n", w.name.c_str(), t.error.c_str());
            return kExitBadInput;
          }
          (our_turn ? our_times : qemu_times).push_back(t.seconds);
          if (our_turn) {
            std::ifstream in(stats_path);
            const auto stats = nlohmann::json::parse(in, nullptr, false);
            if (!stats.is_discarded()) instructions = stats.value("instructions", uint64_t{0});
            if (t.exit_status != 0) note = "exit status " + std::to_string(t.exit_status);
          }
          if (rep == 0 && turn == 0) {
            first_output = t.stdout_text;
            first_status = t.exit_status;
          } else if (t.stdout_text != first_output || t.exit_status != first_status) {
            note = "OUTPUT MISMATCH";
            mismatch = true;
          }
        }
      }
      const double ours_s = median(our_times);
      const double qemu_s = median(qemu_times);
      const double mips = ours_s > 0 ? static_cast<double>(instructions) / ours_s / 1e6 : 0;
      const double qemu_mips = qemu_s > 0 ? static_cast<double>(instructions) / qemu_s / 1e6 : 0;
      const double ratio = (with_qemu && ours_s > 0) ? qemu_s / ours_s : 0;
      if (ratio > 0) {
        log_ratio_sum += std::log(ratio);
        ++ratio_count;
      }
      std::printf("%-16s %14llu %10.3f %9.1f %10.3f %9.1f %8.3fx %s\n", w.name.c_str(),
                  static_cast<unsigned long long>(instructions), ours_s, mips, qemu_s, qemu_mips,
                  ratio, note.c_str());
      std::fflush(stdout);
      results.push_back({{"workload", w.name},
                         {"args", args},
                         {"instructions", instructions},
                         {"vmbench_seconds", our_times},
                         {"qemu_seconds", qemu_times},
                         {"vmbench_median_seconds", ours_s},
                         {"qemu_median_seconds", qemu_s},
                         {"mips", mips},
                         {"speed_vs_qemu", ratio},
                         {"outputs_match", note != "OUTPUT MISMATCH"}});
    }
    std::remove(stats_path.c_str());
    const double geomean = ratio_count ? std::exp(log_ratio_sum / ratio_count) : 0;
    if (ratio_count)
      std::printf("geometric mean speed vs qemu-riscv64: %.3fx (>1: vmbench is faster)\n", geomean);
    if (!o->output.empty()) {
      const nlohmann::json doc = {{"schema_version", kSchemaVersion},
                                  {"kind", "vmbench.run.workloads"},
                                  {"repetitions", o->repetitions},
                                  {"small", o->small},
                                  {"qemu", with_qemu ? o->qemu : ""},
                                  {"geomean_speed_vs_qemu", geomean},
                                  {"workloads", results}};
      if (error e = write_file_atomically(o->output, doc.dump(2) + "\n")) {
        std::fprintf(stderr, "vmbench run: %s\n", e.message.c_str());
        return kExitBadInput;
      }
    }
    if (mismatch) {
      std::fprintf(stderr,
                   "vmbench run: vmbench and qemu-riscv64 disagree on at least one workload\n");
      return kExitBadInput;
    }
    return kExitOk;
  };
}

}  // namespace vm::harness
