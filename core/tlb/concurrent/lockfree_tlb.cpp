#include "tlb/concurrent/lockfree_tlb.h"

#include <bit>
#include <string>

namespace vm::tlb {

error validate(const lockfree_tlb_config& config) {
  const char* form = " (expected sets=<power of two>, ways=1..255)";
  if (config.sets == 0 || (config.sets & (config.sets - 1)) != 0)
    return {error_code::kInvalidArgument, "lock-free TLB: sets must be a power of two, got " +
                                              std::to_string(config.sets) + form};
  if (config.ways == 0 || config.ways > 255)
    return {error_code::kInvalidArgument,
            "lock-free TLB: ways must be 1..255, got " + std::to_string(config.ways) + form};
  return error::ok();
}

lockfree_tlb::lockfree_tlb(const lockfree_tlb_config& config, unsigned cpus)
    : config_(config),
      set_bits_(static_cast<unsigned>(std::bit_width(config.sets) - 1)),
      entries_(new entry[size_t{config.sets} * config.ways]),
      set_locks_(new spin_lock[config.sets]),
      next_victim_(new uint8_t[config.sets]()) {
  handles_.reserve(cpus);
  for (unsigned cpu = 0; cpu < cpus; ++cpu)
    handles_.push_back(std::make_unique<handle_type>(*this, cpu));
}

lockfree_tlb::~lockfree_tlb() = default;

fill_result lockfree_tlb::insert(const translation& t, uint64_t& set_lock_waits) noexcept {
  const unsigned set = translation_set_of(t.vpage, t.level, set_bits_);
  entry* ways = &entries_[size_t{set} * config_.ways];
  lock_counting(set_locks_[set], set_lock_waits);
  // Under the set lock no one else writes these entries: relaxed loads see
  // the latest values (the previous holder's unlock happens before).
  const uint64_t generation = generation_.load(std::memory_order_acquire) & kGenerationMask;
  const view fresh = encode(t, generation);
  unsigned free_way = config_.ways, same = config_.ways;
  for (unsigned w = 0; w < config_.ways; ++w) {
    const uint64_t tag = ways[w].tag.load(std::memory_order_relaxed);
    const uint64_t stamp = ways[w].stamp.load(std::memory_order_relaxed);
    if ((tag & kValid) == 0 || (stamp >> kStampShift) != generation) {
      if (free_way == config_.ways) free_way = w;
      continue;
    }
    view v{tag, 0, stamp};
    if (same_page(decode(v), t)) {
      same = w;
      break;
    }
  }
  fill_result r;
  unsigned way;
  if (same != config_.ways) {
    way = same;
    r = fill_result::kReplaced;
  } else if (free_way != config_.ways) {
    way = free_way;
    r = fill_result::kNew;
  } else {
    uint8_t& victim = next_victim_[set];
    way = victim;
    victim = static_cast<uint8_t>(victim + 1u == config_.ways ? 0 : victim + 1u);
    r = fill_result::kEvicted;
  }
  write(ways[way], fresh);
  set_locks_[set].unlock();
  if (t.level != 0) levels_.fetch_or(1u << t.level, std::memory_order_relaxed);
  return r;
}

uint64_t lockfree_tlb::flush_set(unsigned set, const flush_request& request,
                                 uint64_t generation) noexcept {
  entry* ways = &entries_[size_t{set} * config_.ways];
  uint64_t removed = 0;
  for (unsigned w = 0; w < config_.ways; ++w) {
    const view v{ways[w].tag.load(std::memory_order_relaxed),
                 ways[w].addend.load(std::memory_order_relaxed),
                 ways[w].stamp.load(std::memory_order_relaxed)};
    if ((v.tag & kValid) == 0 || (v.stamp >> kStampShift) != generation) continue;
    if (!request.covers(decode(v))) continue;
    write(ways[w], view{0, 0, 0});
    ++removed;
  }
  return removed;
}

uint64_t lockfree_tlb::flush(const flush_request& request, uint64_t& set_lock_waits) noexcept {
  if (request.scope == flush_scope::kAll) {
    generation_.fetch_add(1, std::memory_order_acq_rel);
    levels_.store(0, std::memory_order_relaxed);
    return 0;
  }
  uint64_t removed = 0;
  const auto flush_locked = [&](unsigned set) {
    lock_counting(set_locks_[set], set_lock_waits);
    // Read under the lock: a full flush that overtakes us only kills more.
    const uint64_t generation = generation_.load(std::memory_order_acquire) & kGenerationMask;
    removed += flush_set(set, request, generation);
    set_locks_[set].unlock();
  };
  if (request.scope == flush_scope::kAsid) {
    for (unsigned set = 0; set < config_.sets; ++set) flush_locked(set);
  } else {
    for (unsigned level = 0; level <= kMaxLevel; ++level)
      flush_locked(translation_set_of(request.vaddr, level, set_bits_));
  }
  return removed;
}

const tlb_entry* lockfree_tlb_handle::refill(uint64_t vaddr, access_type type,
                                             const miss_context& ctx) noexcept {
  now_ = ctx.now;
  const tlb_entry* e = nullptr;
  if (asid_ != ctx.asid) {  // find() could not have searched with this ASID
    asid_ = ctx.asid;
    const uint64_t page = vaddr & ~(kPageBytes - 1);
    translation t;
    if (shared_->lookup(page, asid_, t, retries_) && t.permits_type(type)) {
      scratch_ = t.entry_for(page);
      e = &scratch_;
      ++refill_hits_;
    }
  }
  if (e == nullptr) shared_->events().publish(miss_event{vaddr, type, ctx.now, 0});
  return e;
}

void lockfree_tlb_handle::insert(const translation& t, uint64_t, const miss_context& ctx) noexcept {
  now_ = ctx.now;
  asid_ = ctx.asid;
  ++inserts_;
  if (shared_->insert(t, set_lock_waits_) == fill_result::kEvicted) ++evictions_;
}

void lockfree_tlb_handle::flush(const flush_request& request) noexcept {
  ++flushes_;
  flushed_ += shared_->flush(request, set_lock_waits_);
  shared_->events().publish(flush_event{request, now_});
}

void lockfree_tlb_handle::append_counters(counter_list& out) const {
  out.emplace_back("tlb.lockfree.refill_hits", refill_hits_);
  out.emplace_back("tlb.lockfree.inserts", inserts_);
  out.emplace_back("tlb.lockfree.evictions", evictions_);
  out.emplace_back("tlb.lockfree.flushes", flushes_);
  out.emplace_back("tlb.lockfree.flushed", flushed_);
  out.emplace_back("tlb.lockfree.retries", retries_);
  out.emplace_back("tlb.lockfree.set_lock_waits", set_lock_waits_);
}

}  // namespace vm::tlb
