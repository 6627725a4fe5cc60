// mem_replay.tests.cpp - `mem` trace replay (vm::replay): exact counters
// for small traces, faults, A/D updates, split accesses, cpus, page-size
// overrides, and determinism across replays and batch boundaries.

#include "replay/mem_replay.h"

#include <catch2/catch.hpp>
#include <random>

#include "mmu/page_walker.h"
#include "mmu/sv39.h"
#include "replay/test_traces.h"
#include "support/child_process.h"
#include "trace/trace_reader.h"

namespace {

using vm::replay::address_space;
using vm::replay::mem_replay_counters;
using vm::test::fetch;
using vm::test::range;
using vm::test::read;
using vm::test::write;
using vm::trace::kPermExecute;
using vm::trace::kPermRead;
using vm::trace::kPermWrite;
using vm::trace::page_range;
using vm::trace::record;
namespace pte = vm::mmu::sv39::pte;

constexpr uint8_t kRO = kPermRead, kRW = kPermRead | kPermWrite, kRX = kPermRead | kPermExecute;
constexpr uint64_t k2MiB = 2ull << 20, k1GiB = 1ull << 30;

std::unique_ptr<address_space> build(const std::vector<page_range>& map, uint64_t page_size = 0) {
  auto space = address_space::build(map, page_size, "test");
  REQUIRE(space.ok());
  return std::move(space).value();
}

// Replays `records` in one batch in a fresh space.
mem_replay_counters replay(const std::vector<page_range>& map, const std::vector<record>& records,
                           uint64_t page_size = 0, uint32_t cpus = 1) {
  auto space = build(map, page_size);
  vm::replay::mem_replayer replayer(*space, cpus);
  replayer.replay(records.data(), records.size(), 0);
  return replayer.counters();
}

uint64_t mix(uint64_t checksum, uint64_t value) {
  return (checksum ^ value) * vm::replay::kChecksumSeed;
}

// The leaf PTE that maps vaddr in `space`, read without side effects.
uint64_t leaf_pte(address_space& space, uint64_t vaddr) {
  vm::mmu::walk_request req;
  req.satp = space.state().csr.satp;
  req.vaddr = vaddr;
  req.priv = vm::cpu::privilege::kUser;
  req.update_accessed_dirty = false;
  const vm::mmu::walk_result w = vm::mmu::walk(space.ram(), req);
  REQUIRE(w.ok);
  return w.pte;
}

}  // namespace

TEST_CASE("N reads of one page: one miss, one walk, N-1 hits", "[replay][mem]") {
  std::vector<record> records;
  for (int i = 0; i < 100; ++i) records.push_back(read(0x10000 + 8 * i));
  const auto c = replay({range(0x10000, 0x11000, kRW)}, records);
  CHECK(c.records == 100);
  CHECK(c.accesses.reads == 100);
  CHECK(c.accesses.total() == 100);
  CHECK(c.bytes.reads == 800);
  CHECK(c.faults.total() == 0);
  CHECK(c.memory.l1.misses == 1);
  CHECK(c.memory.l1.hits == 99);
  CHECK(c.memory.walks == 1);
  CHECK(c.memory.pte_reads == 3);
  CHECK(c.memory.page_faults == 0);
  CHECK(c.accesses_per_cpu == std::vector<uint64_t>{100});
}

TEST_CASE("an access outside the page map page-faults and the replay goes on", "[replay][mem]") {
  const auto c = replay({range(0x10000, 0x11000, kRW)},
                        {read(0x10000), read(0x50000000), read(0x10008), write(0x90000)});
  CHECK(c.accesses.reads == 3);
  CHECK(c.accesses.writes == 1);
  CHECK(c.faults.reads == 1);
  CHECK(c.faults.writes == 1);
  CHECK(c.memory.page_faults == 2);
  CHECK(c.memory.access_faults == 0);
  CHECK(c.memory.l1.hits == 1);
  CHECK(c.memory.l1.misses == 3);
  // 0x50000000 has no level-2 entry: 1 PTE read; 0x90000 shares the tables
  // of 0x10000 down to level 0: 3.
  CHECK(c.memory.pte_reads == 3 + 1 + 3);
}

TEST_CASE("a store to a read-only range faults and changes nothing", "[replay][mem]") {
  const auto c =
      replay({range(0x10000, 0x11000, kRO)}, {write(0x10000), read(0x10000), write(0x10004, 4)});
  CHECK(c.faults.writes == 2);
  CHECK(c.faults.reads == 0);
  CHECK(c.memory.page_faults == 2);
  CHECK(c.checksum == mix(vm::replay::kChecksumSeed, 0));
}

TEST_CASE("stores write the record number and loads read it back", "[replay][mem]") {
  const std::vector<record> records = {
      read(0x10008),      // 0: 0
      write(0x10000),     // 1: stores 1
      read(0x10000),      // 2: 1
      read(0x10000, 4),   // 3: 1
      write(0x10010, 2),  // 4: stores 4
      read(0x10010, 1),   // 5: 4
      read(0x10000, 16),  // 6: 1, then 0 (0x10008)
      write(0x10020, 3),  // 7: stores 7 as 2 + 1 bytes: 07 00 07
      read(0x10020, 4),   // 8: 0x00070007
  };
  const auto c = replay({range(0x10000, 0x11000, kRW)}, records);
  uint64_t expected = vm::replay::kChecksumSeed;
  for (uint64_t v : {0, 1, 1, 4, 1, 0, 0x00070007}) expected = mix(expected, v);
  CHECK(c.checksum == expected);
  CHECK(c.faults.total() == 0);
  CHECK(c.bytes.reads == 8 + 8 + 4 + 1 + 16 + 4);
  CHECK(c.bytes.writes == 8 + 2 + 3);
}

TEST_CASE("A/D bits start clear: a first read sets A, a first store walks again and sets D",
          "[replay][mem]") {
  auto space = build({range(0x10000, 0x12000, kRW)});
  CHECK((leaf_pte(*space, 0x10000) & (pte::kAccessed | pte::kDirty)) == 0);
  CHECK((leaf_pte(*space, 0x10000) & pte::kUser) != 0);
  vm::replay::mem_replayer replayer(*space, 1);
  const std::vector<record> records = {read(0x10000), write(0x10008), write(0x11000),
                                       read(0x11008)};
  replayer.replay(records.data(), records.size(), 0);
  const auto c = replayer.counters();
  CHECK((leaf_pte(*space, 0x10000) & (pte::kAccessed | pte::kDirty)) ==
        (pte::kAccessed | pte::kDirty));
  CHECK((leaf_pte(*space, 0x11000) & (pte::kAccessed | pte::kDirty)) ==
        (pte::kAccessed | pte::kDirty));
  // Page 0x10000: read miss, then the store misses (no write tag while the
  // PTE is clean). Page 0x11000: the store sets A and D at once, the read
  // hits.
  CHECK(c.memory.walks == 3);
  CHECK(c.memory.l1.misses == 3);
  CHECK(c.memory.l1.hits == 1);
}

TEST_CASE("fetches need execute permission, stores need write", "[replay][mem]") {
  const auto c =
      replay({range(0x10000, 0x11000, kRX), range(0x20000, 0x21000, kRW)},
             {fetch(0x10000), fetch(0x10004, 2), fetch(0x20000), write(0x10000), read(0x10000)});
  CHECK(c.accesses.fetches == 3);
  CHECK(c.faults.fetches == 1);
  CHECK(c.faults.writes == 1);
  CHECK(c.faults.reads == 0);
  CHECK(c.bytes.fetches == 10);
}

TEST_CASE("permissions: write implies read, --- is not mapped", "[replay][mem]") {
  const auto c = replay({range(0x10000, 0x11000, kPermWrite), range(0x20000, 0x21000, 0)},
                        {read(0x10000), write(0x10000), read(0x20000)});
  CHECK(c.faults.reads == 1);
  CHECK(c.faults.writes == 0);
}

TEST_CASE("sizes other than 1/2/4/8 split into pieces; page-crossing accesses", "[replay][mem]") {
  const std::vector<page_range> map = {range(0x10000, 0x12000, kRX)};
  SECTION("16 bytes are two 8-byte lookups, 7 bytes three (4 + 2 + 1)") {
    const auto c = replay(map, {read(0x10000, 16), read(0x10100, 7)});
    CHECK(c.accesses.reads == 2);
    CHECK(c.memory.l1.misses + c.memory.l1.hits == 5);
    CHECK(c.memory.walks == 1);
  }
  SECTION("an 8-byte read across a page boundary translates both pages") {
    const auto c = replay(map, {read(0x10ffc, 8)});
    CHECK(c.faults.reads == 0);
    CHECK(c.memory.walks == 2);
  }
  SECTION("a fetch across a page boundary fetches both pages") {
    const auto c = replay(map, {fetch(0x10ffe, 4), fetch(0x11ffe, 4)});
    CHECK(c.accesses.fetches == 2);
    CHECK(c.faults.fetches == 1);  // the second runs off the map
    CHECK(c.memory.walks == 3);
  }
  SECTION("a read running into an unmapped page faults once") {
    const auto c = replay(map, {read(0x11ff8, 24)});
    CHECK(c.accesses.reads == 1);
    CHECK(c.faults.reads == 1);
  }
}

TEST_CASE("cpus share one TLB; accesses are counted per cpu", "[replay][mem]") {
  const auto c = replay({range(0x10000, 0x11000, kRW)},
                        {read(0x10000, 8, 0), read(0x10008, 8, 1), read(0x10010, 8, 0),
                         read(0x10018, 8, 2), read(0x10020, 8, 5)},
                        0, 3);
  CHECK(c.accesses_per_cpu == std::vector<uint64_t>{2, 1, 1, 0, 0, 1});
  CHECK(c.memory.l1.misses == 1);
  CHECK(c.memory.l1.hits == 4);
}

TEST_CASE("block, syscall and blob records in a mem trace are counted and skipped",
          "[replay][mem]") {
  record block;
  block.type = vm::trace::record_type::kBlock;
  block.address = 0x10000;
  block.size = 5;
  const auto c = replay({range(0x10000, 0x11000, kRW)}, {block, read(0x10000)});
  CHECK(c.records == 2);
  CHECK(c.other_records == 1);
  CHECK(c.accesses.total() == 1);
  CHECK(c.accesses_per_cpu == std::vector<uint64_t>{1});
}

TEST_CASE("2 MiB and 1 GiB pages: a sweep walks as often but reads fewer PTEs",
          "[replay][mem][superpage]") {
  // The L1 caches 4 KiB translations whatever the leaf's size, so misses
  // are the same; each walk stops at the superpage's level.
  std::vector<record> sweep;
  for (uint64_t a = 0x200000; a < 0x400000; a += 4096) sweep.push_back(read(a));
  const std::vector<page_range> map = {range(0x200000, 0x400000, kRW)};
  const uint64_t size = GENERATE(uint64_t{4096}, k2MiB, k1GiB);
  CAPTURE(size);
  const auto c = replay(map, sweep, size);
  const uint64_t pte_reads_per_walk = size == 4096 ? 3 : size == k2MiB ? 2 : 1;
  CHECK(c.faults.total() == 0);
  CHECK(c.memory.l1.misses == 512);
  CHECK(c.memory.walks == 512);
  CHECK(c.memory.pte_reads == 512 * pte_reads_per_walk);
}

TEST_CASE("a page-size override rounds ranges out and merges the ones that then overlap",
          "[replay][mem][superpage]") {
  const std::vector<page_range> map = {range(0x200000, 0x201000, kRO),
                                       range(0x300000, 0x301000, kRW)};
  const std::vector<record> records = {write(0x200000), read(0x280000), read(0x3ff000)};
  SECTION("4 KiB: only the recorded pages") {
    const auto c = replay(map, records, 4096);
    CHECK(c.faults.writes == 1);
    CHECK(c.faults.reads == 2);
  }
  SECTION("2 MiB: one rw- superpage") {
    auto ranges = vm::replay::effective_page_map(map, k2MiB, "test");
    REQUIRE(ranges.ok());
    REQUIRE(ranges.value().size() == 1);
    CHECK(ranges.value()[0] == range(0x200000, 0x400000, kRW, k2MiB));
    const auto c = replay(map, records, k2MiB);
    CHECK(c.faults.total() == 0);
  }
  SECTION("1 GiB: one superpage from 0") {
    auto space = build(map, k1GiB);
    CHECK(space->info().ranges == 1);
    CHECK(space->info().mapped_bytes == k1GiB);
    CHECK(space->info().page_table_pages == 1);
    const auto c = replay(map, {write(0x200000), read(0x3ffffff8), read(0x40000000)}, k1GiB);
    CHECK(c.faults.reads == 1);  // 0x40000000 is the next gigabyte
    CHECK(c.faults.writes == 0);
  }
}

TEST_CASE("recorded page sizes are used unless overridden; mixed sizes coexist",
          "[replay][mem][superpage]") {
  const std::vector<page_range> map = {range(0x200000, 0x400000, kRW, k2MiB),
                                       range(0x400000, 0x401000, kRO),
                                       range(k1GiB, 2 * k1GiB, kRX, k1GiB)};
  auto space = build(map);
  CHECK(space->info().ranges == 3);
  // Root, one level-1 table for the first gigabyte, one level-0 table for
  // the 4 KiB range.
  CHECK(space->info().page_table_pages == 3);
  const auto c = replay(map, {read(0x3ffff8), read(0x400000), fetch(k1GiB + 0x1234)});
  CHECK(c.faults.total() == 0);
  CHECK(c.memory.pte_reads == 2 + 3 + 1);
}

TEST_CASE("page-table pages are counted exactly", "[replay][mem]") {
  // Two 2 MiB regions with 4 KiB pages in one gigabyte: root + L1 + 2 L0.
  auto space = build({range(0x1ff000, 0x201000, kRW), range(0x3ff000, 0x400000, kRW)});
  CHECK(space->info().page_table_pages == 4);
  CHECK(space->info().mapped_bytes == 0x3000);
  CHECK(space->info().ram_bytes == 0x3000 + 4 * 4096);
}

TEST_CASE("the upper half of the Sv39 space maps; non-canonical ranges are refused",
          "[replay][mem]") {
  const uint64_t high = 0xffffffc000000000;
  const auto c = replay({range(high, high + 0x1000, kRW)}, {write(high + 8), read(high + 8)});
  CHECK(c.faults.total() == 0);
  CHECK(c.checksum == mix(vm::replay::kChecksumSeed, 0));

  auto bad = address_space::build({range(1ull << 38, (1ull << 38) + 0x1000, kRW)}, 0, "t.vmt");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.err().code == vm::error_code::kUnsupported);
  CHECK_THAT(bad.err().message, Catch::Contains("t.vmt: page_map[0]") &&
                                    Catch::Contains("outside the Sv39 address space"));
}

TEST_CASE("replays are deterministic: across runs and whatever the batch boundaries",
          "[replay][mem]") {
  const auto seed = GENERATE(1u, 2u, 3u);
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  const std::vector<page_range> map = {range(0x10000, 0x30000, kRW), range(0x40000, 0x42000, kRX),
                                       range(0x50000, 0x51000, kRO)};
  std::vector<record> records;
  for (int i = 0; i < 20000; ++i) {
    const auto type = static_cast<vm::trace::record_type>(rng() % 3);
    const uint32_t size =
        rng() % 8 == 0 ? 1 + static_cast<uint32_t>(rng() % 40) : 1u << (rng() % 4);
    records.push_back(vm::test::access(type, 0x10000 + rng() % 0x48000, size,
                                       static_cast<uint16_t>(rng() % 4 == 0)));
  }
  const auto whole = replay(map, records, 0, 2);
  CHECK(whole.faults.total() > 0);
  CHECK(whole.faults.total() < records.size());

  auto space = build(map);
  vm::replay::mem_replayer batched(*space, 2);
  for (size_t at = 0; at < records.size();) {
    const size_t n = std::min<size_t>(1 + rng() % 700, records.size() - at);
    batched.replay(records.data() + at, n, at);
    at += n;
  }
  CHECK(vm::replay::same_counters(whole, batched.counters()));

  // Through files, chunked, twice.
  const vm::test::scratch_dir dir;
  vm::test::mem_trace t;
  t.records = records;
  t.page_map = map;
  t.cpus = 2;
  t.records_per_chunk = 1000;
  vm::test::write_mem_trace(dir.file("t.vmt"), t);
  auto reader = vm::trace::trace_reader::open(dir.file("t.vmt"));
  REQUIRE(reader.ok());
  auto first = vm::replay::replay_mem(*reader.value(), {});
  auto second = vm::replay::replay_mem(*reader.value(), {});
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(vm::replay::same_counters(first.value().counters, whole));
  CHECK(vm::replay::same_counters(second.value().counters, whole));
}

TEST_CASE("replay_mem refuses exec traces and damaged chunks", "[replay][mem]") {
  const vm::test::scratch_dir dir;
  vm::test::mem_trace t;
  t.records = {read(0x10000)};
  t.page_map = {range(0x10000, 0x11000, kRW)};
  SECTION("exec trace") {
    vm::test::write_mem_trace(dir.file("e.vmt"), t, vm::trace::trace_kind::kExec);
    auto reader = vm::trace::trace_reader::open(dir.file("e.vmt"));
    REQUIRE(reader.ok());
    auto r = vm::replay::replay_mem(*reader.value(), {});
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.err().message, Catch::Contains("not a mem trace"));
  }
  SECTION("a page size that is not 4 KiB, 2 MiB or 1 GiB") {
    vm::test::write_mem_trace(dir.file("t.vmt"), t);
    auto reader = vm::trace::trace_reader::open(dir.file("t.vmt"));
    REQUIRE(reader.ok());
    vm::replay::mem_replay_options options;
    options.page_size = 8192;
    auto r = vm::replay::replay_mem(*reader.value(), options);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == vm::error_code::kInvalidArgument);
  }
}

TEST_CASE("replay_mem places guest RAM as asked, prefaults it, and reports how it was backed",
          "[replay][mem][thp]") {
  const vm::test::scratch_dir dir;
  vm::test::mem_trace t;
  // 8 MiB mapped, one read in its first page.
  t.records = {read(0x40000000)};
  t.page_map = {range(0x40000000, 0x40800000, kRW)};
  vm::test::write_mem_trace(dir.file("t.vmt"), t);
  auto reader = vm::trace::trace_reader::open(dir.file("t.vmt"));
  REQUIRE(reader.ok());
  const auto mode = GENERATE(vm::mem::thp_mode::kOn, vm::mem::thp_mode::kOff);
  CAPTURE(vm::mem::thp_mode_name(mode));
  vm::replay::mem_replay_options options;
  options.placement = vm::mem::placement{mode, vm::mem::kNoNumaNode};
  SECTION("lazily committed") {
    auto r = vm::replay::replay_mem(*reader.value(), options);
    REQUIRE(r.ok());
    const vm::mem::memory_report& m = r.value().memory;
    CHECK(m.thp_requested == mode);
    CHECK(m.bytes >= r.value().space.ram_bytes);
    CHECK(m.resident_bytes < m.bytes);  // only page tables and the touched page (or its 2 MiB)
    if (mode == vm::mem::thp_mode::kOff) CHECK(m.huge_bytes == 0);
  }
  SECTION("prefaulted") {
    options.prefault = true;
    auto r = vm::replay::replay_mem(*reader.value(), options);
    REQUIRE(r.ok());
    const vm::mem::memory_report& m = r.value().memory;
    CHECK(m.resident_bytes >= r.value().space.ram_bytes);
    if (mode == vm::mem::thp_mode::kOff) CHECK(m.huge_bytes == 0);
    CHECK(r.value().counters.accesses.reads == 1);  // the replay itself is unchanged
  }
}
