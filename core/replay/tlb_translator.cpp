#include "replay/tlb_translator.h"

#include "mmu/mmu_slow.h"
#include "replay/design_visitor.h"

namespace vm::replay {
namespace {

template <class Tlb>
class translator final : public tlb_translator {
 public:
  template <class... Args>
  translator(mem::guest_ram& ram, cpu::guest_state& state, Args&&... args)
      : mmu_(ram, state, std::forward<Args>(args)...) {}

  mmu::access_status translate(uint64_t vaddr, tlb::access_type type,
                               uint64_t& paddr) noexcept override {
    return mmu_.translate(vaddr, type, paddr);
  }
  mmu::access_status load8(uint64_t vaddr, uint64_t& value) noexcept override {
    return mmu_.template load<uint64_t>(vaddr, value);
  }
  void flush(const tlb::flush_request& request) noexcept override { mmu_.flush(request); }
  void change_context() noexcept override { mmu_.change_context(); }
  void select_cpu(unsigned cpu) noexcept override { mmu_.select_cpu(cpu); }
  const mmu::fault_info& fault() const noexcept override { return mmu_.fault(); }
  const mmu::mmu_counters& counters() const noexcept override { return mmu_.counters(); }
  tlb::counter_list design_counters() const override { return mmu_.design_counters(); }
  void subscribe(tlb::tlb_event_sink* sink) noexcept override {
    mmu_.tlb().events().subscribe(sink);
  }

 private:
  mmu::basic_mmu<Tlb> mmu_;
};

}  // namespace

std::unique_ptr<tlb_translator> make_tlb_translator(mem::guest_ram& ram, cpu::guest_state& state,
                                                    const tlb_config& config, unsigned cpus) {
  return visit_design(config, cpus, [&]<class Tlb>(auto&&... args) -> std::unique_ptr<tlb_translator> {
    return std::make_unique<translator<Tlb>>(ram, state, std::forward<decltype(args)>(args)...);
  });
}

}  // namespace vm::replay
