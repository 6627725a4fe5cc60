// suite_runner.h - `vmbench run --suite`: times every benchmark of a suite
// with Google Benchmark and returns the results document.
//
// How a run goes (each step is a promise the results rely on):
//  1. The thread is pinned to one CPU (the last one allowed, unless told).
//  2. Every benchmark is prepared: inputs loaded, the work done once
//     untimed (this is also the warm-up of code and allocator), and its
//     deterministic counters recorded. A failure here is bad input.
//  3. Repetitions run in rounds: each round registers every benchmark that
//     still needs a repetition (benchmark::RegisterBenchmark) in an order
//     shuffled by the suite's seed and the round number, and runs them once.
//     So repetitions of one benchmark are spread over the whole run, and a
//     burst of machine noise lands on many benchmarks a little instead of
//     on one a lot. The first round finds each benchmark's iteration count
//     from min_time; later rounds run exactly that count, so every sample
//     of a benchmark measures the same work.
//  4. Every timed iteration checks it reproduced the prepared counters.
//  5. The document is Google Benchmark JSON (context; benchmarks with every
//     repetition, then mean/median/stddev/cv aggregates) written by Google
//     Benchmark's own JSONReporter, plus a `vmbench` section
//     (fingerprint, input hashes, counters, warnings).
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"
#include "run/engines.h"
#include "suite/suite.h"

namespace vm::harness {

struct runner_options {
  engine_context context;
  int repetitions = 0;   // > 0: overrides the suite's and every entry's
  double min_time = -1;  // >= 0: overrides likewise
  int cpu = -1;          // -1: the last cpu of the affinity mask
  bool pin = true;
  std::FILE* progress = nullptr;  // progress and summary lines; nullptr: silent
  bool progress_is_tty = false;   // rewrite one line in place
};

struct run_outcome {
  nlohmann::json document;
  std::vector<std::string> errors;  // benchmarks that failed while timed (also in the document)
};

// Errors: a benchmark that cannot be prepared (names it and the cause).
result<run_outcome> run_suite(const suite& s, const runner_options& options);

}  // namespace vm::harness
