// designs.tests.cpp - every TLB design against the reference: random
// accesses, random page-table changes each followed by an sfence.vma that
// covers it, random extra flushes of every scope, address-space switches
// and vCPU switches. After every access, the design's answer (fault or
// physical address) must equal both the reference model (a map from
// virtual page to translation, kept by the test as it edits the tables)
// and the Sv39 walker run directly on the tables.

#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "mem/guest_ram.h"
#include "mmu/page_table.h"
#include "mmu/page_walker.h"
#include "mmu/sv39.h"
#include "replay/tlb_translator.h"
#include "tlb/tlb_config.h"

namespace {

using vm::mmu::access_status;
using vm::tlb::access_type;
using vm::tlb::flush_request;
namespace pte = vm::mmu::sv39::pte;

constexpr uint64_t kRamBase = 0x80000000;      // 1 GiB-aligned: the 1 GiB page maps here
constexpr uint64_t kSmallFrames = 0xC0000000;  // 2 MiB pages and 4 KiB frames
constexpr uint64_t kTableFrames = 0xC4000000;
constexpr uint64_t kRamEnd = 0xC8000000;

constexpr uint64_t k4K = 4096, k2M = 2ull << 20, k1G = 1ull << 30;
constexpr uint64_t kSmallBase = 0x10000000;   // 4 KiB pages, per address space
constexpr unsigned kSmallPages = 96;
constexpr uint64_t kGlobalBase = 0x20000000;  // 4 KiB global pages, in both spaces
constexpr unsigned kGlobalPages = 8;
constexpr uint64_t kHugeBase = 0x40000000;    // 2 MiB pages
constexpr unsigned kHugePages = 4;
constexpr uint64_t kGiantBase = 0x0C0000000;  // one 1 GiB page (3 GiB)
constexpr uint16_t kAsids[2] = {1, 2};

struct model_page {
  uint64_t frame = 0;  // physical base of the page (of its size)
  uint64_t size = k4K;
  uint64_t flags = 0;  // R W X U G
};

// The reference: which translation each virtual page has in each space.
struct world {
  vm::mem::guest_ram ram;
  vm::mem::frame_allocator tables;
  vm::mmu::page_table space[2];
  vm::cpu::guest_state state;
  std::map<std::pair<unsigned, uint64_t>, model_page> model;  // (space, vpage) -> page
  unsigned current = 0;
  uint64_t next_frame = kSmallFrames + kHugePages * k2M;

  uint64_t fresh_frame() {
    const uint64_t f = next_frame;
    next_frame += k4K;
    if (next_frame >= kTableFrames) next_frame = kSmallFrames + kHugePages * k2M;
    return f;
  }
};

uint64_t random_flags(std::mt19937_64& rng, bool global) {
  static const uint64_t kPerms[] = {pte::kRead, pte::kRead | pte::kWrite, pte::kRead | pte::kExecute,
                                    pte::kExecute, pte::kRead | pte::kWrite | pte::kExecute};
  uint64_t f = kPerms[rng() % 5];
  if (rng() % 8 != 0) f |= pte::kUser;  // a few supervisor pages: U-mode faults
  if (global) f |= pte::kGlobal;
  if (rng() % 2) f |= pte::kAccessed;   // A/D partly preset: the walker sets the rest
  if (rng() % 4 == 0) f |= pte::kDirty;
  return f;
}

void build(world& w, std::mt19937_64& rng) {
  auto ram = vm::mem::guest_ram::create(kRamBase, kRamEnd - kRamBase);
  REQUIRE(ram.ok());
  w.ram = std::move(ram).value();
  w.tables = vm::mem::frame_allocator(&w.ram, kTableFrames, kRamEnd);
  for (unsigned s = 0; s < 2; ++s) {
    w.space[s] = vm::mmu::page_table(&w.ram, &w.tables);
    REQUIRE(w.space[s].init());
    for (unsigned i = 0; i < kSmallPages; ++i) {
      const uint64_t va = kSmallBase + i * k4K;
      if (rng() % 6 == 0) continue;  // unmapped
      const model_page p{w.fresh_frame(), k4K, random_flags(rng, false)};
      REQUIRE(w.space[s].map(va, p.frame, p.flags));
      w.model[{s, va}] = p;
    }
    for (unsigned i = 0; i < kHugePages; ++i) {
      const uint64_t va = kHugeBase + i * k2M;
      const model_page p{kSmallFrames + ((i + s) % kHugePages) * k2M, k2M,
                         random_flags(rng, false) | pte::kRead};
      REQUIRE(w.space[s].map_superpage(va, p.frame, p.flags, 1));
      w.model[{s, va}] = p;
    }
    const model_page giant{kRamBase, k1G, pte::kRead | pte::kWrite | pte::kUser};
    REQUIRE(w.space[s].map_superpage(kGiantBase, giant.frame, giant.flags, 2));
    w.model[{s, kGiantBase}] = giant;
  }
  // Global pages: the same translation in both spaces (the spec requires it).
  for (unsigned i = 0; i < kGlobalPages; ++i) {
    const uint64_t va = kGlobalBase + i * k4K;
    const model_page p{w.fresh_frame(), k4K, random_flags(rng, true)};
    for (unsigned s = 0; s < 2; ++s) {
      REQUIRE(w.space[s].map(va, p.frame, p.flags));
      w.model[{s, va}] = p;
    }
  }
  w.state.priv = vm::cpu::privilege::kUser;
  w.state.csr.satp = w.space[0].satp(kAsids[0]);
}

// The model's answer for (vaddr, type) in the current space.
bool model_translate(const world& w, uint64_t vaddr, access_type type, uint64_t& paddr) {
  if (!vm::mmu::sv39::canonical(vaddr)) return false;
  for (uint64_t size : {k4K, k2M, k1G}) {
    auto it = w.model.find({w.current, vaddr & ~(size - 1)});
    if (it == w.model.end() || it->second.size != size) continue;
    const uint64_t f = it->second.flags;
    if (!(f & pte::kUser)) return false;
    const bool ok = type == access_type::kRead      ? (f & pte::kRead) != 0
                    : type == access_type::kWrite   ? (f & pte::kWrite) != 0
                                                    : (f & pte::kExecute) != 0;
    if (!ok) return false;
    paddr = it->second.frame + (vaddr & (size - 1));
    return true;
  }
  return false;
}

uint64_t random_vaddr(std::mt19937_64& rng) {
  const uint64_t offset = (rng() % 512) * 8;
  switch (rng() % 10) {
    case 0: case 1: case 2: case 3: return kSmallBase + (rng() % (kSmallPages + 4)) * k4K + offset;
    case 4: return kGlobalBase + (rng() % (kGlobalPages + 1)) * k4K + offset;
    case 5: case 6: return kHugeBase + (rng() % (kHugePages * 512 + 8)) * k4K + offset;
    case 7: return kGiantBase + (rng() % 262144) * k4K + offset;
    case 8: return kGiantBase + (rng() % 64) * k4K + offset;  // a hot corner of the giant page
    default: return rng() % 3 == 0 ? 0xffffff8000000000ull + (rng() % 64) * k4K  // canonical, unmapped
                                   : 0x0000400000000000ull + (rng() % 64) * k4K;  // not canonical
  }
}

// A flush that covers a change of the page at va in space s (global or not).
flush_request covering_flush(std::mt19937_64& rng, uint64_t va, unsigned s, bool global) {
  switch (rng() % (global ? 2 : 4)) {
    case 0: return flush_request::by_address(va + (rng() % 512) * 8);
    case 1: return flush_request::all();
    case 2: return flush_request::by_address_asid(va, kAsids[s]);
    default: return flush_request::by_asid(kAsids[s]);
  }
}

void run_design(const std::string& config_text, uint64_t seed, unsigned operations) {
  CAPTURE(config_text, seed);
  auto config = vm::tlb::parse_tlb_config(config_text);
  REQUIRE(config.ok());
  std::mt19937_64 rng(seed);
  world w;
  build(w, rng);
  auto t = vm::replay::make_tlb_translator(w.ram, w.state, config.value());
  uint64_t hits_checked = 0, faults_checked = 0;
  for (unsigned op = 0; op < operations; ++op) {
    const unsigned what = static_cast<unsigned>(rng() % 100);
    if (what < 88) {
      const uint64_t va = random_vaddr(rng);
      const auto type = static_cast<access_type>(rng() % 3);
      uint64_t expected = 0, got = 0;
      const bool model_ok = model_translate(w, va, type, expected);
      vm::mmu::walk_request req;
      req.satp = w.state.csr.satp;
      req.vaddr = va;
      req.access = type;
      req.update_accessed_dirty = false;
      const vm::mmu::walk_result walked = vm::mmu::walk(w.ram, req);
      const access_status s = t->translate(va, type, got);
      CAPTURE(op, va, static_cast<int>(type), w.current);
      REQUIRE(walked.ok == model_ok);  // the reference agrees with the walker
      REQUIRE((s == access_status::kOk) == model_ok);
      if (model_ok) {
        REQUIRE(walked.paddr == expected);
        REQUIRE(got == expected);
        ++hits_checked;
      } else {
        ++faults_checked;
      }
    } else if (what < 93) {
      // Change a 4 KiB page of the current space (or a global page in
      // both): remap, reprotect or unmap; then a flush that covers it.
      const bool global = rng() % 4 == 0;
      const uint64_t va =
          global ? kGlobalBase + (rng() % kGlobalPages) * k4K : kSmallBase + (rng() % kSmallPages) * k4K;
      const unsigned s = w.current;
      for (unsigned sp = 0; sp < 2; ++sp) {
        if (!global && sp != s) continue;
        (void)w.space[sp].unmap(va);
        w.model.erase({sp, va});
      }
      if (rng() % 5 != 0) {
        const model_page p{w.fresh_frame(), k4K, random_flags(rng, global)};
        for (unsigned sp = 0; sp < 2; ++sp) {
          if (!global && sp != s) continue;
          REQUIRE(w.space[sp].map(va, p.frame, p.flags));
          w.model[{sp, va}] = p;
        }
      }
      t->flush(covering_flush(rng, va, s, global));
    } else if (what < 95) {
      // Change a 2 MiB page: other permissions or another frame.
      const unsigned i = static_cast<unsigned>(rng() % kHugePages);
      const uint64_t va = kHugeBase + i * k2M;
      model_page& p = w.model[{w.current, va}];
      p.frame = kSmallFrames + (rng() % kHugePages) * k2M;
      p.flags = random_flags(rng, false) | pte::kRead;
      REQUIRE(w.space[w.current].map_superpage(va, p.frame, p.flags, 1));
      t->flush(covering_flush(rng, va + (rng() % 512) * k4K, w.current, false));
    } else if (what < 97) {
      // Switch address space: a new ASID, nothing flushed.
      w.current ^= 1;
      w.state.csr.satp = w.space[w.current].satp(kAsids[w.current]);
      t->change_context();
    } else if (what < 98) {
      t->select_cpu(static_cast<unsigned>(rng() % 3));
    } else {
      // A flush for no reason, of any scope.
      const uint64_t va = random_vaddr(rng);
      const uint16_t asid = kAsids[rng() % 2];
      switch (rng() % 4) {
        case 0: t->flush(flush_request::all()); break;
        case 1: t->flush(flush_request::by_asid(asid)); break;
        case 2: t->flush(flush_request::by_address(va)); break;
        default: t->flush(flush_request::by_address_asid(va, asid)); break;
      }
    }
  }
  // Both outcomes were exercised, and the TLB was: not every access walked.
  CHECK(hits_checked > operations / 4);
  CHECK(faults_checked > operations / 50);
  const auto& c = t->counters();
  CHECK(c.walks < c.l1.hits + c.l1.misses);
  CHECK(c.l1.hits > 0);
}

// Every design and policy, by name.
const char* const kDesigns[] = {
    "default",
    "l1=16x4",
    "l1=16384x1",
    "l1=8x2",
    "l1=4x2,l2=16x4",
    "l1=4x2,l2=16x4,l3=64x8",
    "l1=4x2,l2=16x4,l3=64x8,fill=exclusive",
    "l1=16x4,l2=64x8,fill=exclusive,repl=srrip",
    "l1=4x1,l2=8x4,repl=lru",
    "l1=4x1,l2=8x4,repl=tree-plru",
    "l1=4x1,l2=8x3,repl=tree-plru",
    "l1=4x1,l2=8x4,repl=fifo",
    "l1=4x1,l2=8x4,repl=random,seed=7",
    "l1=4x1,l2=8x4,repl=clock",
    "l1=4x1,l2=8x4,repl=srrip",
    "l1=4x1,l2=8x4,repl=adaptive",
    "l1=4x1,l2=8x4,l3=32x8,repl=adaptive:lru:fifo",
    "l1=4x2,l2=16x4,prefetch=stride",
    "l1=4x2,l2=16x4,prefetch=markov,pb=4",
    "l1=4x2,l2=16x4,prefetch=distance,degree=4,latency=0",
    "l1=4x2,prefetch=distance,fill=exclusive",
    "qemu",
    "qemu,entries=64,resize=off",
    "qemu,entries=64,window=200",
    "sharded,l1=16x4,shards=4",
    "lockfree,l1=16x4",
    "percpu,l1=4x2",
    "percpu,l1=4x2,l2=16x4",
};

}  // namespace

TEST_CASE("designs: every TLB design returns exactly the walker's translation", "[tlb][designs]") {
  const std::string design = GENERATE(from_range(std::begin(kDesigns), std::end(kDesigns)));
  const uint64_t seed = GENERATE(1u, 2u);
  run_design(design, seed, 12000);
}
