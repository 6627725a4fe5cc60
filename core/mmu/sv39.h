// sv39.h - constants of the RISC-V Sv39 virtual-memory system
// (privileged spec, section "Sv39: Page-Based 39-bit Virtual-Memory System").
#pragma once

#include <cstdint>

namespace vm::mmu::sv39 {

inline constexpr unsigned kLevels = 3;   // 1 GiB, 2 MiB and 4 KiB pages
inline constexpr unsigned kVpnBits = 9;  // per level
inline constexpr unsigned kPageShift = 12;
inline constexpr uint64_t kPteSize = 8;

namespace pte {
inline constexpr uint64_t kValid = 1ull << 0;
inline constexpr uint64_t kRead = 1ull << 1;
inline constexpr uint64_t kWrite = 1ull << 2;
inline constexpr uint64_t kExecute = 1ull << 3;
inline constexpr uint64_t kUser = 1ull << 4;
inline constexpr uint64_t kGlobal = 1ull << 5;
inline constexpr uint64_t kAccessed = 1ull << 6;
inline constexpr uint64_t kDirty = 1ull << 7;
inline constexpr unsigned kPpnShift = 10;
inline constexpr uint64_t kPpnMask = ((1ull << 44) - 1) << kPpnShift;  // bits 53:10
// Bits 63:54 (Svnapot N, Svpbmt PBMT, reserved) must be zero: we implement
// neither extension, so a PTE that sets them is a page fault.
inline constexpr uint64_t kReservedMask = ~((1ull << 54) - 1);

constexpr uint64_t ppn(uint64_t entry) noexcept {
  return (entry & kPpnMask) >> kPpnShift;
}
constexpr uint64_t make(uint64_t paddr, uint64_t flags) noexcept {
  return ((paddr >> kPageShift) << kPpnShift) | flags;
}
}  // namespace pte

namespace satp {
inline constexpr uint64_t kModeBare = 0;
inline constexpr uint64_t kModeSv39 = 8;
constexpr uint64_t mode(uint64_t value) noexcept {
  return value >> 60;
}
constexpr uint64_t asid(uint64_t value) noexcept {
  return (value >> 44) & 0xffff;
}
constexpr uint64_t root(uint64_t value) noexcept {
  return (value & ((1ull << 44) - 1)) << kPageShift;
}
constexpr uint64_t make(uint64_t root_paddr, uint64_t asid_value) noexcept {
  return (kModeSv39 << 60) | ((asid_value & 0xffff) << 44) | (root_paddr >> kPageShift);
}
}  // namespace satp

// Sv39 addresses must have bits 63:39 equal to bit 38.
constexpr bool canonical(uint64_t vaddr) noexcept {
  const int64_t s = static_cast<int64_t>(vaddr << 25) >> 25;
  return static_cast<uint64_t>(s) == vaddr;
}

}  // namespace vm::mmu::sv39
