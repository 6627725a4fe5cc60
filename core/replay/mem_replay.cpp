// mem_replay.cpp - a whole trace through one design (replay_mem), the
// replayer facade, and the default design's engine.

#include "replay/mem_replay.h"

#include <chrono>
#include <memory>

#include "replay/mem_replayer_impl.h"
#include "replay/replay_designs.h"

namespace vm::replay {

bool same_counters(const mem_replay_counters& a, const mem_replay_counters& b) noexcept {
  const mmu::mmu_counters& m = a.memory;
  const mmu::mmu_counters& n = b.memory;
  return a.records == b.records && a.accesses == b.accesses && a.bytes == b.bytes &&
         a.faults == b.faults && a.other_records == b.other_records &&
         a.accesses_per_cpu == b.accesses_per_cpu && a.checksum == b.checksum &&
         m.l1.hits == n.l1.hits && m.l1.misses == n.l1.misses && m.l1.flushes == n.l1.flushes &&
         m.walks == n.walks && m.pte_reads == n.pte_reads && m.page_faults == n.page_faults &&
         m.access_faults == n.access_faults && a.tlb == b.tlb;
}

// The default design's engine: mmu::mmu, whose cold paths mmu.cpp holds.
template class basic_mem_replayer<mmu::default_tlb>;

mem_replayer::mem_replayer(address_space& space, uint32_t cpus, const tlb_config& tlb)
    : engine_(tlb.design == tlb::design_kind::kDefault
                  ? std::make_unique<basic_mem_replayer<mmu::default_tlb>>(space, cpus)
                  : make_design_engine(space, cpus, tlb)) {}

mem_replayer::~mem_replayer() = default;

void mem_replayer::replay(const trace::record* records, size_t count,
                          uint64_t first_record) noexcept {
  engine_->replay(records, count, first_record);
}

mem_replay_counters mem_replayer::counters() const {
  return engine_->counters();
}

result<mem_replay_report> replay_mem(trace::trace_reader& reader,
                                     const mem_replay_options& options) {
  using clock = std::chrono::steady_clock;
  if (reader.kind() != trace::trace_kind::kMem)
    return error{error_code::kInvalidArgument, reader.path() + ": a " +
                                                   std::string(trace::kind_name(reader.kind())) +
                                                   " trace, not a mem trace"};
  mem_replay_report report;
  const auto setup_start = clock::now();
  auto space = address_space::build(reader.metadata().page_map, options.page_size, reader.path(),
                                    options.placement);
  if (!space.ok()) return std::move(space).err();
  report.space = space.value()->info();
  if (options.prefault) space.value()->prefault();
  mem_replayer replayer(*space.value(), reader.metadata().cpus, options.tlb);
  VM_PROPAGATE(reader.seek_chunk(0));
  trace::decoded_chunk chunk;
  const auto replay_start = clock::now();
  for (;;) {
    auto more = reader.next(chunk);
    if (!more.ok()) return std::move(more).err();
    if (!more.value()) break;
    replayer.replay(chunk.records.data(), chunk.records.size(), chunk.first_record);
  }
  const auto replay_end = clock::now();
  report.counters = replayer.counters();
  report.memory = space.value()->ram().report();
  report.setup_seconds = std::chrono::duration<double>(replay_start - setup_start).count();
  report.replay_seconds = std::chrono::duration<double>(replay_end - replay_start).count();
  return report;
}

double bare_tlb_lookup_ns(uint64_t lookups) {
  using clock = std::chrono::steady_clock;
  constexpr uint64_t kBase = 0x10000;
  constexpr uint64_t kBytes = 64 << 10;  // 16 pages, as the measured trace
  auto tlb = std::make_unique<mmu::l1_tlb>();
  for (uint64_t page = kBase; page < kBase + kBytes; page += mem::kPageSize) {
    tlb::tlb_entry e;
    e.tag[0] = e.tag[1] = page;
    e.host_addend = page * 3;
    tlb->insert(page, e);
  }
  if (lookups == 0) lookups = 1;
  uint64_t sum = 0;
  const auto start = clock::now();
  for (uint64_t i = 0; i < lookups; ++i) {
    const uint64_t vaddr = kBase + ((i * 8) & (kBytes - 1));
    const tlb::tlb_entry* e = tlb->find<tlb::access_type::kRead>(vaddr & ~mem::kPageMask,
                                                                 mmu::aligned_key<uint64_t>(vaddr));
    sum += e != nullptr ? e->host_addend : 1;
  }
  const auto end = clock::now();
  // Keep the lookups: the compiler must assume the sum is used.
  asm volatile("" : : "r"(sum) : "memory");
  return std::chrono::duration<double, std::nano>(end - start).count() /
         static_cast<double>(lookups);
}

}  // namespace vm::replay
