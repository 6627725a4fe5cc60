// tlb_config.h - a TLB design as text, as `vmbench replay --tlb` and suite
// files give it: `key=value[,key=value...]`, or a design's bare name.
//
//   default                       the core's built-in L1 (16384x1, mmu::default_tlb)
//   l1=SxW[,l2=SxW[,l3=SxW]]      the unified hierarchy (design=hierarchy implied)
//       [,fill=inclusive|exclusive][,repl=POLICY][,prefetch=none|stride|markov|distance]
//       [,pb=N][,degree=N][,latency=N][,seed=N]
//   qemu[,entries=N][,resize=on|off][,window=N]       QEMU's softmmu TLB (+ 8-entry victim TLB)
//   sharded[,l1=SxW][,shards=N]   one table shared by all vCPUs, a lock per shard
//   lockfree[,l1=SxW]             one shared table, per-entry sequence counters
//   percpu[,l1=SxW][,l2=SxW]      a private TLB per vCPU, shootdowns on flushes
// (`design=NAME` may be written instead of a bare name.) S is a number of
// sets (a power of two), W of ways; l1=64x4 is 256 entries.
//
// The parser validates everything the designs need (geometry, names of
// policies and prefetchers); errors name the bad part and the accepted form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "tlb/hierarchy.h"

namespace vm::tlb {

enum class design_kind : uint8_t { kDefault, kHierarchy, kQemu, kSharded, kLockFree, kPerCpu };
const char* design_name(design_kind kind) noexcept;

struct level_geometry {
  unsigned sets = 0;
  unsigned ways = 0;
  unsigned entries() const noexcept { return sets * ways; }
  friend bool operator==(const level_geometry&, const level_geometry&) = default;
};

inline constexpr unsigned kMaxTlbLevels = 3;
inline constexpr unsigned kMaxFrontWays = 16;
inline constexpr unsigned kMaxLevelWays = 64;
inline constexpr unsigned kMaxLevelEntries = 1u << 22;

struct tlb_config {
  design_kind design = design_kind::kDefault;
  level_geometry levels[kMaxTlbLevels] = {};  // l1, l2, l3 (sets == 0: absent)
  unsigned level_count = 0;
  fill_policy fill = fill_policy::kInclusive;
  std::string repl = "lru";
  std::string prefetch = "none";
  unsigned prefetch_buffer = 16;
  unsigned prefetch_degree = 2;
  uint64_t prefetch_latency = 16;
  uint64_t seed = 1;
  // qemu
  unsigned qemu_entries = 256;  // initial size (QEMU's CPU_TLB_DYN_DEFAULT_BITS = 8)
  bool qemu_resize = true;
  uint64_t qemu_window = uint64_t{1} << 20;
  // sharded
  unsigned shards = 16;

  // Total entries over every level (the QEMU design: its table plus the
  // 8-entry victim TLB).
  uint64_t total_entries() const noexcept;
  friend bool operator==(const tlb_config&, const tlb_config&) = default;
};

// The canonical text: every key the design uses, in a fixed order.
std::string to_string(const tlb_config& config);

// One line for messages: the accepted forms.
std::string tlb_config_syntax();

// Parses and validates `text`. Errors (kInvalidArgument) read
// "--tlb '<text>': <what is wrong>; <the accepted form>".
result<tlb_config> parse_tlb_config(std::string_view text);

// Builds the parts of a hierarchy (levels below L1 with their policies,
// the prefetch unit) for a validated configuration.
hierarchy_parts make_hierarchy_parts(const tlb_config& config);

}  // namespace vm::tlb
