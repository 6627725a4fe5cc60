// fingerprint.h - what a results file says about where its timings come
// from: the machine (CPU model, flags, core count, memory, kernel, frequency
// governor, transparent huge pages), the build (version, compiler, flags,
// git state, a hash of the binary) and the state of the system at run time
// (the warnings pyperf's `system show` and Google Benchmark's "CPU scaling
// is enabled" give).
//
// `vmbench compare` refuses to compare timings whose machine_differences()
// are not empty, and prints minor_differences() as warnings.
//
// Nothing here is fatal: a /proc or /sys file that cannot be read yields
// "unknown" (or 0, or no warning), never an exception or an error. Only
// pin_to_cpu() reports failure, because the caller asked for something
// that could not be done.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.h"

namespace vm::harness {

struct machine_fingerprint {
  std::string cpu_model = "unknown";   // /proc/cpuinfo "model name"
  std::vector<std::string> cpu_flags;  // /proc/cpuinfo "flags" of all processors, sorted, unique
  unsigned logical_cpus = 0;           // online CPUs; 0 when unknown
  uint64_t memory_bytes = 0;           // /proc/meminfo MemTotal; 0 when unknown
  std::string kernel = "unknown";      // uname(2): sysname release version machine
  std::string governor = "unknown";    // scaling_governor of the pinned cpu (or cpu0)
  std::string thp = "unknown";         // the [selected] transparent_hugepage/enabled mode
  std::string hostname = "unknown";    // uname(2) nodename
};

struct build_fingerprint {
  std::string vmbench_version = "unknown";
  std::string compiler = "unknown";    // "GNU 12.2.0"
  std::string flags = "unknown";       // CMAKE_CXX_FLAGS and the build type's flags
  std::string build_type = "unknown";  // CMAKE_BUILD_TYPE; empty when none was set
  std::string git_commit = "unknown";
  std::string git_branch = "unknown";
  std::string git_dirty = "unknown";    // "true", "false" or "unknown" (not a git checkout)
  std::string binary_hash = "unknown";  // "xxh3-128:<hex>" of /proc/self/exe
};

// How this run does its host memory work (core/simd, core/mem): chosen at
// start, and the share of guest RAM the host actually backed with huge
// pages, measured after the benchmarks were prepared.
struct host_memory_fingerprint {
  std::string memcpy_kernel = "unknown";  // the active kernel (core/simd)
  std::string memcpy_forced = "";         // VM_FORCE_MEMCPY / --memcpy, empty when not forced
  uint64_t non_temporal_threshold = 0;    // bytes
  std::string thp = "unknown";            // guest RAM's huge-page request: system, on, off
  int numa_node = -1;                     // guest RAM's node, -1: unbound
  unsigned numa_nodes = 0;                // nodes with memory
  bool numa_available = false;
  // Over every benchmark whose guest RAM was reported (mem engines):
  uint64_t guest_ram_resident_bytes = 0;
  uint64_t guest_ram_huge_bytes = 0;
  double guest_ram_huge_share = 0;  // huge / resident; 0 when nothing was resident
};

struct fingerprint {
  machine_fingerprint machine;
  build_fingerprint build;
  host_memory_fingerprint host_memory;
};

// The host memory layer's choices now (guest RAM figures left at 0).
host_memory_fingerprint read_host_memory_fingerprint();

// Reads everything now. `cpu` is the cpu the run is pinned to (its governor
// is recorded), or -1 for cpu0's.
fingerprint read_fingerprint(int cpu);

// The machine part, from explicit roots ("/proc" and "/sys" for the real
// thing; tests pass fake trees). The CPU model and flags come from
// <proc_root>/cpuinfo, memory from <proc_root>/meminfo, logical_cpus from
// <sys_root>/devices/system/cpu/online (sysconf(_SC_NPROCESSORS_ONLN) when
// that cannot be read), the governor from
// <sys_root>/devices/system/cpu/cpu<N>/cpufreq/scaling_governor and THP
// from <sys_root>/kernel/mm/transparent_hugepage/enabled. `kernel` and
// `hostname` always come from uname(2), whatever the roots.
machine_fingerprint read_machine_fingerprint(const std::string& proc_root = "/proc",
                                             const std::string& sys_root = "/sys", int cpu = -1);

// This binary's build: the compile definitions of the harness library,
// git_info.h and the hash of /proc/self/exe.
build_fingerprint read_build_fingerprint();

// {"machine": {...}, "build": {...}}, one JSON member per field under the
// field's name; cpu_flags is an array of strings.
nlohmann::json to_json(const fingerprint& fp);
// The inverse of to_json. Tolerant, never throws: a missing member, or one
// of the wrong type, keeps the field's default (the document was validated
// where it was read).
fingerprint fingerprint_from_json(const nlohmann::json& j);

// A readable, file-name-safe ([a-z0-9-] only) name for the machine: the CPU
// model as a lowercase slug without the vendor decorations ("(R)", "(TM)",
// "CPU", "Processor", "<N>-Core", "@ 2.10GHz") and the logical cpu count:
// "intel-xeon-platinum-8481c-2c", "amd-epyc-7b13-16c"; "unknown-cpu-<N>c"
// when the model is unknown.
std::string machine_name(const machine_fingerprint& m);

// What makes timings of `a` and `b` incomparable, one readable line each:
// "cpu model: A vs B", "cpu flags: +avx512f -sse4a" (+ is in b only, - in
// a only), "logical cpus: 2 vs 16". Empty when the machines match.
std::vector<std::string> machine_differences(const machine_fingerprint& a,
                                             const machine_fingerprint& b);

// What changed but does not stop a comparison, one line each ("kernel: A
// vs B", ...): kernel, governor, transparent huge pages, memory, compiler,
// compiler flags, build type, the memcpy kernel and guest RAM's huge-page
// request. Empty when none changed.
std::vector<std::string> minor_differences(const fingerprint& a, const fingerprint& b);

// The system-state warnings for a run on this machine with this build, one
// line each, read now (the roots are for tests):
//  - CPU frequency scaling: an online cpu's governor is not "performance";
//    Intel turbo (intel_pstate/no_turbo is 0) or cpufreq boost (boost is 1)
//    is enabled;
//  - load: the 1-minute load average is at least half the logical cpus;
//  - ASLR: kernel.randomize_va_space is not 2;
//  - the build is not optimised (build type other than Release or
//    RelWithDebInfo) or has sanitizers (-fsanitize in its flags);
//  - the git tree was dirty.
// A file that cannot be read gives no warning: only what was seen is
// reported. Empty when nothing is wrong.
std::vector<std::string> system_warnings(const fingerprint& fp,
                                         const std::string& proc_root = "/proc",
                                         const std::string& sys_root = "/sys");

// Pins the calling thread to `cpu` (sched_setaffinity). cpu < 0 chooses the
// last cpu of the current affinity mask, because cpu 0 usually takes the
// interrupts. Returns the cpu pinned to; on error (a cpu outside the
// affinity mask, a refused system call) the affinity is unchanged and the
// message names the cpu and the cpus allowed.
result<int> pin_to_cpu(int cpu);

}  // namespace vm::harness
