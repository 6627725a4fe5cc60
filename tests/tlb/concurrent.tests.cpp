// concurrent.tests.cpp - the concurrent TLB designs (core/tlb/concurrent):
// the sharded, lock-free and per-CPU TLBs, single-threaded through their
// replay wrappers (hits, superpages, every sfence.vma scope, a differential
// run against a map-based page table) and multi-threaded through their
// handles (4 threads; run under the tsan preset too): every translation a
// lookup returns is exactly the reference's, and after a flush/shootdown
// of a page completes no thread returns its old translation.

#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "tlb/concurrent/lockfree_tlb.h"
#include "tlb/concurrent/multi_cpu.h"
#include "tlb/concurrent/percpu_tlb.h"
#include "tlb/concurrent/sharded_tlb.h"

namespace {

using namespace vm::tlb;

constexpr uint64_t k4K = uint64_t{1} << 12;
constexpr uint64_t k2M = uint64_t{1} << 21;
constexpr uint64_t k1G = uint64_t{1} << 30;
constexpr access_type kTypes[] = {access_type::kRead, access_type::kWrite, access_type::kExecute};

template <class D>
const tlb_entry* find(const D& d, access_type type, uint64_t page, uint64_t key) {
  switch (type) {
    case access_type::kRead: return d.template find<access_type::kRead>(page, key);
    case access_type::kWrite: return d.template find<access_type::kWrite>(page, key);
    case access_type::kExecute: return d.template find<access_type::kExecute>(page, key);
  }
  return nullptr;
}

translation make(uint64_t vpage, unsigned level, uint16_t asid, bool global, uint8_t permits,
                 uint64_t addend) {
  translation t;
  t.vpage = vpage;
  t.level = static_cast<uint8_t>(level);
  t.asid = asid;
  t.global = global;
  t.permits = permits;
  t.host_addend = addend;
  return t;
}

// ---------------------------------------------------------------------------
// The fake page table: translations by (owner, vpage, level), where owner is
// the ASID or kGlobalOwner. Regions of different page sizes never overlap.
constexpr uint32_t kGlobalOwner = 0xffffffff;

struct page_table_model {
  std::map<std::tuple<uint32_t, uint64_t, unsigned>, translation> map;

  void set(const translation& t) { map[key_of(t)] = t; }
  void erase(const translation& t) { map.erase(key_of(t)); }
  static std::tuple<uint32_t, uint64_t, unsigned> key_of(const translation& t) {
    return {t.global ? kGlobalOwner : t.asid, t.vpage, t.level};
  }
  // What a walk of vaddr in address space `asid` finds.
  std::optional<translation> walk(uint64_t vaddr, uint16_t asid) const {
    for (unsigned level = 0; level <= kMaxLevel; ++level) {
      const uint64_t base = vaddr & ~(page_bytes(level) - 1);
      if (auto it = map.find({kGlobalOwner, base, level}); it != map.end()) return it->second;
      if (auto it = map.find({asid, base, level}); it != map.end()) return it->second;
    }
    return std::nullopt;
  }
};

// miss_context's walk callback (the designs here do not prefetch, but the
// mmu always passes one).
struct walk_target {
  const page_table_model* model;
  uint16_t asid;
};
bool model_walk(void* self, uint64_t vaddr, translation& out) noexcept {
  const auto* w = static_cast<const walk_target*>(self);
  const std::optional<translation> t = w->model->walk(vaddr, w->asid);
  if (!t) return false;
  out = *t;
  return true;
}

// Drives a design as the replay's one mmu does: a current vCPU
// (select_cpu), one translation context whose ASID may change
// (change_context()), virtual time.
template <class D>
struct driver {
  D& d;
  const page_table_model* model = nullptr;
  uint16_t asid = 0;
  unsigned cpu = 0;
  uint64_t now = 0;
  walk_target target{};

  explicit driver(D& design, const page_table_model* m = nullptr) : d(design), model(m) {}

  void use(unsigned next_cpu, uint16_t next_asid) {
    if (next_cpu != cpu) {
      d.select_cpu(next_cpu);
      cpu = next_cpu;
    }
    if (next_asid != asid) {
      d.change_context();
      asid = next_asid;
    }
  }
  miss_context ctx() {
    miss_context c;
    c.asid = asid;
    c.now = now;
    if (model != nullptr) {
      target = {model, c.asid};
      c.walk = &model_walk;
      c.self = &target;
    }
    return c;
  }
  // find, then refill on a miss: what the design holds (no walk).
  const tlb_entry* cached(uint64_t vaddr, access_type type) {
    ++now;
    const uint64_t page = vaddr & ~(k4K - 1);
    const tlb_entry* e = find(d, type, page, page);
    if (e == nullptr) e = d.refill(vaddr, type, ctx());
    return e;
  }
  void insert(const translation& t, uint64_t vaddr) { d.insert(t, vaddr, ctx()); }
};

// The designs under test, small enough that the differential run evicts.
template <class D>
D make_design(unsigned cpus);
template <>
sharded_tlb_replay make_design<sharded_tlb_replay>(unsigned cpus) {
  return {sharded_tlb_config{64, 4, 4}, cpus};
}
template <>
sharded_tlb_mutex_replay make_design<sharded_tlb_mutex_replay>(unsigned cpus) {
  return {sharded_tlb_config{64, 4, 8}, cpus};
}
template <>
lockfree_tlb_replay make_design<lockfree_tlb_replay>(unsigned cpus) {
  return {lockfree_tlb_config{64, 4}, cpus};
}
// With a private L2: "still present" checks go through refill, and the
// front may drop more than a flush covers (it holds no ASIDs).
template <>
percpu_tlb_replay make_design<percpu_tlb_replay>(unsigned cpus) {
  return {percpu_tlb_config{16, 2, 64, 4}, cpus};
}

#define VM_CONCURRENT_DESIGNS \
  sharded_tlb_replay, sharded_tlb_mutex_replay, lockfree_tlb_replay, percpu_tlb_replay

}  // namespace

// ---------------------------------------------------------------------------
// Single-threaded behaviour

TEMPLATE_TEST_CASE("concurrent designs hit after insert, per access type", "[tlb][concurrent]",
                   VM_CONCURRENT_DESIGNS) {
  TestType d = make_design<TestType>(2);
  driver<TestType> drv(d);
  drv.use(0, 1);
  const uint64_t page = 0x12345000;
  drv.insert(make(page, 0, 1, false,
                  permit_bit(access_type::kRead) | permit_bit(access_type::kWrite), 0x7000),
             page + 8);

  const tlb_entry* e = find(d, access_type::kRead, page, page);
  REQUIRE(e != nullptr);
  CHECK(e->host_addend == 0x7000);
  CHECK(find(d, access_type::kWrite, page, page) != nullptr);
  CHECK(find(d, access_type::kExecute, page, page) == nullptr);  // not permitted
  CHECK(drv.cached(page + 16, access_type::kExecute) == nullptr);
  CHECK(find(d, access_type::kRead, page + k4K, page + k4K) == nullptr);  // another page
  CHECK(find(d, access_type::kRead, page, page | 3) == nullptr);          // a misaligned key misses
  // Another address space does not see it.
  drv.use(0, 2);
  CHECK(drv.cached(page, access_type::kRead) == nullptr);
}

TEMPLATE_TEST_CASE("concurrent designs find a superpage from any inner 4 KiB page",
                   "[tlb][concurrent]", VM_CONCURRENT_DESIGNS) {
  TestType d = make_design<TestType>(1);
  driver<TestType> drv(d);
  drv.use(0, 3);
  const uint64_t base2m = 0x40000000 + 5 * k2M;
  const uint64_t base1g = 7 * k1G;
  drv.insert(make(base2m, 1, 3, false, kPermitAll, 0x1000000), base2m + 17 * k4K);
  drv.insert(make(base1g, 2, 3, false, permit_bit(access_type::kRead), 0x2000000),
             base1g + 3 * k2M);

  for (uint64_t offset : {uint64_t{0}, k4K, 17 * k4K, 0x123456 & ~(k4K - 1), k2M - k4K}) {
    CAPTURE(offset);
    const tlb_entry* e = drv.cached(base2m + offset, access_type::kWrite);
    REQUIRE(e != nullptr);
    CHECK(e->host_addend == 0x1000000);
  }
  for (uint64_t offset : {uint64_t{0}, 3 * k2M, k1G - k4K, 0x2345f000 & (k1G - 1)}) {
    CAPTURE(offset);
    const tlb_entry* e = drv.cached(base1g + offset, access_type::kRead);
    REQUIRE(e != nullptr);
    CHECK(e->host_addend == 0x2000000);
    CHECK(drv.cached(base1g + offset, access_type::kWrite) == nullptr);
  }
  CHECK(drv.cached(base2m + k2M, access_type::kRead) == nullptr);
  CHECK(drv.cached(base2m - k4K, access_type::kRead) == nullptr);
  CHECK(drv.cached(base1g + k1G, access_type::kRead) == nullptr);
}

TEMPLATE_TEST_CASE("concurrent designs honour every sfence.vma scope", "[tlb][concurrent]",
                   VM_CONCURRENT_DESIGNS) {
  // A: asid 1 at X; B: asid 2 at X; C: asid 1 at Z; G: global at Y;
  // S: asid 1, a 2 MiB page holding W.
  const uint64_t X = 0x10000000, Z = 0x10008000, Y = 0x20000000, S = 0x40000000, W = S + 9 * k4K;
  struct mapping {
    const char* name;
    translation t;
    uint64_t vaddr;
  };
  const std::vector<mapping> all = {
      {"A", make(X, 0, 1, false, kPermitAll, 0xa000), X},
      {"B", make(X, 0, 2, false, kPermitAll, 0xb000), X},
      {"C", make(Z, 0, 1, false, kPermitAll, 0xc000), Z},
      {"G", make(Y, 0, 1, true, kPermitAll, 0xd000), Y},
      {"S", make(S, 1, 1, false, kPermitAll, 0xe000), W},
  };
  struct scope_case {
    const char* name;
    flush_request request;
    std::string survivors;
  };
  const scope_case cases[] = {
      {"all", flush_request::all(), ""},
      {"asid 1", flush_request::by_asid(1), "BG"},
      {"asid 2", flush_request::by_asid(2), "ACGS"},
      {"address X", flush_request::by_address(X + 0x10), "CGS"},
      {"address+asid X 1", flush_request::by_address_asid(X, 1), "BCGS"},
      {"address+asid Y 1 (global survives)", flush_request::by_address_asid(Y, 1), "ABCGS"},
      {"address Y", flush_request::by_address(Y), "ABCS"},
      {"address W (inside the superpage)", flush_request::by_address(W + 0x800), "ABCG"},
      {"address+asid W 2", flush_request::by_address_asid(W, 2), "ABCGS"},
  };
  for (const scope_case& c : cases) {
    SECTION(c.name) {
      TestType d = make_design<TestType>(1);
      driver<TestType> drv(d);
      for (const mapping& m : all) {
        drv.use(0, m.t.asid);
        drv.insert(m.t, m.vaddr);
      }
      d.flush(c.request);
      for (const mapping& m : all) {
        CAPTURE(m.name);
        drv.use(0, m.t.asid);
        const tlb_entry* e = drv.cached(m.vaddr, access_type::kRead);
        const bool survives = c.survivors.find(m.name[0]) != std::string::npos;
        CHECK((e != nullptr) == survives);
        if (e != nullptr) CHECK(e->host_addend == m.t.host_addend);
      }
    }
  }
}

TEMPLATE_TEST_CASE("concurrent designs return only the page table's translations (differential)",
                   "[tlb][concurrent]", VM_CONCURRENT_DESIGNS) {
  constexpr unsigned kCpus = 3;
  const uint32_t seed = GENERATE(1u, 2u, 3u);
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  page_table_model model;

  // Every translation that may exist: (owner, vpage, level) slots.
  std::vector<translation> slots;
  for (uint16_t asid = 1; asid <= 3; ++asid)
    for (uint64_t i = 0; i < 96; ++i)
      slots.push_back(make(0x10000000 + i * k4K, 0, asid, false, 0, 0));
  for (uint64_t i = 0; i < 24; ++i) slots.push_back(make(0x20000000 + i * k4K, 0, 1, true, 0, 0));
  for (uint64_t i = 0; i < 6; ++i)
    slots.push_back(make(0x40000000 + i * k2M, 1, 1 + i % 3, i == 5, 0, 0));
  slots.push_back(make(4 * k1G, 2, 2, false, 0, 0));
  slots.push_back(make(5 * k1G, 2, 1, true, 0, 0));
  uint64_t next_addend = 0x100000;
  const auto remap = [&](translation t) {
    t.permits = static_cast<uint8_t>(1 + rng() % 7);
    t.host_addend = (next_addend += 0x10000);
    model.set(t);
  };
  for (const translation& t : slots)
    if (rng() % 4 != 0) remap(t);

  TestType d = make_design<TestType>(kCpus);
  driver<TestType> drv(d, &model);
  uint64_t hits = 0, walks = 0;
  for (int step = 0; step < 50000; ++step) {
    const unsigned op = static_cast<unsigned>(rng() % 100);
    if (op < 4) {
      drv.use(static_cast<unsigned>(rng() % kCpus), drv.asid);
    } else if (op < 6) {
      drv.use(drv.cpu, static_cast<uint16_t>(1 + rng() % 3));
    } else if (op < 9) {
      // The OS changes a mapping (maps, remaps or unmaps it), then fences
      // with a scope that covers it.
      const translation& slot = slots[rng() % slots.size()];
      if (rng() % 5 == 0) {
        model.erase(slot);
      } else {
        remap(slot);
      }
      const uint64_t inside = slot.vpage + (rng() % slot.bytes() & ~(k4K - 1));
      // Mostly by address, as an OS fences one changed PTE.
      const unsigned pick = static_cast<unsigned>(rng() % 40);
      const flush_request fence = pick == 0                   ? flush_request::all()
                                  : pick <= 20 || slot.global ? flush_request::by_address(inside)
                                  : pick <= 22                ? flush_request::by_asid(slot.asid)
                                               : flush_request::by_address_asid(inside, slot.asid);
      d.flush(fence);
    } else if (op < 10) {
      // A fence for nothing in particular.
      const flush_request any[] = {
          flush_request::by_asid(1 + rng() % 3),
          flush_request::by_address(0x10000000 + rng() % 96 * k4K),
          flush_request::by_address_asid(0x10000000 + rng() % 96 * k4K, 1 + rng() % 3),
          flush_request::all()};
      d.flush(any[rng() % 10 == 0 ? 3 : rng() % 3]);
    } else {
      // An access, as the mmu makes it; mostly to a page that the current
      // address space can see (its own ASID's slots, or global ones).
      const uint16_t current = drv.asid;
      const translation* pick = &slots[rng() % slots.size()];
      for (int tries = 0; tries < 8 && !pick->global && pick->asid != current; ++tries)
        pick = &slots[rng() % slots.size()];
      const translation& slot = *pick;
      const uint64_t vaddr = slot.vpage + (rng() % slot.bytes() & ~uint64_t{7});
      const access_type type = kTypes[rng() % 3];
      const uint16_t asid = drv.asid;
      const std::optional<translation> ref = model.walk(vaddr, asid);
      if (const tlb_entry* e = drv.cached(vaddr, type); e != nullptr) {
        ++hits;
        // (Assertions only on failure: 50,000 steps stay fast under TSan.)
        if (!ref || !ref->permits_type(type) || e->host_addend != ref->host_addend) {
          CAPTURE(step, vaddr, static_cast<unsigned>(type), asid, drv.cpu, e->host_addend);
          CAPTURE(ref.has_value(), ref ? ref->host_addend : 0, ref ? ref->permits : 0);
          FAIL("the TLB returned a translation that the page table does not hold");
        }
      } else if (ref && ref->permits_type(type)) {
        ++walks;
        drv.insert(*ref, vaddr);
      }
    }
  }
  // Both paths are exercised (about 8,500 hits and 11,000 walks per seed for
  // the shared tables, 5,000 and 15,000 for the per-CPU one).
  CHECK(hits > 3000);
  CHECK(walks > 3000);
}

TEST_CASE(
    "sharded and lock-free TLBs: a fill by one vCPU serves the others, a flush by one "
    "reaches all",
    "[tlb][concurrent]") {
  const auto check = [](auto d) {
    driver<decltype(d)> drv(d);
    drv.use(0, 1);
    drv.insert(make(0x5000, 0, 1, false, kPermitAll, 0x77000), 0x5000);
    drv.use(1, 1);
    const tlb_entry* e = drv.cached(0x5000, access_type::kRead);
    REQUIRE(e != nullptr);
    CHECK(e->host_addend == 0x77000);
    d.flush(flush_request::by_address(0x5000));  // by vCPU 1
    drv.use(0, 1);
    CHECK(drv.cached(0x5000, access_type::kRead) == nullptr);
  };
  SECTION("sharded") {
    check(make_design<sharded_tlb_replay>(2));
  }
  SECTION("sharded over std::mutex") {
    check(make_design<sharded_tlb_mutex_replay>(2));
  }
  SECTION("lock-free") {
    check(make_design<lockfree_tlb_replay>(2));
  }
}

namespace {
struct recording_sink : tlb_event_sink {
  std::vector<shootdown_event> shootdowns;
  unsigned flushes = 0;
  void on(const shootdown_event& e) noexcept override { shootdowns.push_back(e); }
  void on(const flush_event&) noexcept override { ++flushes; }
};

uint64_t counter(const counter_list& list, const std::string& name) {
  for (const auto& [n, v] : list)
    if (n == name) return v;
  FAIL("no counter " << name);
  return 0;
}
}  // namespace

TEST_CASE("per-CPU TLB: a flush shoots down the other vCPUs' copies, counted and published",
          "[tlb][concurrent]") {
  percpu_tlb_replay d = make_design<percpu_tlb_replay>(4);
  recording_sink sink;
  d.events().subscribe(&sink);
  driver<percpu_tlb_replay> drv(d);
  const translation old_t = make(0x9000, 0, 1, false, kPermitAll, 0x1000);
  for (unsigned cpu = 0; cpu < 4; ++cpu) {
    drv.use(cpu, 1);
    drv.insert(old_t, 0x9000);
  }
  drv.use(2, 1);
  d.flush(flush_request::by_address_asid(0x9000, 1));
  for (unsigned cpu = 0; cpu < 4; ++cpu) {
    CAPTURE(cpu);
    drv.use(cpu, 1);
    CHECK(drv.cached(0x9000, access_type::kRead) == nullptr);
  }
  REQUIRE(sink.shootdowns.size() == 1);
  CHECK(sink.shootdowns[0].from_cpu == 2);
  CHECK(sink.shootdowns[0].targets == 3);
  CHECK(sink.shootdowns[0].request.scope == flush_scope::kAddressAsid);
  CHECK(sink.flushes == 1);

  counter_list counters;
  d.append_counters(counters);
  CHECK(counter(counters, "tlb.shootdowns.sent") == 3);
  CHECK(counter(counters, "tlb.shootdowns.received") == 3);
  CHECK(counter(counters, "tlb.l2.misses") == 4);  // the four lookups after the flush
  d.events().subscribe(nullptr);
}

TEMPLATE_TEST_CASE("concurrent designs count deterministically when single-threaded",
                   "[tlb][concurrent]", VM_CONCURRENT_DESIGNS) {
  const auto run = [] {
    TestType d = make_design<TestType>(2);
    driver<TestType> drv(d);
    std::mt19937_64 rng(42);
    for (int i = 0; i < 5000; ++i) {
      drv.use(static_cast<unsigned>(rng() % 2), static_cast<uint16_t>(1 + rng() % 2));
      const uint64_t page = 0x10000000 + rng() % 600 * k4K;
      if (rng() % 50 == 0) d.flush(flush_request::by_address(page));
      if (drv.cached(page, access_type::kRead) == nullptr)
        drv.insert(make(page, 0, drv.asid, false, kPermitAll, page), page);
    }
    counter_list out;
    d.append_counters(out);
    return out;
  };
  const counter_list first = run();
  CHECK(first == run());
  for (const auto& [name, value] : first) {
    CAPTURE(name);
    if (name.find("lock_waits") != std::string::npos || name.find("retries") != std::string::npos)
      CHECK(value == 0);
  }
}

TEST_CASE("concurrent design configurations are validated", "[tlb][concurrent]") {
  CHECK_FALSE(validate(sharded_tlb_config{1024, 8, 16}));
  CHECK(validate(sharded_tlb_config{1000, 8, 16}).message.find("sets") != std::string::npos);
  CHECK(validate(sharded_tlb_config{1024, 0, 16}).message.find("ways") != std::string::npos);
  CHECK(validate(sharded_tlb_config{16, 4, 32}).message.find("shards") != std::string::npos);
  CHECK(validate(sharded_tlb_config{16, 4, 3}).code == vm::error_code::kInvalidArgument);
  CHECK_FALSE(validate(lockfree_tlb_config{1, 1}));
  CHECK(validate(lockfree_tlb_config{3, 1}).message.find("power of two") != std::string::npos);
  CHECK(validate(lockfree_tlb_config{4, 256}).message.find("ways") != std::string::npos);
  CHECK_FALSE(validate(percpu_tlb_config{64, 4, 0, 0}));
  CHECK(validate(percpu_tlb_config{64, 4, 12, 4}).message.find("l2 sets") != std::string::npos);
  CHECK(validate(percpu_tlb_config{64, 0, 0, 0}).message.find("l1 ways") != std::string::npos);
}

// ---------------------------------------------------------------------------
// Multi-threaded: 4 threads, each with its own handle (run under TSan too:
// `cmake --preset tsan && cmake --build --preset tsan --target
// tlb_concurrent_tests && ctest --preset tsan`).

namespace {

constexpr unsigned kThreads = 4;
constexpr int kOpsPerThread = 20000;

// Holds every thread until all have started, so that they really race
// (thread creation takes longer than some threads' whole run). `wait`
// runs while spinning: a per-CPU handle must keep answering shootdowns.
class start_line {
 public:
  template <class Wait>
  void arrive_and_wait(Wait wait) {
    ready_.fetch_add(1, std::memory_order_acq_rel);
    while (ready_.load(std::memory_order_acquire) < kThreads) {
      wait();
      std::this_thread::yield();
    }
  }

 private:
  std::atomic<unsigned> ready_{0};
};

// What a thread saw go wrong; Catch2 assertions are for the main thread.
struct thread_report {
  uint64_t hits = 0, checks = 0, flushes = 0;
  uint64_t failures = 0;
  std::string first_failure;
  void fail(const std::string& what) {
    if (failures++ == 0) first_failure = what;
  }
};

std::string describe(unsigned thread, int step, uint64_t vaddr, const std::string& what) {
  std::ostringstream s;
  s << "thread " << thread << " step " << step << " vaddr 0x" << std::hex << vaddr << std::dec
    << ": " << what;
  return s.str();
}

// A translation's generation, encoded in its addend (mutable pages).
uint64_t addend_for(uint64_t index, uint32_t generation) {
  return (uint64_t{generation} << 40) | (index << 12);
}
uint32_t generation_of(uint64_t addend) {
  return static_cast<uint32_t>(addend >> 40);
}

// The immutable part of the address space of the shared-table race: the
// same 4 KiB pages in three ASIDs with different permissions, global pages,
// 2 MiB and 1 GiB pages.
page_table_model immutable_space(std::vector<translation>& list) {
  page_table_model model;
  const uint8_t permits[4] = {
      0, kPermitAll, permit_bit(access_type::kRead),
      static_cast<uint8_t>(permit_bit(access_type::kRead) | permit_bit(access_type::kExecute))};
  for (uint16_t asid = 1; asid <= 3; ++asid)
    for (uint64_t i = 0; i < 128; ++i)
      list.push_back(make(0x10000000 + i * k4K, 0, asid, false, permits[asid],
                          (uint64_t{asid} << 36) + i * 0x3000));
  for (uint64_t i = 0; i < 32; ++i)
    list.push_back(make(0x20000000 + i * k4K, 0, 2, true, kPermitAll, (uint64_t{9} << 36) + i));
  for (uint64_t i = 0; i < 4; ++i)
    list.push_back(make(0x40000000 + i * k2M, 1, 1, i == 3, kPermitAll, (uint64_t{10} << 36) + i));
  list.push_back(make(4 * k1G, 2, 2, false, kPermitAll, uint64_t{11} << 36));
  for (const translation& t : list) model.set(t);
  return model;
}

}  // namespace

TEMPLATE_TEST_CASE(
    "shared TLBs under 4 racing threads return exactly the reference's "
    "translations",
    "[tlb][concurrent]", sharded_tlb, sharded_tlb_mutex, lockfree_tlb) {
  using config = typename TestType::config_type;
  config c;
  c.sets = 128;  // 128 x 4 = 512 entries: the 420 immutable pages contend
  c.ways = 4;
  if constexpr (requires { c.shards; }) c.shards = 8;
  TestType shared(c, kThreads);

  std::vector<translation> immutable;
  const page_table_model model = immutable_space(immutable);
  // Mutable pages (asid 1): thread 0 alone changes them, by
  //   flush(page); published[i] = g + 1 (release); insert(generation g + 1).
  // So a lookup that follows a load of published[i] == c may only return
  // a generation in [c, published[i] loaded after the lookup].
  constexpr unsigned kMutable = 16;
  constexpr uint64_t kMutableBase = 0x30000000;
  std::array<std::atomic<uint32_t>, kMutable> published{};

  std::array<thread_report, kThreads> reports;
  start_line start;
  std::vector<std::thread> threads;
  for (unsigned id = 0; id < kThreads; ++id) {
    threads.emplace_back([&, id] {
      auto& h = shared.handle(id);
      thread_report& report = reports[id];
      start.arrive_and_wait([] {});
      std::mt19937_64 rng(1000 + id);
      uint16_t asid = 1;
      uint64_t now = 0;
      const auto ctx = [&] {
        miss_context m;
        m.asid = asid;
        m.now = now;
        return m;
      };
      for (int step = 0; step < kOpsPerThread; ++step) {
        ++now;
        const unsigned op = static_cast<unsigned>(rng() % 1000);
        if (op < 30) {
          asid = static_cast<uint16_t>(1 + rng() % 3);
          h.change_context();
        } else if (op < 45) {
          const translation& t = immutable[rng() % immutable.size()];
          const uint64_t inside = t.vpage + (rng() % t.bytes() & ~(k4K - 1));
          const flush_request any[] = {
              flush_request::by_address(inside), flush_request::by_address_asid(inside, t.asid),
              flush_request::by_address(inside), flush_request::by_asid(t.asid)};
          h.flush(op == 44 && rng() % 4 == 0 ? flush_request::all() : any[rng() % 4]);
          ++report.flushes;
        } else if (op < 105 && id == 0) {
          const unsigned i = static_cast<unsigned>(rng() % kMutable);
          const uint64_t vpage = kMutableBase + i * k4K;
          const uint32_t next = published[i].load(std::memory_order_relaxed) + 1;
          h.flush(flush_request::by_address(vpage));
          published[i].store(next, std::memory_order_release);
          if (asid != 1) {  // the mapping is walked in its own address space
            asid = 1;
            h.change_context();
          }
          h.insert(make(vpage, 0, 1, false, kPermitAll, addend_for(i, next)), vpage, ctx());
        } else if (op < 220) {
          const unsigned i = static_cast<unsigned>(rng() % kMutable);
          const uint64_t vpage = kMutableBase + i * k4K;
          const uint32_t before = published[i].load(std::memory_order_acquire);
          const tlb_entry* e = h.template find<access_type::kRead>(vpage, vpage);
          if (e == nullptr) e = h.refill(vpage, access_type::kRead, ctx());
          if (e != nullptr) {
            ++report.hits;
            ++report.checks;
            const uint32_t after = published[i].load(std::memory_order_acquire);
            const uint32_t g = generation_of(e->host_addend);
            if (asid != 1)
              report.fail(describe(id, step, vpage,
                                   "an asid-1 page seen from asid " + std::to_string(asid)));
            else if (g < before || g > after || e->host_addend != addend_for(i, g))
              report.fail(describe(id, step, vpage,
                                   "generation " + std::to_string(g) + " outside [" +
                                       std::to_string(before) + ", " + std::to_string(after) +
                                       "]"));
          }
        } else {
          const translation* pick = &immutable[rng() % immutable.size()];
          for (int tries = 0; tries < 4 && !pick->global && pick->asid != asid; ++tries)
            pick = &immutable[rng() % immutable.size()];
          const translation& t = *pick;
          const uint64_t vaddr = t.vpage + (rng() % t.bytes() & ~uint64_t{7});
          const uint64_t page = vaddr & ~(k4K - 1);
          const access_type type = kTypes[rng() % 3];
          const std::optional<translation> ref = model.walk(vaddr, asid);
          const tlb_entry* e = find(h, type, page, page);
          if (e == nullptr) e = h.refill(vaddr, type, ctx());
          if (e != nullptr) {
            ++report.hits;
            ++report.checks;
            if (!ref || !ref->permits_type(type) || ref->host_addend != e->host_addend)
              report.fail(describe(id, step, vaddr, "a translation the page table does not hold"));
          } else if (ref && ref->permits_type(type)) {
            h.insert(*ref, vaddr, ctx());
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();

  uint64_t hits = 0;
  for (unsigned id = 0; id < kThreads; ++id) {
    CAPTURE(id, reports[id].first_failure);
    CHECK(reports[id].failures == 0);
    CHECK(reports[id].hits > 1000);
    hits += reports[id].hits;
  }
  CHECK(hits > kThreads * 5000);
}

TEMPLATE_TEST_CASE("shared TLBs: a lookup racing rewrites of its entry never sees half of one",
                   "[tlb][concurrent]", sharded_tlb, sharded_tlb_mutex, lockfree_tlb) {
  // One set of one way: thread 0 fills pages A and B in turn, each fill
  // evicting the other, while three threads look both up. A torn read (A's
  // tag with B's addend, or B's permissions) would be a wrong translation.
  using config = typename TestType::config_type;
  config c;
  c.sets = 1;
  c.ways = 1;
  if constexpr (requires { c.shards; }) c.shards = 1;
  TestType shared(c, kThreads);
  const translation pages[2] = {
      make(0x1000, 0, 1, false, permit_bit(access_type::kRead), 0xaaaa0000),
      make(0x2000, 0, 1, false, kPermitAll, 0xbbbb0000)};

  std::array<thread_report, kThreads> reports;
  start_line start;
  std::atomic<unsigned> readers_done{0};
  std::vector<std::thread> threads;
  for (unsigned id = 0; id < kThreads; ++id) {
    threads.emplace_back([&, id] {
      auto& h = shared.handle(id);
      thread_report& report = reports[id];
      miss_context ctx;
      ctx.asid = 1;
      h.refill(0x1000, access_type::kRead, ctx);             // learn the ASID
      if (id == 0) h.insert(pages[0], pages[0].vpage, ctx);  // hits even if the writer lags
      start.arrive_and_wait([] {});
      if (id == 0) {  // the writer runs as long as any reader does
        for (uint64_t n = 0; readers_done.load(std::memory_order_acquire) < kThreads - 1; ++n)
          h.insert(pages[n & 1], pages[n & 1].vpage, ctx);
        return;
      }
      for (int step = 0; step < kOpsPerThread; ++step) {
        const translation& t = pages[step & 1];
        const tlb_entry* r = h.template find<access_type::kRead>(t.vpage, t.vpage);
        const tlb_entry* w = h.template find<access_type::kWrite>(t.vpage, t.vpage);
        if (r != nullptr) {
          ++report.hits;
          if (r->host_addend != t.host_addend)
            report.fail(describe(id, step, t.vpage, "a torn entry (read)"));
        }
        if (w != nullptr &&
            (!t.permits_type(access_type::kWrite) || w->host_addend != t.host_addend))
          report.fail(describe(id, step, t.vpage, "a torn entry (write)"));
      }
      readers_done.fetch_add(1, std::memory_order_release);
    });
  }
  for (std::thread& t : threads) t.join();
  uint64_t hits = 0;
  for (unsigned id = 1; id < kThreads; ++id) {
    CAPTURE(id, reports[id].first_failure);
    CHECK(reports[id].failures == 0);
    hits += reports[id].hits;
  }
  CHECK(hits > 1000);
}

TEST_CASE(
    "per-CPU TLBs under 4 threads: after a shootdown completes no thread returns the old "
    "translation",
    "[tlb][concurrent]") {
  percpu_tlb shared(percpu_tlb_config{16, 4, 32, 4}, kThreads);
  // Pages whose translation changes: generation g maps page i to
  // addend_for(i, g). Thread 0 changes one as an OS does:
  //   current[i] = g + 1 (the PTE write); flush -> shootdown, waits for every
  //   vCPU's acknowledgement; completed[i] = g + 1.
  // Any thread that then loads completed[i] == c must never again get a
  // generation below c from its TLB (it acknowledged before that load).
  constexpr unsigned kPages = 48;
  constexpr uint64_t kBase = 0x10000000;
  std::array<std::atomic<uint32_t>, kPages> current{};
  std::array<std::atomic<uint32_t>, kPages> completed{};
  // Immutable 2 MiB pages: their fragments make by-address flushes drop the
  // whole front.
  constexpr uint64_t kSuperBase = 0x40000000;
  constexpr unsigned kSuperpages = 2;

  std::array<thread_report, kThreads> reports;
  start_line start;
  std::vector<std::thread> threads;
  for (unsigned id = 0; id < kThreads; ++id) {
    threads.emplace_back([&, id] {
      percpu_tlb_handle& h = shared.handle(id);
      attach_guard attached(h);
      start.arrive_and_wait([&] { h.poll(); });
      thread_report& report = reports[id];
      std::mt19937_64 rng(2000 + id);
      miss_context ctx;
      ctx.asid = 1;
      for (int step = 0; step < kOpsPerThread; ++step) {
        ++ctx.now;
        const unsigned op = static_cast<unsigned>(rng() % 1000);
        if (id == 0 && op < 30) {
          const unsigned i = static_cast<unsigned>(rng() % kPages);
          const uint64_t vpage = kBase + i * k4K;
          const uint32_t next = current[i].load(std::memory_order_relaxed) + 1;
          current[i].store(next, std::memory_order_release);
          const flush_request fences[] = {flush_request::by_address(vpage + 0x40),
                                          flush_request::by_address_asid(vpage, 1),
                                          flush_request::by_asid(1), flush_request::all()};
          h.flush(fences[rng() % 4]);
          ++report.flushes;
          completed[i].store(next, std::memory_order_release);
        } else if (op < 36) {
          // Other initiators too: shootdowns cross.
          h.flush(flush_request::by_address(kBase + rng() % kPages * k4K));
          ++report.flushes;
        } else if (op < 40) {
          h.change_context();
        } else if (op < 140) {
          const uint64_t vaddr = kSuperBase + rng() % (kSuperpages * k2M);
          const uint64_t page = vaddr & ~(k4K - 1);
          const uint64_t base = vaddr & ~(k2M - 1);
          const uint64_t addend = 0x5000000 + base;
          const tlb_entry* e = h.find<access_type::kRead>(page, page);
          if (e == nullptr) e = h.refill(vaddr, access_type::kRead, ctx);
          if (e != nullptr) {
            ++report.hits;
            ++report.checks;
            if (e->host_addend != addend)
              report.fail(describe(id, step, vaddr, "a wrong superpage translation"));
          } else {
            h.insert(make(base, 1, 1, false, kPermitAll, addend), vaddr, ctx);
          }
        } else {
          const unsigned i = static_cast<unsigned>(rng() % kPages);
          const uint64_t vpage = kBase + i * k4K;
          const uint32_t done = completed[i].load(std::memory_order_acquire);
          const tlb_entry* e = h.find<access_type::kWrite>(vpage, vpage);
          if (e == nullptr) e = h.refill(vpage, access_type::kWrite, ctx);
          if (e != nullptr) {
            ++report.hits;
            ++report.checks;
            const uint32_t g = generation_of(e->host_addend);
            const uint32_t latest = current[i].load(std::memory_order_acquire);
            if (g < done || g > latest || e->host_addend != addend_for(i, g))
              report.fail(describe(id, step, vpage,
                                   "generation " + std::to_string(g) + " after generation " +
                                       std::to_string(done) + " was shot down (latest " +
                                       std::to_string(latest) + ")"));
          } else {
            // The walk reads the page table now, and takes a while (a
            // shootdown may arrive before the fill).
            const uint32_t g = current[i].load(std::memory_order_acquire);
            if (rng() % 4 == 0) std::this_thread::yield();
            h.insert(make(vpage, 0, 1, false, kPermitAll, addend_for(i, g)), vpage, ctx);
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();

  uint64_t hits = 0, flushes = 0;
  for (unsigned id = 0; id < kThreads; ++id) {
    CAPTURE(id, reports[id].first_failure);
    CHECK(reports[id].failures == 0);
    CHECK(reports[id].hits > 1000);
    hits += reports[id].hits;
    flushes += reports[id].flushes;
  }
  CHECK(flushes > 300);
  // Every target received every shootdown sent to it, whether it applied
  // it itself or, once detached, had it applied on its behalf.
  uint64_t sent = 0, received = 0, posted = 0;
  for (unsigned id = 0; id < kThreads; ++id) {
    counter_list out;
    shared.handle(id).append_counters(out);
    sent += counter(out, "tlb.shootdowns.sent");
    received += counter(out, "tlb.shootdowns.received");
    posted += counter(out, "tlb.shootdowns.posted");
  }
  CHECK(sent == flushes * (kThreads - 1));
  CHECK(received == sent);
  CHECK(posted <= sent);  // the rest went to detached (finished) vCPUs
}
