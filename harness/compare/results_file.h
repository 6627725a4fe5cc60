// results_file.h - reads what `vmbench compare` and `vmbench baseline`
// consume, validating it once, at the edge (STYLE.md rule 8):
//
//  - a results file of `vmbench run` (or `vmbench merge`): Google Benchmark
//    JSON (`context`, `benchmarks`) plus a `vmbench` section with its
//    schema_version, the suite, the fingerprint, per-benchmark
//    deterministic counters and the system-state warnings;
//  - a plain Google Benchmark JSON file (no `vmbench` section): timings
//    only, no fingerprint, no counters;
//  - a counters baseline (`baselines/counters/<suite>.json`, kind
//    "vmbench.counters"): counters only, no timings.
//
// Every problem is an error naming the file and the JSON field: a missing,
// truncated or non-JSON file, an unknown schema version, a benchmark entry
// without a name or a time. The caller turns it into exit status 2.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "run/fingerprint.h"

namespace vm::harness {

// Versions of the files this build reads and writes.
inline constexpr int kResultsSchemaVersion = 1;   // the `vmbench` section of a results file
inline constexpr int kCountersSchemaVersion = 1;  // a counters baseline

struct benchmark_result {
  std::string name;
  // One sample per repetition (Google Benchmark run_type "iteration"), in
  // nanoseconds per iteration, in file order. Aggregates are ignored:
  // compare recomputes them from the samples.
  std::vector<double> real_time_ns;
  std::vector<double> cpu_time_ns;
  // Deterministic counters: a flat JSON object of unsigned integers and
  // strings ("tlb.l1.misses": 1234, "register_hash": "xxh3-128:..."); null
  // when the file has none for this benchmark.
  nlohmann::json counters;
};

enum class results_kind { kResults, kGoogleBenchmark, kCounters };

struct results_file {
  std::string path;
  results_kind kind = results_kind::kResults;
  std::string suite;                         // empty for plain Google Benchmark JSON
  // When the run started, ISO 8601 UTC ("2026-11-24T21:08:01Z"): the
  // `vmbench.started` field, else Google Benchmark's `context.date` turned into UTC; empty
  // when the file has neither (a counters baseline).
  std::string started;
  std::optional<fingerprint> print;          // absent for plain Google Benchmark JSON and counters
  std::vector<std::string> warnings;         // the system-state warnings recorded by the run
  std::vector<benchmark_result> benchmarks;  // in file order, names unique

  const benchmark_result* find(const std::string& name) const noexcept;
};

// Reads and parses a JSON file; errors name the file and, for bad JSON, the
// byte (and say when the file is truncated).
result<nlohmann::json> read_json_file(const std::string& path);

result<results_file> load_results_file(const std::string& path);
// The same from an already parsed document (`path` only names it in messages).
result<results_file> parse_results(const nlohmann::json& doc, const std::string& path);

}  // namespace vm::harness
