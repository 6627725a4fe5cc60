// compare_format.h - every way `vmbench compare` shows a comparison: a
// terminal table, Markdown for a pull-request comment, JUnit XML for CI
// test reports and JSON for scripts.
//
// All of them are deterministic functions of the comparison (no dates, no
// host names, no locale), so that golden files can pin them down
// (tests/harness/golden/compare.*). They never fail: any text, however odd
// (a `|`, `<` or control character in a benchmark name), is escaped for the
// format at hand.
//
// Shared conventions:
//  - times are the median per iteration in auto-scaled units (ns, us, ms,
//    s) with 3 significant digits;
//  - the change is (ratio - 1) in percent, signed, one decimal; the 95 %
//    interval likewise, "[-1.2%, +3.4%]";
//  - p and q have 2 significant digits, "<0.001" below 0.001;
//  - a benchmark whose timing was not compared shows "-" for all of these
//    and its note says why;
//  - a benchmark's verdict is its overall() verdict: a gating counter that
//    changed makes it a regression whatever its timing.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "compare/comparison.h"

namespace vm::harness {

// The terminal table: a header line (paths, suite, metric, alpha, FDR
// method), one "warning:" line per machine difference and warning, one row
// per benchmark with its counter changes indented below it, a summary line,
// the benchmarks on one side only, and last "result: REGRESSION (exit 1)"
// or "result: no regression (exit 0)". With `colour`, rows carry ANSI
// colours (red regression, green improvement, yellow inconclusive, dim
// unchanged); without, the output has no escape sequence at all, and with
// the escape sequences removed the coloured output equals the plain one.
std::string format_table(const comparison& c, bool colour);

// Markdown for a pull-request comment: a bold status line ("**Regression**:
// 2 of 14 benchmarks regressed ..." or "No regression: ..."), a settings
// line, warnings, a table of the benchmarks that are not unchanged
// (regressions, then inconclusive, then improvements, each in the
// candidate's order), counter changes as a bullet list, the benchmarks on
// one side only, and a collapsed <details> table of all benchmarks.
// Benchmark names and counter values are code spans; `|` is escaped in
// tables.
std::string format_markdown(const comparison& c);

// JUnit XML for CI test reports: one <testsuite name="vmbench.compare.<suite>">
// (just "vmbench.compare" without a suite) in <testsuites>, one <testcase
// classname="vmbench.<suite or 'results'>"> per benchmark with `time` the
// candidate median in seconds. A regression is a <failure> of type
// "regression" (the timing regressed) or "counter" (only a gating counter
// changed); everything else passes with its details in <system-out>
// (inconclusive is neither skipped nor failed). Benchmarks on one side only
// are <skipped> test cases. So failures="N" counts exactly the regressions.
// Text is escaped for XML 1.0; control characters it cannot carry, even as
// references, are written as "\u00XX".
std::string format_junit(const comparison& c);

// Every field of the comparison and of each benchmark (verdicts by name,
// the benchmark's overall "verdict" beside its "timing" verdict), the
// summary counts, "exit_status" and "regression", under "schema_version": 1
// and "kind": "vmbench.compare". Numbers are JSON numbers; the timing
// fields of a benchmark mean something only when its "timing_compared" is
// true.
nlohmann::json comparison_to_json(const comparison& c);

// The pieces the formats share, exposed for tests and for other reports.
// "1.23 us", "999 ns", "1.00 us" (for 999.6 ns), "0.500 ns"; "-" when not
// finite or negative.
std::string format_duration_ns(double ns);
// (ratio - 1) in percent, signed, one decimal: "+5.6%", "-12.0%", "+0.0%".
std::string format_change_percent(double ratio);
// 2 significant digits: "0.50", "0.012", "1.0"; "<0.001" below 0.001; "-"
// when not finite.
std::string format_probability(double p);

}  // namespace vm::harness
