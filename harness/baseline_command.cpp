// baseline_command.cpp - `vmbench baseline save|machine`: stored baselines.
//
//   baselines/<machine>/<suite>.json  the results file as run (timings:
//                                     comparable on that machine only)
//   baselines/counters/<suite>.json   the deterministic counters alone
//                                     (comparable exactly on any machine)
//
// Only `baseline save` replaces a baseline, and it writes atomically.

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "atomic_file.h"
#include "commands.h"
#include "compare/results_file.h"

namespace vm::harness {
namespace {

using json = nlohmann::json;

struct baseline_options {
  std::string suite;
  std::string results;
  std::string dir = std::string(VMBENCH_SOURCE_DIR) + "/baselines";
  std::string machine;
  bool counters_only = false;
};

result<json> read_results(const std::string& path, results_file& parsed) {
  auto read = read_json_file(path);
  if (!read.ok()) return std::move(read).err();
  const json& doc = read.value();
  auto p = parse_results(doc, path);
  if (!p.ok()) return std::move(p).err();
  parsed = std::move(p).value();
  if (parsed.kind != results_kind::kResults || !parsed.print)
    return error{error_code::kBadInput,
                 path + ": not a vmbench results file with a fingerprint (vmbench run -o)"};
  return read;
}

}  // namespace

command_action add_baseline_command(CLI::App& app) {
  auto o = std::make_shared<baseline_options>();
  CLI::App* sub = app.add_subcommand(
      "baseline",
      "Stored baselines: `save` writes baselines/<machine>/<suite>.json (timings, for this\n"
      "machine) and baselines/counters/<suite>.json (counters, for every machine);\n"
      "`machine` prints the machine name a results file belongs to.\n"
      "Exit status: 0; 2 on bad input.");
  sub->require_subcommand(1);
  CLI::App* save = sub->add_subcommand("save", "Save a results file as the suite's baseline");
  save->add_option("--suite", o->suite, "The suite the results are of (must match the file)")
      ->required();
  save->add_option("results", o->results, "Results JSON of `vmbench run`")->required();
  save->add_option("--dir", o->dir, "Baselines folder")->capture_default_str();
  save->add_option("--machine", o->machine,
                   "Machine name (default: derived from the fingerprint, as `baseline machine`)");
  save->add_flag("--counters-only", o->counters_only,
                 "Write only baselines/counters/<suite>.json (e.g. for a suite whose timings are\n"
                 "too short to gate on, like smoke)");
  CLI::App* machine = sub->add_subcommand("machine", "Print the machine name of a results file");
  machine->add_option("results", o->results, "Results JSON of `vmbench run`")->required();

  return [o, save, machine]() -> int {
    auto fail = [](const std::string& message) {
      std::fprintf(stderr, "vmbench baseline: %s\n", message.c_str());
      return kExitBadInput;
    };
    results_file parsed;
    auto doc = read_results(o->results, parsed);
    if (!doc.ok()) return fail(doc.err().message);
    const std::string name = o->machine.empty() ? machine_name(parsed.print->machine) : o->machine;
    if (machine->parsed()) {
      std::printf("%s\n", name.c_str());
      return kExitOk;
    }
    (void)save;
    if (parsed.suite != o->suite)
      return fail(o->results + ": the results are of suite '" + parsed.suite + "', not '" +
                  o->suite + "'");
    if (name.empty() || name.find('/') != std::string::npos || name[0] == '.')
      return fail("--machine '" + name + "' is not a plain folder name");
    json counters = json::object();
    for (const benchmark_result& b : parsed.benchmarks) {
      if (b.real_time_ns.empty())
        return fail(o->results + ": benchmark " + b.name +
                    " has no timing samples (it failed); a baseline needs a clean run");
      if (b.counters.is_object()) counters[b.name] = b.counters;
    }
    const json& section = doc.value()["vmbench"];
    const json counters_doc = {
        {"schema_version", kCountersSchemaVersion},
        {"kind", "vmbench.counters"},
        {"suite", o->suite},
        {"comment",
         "Deterministic counters of every benchmark: identical on every machine. "
         "Written by `vmbench baseline save`; do not edit by hand."},
        {"source",
         {{"git_commit", section["fingerprint"]["build"].value("git_commit", "unknown")},
          {"git_dirty", section["fingerprint"]["build"].value("git_dirty", "unknown")},
          {"results_started", section.value("started", "")}}},
        {"benchmarks", counters}};
    std::error_code ec;
    const std::string timing_dir = o->dir + "/" + name;
    const std::string counters_dir = o->dir + "/counters";
    for (const std::string& d : {o->counters_only ? counters_dir : timing_dir, counters_dir}) {
      std::filesystem::create_directories(d, ec);
      if (ec) return fail(d + ": cannot create: " + ec.message());
    }
    const std::string timing_path = timing_dir + "/" + o->suite + ".json";
    const std::string counters_path = counters_dir + "/" + o->suite + ".json";
    if (!o->counters_only)
      if (error e = write_file_atomically(timing_path, doc.value().dump(2) + "\n"))
        return fail(e.message);
    if (error e = write_file_atomically(counters_path, counters_doc.dump(2) + "\n"))
      return fail(e.message);
    for (const std::string& w : parsed.warnings)
      std::fprintf(stderr, "note: the saved run warned: %s\n", w.c_str());
    if (!o->counters_only) std::printf("saved %s\n", timing_path.c_str());
    std::printf("saved %s\n", counters_path.c_str());
    return kExitOk;
  };
}

}  // namespace vm::harness
