// replay_designs.h - builds the replay engine for every design but the
// default (mem_replay.cpp has that one), by design_visitor.h.
#pragma once

#include <memory>

#include "replay/address_space.h"
#include "replay/tlb_config.h"

namespace vm::replay {

class replay_engine;

// `config` is validated (parse_tlb_config).
std::unique_ptr<replay_engine> make_design_engine(address_space& space, uint32_t cpus,
                                                  const tlb_config& config);

}  // namespace vm::replay
