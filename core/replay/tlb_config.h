// tlb_config.h - the TLB configuration a replay asks for. The parser lives
// with the designs (tlb/tlb_config.h); replay and the harness name it here.
#pragma once

#include "tlb/tlb_config.h"

namespace vm::replay {

using tlb::parse_tlb_config;
using tlb::tlb_config;
using tlb::to_string;

// The accepted forms, for messages.
inline std::string supported_tlb_configs() {
  return tlb::tlb_config_syntax();
}

}  // namespace vm::replay
