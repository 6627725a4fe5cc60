#include "tlb/concurrent/percpu_tlb.h"

#include <string>

namespace vm::tlb {

namespace {

bool power_of_two(unsigned v) noexcept {
  return v != 0 && (v & (v - 1)) == 0;
}

error bad(const std::string& what) {
  return {error_code::kInvalidArgument, "per-CPU TLB: " + what +
                                            " (expected l1=<power-of-two sets>x<1..255 ways>, "
                                            "l2=none or <power-of-two sets>x<1..255 ways>)"};
}

}  // namespace

error validate(const percpu_tlb_config& config) {
  if (!power_of_two(config.l1_sets))
    return bad("l1 sets must be a power of two, got " + std::to_string(config.l1_sets));
  if (config.l1_ways == 0 || config.l1_ways > 255)
    return bad("l1 ways must be 1..255, got " + std::to_string(config.l1_ways));
  if (config.l2_sets != 0) {
    if (!power_of_two(config.l2_sets))
      return bad("l2 sets must be a power of two, got " + std::to_string(config.l2_sets));
    if (config.l2_ways == 0 || config.l2_ways > 255)
      return bad("l2 ways must be 1..255, got " + std::to_string(config.l2_ways));
  }
  return error::ok();
}

percpu_tlb::percpu_tlb(const percpu_tlb_config& config, unsigned cpus) : config_(config) {
  handles_.reserve(cpus);
  for (unsigned cpu = 0; cpu < cpus; ++cpu)
    handles_.push_back(std::make_unique<handle_type>(*this, cpu, cpus, config));
}

percpu_tlb::~percpu_tlb() = default;

percpu_tlb_handle::percpu_tlb_handle(percpu_tlb& shared, unsigned cpu, unsigned cpus,
                                     const percpu_tlb_config& config)
    : front_(runtime_geometry(config.l1_sets, config.l1_ways)),
      shared_(&shared),
      cpu_(cpu),
      l2_(config.l2_sets, config.l2_ways),
      inbox_(new ticket*[cpus]) {}

percpu_tlb_handle::~percpu_tlb_handle() = default;

tlb_event_source& percpu_tlb_handle::events() noexcept {
  return shared_->events();
}

const tlb_entry* percpu_tlb_handle::front_find(access_type type, uint64_t page) const noexcept {
  switch (type) {
    case access_type::kRead: return front_.find<access_type::kRead>(page);
    case access_type::kWrite: return front_.find<access_type::kWrite>(page);
    case access_type::kExecute: return front_.find<access_type::kExecute>(page);
  }
  return nullptr;
}

void percpu_tlb_handle::apply(const flush_request& request) noexcept {
  // The front holds 4 KiB fragments of the current context's translations,
  // without ASIDs: a by-address flush is exact only while no superpage
  // fragment is present; everything else drops the front (O(1)), which a
  // TLB may always do.
  if ((request.scope == flush_scope::kAddress || request.scope == flush_scope::kAddressAsid) &&
      !front_has_superpages_) {
    front_.flush_page(request.vaddr & ~(kPageBytes - 1));
  } else {
    front_.flush_all();
    front_has_superpages_ = false;
  }
  l2_.flush(request);
}

void percpu_tlb_handle::receive_locked() noexcept {
  for (unsigned i = 0; i < inbox_size_; ++i) {
    ticket* t = inbox_[i];
    apply(t->request);
    ++received_;
    // The acknowledgement; `t` belongs to the initiator from here on.
    t->remaining.fetch_sub(1, std::memory_order_release);
  }
  inbox_size_ = 0;
  pending_.store(false, std::memory_order_relaxed);
}

bool percpu_tlb_handle::drain() noexcept {
  if (!pending_.load(std::memory_order_acquire)) return false;
  std::lock_guard lock(mailbox_mutex_);
  receive_locked();
  return true;
}

void percpu_tlb_handle::attach() noexcept {
  std::lock_guard lock(mailbox_mutex_);
  attached_ = true;
}

void percpu_tlb_handle::detach() noexcept {
  std::lock_guard lock(mailbox_mutex_);
  receive_locked();
  attached_ = false;
}

const tlb_entry* percpu_tlb_handle::refill(uint64_t vaddr, access_type type,
                                           const miss_context& ctx) noexcept {
  now_ = ctx.now;
  const uint64_t page = vaddr & ~(kPageBytes - 1);
  // find() may have missed only because a shootdown was pending: once it is
  // applied, the front may still hold the page.
  if (drain()) {
    if (const tlb_entry* e = front_find(type, page)) return e;
  }
  if (l2_.enabled()) {
    const translation* t = l2_.find(page, ctx.asid);
    if (t != nullptr && t->permits_type(type)) {
      ++l2_hits_;
      front_.insert(page, t->entry_for(page));
      if (t->level != 0) front_has_superpages_ = true;
      shared_->events().publish(miss_event{vaddr, type, ctx.now, 2});
      return front_find(type, page);
    }
    ++l2_misses_;
  }
  shared_->events().publish(miss_event{vaddr, type, ctx.now, 0});
  return nullptr;
}

void percpu_tlb_handle::insert(const translation& t, uint64_t vaddr,
                               const miss_context& ctx) noexcept {
  now_ = ctx.now;
  const uint64_t page = vaddr & ~(kPageBytes - 1);
  if (l2_.enabled() && l2_.insert(t) == fill_result::kEvicted) ++l2_evictions_;
  front_.insert(page, t.entry_for(page));
  if (t.level != 0) front_has_superpages_ = true;
  drain();  // after the fill: see the file comment
}

void percpu_tlb_handle::change_context() noexcept {
  drain();
  front_.flush_all();
  front_has_superpages_ = false;
}

void percpu_tlb_handle::flush(const flush_request& request) noexcept {
  apply(request);
  ticket shootdown;
  shootdown.request = request;
  unsigned targets = 0;
  for (const std::unique_ptr<percpu_tlb_handle>& other : shared_->handles_) {
    if (other.get() == this) continue;
    ++targets;
    std::lock_guard lock(other->mailbox_mutex_);
    if (!other->attached_) {
      // Idle: no thread runs its TLB operations, so apply it on its behalf
      // (the mutex orders this before its next attach()).
      other->apply(request);
      ++other->received_;
      continue;
    }
    ++posted_;
    shootdown.remaining.fetch_add(1, std::memory_order_relaxed);
    other->inbox_[other->inbox_size_++] = &shootdown;
    other->pending_.store(true, std::memory_order_release);
  }
  sent_ += targets;
  // Wait for every attached target's acknowledgement, answering the
  // shootdowns aimed at us meanwhile.
  for (unsigned spins = 0; shootdown.remaining.load(std::memory_order_acquire) != 0; ++spins) {
    drain();
    cpu_relax(spins);
  }
  drain();
  shared_->events().publish(flush_event{request, now_});
  if (targets != 0) shared_->events().publish(shootdown_event{request, cpu_, targets});
}

void percpu_tlb_handle::append_counters(counter_list& out) const {
  if (l2_.enabled()) {
    out.emplace_back("tlb.l2.hits", l2_hits_);
    out.emplace_back("tlb.l2.misses", l2_misses_);
    out.emplace_back("tlb.l2.evictions", l2_evictions_);
  }
  out.emplace_back("tlb.shootdowns.sent", sent_);
  out.emplace_back("tlb.shootdowns.posted", posted_);
  // Another initiator may be adding to it (this handle detached): read it
  // under the mailbox lock.
  std::lock_guard lock(mailbox_mutex_);
  out.emplace_back("tlb.shootdowns.received", received_);
}

}  // namespace vm::tlb
