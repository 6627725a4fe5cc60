// mem_replay.h - replays a `mem` trace through the core's memory path:
// every record is a real load, store or fetch through mmu::mmu (L1 TLB ->
// Sv39 walker -> guest RAM) in the address space its page map describes
// (address_space.h).
//
//   R  -> mmu::load of the record's size; W -> mmu::store of the low bytes
//   of the record's number; F -> mmu::fetch, then the bytes are read.
//   Sizes other than 1, 2, 4 and 8 are split into pieces of at most 8 bytes
//   (8s first, then 4, 2, 1); a fetch that crosses a page fetches each page.
//   A faulting access is counted (once per record, by type) and the replay
//   goes on with the next record; a record whose first piece did not fault
//   keeps the effect of its earlier pieces, as a split access on hardware.
//   Other record types (block, syscall, blob) are counted and skipped.
//
// Every counter, and the checksum of the values loaded and fetched, depends
// only on the trace and the options: the same trace gives the same counters
// on every run and machine. All cpus share one MMU and TLB for now.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "mmu/mmu.h"
#include "replay/address_space.h"
#include "replay/tlb_config.h"
#include "trace/trace_reader.h"

namespace vm::replay {

// Counts by access type.
struct per_type {
  uint64_t reads = 0;
  uint64_t writes = 0;
  uint64_t fetches = 0;

  uint64_t total() const noexcept { return reads + writes + fetches; }
  friend bool operator==(const per_type&, const per_type&) = default;
};

inline constexpr uint64_t kChecksumSeed = 0x9e3779b97f4a7c15;

struct mem_replay_counters {
  uint64_t records = 0;
  per_type accesses;  // access records
  per_type bytes;     // bytes they name
  per_type faults;    // access records that faulted (page or access fault)
  uint64_t other_records = 0;
  // Access records by cpu number; at least the trace's `cpus` entries.
  std::vector<uint64_t> accesses_per_cpu;
  // The MMU's own counters: one TLB lookup per piece and per page touched.
  mmu::mmu_counters memory;
  // The TLB design's own counters (tlb.l2.*, tlb.prefetch.*, ...; none for
  // the default design).
  tlb::counter_list tlb;
  // Every loaded or fetched value (zero-extended), in order:
  // c = (c ^ value) * kChecksumSeed, starting from kChecksumSeed.
  // (Measured: the multiply costs no time per access; the loop is bound by
  // decoding and the lookups, not by this chain.)
  uint64_t checksum = kChecksumSeed;
};

// Exact equality of every counter (for --repeat and tests).
bool same_counters(const mem_replay_counters& a, const mem_replay_counters& b) noexcept;

class replay_engine;

// Drives records through one address space, with the TLB design `tlb`
// (validated by parse_tlb_config) on an MMU of its own. Records may come in
// any number of batches (one per decoded chunk); counters accumulate.
class mem_replayer {
 public:
  mem_replayer(address_space& space, uint32_t cpus, const tlb_config& tlb = {});
  ~mem_replayer();

  // Replays `count` records; `first_record` is the global number of
  // records[0] (the value a store writes).
  void replay(const trace::record* records, size_t count, uint64_t first_record) noexcept;

  // The counters so far (the MMU's and the design's included).
  mem_replay_counters counters() const;

 private:
  std::unique_ptr<replay_engine> engine_;  // one per design type
};

struct mem_replay_options {
  // 0: each range's own page size; 4 KiB, 2 MiB or 1 GiB: every range.
  uint64_t page_size = 0;
  tlb_config tlb;
  // Guest RAM placement (transparent huge pages, NUMA node); unset: the
  // process-wide mem::default_placement().
  std::optional<mem::placement> placement;
  // Touch every page of guest RAM before the replay (not counted in
  // replay_seconds), so the replay measures steady-state accesses rather
  // than the host's first-touch page faults.
  bool prefault = false;
};

struct mem_replay_report {
  mem_replay_counters counters;
  address_space_info space;
  mem::memory_report memory;  // guest RAM after the replay: huge-page share, nodes
  double setup_seconds = 0;   // building the address space (and prefaulting it)
  double replay_seconds = 0;  // decoding and replaying every chunk
};

// Replays the whole trace (from its first chunk, whatever the reader's
// position) in a fresh address space. Errors: an exec trace, a page map the
// core cannot map, guest RAM the host refuses, or a damaged chunk (the
// reader's message, naming file and offset).
result<mem_replay_report> replay_mem(trace::trace_reader& reader,
                                     const mem_replay_options& options);

// Host nanoseconds per L1 TLB hit-path lookup alone (mmu::l1_tlb::find on
// 16 resident pages, sequential 8-byte keys): the floor a replay's
// ns/access compares against. Takes about lookups * 1 ns.
double bare_tlb_lookup_ns(uint64_t lookups = uint64_t{1} << 24);

}  // namespace vm::replay
