#include "isa/disassembler.h"

#include <cstdio>
#include <string>

namespace vm::isa {

const char* register_name(unsigned index) noexcept {
  static constexpr const char* kNames[33] = {
      "zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "s0", "s1", "a0",
      "a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
      "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6", "zero"};
  return index < 33 ? kNames[index] : "?";
}

std::string disassemble(const decoded_instruction& d) {
  std::string text(mnemonic(d.operation));
  if (d.operation == op::kIllegal) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " 0x%08x", static_cast<uint32_t>(d.imm));
    return text + buf;
  }
  text += ' ';
  text += register_name(d.rd);
  text += ", ";
  text += register_name(d.rs1);
  text += ", ";
  text += register_name(d.rs2);
  text += ", ";
  text += std::to_string(d.imm);
  return text;
}

}  // namespace vm::isa
