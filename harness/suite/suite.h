// suite.h - a benchmark suite (harness/suites/<name>.json): which traces,
// engines and memory configurations `vmbench run --suite` times, and how
// (repetitions, minimum time, warm-up, the seed of the interleaving order).
//
//   {
//     "schema_version": 1,
//     "name": "quick",
//     "description": "...",
//     "repetitions": 10, "min_time": 0.05, "warmup": 0, "seed": 1,
//     "benchmarks": [
//       {"engine": "mem", "traces": ["traces/recorded/sha256.mem.vmt"],
//        "page_size": ["4k", "2m"], "tlb": ["default"]},
//       {"engine": "exec", "traces": ["traces/recorded/sha256.exec.vmt"]},
//       {"engine": "tlb-lookup", "lookups": 16777216},
//       {"engine": "vmbench-exec", "workloads": ["sha256"], "size": "small"},
//       {"engine": "qemu", "workloads": ["sha256"], "size": "small"}
//     ]
//   }
//
// An entry expands to the cross product of its lists; every entry may
// override repetitions, min_time and warmup. Engines:
//   mem           replay a mem trace through TLB -> Sv39 walker -> guest RAM
//                 (core/replay); timed: the replay of every record, decoding
//                 excluded
//   exec          re-execute an exec trace with the interpreter and check its
//                 final digest (core/record); timed: the whole re-execution
//   tlb-lookup    the bare L1 TLB hit path alone: the floor a mem replay's
//                 time per access compares against
//   vmbench-exec  `vmbench exec` a workload as a child process (whole-process
//                 wall time), the peer of:
//   qemu          qemu-riscv64 on the same workload and arguments: the anchor
// Benchmark names are stable and say what runs:
//   mem/recorded/sha256/page:4k/tlb:default, exec/recorded/sha256,
//   tlb-lookup/l1/lookups:16777216, vmbench-exec/sha256/small, qemu/sha256/small
// Trace paths are relative to the source tree the suite belongs to.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace vm::harness {

inline constexpr int kSuiteSchemaVersion = 1;

enum class engine_kind { kMem, kExec, kTlbLookup, kVmbenchExec, kQemu };
const char* engine_name(engine_kind e) noexcept;

// One benchmark, after expansion.
struct suite_benchmark {
  std::string name;
  engine_kind engine = engine_kind::kMem;
  std::string trace;      // mem, exec: as written in the suite (relative to the root)
  std::string page_size;  // mem: "4k", "2m", "1g" or "recorded"
  std::string tlb;        // mem: a tlb_config string ("default")
  uint64_t lookups = 0;   // tlb-lookup
  std::string workload;   // vmbench-exec, qemu
  std::string size;       // vmbench-exec, qemu: "small" or "default"
  int repetitions = 10;
  double min_time = 0.05;  // seconds per repetition
  double warmup = 0;       // seconds of untimed iterations before each repetition
};

struct suite {
  std::string name;
  std::string description;
  std::string path;  // the file it came from
  int repetitions = 10;
  double min_time = 0.05;
  double warmup = 0;
  uint64_t seed = 1;
  std::vector<suite_benchmark> benchmarks;  // in suite order, names unique
};

// Parses and expands a suite; errors name the file and the JSON field
// ("quick.json: benchmarks[2].engine: unknown engine 'jit'").
result<suite> parse_suite(const std::string& text, const std::string& path);
result<suite> load_suite(const std::string& path);

// NAME -> <suites_dir>/NAME.json; anything with a '/' or ending in ".json"
// is a path as given.
std::string suite_path(const std::string& name_or_path, const std::string& suites_dir);

}  // namespace vm::harness
