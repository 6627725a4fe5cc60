// engines.h - what one suite benchmark does when Google Benchmark times it
// (suite.h lists the engines). An engine is built once per run: prepare()
// loads its inputs, runs the work once untimed and returns the
// deterministic counters; time() is the Google Benchmark function, and
// every timed iteration checks that it reproduced those counters, so a
// nondeterministic or wrong core fails the benchmark instead of timing it.
#pragma once

#include <benchmark/benchmark.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.h"
#include "mem/host_memory.h"
#include "suite/suite.h"

namespace vm::harness {

struct engine_context {
  std::string root;           // trace paths are relative to this
  std::string workloads_tsv;  // the build's workload list (vmbench-exec, qemu)
  std::string qemu;           // qemu-riscv64
  std::string self;           // this vmbench binary (vmbench-exec)
  std::string scratch_dir;    // for the children's stats files
};

class benchmark_engine {
 public:
  virtual ~benchmark_engine() = default;

  // Loads the inputs and runs once, untimed. Returns the deterministic
  // counters as a flat JSON object of unsigned integers and strings.
  virtual result<nlohmann::json> prepare() = 0;
  // The timed body: one Google Benchmark repetition. Errors and counters
  // that differ from prepare()'s go to state.SkipWithError.
  virtual void time(benchmark::State& state) = 0;
  // True when time() reports the iteration time itself (child processes:
  // Google Benchmark's own CPU time would only see the parent).
  virtual bool manual_time() const noexcept { return false; }
  // Input files whose content the results fingerprint (root-relative).
  virtual std::vector<std::string> inputs() const { return {}; }
  // Work per iteration, for Google Benchmark's items_per_second (accesses,
  // instructions, lookups; 0: none).
  virtual uint64_t items_per_iteration() const noexcept { return 0; }
  // Bytes moved per iteration, for Google Benchmark's bytes_per_second
  // (memcpy engines; 0: none).
  virtual uint64_t bytes_per_iteration() const noexcept { return 0; }
  // How the host backed the benchmark's guest RAM in prepare() (huge-page
  // share, NUMA nodes: memory_report_json), or null. Not a counter: it
  // depends on the machine's state, not only on the input.
  virtual nlohmann::json host_memory() const { return nullptr; }
};

// A guest RAM report as results JSON: bytes, resident, huge, huge_share,
// thp (requested and the system's mode), numa node and pages per node.
nlohmann::json memory_report_json(const mem::memory_report& r);

result<std::unique_ptr<benchmark_engine>> make_engine(const suite_benchmark& benchmark,
                                                      const engine_context& context);

// The build's workload list: name<TAB>ELF<TAB>default args<TAB>small args.
struct workload_entry {
  std::string name;
  std::string path;
  std::vector<std::string> default_args;
  std::vector<std::string> small_args;
};
result<std::vector<workload_entry>> read_workload_list(const std::string& path);

}  // namespace vm::harness
