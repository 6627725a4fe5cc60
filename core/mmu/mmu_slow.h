// mmu_slow.h - cold paths of the memory path (basic_mmu<Tlb>): TLB refill
// through the design's lower levels and the page walker, page-crossing
// accesses, faults and HTIF device stores. Included by mmu.cpp (the
// interpreter's default_tlb) and by the replay engines (every other
// design), each instantiating basic_mmu for its designs.
#pragma once

#include "mmu/mmu.h"
#include "mmu/page_walker.h"
#include "mmu/sv39.h"

namespace vm::mmu {

template <tlb::tlb_design Tlb>
access_status basic_mmu<Tlb>::raise(cpu::exception cause, uint64_t vaddr) noexcept {
  fault_ = {cause, vaddr};
  return access_status::kFault;
}

template <tlb::tlb_design Tlb>
void basic_mmu<Tlb>::flush() noexcept {
  tlb_.flush(tlb::flush_request::all());
  ++counters_.l1.flushes;
}

template <tlb::tlb_design Tlb>
void basic_mmu<Tlb>::flush(const tlb::flush_request& request) noexcept {
  tlb_.flush(request);
  if (request.scope == tlb::flush_scope::kAll) ++counters_.l1.flushes;
}

template <tlb::tlb_design Tlb>
tlb::miss_context basic_mmu<Tlb>::miss_context() noexcept {
  tlb::miss_context ctx;
  ctx.asid = static_cast<uint16_t>(sv39::satp::asid(state_.csr.satp));
  ctx.now = counters_.l1.hits + counters_.l1.misses;
  ctx.walk = &basic_mmu::prefetch_walk;
  ctx.self = this;
  return ctx;
}

template <tlb::tlb_design Tlb>
bool basic_mmu<Tlb>::prefetch_walk(void* self, uint64_t vaddr, tlb::translation& out) noexcept {
  auto& m = *static_cast<basic_mmu*>(self);
  const cpu::guest_state& st = m.state_;
  if (st.priv == cpu::privilege::kMachine || sv39::satp::mode(st.csr.satp) != sv39::satp::kModeSv39)
    return false;  // bare: nothing worth prefetching
  if (!sv39::canonical(vaddr)) return false;
  walk_request req;
  req.satp = st.csr.satp;
  req.vaddr = vaddr;
  req.access = tlb::access_type::kRead;
  req.priv = st.priv;
  req.sum = (st.csr.mstatus & cpu::mstatus::kSum) != 0;
  req.mxr = (st.csr.mstatus & cpu::mstatus::kMxr) != 0;
  req.update_accessed_dirty = true;  // a read walk sets A only (speculatively, as permitted)
  const walk_result w = walk(m.ram_, req);
  if (!w.ok) return false;
  return m.make_translation(vaddr, w, out);
}

template <tlb::tlb_design Tlb>
bool basic_mmu<Tlb>::make_translation(uint64_t vaddr, const walk_result& w,
                                      tlb::translation& out) const noexcept {
  // The largest page that is wholly in RAM and holds no device word: a
  // superpage that is not is cached as its 4 KiB piece (the rest may not be
  // host memory at all).
  unsigned level = w.level;
  const uint64_t tohost_page = tohost_ & ~mem::kPageMask;
  for (; level > 0; --level) {
    const uint64_t bytes = tlb::page_bytes(level);
    const uint64_t base = w.paddr & ~(bytes - 1);
    if (ram_.contains(base, bytes) && (tohost_ == 0 || tohost_page - base >= bytes)) break;
  }
  const uint64_t bytes = tlb::page_bytes(level);
  const uint64_t pbase = w.paddr & ~(bytes - 1);
  if (!ram_.contains(pbase, level == 0 ? mem::kPageSize : bytes)) return false;
  out.vpage = vaddr & ~(bytes - 1);
  out.host_addend = reinterpret_cast<uint64_t>(ram_.host(pbase)) - out.vpage;
  out.asid = static_cast<uint16_t>(sv39::satp::asid(state_.csr.satp));
  out.level = static_cast<uint8_t>(level);
  out.global = (w.pte & sv39::pte::kGlobal) != 0;
  out.permits = 0;
  if (w.readable) out.permits |= tlb::permit_bit(tlb::access_type::kRead);
  // Device page: stores must reach store_slow so HTIF sees them.
  if (w.writable && (tohost_ == 0 || pbase != tohost_page))
    out.permits |= tlb::permit_bit(tlb::access_type::kWrite);
  if (w.executable) out.permits |= tlb::permit_bit(tlb::access_type::kExecute);
  return true;
}

template <tlb::tlb_design Tlb>
access_status basic_mmu<Tlb>::translate_page(uint64_t vaddr, tlb::access_type type,
                                             uint64_t& paddr, translate_mode mode) noexcept {
  const bool commit = mode == translate_mode::kCommit;
  if (commit) {
    ++counters_.l1.misses;
    // The design's other levels first (victim TLB, L2, L3, prefetch buffer).
    const tlb::miss_context ctx = miss_context();
    if (const tlb::tlb_entry* e = tlb_.refill(vaddr, type, ctx); e != nullptr) {
      paddr = vaddr + e->host_addend - ram_.host_offset();
      return access_status::kOk;
    }
  }
  const cpu::guest_state& st = state_;
  // Loads and stores use MPP's privilege when mstatus.MPRV is set in M-mode.
  cpu::privilege priv = st.priv;
  if (type != tlb::access_type::kExecute && priv == cpu::privilege::kMachine &&
      (st.csr.mstatus & cpu::mstatus::kMprv)) {
    priv = static_cast<cpu::privilege>((st.csr.mstatus & cpu::mstatus::kMpp) >>
                                       cpu::mstatus::kMppShift);
  }

  walk_result w;
  if (priv == cpu::privilege::kMachine || sv39::satp::mode(st.csr.satp) != sv39::satp::kModeSv39) {
    // Bare: physical = virtual, everything permitted, 4 KiB at a time.
    w.ok = true;
    w.paddr = vaddr;
    w.level = 0;
    w.readable = w.writable = w.executable = true;
  } else {
    walk_request req;
    req.satp = st.csr.satp;
    req.vaddr = vaddr;
    req.access = type;
    req.priv = priv;
    req.sum = (st.csr.mstatus & cpu::mstatus::kSum) != 0;
    req.mxr = (st.csr.mstatus & cpu::mstatus::kMxr) != 0;
    req.update_accessed_dirty = commit;
    w = walk(ram_, req);
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
  }
  paddr = w.paddr;

  const uint64_t ppage = paddr & ~mem::kPageMask;
  if (!ram_.contains(ppage, mem::kPageSize)) {
    if (commit) ++counters_.access_faults;
    return raise(access_fault_for(type), vaddr);
  }
  if (!commit) return access_status::kOk;

  tlb::translation t;
  if (make_translation(vaddr, w, t)) tlb_.insert(t, vaddr, miss_context());
  return access_status::kOk;
}

template <tlb::tlb_design Tlb>
access_status basic_mmu<Tlb>::translate(uint64_t vaddr, tlb::access_type type, uint64_t& paddr) noexcept {
  if (const tlb::tlb_entry* e = hit(vaddr, type); e != nullptr) {
    ++counters_.l1.hits;
    paddr = vaddr + e->host_addend - ram_.host_offset();
    return access_status::kOk;
  }
  return translate_page(vaddr, type, paddr);
}

template <tlb::tlb_design Tlb>
access_status basic_mmu<Tlb>::probe(uint64_t vaddr, tlb::access_type type) noexcept {
  if (hit(vaddr, type) != nullptr) return access_status::kOk;
  uint64_t paddr;
  return translate_page(vaddr, type, paddr, translate_mode::kProbe);
}

template <tlb::tlb_design Tlb>
access_status basic_mmu<Tlb>::load_slow(uint64_t vaddr, void* out, unsigned size) noexcept {
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

template <tlb::tlb_design Tlb>
access_status basic_mmu<Tlb>::store_slow(uint64_t vaddr, const void* value, unsigned size) noexcept {
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
