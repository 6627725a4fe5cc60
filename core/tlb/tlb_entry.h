// tlb_entry.h - what a TLB caches for one 4 KiB virtual page, laid out for
// the hit path: three tags (one per access type) and the host addend.
//
// A tag equals the page-aligned virtual address when that access type is
// permitted in the current translation context, and kInvalidTag otherwise.
// So a hit is one compare, with no separate permission check, and a later
// JIT can emit the same compare inline. A store to a page whose PTE is not
// yet dirty, or to a device page (HTIF), has no write tag and takes the slow
// path.
#pragma once

#include <cstdint>

namespace vm::tlb {

enum class access_type : uint8_t { kRead = 0, kWrite = 1, kExecute = 2 };

// Never a page-aligned address, so it matches no lookup.
inline constexpr uint64_t kInvalidTag = ~0ull;

struct tlb_entry {
  uint64_t tag[3] = {kInvalidTag, kInvalidTag, kInvalidTag};  // by access_type
  uint64_t host_addend = 0;  // host address = guest vaddr + host_addend (mod 2^64)
};
static_assert(sizeof(tlb_entry) == 32);

// Deterministic counters: identical for identical guest runs.
struct tlb_counters {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t flushes = 0;
};

}  // namespace vm::tlb
