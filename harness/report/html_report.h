// html_report.h - the HTML page of `vmbench report`: one self-contained
// file (CSS, script and SVG charts inline; no network, no server; it works
// from file://), rendered from the report document of report_model.h alone.
//
// What the page holds, top to bottom, and the element ids tests rely on:
//   #summary       verdict, counts per verdict, geometric-mean change, the
//                  recent change points, notes in plain words
//   #fingerprints  both sides' machine and build, mismatches marked
//   #warnings      system-state warnings of both runs and the comparison's
//   #benchmarks    a table (sortable by clicking a header, filterable) with a
//                  row per benchmark; clicking a row opens its strip plot
//                  of the repetitions, counters side by side and trend
//   #tlb           TLB hit rate per level and walks per 1000 accesses
//   #history       the history used and every change point found
// Every chart is an <svg class="chart ...">. The script only sorts, filters
// and opens rows; the page reads fine without it. When the script has run,
// <html> carries data-ready="1"; any script error is shown in #js-errors.
// Opened as index.html#open-all, every row starts open (for screenshots);
// as index.html#time-sort, it sorts by every column and records the mean
// milliseconds per sort and per filter in data-sort-ms / data-filter-ms
// (docs/PERFORMANCE.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace vm::harness {

std::string render_html_report(const nlohmann::json& report);

}  // namespace vm::harness
