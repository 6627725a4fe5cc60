// mmu.cpp - cold paths of the memory path: TLB refill through the page
// walker, page-crossing accesses, faults and HTIF device stores.

#include "mmu/mmu.h"

#include "mmu/page_walker.h"
#include "mmu/sv39.h"

namespace vm::mmu {
access_status mmu::raise(cpu::exception cause, uint64_t vaddr) noexcept {
  fault_ = {cause, vaddr};
  return access_status::kFault;
}

void mmu::flush() noexcept {
  l1_.flush_all();
  ++counters_.l1.flushes;
}

access_status mmu::translate_page(uint64_t vaddr, tlb::access_type type, uint64_t& paddr,
                                  translate_mode mode) noexcept {
  const bool commit = mode == translate_mode::kCommit;
  if (commit) ++counters_.l1.misses;
  const cpu::guest_state& st = state_;
  // Loads and stores use MPP's privilege when mstatus.MPRV is set in M-mode.
  cpu::privilege priv = st.priv;
  if (type != tlb::access_type::kExecute && priv == cpu::privilege::kMachine &&
      (st.csr.mstatus & cpu::mstatus::kMprv)) {
    priv = static_cast<cpu::privilege>((st.csr.mstatus & cpu::mstatus::kMpp) >>
                                       cpu::mstatus::kMppShift);
  }

  bool readable = true;
  bool writable = true;
  bool executable = true;
  if (priv == cpu::privilege::kMachine || sv39::satp::mode(st.csr.satp) != sv39::satp::kModeSv39) {
    paddr = vaddr;  // bare: physical = virtual
  } else {
    walk_request req;
    req.satp = st.csr.satp;
    req.vaddr = vaddr;
    req.access = type;
    req.priv = priv;
    req.sum = (st.csr.mstatus & cpu::mstatus::kSum) != 0;
    req.mxr = (st.csr.mstatus & cpu::mstatus::kMxr) != 0;
    req.update_accessed_dirty = commit;
    const walk_result w = walk(ram_, req);
    if (commit) {
      ++counters_.walks;
      counters_.pte_reads += w.pte_reads;
    }
    if (!w.ok) {
      if (!commit) return raise(w.fault, vaddr);
      if (w.fault == cpu::exception::kLoadPageFault || w.fault == cpu::exception::kStorePageFault ||
          w.fault == cpu::exception::kInstructionPageFault) {
        ++counters_.page_faults;
      } else {
        ++counters_.access_faults;
      }
      return raise(w.fault, vaddr);
    }
    paddr = w.paddr;
    readable = w.readable;
    writable = w.writable;
    executable = w.executable;
  }

  const uint64_t ppage = paddr & ~mem::kPageMask;
  if (!ram_.contains(ppage, mem::kPageSize)) {
    if (commit) ++counters_.access_faults;
    return raise(access_fault_for(type), vaddr);
  }
  if (!commit) return access_status::kOk;

  const uint64_t vpage = vaddr & ~mem::kPageMask;
  tlb::tlb_entry entry;
  entry.host_addend = reinterpret_cast<uint64_t>(ram_.host(ppage)) - vpage;
  if (readable) entry.tag[0] = vpage;
  // Device page: stores must reach store_slow so HTIF sees them.
  if (writable && (tohost_ == 0 || ppage != (tohost_ & ~mem::kPageMask))) entry.tag[1] = vpage;
  if (executable) entry.tag[2] = vpage;
  l1_.insert(vpage, entry);
  return access_status::kOk;
}

access_status mmu::translate(uint64_t vaddr, tlb::access_type type, uint64_t& paddr) noexcept {
  if (const tlb::tlb_entry* e = hit(vaddr, type); e != nullptr) {
    ++counters_.l1.hits;
    paddr = vaddr + e->host_addend - ram_.host_offset();
    return access_status::kOk;
  }
  return translate_page(vaddr, type, paddr);
}

access_status mmu::probe(uint64_t vaddr, tlb::access_type type) noexcept {
  if (hit(vaddr, type) != nullptr) return access_status::kOk;
  uint64_t paddr;
  return translate_page(vaddr, type, paddr, translate_mode::kProbe);
}

access_status mmu::load_slow(uint64_t vaddr, void* out, unsigned size) noexcept {
  auto* bytes = static_cast<uint8_t*>(out);
  const uint64_t first = mem::kPageSize - (vaddr & mem::kPageMask);
  if (first >= size) {
    uint64_t paddr;
    if (translate(vaddr, tlb::access_type::kRead, paddr) == access_status::kFault) {
      return access_status::kFault;
    }
    std::memcpy(bytes, ram_.host(paddr), size);
    return access_status::kOk;
  }
  // Crosses a page: check both halves without side effects first, so that a
  // fault on the second leaves the first page's A bit as it was (the spec
  // requires exact A/D updates), then translate both.
  if (probe(vaddr, tlb::access_type::kRead) == access_status::kFault ||
      probe(vaddr + first, tlb::access_type::kRead) == access_status::kFault) {
    return access_status::kFault;
  }
  uint64_t p0, p1;
  if (translate(vaddr, tlb::access_type::kRead, p0) == access_status::kFault ||
      translate(vaddr + first, tlb::access_type::kRead, p1) == access_status::kFault) {
    return access_status::kFault;
  }
  std::memcpy(bytes, ram_.host(p0), first);
  std::memcpy(bytes + first, ram_.host(p1), size - first);
  return access_status::kOk;
}

access_status mmu::store_slow(uint64_t vaddr, const void* value, unsigned size) noexcept {
  const auto* bytes = static_cast<const uint8_t*>(value);
  const uint64_t first = mem::kPageSize - (vaddr & mem::kPageMask);
  uint64_t p0 = 0, p1 = 0;
  // Crossing a page: both halves must be writable before either page's D
  // bit is set or any byte is stored (see load_slow).
  if (first < size && (probe(vaddr, tlb::access_type::kWrite) == access_status::kFault ||
                       probe(vaddr + first, tlb::access_type::kWrite) == access_status::kFault)) {
    return access_status::kFault;
  }
  if (translate(vaddr, tlb::access_type::kWrite, p0) == access_status::kFault) {
    return access_status::kFault;
  }
  if (first < size) {
    if (translate(vaddr + first, tlb::access_type::kWrite, p1) == access_status::kFault) {
      return access_status::kFault;
    }
    std::memcpy(ram_.host(p0), bytes, first);
    std::memcpy(ram_.host(p1), bytes + first, size - first);
  } else {
    std::memcpy(ram_.host(p0), bytes, size);
  }
  // HTIF: a store that touches the tohost doubleword with a non-zero value
  // hands a command to the host.
  if (tohost_ != 0 && p0 < tohost_ + 8 && p0 + size > tohost_) {
    uint64_t command;
    std::memcpy(&command, ram_.host(tohost_), sizeof command);
    if (command != 0) return access_status::kHostCall;
  }
  return access_status::kOk;
}

}  // namespace vm::mmu
