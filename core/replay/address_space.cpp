// address_space.cpp - page map -> guest RAM, Sv39 tables and an MMU.

#include "replay/address_space.h"

#include <algorithm>

#include "common/format.h"
#include "mmu/sv39.h"

namespace vm::replay {
namespace {

namespace pte = mmu::sv39::pte;

constexpr uint64_t k4KiB = 4ull << 10;
constexpr uint64_t k2MiB = 2ull << 20;
constexpr uint64_t k1GiB = 1ull << 30;

bool valid_page_size(uint64_t size) {
  return size == k4KiB || size == k2MiB || size == k1GiB;
}

std::string describe(const trace::page_range& r) {
  return hex(r.start) + "-" + hex(r.end) + " " + trace::permission_string(r.permissions);
}

// Rounds r out to `size`. False when its end would pass 2^64.
bool round_out(trace::page_range& r, uint64_t size) {
  if (r.end > ~uint64_t{0} - (size - 1)) return false;
  r.start &= ~(size - 1);
  r.end = (r.end + size - 1) & ~(size - 1);
  r.page_size = size;
  return true;
}

// Number of distinct `size`-aligned regions the sorted, non-overlapping
// ranges touch (ranges with page_size >= size_limit are skipped): the page
// tables of one level that mapping them needs.
uint64_t regions_touched(const std::vector<trace::page_range>& ranges, uint64_t size,
                         uint64_t skip_from_page_size) {
  uint64_t count = 0;
  bool any = false;
  uint64_t last = 0;
  for (const trace::page_range& r : ranges) {
    if (r.page_size >= skip_from_page_size) continue;
    const uint64_t first_region = r.start / size;
    const uint64_t last_region = (r.end - 1) / size;
    count += last_region - first_region + 1;
    if (any && first_region == last) --count;  // shared with the previous range
    any = true;
    last = last_region;
  }
  return count;
}

}  // namespace

result<std::vector<trace::page_range>> effective_page_map(const std::vector<trace::page_range>& map,
                                                          uint64_t page_size,
                                                          const std::string& where) {
  if (page_size != 0 && !valid_page_size(page_size))
    return error{error_code::kInvalidArgument, where + ": page size " + std::to_string(page_size) +
                                                   " is not 4 KiB, 2 MiB or 1 GiB"};
  std::vector<trace::page_range> rounded;
  rounded.reserve(map.size());
  for (size_t i = 0; i < map.size(); ++i) {
    trace::page_range r = map[i];
    const std::string at = where + ": page_map[" + std::to_string(i) + "] " + describe(r) + ": ";
    const uint64_t last = r.end - 1;
    if (r.start >= r.end || !mmu::sv39::canonical(r.start) || !mmu::sv39::canonical(last) ||
        (r.start >> 63) != (last >> 63))
      return error{error_code::kUnsupported,
                   at + "outside the Sv39 address space (39-bit, sign-extended virtual addresses)"};
    if (r.permissions & trace::kPermWrite) r.permissions |= trace::kPermRead;
    if (!(r.permissions & (trace::kPermRead | trace::kPermExecute))) continue;  // PROT_NONE
    const uint64_t size = page_size != 0 ? page_size : r.page_size;
    if (!valid_page_size(size) || !round_out(r, size))
      return error{error_code::kUnsupported,
                   at + "cannot be rounded out to " + std::to_string(size) + "-byte pages"};
    rounded.push_back(r);
  }
  std::sort(rounded.begin(), rounded.end(), [](const auto& a, const auto& b) {
    return a.start != b.start ? a.start < b.start : a.end < b.end;
  });
  // `out` stays sorted and non-overlapping; a merge can only grow the last
  // entry downwards, so whatever it now overlaps is a suffix of `out`.
  std::vector<trace::page_range> out;
  for (trace::page_range current : rounded) {
    while (!out.empty() && out.back().end > current.start) {
      const trace::page_range previous = out.back();
      out.pop_back();
      current.start = std::min(current.start, previous.start);
      current.end = std::max(current.end, previous.end);
      current.permissions |= previous.permissions;
      if (!round_out(current, std::max(current.page_size, previous.page_size)))
        return error{error_code::kUnsupported, where + ": page map range " + describe(current) +
                                                   " cannot be rounded out to its page size"};
    }
    out.push_back(current);
  }
  return out;
}

result<std::unique_ptr<address_space>> address_space::build(
    const std::vector<trace::page_range>& map, uint64_t page_size, const std::string& where,
    const std::optional<mem::placement>& placement) {
  auto ranges = effective_page_map(map, page_size, where);
  if (!ranges.ok()) return std::move(ranges).err();
  std::unique_ptr<address_space> space(new address_space());
  space->ranges_ = std::move(ranges).value();
  const std::vector<trace::page_range>& rs = space->ranges_;

  uint64_t data_bytes = 0;
  for (const trace::page_range& r : rs) data_bytes += r.end - r.start;
  // Root, one level-1 table per 1 GiB region with smaller pages, one
  // level-0 table per 2 MiB region with 4 KiB pages.
  const uint64_t table_pages =
      1 + regions_touched(rs, k1GiB, k1GiB) + regions_touched(rs, k2MiB, k2MiB);
  address_space_info& info = space->info_;
  info.ranges = rs.size();
  info.mapped_bytes = data_bytes;
  info.page_table_pages = table_pages;
  info.ram_bytes = data_bytes + table_pages * mem::kPageSize;

  auto ram = placement ? mem::guest_ram::create(kReplayRamBase, info.ram_bytes, *placement)
                       : mem::guest_ram::create(kReplayRamBase, info.ram_bytes);
  if (!ram.ok()) {
    error e = std::move(ram).err();
    e.message = where + ": " + e.message;
    return e;
  }
  space->ram_ = std::move(ram).value();
  const uint64_t tables_start = kReplayRamBase + data_bytes;
  space->frames_ = mem::frame_allocator(&space->ram_, tables_start, space->ram_.end());
  space->tables_ = mmu::page_table(&space->ram_, &space->frames_);
  const error exhausted{error_code::kOutOfMemory,
                        where + ": page tables need more frames than computed (a bug)"};
  if (!space->tables_.init()) return exhausted;

  // Descending page size: each range starts physically aligned to its page.
  std::vector<const trace::page_range*> by_page_size;
  for (const trace::page_range& r : rs) by_page_size.push_back(&r);
  std::stable_sort(by_page_size.begin(), by_page_size.end(),
                   [](const auto* a, const auto* b) { return a->page_size > b->page_size; });
  uint64_t frame = kReplayRamBase;
  for (const trace::page_range* r : by_page_size) {
    uint64_t flags = pte::kUser;
    if (r->permissions & trace::kPermRead) flags |= pte::kRead;
    if (r->permissions & trace::kPermWrite) flags |= pte::kWrite;
    if (r->permissions & trace::kPermExecute) flags |= pte::kExecute;
    const unsigned level = r->page_size == k1GiB ? 2 : r->page_size == k2MiB ? 1 : 0;
    for (uint64_t va = r->start; va < r->end; va += r->page_size, frame += r->page_size) {
      const bool ok = level == 0 ? space->tables_.map(va, frame, flags)
                                 : space->tables_.map_superpage(va, frame, flags, level);
      if (!ok) return exhausted;
    }
  }

  space->state_.priv = cpu::privilege::kUser;
  space->state_.csr.satp = space->tables_.satp();
  return space;
}

void address_space::prefault() noexcept {
  for (uint64_t offset = 0; offset < ram_.size(); offset += mem::kPageSize) {
    volatile uint8_t* byte = ram_.host(ram_.base() + offset);
    *byte = *byte;
  }
}

}  // namespace vm::replay
