// tlb_translator.h - an MMU with any configured TLB design behind one
// virtual interface, for callers that are not a hot loop: the differential
// tests (every design against the walker), tools. Replay does not use it:
// its engines inline each design's hit path (mem_replayer_impl.h).
#pragma once

#include <memory>

#include "mmu/mmu.h"
#include "replay/tlb_config.h"

namespace vm::replay {

class tlb_translator {
 public:
  virtual ~tlb_translator() = default;
  // mmu::basic_mmu's operations of the same names.
  virtual mmu::access_status translate(uint64_t vaddr, tlb::access_type type,
                                       uint64_t& paddr) noexcept = 0;
  virtual mmu::access_status load8(uint64_t vaddr, uint64_t& value) noexcept = 0;
  virtual void flush(const tlb::flush_request& request) noexcept = 0;
  virtual void change_context() noexcept = 0;
  virtual void select_cpu(unsigned cpu) noexcept = 0;
  virtual const mmu::fault_info& fault() const noexcept = 0;
  virtual const mmu::mmu_counters& counters() const noexcept = 0;
  virtual tlb::counter_list design_counters() const = 0;
  virtual void subscribe(tlb::tlb_event_sink* sink) noexcept = 0;
};

// `config` is validated (parse_tlb_config); `cpus` vCPUs for the concurrent
// designs. ram and state outlive the result.
std::unique_ptr<tlb_translator> make_tlb_translator(mem::guest_ram& ram, cpu::guest_state& state,
                                                    const tlb_config& config, unsigned cpus = 2);

}  // namespace vm::replay
