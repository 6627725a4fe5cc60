// prefetch.tests.cpp - TLB access-pattern tracking and prefetching: the
// miss-stream tracker, the stride, Markov and distance prefetchers, the
// prefetch unit (buffer, counters, flushes, ASIDs) against a fake walker,
// and the registry.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tlb/prefetch/distance/distance_prefetcher.h"
#include "tlb/prefetch/markov/markov_prefetcher.h"
#include "tlb/prefetch/miss_tracker.h"
#include "tlb/prefetch/page_delta.h"
#include "tlb/prefetch/prefetch_registry.h"
#include "tlb/prefetch/prefetch_unit.h"
#include "tlb/prefetch/stride/stride_prefetcher.h"

namespace {

using vm::tlb::access_type;
using vm::tlb::counter_list;
using vm::tlb::distance_prefetcher;
using vm::tlb::flush_request;
using vm::tlb::markov_prefetcher;
using vm::tlb::miss_context;
using vm::tlb::miss_pattern;
using vm::tlb::miss_stream_tracker;
using vm::tlb::prefetch_event;
using vm::tlb::prefetch_options;
using vm::tlb::prefetch_unit;
using vm::tlb::prefetcher;
using vm::tlb::stride_prefetcher;
using vm::tlb::tlb_event_sink;
using vm::tlb::tlb_event_source;
using vm::tlb::translation;

constexpr uint64_t kPage = 4096;

// A page table as a map from virtual page number to translation; walks set
// the current ASID on non-global translations, as the real walker does.
struct fake_page_table {
  std::map<uint64_t, translation> pages;
  uint16_t asid = 0;
  uint64_t walks = 0;

  void map(uint64_t vpn, uint8_t permits = vm::tlb::kPermitAll, bool global = false) {
    translation t;
    t.vpage = vpn * kPage;
    t.host_addend = 0x1000'0000'0000ull + vpn * 0x10;  // recognisable per page
    t.permits = permits;
    t.global = global;
    pages[vpn] = t;
  }
  bool walk_now(uint64_t vaddr, translation& out) {
    ++walks;
    const auto it = pages.find(vaddr / kPage);
    if (it == pages.end()) return false;
    out = it->second;
    if (!out.global) out.asid = asid;
    return true;
  }
  static bool walk(void* self, uint64_t vaddr, translation& out) noexcept {
    return static_cast<fake_page_table*>(self)->walk_now(vaddr, out);
  }
  miss_context context(uint64_t now) {
    miss_context c;
    c.asid = asid;
    c.now = now;
    c.walk = &fake_page_table::walk;
    c.self = this;
    return c;
  }
};

struct event_log final : tlb_event_sink {
  std::vector<prefetch_event> prefetches;
  void on(const prefetch_event& e) noexcept override { prefetches.push_back(e); }
};

// The pages predicted for each miss of `stream` (one vector per miss).
std::vector<std::vector<uint64_t>> predictions(prefetcher& p, const std::vector<uint64_t>& stream,
                                               unsigned max, uint16_t asid = 0) {
  std::vector<std::vector<uint64_t>> all;
  for (uint64_t vpn : stream) {
    std::vector<uint64_t> out(max);
    out.resize(p.on_miss(vpn, asid, out.data(), max));
    all.push_back(out);
  }
  return all;
}

bool contains(const std::vector<uint64_t>& v, uint64_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// How many misses i >= from had stream[i + 1] among their predictions.
unsigned next_predicted(const std::vector<std::vector<uint64_t>>& preds,
                        const std::vector<uint64_t>& stream, size_t from) {
  unsigned hits = 0;
  for (size_t i = from; i + 1 < stream.size(); ++i) hits += contains(preds[i], stream[i + 1]);
  return hits;
}

std::vector<uint64_t> strided_stream(uint64_t first, int64_t stride, size_t n) {
  std::vector<uint64_t> s;
  for (size_t i = 0; i < n; ++i) s.push_back(first + static_cast<uint64_t>(stride * int64_t(i)));
  return s;
}

// Feeds `stream` as demand misses (reads, `step` lookups apart, starting
// at now = step); returns how many the buffer served. Each served
// translation must be the walker's.
unsigned run_misses(prefetch_unit& unit, fake_page_table& pt, const std::vector<uint64_t>& stream,
                    uint64_t step, const tlb_event_source& events = {}, uint64_t* now = nullptr) {
  uint64_t local_now = 0;
  uint64_t& t = now != nullptr ? *now : local_now;
  unsigned served = 0;
  for (uint64_t vpn : stream) {
    t += step;
    const uint64_t vaddr = vpn * kPage + 0x123;
    const translation* hit = unit.on_tlb_miss(vaddr, access_type::kRead, pt.context(t), events);
    if (hit != nullptr) {
      ++served;
      translation expect;
      REQUIRE(pt.walk_now(vaddr, expect));
      REQUIRE(*hit == expect);
    }
  }
  return served;
}

prefetch_unit make_unit(std::unique_ptr<prefetcher> p, unsigned buffer = 16, unsigned degree = 2,
                        uint64_t latency = 16) {
  prefetch_options o;
  o.buffer_entries = buffer;
  o.degree = degree;
  o.latency = latency;
  return prefetch_unit(std::move(p), o);
}

}  // namespace

// ---------------------------------------------------------------------------
// miss_stream_tracker

TEST_CASE("miss tracker counts an ascending or descending page-by-page stream as sequential",
          "[tlb][prefetch][pattern]") {
  const int64_t direction = GENERATE(1, -1);
  CAPTURE(direction);
  miss_stream_tracker tracker;
  for (uint64_t vpn : strided_stream(5000, direction, 1000)) tracker.on_miss(vpn, 0);
  // The first miss has nothing before it: random.
  CHECK(tracker.counters().sequential == 999);
  CHECK(tracker.counters().strided == 0);
  CHECK(tracker.counters().random == 1);
}

TEST_CASE("miss tracker counts a stride-3 stream as strided", "[tlb][prefetch][pattern]") {
  miss_stream_tracker tracker;
  const auto stream = strided_stream(100, 3, 1000);
  CHECK(tracker.on_miss(stream[0], 0) == miss_pattern::kRandom);  // no previous miss
  CHECK(tracker.on_miss(stream[1], 0) == miss_pattern::kRandom);  // no previous delta
  CHECK(tracker.on_miss(stream[2], 0) == miss_pattern::kStrided);
  for (size_t i = 3; i < stream.size(); ++i) tracker.on_miss(stream[i], 0);
  CHECK(tracker.counters().strided == 998);
  CHECK(tracker.counters().sequential == 0);
  CHECK(tracker.counters().random == 2);
}

TEST_CASE("miss tracker counts a pseudo-random stream as random", "[tlb][prefetch][pattern]") {
  const uint64_t seed = 20020525;  // fixed
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<uint64_t> page(0, (uint64_t{1} << 30) - 1);
  miss_stream_tracker tracker;
  for (int i = 0; i < 1000; ++i) tracker.on_miss(page(rng), 0);
  CHECK(tracker.counters().random == 1000);
  CHECK(tracker.counters().sequential == 0);
  CHECK(tracker.counters().strided == 0);
  CHECK(tracker.counters().total() == 1000);
}

TEST_CASE("miss tracker starts a new stream when the address space changes, and on a repeated page",
          "[tlb][prefetch][pattern]") {
  miss_stream_tracker tracker;
  tracker.on_miss(10, 1);
  CHECK(tracker.on_miss(11, 1) == miss_pattern::kSequential);
  CHECK(tracker.on_miss(12, 2) == miss_pattern::kRandom);  // another ASID: no delta
  CHECK(tracker.on_miss(13, 2) == miss_pattern::kSequential);
  CHECK(tracker.on_miss(13, 2) == miss_pattern::kRandom);  // delta 0
  CHECK(tracker.on_miss(13, 2) == miss_pattern::kRandom);  // delta 0 twice is no stride
  CHECK(tracker.counters().total() == 6);
}

// ---------------------------------------------------------------------------
// stride_prefetcher

TEST_CASE("stride prefetcher predicts the next pages of a strided stream after warm-up",
          "[tlb][prefetch][stride]") {
  const int64_t stride = GENERATE(1, 3, -2, 64, -517);
  const unsigned degree = GENERATE(1u, 2u, 4u);
  CAPTURE(stride, degree);
  stride_prefetcher p;
  const auto stream = strided_stream(1'000'000, stride, 200);
  const auto preds = predictions(p, stream, degree);
  // Two misses give one delta, the third confirms it: nothing before.
  CHECK(preds[0].empty());
  CHECK(preds[1].empty());
  for (size_t i = 2; i < stream.size(); ++i) {
    CAPTURE(i);
    REQUIRE(preds[i].size() == degree);
    for (unsigned k = 0; k < degree; ++k) {
      CHECK(preds[i][k] == stream[i] + static_cast<uint64_t>(stride * int64_t(k + 1)));
    }
  }
  CHECK(p.confirmed_stride() == stride);
}

TEST_CASE("stride prefetcher predicts nothing on a random stream", "[tlb][prefetch][stride]") {
  const uint64_t seed = 7;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<uint64_t> page(0, (uint64_t{1} << 30) - 1);
  std::vector<uint64_t> stream;
  for (int i = 0; i < 1000; ++i) stream.push_back(page(rng));
  stride_prefetcher p;
  size_t predicted = 0;
  for (const auto& v : predictions(p, stream, 2)) predicted += v.size();
  CHECK(predicted == 0);
}

TEST_CASE("stride prefetcher re-learns after the stride changes and never leaves the address space",
          "[tlb][prefetch][stride]") {
  stride_prefetcher p;
  // Descending by 2 towards page 0: predictions stop at page 0.
  const auto preds = predictions(p, {10, 8, 6, 4, 2}, 4);
  CHECK(preds[2] == std::vector<uint64_t>{4, 2, 0});
  CHECK(preds[4] == std::vector<uint64_t>{0});  // -2 would wrap: not a page
  // A new stride (2 -> 5 -> 8: +3) needs its own confirmation.
  const auto next = predictions(p, {5, 8, 11}, 1);
  CHECK(next[0].empty());
  CHECK(next[1] == std::vector<uint64_t>{11});
  CHECK(next[2] == std::vector<uint64_t>{14});
  // At the top of the address space.
  stride_prefetcher up;
  const uint64_t top = vm::tlb::kVpnLimit - 1;
  const auto high = predictions(up, {top - 3, top - 2, top - 1}, 4);
  CHECK(high[2] == std::vector<uint64_t>{top});
}

// ---------------------------------------------------------------------------
// markov_prefetcher

TEST_CASE("markov prefetcher learns a repeating irregular sequence in one round",
          "[tlb][prefetch][markov]") {
  const std::vector<uint64_t> round = {5, 91, 17, 3, 40000, 12, 777};
  std::vector<uint64_t> stream;
  for (int r = 0; r < 20; ++r) stream.insert(stream.end(), round.begin(), round.end());
  markov_prefetcher p;
  const auto preds = predictions(p, stream, 2);
  // During the first round every page is new: nothing is predicted.
  for (size_t i = 0; i < round.size(); ++i) CHECK(preds[i].empty());
  // From the second round on, every miss predicts exactly the next one.
  for (size_t i = round.size(); i + 1 < stream.size(); ++i) {
    CAPTURE(i);
    CHECK(preds[i] == std::vector<uint64_t>{stream[i + 1]});
  }
  // A stride predictor sees no constant delta in it.
  stride_prefetcher stride;
  CHECK(next_predicted(predictions(stride, stream, 2), stream, 0) == 0);
}

TEST_CASE("markov prefetcher keeps the two most recent successors, most recent first",
          "[tlb][prefetch][markov]") {
  markov_prefetcher p;
  uint64_t out[4];
  // 10 -> 20, 10 -> 30, 10 -> 40, then ask about 10.
  for (uint64_t vpn : {10, 20, 10, 30, 10, 40}) p.on_miss(vpn, 0, out, 4);
  REQUIRE(p.on_miss(10, 0, out, 4) == 2);
  CHECK(out[0] == 40);
  CHECK(out[1] == 30);  // 20 was the least recent, replaced
  // 30 again moves it to the front without duplicating it.
  p.on_miss(30, 0, out, 4);
  REQUIRE(p.on_miss(10, 0, out, 4) == 2);
  CHECK(out[0] == 30);
  CHECK(out[1] == 40);
  // 10 -> 99 pushes 40 out; max limits the output.
  p.on_miss(99, 0, out, 4);
  REQUIRE(p.on_miss(10, 0, out, 1) == 1);
  CHECK(out[0] == 99);
}

TEST_CASE("markov prefetcher does not link or predict across address spaces",
          "[tlb][prefetch][markov]") {
  markov_prefetcher p;
  uint64_t out[2];
  for (uint64_t vpn : {1, 2, 1, 2}) p.on_miss(vpn, 7, out, 2);
  CHECK(p.on_miss(1, 8, out, 2) == 0);  // page 1 of ASID 8 was never seen
  CHECK(p.on_miss(1, 7, out, 2) == 1);  // ASID 7's row is intact...
  CHECK(out[0] == 2);
  p.on_miss(500, 8, out, 2);  // ...and 1 (ASID 7) -> 500 (ASID 8) was not learnt
  CHECK(p.on_miss(1, 7, out, 2) == 1);
  CHECK(out[0] == 2);
}

// ---------------------------------------------------------------------------
// distance_prefetcher

// Kandiraju & Sivasubramaniam (ISCA 2002) motivate distance prefetching
// with a stream touching pages 1, 2, 4, 5, 7, 8, ...: the distances
// alternate 1, 2, 1, 2, ..., so there is no single stride, and no page ever
// repeats, so a Markov table never sees a page twice; a distance table
// learns it in two rows.
TEST_CASE(
    "distance prefetcher predicts the paper's 1,2,4,5,7,8 stream where stride and markov cannot",
    "[tlb][prefetch][distance]") {
  std::vector<uint64_t> stream;
  for (uint64_t k = 0; k < 500; ++k) {
    stream.push_back(3 * k + 1);
    stream.push_back(3 * k + 2);
  }
  REQUIRE(std::vector<uint64_t>(stream.begin(), stream.begin() + 6) ==
          std::vector<uint64_t>{1, 2, 4, 5, 7, 8});

  distance_prefetcher distance;
  const auto preds = predictions(distance, stream, 2);
  // Misses 1 and 2 form the distances 1 and 2; miss 3 (page 5, distance 1)
  // is the first to find its distance's row: from there on, every miss
  // predicts the next one, and only it.
  for (size_t i = 0; i < 3; ++i) CHECK(preds[i].empty());
  for (size_t i = 3; i + 1 < stream.size(); ++i) {
    CAPTURE(i);
    CHECK(preds[i] == std::vector<uint64_t>{stream[i + 1]});
  }

  stride_prefetcher stride;
  CHECK(next_predicted(predictions(stride, stream, 2), stream, 0) == 0);
  markov_prefetcher markov;
  CHECK(next_predicted(predictions(markov, stream, 2), stream, 0) == 0);
}

TEST_CASE("distance prefetcher keeps two successor distances per distance, most recent first",
          "[tlb][prefetch][distance]") {
  distance_prefetcher p;
  uint64_t out[2];
  // Distances: 4, 1, 4, 9, 4 -> after 4 came 1 then 9 (most recent first: 9, 1).
  for (uint64_t vpn : {100, 104, 105, 109, 118}) p.on_miss(vpn, 0, out, 2);
  REQUIRE(p.on_miss(122, 0, out, 2) == 2);  // distance 4
  CHECK(out[0] == 122 + 9);
  CHECK(out[1] == 122 + 1);
  // A change of address space starts a new stream: no distance is formed.
  CHECK(p.on_miss(1000, 3, out, 2) == 0);
  CHECK(p.on_miss(1004, 3, out, 2) == 2);  // distance 4 again: the shared row predicts
  CHECK(out[0] == 1004 + 9);
  CHECK(out[1] == 1004 + 1);
}

// ---------------------------------------------------------------------------
// prefetch_unit

TEST_CASE("prefetch unit serves a 1000-page strided stream from its buffer",
          "[tlb][prefetch][unit]") {
  fake_page_table pt;
  const auto stream = strided_stream(0, 3, 1000);
  for (uint64_t vpn : stream) pt.map(vpn);  // only the stream's pages map
  prefetch_unit unit = make_unit(std::make_unique<stride_prefetcher>());
  tlb_event_source events;
  event_log log;
  events.subscribe(&log);

  const unsigned served = run_misses(unit, pt, stream, 100, events);
  // Warm-up: misses 0 and 1 have no confirmed stride, miss 2 confirms it
  // and prefetches pages of misses 3 and 4. Every later miss is served.
  const double after_warmup = double(served) / double(stream.size() - 3);
  CAPTURE(served, after_warmup);
  CHECK(after_warmup >= 0.9);
  CHECK(served == 997);

  const auto& c = unit.counters();
  CHECK(c.useful == 997);  // 100 lookups apart: every prefetch had completed
  CHECK(c.late == 0);
  // Miss 2 issues two prefetches, misses 3..997 one each (the other page is
  // already buffered); misses 998 and 999 predict pages past the stream,
  // which do not map: 3 dropped walks.
  CHECK(c.issued == 997);
  CHECK(c.dropped == 3);
  CHECK(c.walks == 1000);
  CHECK(c.useless == 0);
  CHECK(unit.buffered() == 0);
  CHECK(c.issued == c.useful + c.late + c.useless + unit.buffered());
  const auto filled = std::count_if(log.prefetches.begin(), log.prefetches.end(),
                                    [](const prefetch_event& e) { return e.filled; });
  CHECK(uint64_t(filled) == c.issued);
  CHECK(unit.pattern().strided == 998);
}

TEST_CASE("prefetch unit counts a prefetch late when the demand comes before its walk completes",
          "[tlb][prefetch][unit]") {
  // With degree 2 on a stride, miss i+2's page is issued at miss i (two
  // steps ahead) once running; miss 3's page only one step ahead (at 2).
  struct row {
    uint64_t step, latency, useful, late;
  };
  const row r = GENERATE(row{1, 16, 0, 997},   // every demand waits
                         row{8, 16, 996, 1},   // 16 lookups old: just complete
                         row{7, 16, 0, 997},   // 14 lookups old: still walking
                         row{16, 16, 997, 0},  // all complete
                         row{1, 0, 997, 0});   // no latency at all
  CAPTURE(r.step, r.latency);
  fake_page_table pt;
  const auto stream = strided_stream(50, 1, 1000);
  for (uint64_t vpn : stream) pt.map(vpn);
  prefetch_unit unit = make_unit(std::make_unique<stride_prefetcher>(), 16, 2, r.latency);
  CHECK(run_misses(unit, pt, stream, r.step) == 997);
  CHECK(unit.counters().useful == r.useful);
  CHECK(unit.counters().late == r.late);
}

TEST_CASE("prefetch unit drops a predicted page that does not map", "[tlb][prefetch][unit]") {
  fake_page_table pt;
  for (uint64_t vpn : {10, 11, 12, 14}) pt.map(vpn);  // 13 does not map
  prefetch_unit unit = make_unit(std::make_unique<stride_prefetcher>());
  tlb_event_source events;
  event_log log;
  events.subscribe(&log);
  run_misses(unit, pt, {10, 11, 12}, 100, events);
  CHECK(unit.counters().walks == 2);
  CHECK(unit.counters().dropped == 1);
  CHECK(unit.counters().issued == 1);
  CHECK_FALSE(unit.holds(13 * kPage, 0));
  CHECK(unit.holds(14 * kPage, 0));
  REQUIRE(log.prefetches.size() == 2);
  CHECK(log.prefetches[0].vaddr == 13 * kPage);
  CHECK_FALSE(log.prefetches[0].filled);
  CHECK(log.prefetches[1].vaddr == 14 * kPage);
  CHECK(log.prefetches[1].filled);
  CHECK(log.prefetches[1].now == 300);
}

TEST_CASE("prefetch unit counts entries evicted unused as useless", "[tlb][prefetch][unit]") {
  fake_page_table pt;
  for (uint64_t vpn : {100, 101, 102, 103, 104, 500, 600, 700, 800, 900}) pt.map(vpn);
  prefetch_unit unit = make_unit(std::make_unique<stride_prefetcher>(), /*buffer=*/3);
  uint64_t now = 0;
  run_misses(unit, pt, {100, 101, 102}, 100, {}, &now);  // buffers 103, 104
  CHECK(unit.counters().issued == 2);
  CHECK(unit.buffered() == 2);
  CHECK(unit.counters().useless == 0);
  // A new stream with stride 100: 700 confirms it and prefetches 800 (into
  // the free slot) and 900, which evicts the oldest entry, 103, unused.
  run_misses(unit, pt, {500, 600, 700}, 100, {}, &now);
  CHECK(unit.counters().issued == 4);
  CHECK(unit.counters().useless == 1);
  CHECK_FALSE(unit.holds(103 * kPage, 0));
  CHECK(unit.holds(104 * kPage, 0));
  CHECK(unit.holds(800 * kPage, 0));
  CHECK(unit.holds(900 * kPage, 0));
  CHECK(run_misses(unit, pt, {103}, 100, {}, &now) == 0);  // gone: the caller walks
  CHECK(run_misses(unit, pt, {104}, 100, {}, &now) == 1);  // used, so never useless
  unit.flush(flush_request::all());                        // 800, 900: flushed unused
  CHECK(unit.counters().useless == 3);
  CHECK(unit.counters().useful == 1);
}

TEST_CASE("prefetch unit flushes buffered entries by address and by ASID, keeping its history",
          "[tlb][prefetch][unit]") {
  fake_page_table pt;
  pt.asid = 4;
  for (uint64_t vpn = 10; vpn < 40; ++vpn) pt.map(vpn);
  prefetch_unit unit = make_unit(std::make_unique<stride_prefetcher>());
  uint64_t now = 0;
  run_misses(unit, pt, {10, 11, 12}, 100, {}, &now);  // buffers 13, 14
  REQUIRE(unit.holds(13 * kPage, 4));

  unit.flush(flush_request::by_address_asid(13 * kPage + 8, 5));  // another ASID: kept
  CHECK(unit.holds(13 * kPage, 4));
  unit.flush(flush_request::by_address(13 * kPage + 8));
  CHECK_FALSE(unit.holds(13 * kPage, 4));
  CHECK(unit.holds(14 * kPage, 4));
  CHECK(unit.counters().useless == 1);
  CHECK(run_misses(unit, pt, {13}, 100, {}, &now) == 0);  // flushed: walks
  CHECK(run_misses(unit, pt, {14}, 100, {}, &now) == 1);  // still there

  unit.flush(flush_request::by_asid(4));  // drops 15, 16
  CHECK(unit.buffered() == 0);
  CHECK(unit.counters().useless == 3);

  // The stride survived the flushes: the next miss prefetches at once.
  CHECK(run_misses(unit, pt, {15}, 100, {}, &now) == 0);
  CHECK(unit.holds(16 * kPage, 4));
  CHECK(unit.holds(17 * kPage, 4));
  unit.flush(flush_request::all());
  CHECK(unit.buffered() == 0);
  CHECK(unit.counters().useless == 5);
}

TEST_CASE("prefetch unit does not serve another ASID's entry, but serves a global one",
          "[tlb][prefetch][unit]") {
  fake_page_table pt;
  pt.asid = 1;
  for (uint64_t vpn : {10, 11, 12, 13}) pt.map(vpn);
  pt.map(14, vm::tlb::kPermitAll, /*global=*/true);
  prefetch_unit unit = make_unit(std::make_unique<stride_prefetcher>());
  uint64_t now = 0;
  run_misses(unit, pt, {10, 11, 12}, 100, {}, &now);  // buffers 13 (ASID 1), 14 (global)
  pt.asid = 2;
  CHECK(run_misses(unit, pt, {13}, 100, {}, &now) == 0);
  CHECK(unit.holds(13 * kPage, 1));  // still there for ASID 1
  CHECK(run_misses(unit, pt, {14}, 100, {}, &now) == 1);
  pt.asid = 1;
  CHECK(run_misses(unit, pt, {13}, 100, {}, &now) == 1);
}

TEST_CASE("prefetch unit does not serve an access type the buffered translation does not permit",
          "[tlb][prefetch][unit]") {
  fake_page_table pt;
  for (uint64_t vpn : {10, 11, 12}) pt.map(vpn);
  pt.map(13, vm::tlb::permit_bit(access_type::kRead));  // not writable
  prefetch_unit unit = make_unit(std::make_unique<stride_prefetcher>());
  run_misses(unit, pt, {10, 11, 12}, 100);
  const tlb_event_source events;
  CHECK(unit.on_tlb_miss(13 * kPage, access_type::kWrite, pt.context(1000), events) == nullptr);
  const translation* t = unit.on_tlb_miss(13 * kPage, access_type::kRead, pt.context(1001), events);
  REQUIRE(t != nullptr);
  CHECK(t->vpage == 13 * kPage);
}

TEST_CASE("prefetch unit does not buffer the large page that holds the demand address",
          "[tlb][prefetch][unit]") {
  fake_page_table pt;
  translation huge;
  huge.vpage = 512 * kPage;  // one 2 MiB page: pages 512..1023
  huge.level = 1;
  huge.permits = vm::tlb::kPermitAll;
  huge.host_addend = 0x7000'0000;
  for (uint64_t vpn = 512; vpn < 1024; ++vpn) pt.pages[vpn] = huge;
  prefetch_unit unit = make_unit(std::make_unique<stride_prefetcher>());
  run_misses(unit, pt, {600, 601, 602}, 100);
  CHECK(unit.counters().walks == 2);   // 603 and 604 were walked ...
  CHECK(unit.counters().issued == 0);  // ... but are 602's own translation
  CHECK(unit.counters().dropped == 0);
  CHECK(unit.buffered() == 0);
}

TEST_CASE("prefetch unit without a prefetcher only tracks the pattern", "[tlb][prefetch][unit]") {
  fake_page_table pt;
  for (uint64_t vpn = 0; vpn < 100; ++vpn) pt.map(vpn);
  prefetch_unit unit = make_unit(nullptr);
  CHECK_FALSE(unit.enabled());
  CHECK(run_misses(unit, pt, strided_stream(0, 1, 100), 100) == 0);
  CHECK(pt.walks == 0);  // no prefetch walk
  counter_list out;
  unit.append_counters(out);
  CHECK(out == counter_list{{"tlb.pattern.sequential", 99},
                            {"tlb.pattern.strided", 0},
                            {"tlb.pattern.random", 1}});
}

TEST_CASE("prefetch unit appends its counters by name in the documented order",
          "[tlb][prefetch][unit]") {
  fake_page_table pt;
  for (uint64_t vpn : {10, 11, 12, 13}) pt.map(vpn);  // 14 does not map
  prefetch_unit unit = make_unit(std::make_unique<stride_prefetcher>(), 16, 2, 16);
  uint64_t now = 0;
  run_misses(unit, pt, {10, 11, 12}, 100, {}, &now);  // issues 13, drops 14
  run_misses(unit, pt, {13}, 1, {}, &now);            // late; drops 14, 15
  unit.flush(flush_request::all());
  CHECK(unit.enabled());
  counter_list out{{"before", 1}};
  unit.append_counters(out);
  CHECK(out == counter_list{{"before", 1},
                            {"tlb.prefetch.issued", 1},
                            {"tlb.prefetch.useful", 0},
                            {"tlb.prefetch.late", 1},
                            {"tlb.prefetch.useless", 0},
                            {"tlb.prefetch.dropped", 3},
                            {"tlb.prefetch.walks", 4},
                            {"tlb.prefetch.throttled", 0},
                            {"tlb.pattern.sequential", 3},
                            {"tlb.pattern.strided", 0},
                            {"tlb.pattern.random", 1}});
}

TEST_CASE("prefetch unit with markov or distance serves their learnt streams",
          "[tlb][prefetch][unit]") {
  fake_page_table pt;
  std::vector<uint64_t> stream;
  const std::vector<uint64_t> round = {5, 91, 17, 3, 250, 12};
  for (int r = 0; r < 50; ++r) {
    for (uint64_t vpn : round) stream.push_back(vpn);
  }
  for (uint64_t vpn : round) pt.map(vpn);
  prefetch_unit markov = make_unit(std::make_unique<markov_prefetcher>());
  // The first round teaches the table; the first miss of the second round
  // (5) is not served yet (3 -> 5 was the last link learnt).
  CHECK(run_misses(markov, pt, stream, 100) == stream.size() - round.size() - 1);

  std::vector<uint64_t> alternating;  // the paper's 1, 2, 4, 5, 7, 8, ...
  for (uint64_t k = 0; k < 300; ++k) {
    alternating.push_back(3 * k + 1);
    alternating.push_back(3 * k + 2);
  }
  fake_page_table pt2;
  for (uint64_t vpn = 0; vpn < 1000; ++vpn) pt2.map(vpn);
  prefetch_unit distance = make_unit(std::make_unique<distance_prefetcher>());
  CHECK(run_misses(distance, pt2, alternating, 100) == alternating.size() - 4);
  prefetch_unit stride = make_unit(std::make_unique<stride_prefetcher>());
  CHECK(run_misses(stride, pt2, alternating, 100) == 0);
}

// Differential: whatever the prefetcher, page-table changes (each followed
// by the sfence.vma an OS would issue), flushes and ASID switches, a
// translation served from the buffer is exactly what the walker returns
// now, for the current ASID and access type.
TEST_CASE("prefetch unit only ever serves the walker's current translation",
          "[tlb][prefetch][unit]") {
  const std::string name = GENERATE("stride", "markov", "distance");
  const uint64_t seed = GENERATE(1u, 2u, 3u);
  CAPTURE(name, seed);
  std::mt19937_64 rng(seed);
  auto below = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };

  fake_page_table pt;
  auto remap = [&](uint64_t vpn) {
    if (below(10) < 2) {
      pt.pages.erase(vpn);
    } else {
      pt.map(vpn, static_cast<uint8_t>(1 + below(7)), below(8) == 0);
      pt.pages[vpn].host_addend = rng();
    }
  };
  for (uint64_t vpn = 0; vpn < 256; ++vpn) remap(vpn);

  auto made = vm::tlb::make_prefetcher(name);
  REQUIRE(made.ok());
  prefetch_unit unit = make_unit(std::move(made).value(), 8, 3, 4);
  const tlb_event_source events;
  uint64_t vpn = 0;
  int64_t stride = 1;
  unsigned served = 0;
  for (uint64_t now = 1; now <= 20000; ++now) {
    switch (below(40)) {
      case 0: {  // change a mapping, then sfence.vma that address
        const uint64_t v = below(256);
        remap(v);
        unit.flush(flush_request::by_address(v * kPage));  // every ASID, global too
        break;
      }
      case 5: unit.flush(flush_request::by_address_asid(below(256) * kPage, pt.asid)); break;
      case 6: unit.flush(flush_request::by_asid(static_cast<uint16_t>(below(3)))); break;
      case 1: pt.asid = static_cast<uint16_t>(below(3)); break;
      case 2: unit.flush(flush_request::all()); break;
      case 3: stride = static_cast<int64_t>(below(9)) - 4; break;
      case 4: vpn = below(256); break;
      default: break;
    }
    vpn = (vpn + static_cast<uint64_t>(stride)) % 256;
    const auto type = static_cast<access_type>(below(3));
    const uint64_t vaddr = vpn * kPage + below(kPage);
    const translation* t = unit.on_tlb_miss(vaddr, type, pt.context(now), events);
    if (t != nullptr) {
      CAPTURE(now, vaddr);
      ++served;
      translation expect;
      REQUIRE(pt.walk_now(vaddr, expect));
      CHECK(*t == expect);
      CHECK(t->serves(vaddr, pt.asid, type));
    }
  }
  CHECK(served > 100);  // the check above was exercised
  const auto& c = unit.counters();
  CHECK(c.issued == c.useful + c.late + c.useless + unit.buffered());
  CHECK(unit.pattern().total() == 20000);
}

TEST_CASE("prefetch options outside their limits are rejected by name", "[tlb][prefetch][unit]") {
  CHECK_FALSE(vm::tlb::check_prefetch_options(prefetch_options{}));
  prefetch_options o;
  o.buffer_entries = 0;
  const vm::error e = vm::tlb::check_prefetch_options(o);
  CHECK(e.code == vm::error_code::kInvalidArgument);
  CHECK_THAT(e.message, Catch::Contains("buffer entries 0") && Catch::Contains("1..1024"));
  o = {};
  o.degree = 17;
  CHECK_THAT(vm::tlb::check_prefetch_options(o).message,
             Catch::Contains("degree 17") && Catch::Contains("1..16"));
}

// ---------------------------------------------------------------------------
// registry

TEST_CASE("prefetch registry builds every named prefetcher", "[tlb][prefetch][registry]") {
  CHECK(vm::tlb::prefetcher_names() == "none, stride, markov, distance");
  const std::string name = GENERATE("stride", "markov", "distance");
  CAPTURE(name);
  auto made = vm::tlb::make_prefetcher(name);
  REQUIRE(made.ok());
  REQUIRE(made.value() != nullptr);
  CHECK(made.value()->name() == name);

  auto none = vm::tlb::make_prefetcher("none");
  REQUIRE(none.ok());
  CHECK(none.value() == nullptr);
}

TEST_CASE("prefetch registry rejects an unknown name and lists the accepted ones",
          "[tlb][prefetch][registry]") {
  const std::string name = GENERATE("bogus", "", "Stride", "markov ");
  CAPTURE(name);
  const auto made = vm::tlb::make_prefetcher(name);
  REQUIRE_FALSE(made.ok());
  CHECK(made.err().code == vm::error_code::kInvalidArgument);
  CHECK_THAT(made.err().message, Catch::Contains("'" + name + "'") &&
                                     Catch::Contains("none, stride, markov, distance"));
}

TEST_CASE("prefetch unit throttles a prefetcher whose prefetches are wasted, and recovers",
          "[tlb][prefetch][unit]") {
  // Only even pages map: a stride-1 prefetcher's predictions of odd pages
  // are all dropped, so it is throttled to a sample of misses; when the
  // stream turns to stride 2 over mapped pages, its prefetches serve again.
  fake_page_table pt;
  for (uint64_t vpn = 0; vpn < 20000; vpn += 2) pt.map(vpn);
  prefetch_options o;
  o.degree = 1;
  prefetch_unit unit(std::make_unique<vm::tlb::stride_prefetcher>(), o);
  miss_context ctx = pt.context(0);
  const vm::tlb::tlb_event_source events;
  // Misses on odd pages, stride 2: every prediction is an odd page, which
  // does not map.
  for (uint64_t vpn = 1; vpn < 8001; vpn += 2, ++ctx.now)
    (void)unit.on_tlb_miss(vpn << 12, access_type::kRead, ctx, events);
  const auto throttled = unit.counters();
  CHECK(throttled.throttled > 3000);  // most predictions were not issued
  CHECK(throttled.walks < 400);       // a sample of them still walks
  // Stride 2 over mapped pages: served again, the throttle lifts.
  uint64_t served = 0;
  for (uint64_t vpn = 10000; vpn < 12000; vpn += 2, ctx.now += 100)
    if (unit.on_tlb_miss(vpn << 12, access_type::kRead, ctx, events) != nullptr) ++served;
  CHECK(served > 900);
  CHECK(unit.counters().throttled - throttled.throttled < 100);
}
