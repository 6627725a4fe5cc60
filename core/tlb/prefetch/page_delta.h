// page_delta.h - signed distances between virtual page numbers and the
// row hash of the prediction tables, shared by the miss-stream tracker and
// the prefetchers.
//
// A virtual page number (vaddr >> 12) of a 64-bit address lies in
// [0, 2^52). The difference of two such numbers fits in int64_t. A
// prediction vpn + delta that leaves that range is not a page and is never
// issued: a descending stride running below page 0 would otherwise wrap to
// a high, canonical-looking Sv39 address and walk the kernel half.
#pragma once

#include <cstdint>

#include "tlb/translation.h"

namespace vm::tlb {

inline constexpr uint64_t kVpnLimit = uint64_t{1} << (64 - kPageShift);

// vpn - previous as a signed distance in pages (both < kVpnLimit).
constexpr int64_t page_delta(uint64_t vpn, uint64_t previous) noexcept {
  return static_cast<int64_t>(vpn - previous);
}

// vpn + delta into `out` when the result is a page number other than vpn
// itself (delta != 0, no wrap, < kVpnLimit); false otherwise.
constexpr bool offset_page(uint64_t vpn, int64_t delta, uint64_t& out) noexcept {
  if (delta == 0) return false;
  const uint64_t target = vpn + static_cast<uint64_t>(delta);  // mod 2^64
  if (target >= kVpnLimit) return false;  // wrapped below 0, or above the top page
  out = target;
  return true;
}

// The row of `key` in a table of `rows` rows (a power of two, <= 2^32):
// Fibonacci hashing, whose high product bits mix every key bit, so keys
// that differ only in high bits (page numbers of distant regions, negative
// distances) still spread over the rows.
constexpr uint64_t table_row(uint64_t key, uint64_t rows) noexcept {
  return ((key * 0x9E3779B97F4A7C15ull) >> 32) & (rows - 1);
}

// `requested` rounded up to a power of two in [1, 2^20] (the prefetchers'
// table sizes).
constexpr uint64_t table_rows(uint64_t requested) noexcept {
  uint64_t rows = 1;
  while (rows < requested && rows < (uint64_t{1} << 20)) rows <<= 1;
  return rows;
}

}  // namespace vm::tlb
