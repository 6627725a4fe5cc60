// replay_designs.cpp - replay engines for every design but the default
// (mem_replay.cpp), one instantiation of the replay loop per design type
// (design_visitor.h). The concurrent designs run single-threaded here:
// their locking and shootdown costs are part of what a replay measures.

#include "replay/replay_designs.h"

#include "replay/design_visitor.h"
#include "replay/mem_replayer_impl.h"

namespace vm::replay {

std::unique_ptr<replay_engine> make_design_engine(address_space& space, uint32_t cpus,
                                                  const tlb_config& config) {
  return visit_design(config, cpus, [&]<class Tlb>(auto&&... args) -> std::unique_ptr<replay_engine> {
    return std::make_unique<basic_mem_replayer<Tlb>>(space, cpus,
                                                     std::forward<decltype(args)>(args)...);
  });
}

}  // namespace vm::replay
