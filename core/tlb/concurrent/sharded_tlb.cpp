#include "tlb/concurrent/sharded_tlb.h"

#include <bit>
#include <string>

namespace vm::tlb {

namespace {

bool power_of_two(unsigned v) noexcept {
  return v != 0 && (v & (v - 1)) == 0;
}

error bad(const std::string& what) {
  return {error_code::kInvalidArgument, "sharded TLB: " + what +
                                            " (expected sets=<power of two>, ways=1..255, "
                                            "shards=<power of two, at most sets>)"};
}

}  // namespace

error validate(const sharded_tlb_config& config) {
  if (!power_of_two(config.sets))
    return bad("sets must be a power of two, got " + std::to_string(config.sets));
  if (config.ways == 0 || config.ways > 255)
    return bad("ways must be 1..255, got " + std::to_string(config.ways));
  if (!power_of_two(config.shards) || config.shards > config.sets)
    return bad("shards must be a power of two no larger than sets, got " +
               std::to_string(config.shards));
  return error::ok();
}

template <class Lock>
basic_sharded_tlb<Lock>::basic_sharded_tlb(const sharded_tlb_config& config, unsigned cpus)
    : config_(config),
      set_bits_(static_cast<unsigned>(std::bit_width(config.sets) - 1)),
      shard_bits_(static_cast<unsigned>(std::bit_width(config.shards) - 1)),
      shard_mask_(config.shards - 1),
      shards_(new shard[config.shards]) {
  const size_t sets_per_shard = config.sets / config.shards;
  for (unsigned i = 0; i < config.shards; ++i) {
    shards_[i].slots.reset(new translation_slot[sets_per_shard * config.ways]);
    shards_[i].next_victim.reset(new uint8_t[sets_per_shard]());
  }
  handles_.reserve(cpus);
  for (unsigned cpu = 0; cpu < cpus; ++cpu)
    handles_.push_back(std::make_unique<handle_type>(*this, cpu));
}

template <class Lock>
basic_sharded_tlb<Lock>::~basic_sharded_tlb() = default;

template <class Lock>
fill_result basic_sharded_tlb<Lock>::insert(const translation& t, translation* evicted,
                                            uint64_t& lock_waits) noexcept {
  const unsigned set = translation_set_of(t.vpage, t.level, set_bits_);
  shard& s = shards_[set & shard_mask_];
  const size_t local = set >> shard_bits_;
  lock_counting(s.lock, lock_waits);
  const fill_result r = set_fill(&s.slots[local * config_.ways], config_.ways, s.generation,
                                 s.next_victim[local], t, evicted);
  if (r == fill_result::kNew) ++s.live;
  s.lock.unlock();
  // After the fill: a lookup that sees the bit finds the entry (or a later
  // state of it).
  if (t.level != 0) levels_.fetch_or(1u << t.level, std::memory_order_relaxed);
  return r;
}

template <class Lock>
uint64_t basic_sharded_tlb<Lock>::flush(const flush_request& request,
                                        uint64_t& lock_waits) noexcept {
  const size_t sets_per_shard = config_.sets / config_.shards;
  const unsigned ways = config_.ways;
  uint64_t removed = 0;
  switch (request.scope) {
    case flush_scope::kAll:
      for (unsigned i = 0; i < config_.shards; ++i) {
        shard& s = shards_[i];
        lock_counting(s.lock, lock_waits);
        // Retire everything by moving to the next generation: O(shards).
        removed += s.live;
        s.live = 0;
        if (++s.generation == 0) {  // wrapped (after 2^32 flushes): clear for real
          for (size_t k = 0; k < sets_per_shard * ways; ++k) s.slots[k].generation = 0;
          s.generation = 1;
        }
        s.lock.unlock();
      }
      levels_.store(0, std::memory_order_relaxed);
      break;
    case flush_scope::kAsid:
      for (unsigned i = 0; i < config_.shards; ++i) {
        shard& s = shards_[i];
        lock_counting(s.lock, lock_waits);
        uint64_t gone = 0;
        for (size_t local = 0; local < sets_per_shard; ++local)
          gone += set_flush(&s.slots[local * ways], ways, s.generation, request, nullptr);
        s.live -= gone;
        s.lock.unlock();
        removed += gone;
      }
      break;
    case flush_scope::kAddress:
    case flush_scope::kAddressAsid:
      // The one set per page size that can hold a page containing vaddr;
      // every size, whatever levels_ says (it may lag a concurrent fill).
      for (unsigned level = 0; level <= kMaxLevel; ++level) {
        const unsigned set = translation_set_of(request.vaddr, level, set_bits_);
        shard& s = shards_[set & shard_mask_];
        lock_counting(s.lock, lock_waits);
        const unsigned gone = set_flush(&s.slots[size_t{set >> shard_bits_} * ways], ways,
                                        s.generation, request, nullptr);
        s.live -= gone;
        s.lock.unlock();
        removed += gone;
      }
      break;
  }
  return removed;
}

template <class Lock>
const tlb_entry* basic_sharded_tlb_handle<Lock>::refill(uint64_t vaddr, access_type type,
                                                        const miss_context& ctx) noexcept {
  now_ = ctx.now;
  const tlb_entry* e = nullptr;
  if (asid_ != ctx.asid) {
    asid_ = ctx.asid;
    const uint64_t page = vaddr & ~(kPageBytes - 1);
    translation t;
    if (shared_->lookup(page, asid_, t, lock_waits_) && t.permits_type(type)) {
      scratch_ = t.entry_for(page);
      e = &scratch_;
      ++refill_hits_;
    }
  }
  if (e == nullptr) shared_->events().publish(miss_event{vaddr, type, ctx.now, 0});
  return e;
}

template <class Lock>
void basic_sharded_tlb_handle<Lock>::insert(const translation& t, uint64_t,
                                            const miss_context& ctx) noexcept {
  now_ = ctx.now;
  asid_ = ctx.asid;
  ++inserts_;
  if (shared_->insert(t, nullptr, lock_waits_) == fill_result::kEvicted) ++evictions_;
}

template <class Lock>
void basic_sharded_tlb_handle<Lock>::flush(const flush_request& request) noexcept {
  ++flushes_;
  flushed_ += shared_->flush(request, lock_waits_);
  shared_->events().publish(flush_event{request, now_});
}

template <class Lock>
void basic_sharded_tlb_handle<Lock>::append_counters(counter_list& out) const {
  out.emplace_back("tlb.shared.refill_hits", refill_hits_);
  out.emplace_back("tlb.shared.inserts", inserts_);
  out.emplace_back("tlb.shared.evictions", evictions_);
  out.emplace_back("tlb.shared.flushes", flushes_);
  out.emplace_back("tlb.shared.flushed", flushed_);
  out.emplace_back("tlb.shared.lock_waits", lock_waits_);
}

template class basic_sharded_tlb<spin_lock>;
template class basic_sharded_tlb<std::mutex>;
template class basic_sharded_tlb_handle<spin_lock>;
template class basic_sharded_tlb_handle<std::mutex>;

}  // namespace vm::tlb
