// qemu_tlb.tests.cpp - the QEMU-style reference design against the
// tlb_design contract: direct-mapped indexing and the 8-entry victim TLB,
// QEMU's resize rule (30-70 % use rate, 2^min_bits..2^max_bits, the virtual
// time window), the four sfence.vma flush scopes with large pages, events,
// and a differential run against a map-based page-table model.

#include "tlb/qemu/qemu_tlb.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

using vm::tlb::access_type;
using vm::tlb::counter_list;
using vm::tlb::flush_event;
using vm::tlb::flush_request;
using vm::tlb::flush_scope;
using vm::tlb::miss_context;
using vm::tlb::miss_event;
using vm::tlb::qemu_tlb;
using vm::tlb::qemu_tlb_options;
using vm::tlb::tlb_entry;
using vm::tlb::translation;

constexpr uint64_t kPage = 4096;
constexpr uint64_t k2M = uint64_t{1} << 21;
constexpr uint64_t kHuge = uint64_t{1} << 40;  // a window that never expires here
constexpr access_type kTypes[] = {access_type::kRead, access_type::kWrite, access_type::kExecute};

const tlb_entry* find(const qemu_tlb& tlb, access_type type, uint64_t page) {
  switch (type) {
    case access_type::kRead: return tlb.find<access_type::kRead>(page, page);
    case access_type::kWrite: return tlb.find<access_type::kWrite>(page, page);
    case access_type::kExecute: return tlb.find<access_type::kExecute>(page, page);
  }
  return nullptr;
}

bool in_front(const qemu_tlb& tlb, uint64_t page) {
  for (access_type t : kTypes)
    if (find(tlb, t, page) != nullptr) return true;
  return false;
}

uint64_t counter(const qemu_tlb& tlb, const std::string& name) {
  counter_list list;
  tlb.append_counters(list);
  for (const auto& [n, v] : list)
    if (n == name) return v;
  FAIL("no counter " << name);
  return 0;
}

translation make_page(uint64_t vpage, uint64_t addend, uint16_t asid = 1, uint8_t permits = 7,
                      uint8_t level = 0, bool global = false) {
  translation t;
  t.vpage = vpage;
  t.host_addend = addend;
  t.asid = asid;
  t.level = level;
  t.permits = permits;
  t.global = global;
  return t;
}

// The page tables: one map per address space from a translation's virtual
// base to the translation, and one for global pages (visible in all).
struct fake_walker {
  std::map<uint16_t, std::map<uint64_t, translation>> spaces;
  std::map<uint64_t, translation> global;

  void map(const translation& t) { (t.global ? global : spaces[t.asid])[t.vpage] = t; }

  // What a page walk of vaddr in `asid` finds, or nullptr (page fault).
  const translation* walk(uint64_t vaddr, uint16_t asid) const {
    for (unsigned level = 0; level <= vm::tlb::kMaxLevel; ++level) {
      const uint64_t base = vaddr & ~(vm::tlb::page_bytes(level) - 1);
      for (const auto* m : {&global, spaces.count(asid) ? &spaces.at(asid) : nullptr}) {
        if (m == nullptr) continue;
        auto it = m->find(base);
        if (it != m->end() && it->second.level == level) return &it->second;
      }
    }
    return nullptr;
  }
};

enum class served { kFront, kVictim, kWalk, kFault };

// Drives a design as mmu::basic_mmu does: the front, then refill, then a
// walk and insert; the clock is one tick per lookup.
struct driver {
  qemu_tlb tlb;
  fake_walker walker;
  miss_context ctx;
  uint64_t walks = 0;
  served last = served::kFault;

  explicit driver(const qemu_tlb_options& options = {}) : tlb(options) { ctx.asid = 1; }

  const tlb_entry* access(uint64_t vaddr, access_type type = access_type::kRead) {
    ++ctx.now;
    const uint64_t page = vaddr & ~(kPage - 1);
    if (const tlb_entry* e = find(tlb, type, page)) {
      last = served::kFront;
      return e;
    }
    if (const tlb_entry* e = tlb.refill(vaddr, type, ctx)) {
      last = served::kVictim;
      return e;
    }
    ++walks;
    const translation* t = walker.walk(vaddr, ctx.asid);
    if (t == nullptr || !t->serves(vaddr, ctx.asid, type)) {
      last = served::kFault;
      return nullptr;
    }
    tlb.insert(*t, vaddr, ctx);
    last = served::kWalk;
    return find(tlb, type, page);
  }

  // Maps `count` 4 KiB pages from `first` (consecutive: distinct slots of
  // any table of >= count entries) and touches each once.
  void touch_pages(uint64_t first, unsigned count) {
    for (unsigned i = 0; i < count; ++i) {
      const uint64_t page = first + i * kPage;
      walker.map(make_page(page, 0x1000 * (i + 1)));
      REQUIRE(access(page) != nullptr);
    }
  }

  // Front hits on `page` (present) until the clock reaches `until`.
  void hit_until(uint64_t page, uint64_t until) {
    while (ctx.now < until) {
      REQUIRE(access(page) != nullptr);
      REQUIRE(last == served::kFront);
    }
  }
};

qemu_tlb_options fixed(unsigned bits) {
  qemu_tlb_options o;
  o.initial_bits = bits;
  o.min_bits = bits;
  o.max_bits = bits;
  o.resize = false;
  return o;
}

struct recording_sink : vm::tlb::tlb_event_sink {
  std::vector<miss_event> misses;
  std::vector<flush_event> flushes;
  void on(const miss_event& e) noexcept override { misses.push_back(e); }
  void on(const flush_event& e) noexcept override { flushes.push_back(e); }
};

}  // namespace

TEST_CASE("qemu tlb: satisfies the design concept and starts with QEMU's default 256 entries",
          "[tlb][qemu]") {
  STATIC_REQUIRE(vm::tlb::tlb_design<qemu_tlb>);
  qemu_tlb tlb;
  CHECK(tlb.entries() == 256);
  CHECK(tlb.used_entries() == 0);
  counter_list list;
  tlb.append_counters(list);
  std::vector<std::string> names;
  for (const auto& [n, v] : list) names.push_back(n);
  CHECK(names == std::vector<std::string>{"tlb.victim.hits", "tlb.victim.misses",
                                          "tlb.qemu.resizes", "tlb.qemu.entries",
                                          "tlb.qemu.max_entries", "tlb.qemu.flushes_full"});
  CHECK(counter(tlb, "tlb.qemu.entries") == 256);
  CHECK(counter(tlb, "tlb.qemu.max_entries") == 256);
}

TEST_CASE("qemu tlb: options outside 2^min..2^max or above 2^22 are rejected with the field named",
          "[tlb][qemu]") {
  CHECK_FALSE(qemu_tlb::check({}));
  CHECK(qemu_tlb::create({}).ok());
  qemu_tlb_options o;
  std::string field;
  SECTION("max_bits above 22") {
    o.max_bits = 23, field = "max_bits";
  }
  SECTION("min above max") {
    o.min_bits = 9, o.max_bits = 8, field = "min_bits";
  }
  SECTION("initial below min") {
    o.initial_bits = 5, field = "initial_bits";
  }
  SECTION("initial above max") {
    o.initial_bits = 12, o.max_bits = 10, field = "initial_bits";
  }
  SECTION("empty window") {
    o.window = 0, field = "window";
  }
  const vm::error e = qemu_tlb::check(o);
  REQUIRE(e);
  CHECK(e.code == vm::error_code::kInvalidArgument);
  CHECK(e.message.find(field) != std::string::npos);
  CHECK(e.message.find("accepted") != std::string::npos);
  CHECK_FALSE(qemu_tlb::create(o).ok());
}

TEST_CASE(
    "qemu tlb: pages 2^bits pages apart share a slot; the loser moves to the victim TLB and "
    "swaps back on a victim hit",
    "[tlb][qemu]") {
  const unsigned bits = GENERATE(6u, 8u, 10u);
  CAPTURE(bits);
  driver d(fixed(bits));
  const uint64_t a = 0x12345000;
  const uint64_t b = a + (uint64_t{1} << bits) * kPage;  // same low page-number bits
  const uint64_t c = a + kPage;                          // the next slot
  d.walker.map(make_page(a, 0xa000));
  d.walker.map(make_page(b, 0xb000));
  d.walker.map(make_page(c, 0xc000));

  REQUIRE(d.access(a) != nullptr);
  REQUIRE(d.access(c) != nullptr);
  CHECK(in_front(d.tlb, a));
  CHECK(in_front(d.tlb, c));  // a neighbour does not conflict
  REQUIRE(d.access(b) != nullptr);
  CHECK(d.last == served::kWalk);
  CHECK_FALSE(in_front(d.tlb, a));  // b took a's slot...
  CHECK(d.tlb.victim_holds(a));     // ...and a went to the victim TLB
  CHECK(in_front(d.tlb, b));
  CHECK(in_front(d.tlb, c));
  CHECK(d.tlb.used_entries() == 2);
  CHECK(d.walks == 3);

  const tlb_entry* e = d.access(a + 0x10);
  REQUIRE(e != nullptr);
  CHECK(d.last == served::kVictim);
  CHECK(e->host_addend == 0xa000);
  CHECK(d.walks == 3);  // no walk
  CHECK(in_front(d.tlb, a));
  CHECK_FALSE(in_front(d.tlb, b));  // swapped
  CHECK(d.tlb.victim_holds(b));
  CHECK_FALSE(d.tlb.victim_holds(a));
  CHECK(counter(d.tlb, "tlb.victim.hits") == 1);
  CHECK(counter(d.tlb, "tlb.victim.misses") == 3);  // the three walks' refills

  REQUIRE(d.access(b) != nullptr);  // and back again
  CHECK(d.last == served::kVictim);
  CHECK(d.tlb.victim_holds(a));
  CHECK(counter(d.tlb, "tlb.victim.hits") == 2);
  CHECK(d.tlb.used_entries() == 2);
}

TEST_CASE(
    "qemu tlb: nine conflicting pages fit one slot plus the 8 victims; a tenth loses the "
    "oldest, round-robin",
    "[tlb][qemu]") {
  driver d(fixed(6));
  const uint64_t stride = 64 * kPage;
  std::vector<uint64_t> p;
  for (unsigned i = 0; i < 10; ++i) {
    p.push_back(0x40000000 + i * stride);
    d.walker.map(make_page(p.back(), 0x1000 * (i + 1)));
  }
  for (unsigned i = 0; i < 9; ++i) REQUIRE(d.access(p[i]) != nullptr);
  CHECK(in_front(d.tlb, p[8]));
  for (unsigned i = 0; i < 8; ++i) CHECK(d.tlb.victim_holds(p[i]));

  REQUIRE(d.access(p[9]) != nullptr);  // evicts p8 into victim 0, where p0 was
  CHECK(in_front(d.tlb, p[9]));
  CHECK(d.tlb.victim_holds(p[8]));
  CHECK_FALSE(d.tlb.victim_holds(p[0]));
  for (unsigned i = 1; i < 9; ++i) CHECK(d.tlb.victim_holds(p[i]));
  CHECK(d.walks == 10);

  for (unsigned i = 1; i < 10; ++i) {  // all but the oldest come back without a walk
    CAPTURE(i);
    const tlb_entry* e = d.access(p[i]);
    REQUIRE(e != nullptr);
    CHECK(e->host_addend == 0x1000 * (i + 1));
    CHECK(d.walks == 10);
  }
  const uint64_t misses = counter(d.tlb, "tlb.victim.misses");
  REQUIRE(d.access(p[0]) != nullptr);
  CHECK(d.last == served::kWalk);
  CHECK(counter(d.tlb, "tlb.victim.misses") == misses + 1);
}

TEST_CASE("qemu tlb: a victim entry serves only the access types it permits", "[tlb][qemu]") {
  driver d(fixed(6));
  const uint64_t a = 0x50000000, b = a + 64 * kPage;
  d.walker.map(make_page(a, 0xa000, 1, /*permits=*/1));  // read only
  d.walker.map(make_page(b, 0xb000));
  REQUIRE(d.access(a) != nullptr);
  REQUIRE(d.access(b) != nullptr);
  REQUIRE(d.tlb.victim_holds(a));
  CHECK(d.access(a, access_type::kWrite) == nullptr);  // no victim hit: the walk faults
  CHECK(d.last == served::kFault);
  CHECK(d.tlb.victim_holds(a));
  CHECK(d.tlb.refill(a, access_type::kExecute, d.ctx) == nullptr);
  const tlb_entry* e = d.access(a, access_type::kRead);
  REQUIRE(e != nullptr);
  CHECK(d.last == served::kVictim);
  CHECK(find(d.tlb, access_type::kWrite, a) == nullptr);  // the swapped entry keeps its tags
}

TEST_CASE("qemu tlb: a use rate above 70 % doubles the table at the next full flush",
          "[tlb][qemu]") {
  qemu_tlb_options o;
  o.initial_bits = 6;
  o.window = kHuge;
  driver d(o);
  SECTION("46 of 64 entries (71 %) doubles") {
    d.touch_pages(0x10000000, 46);
    d.tlb.flush(flush_request::all());
    CHECK(d.tlb.entries() == 128);
    CHECK(counter(d.tlb, "tlb.qemu.resizes") == 1);
    CHECK(counter(d.tlb, "tlb.qemu.max_entries") == 128);
    CHECK(d.tlb.used_entries() == 0);
    CHECK_FALSE(in_front(d.tlb, 0x10000000));
  }
  SECTION("45 of 64 entries (70 %) does not") {
    d.touch_pages(0x10000000, 45);
    d.tlb.flush(flush_request::all());
    CHECK(d.tlb.entries() == 64);
    CHECK(counter(d.tlb, "tlb.qemu.resizes") == 0);
  }
  SECTION("a flush by ASID is a full flush and resizes too") {
    d.touch_pages(0x10000000, 46);
    d.tlb.flush(flush_request::by_asid(1));
    CHECK(d.tlb.entries() == 128);
  }
  CHECK(counter(d.tlb, "tlb.qemu.flushes_full") == 1);
}

TEST_CASE("qemu tlb: a use rate above 70 % doubles the table when the window ends, on a miss only",
          "[tlb][qemu]") {
  qemu_tlb_options o;
  o.initial_bits = 6;
  o.window = 1000;
  driver d(o);
  d.touch_pages(0x10000000, 46);
  d.hit_until(0x10000000, 2000);  // past the window, but only hits: no resize
  CHECK(d.tlb.entries() == 64);
  CHECK(in_front(d.tlb, 0x10000000));

  d.walker.map(make_page(0x20000000, 0x5000));
  REQUIRE(d.access(0x20000000) != nullptr);  // the first miss ends the window
  CHECK(d.last == served::kWalk);
  CHECK(d.tlb.entries() == 128);
  CHECK(counter(d.tlb, "tlb.qemu.resizes") == 1);
  CHECK(counter(d.tlb, "tlb.qemu.flushes_full") == 0);  // a resize, not a guest flush
  CHECK(d.tlb.used_entries() == 1);                     // the table was emptied, then filled
  CHECK_FALSE(in_front(d.tlb, 0x10000000));
  CHECK(in_front(d.tlb, 0x20000000));
}

TEST_CASE(
    "qemu tlb: a use rate below 30 % shrinks the table after a window, to QEMU's power of two",
    "[tlb][qemu]") {
  qemu_tlb_options o;
  o.initial_bits = 10;
  o.window = 1000;
  const auto [used, expected] = GENERATE(table<unsigned, size_t>({
      {5, 64},     // pow2ceil(5) = 8, but never below 2^6
      {40, 64},    // pow2ceil(40) = 64, at 62 %
      {47, 128},   // pow2ceil(47) = 64 would be 73 % used: doubled
      {200, 512},  // 256 would be 78 % used: doubled
      {300, 512},  // 29 % of 1024: pow2ceil(300) = 512, at 58 %
      {310, 1024}  // 30 %: inside the band, no change
  }));
  CAPTURE(used, expected);
  driver d(o);
  d.touch_pages(0x10000000, used);
  d.hit_until(0x10000000, 1500);
  d.walker.map(make_page(0x20000000, 0x5000));
  REQUIRE(d.access(0x20000000) != nullptr);
  CHECK(d.tlb.entries() == expected);
  CHECK(counter(d.tlb, "tlb.qemu.resizes") == (expected == 1024 ? 0 : 1));
  CHECK(counter(d.tlb, "tlb.qemu.max_entries") == 1024);
}

TEST_CASE("qemu tlb: a small working set does not shrink the table before its window expires",
          "[tlb][qemu]") {
  qemu_tlb_options o;
  o.initial_bits = 10;
  o.window = 1000;
  driver d(o);
  d.touch_pages(0x10000000, 5);
  d.tlb.flush(flush_request::all());  // rate 0 %, but the window has not expired
  CHECK(d.tlb.entries() == 1024);
  d.touch_pages(0x10000000, 5);
  d.hit_until(0x10000000, 999);
  d.walker.map(make_page(0x20000000, 0x5000));
  REQUIRE(d.access(0x20000000) != nullptr);  // now = 1000: not yet past the window
  CHECK(d.tlb.entries() == 1024);
  d.hit_until(0x20000000, 1001);
  d.walker.map(make_page(0x30000000, 0x6000));
  REQUIRE(d.access(0x30000000) != nullptr);  // now = 1002 > 0 + 1000
  CHECK(d.tlb.entries() == 64);
}

TEST_CASE(
    "qemu tlb: a window's maximum survives flushes inside it; an expired window restarts "
    "from the current use",
    "[tlb][qemu]") {
  qemu_tlb_options o;
  o.initial_bits = 8;
  o.window = 1000;
  driver d(o);
  d.touch_pages(0x10000000, 100);  // 39 % of 256: inside the band
  d.hit_until(0x10000000, 1500);
  d.touch_pages(0x20000000, 1);  // window 1 ends (no resize); window 2 starts at 100 used
  CHECK(d.tlb.entries() == 256);
  d.tlb.flush(flush_request::all());  // window 2's max is now 101: no resize
  CHECK(d.tlb.entries() == 256);
  d.touch_pages(0x30000000, 10);
  d.hit_until(0x30000000, 2600);
  d.touch_pages(0x40000000, 1);  // window 2 ends with max 101 (39 %), not 10: no shrink
  CHECK(d.tlb.entries() == 256);
  d.hit_until(0x40000000, 3700);
  d.touch_pages(0x50000000, 1);  // window 3 (from 10 used, 11 at most): 4 %: shrink
  CHECK(d.tlb.entries() == 64);
  CHECK(counter(d.tlb, "tlb.qemu.resizes") == 1);
}

TEST_CASE("qemu tlb: the table never grows above 2^max_bits nor shrinks below 2^min_bits",
          "[tlb][qemu]") {
  qemu_tlb_options o;
  o.initial_bits = 6;
  o.max_bits = 7;
  o.window = kHuge;
  driver d(o);
  d.touch_pages(0x10000000, 46);
  d.tlb.flush(flush_request::all());
  REQUIRE(d.tlb.entries() == 128);
  d.touch_pages(0x10000000, 120);  // 94 % of 128
  d.tlb.flush(flush_request::all());
  CHECK(d.tlb.entries() == 128);
  CHECK(counter(d.tlb, "tlb.qemu.resizes") == 1);
  CHECK(counter(d.tlb, "tlb.qemu.max_entries") == 128);

  qemu_tlb_options small;
  small.initial_bits = 6;
  small.window = 100;
  driver e(small);
  for (int round = 0; round < 5; ++round) {
    e.touch_pages(0x10000000 + round * 0x100000, 1);
    e.hit_until(0x10000000 + round * 0x100000, e.ctx.now + 200);
  }
  CHECK(e.tlb.entries() == 64);
  CHECK(counter(e.tlb, "tlb.qemu.resizes") == 0);
}

TEST_CASE("qemu tlb: the table can grow step by step to QEMU's 2^22 cap", "[tlb][qemu]") {
  // Reaching 2^22 for real needs millions of fills; count the doublings a
  // full table gets at each flush instead, up to a cap of 2^12.
  qemu_tlb_options o;
  o.initial_bits = 8;
  o.max_bits = 12;
  o.window = kHuge;
  driver d(o);
  for (size_t size = 256; size <= 4096; size *= 2) {
    CAPTURE(size);
    REQUIRE(d.tlb.entries() == size);
    d.touch_pages(0x100000000, static_cast<unsigned>(size * 3 / 4));
    d.tlb.flush(flush_request::all());
  }
  CHECK(d.tlb.entries() == 4096);
  CHECK(counter(d.tlb, "tlb.qemu.resizes") == 4);
  CHECK(qemu_tlb::kMaxBits == 22);
}

TEST_CASE("qemu tlb: with resize=false the table keeps its initial size", "[tlb][qemu]") {
  qemu_tlb_options o;
  o.initial_bits = GENERATE(6u, 10u);
  o.resize = false;
  o.window = 100;
  CAPTURE(o.initial_bits);
  driver d(o);
  const unsigned n = o.initial_bits == 6 ? 60 : 3;  // far above 70 % / far below 30 %
  d.touch_pages(0x10000000, n);
  d.hit_until(0x10000000, 1000);
  d.touch_pages(0x20000000, 1);
  d.tlb.flush(flush_request::all());
  d.touch_pages(0x10000000, n);
  d.tlb.flush(flush_request::by_asid(1));
  CHECK(d.tlb.entries() == (size_t{1} << o.initial_bits));
  CHECK(counter(d.tlb, "tlb.qemu.resizes") == 0);
  CHECK(counter(d.tlb, "tlb.qemu.flushes_full") == 2);
}

TEST_CASE("qemu tlb: a flush of all or by any ASID drops everything, global pages included",
          "[tlb][qemu]") {
  const flush_request request =
      GENERATE(flush_request::all(), flush_request::by_asid(1), flush_request::by_asid(2));
  CAPTURE(vm::tlb::scope_name(request.scope), request.asid);
  driver d(fixed(6));
  const uint64_t a = 0x10000000, b = a + 64 * kPage, g = 0x7000000;
  d.walker.map(make_page(a, 0xa000));
  d.walker.map(make_page(b, 0xb000));
  d.walker.map(make_page(g, 0x9000, 0, 7, 0, /*global=*/true));
  for (uint64_t p : {a, b, g}) REQUIRE(d.access(p) != nullptr);
  REQUIRE(d.tlb.victim_holds(a));
  d.tlb.flush(request);
  for (uint64_t p : {a, b, g}) {
    CHECK_FALSE(in_front(d.tlb, p));
    CHECK_FALSE(d.tlb.victim_holds(p));
    CHECK(d.tlb.refill(p, access_type::kRead, d.ctx) == nullptr);
  }
  CHECK(d.tlb.used_entries() == 0);
  CHECK(counter(d.tlb, "tlb.qemu.flushes_full") == 1);
  const uint64_t walks = d.walks;
  REQUIRE(d.access(a) != nullptr);  // and everything refills by walking
  CHECK(d.walks == walks + 1);
}

TEST_CASE("qemu tlb: a full flush advances the front's generation and keeps the table",
          "[tlb][qemu]") {
  driver d(fixed(10));
  d.touch_pages(0x10000000, 700);
  const unsigned generation = d.tlb.front().generation();
  const tlb_entry* before = find(d.tlb, access_type::kRead, 0x10000000);
  REQUIRE(before != nullptr);
  d.tlb.flush(flush_request::all());
  CHECK(d.tlb.front().generation() == generation + 1);  // O(1): nothing cleared
  CHECK(d.tlb.entries() == 1024);
  CHECK(counter(d.tlb, "tlb.qemu.resizes") == 0);
  for (size_t slot = 0; slot < d.tlb.entries(); ++slot) CHECK_FALSE(d.tlb.front().slot_live(slot));
  REQUIRE(d.access(0x10000000) != nullptr);
  CHECK(d.last == served::kWalk);
  CHECK(find(d.tlb, access_type::kRead, 0x10000000) == before);  // the same array, reused
}

TEST_CASE("qemu tlb: a flush by address drops that page from the table and the victim TLB only",
          "[tlb][qemu]") {
  driver d(fixed(6));
  const uint64_t a = 0x10000000, b = a + 64 * kPage, c = a + kPage;
  for (uint64_t p : {a, b, c}) d.walker.map(make_page(p, p ^ 0xf000));
  for (uint64_t p : {a, b, c}) REQUIRE(d.access(p) != nullptr);
  REQUIRE(d.tlb.victim_holds(a));
  REQUIRE(d.tlb.used_entries() == 2);

  d.tlb.flush(flush_request::by_address(a + 0x123));  // in the victim TLB
  CHECK_FALSE(d.tlb.victim_holds(a));
  CHECK(in_front(d.tlb, b));
  CHECK(in_front(d.tlb, c));
  CHECK(d.tlb.used_entries() == 2);
  CHECK(d.tlb.refill(a, access_type::kRead, d.ctx) == nullptr);

  d.tlb.flush(flush_request::by_address(b));  // in the table
  CHECK_FALSE(in_front(d.tlb, b));
  CHECK(in_front(d.tlb, c));
  CHECK(d.tlb.used_entries() == 1);

  d.tlb.flush(flush_request::by_address(0x7777000));  // absent: nothing happens
  CHECK(in_front(d.tlb, c));
  CHECK(d.tlb.used_entries() == 1);
  CHECK(counter(d.tlb, "tlb.qemu.flushes_full") == 0);

  // a back to the victim TLB, then its slot emptied: a victim hit fills the
  // empty slot, which counts as used again, and moves nothing out.
  REQUIRE(d.access(a) != nullptr);
  REQUIRE(d.access(b) != nullptr);
  REQUIRE(d.tlb.victim_holds(a));
  d.tlb.flush(flush_request::by_address(b));
  REQUIRE(d.tlb.used_entries() == 1);
  REQUIRE(d.access(a) != nullptr);
  CHECK(d.last == served::kVictim);
  CHECK(d.tlb.used_entries() == 2);
  CHECK_FALSE(d.tlb.victim_holds(a));
  CHECK_FALSE(d.tlb.victim_holds(b));
}

TEST_CASE("qemu tlb: a flush by address and ASID drops the page whatever the ASID", "[tlb][qemu]") {
  driver d(fixed(6));
  const uint64_t a = 0x10000000, c = a + kPage;
  d.walker.map(make_page(a, 0xa000));
  d.walker.map(make_page(c, 0xc000));
  REQUIRE(d.access(a) != nullptr);
  REQUIRE(d.access(c) != nullptr);
  const uint16_t asid = GENERATE(uint16_t{1}, uint16_t{2});
  CAPTURE(asid);
  d.tlb.flush(flush_request::by_address_asid(a, asid));  // no ASID tags: dropped either way
  CHECK_FALSE(in_front(d.tlb, a));
  CHECK(in_front(d.tlb, c));
  CHECK(counter(d.tlb, "tlb.qemu.flushes_full") == 0);
}

TEST_CASE("qemu tlb: a flush by address anywhere inside a 2 MiB page drops all its fragments",
          "[tlb][qemu]") {
  driver d(fixed(6));
  const uint64_t big = 0x40000000;  // 2 MiB aligned
  const uint64_t q = 0x10000000, r = 0x10001000;
  d.walker.map(make_page(big, 0x100000000, 1, 7, /*level=*/1));
  d.walker.map(make_page(q, 0xa000));
  d.walker.map(make_page(r, 0xb000));
  const std::vector<uint64_t> fragments = {big, big + kPage, big + k2M - kPage};
  for (uint64_t f : fragments) {
    const tlb_entry* e = d.access(f + 8);
    REQUIRE(e != nullptr);
    CHECK(e->host_addend == 0x100000000);
  }
  CHECK(d.walks == 3);  // the front holds 4 KiB fragments
  // A conflicting page sends the first fragment to the victim TLB.
  const uint64_t conflict = big + 64 * kPage;  // inside the 2 MiB page too
  REQUIRE(d.access(conflict) != nullptr);
  REQUIRE(d.tlb.victim_holds(big));
  REQUIRE(d.access(q) != nullptr);

  const flush_request request = GENERATE(flush_request::by_address(0x40123456),
                                         flush_request::by_address_asid(0x401ff000, 1));
  CAPTURE(request.vaddr);
  d.tlb.flush(request);  // a fragment never touched
  for (uint64_t f : fragments) {
    CHECK_FALSE(in_front(d.tlb, f));
    CHECK_FALSE(d.tlb.victim_holds(f));
    CHECK(d.tlb.refill(f, access_type::kRead, d.ctx) == nullptr);
  }
  CHECK_FALSE(in_front(d.tlb, conflict));
  CHECK_FALSE(in_front(d.tlb, q));  // QEMU flushes everything, not just the large page
  CHECK(counter(d.tlb, "tlb.qemu.flushes_full") == 1);

  // The full flush forgot the large-page region: 4 KiB flushes are local again.
  REQUIRE(d.access(q) != nullptr);
  REQUIRE(d.access(r) != nullptr);
  d.tlb.flush(flush_request::by_address(q));
  CHECK_FALSE(in_front(d.tlb, q));
  CHECK(in_front(d.tlb, r));
  CHECK(counter(d.tlb, "tlb.qemu.flushes_full") == 1);
}

TEST_CASE("qemu tlb: the large-page region grows to the aligned block covering every large page",
          "[tlb][qemu]") {
  driver d(fixed(10));                              // p1, p2 and small in distinct slots
  const uint64_t p1 = 0x40000000, p2 = 0x40600000;  // region: 0x40000000 + 8 MiB
  const uint64_t small = 0x10001000;
  d.walker.map(make_page(p1, 0x1000000, 1, 7, 1));
  d.walker.map(make_page(p2, 0x2000000, 1, 7, 1));
  d.walker.map(make_page(small, 0xa000));
  REQUIRE(d.access(p1) != nullptr);
  REQUIRE(d.access(p2) != nullptr);
  REQUIRE(d.access(small) != nullptr);
  SECTION("an address outside the region flushes one page") {
    d.tlb.flush(flush_request::by_address(0x40800000));
    CHECK(counter(d.tlb, "tlb.qemu.flushes_full") == 0);
    CHECK(in_front(d.tlb, p1));
    CHECK(in_front(d.tlb, p2));
    CHECK(in_front(d.tlb, small));
  }
  SECTION("an address inside the region but in neither page still flushes everything") {
    d.tlb.flush(flush_request::by_address(0x40400000));
    CHECK(counter(d.tlb, "tlb.qemu.flushes_full") == 1);
    CHECK_FALSE(in_front(d.tlb, p1));
    CHECK_FALSE(in_front(d.tlb, small));
  }
}

TEST_CASE("qemu tlb: a context change flushes everything and is counted", "[tlb][qemu]") {
  driver d(fixed(6));
  recording_sink sink;
  d.tlb.events().subscribe(&sink);
  d.touch_pages(0x10000000, 10);
  d.tlb.change_context();
  CHECK(d.tlb.used_entries() == 0);
  CHECK_FALSE(in_front(d.tlb, 0x10000000));
  CHECK(counter(d.tlb, "tlb.qemu.flushes_full") == 1);
  REQUIRE(sink.flushes.size() == 1);
  CHECK(sink.flushes[0].request.scope == flush_scope::kAll);
  d.tlb.select_cpu(3);  // one CPU's TLB: no effect
  d.tlb.events().subscribe(nullptr);
}

TEST_CASE(
    "qemu tlb: refill publishes misses (8: victim hit, 0: walk) and flushes publish the request",
    "[tlb][qemu]") {
  driver d(fixed(6));
  recording_sink sink;
  d.tlb.events().subscribe(&sink);
  const uint64_t a = 0x10000000, b = a + 64 * kPage;
  d.walker.map(make_page(a, 0xa000));
  d.walker.map(make_page(b, 0xb000));
  REQUIRE(d.access(a) != nullptr);
  REQUIRE(d.access(b, access_type::kWrite) != nullptr);
  REQUIRE(d.access(a + 0x40, access_type::kExecute) != nullptr);
  REQUIRE(d.access(a) != nullptr);  // a front hit publishes nothing
  REQUIRE(sink.misses.size() == 3);
  CHECK(sink.misses[0].served_by == 0);
  CHECK(sink.misses[1].served_by == 0);
  CHECK(sink.misses[1].type == access_type::kWrite);
  CHECK(sink.misses[2].served_by == 8);
  CHECK(sink.misses[2].vaddr == a + 0x40);
  CHECK(sink.misses[2].type == access_type::kExecute);
  CHECK(sink.misses[2].now == 3);
  d.tlb.flush(flush_request::by_address(b));
  d.tlb.flush(flush_request::by_asid(5));
  REQUIRE(sink.flushes.size() == 2);
  CHECK(sink.flushes[0].request.scope == flush_scope::kAddress);
  CHECK(sink.flushes[0].request.vaddr == b);
  CHECK(sink.flushes[1].request.scope == flush_scope::kAsid);
  CHECK(sink.flushes[1].request.asid == 5);
  CHECK(sink.flushes[1].now == 3);  // the latest miss-path time: the hit at 4 is not seen
  d.tlb.events().subscribe(nullptr);
}

TEST_CASE(
    "qemu tlb: differential against the page-table model with random flushes, remaps and "
    "context changes",
    "[tlb][qemu][differential]") {
  const uint32_t seed = GENERATE(1u, 0xc0ffeeu);
  const bool resize = GENERATE(true, false);
  // Large pages make the large-page region span everything (it covers all
  // large pages since the last full flush), so every by-address flush
  // becomes a full one; without them by-address flushes stay precise.
  const bool large_pages = GENERATE(true, false);
  CAPTURE(seed, resize, large_pages);
  std::mt19937_64 rng(seed);
  auto below = [&](uint64_t n) { return rng() % n; };

  qemu_tlb_options o;
  o.initial_bits = 6;
  o.min_bits = 6;
  o.max_bits = 9;
  o.resize = resize;
  o.window = 4096;
  driver d(o);

  // Per address space (1, 2): 300 random 4 KiB pages in 16 MiB, and four
  // 2 MiB pages; global: 20 4 KiB pages, one 2 MiB and one 1 GiB page
  // (the large ones only with large_pages).
  std::vector<uint64_t> targets[3];  // vaddrs to draw: [0] asid 1, [1] asid 2, [2] global
  auto map = [&](uint64_t vpage, uint16_t asid, uint8_t level, bool global) {
    const uint8_t permits = static_cast<uint8_t>(1 + below(7));
    d.walker.map(make_page(vpage, (rng() & ~uint64_t{0xfff}), asid, permits, level, global));
    const uint64_t span = level == 0 ? kPage : level == 1 ? k2M : (uint64_t{64} << 20);
    for (int i = 0; i < (level == 0 ? 1 : 24); ++i)
      targets[global ? 2 : asid - 1].push_back(vpage + (below(span) & ~uint64_t{7}));
  };
  for (uint16_t asid = 1; asid <= 2; ++asid) {
    for (int i = 0; i < 300; ++i) map(0x100000000 + below(4096) * kPage, asid, 0, false);
    if (large_pages)
      for (int i = 0; i < 4; ++i) map(0x200000000 + below(64) * k2M, asid, 1, false);
  }
  for (int i = 0; i < 20; ++i) map(0x300000000 + below(4096) * kPage, 0, 0, true);
  if (large_pages) {
    map(0x400000000, 0, 1, true);
    map(0x8000000000, 0, 2, true);
  }

  auto check_entry = [&](const tlb_entry* e, uint64_t vaddr, access_type type) {
    const translation* t = d.walker.walk(vaddr, d.ctx.asid);
    CAPTURE(vaddr, static_cast<int>(type), d.ctx.now);
    REQUIRE(t != nullptr);
    REQUIRE(t->serves(vaddr, d.ctx.asid, type));
    REQUIRE(e->host_addend == t->host_addend);
  };

  // A target of the current space (2/3) or a global one (1/3); 3/4 of the
  // time from a hot set of 48, which still conflicts in 64 entries.
  auto draw = [&] {
    const std::vector<uint64_t>& space = targets[below(3) == 0 ? 2u : d.ctx.asid - 1u];
    const size_t hot = below(4) != 0 ? std::min<size_t>(48, space.size()) : space.size();
    return space[below(hot)];
  };

  uint64_t front_hits = 0, victim_hits = 0, inserts = 0;
  for (int step = 0; step < 100000; ++step) {
    const uint64_t op = below(1000);
    if (op < 2) {  // a flush of a random scope
      const auto& space = targets[below(3)];
      const uint64_t vaddr = space[below(space.size())] + below(4) * kPage;
      const uint16_t asid = static_cast<uint16_t>(1 + below(2));
      const flush_request requests[] = {flush_request::all(), flush_request::by_asid(asid),
                                        flush_request::by_address(vaddr),
                                        flush_request::by_address_asid(vaddr, asid)};
      d.tlb.flush(requests[below(4)]);
    } else if (op < 7) {  // the OS remaps a page, then fences it as it must
      const translation* t = d.walker.walk(draw(), d.ctx.asid);
      REQUIRE(t != nullptr);
      translation changed = *t;
      changed.host_addend = rng() & ~uint64_t{0xfff};
      changed.permits = static_cast<uint8_t>(1 + below(7));
      d.walker.map(changed);
      const uint64_t inside = changed.vpage + (below(changed.bytes()) & ~uint64_t{0xfff});
      switch (below(3)) {
        case 0: d.tlb.flush(flush_request::by_address(inside)); break;
        case 1:
          d.tlb.flush(changed.global ? flush_request::by_address(inside)
                                     : flush_request::by_address_asid(inside, changed.asid));
          break;
        default:
          d.tlb.flush(changed.global ? flush_request::all() : flush_request::by_asid(changed.asid));
      }
    } else if (op < 12) {
      // A store sets PTE.D: the page gains write permission with no fence
      // (a TLB may keep the read-only entry; the store then walks).
      const translation* t = d.walker.walk(draw(), d.ctx.asid);
      REQUIRE(t != nullptr);
      translation changed = *t;
      changed.permits |= vm::tlb::permit_bit(access_type::kWrite);
      d.walker.map(changed);
    } else if (op < 13) {  // a context switch
      d.ctx.asid = d.ctx.asid == 1 ? 2 : 1;
      d.tlb.change_context();
    } else {  // a lookup, 1 in 50 of an unmapped page
      uint64_t vaddr = draw();
      if (below(50) == 0) vaddr = 0x500000000 + below(1 << 20) * kPage;  // unmapped
      const access_type type = kTypes[below(3)];
      ++d.ctx.now;
      const uint64_t page = vaddr & ~(kPage - 1);
      if (const tlb_entry* e = find(d.tlb, type, page)) {
        check_entry(e, vaddr, type);
        ++front_hits;
      } else if (const tlb_entry* v = d.tlb.refill(vaddr, type, d.ctx)) {
        check_entry(v, vaddr, type);
        REQUIRE(find(d.tlb, type, page) == v);  // refilled into the front
        ++victim_hits;
      } else if (const translation* t = d.walker.walk(vaddr, d.ctx.asid);
                 t != nullptr && t->serves(vaddr, d.ctx.asid, type)) {
        d.tlb.insert(*t, vaddr, d.ctx);
        const tlb_entry* f = find(d.tlb, type, page);
        REQUIRE(f != nullptr);
        check_entry(f, vaddr, type);
        ++inserts;
      }
      // A page is in the table or in the victim TLB, never both.
      REQUIRE_FALSE((in_front(d.tlb, page) && d.tlb.victim_holds(page)));
    }
    if (step % 8 == 0) {  // the bookkeeping the resize rule depends on
      CAPTURE(step);
      size_t live = 0;
      for (size_t s = 0; s < d.tlb.entries(); ++s) {
        if (!d.tlb.front().slot_live(s)) continue;
        ++live;
        REQUIRE_FALSE(d.tlb.victim_holds(d.tlb.front().slot_page(s)));
      }
      REQUIRE(d.tlb.used_entries() == live);
    }
  }
  CAPTURE(front_hits, victim_hits, inserts);
  CHECK(front_hits > 10000);
  CHECK(victim_hits > 1000);
  CHECK(counter(d.tlb, "tlb.victim.hits") == victim_hits);
  if (resize) {
    CHECK(counter(d.tlb, "tlb.qemu.resizes") > 0);
  } else {
    CHECK(counter(d.tlb, "tlb.qemu.resizes") == 0);
  }
}
