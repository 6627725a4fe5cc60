#include "mmu/page_table.h"

#include <cstring>

#include "mmu/sv39.h"

namespace vm::mmu {

bool page_table::init() noexcept {
  root_ = frames_->allocate();
  return root_ != 0;
}

uint64_t page_table::satp(uint64_t asid) const noexcept {
  return sv39::satp::make(root_, asid);
}

uint64_t page_table::read(uint64_t paddr) const noexcept {
  uint64_t v;
  std::memcpy(&v, ram_->host(paddr), sizeof v);
  return v;
}

void page_table::write(uint64_t paddr, uint64_t value) noexcept {
  std::memcpy(ram_->host(paddr), &value, sizeof value);
}

uint64_t page_table::leaf_slot(uint64_t vaddr, bool create) noexcept {
  uint64_t table = root_;
  for (int level = sv39::kLevels - 1; level > 0; --level) {
    const uint64_t vpn = (vaddr >> (sv39::kPageShift + level * sv39::kVpnBits)) & 511;
    const uint64_t slot = table + vpn * sv39::kPteSize;
    uint64_t pte = read(slot);
    if (!(pte & sv39::pte::kValid)) {
      if (!create) return 0;
      const uint64_t next = frames_->allocate();
      if (next == 0) return 0;
      pte = sv39::pte::make(next, sv39::pte::kValid);
      write(slot, pte);
    } else if (pte & (sv39::pte::kRead | sv39::pte::kExecute)) {
      return 0;  // a superpage covers this address
    }
    table = sv39::pte::ppn(pte) << sv39::kPageShift;
  }
  return table + ((vaddr >> sv39::kPageShift) & 511) * sv39::kPteSize;
}

bool page_table::map(uint64_t vaddr, uint64_t paddr, uint64_t flags) noexcept {
  const uint64_t slot = leaf_slot(vaddr, true);
  if (slot == 0) return false;
  write(slot, sv39::pte::make(paddr, flags | sv39::pte::kValid));
  return true;
}

bool page_table::map_superpage(uint64_t vaddr, uint64_t paddr, uint64_t flags,
                               unsigned level) noexcept {
  if (level < 1 || level >= sv39::kLevels) return false;
  const uint64_t size_mask = (1ull << (sv39::kPageShift + level * sv39::kVpnBits)) - 1;
  if ((vaddr & size_mask) != 0 || (paddr & size_mask) != 0) return false;
  if (!(flags & (sv39::pte::kRead | sv39::pte::kExecute))) return false;
  uint64_t table = root_;
  for (unsigned l = sv39::kLevels - 1;; --l) {
    const uint64_t vpn = (vaddr >> (sv39::kPageShift + l * sv39::kVpnBits)) & 511;
    const uint64_t slot = table + vpn * sv39::kPteSize;
    uint64_t pte = read(slot);
    const bool leaf = (pte & sv39::pte::kValid) && (pte & (sv39::pte::kRead | sv39::pte::kExecute));
    if (l == level) {
      if ((pte & sv39::pte::kValid) && !leaf) return false;  // a table of smaller pages
      write(slot, sv39::pte::make(paddr, flags | sv39::pte::kValid));
      return true;
    }
    if (leaf) return false;  // a larger superpage covers vaddr
    if (!(pte & sv39::pte::kValid)) {
      const uint64_t next = frames_->allocate();
      if (next == 0) return false;
      pte = sv39::pte::make(next, sv39::pte::kValid);
      write(slot, pte);
    }
    table = sv39::pte::ppn(pte) << sv39::kPageShift;
  }
}

std::optional<uint64_t> page_table::unmap(uint64_t vaddr) noexcept {
  const uint64_t slot = leaf_slot(vaddr, false);
  if (slot == 0) return std::nullopt;
  const uint64_t pte = read(slot);
  if (!(pte & sv39::pte::kValid)) return std::nullopt;
  write(slot, 0);
  return sv39::pte::ppn(pte) << sv39::kPageShift;
}

bool page_table::protect(uint64_t vaddr, uint64_t flags) noexcept {
  const uint64_t slot = leaf_slot(vaddr, false);
  if (slot == 0) return false;
  const uint64_t pte = read(slot);
  if (!(pte & sv39::pte::kValid)) return false;
  const uint64_t keep = pte & (sv39::pte::kPpnMask | sv39::pte::kAccessed | sv39::pte::kDirty);
  write(slot, keep | flags | sv39::pte::kValid);
  return true;
}

std::optional<uint64_t> page_table::lookup(uint64_t vaddr) const noexcept {
  const uint64_t slot = const_cast<page_table*>(this)->leaf_slot(vaddr, false);
  if (slot == 0) return std::nullopt;
  const uint64_t pte = read(slot);
  if (!(pte & sv39::pte::kValid)) return std::nullopt;
  return pte;
}

}  // namespace vm::mmu
