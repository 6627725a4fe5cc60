// page_table_superpage.tests.cpp - page_table::map_superpage: 2 MiB and
// 1 GiB leaves that the walker translates through, and the cases it must
// refuse without changing the tables.

#include <catch2/catch.hpp>
#include <cstring>

#include "mem/guest_ram.h"
#include "mmu/mmu.h"
#include "mmu/page_table.h"
#include "mmu/page_walker.h"
#include "mmu/sv39.h"

namespace {

using vm::cpu::privilege;
using vm::tlb::access_type;
namespace pte = vm::mmu::sv39::pte;

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t k2MiB = 2ull << 20, k1GiB = 1ull << 30;
constexpr uint64_t R = pte::kRead, W = pte::kWrite, X = pte::kExecute, U = pte::kUser;

// 8 MiB of RAM; table frames from the first 2 MiB, data above.
struct tables {
  vm::mem::guest_ram ram;
  vm::mem::frame_allocator frames;
  vm::mmu::page_table table;

  tables() {
    auto r = vm::mem::guest_ram::create(kRamBase, 8 << 20);
    REQUIRE(r.ok());
    ram = std::move(r).value();
    frames = vm::mem::frame_allocator(&ram, kRamBase, kRamBase + k2MiB);
    table = vm::mmu::page_table(&ram, &frames);
    REQUIRE(table.init());
  }

  vm::mmu::walk_result walk(uint64_t vaddr, access_type access = access_type::kRead) const {
    vm::mmu::walk_request req;
    req.satp = table.satp();
    req.vaddr = vaddr;
    req.access = access;
    req.priv = privilege::kUser;
    return vm::mmu::walk(ram, req);
  }
};

}  // namespace

TEST_CASE("the walker translates through a 2 MiB superpage", "[mmu][page_table][superpage]") {
  tables t;
  const uint64_t frame = kRamBase + 2 * k2MiB;
  REQUIRE(t.table.map_superpage(0x40000000 + 3 * k2MiB, frame, U | R | W, 1));
  for (uint64_t offset : {uint64_t{0}, uint64_t{0x1234}, k2MiB - 8}) {
    CAPTURE(offset);
    const auto w = t.walk(0x40000000 + 3 * k2MiB + offset, access_type::kWrite);
    REQUIRE(w.ok);
    CHECK(w.level == 1);
    CHECK(w.paddr == frame + offset);
    CHECK(w.pte_reads == 2);
    CHECK((w.pte & (pte::kAccessed | pte::kDirty)) == (pte::kAccessed | pte::kDirty));
  }
  CHECK_FALSE(t.walk(0x40000000 + 4 * k2MiB).ok);  // the next 2 MiB is unmapped
  CHECK_FALSE(t.walk(0x40000000 + 3 * k2MiB, access_type::kExecute).ok);
}

TEST_CASE("the walker translates through a 1 GiB superpage", "[mmu][page_table][superpage]") {
  tables t;
  REQUIRE(t.table.map_superpage(2 * k1GiB, kRamBase, U | R | X, 2));
  const auto w = t.walk(2 * k1GiB + 0x3456789, access_type::kExecute);
  REQUIRE(w.ok);
  CHECK(w.level == 2);
  CHECK(w.paddr == kRamBase + 0x3456789);
  CHECK(w.pte_reads == 1);
  CHECK_FALSE(t.walk(2 * k1GiB, access_type::kWrite).ok);
}

TEST_CASE("the MMU loads and stores through superpages", "[mmu][page_table][superpage]") {
  tables t;
  vm::cpu::guest_state state;
  state.priv = privilege::kUser;
  state.csr.satp = t.table.satp();
  REQUIRE(t.table.map_superpage(0, kRamBase + 2 * k2MiB, U | R | W, 1));
  vm::mmu::mmu m(t.ram, state);
  REQUIRE(m.store<uint64_t>(0x1ff000, 0x1122334455667788) == vm::mmu::access_status::kOk);
  uint64_t v = 0;
  REQUIRE(m.load<uint64_t>(0x1ff000, v) == vm::mmu::access_status::kOk);
  CHECK(v == 0x1122334455667788);
  uint64_t direct;
  std::memcpy(&direct, t.ram.host(kRamBase + 2 * k2MiB + 0x1ff000), 8);
  CHECK(direct == v);
}

TEST_CASE("map_superpage refuses bad arguments and conflicting mappings",
          "[mmu][page_table][superpage]") {
  tables t;
  SECTION("misaligned addresses, bad levels, no R or X") {
    CHECK_FALSE(t.table.map_superpage(0x1000, kRamBase, U | R, 1));
    CHECK_FALSE(t.table.map_superpage(k2MiB, kRamBase + 0x1000, U | R, 1));
    CHECK_FALSE(t.table.map_superpage(k2MiB, kRamBase, U | R, 2));
    CHECK_FALSE(t.table.map_superpage(k2MiB, kRamBase, U | R, 0));
    CHECK_FALSE(t.table.map_superpage(k1GiB, kRamBase, U | R, 3));
    CHECK_FALSE(t.table.map_superpage(k2MiB, kRamBase, U | W, 1));
    CHECK_FALSE(t.walk(k2MiB).ok);
  }
  SECTION("a table of 4 KiB pages is not replaced") {
    REQUIRE(t.table.map(k2MiB + 0x5000, kRamBase + k2MiB, U | R));
    CHECK_FALSE(t.table.map_superpage(k2MiB, kRamBase + k2MiB, U | R, 1));
    const auto w = t.walk(k2MiB + 0x5000);
    REQUIRE(w.ok);
    CHECK(w.level == 0);
  }
  SECTION("4 KiB and 2 MiB pages under a 1 GiB superpage are refused") {
    REQUIRE(t.table.map_superpage(0, kRamBase, U | R, 2));
    CHECK_FALSE(t.table.map_superpage(k2MiB, kRamBase, U | R, 1));
    CHECK_FALSE(t.table.map(0x5000, kRamBase, U | R));
    CHECK(t.walk(0x5000).level == 2);
  }
  SECTION("a superpage replaces a superpage at the same slot") {
    REQUIRE(t.table.map_superpage(k2MiB, kRamBase, U | R, 1));
    REQUIRE(t.table.map_superpage(k2MiB, kRamBase + k2MiB, U | R | W, 1));
    const auto w = t.walk(k2MiB + 8, access_type::kWrite);
    REQUIRE(w.ok);
    CHECK(w.paddr == kRamBase + k2MiB + 8);
  }
}
