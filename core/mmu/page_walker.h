// page_walker.h - the Sv39 page-table walk, following the privileged spec's
// "Virtual Address Translation Process" step by step, including A/D updates
// done in guest memory (hardware update, as Svadu permits).
#pragma once

#include <cstdint>

#include "cpu/guest_state.h"
#include "mem/guest_ram.h"
#include "tlb/tlb_entry.h"

namespace vm::mmu {

struct walk_request {
  uint64_t satp = 0;
  uint64_t vaddr = 0;
  tlb::access_type access = tlb::access_type::kRead;
  cpu::privilege priv = cpu::privilege::kUser;  // effective privilege
  bool sum = false;                             // mstatus.SUM: S-mode may load/store user pages
  bool mxr = false;                             // mstatus.MXR: loads from executable pages succeed
  // False: only decide whether the access would fault; write nothing back.
  bool update_accessed_dirty = true;
};

struct walk_result {
  bool ok = false;
  cpu::exception fault = cpu::exception::kLoadPageFault;  // valid when !ok
  uint64_t paddr = 0;                                     // translation of vaddr (valid when ok)
  uint64_t pte = 0;                                       // the leaf PTE after any A/D update
  unsigned level = 0;                                     // 0: 4 KiB page, 1: 2 MiB, 2: 1 GiB
  // What the leaf permits in this context. `writable` is false while the PTE
  // is not dirty, so that the first store walks again and sets D.
  bool readable = false;
  bool writable = false;
  bool executable = false;
  unsigned pte_reads = 0;  // memory accesses made by the walk
};

// The exception a faulting access of each type raises.
cpu::exception page_fault_for(tlb::access_type access) noexcept;
cpu::exception access_fault_for(tlb::access_type access) noexcept;

// Walks the Sv39 tables rooted at satp for req.vaddr. Never fails in C++
// terms: a guest-visible problem is reported as ok == false with the
// exception the hart must raise (page fault, or access fault when a PTE lies
// outside RAM).
walk_result walk(const mem::guest_ram& ram, const walk_request& req) noexcept;

}  // namespace vm::mmu
