// report_model.h - everything `vmbench report` shows, as one JSON document
// (report.json, "kind": "vmbench.report", "schema_version": 1). The HTML
// page (html_report.h) is rendered from this document alone, so report.json
// holds everything the page shows and other tools can read the same facts.
//
// Document layout (docs/REPORT_FORMAT.md describes every field):
//   summary      verdict, counts per verdict, geometric-mean change, notes
//   current      the results file: path, suite, start, machine, fingerprint,
//                warnings
//   baseline     the same for --baseline, or null
//   comparison   settings and machine differences of the comparison, or null
//   benchmarks   per benchmark (current order, then baseline-only ones):
//                samples of both sides, ratio, interval, p, q, threshold,
//                verdict, counters side by side, TLB figures (miss rates,
//                walks, prefetch accuracy and coverage, ns per access), trend
//   history      the history used: directory, machine, suite, runs used,
//                runs of other machines/suites, skipped files, or null
//
// Building never fails on odd but valid input (zero benchmarks, no
// benchmark in common, an empty history, mixed machines): the summary's
// notes say so in plain words.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "compare/comparison.h"
#include "compare/results_file.h"
#include "compare/thresholds.h"
#include "history/history.h"

namespace vm::harness {

inline constexpr int kReportSchemaVersion = 1;

struct report_inputs {
  const results_file* current = nullptr;   // required
  const results_file* baseline = nullptr;  // optional
  const history* past = nullptr;           // optional
  thresholds rules = default_thresholds();
  comparison_options options;
  size_t nights = 30;           // trend points shown per benchmark (change points use all)
  std::string generated_by;     // "vmbench 0.1.0"
};

nlohmann::json build_report(const report_inputs& in);

// The TLB figures of one benchmark's counters, or null when it has none:
//   {"accesses": N,
//    "levels": [{"level": "l1", "hits", "misses", "hit_rate", "miss_rate"}],
//    "walks": N, "walks_per_1k": x,
//    "prefetch": null | {"issued", "useful", "late", "useless", "dropped",
//                        "walks", "accuracy", "coverage"},
//    "pattern": null | {"sequential", "strided", "random"},
//    "ns_per_access": x}
// Levels are every "tlb.<level>.hits"/"tlb.<level>.misses" pair, sorted by
// name (a level's other counters, flushes or evictions, are not figures);
// accesses are reads + writes + fetches when the counters have them, else
// the first level's lookups. A level's rates are null when it had no
// lookup. `prefetch` holds the tlb.prefetch.* counters (an absent one is 0;
// its walks are the prefetch walks) and is null without
// "tlb.prefetch.issued" (no prefetcher configured). As the prefetch unit
// defines them (core/tlb/prefetch/prefetch_unit.h), a late prefetch still
// saved its demand walk, so it counts as a correct prediction:
//   accuracy = (useful + late) / issued
//   coverage = (useful + late) / (useful + late + walks)
// with walks the demand walks (the "walks" counter); each is null when its
// denominator is 0, coverage also without a "walks" counter. `pattern` is null without any "tlb.pattern.*" counter
// (an absent one is 0). ns_per_access = ns_per_iteration / accesses: the
// counters are those of one iteration (one replay of the trace); null when
// the time is not given, not a positive finite number, or there was no
// access.
nlohmann::json tlb_figures(const nlohmann::json& counters,
                           std::optional<double> ns_per_iteration = std::nullopt);

}  // namespace vm::harness
