// tlb_set_assoc.tests.cpp - the set-associative L1 TLB: per-access-type
// tags, round-robin replacement within a set, same-page replacement,
// flushes, and a differential run against a std::map model.

#include "tlb/tlb_set_assoc.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <vector>

namespace {

using vm::tlb::access_type;
using vm::tlb::kInvalidTag;
using vm::tlb::tlb_entry;

constexpr uint64_t kPage = 4096;

// An entry for `page` that permits the access types in `types` (bit i:
// access_type i) with a recognisable addend.
tlb_entry make_entry(uint64_t page, unsigned types, uint64_t addend) {
  tlb_entry e;
  for (unsigned t = 0; t < 3; ++t) {
    if (types & (1u << t)) e.tag[t] = page;
  }
  e.host_addend = addend;
  return e;
}

template <class Tlb>
const tlb_entry* find(const Tlb& tlb, access_type type, uint64_t page) {
  switch (type) {
    case access_type::kRead: return tlb.template find<access_type::kRead>(page);
    case access_type::kWrite: return tlb.template find<access_type::kWrite>(page);
    case access_type::kExecute: return tlb.template find<access_type::kExecute>(page);
  }
  return nullptr;
}

template <class Tlb>
bool present(const Tlb& tlb, uint64_t page) {
  return find(tlb, access_type::kRead, page) || find(tlb, access_type::kWrite, page) ||
         find(tlb, access_type::kExecute, page);
}

constexpr access_type kTypes[] = {access_type::kRead, access_type::kWrite, access_type::kExecute};

// T's own index function (one instance per type: a large L1 is 512 KiB).
template <class T>
unsigned index_of(uint64_t page) {
  static const auto tlb = std::make_unique<T>();
  return tlb->set_index(page);
}

// The first `count` pages (page-aligned addresses) that fall into `set` of
// TLB type T, found through T's own index function.
template <class T>
std::vector<uint64_t> pages_in_set(unsigned set, unsigned count) {
  std::vector<uint64_t> pages;
  for (uint64_t vpn = 0; pages.size() < count; ++vpn) {
    if (index_of<T>(vpn * kPage) == set) pages.push_back(vpn * kPage);
  }
  return pages;
}

}  // namespace

TEST_CASE("tlb: find hits only for the access types whose tag is set", "[tlb]") {
  vm::tlb::tlb_set_assoc<16, 2> tlb;
  const unsigned types = GENERATE(range(0u, 8u));
  CAPTURE(types);
  const uint64_t page = 0x7f123000;
  tlb.insert(page, make_entry(page, types, 0x1000));
  for (unsigned t = 0; t < 3; ++t) {
    CAPTURE(t);
    const tlb_entry* e = find(tlb, kTypes[t], page);
    if (types & (1u << t)) {
      REQUIRE(e != nullptr);
      CHECK(e->host_addend == 0x1000);
    } else {
      CHECK(e == nullptr);
    }
    // Neither neighbouring page nor the same page in another set hits.
    CHECK(find(tlb, kTypes[t], page + kPage) == nullptr);
    CHECK(find(tlb, kTypes[t], page - kPage) == nullptr);
    CHECK(find(tlb, kTypes[t], page + 16 * kPage) == nullptr);
  }
}

TEST_CASE("tlb: an empty TLB hits nothing, not even page 0 or the invalid tag", "[tlb]") {
  vm::tlb::tlb_set_assoc<8, 4> tlb;
  for (access_type t : kTypes) {
    CHECK(find(tlb, t, 0) == nullptr);
    CHECK(find(tlb, t, kInvalidTag & ~(kPage - 1)) == nullptr);
    CHECK(find(tlb, t, 0xfffffffffffff000) == nullptr);
  }
}

TEST_CASE("tlb: insert replaces round-robin within a set", "[tlb]") {
  constexpr unsigned kSets = 4;
  using tlb_type = vm::tlb::tlb_set_assoc<kSets, 2>;
  tlb_type tlb;
  // Pages 0..4 all index set 1; page z indexes set 2.
  const std::vector<uint64_t> same_set = pages_in_set<tlb_type>(1, 5);
  auto page = [&](unsigned i) { return same_set[i]; };
  const uint64_t z = pages_in_set<tlb_type>(2, 1)[0];
  tlb.insert(z, make_entry(z, 7, 99));
  tlb.insert(page(0), make_entry(page(0), 7, 0));
  tlb.insert(page(1), make_entry(page(1), 7, 1));
  CHECK(present(tlb, page(0)));
  CHECK(present(tlb, page(1)));
  tlb.insert(page(2), make_entry(page(2), 7, 2));  // evicts the oldest: page 0
  CHECK_FALSE(present(tlb, page(0)));
  CHECK(present(tlb, page(1)));
  CHECK(present(tlb, page(2)));
  tlb.insert(page(3), make_entry(page(3), 7, 3));  // then page 1
  CHECK_FALSE(present(tlb, page(1)));
  CHECK(present(tlb, page(2)));
  CHECK(present(tlb, page(3)));
  tlb.insert(page(4), make_entry(page(4), 7, 4));  // then page 2
  CHECK_FALSE(present(tlb, page(2)));
  CHECK(find(tlb, access_type::kRead, page(3))->host_addend == 3);
  CHECK(find(tlb, access_type::kRead, page(4))->host_addend == 4);
  // Another set is unaffected by all of this.
  REQUIRE(present(tlb, z));
  CHECK(find(tlb, access_type::kExecute, z)->host_addend == 99);
}

TEST_CASE("tlb: inserting a page already present replaces that entry in place", "[tlb]") {
  constexpr unsigned kSets = 4;
  using tlb_type = vm::tlb::tlb_set_assoc<kSets, 2>;
  tlb_type tlb;
  const std::vector<uint64_t> same_set = pages_in_set<tlb_type>(3, 3);
  const uint64_t a = same_set[0], b = same_set[1], c = same_set[2];
  tlb.insert(a, make_entry(a, 1, 10));  // read only
  tlb.insert(b, make_entry(b, 7, 20));
  SECTION("same tags") {
    tlb.insert(a, make_entry(a, 1, 11));
  }
  SECTION("different tags: the new entry's permissions replace the old ones") {
    tlb.insert(a, make_entry(a, 2 | 4, 11));  // write + execute, no read
    CHECK(find(tlb, access_type::kRead, a) == nullptr);
    REQUIRE(find(tlb, access_type::kWrite, a) != nullptr);
    CHECK(find(tlb, access_type::kWrite, a)->host_addend == 11);
  }
  // The re-insert neither evicted b nor left a stale copy of a.
  CHECK(present(tlb, b));
  for (access_type t : kTypes) {
    if (const tlb_entry* e = find(tlb, t, a)) CHECK(e->host_addend == 11);
  }
  // Round-robin continues where it was: next victim is a's way (way 0).
  tlb.insert(c, make_entry(c, 7, 30));
  CHECK_FALSE(present(tlb, a));
  CHECK(present(tlb, b));
  CHECK(present(tlb, c));
}

TEST_CASE("tlb: flush_page removes only that page; flush_all removes everything", "[tlb]") {
  constexpr unsigned kSets = 8;
  vm::tlb::tlb_set_assoc<kSets, 4> tlb;
  std::vector<uint64_t> pages;
  for (unsigned i = 0; i < 4; ++i) pages.push_back((5 + i * kSets) * kPage);  // one set
  pages.push_back(6 * kPage);                                                 // another set
  for (size_t i = 0; i < pages.size(); ++i) tlb.insert(pages[i], make_entry(pages[i], 7, i));
  for (uint64_t p : pages) REQUIRE(present(tlb, p));

  tlb.flush_page(pages[1]);
  CHECK_FALSE(present(tlb, pages[1]));
  CHECK(present(tlb, pages[0]));
  CHECK(present(tlb, pages[2]));
  CHECK(present(tlb, pages[3]));
  CHECK(present(tlb, pages[4]));

  // An entry with only an execute tag is flushed too.
  const uint64_t x_only = (7 + 9 * kSets) * kPage;  // a third set
  tlb.insert(x_only, make_entry(x_only, 4, 77));
  REQUIRE(present(tlb, x_only));
  tlb.flush_page(x_only);
  CHECK_FALSE(present(tlb, x_only));

  // Flushing a page that is absent changes nothing.
  tlb.flush_page(123 * kPage);
  CHECK(present(tlb, pages[0]));

  tlb.flush_all();
  for (uint64_t p : pages) CHECK_FALSE(present(tlb, p));
}

TEST_CASE("tlb: differential run against a map of what may still be cached", "[tlb]") {
  const uint32_t seed = GENERATE(1u, 2u, 3u, 0xc0ffeeu, 20240601u);
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  constexpr unsigned kSets = 8, kWays = 2;
  vm::tlb::tlb_set_assoc<kSets, kWays> tlb;

  // 48 candidate pages over 8 sets: plenty of conflicts. Some are in the
  // upper (sign-extended) half of the address space.
  std::vector<uint64_t> pages;
  for (uint64_t i = 0; i < 40; ++i) pages.push_back((0x400 + i * 3) * kPage);
  for (uint64_t i = 0; i < 8; ++i) pages.push_back(0xffffffffc0000000 + i * 5 * kPage);

  std::map<uint64_t, tlb_entry> model;  // the last entry inserted per page, if not flushed
  uint64_t hits = 0;
  for (int step = 0; step < 20000; ++step) {
    CAPTURE(step);
    const uint64_t page = pages[rng() % pages.size()];
    const unsigned op = static_cast<unsigned>(rng() % 100);
    if (op < 40) {
      const unsigned types = static_cast<unsigned>(rng() % 7) + 1;  // at least one tag
      const tlb_entry e = make_entry(page, types, rng());
      tlb.insert(page, e);
      model[page] = e;
      // A fresh insert always hits for its own types.
      for (unsigned t = 0; t < 3; ++t) {
        const tlb_entry* got = find(tlb, kTypes[t], page);
        if (types & (1u << t)) {
          REQUIRE(got != nullptr);
          CHECK(got->host_addend == e.host_addend);
        } else {
          CHECK(got == nullptr);
        }
      }
    } else if (op < 90) {
      const access_type t = kTypes[rng() % 3];
      const tlb_entry* got = find(tlb, t, page);
      if (got == nullptr) continue;  // a miss is always allowed (eviction)
      ++hits;
      auto it = model.find(page);
      REQUIRE(it != model.end());  // never hit a flushed or never-inserted page
      CHECK(it->second.tag[static_cast<unsigned>(t)] == page);  // only permitted types hit
      CHECK(got->host_addend == it->second.host_addend);        // the latest entry, not a stale one
      // Tags are stored salted by the flush generation: compare what they
      // permit, through find.
      for (access_type other : kTypes)
        CHECK((find(tlb, other, page) == got) ==
              (it->second.tag[static_cast<unsigned>(other)] == page));
    } else if (op < 99) {
      tlb.flush_page(page);
      model.erase(page);
      for (access_type t : kTypes) REQUIRE(find(tlb, t, page) == nullptr);
    } else {
      tlb.flush_all();
      model.clear();
    }
    // Capacity: never more distinct pages present than sets x ways.
    if (step % 1000 == 0) {
      size_t cached = 0;
      for (uint64_t p : pages) cached += present(tlb, p) ? 1 : 0;
      CHECK(cached <= kSets * kWays);
    }
  }
  CHECK(hits > 1000);  // the run exercised the hit path
}

TEST_CASE("tlb: pages a power-of-two distance apart spread over different sets", "[tlb]") {
  // Three arrays 16 MiB apart (stream_copy's layout) must not share one set
  // of the direct-mapped L1, or every access would evict the previous one.
  using l1 = vm::tlb::tlb_set_assoc<16384, 1>;
  const uint64_t base = 0x2000'0000;
  for (uint64_t offset = 0; offset < (1u << 20); offset += kPage) {
    CAPTURE(offset);
    const unsigned a = index_of<l1>(base + offset);
    const unsigned b = index_of<l1>(base + offset + (16u << 20));
    const unsigned c = index_of<l1>(base + offset + (32u << 20));
    CHECK(a != b);
    CHECK(b != c);
    CHECK(a != c);
  }
}

TEST_CASE("tlb: flush_all empties every set whether few or many were filled", "[tlb]") {
  using tlb_type = vm::tlb::tlb_set_assoc<64, 2>;
  const unsigned fills = GENERATE(1u, 7u, 8u, 9u, 200u);  // the fill log holds 64 / 8 = 8 sets
  CAPTURE(fills);
  tlb_type tlb;
  std::vector<uint64_t> pages;
  for (unsigned i = 0; i < fills; ++i) {
    pages.push_back((0x100 + i * 7) * kPage);
    tlb.insert(pages.back(), make_entry(pages.back(), 7, i));
  }
  tlb.flush_all();
  for (uint64_t p : pages) CHECK_FALSE(present(tlb, p));
  // And it keeps working after the flush: a new fill is found, then flushed.
  tlb.insert(pages[0], make_entry(pages[0], 7, 42));
  REQUIRE(present(tlb, pages[0]));
  tlb.flush_all();
  CHECK_FALSE(present(tlb, pages[0]));
}
