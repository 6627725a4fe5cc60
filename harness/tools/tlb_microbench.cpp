// tlb_microbench.cpp - Google Benchmark programs for the TLB family's
// structural claims (docs/PERFORMANCE.md has the numbers and commands):
//
//   flush/<structure>/<entries>  a full flush (plus one fill, so the next
//                                flush has something to drop) at sizes from
//                                2^6 to 2^22 entries: the generation counter
//                                makes it constant; the "clear" rows clear
//                                the array, as a TLB without generations must.
//   hit/<front>                  the L1 front's hit path alone, as the replay
//                                loop inlines it (16 resident pages).
//   replay/<pattern>/<design>    the real replay loop (vm::replay::mem_replayer)
//                                over records in memory, after a warm-up pass
//                                (guest RAM committed, A/D bits set), so the
//                                time is the TLB's: "hot" reads 16 pages
//                                (every access hits L1); "random" reads random
//                                pages of 2 MiB (512 pages: the data and the
//                                page tables stay in the host's caches, so with
//                                l1=1x1, where every access walks, the
//                                difference to `default` is the walk and refill).
//
// `tlb_microbench --count-lookups N` runs N hit-path lookups and exits: run
// it under callgrind at two N and divide the difference in instructions by
// the difference in N to get host instructions per lookup.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <random>

#include "replay/address_space.h"
#include "replay/mem_replay.h"
#include "tlb/replacement/lru/lru.h"
#include "tlb/set_assoc_level.h"
#include "tlb/tlb_set_assoc.h"

namespace {

using vm::tlb::access_type;
using vm::tlb::tlb_entry;

constexpr uint64_t kPage = 4096;

tlb_entry entry_for(uint64_t page) {
  tlb_entry e;
  e.tag[0] = e.tag[1] = page;
  e.host_addend = page * 3;
  return e;
}

void flush_front(benchmark::State& state) {
  const auto entries = static_cast<unsigned>(state.range(0));
  vm::tlb::tlb_front_runtime front(vm::tlb::runtime_geometry(entries, 1));
  for (unsigned i = 0; i < entries; ++i) front.insert(uint64_t{i} * kPage, entry_for(uint64_t{i} * kPage));
  uint64_t page = 0;
  for (auto _ : state) {
    front.flush_all();
    page += kPage;
    front.insert(page, entry_for(page));
    benchmark::ClobberMemory();
  }
  state.SetLabel(std::to_string(entries) + " entries");
}

// What a TLB without generations does: clear every entry.
void clear_front(benchmark::State& state) {
  const auto entries = static_cast<size_t>(state.range(0));
  std::unique_ptr<tlb_entry[]> slots(new tlb_entry[entries]);
  uint64_t page = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < entries; ++i) slots[i] = tlb_entry{};
    page += kPage;
    slots[(page / kPage) & (entries - 1)] = entry_for(page);
    benchmark::ClobberMemory();
  }
  state.SetLabel(std::to_string(entries) + " entries");
}

void flush_level(benchmark::State& state) {
  const auto entries = static_cast<unsigned>(state.range(0));
  vm::tlb::set_assoc_level level(entries / 8, 8, std::make_unique<vm::tlb::lru_policy>());
  vm::tlb::translation t;
  t.permits = vm::tlb::kPermitAll;
  uint64_t page = 0;
  for (auto _ : state) {
    level.flush(vm::tlb::flush_request::all());
    page += kPage;
    t.vpage = page;
    level.insert(t);
    benchmark::ClobberMemory();
  }
  state.SetLabel(std::to_string(entries) + " entries");
}

template <class Front>
uint64_t lookups(Front& front, uint64_t n) {
  constexpr uint64_t kBase = 0x10000, kBytes = 64 << 10;  // 16 pages
  uint64_t sum = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t vaddr = kBase + ((i * 8) & (kBytes - 1));
    const tlb_entry* e = front.template find<access_type::kRead>(vaddr & ~(kPage - 1), vaddr & ~(kPage - 1 - 7));
    sum += e != nullptr ? e->host_addend : 1;
  }
  return sum;
}

template <class Front>
void fill16(Front& front) {
  for (uint64_t page = 0x10000; page < 0x20000; page += kPage) front.insert(page, entry_for(page));
}

template <unsigned Sets, unsigned Ways>
void hit_fixed(benchmark::State& state) {
  auto front = std::make_unique<vm::tlb::tlb_set_assoc<Sets, Ways>>();
  fill16(*front);
  for (auto _ : state) benchmark::DoNotOptimize(lookups(*front, 4096));
  state.SetItemsProcessed(state.iterations() * 4096);
}

void hit_runtime(benchmark::State& state) {
  vm::tlb::tlb_front_runtime front(
      vm::tlb::runtime_geometry(static_cast<unsigned>(state.range(0)), static_cast<unsigned>(state.range(1))));
  fill16(front);
  for (auto _ : state) benchmark::DoNotOptimize(lookups(front, 4096));
  state.SetItemsProcessed(state.iterations() * 4096);
}

// 8-byte loads: over 16 pages in order, or over 2 MiB at random.
std::vector<vm::trace::record> make_records(bool hot, size_t n) {
  std::vector<vm::trace::record> records(n);
  std::mt19937_64 rng(1);
  for (size_t i = 0; i < n; ++i) {
    records[i].type = vm::trace::record_type::kRead;
    records[i].size = 8;
    records[i].address = hot ? 0x10000000 + ((i * 8) & ((16 << 12) - 1))
                             : 0x10000000 + (rng() % (2 << 20) & ~uint64_t{7});
  }
  return records;
}

void replay_design(benchmark::State& state, bool hot, const std::string& design) {
  auto config = vm::replay::parse_tlb_config(design);
  vm::trace::page_range range;
  range.start = 0x10000000;
  range.end = range.start + (64 << 20);
  auto space = vm::replay::address_space::build({range}, 0, "tlb_microbench");
  if (!config.ok() || !space.ok()) {
    state.SkipWithError("bad design or address space");
    return;
  }
  const auto records = make_records(hot, size_t{1} << 20);
  vm::replay::mem_replayer replayer(*space.value(), 1, config.value());
  // Warm-up: every page of the range touched (committed, A/D set).
  std::vector<vm::trace::record> touch(16384);
  for (size_t i = 0; i < touch.size(); ++i) {
    touch[i].type = vm::trace::record_type::kWrite;
    touch[i].size = 8;
    touch[i].address = range.start + i * kPage;
  }
  replayer.replay(touch.data(), touch.size(), 0);
  replayer.replay(records.data(), records.size(), 0);
  const auto before = replayer.counters();
  for (auto _ : state) replayer.replay(records.data(), records.size(), 0);
  const auto after = replayer.counters();
  const double accesses = static_cast<double>(after.accesses.total() - before.accesses.total());
  state.counters["walks_per_access"] =
      static_cast<double>(after.memory.walks - before.memory.walks) / accesses;
  state.counters["ns_per_access"] = benchmark::Counter(
      accesses, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetItemsProcessed(static_cast<int64_t>(accesses));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--count-lookups") == 0) {
    auto front = std::make_unique<vm::tlb::tlb_set_assoc<16384, 1>>();
    fill16(*front);
    const uint64_t sum = lookups(*front, std::strtoull(argv[2], nullptr, 10));
    std::printf("%llu\n", static_cast<unsigned long long>(sum & 1));
    return 0;
  }
  for (int64_t n = 64; n <= (int64_t{1} << 22); n *= 4) {
    benchmark::RegisterBenchmark(("flush/front-generation/" + std::to_string(n)).c_str(), flush_front)->Arg(n);
    benchmark::RegisterBenchmark(("flush/front-clear/" + std::to_string(n)).c_str(), clear_front)->Arg(n);
    benchmark::RegisterBenchmark(("flush/level-generation/" + std::to_string(n)).c_str(), flush_level)->Arg(n);
  }
  benchmark::RegisterBenchmark("hit/fixed-16384x1", hit_fixed<16384, 1>);
  benchmark::RegisterBenchmark("hit/fixed-16x4", hit_fixed<16, 4>);
  benchmark::RegisterBenchmark("hit/runtime-16x4", hit_runtime)->Args({16, 4});
  benchmark::RegisterBenchmark("hit/runtime-1024x1", hit_runtime)->Args({1024, 1});
  for (const char* design : {"default", "l1=16x4", "l1=1x1", "l1=1x1,l2=4096x8", "qemu,entries=64,resize=off",
                             "qemu", "sharded", "lockfree", "percpu"}) {
    for (bool hot : {true, false}) {
      const std::string name = std::string("replay/") + (hot ? "hot/" : "random/") + design;
      benchmark::RegisterBenchmark(name.c_str(), [hot, d = std::string(design)](benchmark::State& s) {
        replay_design(s, hot, d);
      })->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
