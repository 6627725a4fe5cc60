// address_space.h - the guest address space a `mem` trace replays in, built
// from the trace's page map the way a kernel would: guest RAM, Sv39 page
// tables in it, and the state of a hart in U-mode with satp at the root.
// The replayer puts an MMU with the configured TLB design on top.
//
// Layout and choices (deterministic: the same page map gives the same
// tables, frames and so the same counters on every run and machine):
// - Guest physical RAM starts at 0x80000000 (1 GiB-aligned). Data frames
//   come first, ranges in order of descending page size, so every range is
//   physically aligned to its page size with no padding; page-table frames
//   follow. RAM is reserved up front and committed only where touched.
// - Leaf PTEs have U set and A/D clear, so the walker's hardware A/D
//   updates are part of what a replay exercises: a page's first access
//   sets A; its first store walks again (a TLB entry filled from a clean
//   PTE has no write tag) and sets D.
// - Permissions follow Linux on RISC-V: write implies read (Sv39 reserves
//   W without R), and a range with neither read nor execute is not mapped,
//   so every access to it page-faults.
// - Memory starts zeroed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "cpu/guest_state.h"
#include "mem/guest_ram.h"
#include "mmu/page_table.h"
#include "trace/trace_metadata.h"

namespace vm::replay {

inline constexpr uint64_t kReplayRamBase = 0x80000000;

// The page map as it will be mapped: each range rounded out to its page
// size (`page_size` when non-zero, overriding every range's own), ranges
// that then overlap merged into one with the union of their permissions
// and the largest of their page sizes (rounded out again), sorted by start.
// Errors (kUnsupported, naming `where` and the range) for a range outside
// the Sv39 address space or one whose rounding would pass 2^64.
result<std::vector<trace::page_range>> effective_page_map(const std::vector<trace::page_range>& map,
                                                          uint64_t page_size,
                                                          const std::string& where);

struct address_space_info {
  uint64_t ranges = 0;            // after rounding and merging
  uint64_t mapped_bytes = 0;      // virtual bytes mapped
  uint64_t page_table_pages = 0;  // table frames used (root included)
  uint64_t ram_bytes = 0;         // guest RAM reserved
};

class address_space {
 public:
  // Builds the space for `map` (see effective_page_map for `page_size`),
  // its guest RAM placed as `placement` says (default: the process-wide
  // mem::default_placement()). Errors name `where`; kOutOfMemory when the
  // host refuses the RAM.
  static result<std::unique_ptr<address_space>> build(
      const std::vector<trace::page_range>& map, uint64_t page_size, const std::string& where,
      const std::optional<mem::placement>& placement = std::nullopt);

  address_space(const address_space&) = delete;
  address_space& operator=(const address_space&) = delete;

  mem::guest_ram& ram() noexcept { return ram_; }
  // Touches every page of guest RAM (writing each page's first byte back
  // unchanged), so later accesses meet no host first-touch page fault.
  void prefault() noexcept;
  cpu::guest_state& state() noexcept { return state_; }
  const cpu::guest_state& state() const noexcept { return state_; }
  const std::vector<trace::page_range>& ranges() const noexcept { return ranges_; }
  const address_space_info& info() const noexcept { return info_; }

 private:
  address_space() = default;

  mem::guest_ram ram_;
  mem::frame_allocator frames_;  // page-table frames only
  mmu::page_table tables_;
  cpu::guest_state state_;
  std::vector<trace::page_range> ranges_;
  address_space_info info_;
};

}  // namespace vm::replay
