// svg_chart.h - the charts of the HTML report, drawn by vmbench as inline
// SVG: no script, no font or file fetched, nothing to load when the page
// opens from file://. Every chart is an <svg class="chart ..."> element
// with a <title> for screen readers; points carry <title> tooltips.
//
// All functions are deterministic (no randomness: the jitter of a strip plot
// is a fixed pattern) and never fail: empty or non-finite input draws an
// empty chart that says "no data".
#pragma once

#include <string>
#include <vector>

namespace vm::harness::svg {

// Escapes &, <, >, " and ' for text and attribute values; drops control
// characters other than tab and newline, which XML 1.0 cannot carry.
std::string escape(const std::string& text);

// A strip plot of two samples of times (ns): one row per side, a dot per
// repetition, a bar at the median, a shared axis with its range in
// auto-scaled units. Either side may be empty (shown as "no samples").
std::string strip_plot(const std::vector<double>& baseline_ns, const std::vector<double>& current_ns,
                       const std::string& title);

// A tiny line of the values (oldest first), with change points (indices of
// the first value after a step) as red ticks and the last value as a dot.
std::string sparkline(const std::vector<double>& values, const std::vector<size_t>& changes);

struct trend_point {
  std::string label;    // tooltip: date and commit
  double value_ns = 0;
  bool highlight = false;  // this run
};

struct trend_step {
  size_t index = 0;     // first point after the step
  std::string label;    // "+4.1% at 2026-11-20 (abc123)"
};

// The trend of one benchmark over the nights: the medians joined by a line,
// a dot per night (this run's highlighted), dashed lines at change points.
std::string trend_chart(const std::vector<trend_point>& points, const std::vector<trend_step>& steps,
                        const std::string& title);

struct bar {
  std::string label;
  double value = 0;        // NaN: no bar ("-")
  double marker = -1;      // < 0: none; else a tick at this value (e.g. the baseline's)
  std::string value_text;  // printed after the bar
  std::string group;       // consecutive bars with the same group share a heading row
};

// Horizontal bars, one row per entry, scaled to [0, max_value] (max_value
// <= 0: the largest value). `css_class` is added to the <svg> element.
std::string bar_chart(const std::vector<bar>& bars, double max_value, const std::string& title,
                      const std::string& css_class);

}  // namespace vm::harness::svg
