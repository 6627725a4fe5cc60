#include "compare/compare_format.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>

namespace vm::harness {
namespace {

using json = nlohmann::json;

// snprintf into a string of the right size. Numbers are printed in the C
// locale's notation: vmbench never calls setlocale, so the decimal point is
// always '.'.
template <class... Args>
std::string printf_string(const char* format, Args... args) {
  const int size = std::snprintf(nullptr, 0, format, args...);
  if (size <= 0) return {};
  std::string text(static_cast<size_t>(size), '\0');
  std::snprintf(text.data(), text.size() + 1, format, args...);
  return text;
}

// The digits of a number written in fixed notation, leading zeros (and the
// point among them) not counted: "0.0120" has 3, "100.0" has 4.
size_t significant_digits(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && (text[i] == '0' || text[i] == '.')) ++i;
  return static_cast<size_t>(
      std::count_if(text.begin() + i, text.end(), [](char c) { return c >= '0' && c <= '9'; }));
}

// `v` (finite, > 0) in fixed notation with `digits` significant digits,
// except that integers keep all their digits ("1234" for 4 digits at 3).
std::string significant(double v, int digits) {
  const int exponent = static_cast<int>(std::floor(std::log10(v)));
  int decimals = std::max(0, digits - 1 - exponent);
  std::string text = printf_string("%.*f", decimals, v);
  // Rounding may carry into the next power of ten ("99.96" -> "100.0"), and
  // log10 may be off by one ulp at a power of ten: one decimal too many.
  while (decimals > 0 && significant_digits(text) > static_cast<size_t>(digits))
    text = printf_string("%.*f", --decimals, v);
  return text;
}

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string format_interval(double low, double high) {
  return "[" + format_change_percent(low) + ", " + format_change_percent(high) + "]";
}

std::string format_min_effect(double min_effect) {
  return printf_string("%g%%", min_effect * 100);
}

std::string format_geomean(const comparison& c) {
  if (!(c.geomean_ratio > 0) || !std::isfinite(c.geomean_ratio)) return "-";
  return printf_string("%.3f", c.geomean_ratio);
}

std::string fdr_description(const std::string& fdr) {
  if (fdr == "bh") return "bh (Benjamini-Hochberg)";
  if (fdr == "holm") return "holm (Holm-Bonferroni)";
  if (fdr == "none") return "none (no correction)";
  return fdr;
}

// The length of the valid UTF-8 sequence (as XML 1.0 and JSON accept it:
// no overlong forms, no surrogates, nothing above U+10FFFF) starting at
// `i`, or 0 when the byte there starts none.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  size_t length = 0;
  uint32_t code = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  if ((length == 3 && code < 0x800) || (length == 4 && code < 0x10000) || code > 0x10FFFF ||
      (code >= 0xD800 && code <= 0xDFFF))
    return 0;
  // XML 1.0 excludes these two noncharacters as well.
  if (code == 0xFFFE || code == 0xFFFF) return 0;
  return length;
}

// `s` with every byte that starts no valid UTF-8 sequence replaced by
// U+FFFD, so that nlohmann::json::dump() cannot throw on it.
std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t length = utf8_sequence_length(s, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s, i, length);
      i += length;
    }
  }
  return out;
}

// ---- What every format says about a benchmark -----------------------------

// The timing columns: all "-" when the timing was not compared.
struct timing_cells {
  std::string base = "-", candidate = "-", change = "-", interval = "-", p = "-", q = "-";
};

timing_cells timing_cells_of(const benchmark_comparison& b) {
  timing_cells cells;
  if (!b.timing_compared) return cells;
  cells.base = format_duration_ns(b.base_median_ns);
  cells.candidate = format_duration_ns(b.candidate_median_ns);
  cells.change = format_change_percent(b.ratio);
  cells.interval = format_interval(b.ratio_low, b.ratio_high);
  cells.p = format_probability(b.p_value);
  cells.q = format_probability(b.q_value);
  return cells;
}

// The note column: the comparison's note, and why a benchmark whose timing
// did not regress is a regression all the same.
std::string row_note(const benchmark_comparison& b) {
  std::string note = b.note;
  if (b.counters_gate_failed) {
    if (!note.empty()) note += "; ";
    note += std::string("gating counter changed (timing ") + verdict_name(b.timing) + ")";
  }
  return note;
}

// "tlb.l1.misses: 1200 -> 1250 (+50) [gates]"
std::string counter_text(const counter_change& change) {
  std::string text = change.name + ": " + change.base + " -> " + change.candidate;
  if (!change.delta.empty()) text += " (" + change.delta + ")";
  if (change.gates) text += " [gates]";
  return text;
}

std::string gating_counter_names(const benchmark_comparison& b) {
  std::string names;
  for (const counter_change& change : b.counter_changes) {
    if (!change.gates) continue;
    if (!names.empty()) names += ", ";
    names += change.name;
  }
  return names;
}

// The machine differences, whether timings were compared, then the
// comparison's own warnings: one line each, without the "warning:" prefix.
std::vector<std::string> warning_lines(const comparison& c) {
  std::vector<std::string> lines;
  for (const std::string& difference : c.machine_differences)
    lines.push_back("machines differ: " + difference);
  if (!c.timings_compared) {
    lines.push_back(!c.machines_match && !c.options.allow_different_machines
                        ? "timings not compared: the machines differ; only counters were compared"
                        : "timings not compared: no timing samples; only counters were compared");
  } else if (!c.machines_match) {
    lines.push_back("timings compared across different machines, as the options allow");
  }
  lines.insert(lines.end(), c.warnings.begin(), c.warnings.end());
  return lines;
}

// "2 regressions, 1 improvement, 3 unchanged, 0 inconclusive"
std::string verdict_counts(const comparison& c, bool with_regressions) {
  std::string text;
  if (with_regressions)
    text += plural(c.count(verdict::kRegression), "regression", "regressions") + ", ";
  text += plural(c.count(verdict::kImprovement), "improvement", "improvements") + ", ";
  text += std::to_string(c.count(verdict::kUnchanged)) + " unchanged, ";
  text += std::to_string(c.count(verdict::kInconclusive)) + " inconclusive";
  return text;
}

std::string geomean_text(const comparison& c) {
  const std::string geomean = format_geomean(c);
  return "geomean ratio " + geomean + (geomean == "-" ? " (no timings compared)" : "");
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string text;
  for (const std::string& item : items) {
    if (!text.empty()) text += separator;
    text += item;
  }
  return text;
}

// ---- Terminal ---------------------------------------------------------------

constexpr const char* kReset = "\x1b[0m";

const char* colour_of(verdict v) {
  switch (v) {
    case verdict::kRegression: return "\x1b[31m";
    case verdict::kImprovement: return "\x1b[32m";
    case verdict::kInconclusive: return "\x1b[33m";
    case verdict::kUnchanged: return "\x1b[2m";
  }
  return "";
}

// Control characters would move the cursor or end the row: shown as "\xNN".
std::string printable(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F)
      out += printf_string("\\x%02x", static_cast<unsigned>(byte));
    else
      out += c;
  }
  return out;
}

// Columns on the terminal: one per UTF-8 code point (no wide characters in
// benchmark names, we expect).
size_t display_width(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string painted(const std::string& line, const char* colour_code, bool colour) {
  return colour ? colour_code + line + kReset : line;
}

// ---- Markdown ---------------------------------------------------------------

// Text that Markdown must not interpret: every character that could start
// emphasis, a link, HTML, an entity or a table cell is backslash-escaped;
// line breaks become spaces so that a table row stays one line.
std::string md_text(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == '\n' || c == '\r') {
      out += ' ';
      continue;
    }
    if (std::string_view("\\`*_[]<>|~&#").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// A code span showing `s` literally: fenced by one backtick more than the
// longest run inside it; in a table, `|` is escaped, which GitHub removes
// again inside the span.
std::string md_code(std::string_view s, bool in_table) {
  std::string body;
  size_t run = 0, longest_run = 0;
  for (const char c : s) {
    run = c == '`' ? run + 1 : 0;
    longest_run = std::max(longest_run, run);
    if (c == '\n' || c == '\r')
      body += ' ';
    else if (c == '|' && in_table)
      body += "\\|";
    else
      body += c;
  }
  if (body.empty()) body = " ";
  // A span that begins or ends with a backtick, or with a space on both
  // sides, needs a space of padding that Markdown strips again.
  const bool pad = body.front() == '`' || body.back() == '`' ||
                   (body.size() > 1 && body.front() == ' ' && body.back() == ' ');
  const std::string fence(longest_run + 1, '`');
  return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

std::string md_table(const std::vector<const benchmark_comparison*>& rows) {
  std::string out =
      "| Benchmark | Base | Candidate | Change | 95% interval | p | q | Verdict | Note |\n"
      "|:--|--:|--:|--:|--:|--:|--:|:--|:--|\n";
  for (const benchmark_comparison* b : rows) {
    const timing_cells cells = timing_cells_of(*b);
    out += "| " + md_code(b->name, true) + " | " + cells.base + " | " + cells.candidate + " | " +
           cells.change + " | " + cells.interval + " | " + md_text(cells.p) + " | " +
           md_text(cells.q) + " | " + verdict_name(b->overall()) + " | " + md_text(row_note(*b)) +
           " |\n";
  }
  return out;
}

std::string md_names(const std::vector<std::string>& names) {
  std::vector<std::string> spans;
  for (const std::string& name : names) spans.push_back(md_code(name, false));
  return join(spans, ", ");
}

// ---- JUnit ------------------------------------------------------------------

// Text for an XML 1.0 attribute value or element content. Tabs and line
// breaks survive in attributes as character references (a parser would
// normalise them to spaces otherwise); the other control characters are
// not allowed even as references, and bytes that are not UTF-8 would make
// the document unreadable: both are written as visible escapes.
std::string xml_escape(std::string_view s, bool attribute) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      case '\r': out += "&#13;"; break;
      default:
        if (byte < 0x20) {
          out += printf_string("\\u%04x", static_cast<unsigned>(byte));
        } else if (const size_t length = utf8_sequence_length(s, i); length == 0) {
          out += printf_string("\\x%02x", static_cast<unsigned>(byte));
        } else {
          out.append(s, i, length);
          i += length;
          continue;
        }
    }
    ++i;
  }
  return out;
}

std::string xml_attribute(const char* name, std::string_view value) {
  return std::string(" ") + name + "=\"" + xml_escape(value, true) + "\"";
}

// What a CI report shows for one benchmark, one line each.
std::string details_text(const benchmark_comparison& b) {
  std::vector<std::string> lines;
  std::string verdict_line = std::string("verdict: ") + verdict_name(b.overall());
  if (b.counters_gate_failed)
    verdict_line += std::string(" (gating counter changed; timing ") + verdict_name(b.timing) + ")";
  lines.push_back(verdict_line);
  if (b.timing_compared) {
    const timing_cells cells = timing_cells_of(b);
    lines.push_back("median: base " + cells.base + " (" +
                    plural(b.base_samples, "sample", "samples") + "), candidate " +
                    cells.candidate + " (" + plural(b.candidate_samples, "sample", "samples") +
                    ")");
    lines.push_back("change: " + cells.change + " " + cells.interval + " (95% interval), p " +
                    cells.p + ", q " + cells.q);
  } else {
    lines.push_back("timing: not compared");
  }
  lines.push_back("minimum effect: " + format_min_effect(b.min_effect) + " (rule " +
                  b.min_effect_rule + ")");
  if (!b.note.empty()) lines.push_back("note: " + b.note);
  for (const counter_change& change : b.counter_changes)
    lines.push_back("counter " + counter_text(change));
  return join(lines, "\n");
}

// The failure message of a regression: why, in one line.
std::string failure_message(const benchmark_comparison& b) {
  std::string message;
  if (b.timing == verdict::kRegression) {
    const timing_cells cells = timing_cells_of(b);
    message = "slower by " + cells.change + " " + cells.interval + ", q " + cells.q +
              " (minimum effect " + format_min_effect(b.min_effect) + ")";
  }
  if (b.counters_gate_failed) {
    if (!message.empty()) message += "; ";
    message += "gating counter changed: " + gating_counter_names(b);
    if (b.timing != verdict::kRegression)
      message += std::string(" (timing ") + verdict_name(b.timing) + ")";
  }
  return message;
}

}  // namespace

std::string format_duration_ns(double ns) {
  if (!std::isfinite(ns) || ns < 0) return "-";
  if (ns == 0) return "0 ns";
  struct unit {
    const char* name;
    double ns;
  };
  static constexpr std::array<unit, 4> kUnits = {{{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}}};
  size_t u = 0;
  while (u + 1 < kUnits.size() && ns >= kUnits[u + 1].ns) ++u;
  std::string text = significant(ns / kUnits[u].ns, 3);
  // 999.6 ns rounds to "1000": "1.00 us" instead.
  if (u + 1 < kUnits.size() && text.find('.') == std::string::npos && text.size() > 3)
    text = significant(ns / kUnits[++u].ns, 3);
  return text + " " + kUnits[u].name;
}

std::string format_change_percent(double ratio) {
  if (!std::isfinite(ratio)) return "-";
  std::string text = printf_string("%+.1f%%", (ratio - 1) * 100);
  if (text == "-0.0%") text = "+0.0%";  // no direction to show
  return text;
}

std::string format_probability(double p) {
  if (!std::isfinite(p)) return "-";
  if (p < 0.001) return "<0.001";
  return significant(p, 2);
}

std::string format_table(const comparison& c, bool colour) {
  std::string out =
      "compare " + printable(c.base_path) + " -> " + printable(c.candidate_path) + ": ";
  if (!c.suite.empty()) out += "suite " + printable(c.suite) + ", ";
  out += "metric " + printable(c.options.metric) + ", alpha " +
         printf_string("%g", c.options.alpha) + ", fdr " +
         printable(fdr_description(c.options.fdr)) + "\n";
  for (const std::string& line : warning_lines(c))
    out += painted("warning: " + printable(line), "\x1b[33m", colour) + "\n";
  out += "\n";

  // Name, base, candidate, change, interval, p, q, verdict, note. The note
  // is last and never padded, so that no line ends in spaces.
  constexpr size_t kColumns = 9;
  const auto right_aligned = [](size_t column) { return column >= 1 && column <= 6; };  // numbers
  using row = std::array<std::string, kColumns>;
  std::vector<row> rows = {
      {"benchmark", "base", "candidate", "change", "95% interval", "p", "q", "verdict", "note"}};
  for (const benchmark_comparison& b : c.benchmarks) {
    const timing_cells cells = timing_cells_of(b);
    rows.push_back({printable(b.name), cells.base, cells.candidate, cells.change, cells.interval,
                    cells.p, cells.q, verdict_name(b.overall()), printable(row_note(b))});
  }
  std::array<size_t, kColumns> widths{};
  for (const row& r : rows)
    for (size_t k = 0; k < kColumns; ++k) widths[k] = std::max(widths[k], display_width(r[k]));

  const auto render = [&](const row& r) {
    std::string line;
    for (size_t k = 0; k < kColumns; ++k) {
      const std::string padding(widths[k] - display_width(r[k]), ' ');
      if (k > 0) line += "  ";
      line += right_aligned(k) ? padding + r[k] : r[k] + (k + 1 < kColumns ? padding : "");
    }
    line.erase(line.find_last_not_of(' ') + 1);
    return line;
  };
  out += render(rows[0]) + "\n";
  for (size_t i = 0; i < c.benchmarks.size(); ++i) {
    const benchmark_comparison& b = c.benchmarks[i];
    out += painted(render(rows[i + 1]), colour_of(b.overall()), colour) + "\n";
    for (const counter_change& change : b.counter_changes) {
      const std::string line = "  counter " + printable(counter_text(change));
      out += (change.gates ? painted(line, colour_of(verdict::kRegression), colour) : line) + "\n";
    }
  }

  out += "\n" + plural(c.benchmarks.size(), "benchmark", "benchmarks") + ": " +
         verdict_counts(c, true) + "; " + geomean_text(c) + "\n";
  if (!c.only_in_base.empty())
    out += "only in base (" + std::to_string(c.only_in_base.size()) +
           "): " + printable(join(c.only_in_base, ", ")) + "\n";
  if (!c.only_in_candidate.empty())
    out += "only in candidate (" + std::to_string(c.only_in_candidate.size()) +
           "): " + printable(join(c.only_in_candidate, ", ")) + "\n";
  out += c.exit_status() != 0
             ? painted("result: REGRESSION (exit 1)", "\x1b[1;31m", colour) + "\n"
             : painted("result: no regression (exit 0)", "\x1b[1;32m", colour) + "\n";
  return out;
}

std::string format_markdown(const comparison& c) {
  const size_t total = c.benchmarks.size();
  std::string out;
  if (c.exit_status() != 0) {
    out += "**Regression**: " + std::to_string(c.count(verdict::kRegression)) + " of " +
           plural(total, "benchmark", "benchmarks") + " regressed (" + verdict_counts(c, false) +
           "); " + geomean_text(c) + "\n\n";
  } else {
    out += "No regression: " + plural(total, "benchmark", "benchmarks") + " (" +
           verdict_counts(c, false) + "); " + geomean_text(c) + "\n\n";
  }
  out += "Base " + md_code(c.base_path, false) + ", candidate " + md_code(c.candidate_path, false) +
         "; ";
  if (!c.suite.empty()) out += "suite " + md_code(c.suite, false) + ", ";
  out += "metric " + md_code(c.options.metric, false) + ", alpha " +
         printf_string("%g", c.options.alpha) + ", FDR " + md_text(fdr_description(c.options.fdr)) +
         ".\n\n";

  const std::vector<std::string> warnings = warning_lines(c);
  if (!warnings.empty()) {
    out += "**Warnings**\n\n";
    for (const std::string& line : warnings) out += "- " + md_text(line) + "\n";
    out += "\n";
  }

  // Regressions first: they are what the reader must act on.
  std::vector<const benchmark_comparison*> noteworthy;
  for (const verdict v : {verdict::kRegression, verdict::kInconclusive, verdict::kImprovement})
    for (const benchmark_comparison& b : c.benchmarks)
      if (b.overall() == v) noteworthy.push_back(&b);
  if (!noteworthy.empty())
    out += md_table(noteworthy) + "\n";
  else if (total > 0)
    out += "All " + plural(total, "benchmark", "benchmarks") + " unchanged.\n\n";

  std::string counters;
  for (const benchmark_comparison& b : c.benchmarks)
    for (const counter_change& change : b.counter_changes) {
      counters += "- " + md_code(b.name, false) + " " + md_code(change.name, false) + ": " +
                  md_code(change.base, false) + " -> " + md_code(change.candidate, false);
      if (!change.delta.empty()) counters += " (" + md_text(change.delta) + ")";
      if (change.gates) counters += ", **gates the verdict**";
      counters += "\n";
    }
  if (!counters.empty()) out += "**Counter changes**\n\n" + counters + "\n";

  if (!c.only_in_base.empty()) out += "Only in base: " + md_names(c.only_in_base) + "\n\n";
  if (!c.only_in_candidate.empty())
    out += "Only in candidate: " + md_names(c.only_in_candidate) + "\n\n";

  std::vector<const benchmark_comparison*> all;
  for (const benchmark_comparison& b : c.benchmarks) all.push_back(&b);
  out += "<details><summary>All " + plural(total, "benchmark", "benchmarks") + "</summary>\n\n" +
         md_table(all) + "\n</details>\n";
  return out;
}

std::string format_junit(const comparison& c) {
  const size_t skipped = c.only_in_base.size() + c.only_in_candidate.size();
  const std::string tests = std::to_string(c.benchmarks.size() + skipped);
  const std::string failures = std::to_string(c.count(verdict::kRegression));
  const std::string counts = xml_attribute("tests", tests) + xml_attribute("failures", failures) +
                             xml_attribute("errors", "0") +
                             xml_attribute("skipped", std::to_string(skipped));
  const std::string classname = "vmbench." + (c.suite.empty() ? std::string("results") : c.suite);

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites" + xml_attribute("name", "vmbench.compare") + counts + ">\n";
  out += "  <testsuite" +
         xml_attribute("name", "vmbench.compare" + (c.suite.empty() ? "" : "." + c.suite)) +
         counts + ">\n";

  out += "    <properties>\n";
  const auto property = [&](const char* name, const std::string& value) {
    out += "      <property" + xml_attribute("name", name) + xml_attribute("value", value) + "/>\n";
  };
  property("base", c.base_path);
  property("candidate", c.candidate_path);
  property("suite", c.suite);
  property("metric", c.options.metric);
  property("alpha", printf_string("%g", c.options.alpha));
  property("fdr", c.options.fdr);
  property("geomean_ratio", format_geomean(c));
  property("exit_status", std::to_string(c.exit_status()));
  for (const std::string& line : warning_lines(c)) property("warning", line);
  out += "    </properties>\n";

  for (const benchmark_comparison& b : c.benchmarks) {
    const double seconds = std::isfinite(b.candidate_median_ns) && b.candidate_median_ns > 0
                               ? b.candidate_median_ns / 1e9
                               : 0.0;
    out += "    <testcase" + xml_attribute("classname", classname) + xml_attribute("name", b.name) +
           xml_attribute("time", printf_string("%.9f", seconds)) + ">\n";
    if (b.overall() == verdict::kRegression) {
      const char* type = b.timing == verdict::kRegression ? "regression" : "counter";
      out += "      <failure" + xml_attribute("message", failure_message(b)) +
             xml_attribute("type", type) + ">" + xml_escape(details_text(b), false) +
             "</failure>\n";
    } else {
      out += "      <system-out>" + xml_escape(details_text(b), false) + "</system-out>\n";
    }
    out += "    </testcase>\n";
  }
  const auto skipped_case = [&](const std::string& name, const char* message) {
    out += "    <testcase" + xml_attribute("classname", classname) + xml_attribute("name", name) +
           xml_attribute("time", "0") + ">\n      <skipped" + xml_attribute("message", message) +
           "/>\n    </testcase>\n";
  };
  for (const std::string& name : c.only_in_base)
    skipped_case(name, "only in base: missing from the candidate");
  for (const std::string& name : c.only_in_candidate)
    skipped_case(name, "only in candidate: no base to compare with");

  std::vector<std::string> summary;
  for (const std::string& line : warning_lines(c)) summary.push_back("warning: " + line);
  summary.push_back(plural(c.benchmarks.size(), "benchmark", "benchmarks") + ": " +
                    verdict_counts(c, true) + "; " + geomean_text(c));
  summary.push_back(c.exit_status() != 0 ? "result: REGRESSION (exit 1)"
                                         : "result: no regression (exit 0)");
  out += "    <system-out>" + xml_escape(join(summary, "\n"), false) + "</system-out>\n";
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

json comparison_to_json(const comparison& c) {
  const auto strings = [](const std::vector<std::string>& items) {
    json array = json::array();
    for (const std::string& item : items) array.push_back(valid_utf8(item));
    return array;
  };
  json benchmarks = json::array();
  for (const benchmark_comparison& b : c.benchmarks) {
    json changes = json::array();
    for (const counter_change& change : b.counter_changes)
      changes.push_back({{"name", valid_utf8(change.name)},
                         {"base", valid_utf8(change.base)},
                         {"candidate", valid_utf8(change.candidate)},
                         {"delta", valid_utf8(change.delta)},
                         {"gates", change.gates}});
    benchmarks.push_back({{"name", valid_utf8(b.name)},
                          {"min_effect_rule", valid_utf8(b.min_effect_rule)},
                          {"min_effect", b.min_effect},
                          {"timing_compared", b.timing_compared},
                          {"base_samples", b.base_samples},
                          {"candidate_samples", b.candidate_samples},
                          {"base_median_ns", b.base_median_ns},
                          {"candidate_median_ns", b.candidate_median_ns},
                          {"ratio", b.ratio},
                          {"ratio_low", b.ratio_low},
                          {"ratio_high", b.ratio_high},
                          {"p_value", b.p_value},
                          {"q_value", b.q_value},
                          {"timing", verdict_name(b.timing)},
                          {"note", valid_utf8(b.note)},
                          {"counters_compared", b.counters_compared},
                          {"counter_changes", std::move(changes)},
                          {"counters_gate_failed", b.counters_gate_failed},
                          {"verdict", verdict_name(b.overall())}});
  }
  json j;
  j["schema_version"] = c.schema_version;
  j["kind"] = "vmbench.compare";
  j["base_path"] = valid_utf8(c.base_path);
  j["candidate_path"] = valid_utf8(c.candidate_path);
  j["suite"] = valid_utf8(c.suite);
  j["options"] = {{"metric", valid_utf8(c.options.metric)},
                  {"alpha", c.options.alpha},
                  {"fdr", valid_utf8(c.options.fdr)},
                  {"allow_different_machines", c.options.allow_different_machines}};
  j["machines_match"] = c.machines_match;
  j["machine_differences"] = strings(c.machine_differences);
  j["timings_compared"] = c.timings_compared;
  j["warnings"] = strings(c.warnings);
  j["benchmarks"] = std::move(benchmarks);
  j["only_in_base"] = strings(c.only_in_base);
  j["only_in_candidate"] = strings(c.only_in_candidate);
  j["geomean_ratio"] = c.geomean_ratio;
  j["summary"] = {{"benchmarks", c.benchmarks.size()},
                  {"regressions", c.count(verdict::kRegression)},
                  {"improvements", c.count(verdict::kImprovement)},
                  {"unchanged", c.count(verdict::kUnchanged)},
                  {"inconclusive", c.count(verdict::kInconclusive)},
                  {"only_in_base", c.only_in_base.size()},
                  {"only_in_candidate", c.only_in_candidate.size()}};
  j["exit_status"] = c.exit_status();
  j["regression"] = c.exit_status() != 0;
  return j;
}

}  // namespace vm::harness
