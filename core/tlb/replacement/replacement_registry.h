// replacement_registry.h - replacement policies by name, as configuration
// strings spell them (`repl=srrip`). The policies are a table in
// replacement_registry.cpp: a new policy is one folder under replacement/
// and one line in that table.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "tlb/replacement/replacement_policy.h"

namespace vm::tlb {

// Accepts lru, tree-plru (also "plru"), fifo, random, clock, srrip,
// adaptive (= adaptive:lru:srrip) and adaptive:A:B where A and B are any
// non-adaptive names. `seed` drives `random` (an adaptive policy's second
// component gets a seed derived from it, so A and B never draw alike).
// The policy still needs reset(sets, ways) before use.
// Errors: kInvalidArgument, naming the bad part and listing the accepted
// names.
result<std::unique_ptr<replacement_policy>> make_replacement_policy(std::string_view name,
                                                                    uint64_t seed);

// The accepted names, for messages: "lru, tree-plru, fifo, random, clock,
// srrip, adaptive[:A:B]".
std::string replacement_policy_names();

}  // namespace vm::tlb
