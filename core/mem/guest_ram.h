// guest_ram.h - the guest's physical memory: one contiguous host mapping,
// reserved up front and committed lazily by the host kernel as pages are
// first touched (MAP_NORESERVE), so a 4 GiB guest costs only what it uses.
// The mapping is placed as a `placement` asks (host_memory.h): huge-page
// aligned with the THP advice, optionally bound to a NUMA node.
#pragma once

#include <cstdint>
#include <cstring>

#include "common/result.h"
#include "mem/host_memory.h"

namespace vm::mem {

inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kPageMask = kPageSize - 1;

constexpr uint64_t page_down(uint64_t address) noexcept {
  return address & ~kPageMask;
}
// Callers keep `address` well below 2^64 - kPageSize (it would wrap to 0).
constexpr uint64_t page_up(uint64_t address) noexcept {
  return (address + kPageMask) & ~kPageMask;
}

class guest_ram {
 public:
  // Reserves [base, base + size) of guest physical address space with the
  // process-wide default_placement(). `size` is rounded up to a page. Fails
  // with kOutOfMemory if the host refuses.
  static result<guest_ram> create(uint64_t base, uint64_t size) noexcept;
  // The same with an explicit placement; also kInvalidArgument for a NUMA
  // node that does not exist (host_region::reserve).
  static result<guest_ram> create(uint64_t base, uint64_t size, const placement& where) noexcept;

  guest_ram() = default;
  guest_ram(guest_ram&& other) noexcept;
  guest_ram& operator=(guest_ram&& other) noexcept;
  guest_ram(const guest_ram&) = delete;
  guest_ram& operator=(const guest_ram&) = delete;
  ~guest_ram();

  uint64_t base() const noexcept { return base_; }
  uint64_t size() const noexcept { return size_; }
  uint64_t end() const noexcept { return base_ + size_; }

  // True when [paddr, paddr + length) lies inside RAM (no wrap-around).
  bool contains(uint64_t paddr, uint64_t length = 1) const noexcept {
    return paddr >= base_ && length <= size_ && paddr - base_ <= size_ - length;
  }

  // Host address of guest physical `paddr`. Precondition: contains(paddr).
  uint8_t* host(uint64_t paddr) const noexcept { return data_ + (paddr - base_); }

  // host = paddr + host_offset() for every paddr in RAM (modular arithmetic).
  uint64_t host_offset() const noexcept { return reinterpret_cast<uint64_t>(data_) - base_; }

  const placement& requested_placement() const noexcept { return region_.requested(); }
  // Huge pages and NUMA nodes backing the RAM now (reads /proc/self/smaps
  // and samples resident pages with move_pages). `bytes` is the host
  // mapping's size (size() rounded up to the host page).
  memory_report report() const { return region_.report(); }

 private:
  uint8_t* data_ = nullptr;  // region_.data(), kept next to base_ for host()
  uint64_t base_ = 0;
  uint64_t size_ = 0;
  host_region region_;
};

// Hands out 4 KiB physical frames from a region of guest RAM: a bump pointer
// plus a free list. Frames are zero when handed out.
class frame_allocator {
 public:
  frame_allocator() = default;
  frame_allocator(guest_ram* ram, uint64_t start, uint64_t end) noexcept
      : ram_(ram), next_(start), end_(end) {}

  // Physical address of a zeroed frame, or 0 when RAM is exhausted.
  uint64_t allocate() noexcept;
  void release(uint64_t frame) noexcept;

 private:
  guest_ram* ram_ = nullptr;
  uint64_t next_ = 0;
  uint64_t end_ = 0;
  uint64_t free_head_ = 0;  // singly linked through the first word of each free frame
};

}  // namespace vm::mem
