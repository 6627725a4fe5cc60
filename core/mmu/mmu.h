// mmu.h - the memory path every guest load, store and instruction fetch
// takes: L1 TLB (hit path inline, mmu_inline.h) -> Sv39 page walker -> guest
// RAM. Misses, walks, A/D updates, faults and device (HTIF) stores are the
// cold paths in mmu.cpp.
//
// The TLB is a template parameter, a design of the TLB family
// (tlb/tlb_design.h): the interpreter runs with mmu = basic_mmu<default_tlb>,
// trace replay with any design a configuration names (tlb/tlb_config.h). The
// hit path is the design's inline front lookup either way.
//
// The TLB caches translations for one translation context (satp, effective
// privilege, SUM, MXR). Whoever changes that context calls flush(): the hart
// does on satp/mstatus writes, privilege changes and sfence.vma; the Linux
// layer does after editing page tables.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

#include "cpu/guest_state.h"
#include "mem/guest_ram.h"
#include "mmu/page_walker.h"
#include "tlb/single_level.h"
#include "tlb/tlb_design.h"
#include "tlb/tlb_entry.h"
#include "tlb/tlb_set_assoc.h"

namespace vm::mmu {

static_assert(std::endian::native == std::endian::little,
              "guest memory is accessed with host loads: host must be little-endian");

enum class access_status : uint8_t {
  kOk,        // done
  kFault,     // a guest exception; see mmu::fault()
  kHostCall,  // done, and a device (HTIF tohost) asks the host to act
};

struct fault_info {
  cpu::exception cause = cpu::exception::kLoadPageFault;
  uint64_t tval = 0;  // the faulting virtual address
};

struct mmu_counters {
  tlb::tlb_counters l1;
  uint64_t walks = 0;
  uint64_t pte_reads = 0;
  uint64_t page_faults = 0;
  uint64_t access_faults = 0;
};

// The L1 geometry: 16384 sets x 1 way (direct-mapped, as QEMU's fast path;
// 512 KiB, a 64 MiB reach like QEMU's TLB once it has grown), indexed by a
// fold of the page number so that arrays a power-of-two apart do not
// collide. Measured at default sizes (vmbench exec --stats, docs/
// PERFORMANCE.md): against 256x1 unhashed, stream_copy 21.2 s -> 4.3 s
// (its three 16 MiB arrays all hit one set), gups 32.9 M -> 0.03 M misses;
// against 1024x4, 8-10 % fewer host instructions per access.
using l1_geometry = tlb::fixed_geometry<16384, 1>;
using l1_tlb = tlb::tlb_set_assoc<16384, 1>;
using default_tlb = tlb::single_level<l1_geometry>;

template <tlb::tlb_design Tlb>
class basic_mmu {
 public:
  using tlb_type = Tlb;

  // The design is built from `design_args`.
  template <class... DesignArgs>
  basic_mmu(mem::guest_ram& ram, cpu::guest_state& state, DesignArgs&&... design_args) noexcept
      : tlb_(std::forward<DesignArgs>(design_args)...), ram_(ram), state_(state) {}

  // Guest data accesses of 1, 2, 4 or 8 bytes, any alignment (a misaligned
  // access that crosses a page is done byte-exactly through both pages; a
  // fault on either leaves memory unchanged).
  template <class T>
  access_status load(uint64_t vaddr, T& out) noexcept;
  template <class T>
  access_status store(uint64_t vaddr, T value) noexcept;

  // Host pointer for an atomic read-modify-write of a naturally aligned T
  // at vaddr (needs write permission). Misaligned: kFault with the
  // store/AMO-misaligned cause (or load-misaligned when `for_load`).
  template <class T>
  access_status atomic_pointer(uint64_t vaddr, bool for_load, T*& host) noexcept;

  // Checks that vaddr may be executed and returns the host address of its
  // bytes, valid up to the end of its page.
  access_status fetch(uint64_t vaddr, const uint8_t*& host) noexcept;

  // Translates one access through the TLB (a walk on a miss), counting it
  // like a guest access; used by the slow paths and by the host on the
  // guest's behalf (syscall buffers).
  access_status translate(uint64_t vaddr, tlb::access_type type, uint64_t& paddr) noexcept;

  // Drops every cached translation (a context change: satp, privilege,
  // mstatus); counted in l1.flushes.
  void flush() noexcept;
  // sfence.vma with its operands (tlb::flush_request).
  void flush(const tlb::flush_request& request) noexcept;
  void flush_page(uint64_t vaddr) noexcept { flush(tlb::flush_request::by_address(vaddr)); }
  // The current ASID changed and nothing else: designs with ASID-tagged
  // levels keep those.
  void change_context() noexcept { tlb_.change_context(); }
  // The vCPU whose accesses follow (per-CPU and shared designs).
  void select_cpu(unsigned cpu) noexcept { tlb_.select_cpu(cpu); }

  // The physical address of the HTIF `tohost` word; 0 disables HTIF.
  void set_tohost(uint64_t paddr) noexcept { tohost_ = paddr; }
  uint64_t tohost() const noexcept { return tohost_; }

  const fault_info& fault() const noexcept { return fault_; }
  const mmu_counters& counters() const noexcept { return counters_; }
  // The design's own counters (tlb.l2.*, tlb.prefetch.*, ...).
  tlb::counter_list design_counters() const {
    tlb::counter_list out;
    tlb_.append_counters(out);
    return out;
  }
  Tlb& tlb() noexcept { return tlb_; }
  mem::guest_ram& ram() noexcept { return ram_; }

 private:
  template <tlb::access_type Type>
  [[gnu::always_inline]] const tlb::tlb_entry* hit(uint64_t vaddr) noexcept;
  // The same for an access type known only at run time.
  const tlb::tlb_entry* hit(uint64_t vaddr, tlb::access_type type) noexcept;

  enum class translate_mode : uint8_t {
    kCommit,  // walk with A/D updates, fill the L1, count
    kProbe,   // only report whether the access would fault: no side effects
  };
  // Translates one access that lies within a page.
  access_status translate_page(uint64_t vaddr, tlb::access_type type, uint64_t& paddr,
                               translate_mode mode = translate_mode::kCommit) noexcept;
  // Would a data access to vaddr's page fault? Changes nothing but fault().
  access_status probe(uint64_t vaddr, tlb::access_type type) noexcept;
  access_status load_slow(uint64_t vaddr, void* out, unsigned size) noexcept;
  access_status store_slow(uint64_t vaddr, const void* value, unsigned size) noexcept;
  access_status raise(cpu::exception cause, uint64_t vaddr) noexcept;
  tlb::miss_context miss_context() noexcept;
  // The translation a successful walk of vaddr gives, as the TLB stores it;
  // false when its page is not in RAM.
  bool make_translation(uint64_t vaddr, const walk_result& w,
                        tlb::translation& out) const noexcept;
  // miss_context::walk: a speculative read walk for a prefetch.
  static bool prefetch_walk(void* self, uint64_t vaddr, tlb::translation& out) noexcept;

  Tlb tlb_;
  mem::guest_ram& ram_;
  cpu::guest_state& state_;
  uint64_t tohost_ = 0;
  fault_info fault_;
  mmu_counters counters_;
};

// The interpreter's memory path. Its cold paths are compiled once, in
// mmu.cpp; replay engines instantiate other designs (mmu_slow.h).
using mmu = basic_mmu<default_tlb>;
extern template class basic_mmu<default_tlb>;

}  // namespace vm::mmu

#include "mmu/mmu_inline.h"
