// generators.h - seeded, deterministic synthetic `mem` traces (`vmbench
// trace gen PATTERN`): the access patterns TLB and cache studies use as
// anchors (sequential, strided, uniform, Zipfian, pointer chasing,
// hot/cold, several cpus sharing data).
//
// Determinism contract: the same options give the same records on every
// machine. Only raw 64-bit outputs of xoshiro256** (seeded through
// splitmix64) are used, with our own bounded-integer (Lemire) and [0, 1)
// double (53 bits) conversions; no <random> distribution, whose output
// differs between standard libraries. The Zipf sampler (Hörmann and
// Derflinger's rejection-inversion, exact for any N) also calls log1p,
// expm1, log and exp, which glibc computes to within one ulp on every
// architecture; a sample can only change if a draw lands within an ulp of a
// bucket edge.
//
// Layout: data lies in [kGenDataBase, kGenDataBase + footprint), instruction
// fetches (--fetch-every) in [kGenCodeBase, kGenCodeBase + kGenCodeBytes),
// both far below 2^38 (the Sv39 user half). The page map covers exactly
// those two ranges, "rw-" and "r-x", in 4 KiB pages.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "trace/trace_format.h"
#include "trace/trace_metadata.h"

namespace vm::trace {

inline constexpr uint64_t kGenDataBase = 0x40000000;  // 1 GiB
inline constexpr uint64_t kGenCodeBase = 0x10000;
inline constexpr uint64_t kGenCodeBytes = 16 << 10;  // fetched 4 bytes at a time, wrapping
inline constexpr uint64_t kGenMaxFootprint = 128ull << 30;
inline constexpr uint64_t kGenLineBytes = 64;  // pointer-chase node, zipf "line" unit
inline constexpr uint32_t kGenMaxCpus = 256;
// Bumped whenever a pattern's output changes: part of the workload hash.
inline constexpr int kGeneratorVersion = 1;

enum class gen_pattern : uint8_t {
  kSequential,    // consecutive access_size slots, wrapping at the footprint
  kStrided,       // every stride bytes, wrapping at the footprint
  kUniform,       // uniformly random aligned slot
  kZipf,          // rank k (0 = hottest) page/line at base + k * unit, P(k) ~ 1/(k+1)^alpha
  kPointerChase,  // a random cyclic order of 64-byte nodes; 8-byte reads at each node
  kHotCold,       // hot_bytes at the base get hot_fraction of accesses, the rest are cold
  kMultiCpu,      // cpus take turns; each has a private region, all share one
};

std::string_view pattern_name(gen_pattern p) noexcept;
// "sequential", "strided", "uniform", "zipf", "pointer-chase", "hot-cold", "multi-cpu".
result<gen_pattern> parse_pattern(std::string_view name);
// Every pattern name, for help texts.
const std::vector<std::string_view>& pattern_names();

// "4096", "4k", "64m", "1g", "2t" (binary multiples, case-insensitive, an
// optional "b"/"ib" after the letter). Errors name `what`.
result<uint64_t> parse_byte_size(std::string_view text, std::string_view what);

struct gen_options {
  gen_pattern pattern = gen_pattern::kSequential;
  uint64_t records = 1'000'000;  // all records, fetches included
  uint64_t seed = 1;
  uint64_t footprint = 64ull << 20;
  uint64_t stride = 4096;  // strided only
  uint32_t access_size = 8;
  double write_ratio = 0;        // probability that a data access is a write
  uint32_t cpus = 0;             // 0: the pattern's default (4 for multi-cpu, else 1)
  double alpha = 0.99;           // zipf
  uint64_t zipf_unit = 4096;     // zipf: 4096 (pages) or kGenLineBytes (lines)
  uint64_t hot_bytes = 0;        // hot-cold: 0 means footprint / 8
  double hot_fraction = 0.9;     // hot-cold
  double shared_fraction = 0.1;  // multi-cpu
  uint64_t fetch_every = 0;      // > 0: one fetch record after every K data records
};

// Checks every option against the pattern and fills the defaults (cpus,
// hot_bytes). Errors name the option as the command line spells it.
result<gen_options> resolve_gen_options(gen_options options);

// The parameters as JSON (the metadata's "extra"); its compact dump, with
// sorted keys, is the canonical parameter string the workload hash covers.
nlohmann::json gen_parameters(const gen_options& resolved);
// The page map: the data range "rw-", and the code range "r-x" when
// fetch_every > 0.
std::vector<page_range> gen_page_map(const gen_options& resolved);

// xoshiro256** (Blackman and Vigna), seeded through splitmix64.
class gen_random {
 public:
  explicit gen_random(uint64_t seed) noexcept;
  uint64_t next() noexcept;
  // Uniform in [0, bound) (bound > 0), Lemire's multiply-and-reject.
  uint64_t below(uint64_t bound) noexcept;
  // Uniform in [0, 1): the top 53 bits of one output.
  double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t s_[4];
};

// Produces the records of resolved options one at a time, in O(1) memory
// for every pattern.
class record_generator {
 public:
  explicit record_generator(const gen_options& resolved);
  // False once `records` records have been produced.
  bool next(record& out) noexcept;

 private:
  uint64_t data_address() noexcept;
  uint64_t zipf_rank() noexcept;  // 0-based
  uint64_t chase_permute(uint64_t x) const noexcept;

  gen_options o_;
  gen_random random_;
  uint64_t produced_ = 0;
  uint64_t data_produced_ = 0;
  uint64_t fetches_ = 0;
  uint16_t last_cpu_ = 0;
  uint64_t slots_ = 0;  // sequential/strided/uniform: accesses that fit the footprint
  // zipf (rejection-inversion constants)
  double zipf_n_ = 0, h_x1_ = 0, h_n_ = 0, zipf_s_ = 0;
  // pointer-chase (a 4-round Feistel permutation of [0, 2^(2*half_bits_)))
  uint64_t chase_keys_[4] = {};
  unsigned half_bits_ = 1;
  // multi-cpu
  uint64_t region_bytes_ = 0;
};

// Generates the trace into `path` (a temporary file renamed into place on
// success; nothing is left behind on failure). `base` supplies command and
// producer; everything else in the metadata is filled here: source "gen",
// workload name = the pattern, workload hash = hash_bytes(canonical
// parameters), extra = gen_parameters().
error write_generated_trace(const std::string& path, const gen_options& options,
                            trace_metadata base);

}  // namespace vm::trace
