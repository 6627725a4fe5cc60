// decoder.h - turns instruction words into decoded_instruction, driven by the
// bit patterns of rv64.inc.
#pragma once

#include <cstdint>

#include "isa/opcode.h"

namespace vm::isa {

// Length in bytes of the instruction whose low 16 bits are `low_half`:
// 2 for compressed, 4 otherwise (longer encodings are not implemented and
// decode as illegal).
constexpr unsigned instruction_length(uint16_t low_half) noexcept {
  return (low_half & 3) == 3 ? 4 : 2;
}

// Decodes a 32-bit instruction. Unknown or reserved encodings give
// op::kIllegal with imm = the raw word. Never fails otherwise.
decoded_instruction decode32(uint32_t word) noexcept;

// Decodes a 16-bit compressed instruction into the equivalent base
// operation (length 2). Reserved encodings (e.g. c.addi4spn with a zero
// immediate, c.lwsp with rd == 0) give op::kIllegal with imm = the raw half.
decoded_instruction decode16(uint16_t half) noexcept;

// Decodes whichever form `word` holds (low 16 bits first).
inline decoded_instruction decode(uint32_t word) noexcept {
  return instruction_length(static_cast<uint16_t>(word)) == 4
             ? decode32(word)
             : decode16(static_cast<uint16_t>(word));
}

}  // namespace vm::isa
