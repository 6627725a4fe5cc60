// compare_format.tests.cpp - the outputs of `vmbench compare`: the terminal
// table (plain and coloured), Markdown, JUnit XML and JSON, each pinned by a
// golden file under tests/harness/golden/ (approval style: run with
// VMBENCH_UPDATE_GOLDEN=1 to rewrite them, then review the diff), plus the
// structural facts that hold whatever the layout: well-formed XML, one
// failure per regression, escaping, JSON round trips, colour only on
// request.

#include "compare/compare_format.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>
#include "support/files.h"

namespace {

using vm::test::read_text;
using vm::harness::benchmark_comparison;
using vm::harness::comparison;
using vm::harness::counter_change;
using vm::harness::verdict;
using json = nlohmann::json;

benchmark_comparison timed(std::string name, double base_ns, double candidate_ns, double ratio,
                           double low, double high, double p, double q, verdict timing) {
  benchmark_comparison b;
  b.name = std::move(name);
  b.min_effect_rule = "default";
  b.min_effect = 0.03;
  b.timing_compared = true;
  b.base_samples = 10;
  b.candidate_samples = 10;
  b.base_median_ns = base_ns;
  b.candidate_median_ns = candidate_ns;
  b.ratio = ratio;
  b.ratio_low = low;
  b.ratio_high = high;
  b.p_value = p;
  b.q_value = q;
  b.timing = timing;
  b.counters_compared = true;
  return b;
}

// Every kind of row: a timing regression (with a counter change that does
// not gate), an improvement, an unchanged benchmark whose name needs
// escaping everywhere, an inconclusive one with a note, one whose timing is
// unchanged but whose gating counter changed, one without samples, and
// benchmarks on one side only.
comparison mixed_comparison() {
  comparison c;
  c.base_path = "results/main.json";
  c.candidate_path = "results/pr-1234.json";
  c.suite = "core";
  c.warnings = {"kernel: 6.1.0-18-amd64 vs 6.1.0-21-amd64",
                "candidate: cpu3 governor is powersave, not performance"};

  benchmark_comparison sha = timed("exec/sha256", 1234500, 1303700, 1.056, 1.031, 1.074, 0.00042,
                                   0.0021, verdict::kRegression);
  sha.min_effect_rule = "rules[0] (^exec/)";
  sha.min_effect = 0.02;
  sha.counter_changes = {{"mem.bytes_read", "40960", "40992", "+32", false}};
  c.benchmarks.push_back(sha);

  c.benchmarks.push_back(timed("mem/gups", 85.37, 77.81, 0.9114, 0.8972, 0.9251, 0.0013, 0.0044,
                               verdict::kImprovement));
  c.benchmarks.push_back(timed("tlb/lookup|assoc<4>&co", 999.6, 1003.2, 1.0036, 0.9921, 1.0149,
                               0.61, 0.73, verdict::kUnchanged));

  benchmark_comparison coremark = timed("exec/qemu/coremark", 1.52e9, 1.5536e9, 1.0221, 0.9788,
                                        1.0634, 0.21, 0.42, verdict::kInconclusive);
  coremark.min_effect_rule = "rules[1] (qemu)";
  coremark.min_effect = 0.05;
  coremark.base_samples = coremark.candidate_samples = 5;
  coremark.note = "the 95% interval straddles the minimum effect; 5 repetitions are few";
  c.benchmarks.push_back(coremark);

  benchmark_comparison dhrystone = timed("exec/dhrystone", 52.31e6, 52.44e6, 1.0025, 0.9962, 1.0089,
                                         0.47, 0.66, verdict::kUnchanged);
  dhrystone.counter_changes = {{"instret", "1200", "1250", "+50", true},
                               {"output_hash", "xxh3-128:0f3a", "xxh3-128:9b2c", "", true}};
  dhrystone.counters_gate_failed = true;
  c.benchmarks.push_back(dhrystone);

  benchmark_comparison lackey;
  lackey.name = "replay/lackey-gcc";
  lackey.min_effect_rule = "default";
  lackey.candidate_samples = 5;
  lackey.candidate_median_ns = 4.2e6;
  lackey.note = "no timing samples in the base";
  lackey.counters_compared = true;
  c.benchmarks.push_back(lackey);

  c.only_in_base = {"exec/removed"};
  c.only_in_candidate = {"exec/new|fast"};
  c.geomean_ratio = 0.99613;
  return c;
}

// `vmbench compare` on results from two different machines: timings
// refused, counters still compared (a non-gating one changed), no suite.
comparison refused_comparison() {
  comparison c;
  c.base_path = "base.json";
  c.candidate_path = "cand.json";
  c.options.metric = "cpu_time";
  c.options.alpha = 0.01;
  c.options.fdr = "holm";
  c.machines_match = false;
  c.machine_differences = {
      "cpu model: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz vs AMD EPYC 7B13 64-Core Processor",
      "logical cpus: 2 vs 16"};
  c.timings_compared = false;
  for (const char* name : {"BM_memcpy/4096", "BM_memcpy/64"}) {
    benchmark_comparison b;
    b.name = name;
    b.min_effect_rule = "default";
    b.base_samples = b.candidate_samples = 10;
    b.base_median_ns = 312.5;  // measured, but not comparable: not shown as a timing
    b.candidate_median_ns = 287.25;
    b.note = "timings not compared: the machines differ";
    b.counters_compared = true;
    c.benchmarks.push_back(b);
  }
  c.benchmarks[0].counter_changes = {
      {"register_hash", "xxh3-128:0f3a", "xxh3-128:9b2c", "", false}};
  return c;
}

// Nothing to report: every benchmark unchanged, one of them sub-nanosecond.
comparison quiet_comparison() {
  comparison c;
  c.base_path = "a.json";
  c.candidate_path = "b.json";
  c.suite = "micro";
  c.benchmarks.push_back(
      timed("BM_empty", 0.4213, 0.4219, 1.0014, 0.9987, 1.0041, 0.8, 0.8, verdict::kUnchanged));
  c.benchmarks.push_back(timed("a_much_longer_benchmark_name/with/arguments:1024", 15.2e9, 15.3e9,
                               1.0066, 0.9991, 1.0142, 0.093, 0.186, verdict::kUnchanged));
  c.geomean_ratio = 1.004;
  return c;
}

struct named_case {
  const char* name;
  comparison c;
};

std::vector<named_case> all_cases() {
  return {{"mixed", mixed_comparison()},
          {"refused", refused_comparison()},
          {"quiet", quiet_comparison()}};
}

// All cases in one golden file, each under a "==== <case> ====" line.
std::string all_outputs(const std::function<std::string(const comparison&)>& format) {
  std::string out;
  for (const named_case& each : all_cases())
    out += std::string("==== ") + each.name + " ====\n" + format(each.c);
  return out;
}

// Compares `actual` with tests/harness/golden/<file>, or rewrites the file
// when VMBENCH_UPDATE_GOLDEN=1.
void check_golden(const std::string& file, const std::string& actual) {
  const std::string path = std::string(VMBENCH_SOURCE_DIR) + "/tests/harness/golden/" + file;
  const char* update = std::getenv("VMBENCH_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << actual;
    WARN("rewrote " << path);
    return;
  }
  const std::string expected = read_text(path);
  INFO("golden file " << path << " (VMBENCH_UPDATE_GOLDEN=1 rewrites it)");
  REQUIRE_FALSE(expected.empty());
  // Point at the first line that differs: the whole texts are long.
  std::istringstream expected_lines(expected), actual_lines(actual);
  std::string e, a;
  for (int line = 1; std::getline(expected_lines, e) && std::getline(actual_lines, a); ++line) {
    INFO("first difference at line " << line);
    REQUIRE(a == e);
  }
  CHECK(actual == expected);
}

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string without_ansi(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      i = text.find('m', i);
      continue;
    }
    out += text[i];
  }
  return out;
}

// The first reason `doc` is not well-formed XML, or "" when it is: tags
// nest and close in order, attribute values are quoted and hold no '<',
// '&' only starts a known entity or a character reference, no text outside
// the root element, and no character XML 1.0 forbids. Stricter than XML in
// one way, to check our escaping: a raw '>' or '\'' or '"' in text is a
// problem too.
std::string xml_problem(const std::string& doc) {
  const std::string prolog = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  if (doc.rfind(prolog, 0) != 0) return "no XML declaration";
  const auto name_char = [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.' ||
           ch == ':';
  };
  // Checks the reference at `i` ('&') and returns the index after it, or 0.
  const auto reference_end = [&](size_t i) -> size_t {
    const size_t semicolon = doc.find(';', i);
    if (semicolon == std::string::npos || semicolon - i > 10) return 0;
    const std::string entity = doc.substr(i + 1, semicolon - i - 1);
    static const std::set<std::string> kNamed = {"amp", "lt", "gt", "quot", "apos"};
    if (kNamed.count(entity)) return semicolon + 1;
    if (entity.size() >= 2 && entity[0] == '#') {
      const bool hex = entity[1] == 'x';
      const std::string digits = entity.substr(hex ? 2 : 1);
      if (digits.empty()) return 0;
      for (char ch : digits)
        if (!(hex ? std::isxdigit(static_cast<unsigned char>(ch))
                  : std::isdigit(static_cast<unsigned char>(ch))))
          return 0;
      const long code = std::stol(digits, nullptr, hex ? 16 : 10);
      if (code < 0x20 && code != 0x9 && code != 0xA && code != 0xD) return 0;
      return semicolon + 1;
    }
    return 0;
  };
  std::vector<std::string> open;
  bool root_closed = false;
  size_t i = prolog.size();
  while (i < doc.size()) {
    const char ch = doc[i];
    if (static_cast<unsigned char>(ch) < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
      return "control character at " + std::to_string(i);
    if (ch == '&') {
      const size_t end = reference_end(i);
      if (end == 0) return "bad reference at " + std::to_string(i);
      i = end;
      continue;
    }
    if (ch == '>' || ch == '"' || ch == '\'') return "unescaped character at " + std::to_string(i);
    if (ch != '<') {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(ch)))
        return "text outside the root at " + std::to_string(i);
      ++i;
      continue;
    }
    // A tag.
    const bool closing = i + 1 < doc.size() && doc[i + 1] == '/';
    size_t k = i + (closing ? 2 : 1);
    const size_t name_start = k;
    while (k < doc.size() && name_char(doc[k])) ++k;
    const std::string name = doc.substr(name_start, k - name_start);
    if (name.empty()) return "tag without a name at " + std::to_string(i);
    if (closing) {
      if (k >= doc.size() || doc[k] != '>') return "bad closing tag at " + std::to_string(i);
      if (open.empty() || open.back() != name)
        return "</" + name + "> closes " + (open.empty() ? "nothing" : "<" + open.back() + ">");
      open.pop_back();
      if (open.empty()) root_closed = true;
      i = k + 1;
      continue;
    }
    if (root_closed || (open.empty() && name != "testsuites")) return "second root <" + name + ">";
    std::set<std::string> attributes;
    for (;;) {
      while (k < doc.size() && doc[k] == ' ') ++k;
      if (k >= doc.size()) return "unterminated tag <" + name + ">";
      if (doc.compare(k, 2, "/>") == 0) {
        i = k + 2;
        break;
      }
      if (doc[k] == '>') {
        open.push_back(name);
        i = k + 1;
        break;
      }
      const size_t attribute_start = k;
      while (k < doc.size() && name_char(doc[k])) ++k;
      const std::string attribute = doc.substr(attribute_start, k - attribute_start);
      if (attribute.empty() || doc.compare(k, 2, "=\"") != 0)
        return "bad attribute in <" + name + "> at " + std::to_string(k);
      if (!attributes.insert(attribute).second) return "duplicate attribute " + attribute;
      for (k += 2; k < doc.size() && doc[k] != '"';) {
        const char v = doc[k];
        if (v == '<' || (static_cast<unsigned char>(v) < 0x20))
          return "raw '<' or control character in attribute " + attribute;
        if (v == '&') {
          k = reference_end(k);
          if (k == 0) return "bad reference in attribute " + attribute;
        } else {
          ++k;
        }
      }
      if (k >= doc.size()) return "unterminated attribute " + attribute;
      ++k;
    }
  }
  if (!open.empty()) return "<" + open.back() + "> never closed";
  if (!root_closed) return "no root element";
  return "";
}

// The value of attribute `name` in the first tag that starts with `tag`.
std::string attribute_of(const std::string& doc, const std::string& tag, const std::string& name) {
  const size_t at = doc.find(tag);
  if (at == std::string::npos) return "(no tag)";
  const size_t end = doc.find('>', at);
  const size_t attribute = doc.find(" " + name + "=\"", at);
  if (attribute == std::string::npos || attribute > end) return "(no attribute)";
  const size_t value = attribute + name.size() + 3;
  return doc.substr(value, doc.find('"', value) - value);
}

}  // namespace

TEST_CASE("the terminal table matches its golden file, plain and coloured", "[harness][compare]") {
  check_golden("compare.txt", all_outputs([](const comparison& c) {
                 return vm::harness::format_table(c, false);
               }));
  check_golden("compare.color.txt",
               all_outputs([](const comparison& c) { return vm::harness::format_table(c, true); }));
}

TEST_CASE("markdown matches its golden file", "[harness][compare]") {
  check_golden("compare.md", all_outputs(vm::harness::format_markdown));
}

TEST_CASE("JUnit XML matches its golden file", "[harness][compare]") {
  check_golden("compare.xml", all_outputs(vm::harness::format_junit));
}

TEST_CASE("JSON matches its golden file", "[harness][compare]") {
  check_golden("compare.json", all_outputs([](const comparison& c) {
                 return vm::harness::comparison_to_json(c).dump(2) + "\n";
               }));
}

TEST_CASE("durations scale their unit and keep 3 significant digits", "[harness][compare]") {
  using vm::harness::format_duration_ns;
  CHECK(format_duration_ns(0) == "0 ns");
  CHECK(format_duration_ns(0.4213) == "0.421 ns");
  CHECK(format_duration_ns(1) == "1.00 ns");
  CHECK(format_duration_ns(85.37) == "85.4 ns");
  CHECK(format_duration_ns(999.4) == "999 ns");
  CHECK(format_duration_ns(999.6) == "1.00 us");  // rounding carries into the next unit
  CHECK(format_duration_ns(1234.5) == "1.23 us");
  CHECK(format_duration_ns(99.96e3) == "100 us");  // carries into the next digit
  CHECK(format_duration_ns(52.31e6) == "52.3 ms");
  CHECK(format_duration_ns(1.5536e9) == "1.55 s");
  CHECK(format_duration_ns(1234e9) == "1234 s");
  CHECK(format_duration_ns(-1) == "-");
  CHECK(format_duration_ns(std::nan("")) == "-");
}

TEST_CASE("p and q values keep 2 significant digits and floor at <0.001", "[harness][compare]") {
  using vm::harness::format_probability;
  CHECK(format_probability(1) == "1.0");
  CHECK(format_probability(0.5) == "0.50");
  CHECK(format_probability(0.0123) == "0.012");
  CHECK(format_probability(0.0996) == "0.10");
  CHECK(format_probability(0.001) == "0.0010");
  CHECK(format_probability(0.00099) == "<0.001");
  CHECK(format_probability(0) == "<0.001");
  CHECK(format_probability(std::nan("")) == "-");
}

TEST_CASE("changes are signed percentages with one decimal", "[harness][compare]") {
  using vm::harness::format_change_percent;
  CHECK(format_change_percent(1.056) == "+5.6%");
  CHECK(format_change_percent(0.88) == "-12.0%");
  CHECK(format_change_percent(1) == "+0.0%");
  CHECK(format_change_percent(0.99999) == "+0.0%");  // never "-0.0%"
  CHECK(format_change_percent(2.5) == "+150.0%");
}

TEST_CASE("the table is coloured only when asked, and otherwise the same", "[harness][compare]") {
  for (const named_case& each : all_cases()) {
    CAPTURE(each.name);
    const std::string plain = vm::harness::format_table(each.c, false);
    const std::string coloured = vm::harness::format_table(each.c, true);
    CHECK(plain.find('\x1b') == std::string::npos);
    CHECK(coloured.find("\x1b[") != std::string::npos);
    CHECK(without_ansi(coloured) == plain);
  }
  const std::string coloured = vm::harness::format_table(mixed_comparison(), true);
  CHECK(coloured.find("\x1b[31mexec/sha256") != std::string::npos);         // regression: red
  CHECK(coloured.find("\x1b[32mmem/gups") != std::string::npos);            // improvement: green
  CHECK(coloured.find("\x1b[33mexec/qemu/coremark") != std::string::npos);  // inconclusive: yellow
  CHECK(coloured.find("\x1b[2mtlb/lookup") != std::string::npos);           // unchanged: dim
}

TEST_CASE("the table states the verdict counts, one-sided benchmarks and the exit status",
          "[harness][compare]") {
  const std::string text = vm::harness::format_table(mixed_comparison(), false);
  CHECK(text.find("6 benchmarks: 2 regressions, 1 improvement, 1 unchanged, 2 inconclusive; "
                  "geomean ratio 0.996\n") != std::string::npos);
  CHECK(text.find("\nonly in base (1): exec/removed\n") != std::string::npos);
  CHECK(text.find("\nonly in candidate (1): exec/new|fast\n") != std::string::npos);
  CHECK(text.find("\n  counter instret: 1200 -> 1250 (+50) [gates]\n") != std::string::npos);
  CHECK(text.find("\n  counter mem.bytes_read: 40960 -> 40992 (+32)\n") != std::string::npos);
  CHECK(text.substr(text.rfind('\n', text.size() - 2) + 1) == "result: REGRESSION (exit 1)\n");
  const std::string quiet = vm::harness::format_table(quiet_comparison(), false);
  CHECK(quiet.substr(quiet.rfind('\n', quiet.size() - 2) + 1) ==
        "result: no regression (exit 0)\n");
  // No line ends in spaces.
  CHECK(text.find(" \n") == std::string::npos);
}

TEST_CASE("timings that were not compared show '-' and the reason", "[harness][compare]") {
  const std::string text = vm::harness::format_table(refused_comparison(), false);
  CHECK(text.find("warning: machines differ: logical cpus: 2 vs 16\n") != std::string::npos);
  CHECK(text.find("warning: timings not compared: the machines differ") != std::string::npos);
  CHECK(text.find("312") == std::string::npos);  // the medians are not shown
  std::istringstream lines(text);
  std::string line;
  size_t rows = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("BM_memcpy/", 0) != 0) continue;
    ++rows;
    CHECK(occurrences(line, " - ") >= 5);
    CHECK(line.find("inconclusive  timings not compared: the machines differ") !=
          std::string::npos);
  }
  CHECK(rows == 2);
  CHECK(text.find("geomean ratio - (no timings compared)") != std::string::npos);
}

TEST_CASE("the table's columns widen to the longest benchmark name", "[harness][compare]") {
  comparison c = quiet_comparison();
  const std::string before = vm::harness::format_table(c, false);
  c.benchmarks[0].name = std::string(80, 'x');
  const std::string after = vm::harness::format_table(c, false);
  // Where the header's "candidate" starts, from the start of its line.
  const auto candidate_column = [](const std::string& text) {
    const size_t header = text.find("\nbenchmark ");
    return text.find("candidate", header) - header - 1;
  };
  const size_t longest = std::string("a_much_longer_benchmark_name/with/arguments:1024").size();
  CHECK(candidate_column(after) - candidate_column(before) == 80 - longest);
  // Every row of a table has the same width up to its verdict.
  std::istringstream lines(after);
  std::string line;
  std::set<size_t> verdict_columns;
  while (std::getline(lines, line))
    if (const size_t at = line.find("  unchanged"); at != std::string::npos)
      verdict_columns.insert(at);
  CHECK(verdict_columns.size() == 1);
}

TEST_CASE("JUnit XML is well-formed with one failure per regression", "[harness][compare]") {
  for (const named_case& each : all_cases()) {
    CAPTURE(each.name);
    const comparison& c = each.c;
    const std::string xml = vm::harness::format_junit(c);
    CHECK(xml_problem(xml) == "");
    const size_t skipped = c.only_in_base.size() + c.only_in_candidate.size();
    CHECK(occurrences(xml, "<testcase ") == c.benchmarks.size() + skipped);
    CHECK(occurrences(xml, "</testcase>") == c.benchmarks.size() + skipped);
    CHECK(occurrences(xml, "<failure ") == c.count(verdict::kRegression));
    CHECK(occurrences(xml, "<skipped ") == skipped);
    CHECK(attribute_of(xml, "<testsuite ", "failures") ==
          std::to_string(c.count(verdict::kRegression)));
    CHECK(attribute_of(xml, "<testsuites ", "failures") ==
          std::to_string(c.count(verdict::kRegression)));
    CHECK(attribute_of(xml, "<testsuite ", "tests") ==
          std::to_string(c.benchmarks.size() + skipped));
  }
  const std::string xml = vm::harness::format_junit(mixed_comparison());
  CHECK(attribute_of(xml, "<testsuite ", "name") == "vmbench.compare.core");
  CHECK(attribute_of(xml, "<testcase ", "classname") == "vmbench.core");
  CHECK(attribute_of(xml, "<testcase ", "time") == "0.001303700");
  CHECK(occurrences(xml, "type=\"regression\"") == 1);
  CHECK(occurrences(xml, "type=\"counter\"") == 1);
  // Inconclusive passes with a note: neither failed nor skipped.
  const size_t coremark = xml.find("name=\"exec/qemu/coremark\"");
  REQUIRE(coremark != std::string::npos);
  const std::string coremark_case =
      xml.substr(coremark, xml.find("</testcase>", coremark) - coremark);
  CHECK(coremark_case.find("<system-out>") != std::string::npos);
  CHECK(coremark_case.find("note: the 95% interval straddles") != std::string::npos);
  const std::string refused = vm::harness::format_junit(refused_comparison());
  CHECK(attribute_of(refused, "<testsuite ", "name") == "vmbench.compare");
  CHECK(attribute_of(refused, "<testcase ", "classname") == "vmbench.results");
}

TEST_CASE("JUnit escapes a hostile benchmark name", "[harness][compare]") {
  comparison c = mixed_comparison();
  c.benchmarks[0].name = "a<b>&\"c'\x01\x1f\td\n]]>\xff";
  c.benchmarks[0].note = "<script>&amp;";
  c.suite = "s&<";
  const std::string xml = vm::harness::format_junit(c);
  CHECK(xml_problem(xml) == "");
  CHECK(xml.find("name=\"a&lt;b&gt;&amp;&quot;c&apos;\\u0001\\u001f&#9;d&#10;]]&gt;\\xff\"") !=
        std::string::npos);
  CHECK(xml.find("note: &lt;script&gt;&amp;amp;") != std::string::npos);
  CHECK(attribute_of(xml, "<testsuite ", "name") == "vmbench.compare.s&amp;&lt;");
}

TEST_CASE("markdown puts regressions first and escapes table cells", "[harness][compare]") {
  const std::string md = vm::harness::format_markdown(mixed_comparison());
  CHECK(md.rfind("**Regression**: 2 of 6 benchmarks regressed", 0) == 0);
  const size_t details = md.find("<details><summary>All 6 benchmarks</summary>\n\n");
  REQUIRE(details != std::string::npos);
  CHECK(md.find("</details>\n") != std::string::npos);
  // The summary table: regressions, inconclusive, improvements; no unchanged.
  const std::string summary = md.substr(0, details);
  const size_t sha = summary.find("| `exec/sha256` |");
  const size_t dhrystone = summary.find("| `exec/dhrystone` |");
  const size_t coremark = summary.find("| `exec/qemu/coremark` |");
  const size_t lackey = summary.find("| `replay/lackey-gcc` |");
  const size_t gups = summary.find("| `mem/gups` |");
  CHECK(sha < dhrystone);
  CHECK(dhrystone < coremark);
  CHECK(coremark < lackey);
  CHECK(lackey < gups);
  CHECK(gups != std::string::npos);
  CHECK(summary.find("tlb/lookup") == std::string::npos);
  // Every table row has exactly the header's number of unescaped pipes.
  const std::string all = md.substr(details);
  CHECK(all.find("| `tlb/lookup\\|assoc<4>&co` |") != std::string::npos);
  std::istringstream lines(md);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '|') continue;
    size_t pipes = 0;
    for (size_t i = 0; i < line.size(); ++i)
      if (line[i] == '|' && (i == 0 || line[i - 1] != '\\')) ++pipes;
    CAPTURE(line);
    CHECK(pipes == 10);
  }
  CHECK(vm::harness::format_markdown(quiet_comparison()).rfind("No regression: 2 benchmarks", 0) ==
        0);
}

TEST_CASE("JSON round-trips and carries every verdict, count and change", "[harness][compare]") {
  for (const named_case& each : all_cases()) {
    CAPTURE(each.name);
    const json j = vm::harness::comparison_to_json(each.c);
    CHECK(json::parse(j.dump()) == j);
    CHECK(j["schema_version"] == 1);
    CHECK(j["kind"] == "vmbench.compare");
    CHECK(j["exit_status"] == each.c.exit_status());
    CHECK(j["summary"]["regressions"] == each.c.count(verdict::kRegression));
    CHECK(j["benchmarks"].size() == each.c.benchmarks.size());
  }
  const json j = vm::harness::comparison_to_json(mixed_comparison());
  const json& dhrystone = j["benchmarks"][4];
  CHECK(dhrystone["name"] == "exec/dhrystone");
  CHECK(dhrystone["timing"] == "unchanged");
  CHECK(dhrystone["verdict"] == "regression");
  CHECK(dhrystone["counters_gate_failed"] == true);
  CHECK(dhrystone["counter_changes"][0] == json({{"name", "instret"},
                                                 {"base", "1200"},
                                                 {"candidate", "1250"},
                                                 {"delta", "+50"},
                                                 {"gates", true}}));
  CHECK(j["benchmarks"][0]["ratio"].is_number_float());
  CHECK(j["benchmarks"][0]["base_samples"] == 10);
  CHECK(j["summary"]["inconclusive"] == 2);
  CHECK(j["only_in_candidate"] == json({"exec/new|fast"}));
  CHECK(j["regression"] == true);

  // Bytes that are not UTF-8 (a file name can hold any) cannot make dump() throw.
  comparison odd = mixed_comparison();
  odd.base_path = "results/\xff\xfe.json";
  CHECK(vm::harness::comparison_to_json(odd)["base_path"] ==
        "results/\xEF\xBF\xBD\xEF\xBF\xBD.json");
  CHECK_NOTHROW(vm::harness::comparison_to_json(odd).dump());
}
