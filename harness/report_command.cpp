// report_command.cpp - `vmbench report RESULTS.json [--baseline BASE.json]
// [--history DIR] -o DIR`: the HTML page (DIR/index.html) and its JSON
// (DIR/report.json), both written atomically.

#include <cstdio>
#include <filesystem>

#include "atomic_file.h"
#include "commands.h"
#include "compare/results_file.h"
#include "compare/thresholds.h"
#include "history/history.h"
#include "report/html_report.h"
#include "report/report_model.h"

namespace vm::harness {
namespace {

struct report_options {
  std::string results, baseline, history_dir, output;
  size_t nights = 30;
  comparison_settings settings;
};

}  // namespace

command_action add_report_command(CLI::App& app) {
  auto o = std::make_shared<report_options>();
  CLI::App* sub = app.add_subcommand(
      "report",
      "Write a self-contained HTML report (DIR/index.html, opens from disk with no network) and\n"
      "its JSON (DIR/report.json, schema 1): verdicts against a baseline with their statistics,\n"
      "the repetitions of both sides, counters side by side, TLB hit rates and walks, and with\n"
      "--history each benchmark's trend and change points over the nights.");
  sub->add_option("results", o->results, "Results JSON of `vmbench run` (or merge)")->required();
  sub->add_option("--baseline", o->baseline, "Baseline results JSON (or a counters baseline)");
  sub->add_option("--history", o->history_dir, "History directory (`vmbench history add`)");
  sub->add_option("--nights", o->nights, "Nights of history shown per trend")
      ->check(CLI::Range(size_t{2}, size_t{100000}))
      ->capture_default_str();
  add_comparison_options(sub, o->settings);
  sub->add_option("-o,--output", o->output, "Report directory (created if needed)")->required();

  return [o]() -> int {
    auto fail = [](const std::string& message) {
      std::fprintf(stderr, "vmbench report: %s\n", message.c_str());
      return kExitBadInput;
    };
    // Checked here: build_report would only note them as "nothing compared".
    if (error e = check_comparison_options(o->settings.stats)) return fail(e.message);
    report_inputs in;
    auto rules = load_comparison_thresholds(o->settings);
    if (!rules.ok()) return fail(rules.err().message);
    in.rules = std::move(rules).value();
    auto current = load_results_file(o->results);
    if (!current.ok()) return fail(current.err().message);
    if (current.value().kind == results_kind::kCounters)
      return fail(o->results + ": a counters baseline has no timings; give it as --baseline");
    std::optional<results_file> baseline;
    if (!o->baseline.empty()) {
      auto b = load_results_file(o->baseline);
      if (!b.ok()) return fail(b.err().message);
      baseline = std::move(b).value();
    }
    std::optional<history> past;
    if (!o->history_dir.empty()) {
      auto h = load_history(o->history_dir);
      if (!h.ok()) return fail(h.err().message);
      past = std::move(h).value();
      for (const std::string& s : past->skipped)
        std::fprintf(stderr, "vmbench report: warning: skipped history file %s\n", s.c_str());
    }
    in.current = &current.value();
    in.baseline = baseline ? &*baseline : nullptr;
    in.past = past ? &*past : nullptr;
    in.nights = o->nights;
    in.options = o->settings.stats;
    in.generated_by = std::string("vmbench ") + VMBENCH_VERSION;
    const nlohmann::json doc = build_report(in);

    std::error_code ec;
    std::filesystem::create_directories(o->output, ec);
    if (ec) return fail(o->output + ": cannot create directory: " + ec.message());
    const std::string json_path = (std::filesystem::path(o->output) / "report.json").string();
    const std::string html_path = (std::filesystem::path(o->output) / "index.html").string();
    // File names need not be UTF-8: such bytes become U+FFFD in the JSON.
    const std::string json_text =
        doc.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    if (error e = write_file_atomically(json_path, json_text)) return fail(e.message);
    if (error e = write_file_atomically(html_path, render_html_report(doc))) return fail(e.message);
    const auto& s = doc["summary"];
    std::printf("vmbench report: %s (%zu benchmarks): %s\n  %s\n  %s\n",
                s["headline"].get<std::string>().c_str(), doc["benchmarks"].size(),
                s["verdict"].get<std::string>().c_str(), html_path.c_str(), json_path.c_str());
    return kExitOk;
  };
}

}  // namespace vm::harness
