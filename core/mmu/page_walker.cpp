#include "mmu/page_walker.h"

#include <cstring>

#include "mmu/sv39.h"

namespace vm::mmu {

cpu::exception page_fault_for(tlb::access_type access) noexcept {
  switch (access) {
    case tlb::access_type::kRead: return cpu::exception::kLoadPageFault;
    case tlb::access_type::kWrite: return cpu::exception::kStorePageFault;
    case tlb::access_type::kExecute: return cpu::exception::kInstructionPageFault;
  }
  return cpu::exception::kLoadPageFault;
}

cpu::exception access_fault_for(tlb::access_type access) noexcept {
  switch (access) {
    case tlb::access_type::kRead: return cpu::exception::kLoadAccessFault;
    case tlb::access_type::kWrite: return cpu::exception::kStoreAccessFault;
    case tlb::access_type::kExecute: return cpu::exception::kInstructionAccessFault;
  }
  return cpu::exception::kLoadAccessFault;
}

walk_result walk(const mem::guest_ram& ram, const walk_request& req) noexcept {
  walk_result r;
  r.fault = page_fault_for(req.access);
  if (!sv39::canonical(req.vaddr)) return r;

  uint64_t table = sv39::satp::root(req.satp);
  for (int level = sv39::kLevels - 1; level >= 0; --level) {
    const uint64_t vpn =
        (req.vaddr >> (sv39::kPageShift + level * sv39::kVpnBits)) & ((1u << sv39::kVpnBits) - 1);
    const uint64_t pte_addr = table + vpn * sv39::kPteSize;
    if (!ram.contains(pte_addr, sv39::kPteSize)) {
      r.fault = access_fault_for(req.access);
      return r;
    }
    uint64_t pte;
    std::memcpy(&pte, ram.host(pte_addr), sizeof pte);
    ++r.pte_reads;

    using namespace sv39::pte;
    if (!(pte & kValid) || (!(pte & kRead) && (pte & kWrite)) || (pte & kReservedMask)) {
      return r;
    }
    if (!(pte & (kRead | kExecute))) {  // pointer to the next level
      if (level == 0 || (pte & (kAccessed | kDirty | kUser))) return r;
      table = ppn(pte) << sv39::kPageShift;
      continue;
    }

    // Leaf. Superpages must be aligned: the low PPN fields must be zero.
    const uint64_t low_ppn_mask = (1ull << (level * sv39::kVpnBits)) - 1;
    if (ppn(pte) & low_ppn_mask) return r;

    // Privilege: U pages are for U-mode (and S-mode data accesses with SUM);
    // S-mode never executes U pages; U-mode never touches S pages.
    const bool user_page = (pte & kUser) != 0;
    bool data_ok = true;
    bool exec_ok = true;
    if (req.priv == cpu::privilege::kUser) {
      data_ok = exec_ok = user_page;
    } else if (user_page) {
      data_ok = req.sum;
      exec_ok = false;
    }
    const bool can_read = data_ok && ((pte & kRead) || (req.mxr && (pte & kExecute)));
    const bool can_write = data_ok && (pte & kWrite);
    const bool can_exec = exec_ok && (pte & kExecute);
    const bool allowed = req.access == tlb::access_type::kRead    ? can_read
                         : req.access == tlb::access_type::kWrite ? can_write
                                                                  : can_exec;
    if (!allowed) return r;

    // Hardware A/D update: set A on any access, D on a store.
    uint64_t updated = pte | kAccessed;
    if (req.access == tlb::access_type::kWrite) updated |= kDirty;
    if (updated != pte && req.update_accessed_dirty) {
      std::memcpy(ram.host(pte_addr), &updated, sizeof updated);
      pte = updated;
    }

    const uint64_t offset_mask = (1ull << (sv39::kPageShift + level * sv39::kVpnBits)) - 1;
    r.ok = true;
    r.paddr = ((ppn(pte) << sv39::kPageShift) & ~offset_mask) | (req.vaddr & offset_mask);
    r.pte = pte;
    r.level = static_cast<unsigned>(level);
    r.readable = can_read;
    r.writable = can_write && (pte & kDirty);
    r.executable = can_exec;
    return r;
  }
  return r;  // unreachable: level 0 either is a leaf or faults above
}

}  // namespace vm::mmu
