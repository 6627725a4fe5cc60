#include "tlb/qemu/qemu_tlb.h"

#include <algorithm>
#include <bit>
#include <string>
#include <utility>

namespace vm::tlb {

namespace {

constexpr uint64_t kPageMask = kPageBytes - 1;

}  // namespace

error qemu_tlb::check(const qemu_tlb_options& o) {
  auto bad = [](std::string what) {
    return error{error_code::kInvalidArgument,
                 "qemu TLB: " + what + " (accepted: min_bits <= initial_bits <= max_bits <= " +
                     std::to_string(kMaxBits) + ", window >= 1 lookups)"};
  };
  if (o.max_bits > kMaxBits)
    return bad("max_bits " + std::to_string(o.max_bits) + " is above " + std::to_string(kMaxBits));
  if (o.min_bits > o.max_bits)
    return bad("min_bits " + std::to_string(o.min_bits) + " is above max_bits " +
               std::to_string(o.max_bits));
  if (o.initial_bits < o.min_bits || o.initial_bits > o.max_bits)
    return bad("initial_bits " + std::to_string(o.initial_bits) + " is outside [" +
               std::to_string(o.min_bits) + ", " + std::to_string(o.max_bits) + "]");
  if (o.window == 0) return bad("window is 0");
  return error::ok();
}

result<qemu_tlb> qemu_tlb::create(const qemu_tlb_options& options) {
  if (error e = check(options)) return e;
  return qemu_tlb(options);
}

qemu_tlb::qemu_tlb(const qemu_tlb_options& options)
    : front_(runtime_geometry(1u << options.initial_bits, 1, /*fold=*/false)),
      shadow_(new translation[size_t{1} << options.initial_bits]),
      options_(options),
      max_entries_(uint64_t{1} << options.initial_bits) {}

void qemu_tlb::reallocate(size_t entries) {
  // QEMU frees and allocates both arrays (g_try_new): the contents are gone.
  front_ = tlb_front<runtime_geometry>(
      runtime_geometry(static_cast<unsigned>(entries), 1, /*fold=*/false));
  shadow_.reset(new translation[entries]);
  ++resizes_;
  max_entries_ = std::max<uint64_t>(max_entries_, entries);
}

// Every miss-path entry point comes here first: it records the time and,
// when the window has expired, runs the resize rule (deviation 2 in the
// header). A resize empties the table; callers then see a plain miss.
void qemu_tlb::advance_time(uint64_t now) noexcept {
  now_ = std::max(now_, now);
  if (options_.resize && now_ - window_begin_ > options_.window) {
    if (apply_resize_rule(/*window_expired=*/true)) clear_all();
  }
}

// tlb_mmu_resize_locked: window_max_entries is the most live entries seen
// in the window; above 70 % of the size the table doubles at once, below
// 30 % it shrinks (only once the window expired) to the power of two that
// holds window_max_entries at <= 70 %. Outside the band, or at a bound,
// the size stays and an expired window restarts from the current count.
bool qemu_tlb::apply_resize_rule(bool window_expired) noexcept {
  window_max_entries_ = std::max(window_max_entries_, used_entries_);
  const uint64_t old_size = entries();
  const uint64_t rate = window_max_entries_ * 100 / old_size;
  uint64_t new_size = old_size;
  if (rate > kGrowAbovePercent) {
    new_size = std::min(old_size << 1, uint64_t{1} << options_.max_bits);
  } else if (rate < kShrinkBelowPercent && window_expired) {
    uint64_t ceil = std::bit_ceil(std::max<uint64_t>(window_max_entries_, 1));
    // Just below a power of two (1023 of 1024) the shrunk table would be
    // nearly full and double again soon: keep the expected rate <= 70 %.
    if (window_max_entries_ * 100 / ceil > kGrowAbovePercent) ceil *= 2;
    new_size = std::max(ceil, uint64_t{1} << options_.min_bits);
  }
  if (new_size == old_size) {
    if (window_expired) {
      window_begin_ = now_;
      window_max_entries_ = used_entries_;
    }
    return false;
  }
  reallocate(new_size);
  window_begin_ = now_;
  window_max_entries_ = 0;
  return true;
}

// tlb_mmu_flush_locked: the table (O(1): the front's generation advances),
// the victim TLB, the count and the large-page region.
void qemu_tlb::clear_all() noexcept {
  front_.flush_all();
  victims_.fill(victim_entry{});
  victim_next_ = 0;
  used_entries_ = 0;
  large_page_addr_ = ~uint64_t{0};
  large_page_mask_ = ~uint64_t{0};
}

// tlb_flush_one_mmuidx_locked: the resize rule, then the flush.
void qemu_tlb::full_flush() noexcept {
  ++flushes_full_;
  if (options_.resize) (void)apply_resize_rule(now_ - window_begin_ > options_.window);
  clear_all();
}

void qemu_tlb::flush_victim_page(uint64_t page) noexcept {
  for (victim_entry& v : victims_) {
    if (v.page == page) v = victim_entry{};
  }
}

// tlb_flush_page_locked.
void qemu_tlb::flush_page(uint64_t page) noexcept {
  if ((page & large_page_mask_) == large_page_addr_) {
    full_flush();  // a large page may cover it: QEMU cannot tell which fragments
    return;
  }
  if (front_.flush_page(page)) --used_entries_;
  flush_victim_page(page);
}

// tlb_add_large_page: one region, grown to the smallest aligned power of
// two covering the old region and the new page.
void qemu_tlb::add_large_page(uint64_t vpage, uint64_t bytes) noexcept {
  uint64_t mask = ~(bytes - 1);
  uint64_t addr = large_page_addr_;
  if (addr == ~uint64_t{0}) {
    addr = vpage;
  } else {
    mask &= large_page_mask_;
    while (((addr ^ vpage) & mask) != 0) mask <<= 1;
  }
  large_page_addr_ = addr & mask;
  large_page_mask_ = mask;
}

const tlb_entry* qemu_tlb::front_entry(uint64_t page, access_type type) const noexcept {
  switch (type) {
    case access_type::kRead: return front_.find<access_type::kRead>(page);
    case access_type::kWrite: return front_.find<access_type::kWrite>(page);
    case access_type::kExecute: return front_.find<access_type::kExecute>(page);
  }
  return nullptr;
}

const tlb_entry* qemu_tlb::refill(uint64_t vaddr, access_type type,
                                  const miss_context& ctx) noexcept {
  advance_time(ctx.now);
  const uint64_t page = vaddr & ~kPageMask;
  for (victim_entry& v : victims_) {
    // QEMU compares the victim's tag for this access type: an entry of the
    // page that does not permit `type` is no hit.
    if (v.page != page || !v.t.permits_type(type) || !v.t.visible_to(ctx.asid)) continue;
    // victim_tlb_hit: swap the victim entry and the fast-table slot.
    const size_t slot = front_.set_index(page);  // one way: the set is the slot
    victim_entry out;
    if (!front_.slot_live(slot)) {
      ++used_entries_;
    } else if (front_.slot_page(slot) != page) {
      out.page = front_.slot_page(slot);
      out.t = shadow_[slot];
    }
    front_.insert(page, v.t.entry_for(page));
    shadow_[slot] = v.t;
    v = out;
    ++victim_hits_;
    events_.publish(miss_event{vaddr, type, ctx.now, 8});
    return front_entry(page, type);
  }
  ++victim_misses_;
  events_.publish(miss_event{vaddr, type, ctx.now, 0});
  return nullptr;
}

void qemu_tlb::insert(const translation& t, uint64_t vaddr, const miss_context& ctx) noexcept {
  advance_time(ctx.now);
  const uint64_t page = vaddr & ~kPageMask;
  if (t.level > 0) add_large_page(t.vpage, t.bytes());
  // "Make sure there's no cached translation for the new page."
  flush_victim_page(page);
  const size_t slot = front_.set_index(page);
  if (!front_.slot_live(slot)) {
    ++used_entries_;
  } else if (front_.slot_page(slot) != page) {
    // Evict the live entry of another page into the victim TLB (the entry
    // the round-robin index points at is lost); a stale entry of the same
    // page is simply overwritten.
    victims_[victim_next_] = victim_entry{front_.slot_page(slot), shadow_[slot]};
    victim_next_ = (victim_next_ + 1) % kVictimEntries;
  }
  front_.insert(page, t.entry_for(page));
  shadow_[slot] = t;
}

void qemu_tlb::flush(const flush_request& request) noexcept {
  switch (request.scope) {
    case flush_scope::kAll:
    case flush_scope::kAsid: full_flush(); break;
    case flush_scope::kAddress:
    case flush_scope::kAddressAsid: flush_page(request.vaddr & ~kPageMask); break;
  }
  events_.publish(flush_event{request, now_});
}

void qemu_tlb::change_context() noexcept {
  full_flush();
  events_.publish(flush_event{flush_request::all(), now_});
}

bool qemu_tlb::victim_holds(uint64_t page) const noexcept {
  for (const victim_entry& v : victims_)
    if (v.page == page) return true;
  return false;
}

void qemu_tlb::append_counters(counter_list& out) const {
  out.emplace_back("tlb.victim.hits", victim_hits_);
  out.emplace_back("tlb.victim.misses", victim_misses_);
  out.emplace_back("tlb.qemu.resizes", resizes_);
  out.emplace_back("tlb.qemu.entries", entries());
  out.emplace_back("tlb.qemu.max_entries", max_entries_);
  out.emplace_back("tlb.qemu.flushes_full", flushes_full_);
}

}  // namespace vm::tlb
