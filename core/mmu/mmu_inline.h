// mmu_inline.h - the TLB hit paths of mmu.h. Included only by mmu.h.
#pragma once

namespace vm::mmu {

template <tlb::tlb_design Tlb>
template <tlb::access_type Type>
[[gnu::always_inline]] inline const tlb::tlb_entry* basic_mmu<Tlb>::hit(uint64_t vaddr) noexcept {
  const uint64_t page = vaddr & ~mem::kPageMask;
  return tlb_.template find<Type>(page, page);
}

template <tlb::tlb_design Tlb>
inline const tlb::tlb_entry* basic_mmu<Tlb>::hit(uint64_t vaddr, tlb::access_type type) noexcept {
  switch (type) {
    case tlb::access_type::kRead: return this->template hit<tlb::access_type::kRead>(vaddr);
    case tlb::access_type::kWrite: return this->template hit<tlb::access_type::kWrite>(vaddr);
    case tlb::access_type::kExecute: return this->template hit<tlb::access_type::kExecute>(vaddr);
  }
  return nullptr;
}

// The hit-path key keeps the address's low alignment bits: a naturally
// aligned access (never crossing a page) matches the page tag; a misaligned
// one misses and load_slow/store_slow handle it byte-exactly.
template <class T>
[[gnu::always_inline]] inline uint64_t aligned_key(uint64_t vaddr) noexcept {
  return vaddr & (~mem::kPageMask | (sizeof(T) - 1));
}

template <tlb::tlb_design Tlb>
template <class T>
[[gnu::always_inline]] inline access_status basic_mmu<Tlb>::load(uint64_t vaddr, T& out) noexcept {
  const tlb::tlb_entry* e =
      tlb_.template find<tlb::access_type::kRead>(vaddr & ~mem::kPageMask, aligned_key<T>(vaddr));
  if (e != nullptr) [[likely]] {
    ++counters_.l1.hits;
    std::memcpy(&out, reinterpret_cast<const void*>(vaddr + e->host_addend), sizeof(T));
    return access_status::kOk;
  }
  return load_slow(vaddr, &out, sizeof(T));
}

template <tlb::tlb_design Tlb>
template <class T>
[[gnu::always_inline]] inline access_status basic_mmu<Tlb>::store(uint64_t vaddr, T value) noexcept {
  const tlb::tlb_entry* e =
      tlb_.template find<tlb::access_type::kWrite>(vaddr & ~mem::kPageMask, aligned_key<T>(vaddr));
  if (e != nullptr) [[likely]] {
    ++counters_.l1.hits;
    std::memcpy(reinterpret_cast<void*>(vaddr + e->host_addend), &value, sizeof(T));
    return access_status::kOk;
  }
  return store_slow(vaddr, &value, sizeof(T));
}

template <tlb::tlb_design Tlb>
template <class T>
inline access_status basic_mmu<Tlb>::atomic_pointer(uint64_t vaddr, bool for_load, T*& host) noexcept {
  if (vaddr & (sizeof(T) - 1)) {
    return raise(for_load ? cpu::exception::kLoadMisaligned : cpu::exception::kStoreMisaligned,
                 vaddr);
  }
  uint64_t paddr;
  const tlb::access_type type = for_load ? tlb::access_type::kRead : tlb::access_type::kWrite;
  if (translate(vaddr, type, paddr) == access_status::kFault) return access_status::kFault;
  host = reinterpret_cast<T*>(ram_.host(paddr));
  return access_status::kOk;
}

template <tlb::tlb_design Tlb>
inline access_status basic_mmu<Tlb>::fetch(uint64_t vaddr, const uint8_t*& host) noexcept {
  const tlb::tlb_entry* e = this->template hit<tlb::access_type::kExecute>(vaddr);
  if (e != nullptr) [[likely]] {
    ++counters_.l1.hits;
    host = reinterpret_cast<const uint8_t*>(vaddr + e->host_addend);
    return access_status::kOk;
  }
  uint64_t paddr;
  const access_status s = translate_page(vaddr, tlb::access_type::kExecute, paddr);
  if (s == access_status::kFault) return s;
  host = ram_.host(paddr);
  return access_status::kOk;
}

}  // namespace vm::mmu
