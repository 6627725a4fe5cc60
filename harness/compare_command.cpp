// compare_command.cpp - `vmbench compare BASE CAND` (verdicts with their
// statistics; exit 1 on a regression) and `vmbench merge` (the repetitions
// of several runs of one suite as one results file).

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>

#include "atomic_file.h"
#include "commands.h"
#include "compare/compare_format.h"
#include "compare/comparison.h"
#include "compare/results_file.h"
#include "compare/thresholds.h"

namespace vm::harness {
namespace {

using json = nlohmann::json;

struct compare_options {
  std::string base, candidate;
  comparison_settings settings;
  std::string format = "table";
  std::string json_path, markdown_path, junit_path, table_path;
  std::string color = "auto";
};

struct merge_options {
  std::string output;
  std::vector<std::string> inputs;
};

// Merges runs of one suite: every repetition of every file, renumbered; the
// first file's context; counters must agree exactly (they are
// deterministic: a difference means the runs are not of the same thing).
result<json> merge_documents(const std::vector<std::string>& inputs) {
  json merged;
  std::map<std::string, std::vector<json>> samples;
  std::vector<std::string> order;
  json merged_from = json::array();
  for (const std::string& path : inputs) {
    auto doc = read_json_file(path);
    if (!doc.ok()) return std::move(doc).err();
    auto parsed = parse_results(doc.value(), path);  // validates
    if (!parsed.ok()) return std::move(parsed).err();
    if (parsed.value().kind != results_kind::kResults)
      return error{error_code::kBadInput, path + ": not a vmbench results file"};
    json& d = doc.value();
    if (merged.is_null()) {
      merged = d;
    } else {
      const json& a = merged["vmbench"];
      const json& b = d["vmbench"];
      if (a.value("suite", "") != b.value("suite", ""))
        return error{error_code::kBadInput, path + ": suite " + b.value("suite", "") +
                                                ", but the first file's is " +
                                                a.value("suite", "")};
      const auto differences = machine_differences(fingerprint_from_json(a["fingerprint"]).machine,
                                                   fingerprint_from_json(b["fingerprint"]).machine);
      if (!differences.empty())
        return error{error_code::kBadInput,
                     path + ": from another machine (" + differences[0] + ")"};
      if (a.value("fingerprint", json()).value("build", json()) !=
          b.value("fingerprint", json()).value("build", json()))
        return error{error_code::kBadInput, path + ": from another build than the first file"};
      for (const auto& [name, entry] : b["benchmarks"].items()) {
        if (!a["benchmarks"].contains(name)) {
          merged["vmbench"]["benchmarks"][name] = entry;
          continue;
        }
        if (a["benchmarks"][name].value("counters", json()) != entry.value("counters", json()))
          return error{error_code::kBadInput,
                       path + ": " + name + ": counters differ from the first file's"};
      }
      for (const json& w : b.value("warnings", json::array()))
        if (std::find(merged["vmbench"]["warnings"].begin(), merged["vmbench"]["warnings"].end(),
                      w) == merged["vmbench"]["warnings"].end())
          merged["vmbench"]["warnings"].push_back(w);
    }
    merged_from.push_back(path);
    for (const json& entry : d["benchmarks"]) {
      if (entry.value("run_type", "iteration") != "iteration") continue;
      const std::string name = entry.value("name", "");
      if (!samples.count(name)) order.push_back(name);
      samples[name].push_back(entry);
    }
  }
  json benchmarks = json::array();
  for (const std::string& name : order) {
    int64_t index = 0;
    for (json entry : samples[name]) {
      entry["repetition_index"] = index++;
      entry["repetitions"] = samples[name].size();
      benchmarks.push_back(entry);
    }
  }
  merged["benchmarks"] = benchmarks;  // aggregates are dropped: compare recomputes them
  merged["vmbench"]["merged_from"] = merged_from;
  return merged;
}

bool use_colour(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  return isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
}

}  // namespace

void add_comparison_options(CLI::App* sub, comparison_settings& settings) {
  sub->add_option("--thresholds", settings.thresholds_path,
                  "Minimum effects and counter gates by benchmark regex (default: 3 %, all "
                  "counters gate)");
  sub->add_option("--alpha", settings.stats.alpha,
                  "False-discovery rate (or family-wise error for holm)")
      ->capture_default_str();
  sub->add_option("--fdr", settings.stats.fdr, "Multiple-comparison control: bh, holm or none")
      ->check(CLI::IsMember({"bh", "holm", "none"}))
      ->capture_default_str();
  sub->add_option("--metric", settings.stats.metric, "real_time or cpu_time")
      ->check(CLI::IsMember({"real_time", "cpu_time"}))
      ->capture_default_str();
}

result<thresholds> load_comparison_thresholds(const comparison_settings& settings) {
  if (settings.thresholds_path.empty()) return default_thresholds();
  return load_thresholds(settings.thresholds_path);
}

command_action add_compare_command(CLI::App& app) {
  auto o = std::make_shared<compare_options>();
  CLI::App* sub = app.add_subcommand(
      "compare",
      "Compare two results files benchmark by benchmark: the median ratio (candidate/base) with\n"
      "its 95 % interval, a Mann-Whitney U p-value, p-values adjusted across the suite\n"
      "(Benjamini-Hochberg by default), and a verdict (regression, improvement, unchanged,\n"
      "inconclusive) that needs both significance and the minimum effect of\n"
      "baselines/thresholds.json (default 3 %). Deterministic counters are compared exactly.\n"
      "Timings from different machines are refused unless --allow-different-machines.\n"
      "BASE may be a counters baseline (baselines/counters/SUITE.json): counters only.\n"
      "Exit status: 0 no regression; 1 a regression (timing, or a gating counter changed);\n"
      "2 bad input or usage.");
  sub->add_option("base", o->base, "Base results JSON (or a counters baseline)")->required();
  sub->add_option("candidate", o->candidate, "Candidate results JSON")->required();
  add_comparison_options(sub, o->settings);
  sub->add_flag("--allow-different-machines", o->settings.stats.allow_different_machines,
                "Compare timings even when the fingerprints name different machines");
  sub->add_option("--format", o->format, "What goes to stdout: table, json, markdown, junit")
      ->check(CLI::IsMember({"table", "json", "markdown", "junit"}))
      ->capture_default_str();
  sub->add_option("--json", o->json_path, "Also write the JSON report here (atomically)");
  sub->add_option("--markdown", o->markdown_path, "Also write Markdown (a pull-request comment)");
  sub->add_option("--junit", o->junit_path, "Also write JUnit XML (one test case per benchmark)");
  sub->add_option("--table", o->table_path, "Also write the table, without colour");
  sub->add_option("--color", o->color, "Colour the table: auto, always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();

  return [o]() -> int {
    auto fail = [](const std::string& message) {
      std::fprintf(stderr, "vmbench compare: %s\n", message.c_str());
      return kExitBadInput;
    };
    auto rules = load_comparison_thresholds(o->settings);
    if (!rules.ok()) return fail(rules.err().message);
    auto base = load_results_file(o->base);
    if (!base.ok()) return fail(base.err().message);
    auto candidate = load_results_file(o->candidate);
    if (!candidate.ok()) return fail(candidate.err().message);
    if (candidate.value().kind == results_kind::kCounters)
      return fail(o->candidate + ": a counters baseline can only be the base");
    auto c = compare_results(base.value(), candidate.value(), rules.value(), o->settings.stats);
    if (!c.ok()) return fail(c.err().message);
    const comparison& result = c.value();
    const std::string json_text = comparison_to_json(result).dump(2) + "\n";
    if (o->format == "table")
      std::fputs(format_table(result, use_colour(o->color)).c_str(), stdout);
    else if (o->format == "json")
      std::fputs(json_text.c_str(), stdout);
    else if (o->format == "markdown")
      std::fputs(format_markdown(result).c_str(), stdout);
    else
      std::fputs(format_junit(result).c_str(), stdout);
    std::fflush(stdout);
    const std::pair<const std::string*, std::string> files[] = {
        {&o->json_path, json_text},
        {&o->markdown_path, format_markdown(result)},
        {&o->junit_path, format_junit(result)},
        {&o->table_path, format_table(result, false)}};
    for (const auto& [path, text] : files)
      if (!path->empty())
        if (error e = write_file_atomically(*path, text)) return fail(e.message);
    return result.exit_status();
  };
}

command_action add_merge_command(CLI::App& app) {
  auto o = std::make_shared<merge_options>();
  CLI::App* sub = app.add_subcommand(
      "merge",
      "Merge results files of one suite, machine and build (e.g. the alternating processes of\n"
      "ci/compare-branches) into one: every repetition, renumbered; counters must agree.\n"
      "Exit status: 0; 2 on bad input.");
  sub->add_option("-o,--output", o->output, "Merged results JSON (written atomically)")->required();
  sub->add_option("inputs", o->inputs, "Results files")->required();
  return [o]() -> int {
    auto merged = merge_documents(o->inputs);
    if (!merged.ok()) {
      std::fprintf(stderr, "vmbench merge: %s\n", merged.err().message.c_str());
      return kExitBadInput;
    }
    if (error e = write_file_atomically(o->output, merged.value().dump(2) + "\n")) {
      std::fprintf(stderr, "vmbench merge: %s\n", e.message.c_str());
      return kExitBadInput;
    }
    return kExitOk;
  };
}

}  // namespace vm::harness
