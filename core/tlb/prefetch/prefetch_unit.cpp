#include "tlb/prefetch/prefetch_unit.h"

#include <algorithm>
#include <string>

namespace vm::tlb {
namespace {

prefetch_options clamped(prefetch_options o) noexcept {
  o.buffer_entries = std::clamp(o.buffer_entries, 1u, prefetch_options::kMaxBufferEntries);
  o.degree = std::clamp(o.degree, 1u, prefetch_options::kMaxDegree);
  return o;
}

}  // namespace

error check_prefetch_options(const prefetch_options& o) {
  if (o.buffer_entries < 1 || o.buffer_entries > prefetch_options::kMaxBufferEntries) {
    return {error_code::kInvalidArgument,
            "prefetch buffer entries " + std::to_string(o.buffer_entries) + " out of range (1.." +
                std::to_string(prefetch_options::kMaxBufferEntries) + ")"};
  }
  if (o.degree < 1 || o.degree > prefetch_options::kMaxDegree) {
    return {error_code::kInvalidArgument, "prefetch degree " + std::to_string(o.degree) +
                                              " out of range (1.." +
                                              std::to_string(prefetch_options::kMaxDegree) + ")"};
  }
  return error::ok();
}

prefetch_unit::prefetch_unit(std::unique_ptr<prefetcher> p, prefetch_options o)
    : prefetcher_(std::move(p)),
      options_(clamped(o)),
      buffer_(prefetcher_ ? options_.buffer_entries : 0),
      predictions_(options_.degree) {}

unsigned prefetch_unit::buffered() const noexcept {
  return static_cast<unsigned>(
      std::count_if(buffer_.begin(), buffer_.end(), [](const slot& s) { return s.valid; }));
}

bool prefetch_unit::holds(uint64_t vaddr, uint16_t asid) const noexcept {
  for (const slot& s : buffer_) {
    if (s.valid && s.t.contains(vaddr) && s.t.visible_to(asid)) return true;
  }
  return false;
}

const translation* prefetch_unit::on_tlb_miss(uint64_t vaddr, access_type type,
                                              const miss_context& ctx,
                                              const tlb_event_source& events) noexcept {
  const uint64_t vpn = vaddr >> kPageShift;
  const translation* served = nullptr;
  for (slot& s : buffer_) {  // empty without a prefetcher
    if (s.valid && s.t.serves(vaddr, ctx.asid, type)) {
      s.valid = false;
      served_ = s.t;
      served = &served_;
      if (s.issued_at + options_.latency <= ctx.now) {
        ++counters_.useful;
      } else {
        ++counters_.late;
      }
      confidence_ = std::min(confidence_ + 2, kConfidenceMax);
      break;
    }
  }

  tracker_.on_miss(vpn, ctx.asid);
  if (prefetcher_ == nullptr) return nullptr;

  const unsigned n = std::min(
      prefetcher_->on_miss(vpn, ctx.asid, predictions_.data(), options_.degree), options_.degree);
  // Throttled (recent prefetches were mostly wasted): the prefetcher keeps
  // training, but only every kSampleEvery-th miss issues, to notice when
  // its predictions become good again.
  if (n > 0 && confidence_ < kConfidenceThreshold && ++sampled_misses_ % kSampleEvery != 0) {
    counters_.throttled += n;
    return served;
  }
  for (unsigned i = 0; i < n; ++i) {
    prefetch(predictions_[i] << kPageShift, vaddr, served, ctx, events);
  }
  return served;
}

void prefetch_unit::prefetch(uint64_t page_vaddr, uint64_t demand_vaddr, const translation* served,
                             const miss_context& ctx, const tlb_event_source& events) noexcept {
  prefetch_event event{page_vaddr, false, ctx.now};
  if ((served != nullptr && served->contains(page_vaddr)) || holds(page_vaddr, ctx.asid)) {
    events.publish(event);  // already present: no walk
    return;
  }
  ++counters_.walks;
  translation t;
  if (!ctx.prefetch_walk(page_vaddr, t)) {
    ++counters_.dropped;
    confidence_ = std::max(confidence_ - 1, 0);
    events.publish(event);
    return;
  }
  // A large page holding the demand address too: the caller is about to
  // walk and install this very translation, so buffering it is no use.
  if (!t.contains(demand_vaddr)) {
    fill(t, ctx.now);
    ++counters_.issued;
    event.filled = true;
  }
  events.publish(event);
}

void prefetch_unit::fill(const translation& t, uint64_t now) noexcept {
  slot* target = nullptr;
  for (slot& s : buffer_) {
    if (!s.valid) {
      target = &s;
      break;
    }
    if (target == nullptr || s.order < target->order) target = &s;
  }
  if (target->valid) {  // the oldest, never used
    ++counters_.useless;
    confidence_ = std::max(confidence_ - 1, 0);
  }
  *target = slot{t, now, next_order_++, true};
}

void prefetch_unit::flush(const flush_request& r) noexcept {
  for (slot& s : buffer_) {
    if (s.valid && r.covers(s.t)) {
      s.valid = false;
      ++counters_.useless;
    }
  }
}

void prefetch_unit::append_counters(counter_list& out) const {
  if (enabled()) {
    out.emplace_back("tlb.prefetch.issued", counters_.issued);
    out.emplace_back("tlb.prefetch.useful", counters_.useful);
    out.emplace_back("tlb.prefetch.late", counters_.late);
    out.emplace_back("tlb.prefetch.useless", counters_.useless);
    out.emplace_back("tlb.prefetch.dropped", counters_.dropped);
    out.emplace_back("tlb.prefetch.walks", counters_.walks);
    out.emplace_back("tlb.prefetch.throttled", counters_.throttled);
  }
  const miss_pattern_counters& p = tracker_.counters();
  out.emplace_back("tlb.pattern.sequential", p.sequential);
  out.emplace_back("tlb.pattern.strided", p.strided);
  out.emplace_back("tlb.pattern.random", p.random);
}

}  // namespace vm::tlb
