// disassembler.h - text form of a decoded instruction, for diagnostics.
#pragma once

#include <cstdint>
#include <string>

#include "isa/opcode.h"

namespace vm::isa {

// "addi a0, a0, 16"-style text (ABI register names).
std::string disassemble(const decoded_instruction& d);

const char* register_name(unsigned index) noexcept;

}  // namespace vm::isa
