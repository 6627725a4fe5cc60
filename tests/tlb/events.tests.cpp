// events.tests.cpp - the TLB's typed events: a subscriber sees every miss,
// flush and prefetch a design counts, and nothing when it unsubscribes.

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "mem/guest_ram.h"
#include "mmu/page_table.h"
#include "mmu/sv39.h"
#include "replay/tlb_translator.h"
#include "tlb/tlb_config.h"

namespace {

namespace pte = vm::mmu::sv39::pte;
using vm::tlb::access_type;

struct counting_sink final : vm::tlb::tlb_event_sink {
  uint64_t misses = 0, walked = 0, flushes = 0, prefetches = 0, filled = 0;
  void on(const vm::tlb::miss_event& e) noexcept override {
    ++misses;
    if (e.served_by == 0) ++walked;
  }
  void on(const vm::tlb::flush_event&) noexcept override { ++flushes; }
  void on(const vm::tlb::prefetch_event& e) noexcept override {
    ++prefetches;
    if (e.filled) ++filled;
  }
};

uint64_t counter(const vm::tlb::counter_list& list, const std::string& name) {
  for (const auto& [key, value] : list)
    if (key == name) return value;
  FAIL("no counter " << name);
  return 0;
}

}  // namespace

TEST_CASE("events: a subscriber sees the misses, flushes and prefetches the design counts",
          "[tlb][events]") {
  auto ram = vm::mem::guest_ram::create(0x80000000, 8 << 20);
  REQUIRE(ram.ok());
  vm::mem::frame_allocator frames(&ram.value(), 0x80400000, 0x80800000);
  vm::mmu::page_table table(&ram.value(), &frames);
  REQUIRE(table.init());
  constexpr uint64_t kBase = 0x10000000;
  for (uint64_t i = 0; i < 512; ++i)
    REQUIRE(table.map(kBase + i * 4096, 0x80000000 + i * 4096, pte::kRead | pte::kWrite | pte::kUser));
  vm::cpu::guest_state state;
  state.priv = vm::cpu::privilege::kUser;
  state.csr.satp = table.satp(1);

  auto config = vm::tlb::parse_tlb_config("l1=2x1,l2=4x2,prefetch=stride");
  REQUIRE(config.ok());
  auto t = vm::replay::make_tlb_translator(ram.value(), state, config.value());
  counting_sink sink;
  t->subscribe(&sink);
  uint64_t paddr;
  for (uint64_t i = 0; i < 256; ++i) REQUIRE(t->translate(kBase + i * 4096, access_type::kRead, paddr) == vm::mmu::access_status::kOk);
  t->flush(vm::tlb::flush_request::all());
  t->flush(vm::tlb::flush_request::by_address(kBase));

  const auto& c = t->counters();
  const auto design = t->design_counters();
  // Every L1 miss reaches the design once; those that walked are the walks.
  CHECK(sink.misses == c.l1.misses);
  CHECK(sink.walked == c.walks);
  CHECK(sink.flushes == 2);
  CHECK(sink.filled == counter(design, "tlb.prefetch.issued"));
  CHECK(sink.filled > 200);  // a sequential stream: the stride prefetcher fills ahead

  // Unsubscribed: nothing more arrives.
  t->subscribe(nullptr);
  const uint64_t before = sink.misses + sink.flushes + sink.prefetches;
  for (uint64_t i = 256; i < 512; ++i) (void)t->translate(kBase + i * 4096, access_type::kRead, paddr);
  t->flush(vm::tlb::flush_request::all());
  CHECK(sink.misses + sink.flushes + sink.prefetches == before);
}
