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
//   memcpy        host memory kernels (core/simd) on one size class, against
//                 glibc and a byte loop: {"engine": "memcpy", "op": ["copy"],
//                 "kernel": ["dispatched", "glibc", "byte", "avx2", ...;
//                 "supported": every kernel this CPU runs],
//                 "size": ["0-16", "17-64", "65-256", "257-2k", "2k-64k",
//                 "64k-l2", "l2-l3", "above-l3"], "distribution": ["fixed",
//                 "random"], "buffers": ["hot", "cold"], "alignment":
//                 ["aligned", "unaligned"]} (harness/run/memory_engines.h)
//   alloc         fixed-size object allocation: {"engine": "alloc",
//                 "allocator": ["pool", "malloc", "pmr-unsync", "pmr-sync"],
//                 "object_size": [64, 4096], "pattern": ["pairs", "batch"]}
// Benchmark names are stable and say what runs:
//   mem/recorded/sha256/page:4k/tlb:default, exec/recorded/sha256,
//   tlb-lookup/l1/lookups:16777216, vmbench-exec/sha256/small, qemu/sha256/small,
//   memcpy/copy/glibc/65-256/random/hot/unaligned, alloc/pool/64/pairs
// Trace paths are relative to the source tree the suite belongs to.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace vm::harness {

inline constexpr int kSuiteSchemaVersion = 1;

enum class engine_kind { kMem, kExec, kTlbLookup, kVmbenchExec, kQemu, kMemcpy, kAlloc };
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
  std::string size;       // vmbench-exec, qemu: "small" or "default"; memcpy: the size class
  std::string accelerate = "none";  // vmbench-exec: guest libc functions run natively
  std::string thp;           // mem: "", "on" or "off" (guest RAM huge pages; "": the default)
  std::string op;            // memcpy: "copy", "move" or "set"
  std::string kernel;        // memcpy: "dispatched", "glibc", "byte" or a kernel name
  std::string distribution;  // memcpy: "fixed" or "random"
  std::string buffers;       // memcpy: "hot" or "cold"
  std::string alignment;     // memcpy: "aligned" or "unaligned"
  std::string allocator;     // alloc: "pool", "malloc", "pmr-unsync", "pmr-sync"
  uint64_t object_size = 0;  // alloc: bytes
  std::string pattern;       // alloc: "pairs" or "batch"
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
