// thresholds.tests.cpp - baselines/thresholds.json: the built-in defaults,
// first-match rule selection, inheritance from "default", which counters
// gate, every malformed file refused naming the field, and the shipped file
// (which must parse, and whose every rule must match a benchmark of the
// nightly suite, so a renamed benchmark cannot leave a dead rule behind).

#include "compare/thresholds.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "suite/suite.h"
#include "support/child_process.h"

using namespace vm::harness;

namespace {

const std::string kSourceDir = VMBENCH_SOURCE_DIR;

thresholds parse_ok(const std::string& text) {
  auto t = parse_thresholds(text, "thresholds.json");
  INFO(text);
  INFO((t.ok() ? std::string() : t.err().message));
  REQUIRE(t.ok());
  return std::move(t).value();
}

}  // namespace

TEST_CASE("the built-in thresholds ask for 3 % and gate every counter", "[harness][thresholds]") {
  const thresholds t = default_thresholds();
  CHECK(t.rules.empty());
  CHECK(t.defaults.min_effect == kDefaultMinEffect);
  CHECK(kDefaultMinEffect == 0.03);
  const std::string benchmark =
      GENERATE(as<std::string>{}, "mem/recorded/sha256/page:4k/tlb:default", "exec/recorded/sha256",
               "qemu/sha256/small", "");
  CAPTURE(benchmark);
  CHECK(&t.rule_for(benchmark) == &t.defaults);
  CHECK(t.rule_for(benchmark).min_effect == 0.03);
  CHECK(t.rule_name(benchmark) == "default");
  for (const char* counter : {"instret", "tlb.l1.misses", "register_hash", ""}) {
    CAPTURE(counter);
    CHECK(t.counter_gates(benchmark, counter));
  }
}

TEST_CASE("the first rule whose regular expression finds the benchmark wins",
          "[harness][thresholds]") {
  const thresholds t = parse_ok(R"({
    "schema_version": 1,
    "rules": [
      {"match": "^exec/", "min_effect": 0.05, "reason": "interpreter noise"},
      {"match": "exec", "min_effect": 0.10},
      {"match": "sha256", "min_effect": 0.20}
    ]})");
  REQUIRE(t.rules.size() == 3);
  CHECK(t.rules[0].match == "^exec/");
  // Both the first and the third match: the first wins.
  CHECK(t.rule_for("exec/recorded/sha256").min_effect == 0.05);
  CHECK(t.rule_name("exec/recorded/sha256") == "rules[0] (^exec/)");
  // regex_search, not a whole-name match: "exec" inside the name.
  CHECK(t.rule_for("vmbench-exec/sha256/small").min_effect == 0.10);
  CHECK(t.rule_name("vmbench-exec/sha256/small") == "rules[1] (exec)");
  CHECK(t.rule_for("qemu/sha256/small").min_effect == 0.20);
  CHECK(t.rule_name("qemu/sha256/small") == "rules[2] (sha256)");
  CHECK(t.rule_for("tlb-lookup/l1/lookups:16777216").min_effect == 0.03);
  CHECK(t.rule_name("tlb-lookup/l1/lookups:16777216") == "default");
}

TEST_CASE("a rule inherits from default what it does not set", "[harness][thresholds]") {
  // "rules" before "default" in the text: inheritance does not depend on order.
  const thresholds t = parse_ok(R"({
    "rules": [
      {"match": "^mem/", "min_effect": 0.1},
      {"match": "^qemu/", "gate_counters": "^(exit_status|output_hash)$"},
      {"match": "^exec/"}
    ],
    "default": {"min_effect": 0.02, "gate_counters": "^tlb\\."},
    "schema_version": 1,
    "comment": "test"})");
  CHECK(t.defaults.min_effect == 0.02);
  CHECK(t.defaults.gate_counters == "^tlb\\.");

  // min_effect set, gates inherited.
  CHECK(t.rule_for("mem/a/page:4k/tlb:default").min_effect == 0.1);
  CHECK(t.rule_for("mem/a/page:4k/tlb:default").gate_counters == "^tlb\\.");
  CHECK(t.counter_gates("mem/a/page:4k/tlb:default", "tlb.l1.misses"));
  CHECK_FALSE(t.counter_gates("mem/a/page:4k/tlb:default", "tlbXmisses"));
  CHECK_FALSE(t.counter_gates("mem/a/page:4k/tlb:default", "instret"));

  // gates set, min_effect inherited.
  CHECK(t.rule_for("qemu/sha256/small").min_effect == 0.02);
  CHECK(t.counter_gates("qemu/sha256/small", "exit_status"));
  CHECK(t.counter_gates("qemu/sha256/small", "output_hash"));
  CHECK_FALSE(t.counter_gates("qemu/sha256/small", "exit_status_2"));
  CHECK_FALSE(t.counter_gates("qemu/sha256/small", "tlb.l1.misses"));

  // Nothing set: everything inherited.
  CHECK(t.rule_for("exec/recorded/sha256").min_effect == 0.02);
  CHECK(t.rule_name("exec/recorded/sha256") == "rules[2] (^exec/)");
  CHECK(t.counter_gates("exec/recorded/sha256", "tlb.l1.hits"));
  CHECK_FALSE(t.counter_gates("exec/recorded/sha256", "instret"));

  // No rule: default.
  CHECK(t.rule_for("tlb-lookup/l1/lookups:1024").min_effect == 0.02);
  CHECK(t.counter_gates("tlb-lookup/l1/lookups:1024", "tlb.x"));
  CHECK_FALSE(t.counter_gates("tlb-lookup/l1/lookups:1024", "lookups"));
}

TEST_CASE("a file without default keeps the built-in 3 % and every counter gating",
          "[harness][thresholds]") {
  const thresholds t =
      parse_ok(R"({"schema_version": 1, "rules": [{"match": "^x/", "min_effect": 0.5}]})");
  CHECK(t.defaults.min_effect == 0.03);
  CHECK(t.counter_gates("y/b", "anything"));
  CHECK(t.rule_for("x/a").min_effect == 0.5);
  CHECK(t.counter_gates("x/a", "anything"));
  const thresholds empty = parse_ok(R"({"schema_version": 1})");
  CHECK(empty.rules.empty());
  CHECK(empty.defaults.min_effect == 0.03);
  CHECK(empty.counter_gates("b", "c"));
}

TEST_CASE("an empty gate_counters gates no counter", "[harness][thresholds]") {
  SECTION("in default, inherited by rules") {
    const thresholds t = parse_ok(R"({"schema_version": 1,
      "default": {"gate_counters": ""},
      "rules": [{"match": "^exec/", "min_effect": 0.05},
                {"match": "^mem/", "gate_counters": "misses"}]})");
    for (const char* counter : {"instret", "register_hash", "", "misses"}) {
      CAPTURE(counter);
      CHECK_FALSE(t.counter_gates("tlb-lookup/l1/lookups:1024", counter));
      CHECK_FALSE(t.counter_gates("exec/recorded/sha256", counter));
    }
    CHECK(t.counter_gates("mem/a/page:4k/tlb:default", "tlb.l1.misses"));
    CHECK_FALSE(t.counter_gates("mem/a/page:4k/tlb:default", "instret"));
  }
  SECTION("in one rule only") {
    const thresholds t = parse_ok(R"({"schema_version": 1,
      "rules": [{"match": "^qemu/", "gate_counters": ""}]})");
    CHECK_FALSE(t.counter_gates("qemu/sha256/small", "exit_status"));
    CHECK(t.counter_gates("vmbench-exec/sha256/small", "exit_status"));
  }
}

TEST_CASE("a malformed thresholds file is refused naming the field", "[harness][thresholds]") {
  const auto [what, text, message] = GENERATE(table<std::string, std::string, std::string>({
      {"not JSON", R"({"schema_version": 1,)", "not valid JSON"},
      {"not an object", "[]", "expected a JSON object"},
      {"wrong schema_version", R"({"schema_version": 2})", "schema_version: missing or not 1"},
      {"missing schema_version", R"({"default": {"min_effect": 0.03}})",
       "schema_version: missing or not 1"},
      {"schema_version as text", R"({"schema_version": "1"})", "schema_version: missing or not 1"},
      {"unknown top-level key", R"({"schema_version": 1, "rule": []})", "rule: unknown key"},
      {"typo in default", R"({"schema_version": 1, "default": {"min_efect": 0.5}})",
       "default.min_efect: unknown key"},
      {"typo in a rule",
       R"({"schema_version": 1, "rules": [{"match": "a"}, {"match": "b", "gate_counter": ""}]})",
       "rules[1].gate_counter: unknown key"},
      {"match in default", R"({"schema_version": 1, "default": {"match": "x"}})",
       "default.match: unknown key"},
      {"min_effect of 1", R"({"schema_version": 1, "default": {"min_effect": 1}})",
       "default.min_effect: expected a number in [0, 1) (0.03 = 3 %)"},
      {"negative min_effect",
       R"({"schema_version": 1, "rules": [{"match": "a", "min_effect": -0.01}]})",
       "rules[0].min_effect: expected a number in [0, 1) (0.03 = 3 %)"},
      {"min_effect in percent",
       R"({"schema_version": 1, "rules": [{"match": "a", "min_effect": 3}]})",
       "rules[0].min_effect: expected a number in [0, 1) (0.03 = 3 %)"},
      {"min_effect as text", R"({"schema_version": 1, "default": {"min_effect": "0.03"}})",
       "default.min_effect: expected a number in [0, 1) (0.03 = 3 %)"},
      {"gate_counters not a string", R"({"schema_version": 1, "default": {"gate_counters": true}})",
       "default.gate_counters: expected a regular expression string"},
      {"bad regex in gate_counters",
       R"({"schema_version": 1, "default": {"gate_counters": "[a-"}})",
       "default.gate_counters: bad regular expression '[a-': "},
      {"bad regex in a rule's gate_counters",
       R"({"schema_version": 1, "rules": [{"match": "a", "gate_counters": "(x"}]})",
       "rules[0].gate_counters: bad regular expression '(x': "},
      {"bad regex in match", R"({"schema_version": 1, "rules": [{"match": "^(exec"}]})",
       "rules[0].match: bad regular expression '^(exec': "},
      {"missing match", R"({"schema_version": 1, "rules": [{"match": "a"}, {"min_effect": 0.1}]})",
       "rules[1].match: missing (a regular expression over benchmark names)"},
      {"match not a string", R"({"schema_version": 1, "rules": [{"match": 3}]})",
       "rules[0].match: missing (a regular expression over benchmark names)"},
      {"rules not an array", R"({"schema_version": 1, "rules": {"match": "a"}})",
       "rules: expected an array"},
      {"a rule not an object", R"({"schema_version": 1, "rules": ["^exec/"]})",
       "rules[0]: expected an object"},
      {"default not an object", R"({"schema_version": 1, "default": 0.03})",
       "default: expected an object"},
  }));
  CAPTURE(what, text);
  auto t = parse_thresholds(text, "dir/thresholds.json");
  REQUIRE_FALSE(t.ok());
  CAPTURE(t.err().message);
  CHECK(t.err().code == vm::error_code::kBadInput);
  CHECK(t.err().message.rfind("dir/thresholds.json: " + message, 0) == 0);
}

TEST_CASE("a thresholds file that cannot be opened is an I/O error naming it",
          "[harness][thresholds]") {
  vm::test::scratch_dir dir;
  auto t = load_thresholds(dir.file("absent.json"));
  REQUIRE_FALSE(t.ok());
  CHECK(t.err().code == vm::error_code::kIo);
  CHECK(t.err().message == dir.file("absent.json") + ": cannot open the thresholds file");

  const std::string path = dir.file("t.json");
  {
    std::ofstream out(path, std::ios::binary);
    out << R"({"schema_version": 1, "default": {"min_efect": 0.1}})";
  }
  auto bad = load_thresholds(path);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.err().message == path + ": default.min_efect: unknown key");
}

TEST_CASE("the shipped baselines/thresholds.json parses and loosens only the noisy benchmarks",
          "[harness][thresholds]") {
  auto loaded = load_thresholds(kSourceDir + "/baselines/thresholds.json");
  INFO((loaded.ok() ? std::string() : loaded.err().message));
  REQUIRE(loaded.ok());
  const thresholds& t = loaded.value();
  CHECK(t.defaults.min_effect == 0.03);
  CHECK(t.rule_for("mem/recorded/sha256/page:4k/tlb:default").min_effect == 0.03);
  CHECK(t.rule_name("mem/recorded/sha256/page:4k/tlb:default") == "default");
  CHECK(t.rule_for("exec/recorded/sha256").min_effect == 0.05);  // process-to-process spread (SIGNAL.md)
  CHECK(t.rule_for("qemu/sha256/small").min_effect == 0.05);
  CHECK(t.rule_for("vmbench-exec/sha256/small").min_effect == 0.05);
  CHECK(t.rule_for("tlb-lookup/l1/lookups:16777216").min_effect == 0.05);
  CHECK(t.rule_name("tlb-lookup/l1/lookups:16777216") == "rules[2] (^tlb-lookup/)");
  // Every counter of every benchmark gates: counters are exact.
  CHECK(t.counter_gates("qemu/sha256/small", "exit_status"));
  CHECK(t.counter_gates("mem/recorded/sha256/page:4k/tlb:default", "tlb.l1.misses"));

  // Every rule matches at least one benchmark of the nightly suite.
  auto nightly = load_suite(kSourceDir + "/harness/suites/nightly.json");
  REQUIRE(nightly.ok());
  for (size_t i = 0; i < t.rules.size(); ++i) {
    CAPTURE(i, t.rules[i].match);
    bool used = false;
    for (const suite_benchmark& b : nightly.value().benchmarks)
      used |= t.rule_name(b.name).rfind(std::string("rules[") + std::to_string(i) + "]", 0) == 0;
    CHECK(used);
  }
}
