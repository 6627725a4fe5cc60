// page_table.h - builds and edits Sv39 page tables in guest RAM from the
// host side: the loader and the Linux user ABI (mmap, munmap, brk, stack
// growth) use it the way a guest kernel would.
#pragma once

#include <cstdint>
#include <optional>

#include "mem/guest_ram.h"

namespace vm::mmu {

class page_table {
 public:
  page_table() = default;
  page_table(mem::guest_ram* ram, mem::frame_allocator* frames) noexcept
      : ram_(ram), frames_(frames) {}

  // Allocates the root table. False when RAM is exhausted.
  [[nodiscard]] bool init() noexcept;

  uint64_t root() const noexcept { return root_; }
  uint64_t satp(uint64_t asid = 0) const noexcept;

  // Maps the 4 KiB page at `vaddr` to frame `paddr` with `flags` (sv39::pte
  // bits; V is added). Allocates intermediate tables. False when RAM is
  // exhausted or a superpage already covers vaddr.
  [[nodiscard]] bool map(uint64_t vaddr, uint64_t paddr, uint64_t flags) noexcept;

  // Maps the superpage at `vaddr` to `paddr` at `level` (1: 2 MiB, 2:
  // 1 GiB) with `flags` (sv39::pte bits; V is added; R or X must be among
  // them, or the entry would read as a pointer to a table). Both addresses
  // must be aligned to the superpage size. Allocates the intermediate table
  // a 2 MiB page needs. Replaces a superpage already at that slot; false,
  // changing nothing, when an argument is invalid, RAM is exhausted, a
  // larger superpage covers vaddr, or a table of smaller pages is there.
  [[nodiscard]] bool map_superpage(uint64_t vaddr, uint64_t paddr, uint64_t flags,
                                   unsigned level) noexcept;

  // Removes the mapping of the 4 KiB page at vaddr; returns its frame.
  std::optional<uint64_t> unmap(uint64_t vaddr) noexcept;

  // Replaces the permission bits of an existing 4 KiB mapping.
  bool protect(uint64_t vaddr, uint64_t flags) noexcept;

  // The leaf PTE for vaddr's 4 KiB page, if mapped at level 0.
  std::optional<uint64_t> lookup(uint64_t vaddr) const noexcept;

 private:
  // Address of the level-0 PTE for vaddr, creating tables if `create`.
  uint64_t leaf_slot(uint64_t vaddr, bool create) noexcept;
  uint64_t read(uint64_t paddr) const noexcept;
  void write(uint64_t paddr, uint64_t value) noexcept;

  mem::guest_ram* ram_ = nullptr;
  mem::frame_allocator* frames_ = nullptr;
  uint64_t root_ = 0;
};

}  // namespace vm::mmu
