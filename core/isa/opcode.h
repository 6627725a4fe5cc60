// opcode.h - the operation set, expanded from rv64.inc, and the decoded form
// of one instruction that the interpreter (and later the JIT) consume.
#pragma once

#include <cstdint>
#include <string_view>

namespace vm::isa {

enum class op : uint8_t {
  kIllegal = 0,  // imm holds the raw instruction word
#define VM_INSN(name, mnemonic, pattern, format) k##name,
#include "isa/rv64.inc"
  kBlockEnd,    // synthetic: falls through to the next block at pc (+ length 0)
  kNativeCall,  // synthetic: heads a block at a host-accelerated function; imm = its index
  kCount
};

// Register index that absorbs writes to x0: the decoder rewrites rd == 0 to
// this so the interpreter never needs to re-zero x0 (guest_state has 33 slots).
inline constexpr uint8_t kSinkRegister = 32;

// One decoded instruction. 12 bytes; plain data so a JIT can read it.
struct decoded_instruction {
  op operation = op::kIllegal;
  uint8_t rd = 0;  // destination; kSinkRegister when the encoding names x0
  uint8_t rs1 = 0;
  uint8_t rs2 = 0;
  uint8_t length = 4;           // 2 for compressed forms
  uint8_t compressed_name = 0;  // index+1 of the VM_CINSN row, 0 if not compressed
  uint16_t pc_offset = 0;  // byte offset from the start of its block (set by the block builder)
  int32_t imm = 0;         // immediate, shift amount, CSR number (kCsr*), raw word (kIllegal)
};
static_assert(sizeof(decoded_instruction) == 12);

std::string_view mnemonic(op operation) noexcept;

}  // namespace vm::isa
