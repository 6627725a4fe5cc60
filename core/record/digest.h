// digest.h - the state digests an exec trace ends with: a hash of the
// register file (x1..x31 and pc) and of guest memory (every mapped page,
// with its virtual address, in address order).
#pragma once

#include <string>

#include "cpu/guest_state.h"
#include "linux/process.h"

namespace vm::record {

std::string register_hash(const cpu::guest_state& state);
std::string memory_hash(const linux_abi::process& process);

}  // namespace vm::record
