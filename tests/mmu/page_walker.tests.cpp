// page_walker.tests.cpp - the Sv39 walk (mmu::walk) against the privileged
// spec, on page tables written PTE by PTE into guest RAM at 0x80000000.

#include "mmu/page_walker.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <tuple>

#include "mem/guest_ram.h"
#include "mmu/sv39.h"

namespace {

using vm::cpu::exception;
using vm::cpu::privilege;
using vm::tlb::access_type;
namespace sv39 = vm::mmu::sv39;
namespace pte = vm::mmu::sv39::pte;

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kRamSize = 8 << 20;
// A fixed three-level chain: root -> L1 -> L0, and a data frame.
constexpr uint64_t kRoot = kRamBase + 0x1000;
constexpr uint64_t kL1 = kRamBase + 0x2000;
constexpr uint64_t kL0 = kRamBase + 0x3000;
constexpr uint64_t kFrame = kRamBase + 0x400000;

constexpr uint64_t R = pte::kRead, W = pte::kWrite, X = pte::kExecute, U = pte::kUser;
constexpr uint64_t V = pte::kValid, A = pte::kAccessed, D = pte::kDirty;

constexpr unsigned vpn(uint64_t vaddr, unsigned level) {
  return static_cast<unsigned>((vaddr >> (12 + 9 * level)) & 511);
}

struct tables {
  vm::mem::guest_ram ram;

  tables() {
    auto r = vm::mem::guest_ram::create(kRamBase, kRamSize);
    REQUIRE(r.ok());
    ram = std::move(r).value();
  }

  static uint64_t slot(uint64_t table, unsigned index) { return table + 8ull * index; }
  void set(uint64_t table, unsigned index, uint64_t value) {
    std::memcpy(ram.host(slot(table, index)), &value, 8);
  }
  uint64_t get(uint64_t table, unsigned index) const {
    uint64_t v;
    std::memcpy(&v, ram.host(slot(table, index)), 8);
    return v;
  }
  static uint64_t satp(uint64_t root = kRoot) { return sv39::satp::make(root, 0); }

  // root[vpn2] -> L1, L1[vpn1] -> L0 (non-leaf pointers).
  void chain(uint64_t vaddr) {
    set(kRoot, vpn(vaddr, 2), pte::make(kL1, V));
    set(kL1, vpn(vaddr, 1), pte::make(kL0, V));
  }
  // Maps the 4 KiB page of vaddr to `paddr` with the raw leaf bits `leaf`
  // (V not added). Returns the leaf's guest address.
  uint64_t map4k(uint64_t vaddr, uint64_t paddr, uint64_t leaf) {
    chain(vaddr);
    set(kL0, vpn(vaddr, 0), pte::make(paddr, leaf));
    return slot(kL0, vpn(vaddr, 0));
  }
  uint64_t leaf4k(uint64_t vaddr) const { return get(kL0, vpn(vaddr, 0)); }
};

vm::mmu::walk_result do_walk(const tables& t, uint64_t vaddr, access_type access,
                             privilege priv = privilege::kSupervisor, bool sum = false,
                             bool mxr = false, uint64_t satp = tables::satp()) {
  vm::mmu::walk_request req;
  req.satp = satp;
  req.vaddr = vaddr;
  req.access = access;
  req.priv = priv;
  req.sum = sum;
  req.mxr = mxr;
  return vm::mmu::walk(t.ram, req);
}

exception page_fault_for(access_type a) {
  switch (a) {
    case access_type::kRead: return exception::kLoadPageFault;
    case access_type::kWrite: return exception::kStorePageFault;
    case access_type::kExecute: return exception::kInstructionPageFault;
  }
  return exception::kLoadPageFault;
}

exception access_fault_for(access_type a) {
  switch (a) {
    case access_type::kRead: return exception::kLoadAccessFault;
    case access_type::kWrite: return exception::kStoreAccessFault;
    case access_type::kExecute: return exception::kInstructionAccessFault;
  }
  return exception::kLoadAccessFault;
}

const char* name(access_type a) {
  return a == access_type::kRead ? "read" : a == access_type::kWrite ? "write" : "execute";
}

// The privileged spec's permission rule (4.3.1 "Addressing and Memory
// Protection", 3.1.6.3 SUM/MXR), written from the spec text:
//  - U-mode may only access pages with U=1;
//  - S-mode may load/store U=1 pages only with SUM, and never executes them;
//  - a load needs R, or X when MXR is set; a store needs W; a fetch needs X.
bool spec_allows(privilege priv, bool sum, bool mxr, access_type access, uint64_t flags) {
  const bool user_page = (flags & U) != 0;
  if (priv == privilege::kUser && !user_page) return false;
  if (priv == privilege::kSupervisor && user_page) {
    if (access == access_type::kExecute) return false;
    if (!sum) return false;
  }
  switch (access) {
    case access_type::kRead: return (flags & R) || (mxr && (flags & X));
    case access_type::kWrite: return (flags & W) != 0;
    case access_type::kExecute: return (flags & X) != 0;
  }
  return false;
}

// Short names for the permission table.
constexpr auto Uu = privilege::kUser;
constexpr auto Ss = privilege::kSupervisor;
constexpr auto Rd = access_type::kRead;
constexpr auto Wr = access_type::kWrite;
constexpr auto Ex = access_type::kExecute;

constexpr uint64_t kVaddr = 0x12345abc;  // vpn2 0, vpn1 0x91, vpn0 0x145, offset 0xabc

// Walks kVaddr once on fresh tables whose leaf has `flags` (+V, A and D
// clear) and checks the outcome against `expect_ok`.
void check_permission(privilege priv, bool sum, bool mxr, access_type access, uint64_t flags,
                      bool expect_ok) {
  tables t;
  const uint64_t leaf_before = pte::make(kFrame, flags | V);
  t.map4k(kVaddr, kFrame, flags | V);
  const auto r = do_walk(t, kVaddr, access, priv, sum, mxr);
  const uint64_t leaf_after = t.leaf4k(kVaddr);
  REQUIRE(r.ok == expect_ok);
  if (!expect_ok) {
    CHECK(r.fault == page_fault_for(access));
    CHECK(leaf_after == leaf_before);  // no A/D update on a faulting access
    return;
  }
  CHECK(r.paddr == kFrame + 0xabc);
  CHECK(r.level == 0);
  CHECK(r.pte_reads == 3);
  CHECK((leaf_after & A) != 0);
  CHECK(((leaf_after & D) != 0) == (access == access_type::kWrite));
  CHECK(r.pte == leaf_after);
  CHECK(r.readable == spec_allows(priv, sum, mxr, access_type::kRead, flags));
  CHECK(r.executable == spec_allows(priv, sum, mxr, access_type::kExecute, flags));
  // writable only once D is set: here only after this walk was a write.
  CHECK(r.writable ==
        (spec_allows(priv, sum, mxr, access_type::kWrite, flags) && access == access_type::kWrite));
}

}  // namespace

TEST_CASE("walker permission table: hand-written cases from the privileged spec", "[mmu][walker]") {
  // priv, SUM, MXR, access, leaf flags, expected ok
  auto [priv, sum, mxr, access, flags, ok] =
      GENERATE(table<privilege, bool, bool, access_type, uint64_t, bool>({
          // U-mode: only U pages, plain R/W/X rules
          {Uu, false, false, Rd, R | U, true},
          {Uu, false, false, Wr, R | U, false},
          {Uu, false, false, Ex, R | U, false},
          {Uu, false, false, Rd, R | W | U, true},
          {Uu, false, false, Wr, R | W | U, true},
          {Uu, false, false, Ex, R | W | U, false},
          {Uu, false, false, Rd, X | U, false},
          {Uu, false, true, Rd, X | U, true},  // MXR makes X pages readable
          {Uu, false, true, Wr, X | U, false},
          {Uu, false, false, Ex, X | U, true},
          {Uu, false, false, Ex, R | X | U, true},
          {Uu, false, false, Wr, R | X | U, false},
          {Uu, false, false, Rd, R | W | X | U, true},
          {Uu, false, false, Wr, R | W | X | U, true},
          {Uu, false, false, Ex, R | W | X | U, true},
          {Uu, false, false, Rd, R | W | X, false},  // S page: never from U-mode
          {Uu, true, false, Rd, R | W | X, false},   // SUM does not matter to U-mode
          {Uu, true, true, Ex, R | W | X, false},
          // S-mode, S pages
          {Ss, false, false, Rd, R, true},
          {Ss, false, false, Wr, R, false},
          {Ss, false, false, Rd, R | W, true},
          {Ss, false, false, Wr, R | W, true},
          {Ss, false, false, Ex, R | W, false},
          {Ss, false, false, Rd, X, false},
          {Ss, false, true, Rd, X, true},
          {Ss, false, false, Ex, X, true},
          {Ss, false, false, Ex, R | X, true},
          {Ss, false, false, Ex, R | W | X, true},
          // S-mode, U pages: loads/stores need SUM, fetches always fault
          {Ss, false, false, Rd, R | U, false},
          {Ss, true, false, Rd, R | U, true},
          {Ss, false, false, Wr, R | W | U, false},
          {Ss, true, false, Wr, R | W | U, true},
          {Ss, true, false, Ex, R | X | U, false},
          {Ss, true, true, Ex, R | W | X | U, false},
          {Ss, true, false, Rd, X | U, false},
          {Ss, true, true, Rd, X | U, true},
          {Ss, false, true, Rd, X | U, false},
      }));
  CAPTURE(static_cast<int>(priv), sum, mxr, name(access), flags);
  // The reference model agrees with every hand-written row...
  CHECK(spec_allows(priv, sum, mxr, access, flags) == ok);
  // ...and so does the walker.
  check_permission(priv, sum, mxr, access, flags, ok);
}

TEST_CASE("walker permission matrix: every privilege x SUM x MXR x access x leaf flags",
          "[mmu][walker]") {
  const privilege priv = GENERATE(privilege::kUser, privilege::kSupervisor);
  const bool sum = GENERATE(false, true);
  const bool mxr = GENERATE(false, true);
  const access_type access =
      GENERATE(access_type::kRead, access_type::kWrite, access_type::kExecute);
  // as<uint64_t>: an lvalue first argument would make Catch2 v2 keep
  // references to temporaries.
  const uint64_t rwx = GENERATE(as<uint64_t>{}, R, R | W, X, R | X, R | W | X);
  const uint64_t user = GENERATE(as<uint64_t>{}, 0, U);
  REQUIRE((rwx != 0 && (rwx & ~(R | W | X)) == 0));
  const uint64_t flags = rwx | user;
  CAPTURE(static_cast<int>(priv), sum, mxr, name(access), flags);
  check_permission(priv, sum, mxr, access, flags, spec_allows(priv, sum, mxr, access, flags));
}

TEST_CASE("walker: invalid PTEs (V=0) fault at every level", "[mmu][walker]") {
  const access_type access =
      GENERATE(access_type::kRead, access_type::kWrite, access_type::kExecute);
  CAPTURE(name(access));
  tables t;
  SECTION("root entry invalid") {
    const auto r = do_walk(t, kVaddr, access);
    CHECK_FALSE(r.ok);
    CHECK(r.fault == page_fault_for(access));
    CHECK(r.pte_reads == 1);
  }
  SECTION("middle entry invalid") {
    t.set(kRoot, vpn(kVaddr, 2), pte::make(kL1, V));
    t.set(kL1, vpn(kVaddr, 1), pte::make(kL0, 0));
    const auto r = do_walk(t, kVaddr, access);
    CHECK_FALSE(r.ok);
    CHECK(r.fault == page_fault_for(access));
    CHECK(r.pte_reads == 2);
  }
  SECTION("leaf invalid even with permissions set") {
    t.map4k(kVaddr, kFrame, R | W | X | A | D);  // no V
    const auto r = do_walk(t, kVaddr, access);
    CHECK_FALSE(r.ok);
    CHECK(r.fault == page_fault_for(access));
    CHECK(r.pte_reads == 3);
  }
}

TEST_CASE("walker: W without R is reserved and faults for every access", "[mmu][walker]") {
  const access_type access =
      GENERATE(access_type::kRead, access_type::kWrite, access_type::kExecute);
  const uint64_t flags = GENERATE(as<uint64_t>{}, W, W | X, W | U, W | X | U);
  REQUIRE(((flags & W) != 0 && (flags & R) == 0));
  const bool mxr = GENERATE(false, true);
  CAPTURE(name(access), flags, mxr);
  tables t;
  t.map4k(kVaddr, kFrame, flags | V | A | D);
  const auto r = do_walk(t, kVaddr, access, (flags & U) ? privilege::kUser : privilege::kSupervisor,
                         false, mxr);
  CHECK_FALSE(r.ok);
  CHECK(r.fault == page_fault_for(access));
}

TEST_CASE("walker: reserved PTE bits 63:54 fault in leaf and non-leaf entries", "[mmu][walker]") {
  const unsigned bit = GENERATE(54u, 55u, 60u, 61u, 62u, 63u);
  CAPTURE(bit);
  tables t;
  SECTION("leaf") {
    t.map4k(kVaddr, kFrame, R | W | X | V | A | D);
    // Control: the same leaf without the reserved bit translates.
    REQUIRE(do_walk(t, kVaddr, access_type::kRead).ok);
    t.set(kL0, vpn(kVaddr, 0), t.leaf4k(kVaddr) | (1ull << bit));
    const auto r = do_walk(t, kVaddr, access_type::kRead);
    CHECK_FALSE(r.ok);
    CHECK(r.fault == exception::kLoadPageFault);
  }
  SECTION("non-leaf") {
    t.map4k(kVaddr, kFrame, R | W | X | V | A | D);
    t.set(kL1, vpn(kVaddr, 1), pte::make(kL0, V) | (1ull << bit));
    const auto r = do_walk(t, kVaddr, access_type::kWrite);
    CHECK_FALSE(r.ok);
    CHECK(r.fault == exception::kStorePageFault);
    CHECK(r.pte_reads == 2);
  }
}

TEST_CASE("walker: non-leaf PTEs with A, D or U set fault (reserved in non-leaf entries)",
          "[mmu][walker]") {
  const uint64_t bit = GENERATE(as<uint64_t>{}, A, D, U);
  REQUIRE((bit == A || bit == D || bit == U));
  CAPTURE(bit);
  tables t;
  t.map4k(kVaddr, kFrame, R | V);
  t.set(kRoot, vpn(kVaddr, 2), pte::make(kL1, V | bit));
  const auto r = do_walk(t, kVaddr, access_type::kRead);
  CHECK_FALSE(r.ok);
  CHECK(r.fault == exception::kLoadPageFault);
  CHECK(r.pte_reads == 1);
}

TEST_CASE("walker: a pointer PTE at level 0 faults", "[mmu][walker]") {
  tables t;
  // L0 entry with V only is a pointer to a next level that does not exist.
  t.map4k(kVaddr, kRamBase + 0x5000, V);
  const access_type access =
      GENERATE(access_type::kRead, access_type::kWrite, access_type::kExecute);
  CAPTURE(name(access));
  const auto r = do_walk(t, kVaddr, access);
  CHECK_FALSE(r.ok);
  CHECK(r.fault == page_fault_for(access));
  CHECK(r.pte_reads == 3);
}

TEST_CASE("walker: non-canonical virtual addresses fault without reading a PTE", "[mmu][walker]") {
  tables t;
  // root[256] is a valid 1 GiB leaf: a walker that ignored bits 63:39 would
  // translate 0x40_0000_0000 through it.
  t.set(kRoot, 256, pte::make(kRamBase, R | W | X | V | A | D));
  const uint64_t bad = GENERATE(uint64_t{0x0000004000000000}, uint64_t{0x0000007fffffffff},
                                uint64_t{0x8000000000000000}, uint64_t{0xffffffbfffffffff},
                                uint64_t{0x0000800000000000}, uint64_t{0x7fffffc000000000});
  CAPTURE(bad);
  REQUIRE_FALSE(sv39::canonical(bad));
  const auto r = do_walk(t, bad, access_type::kRead);
  CHECK_FALSE(r.ok);
  CHECK(r.fault == exception::kLoadPageFault);
  CHECK(r.pte_reads == 0);

  // The sign-extended form of the same address is canonical and translates.
  const auto good = do_walk(t, 0xffffffc000000123, access_type::kRead);
  REQUIRE(good.ok);
  CHECK(good.paddr == kRamBase + 0x123);
  CHECK(good.level == 2);
}

TEST_CASE("walker: 2 MiB and 1 GiB superpages take their offset from the vaddr", "[mmu][walker]") {
  tables t;
  SECTION("2 MiB") {
    const uint64_t vaddr = 0x00a12345;  // vpn2 0, vpn1 5, offset 0x12345 in the megapage
    t.set(kRoot, vpn(vaddr, 2), pte::make(kL1, V));
    t.set(kL1, vpn(vaddr, 1), pte::make(kRamBase + 0x200000, R | W | V));
    const auto r = do_walk(t, vaddr, access_type::kWrite);
    REQUIRE(r.ok);
    CHECK(r.paddr == kRamBase + 0x212345);
    CHECK(r.level == 1);
    CHECK(r.pte_reads == 2);
    CHECK((t.get(kL1, vpn(vaddr, 1)) & (A | D)) == (A | D));
    CHECK(r.writable);
    // The last byte of the megapage still maps into it.
    const auto last = do_walk(t, 0x00bfffff, access_type::kRead);
    REQUIRE(last.ok);
    CHECK(last.paddr == kRamBase + 0x3fffff);
  }
  SECTION("1 GiB") {
    const uint64_t vaddr = 0x41234567;  // vpn2 1, offset 0x1234567 in the gigapage
    t.set(kRoot, 1, pte::make(0x80000000, R | X | V));
    const auto r = do_walk(t, vaddr, access_type::kExecute);
    REQUIRE(r.ok);
    CHECK(r.paddr == 0x81234567);
    CHECK(r.level == 2);
    CHECK(r.pte_reads == 1);
    CHECK((t.get(kRoot, 1) & A) != 0);
    CHECK((t.get(kRoot, 1) & D) == 0);
    CHECK(r.executable);
    CHECK_FALSE(r.writable);
  }
}

TEST_CASE("walker: misaligned superpages (low PPN bits set) fault", "[mmu][walker]") {
  tables t;
  SECTION("2 MiB leaf whose PPN is only 4 KiB aligned") {
    const uint64_t vaddr = 0x00a12345;
    t.set(kRoot, 0, pte::make(kL1, V));
    t.set(kL1, vpn(vaddr, 1), pte::make(kRamBase + 0x201000, R | W | V));
    const auto r = do_walk(t, vaddr, access_type::kRead);
    CHECK_FALSE(r.ok);
    CHECK(r.fault == exception::kLoadPageFault);
    CHECK(r.pte_reads == 2);
    CHECK((t.get(kL1, vpn(vaddr, 1)) & A) == 0);  // no A update on a fault
  }
  SECTION("1 GiB leaf whose PPN is only 2 MiB aligned") {
    const uint64_t ppn_paddr =
        GENERATE(uint64_t{0x80200000}, uint64_t{0x80001000}, uint64_t{0xbffff000});
    CAPTURE(ppn_paddr);
    t.set(kRoot, 1, pte::make(ppn_paddr, R | W | X | V));
    const auto r = do_walk(t, 0x40000000, access_type::kExecute);
    CHECK_FALSE(r.ok);
    CHECK(r.fault == exception::kInstructionPageFault);
    CHECK((t.get(kRoot, 1) & A) == 0);  // no A update on a fault
  }
}

TEST_CASE("walker: A is set on every access, D only on writes, in guest memory", "[mmu][walker]") {
  tables t;
  const uint64_t leaf = t.map4k(kVaddr, kFrame, R | W | X | V);
  auto in_memory = [&] {
    uint64_t v;
    std::memcpy(&v, t.ram.host(leaf), 8);
    return v;
  };
  SECTION("read") {
    REQUIRE(do_walk(t, kVaddr, access_type::kRead).ok);
    CHECK((in_memory() & (A | D)) == A);
  }
  SECTION("execute") {
    REQUIRE(do_walk(t, kVaddr, access_type::kExecute).ok);
    CHECK((in_memory() & (A | D)) == A);
  }
  SECTION("write") {
    REQUIRE(do_walk(t, kVaddr, access_type::kWrite).ok);
    CHECK((in_memory() & (A | D)) == (A | D));
  }
  // The intermediate PTEs are never given A/D (they are reserved there).
  CHECK((t.get(kRoot, vpn(kVaddr, 2)) & (A | D)) == 0);
  CHECK((t.get(kL1, vpn(kVaddr, 1)) & (A | D)) == 0);
  // Nothing but A/D changed.
  CHECK((in_memory() & ~(A | D)) == pte::make(kFrame, R | W | X | V));
}

TEST_CASE("walker: writable stays false until the page is dirty", "[mmu][walker]") {
  tables t;
  t.map4k(kVaddr, kFrame, R | W | V);
  const auto first_read = do_walk(t, kVaddr, access_type::kRead);
  REQUIRE(first_read.ok);
  CHECK(first_read.readable);
  CHECK_FALSE(first_read.writable);  // D clear: the first store must walk again
  CHECK((t.leaf4k(kVaddr) & D) == 0);

  const auto store = do_walk(t, kVaddr, access_type::kWrite);
  REQUIRE(store.ok);
  CHECK(store.writable);
  CHECK((t.leaf4k(kVaddr) & D) != 0);

  const auto second_read = do_walk(t, kVaddr, access_type::kRead);
  REQUIRE(second_read.ok);
  CHECK(second_read.writable);  // now dirty
}

TEST_CASE("walker: a PTE outside RAM gives an access fault, not a page fault", "[mmu][walker]") {
  const access_type access =
      GENERATE(access_type::kRead, access_type::kWrite, access_type::kExecute);
  CAPTURE(name(access));
  tables t;
  SECTION("root table outside RAM") {
    const auto r =
        do_walk(t, kVaddr, access, privilege::kSupervisor, false, false, tables::satp(0x1000));
    CHECK_FALSE(r.ok);
    CHECK(r.fault == access_fault_for(access));
    CHECK(r.pte_reads == 0);
  }
  SECTION("next-level pointer outside RAM") {
    t.set(kRoot, vpn(kVaddr, 2), pte::make(kRamBase + kRamSize, V));  // one past the end
    const auto r = do_walk(t, kVaddr, access);
    CHECK_FALSE(r.ok);
    CHECK(r.fault == access_fault_for(access));
    CHECK(r.pte_reads == 1);
  }
  SECTION("leaf table below RAM") {
    t.set(kRoot, vpn(kVaddr, 2), pte::make(kL1, V));
    t.set(kL1, vpn(kVaddr, 1), pte::make(0x7ffff000, V));
    const auto r = do_walk(t, kVaddr, access);
    CHECK_FALSE(r.ok);
    CHECK(r.fault == access_fault_for(access));
    CHECK(r.pte_reads == 2);
  }
  SECTION("control: a table in the last page of RAM is fine") {
    const uint64_t last = kRamBase + kRamSize - 0x1000;
    t.set(kRoot, vpn(kVaddr, 2), pte::make(kL1, V));
    t.set(kL1, vpn(kVaddr, 1), pte::make(last, V));
    t.set(last, vpn(kVaddr, 0), pte::make(kFrame, R | W | X | V));
    const auto r = do_walk(t, kVaddr, access);
    CHECK(r.ok);
    CHECK(r.pte_reads == 3);
  }
}

TEST_CASE("walker: pte_reads counts the PTEs read on the way", "[mmu][walker]") {
  tables t;
  // 4 KiB: 3 reads; 2 MiB: 2; 1 GiB: 1.
  t.map4k(kVaddr, kFrame, R | V);
  t.set(kL1, 7, pte::make(kRamBase + 0x200000, R | V));  // 2 MiB leaf at vpn1 7
  t.set(kRoot, 3, pte::make(0x80000000, R | V));         // 1 GiB leaf at vpn2 3
  CHECK(do_walk(t, kVaddr, access_type::kRead).pte_reads == 3);
  CHECK(do_walk(t, 7ull << 21, access_type::kRead).pte_reads == 2);
  CHECK(do_walk(t, 3ull << 30, access_type::kRead).pte_reads == 1);
  // A fault still reports what was read before it.
  CHECK(do_walk(t, kVaddr + 0x1000, access_type::kRead).pte_reads == 3);  // next L0 slot: V=0
  CHECK(do_walk(t, 5ull << 30, access_type::kRead).pte_reads == 1);       // root slot 5: V=0
}
