// translation.h - what a page walk produced for one page, in the form every
// TLB design stores below its L1 front, and the sfence.vma flush request.
//
// A translation covers one page of 4 KiB, 2 MiB or 1 GiB (the walker's leaf
// level). Host addresses are linear within a page, so one host_addend serves
// every byte of it: host = vaddr + host_addend. The L1 front holds 4 KiB
// fragments of it (entry_for), as QEMU's softmmu does for large pages.
#pragma once

#include <cstdint>

#include "tlb/tlb_entry.h"

namespace vm::tlb {

inline constexpr unsigned kPageShift = 12;
inline constexpr uint64_t kPageBytes = uint64_t{1} << kPageShift;
inline constexpr unsigned kMaxLevel = 2;  // Sv39: 0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB

constexpr uint64_t page_bytes(unsigned level) noexcept {
  return kPageBytes << (9 * level);
}
constexpr uint8_t permit_bit(access_type t) noexcept {
  return static_cast<uint8_t>(1u << static_cast<unsigned>(t));
}
inline constexpr uint8_t kPermitAll = 7;

struct translation {
  uint64_t vpage = 0;        // virtual base, aligned to the page's size
  uint64_t host_addend = 0;  // host address = vaddr + host_addend (mod 2^64)
  uint16_t asid = 0;         // the address space it was walked in
  uint8_t level = 0;         // 0: 4 KiB, 1: 2 MiB, 2: 1 GiB
  uint8_t permits = 0;       // permit_bit(type) per access type allowed in its context
  bool global = false;       // PTE.G: visible in every address space

  uint64_t bytes() const noexcept { return page_bytes(level); }
  bool contains(uint64_t vaddr) const noexcept { return vaddr - vpage < bytes(); }
  bool visible_to(uint16_t current_asid) const noexcept { return global || asid == current_asid; }
  bool permits_type(access_type t) const noexcept { return (permits & permit_bit(t)) != 0; }
  // The translation of vaddr, in context `current_asid`, for an access of `type`.
  bool serves(uint64_t vaddr, uint16_t current_asid, access_type type) const noexcept {
    return contains(vaddr) && visible_to(current_asid) && permits_type(type);
  }

  // The L1 entry for the 4 KiB page `page` (page-aligned, inside this
  // translation): untagged, i.e. with plain page tags.
  tlb_entry entry_for(uint64_t page) const noexcept {
    tlb_entry e;
    for (unsigned t = 0; t < 3; ++t)
      if (permits & (1u << t)) e.tag[t] = page;
    e.host_addend = host_addend;
    return e;
  }

  friend bool operator==(const translation&, const translation&) = default;
};

// sfence.vma (privileged spec, "Supervisor Memory-Management Fence"):
//   rs1 = x0, rs2 = x0: kAll         - every entry, global ones included;
//   rs1 = x0, rs2 != x0: kAsid       - entries of that ASID, except global ones;
//   rs1 != x0, rs2 = x0: kAddress    - entries of any ASID (global included)
//                                      whose page contains vaddr;
//   rs1 != x0, rs2 != x0: kAddressAsid - entries of that ASID containing
//                                      vaddr, except global ones.
// A design may drop more than a request covers (a TLB may always forget),
// never less.
enum class flush_scope : uint8_t { kAll, kAsid, kAddress, kAddressAsid };

struct flush_request {
  flush_scope scope = flush_scope::kAll;
  uint64_t vaddr = 0;
  uint16_t asid = 0;

  static flush_request all() noexcept { return {}; }
  static flush_request by_asid(uint16_t asid) noexcept { return {flush_scope::kAsid, 0, asid}; }
  static flush_request by_address(uint64_t vaddr) noexcept {
    return {flush_scope::kAddress, vaddr, 0};
  }
  static flush_request by_address_asid(uint64_t vaddr, uint16_t asid) noexcept {
    return {flush_scope::kAddressAsid, vaddr, asid};
  }

  bool covers(const translation& t) const noexcept {
    switch (scope) {
      case flush_scope::kAll: return true;
      case flush_scope::kAsid: return !t.global && t.asid == asid;
      case flush_scope::kAddress: return t.contains(vaddr);
      case flush_scope::kAddressAsid: return !t.global && t.asid == asid && t.contains(vaddr);
    }
    return true;
  }
};

const char* scope_name(flush_scope scope) noexcept;

}  // namespace vm::tlb
