// tlb_design.h - what the memory path (mmu::basic_mmu<Design>) asks of a TLB
// design, and the few types the two share.
//
// A design is a class with these members (checked by the tlb_design
// concept below). The mmu counts front hits (inline) and front misses
// (before calling refill) and walks; a design counts everything else.
//
//   template <access_type T> const tlb_entry* find(uint64_t page, uint64_t key) const noexcept;
//       The hit path: the L1 front's lookup (tlb_front::find). Inline, no
//       virtual call, no counting, no writes. The pointer is valid until
//       the next call on the design.
//   const tlb_entry* refill(uint64_t vaddr, access_type type, const miss_context&) noexcept;
//       Called after find() missed for vaddr: look in the design's other
//       structures (victim TLB, L2, L3, prefetch buffer). On a hit, refill
//       the front and return the front entry for vaddr's 4 KiB page (which
//       permits `type`); otherwise nullptr, and the mmu walks.
//   void insert(const translation& t, uint64_t vaddr, const miss_context&) noexcept;
//       After a demand walk for vaddr (inside t): install t. A design with a
//       prefetcher issues its prefetches here, walking through ctx.walk.
//   void flush(const flush_request&) noexcept;
//       sfence.vma semantics (translation.h); kAll also on satp, privilege
//       and mstatus changes (permissions depend on the context).
//   void change_context() noexcept;
//       The current ASID changed (satp write with a new ASID): the front
//       holds one context's entries and is dropped (O(1)); ASID-tagged levels
//       below keep theirs.
//   void select_cpu(unsigned cpu) noexcept;
//       The vCPU of the following accesses (per-CPU and shared designs use
//       it; single-CPU designs ignore it).
//   void append_counters(counter_list&) const;
//       The design's own counters, named "tlb.<level>.<what>" (l2, l3,
//       victim, prefetch, pattern, ...). Deterministic for a given run.
//   tlb_event_source& events() noexcept;
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tlb/tlb_entry.h"
#include "tlb/tlb_events.h"
#include "tlb/translation.h"

namespace vm::tlb {

// What the mmu tells a design on its miss path.
struct miss_context {
  uint16_t asid = 0;  // the current address space
  uint64_t now = 0;   // virtual time: TLB lookups (front hits + misses) so far
  // Walks `vaddr` for a prefetch, as a hardware walker would speculatively:
  // no fault is raised, D is never set, A may be (the privileged spec lets
  // implementations set A for accesses that are not executed). True, with
  // the translation, when the page maps and permits reads or execution.
  bool (*walk)(void* self, uint64_t vaddr, translation& out) noexcept = nullptr;
  void* self = nullptr;

  bool prefetch_walk(uint64_t vaddr, translation& out) const noexcept {
    return walk != nullptr && walk(self, vaddr, out);
  }
};

// Named counters, in a stable order (results files and reports read them).
using counter_list = std::vector<std::pair<std::string, uint64_t>>;

template <class D>
concept tlb_design = requires(D d, const D cd, uint64_t a, access_type t, const miss_context& ctx,
                              const translation& tr, const flush_request& f, counter_list& out) {
  { cd.template find<access_type::kRead>(a, a) } -> std::same_as<const tlb_entry*>;
  { d.refill(a, t, ctx) } -> std::same_as<const tlb_entry*>;
  d.insert(tr, a, ctx);
  d.flush(f);
  d.change_context();
  d.select_cpu(0u);
  cd.append_counters(out);
  { d.events() } -> std::same_as<tlb_event_source&>;
};

}  // namespace vm::tlb
