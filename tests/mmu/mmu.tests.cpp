// mmu.tests.cpp - the memory path (mmu::mmu): translated loads and stores,
// page-crossing accesses, faults, TLB counters and flushes, HTIF tohost.
// Page tables are built with mmu::page_table in guest RAM at 0x80000000.

#include "mmu/mmu.h"

#include <array>
#include <catch2/catch.hpp>
#include <cstring>
#include <memory>

#include "cpu/guest_state.h"
#include "mem/guest_ram.h"
#include "mmu/page_table.h"
#include "mmu/sv39.h"

namespace {

using vm::cpu::exception;
using vm::cpu::privilege;
using vm::mmu::access_status;
using vm::tlb::access_type;
namespace pte = vm::mmu::sv39::pte;
namespace mstatus = vm::cpu::mstatus;

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kRamSize = 16 << 20;

constexpr uint64_t R = pte::kRead, W = pte::kWrite, X = pte::kExecute, U = pte::kUser;
constexpr uint64_t A = pte::kAccessed, D = pte::kDirty;

// Guest RAM, a frame allocator above the first MiB, Sv39 tables and an MMU
// for a hart in S-mode with satp pointing at the tables.
struct machine {
  vm::mem::guest_ram ram;
  vm::mem::frame_allocator frames;
  vm::mmu::page_table tables;
  vm::cpu::guest_state state;
  std::unique_ptr<vm::mmu::mmu> mmu;

  explicit machine(privilege priv = privilege::kSupervisor) {
    auto r = vm::mem::guest_ram::create(kRamBase, kRamSize);
    REQUIRE(r.ok());
    ram = std::move(r).value();
    frames = vm::mem::frame_allocator(&ram, kRamBase + (1 << 20), kRamBase + kRamSize);
    tables = vm::mmu::page_table(&ram, &frames);
    REQUIRE(tables.init());
    state.priv = priv;
    state.csr.satp = tables.satp();
    mmu = std::make_unique<vm::mmu::mmu>(ram, state);
  }

  uint64_t frame() {
    const uint64_t f = frames.allocate();
    REQUIRE(f != 0);
    return f;
  }
  // Maps vaddr's page to a fresh frame; returns the frame.
  uint64_t map(uint64_t vaddr, uint64_t flags) {
    const uint64_t f = frame();
    REQUIRE(tables.map(vaddr, f, flags));
    return f;
  }
  uint8_t* host(uint64_t paddr) { return ram.host(paddr); }
  uint64_t leaf(uint64_t vaddr) {
    auto p = tables.lookup(vaddr);
    REQUIRE(p.has_value());
    return *p;
  }
  void fill(uint64_t paddr, uint8_t first, size_t n) {
    for (size_t i = 0; i < n; ++i) host(paddr)[i] = static_cast<uint8_t>(first + i);
  }
};

template <class T>
T le_bytes(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

TEST_CASE("mmu: loads and stores go through the page tables", "[mmu]") {
  const privilege priv = GENERATE(privilege::kSupervisor, privilege::kUser);
  CAPTURE(static_cast<int>(priv));
  machine m(priv);
  const uint64_t user = priv == privilege::kUser ? U : 0;
  const uint64_t f1 = m.map(0x10000, R | W | A | D | user);
  const uint64_t f2 = m.map(0x7f000, R | W | A | D | user);
  REQUIRE(f1 != f2);

  REQUIRE(m.mmu->store<uint64_t>(0x10008, 0x1122334455667788) == access_status::kOk);
  REQUIRE(m.mmu->store<uint32_t>(0x7f100, 0xcafef00d) == access_status::kOk);
  REQUIRE(m.mmu->store<uint16_t>(0x10ffe, 0xbeef) == access_status::kOk);
  REQUIRE(m.mmu->store<uint8_t>(0x7ffff, 0x5a) == access_status::kOk);
  // The bytes landed in the mapped frames.
  CHECK(le_bytes<uint64_t>(m.host(f1 + 8)) == 0x1122334455667788);
  CHECK(le_bytes<uint32_t>(m.host(f2 + 0x100)) == 0xcafef00d);
  CHECK(le_bytes<uint16_t>(m.host(f1 + 0xffe)) == 0xbeef);
  CHECK(m.host(f2 + 0xfff)[0] == 0x5a);
  // ...and nowhere near the identity-mapped physical addresses.
  CHECK(le_bytes<uint64_t>(m.host(kRamBase + 0x10008)) == 0);

  uint64_t q = 0;
  uint32_t w = 0;
  uint16_t h = 0;
  uint8_t b = 0;
  REQUIRE(m.mmu->load(0x10008, q) == access_status::kOk);
  REQUIRE(m.mmu->load(0x7f100, w) == access_status::kOk);
  REQUIRE(m.mmu->load(0x10ffe, h) == access_status::kOk);
  REQUIRE(m.mmu->load(0x7ffff, b) == access_status::kOk);
  CHECK(q == 0x1122334455667788);
  CHECK(w == 0xcafef00d);
  CHECK(h == 0xbeef);
  CHECK(b == 0x5a);
  // Misaligned within a page.
  REQUIRE(m.mmu->load(0x1000b, w) == access_status::kOk);
  CHECK(w == 0x22334455);
}

TEST_CASE("mmu: page-crossing loads and stores use both (differently mapped) pages", "[mmu]") {
  machine m;
  // Allocate so that the second page's frame lies *below* the first's.
  const uint64_t f_hi = m.frame();
  const uint64_t f_lo = m.frame();
  const uint64_t guard = m.frame();  // physically after f_lo: must stay zero
  REQUIRE(m.tables.map(0x10000, f_lo, R | W | A | D));
  REQUIRE(m.tables.map(0x11000, f_hi, R | W | A | D));
  REQUIRE(f_hi < f_lo);
  REQUIRE(guard == f_lo + 0x1000);
  m.fill(f_lo + 0xff0, 0x10, 16);  // ...fff0: 10 11 ... 1f
  m.fill(f_hi, 0x20, 16);          // next page: 20 21 ... 2f
  std::array<uint8_t, 32> image{};
  std::memcpy(image.data(), m.host(f_lo + 0xff0), 16);
  std::memcpy(image.data() + 16, m.host(f_hi), 16);

  SECTION("loads") {
    for (uint64_t vaddr = 0x10ff1; vaddr <= 0x10fff; ++vaddr) {
      CAPTURE(vaddr);
      const size_t at = vaddr - 0x10ff0;
      if (at + 2 > 16) {
        uint16_t v = 0;
        REQUIRE(m.mmu->load(vaddr, v) == access_status::kOk);
        CHECK(v == le_bytes<uint16_t>(image.data() + at));
      }
      if (at + 4 > 16) {
        uint32_t v = 0;
        REQUIRE(m.mmu->load(vaddr, v) == access_status::kOk);
        CHECK(v == le_bytes<uint32_t>(image.data() + at));
      }
      uint64_t v = 0;
      REQUIRE(m.mmu->load(vaddr, v) == access_status::kOk);
      CHECK(v == le_bytes<uint64_t>(image.data() + at));
    }
  }
  SECTION("stores") {
    const uint64_t vaddr = GENERATE(range(uint64_t{0x10ff9}, uint64_t{0x11000}));
    CAPTURE(vaddr);
    const size_t at = vaddr - 0x10ff0;
    const uint64_t value = 0xa1a2a3a4a5a6a7a8;
    REQUIRE(m.mmu->store<uint64_t>(vaddr, value) == access_status::kOk);
    std::memcpy(image.data() + at, &value, 8);
    CHECK(std::memcmp(m.host(f_lo + 0xff0), image.data(), 16) == 0);
    CHECK(std::memcmp(m.host(f_hi), image.data() + 16, 16) == 0);
    // The frames that would follow physically were not touched.
    CHECK(le_bytes<uint64_t>(m.host(guard)) == 0);
  }
}

TEST_CASE("mmu: a store crossing into an unmapped or read-only page faults and writes nothing",
          "[mmu]") {
  machine m;
  const uint64_t f = m.map(0x10000, R | W | A | D);
  m.fill(f + 0xff8, 0x40, 8);
  const bool second_read_only = GENERATE(false, true);
  CAPTURE(second_read_only);
  if (second_read_only) m.map(0x11000, R | A | D);
  const unsigned size = GENERATE(2u, 4u, 8u);
  CAPTURE(size);
  const uint64_t vaddr = 0x11000 - size / 2;
  access_status s{};
  switch (size) {
    case 2: s = m.mmu->store<uint16_t>(vaddr, 0xffff); break;
    case 4: s = m.mmu->store<uint32_t>(vaddr, 0xffffffff); break;
    default: s = m.mmu->store<uint64_t>(vaddr, ~0ull); break;
  }
  REQUIRE(s == access_status::kFault);
  CHECK(m.mmu->fault().cause == exception::kStorePageFault);
  // The spec's mtval for a misaligned access: the address of the portion
  // that faulted.
  CHECK(m.mmu->fault().tval == 0x11000);
  for (unsigned i = 0; i < 8; ++i) CHECK(m.host(f + 0xff8)[i] == 0x40 + i);

  // Loads: the read-only second page is fine, the unmapped one faults.
  uint64_t v = 0x5555;
  const access_status ls = m.mmu->load(0x10ffc, v);
  if (second_read_only) {
    CHECK(ls == access_status::kOk);
  } else {
    CHECK(ls == access_status::kFault);
    CHECK(m.mmu->fault().cause == exception::kLoadPageFault);
    CHECK(m.mmu->fault().tval == 0x11000);
  }
}

TEST_CASE("mmu: a store whose first page faults writes neither page", "[mmu]") {
  machine m;
  const uint64_t f = m.map(0x11000, R | W | A | D);
  REQUIRE(m.mmu->store<uint32_t>(0x10ffe, 0xdeadbeef) == access_status::kFault);
  CHECK(m.mmu->fault().cause == exception::kStorePageFault);
  CHECK(m.mmu->fault().tval == 0x10ffe);
  CHECK(le_bytes<uint32_t>(m.host(f)) == 0);
}

TEST_CASE("mmu: a faulting page-crossing store does not set D on the first page", "[mmu]") {
  // Privileged spec (Svadu / A-D update scheme): "updates to the D bit must
  // be exact (i.e., not speculative)". The store below never happens, so
  // the first page must not become dirty.
  machine m;
  m.map(0x10000, R | W | A);  // writable, not yet dirty
  REQUIRE(m.mmu->store<uint64_t>(0x10ffc, ~0ull) == access_status::kFault);
  CHECK((m.leaf(0x10000) & D) == 0);
}

TEST_CASE("mmu: hit/miss/walk counters", "[mmu]") {
  machine m;
  m.map(0x10000, R | W | A);  // not dirty: the first store walks again
  m.map(0x11000, R | W | A | D);
  const auto& c = m.mmu->counters();
  uint64_t v = 0;

  REQUIRE(m.mmu->load(0x10000, v) == access_status::kOk);
  CHECK(c.l1.misses == 1);
  CHECK(c.l1.hits == 0);
  CHECK(c.walks == 1);
  CHECK(c.pte_reads == 3);

  REQUIRE(m.mmu->load(0x10008, v) == access_status::kOk);
  REQUIRE(m.mmu->load(0x10ff8, v) == access_status::kOk);
  CHECK(c.l1.misses == 1);
  CHECK(c.l1.hits == 2);
  CHECK(c.walks == 1);

  // First store to the clean page: the read-filled entry has no write tag.
  REQUIRE(m.mmu->store<uint64_t>(0x10010, 1) == access_status::kOk);
  CHECK(c.walks == 2);
  CHECK(c.l1.misses == 2);
  CHECK((m.leaf(0x10000) & D) != 0);
  // Now it hits for both.
  REQUIRE(m.mmu->store<uint64_t>(0x10018, 2) == access_status::kOk);
  REQUIRE(m.mmu->load(0x10018, v) == access_status::kOk);
  CHECK(v == 2);
  CHECK(c.walks == 2);
  CHECK(c.l1.hits == 4);

  // Another page: its own walk.
  REQUIRE(m.mmu->store<uint64_t>(0x11000, 3) == access_status::kOk);
  CHECK(c.walks == 3);
  CHECK(c.pte_reads == 9);

  // A fault counts a walk and a page fault, and fills nothing.
  CHECK(m.mmu->load(0x12000, v) == access_status::kFault);
  CHECK(m.mmu->load(0x12000, v) == access_status::kFault);
  CHECK(c.walks == 5);
  CHECK(c.page_faults == 2);
  CHECK(c.access_faults == 0);
}

TEST_CASE("mmu: flush() makes the next access walk again", "[mmu]") {
  machine m;
  const uint64_t f = m.map(0x10000, R | W | A | D);
  m.map(0x20000, R | W | A | D);
  const auto& c = m.mmu->counters();
  uint64_t v = 0;
  REQUIRE(m.mmu->load(0x10000, v) == access_status::kOk);
  REQUIRE(m.mmu->load(0x20000, v) == access_status::kOk);
  REQUIRE(c.walks == 2);
  REQUIRE(m.mmu->load(0x10000, v) == access_status::kOk);
  REQUIRE(c.walks == 2);

  SECTION("flush") {
    m.mmu->flush();
    CHECK(c.l1.flushes == 1);
    REQUIRE(m.mmu->load(0x10000, v) == access_status::kOk);
    REQUIRE(m.mmu->load(0x20000, v) == access_status::kOk);
    CHECK(c.walks == 4);
  }
  SECTION("flush_page re-walks only that page") {
    m.mmu->flush_page(0x10abc);
    REQUIRE(m.mmu->load(0x20000, v) == access_status::kOk);
    CHECK(c.walks == 2);
    REQUIRE(m.mmu->load(0x10000, v) == access_status::kOk);
    CHECK(c.walks == 3);
  }
  SECTION("a page-table edit is seen only after a flush") {
    REQUIRE(m.tables.unmap(0x10000).has_value());
    // Without a flush the cached translation is still used (sfence.vma
    // semantics: the TLB may hold stale entries until flushed).
    CHECK(m.mmu->load(0x10000, v) == access_status::kOk);
    m.mmu->flush();
    CHECK(m.mmu->load(0x10000, v) == access_status::kFault);
    CHECK(m.mmu->fault().cause == exception::kLoadPageFault);
    // Remapped to another frame: the new frame is used.
    const uint64_t g = m.frame();
    REQUIRE(g != f);
    std::memcpy(m.host(g), "\x99\x88\x77\x66\x55\x44\x33\x22", 8);
    REQUIRE(m.tables.map(0x10000, g, R | A));
    m.mmu->flush();
    REQUIRE(m.mmu->load(0x10000, v) == access_status::kOk);
    CHECK(v == 0x2233445566778899);
    // Read-only now.
    CHECK(m.mmu->store<uint8_t>(0x10000, 1) == access_status::kFault);
    CHECK(m.mmu->fault().cause == exception::kStorePageFault);
  }
}

TEST_CASE("mmu: privilege, SUM and MXR through the MMU", "[mmu]") {
  machine m;
  const uint64_t fu = m.map(0x10000, R | W | X | U | A | D);
  m.map(0x20000, X | A | D);  // execute-only S page
  REQUIRE(fu != 0);
  uint64_t v = 0;
  const uint8_t* code = nullptr;

  // S-mode without SUM cannot touch the U page.
  CHECK(m.mmu->load(0x10000, v) == access_status::kFault);
  CHECK(m.mmu->fault().cause == exception::kLoadPageFault);
  CHECK(m.mmu->fault().tval == 0x10000);
  // With SUM it can load and store, but never execute it.
  m.state.csr.mstatus |= mstatus::kSum;
  m.mmu->flush();
  CHECK(m.mmu->load(0x10000, v) == access_status::kOk);
  CHECK(m.mmu->store<uint8_t>(0x10000, 1) == access_status::kOk);
  CHECK(m.mmu->fetch(0x10000, code) == access_status::kFault);
  CHECK(m.mmu->fault().cause == exception::kInstructionPageFault);

  // Execute-only: fetch yes, load only with MXR.
  CHECK(m.mmu->fetch(0x20004, code) == access_status::kOk);
  CHECK(code == m.host(pte::ppn(m.leaf(0x20000)) << 12) + 4);
  CHECK(m.mmu->load(0x20000, v) == access_status::kFault);
  m.state.csr.mstatus |= mstatus::kMxr;
  m.mmu->flush();
  CHECK(m.mmu->load(0x20000, v) == access_status::kOk);
  CHECK(m.mmu->store<uint8_t>(0x20000, 1) == access_status::kFault);

  // U-mode: its own page yes, the S page no.
  m.state.priv = privilege::kUser;
  m.mmu->flush();
  CHECK(m.mmu->load(0x10000, v) == access_status::kOk);
  CHECK(m.mmu->fetch(0x10000, code) == access_status::kOk);
  CHECK(m.mmu->fetch(0x20000, code) == access_status::kFault);
  CHECK(m.mmu->fault().cause == exception::kInstructionPageFault);
}

TEST_CASE("mmu: M-mode is bare; MPRV translates loads and stores with MPP's privilege", "[mmu]") {
  machine m(privilege::kMachine);
  const uint64_t f = m.map(0x10000, R | W | A | D | U);
  std::memcpy(m.host(f), "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
  uint64_t v = 0;
  // Bare: 0x10000 is a physical address outside RAM.
  CHECK(m.mmu->load(0x10000, v) == access_status::kFault);
  CHECK(m.mmu->fault().cause == exception::kLoadAccessFault);
  CHECK(m.mmu->counters().access_faults == 1);
  // Bare access to RAM works.
  REQUIRE(m.mmu->load(f, v) == access_status::kOk);
  CHECK(v == 0x0807060504030201);

  // MPRV with MPP = U: loads/stores translate as U-mode; fetches stay bare.
  m.state.csr.mstatus |= mstatus::kMprv | (uint64_t{0} << mstatus::kMppShift);
  m.mmu->flush();
  REQUIRE(m.mmu->load(0x10000, v) == access_status::kOk);
  CHECK(v == 0x0807060504030201);
  const uint8_t* code = nullptr;
  CHECK(m.mmu->fetch(0x10000, code) == access_status::kFault);
  CHECK(m.mmu->fault().cause == exception::kInstructionAccessFault);
  CHECK(m.mmu->fetch(f, code) == access_status::kOk);
}

TEST_CASE("mmu: translate() gives the physical address on a miss and on a hit", "[mmu]") {
  machine m;
  const uint64_t f = m.map(0x10000, R | W | A | D);
  uint64_t paddr = 0;
  REQUIRE(m.mmu->translate(0x10abc, access_type::kWrite, paddr) == access_status::kOk);
  CHECK(paddr == f + 0xabc);
  REQUIRE(m.mmu->translate(0x10123, access_type::kWrite, paddr) == access_status::kOk);
  CHECK(paddr == f + 0x123);
  CHECK(m.mmu->counters().walks == 1);
  CHECK(m.mmu->translate(0x10000, access_type::kExecute, paddr) == access_status::kFault);
  CHECK(m.mmu->fault().cause == exception::kInstructionPageFault);
}

TEST_CASE("mmu: atomic_pointer checks alignment and write permission", "[mmu]") {
  machine m;
  const uint64_t f = m.map(0x10000, R | W | A | D);
  m.map(0x11000, R | A | D);
  uint64_t* p = nullptr;
  uint32_t* p32 = nullptr;
  REQUIRE(m.mmu->atomic_pointer(0x10010, false, p) == access_status::kOk);
  CHECK(reinterpret_cast<uint8_t*>(p) == m.host(f + 0x10));
  CHECK(m.mmu->atomic_pointer(0x10004, false, p) == access_status::kFault);
  CHECK(m.mmu->fault().cause == exception::kStoreMisaligned);
  CHECK(m.mmu->fault().tval == 0x10004);
  CHECK(m.mmu->atomic_pointer(0x10002, true, p32) == access_status::kFault);
  CHECK(m.mmu->fault().cause == exception::kLoadMisaligned);
  // LR on a read-only page is fine, an AMO/SC is not.
  CHECK(m.mmu->atomic_pointer(0x11008, true, p) == access_status::kOk);
  CHECK(m.mmu->atomic_pointer(0x11008, false, p) == access_status::kFault);
  CHECK(m.mmu->fault().cause == exception::kStorePageFault);
}

TEST_CASE("mmu: HTIF: a store to tohost returns kHostCall, every time", "[mmu]") {
  SECTION("bare M-mode") {
    machine m(privilege::kMachine);
    const uint64_t tohost = kRamBase + 0x3000;
    m.mmu->set_tohost(tohost);
    CHECK(m.mmu->store<uint64_t>(tohost, 0x0000000000000001) == access_status::kHostCall);
    std::memset(m.host(tohost), 0, 8);  // the host consumed it
    // A second store must not be absorbed by a TLB fast path.
    CHECK(m.mmu->store<uint64_t>(tohost, 0x0101000000000041) == access_status::kHostCall);
    std::memset(m.host(tohost), 0, 8);
    // Writing zero is not a command.
    CHECK(m.mmu->store<uint64_t>(tohost, 0) == access_status::kOk);
    // A partial store into the doubleword counts.
    CHECK(m.mmu->store<uint32_t>(tohost + 4, 0x00010000) == access_status::kHostCall);
    std::memset(m.host(tohost), 0, 8);
    // Neighbouring words on the same page are plain memory.
    CHECK(m.mmu->store<uint64_t>(tohost + 8, 7) == access_status::kOk);
    CHECK(m.mmu->store<uint64_t>(tohost - 8, 7) == access_status::kOk);
    CHECK(le_bytes<uint64_t>(m.host(tohost + 8)) == 7);
    // Loads from the page are ordinary.
    uint64_t v = 0;
    CHECK(m.mmu->load(tohost + 8, v) == access_status::kOk);
    CHECK(v == 7);
    // HTIF disabled: an ordinary store.
    m.mmu->set_tohost(0);
    m.mmu->flush();
    CHECK(m.mmu->store<uint64_t>(tohost, 1) == access_status::kOk);
  }
  SECTION("through a translated mapping") {
    machine m;
    const uint64_t f = m.map(0x40000, R | W | A | D);
    m.mmu->set_tohost(f + 0x40);
    CHECK(m.mmu->store<uint64_t>(0x40040, 5) == access_status::kHostCall);
    CHECK(le_bytes<uint64_t>(m.host(f + 0x40)) == 5);
    std::memset(m.host(f + 0x40), 0, 8);
    CHECK(m.mmu->store<uint64_t>(0x40040, 6) == access_status::kHostCall);
    CHECK(m.mmu->store<uint64_t>(0x40048, 6) == access_status::kOk);
  }
}
