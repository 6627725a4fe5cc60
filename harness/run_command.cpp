// run_command.cpp - `vmbench run --suite NAME`: times a suite with Google
// Benchmark (run/suite_runner.h) and writes the results JSON atomically.

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>

#include "atomic_file.h"
#include "commands.h"
#include "compare/statistics.h"
#include "run/suite_runner.h"

namespace vm::harness {
namespace {

using json = nlohmann::json;

struct run_options {
  std::string suite = "quick";
  std::string suites_dir = std::string(VMBENCH_SOURCE_DIR) + "/harness/suites";
  std::string root = VMBENCH_SOURCE_DIR;
  std::string output;
  std::string filter;
  std::string workloads_tsv = VMBENCH_DEFAULT_WORKLOADS_TSV;
  std::string qemu = VMBENCH_QEMU;
  int repetitions = 0;
  double min_time = -1;
  int cpu = -1;
  bool no_pin = false;
  bool quiet = false;
  bool list = false;
};

std::string self_path() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "vmbench";
  return std::string(buf, static_cast<size_t>(n));
}

// Medians (ms) of the iteration samples, by benchmark name.
std::map<std::string, std::vector<double>> samples_of(const json& doc) {
  std::map<std::string, std::vector<double>> out;
  for (const json& b : doc["benchmarks"])
    if (b.value("run_type", "") == "iteration" && !b.value("error_occurred", false))
      out[b.value("name", "")].push_back(b.value("real_time", 0.0));
  return out;
}

void print_summary(const json& doc, std::FILE* out) {
  const auto samples = samples_of(doc);
  size_t width = 9;
  for (const auto& [name, v] : samples) width = std::max(width, name.size());
  std::fprintf(out, "%-*s %5s %6s %12s %7s %14s\n", static_cast<int>(width), "benchmark", "reps",
               "iters", "median ms", "cv %", "items/s");
  const json& ours = doc["vmbench"]["benchmarks"];
  for (const auto& [name, entry] : ours.items()) {
    auto it = samples.find(name);
    if (it == samples.end()) {
      std::fprintf(out, "%-*s  failed: %s\n", static_cast<int>(width), name.c_str(),
                   entry.value("error", std::string("no samples")).c_str());
      continue;
    }
    const std::vector<double>& v = it->second;
    double mean = 0, var = 0;
    for (double x : v) mean += x;
    mean /= double(v.size());
    for (double x : v) var += (x - mean) * (x - mean);
    const double cv = v.size() > 1 ? std::sqrt(var / double(v.size() - 1)) / mean * 100 : 0;
    const double med = stats::median(v);
    double rate = 0;
    for (const json& b : doc["benchmarks"])
      if (b.value("run_name", "") == name && b.value("aggregate_name", "") == "median")
        rate = b.value("items_per_second", 0.0);
    char rate_text[32] = "-";
    if (rate > 0) std::snprintf(rate_text, sizeof rate_text, "%.1f M", rate / 1e6);
    std::fprintf(out, "%-*s %5zu %6lld %12.3f %7.2f %14s\n", static_cast<int>(width), name.c_str(),
                 v.size(), static_cast<long long>(entry.value("iterations", int64_t{0})), med, cv,
                 rate_text);
  }
  // The anchor: qemu-riscv64 on the same workloads, whole-process time.
  double log_sum = 0;
  int pairs = 0;
  for (const auto& [name, v] : samples) {
    if (name.rfind("vmbench-exec/", 0) != 0) continue;
    auto q = samples.find("qemu/" + name.substr(13));
    if (q == samples.end()) continue;
    const double ratio = stats::median(q->second) / stats::median(v);
    std::fprintf(out, "speed vs qemu-riscv64 %-24s %6.3fx (>1: vmbench is faster)\n",
                 name.substr(13).c_str(), ratio);
    log_sum += std::log(ratio);
    ++pairs;
  }
  if (pairs)
    std::fprintf(out, "geometric mean speed vs qemu-riscv64: %.3fx over %d workloads\n",
                 std::exp(log_sum / pairs), pairs);
}

// vmbench exec and qemu-riscv64 must agree on every workload both ran.
std::vector<std::string> disagreements(const json& doc) {
  std::vector<std::string> out;
  const json& ours = doc["vmbench"]["benchmarks"];
  for (const auto& [name, entry] : ours.items()) {
    if (name.rfind("vmbench-exec/", 0) != 0) continue;
    const std::string peer = "qemu/" + name.substr(13);
    if (!ours.contains(peer)) continue;
    const json& a = entry["counters"];
    const json& b = ours[peer]["counters"];
    if (a.value("output_hash", "") != b.value("output_hash", "") ||
        a.value("exit_status", -1) != b.value("exit_status", -2))
      out.push_back(name.substr(13) +
                    ": vmbench exec and qemu-riscv64 differ in output or exit status");
  }
  return out;
}

}  // namespace

command_action add_run_command(CLI::App& app) {
  auto o = std::make_shared<run_options>();
  CLI::App* sub = app.add_subcommand(
      "run",
      "Run a benchmark suite (harness/suites/NAME.json) with Google Benchmark and write the\n"
      "results: Google Benchmark JSON with every repetition, plus a `vmbench` section with the\n"
      "machine/build fingerprint, input hashes, deterministic counters and system warnings.\n"
      "Pins to one CPU, interleaves repetitions across benchmarks in seeded rounds, and checks\n"
      "that every timed iteration reproduces the benchmark's counters.\n"
      "Exit status: 0; 2 on bad input or when a benchmark fails.");
  sub->add_option("--suite", o->suite, "Suite name (smoke, quick, nightly) or path to a suite JSON")
      ->capture_default_str();
  sub->add_option("-o,--output", o->output, "Write the results JSON here (atomically)");
  sub->add_option("--filter", o->filter,
                  "Only benchmarks whose name matches this regular expression");
  sub->add_option("-r,--repetitions", o->repetitions,
                  "Repetitions per benchmark (default: the suite's)")
      ->check(CLI::Range(1, 1000));
  sub->add_option("--min-time", o->min_time,
                  "Minimum seconds per repetition (default: the suite's)")
      ->check(CLI::Range(0.0, 60.0));
  sub->add_option("--cpu", o->cpu, "Pin to this CPU (default: the last one allowed)")
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--no-pin", o->no_pin, "Do not pin to a CPU");
  sub->add_flag("-q,--quiet", o->quiet, "No progress line and no summary table");
  sub->add_flag("--list", o->list, "List the suite's benchmarks and exit");
  sub->add_option("--suites-dir", o->suites_dir, "Where suite names are looked up")
      ->capture_default_str();
  sub->add_option("--root", o->root, "Trace paths in the suite are relative to this")
      ->capture_default_str();
  sub->add_option("--workloads", o->workloads_tsv,
                  "Workload list for vmbench-exec/qemu benchmarks");
  sub->add_option("--qemu", o->qemu, "qemu-riscv64 binary for qemu benchmarks");

  return [o]() -> int {
    auto fail = [](const std::string& message) {
      std::fprintf(stderr, "vmbench run: %s\n", message.c_str());
      return kExitBadInput;
    };
    auto loaded = load_suite(suite_path(o->suite, o->suites_dir));
    if (!loaded.ok()) return fail(loaded.err().message);
    suite s = std::move(loaded).value();
    if (!o->filter.empty()) {
      std::regex re;
      try {
        re = std::regex(o->filter);
      } catch (const std::regex_error& e) {
        return fail("--filter: bad regular expression '" + o->filter + "': " + e.what());
      }
      std::erase_if(s.benchmarks,
                    [&](const suite_benchmark& b) { return !std::regex_search(b.name, re); });
      if (s.benchmarks.empty()) return fail("--filter '" + o->filter + "' selects no benchmark");
    }
    if (o->list) {
      for (const suite_benchmark& b : s.benchmarks) std::printf("%s\n", b.name.c_str());
      return kExitOk;
    }
    char scratch[] = "/tmp/vmbench-run-XXXXXX";
    if (mkdtemp(scratch) == nullptr) return fail("cannot create a scratch directory in /tmp");
    runner_options options;
    options.context = {o->root, o->workloads_tsv, o->qemu, self_path(), scratch};
    options.repetitions = o->repetitions;
    options.min_time = o->min_time;
    options.cpu = o->no_pin ? -1 : o->cpu;
    options.pin = !o->no_pin;
    options.progress = o->quiet ? nullptr : stderr;
    options.progress_is_tty = !o->quiet && isatty(STDERR_FILENO);
    auto outcome = run_suite(s, options);
    std::error_code ignored;
    std::filesystem::remove_all(scratch, ignored);
    if (!outcome.ok()) return fail(outcome.err().message);
    const json& doc = outcome.value().document;
    if (!o->quiet) {
      for (const json& w : doc["vmbench"]["warnings"])
        std::fprintf(stderr, "warning: %s\n", w.get<std::string>().c_str());
      print_summary(doc, stdout);
    }
    if (!o->output.empty())
      if (error e = write_file_atomically(o->output, doc.dump(2) + "\n")) return fail(e.message);
    int status = kExitOk;
    for (const std::string& e : outcome.value().errors) {
      std::fprintf(stderr, "vmbench run: benchmark failed: %s\n", e.c_str());
      status = kExitBadInput;
    }
    for (const std::string& d : disagreements(doc)) {
      std::fprintf(stderr, "vmbench run: %s\n", d.c_str());
      status = kExitBadInput;
    }
    return status;
  };
}

}  // namespace vm::harness
