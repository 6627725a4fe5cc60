// mini_elf.h - builds small RISC-V ELF64 executables in memory for loader
// and end-to-end tests, and writes them to temporary files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vm::test {

struct mini_segment {
  uint64_t vaddr = 0x10000;
  std::vector<uint8_t> data;
  uint64_t memory_size = 0;  // 0: data.size()
  uint32_t flags = 5;        // PF_R | PF_X
};

// A static ET_EXEC for EM_RISCV with the given segments and entry point.
std::vector<uint8_t> make_elf(const std::vector<mini_segment>& segments, uint64_t entry);

// An executable whose single R+X segment at 0x10000 holds `code` (32-bit
// words), entry at its start.
std::vector<uint8_t> make_program(const std::vector<uint32_t>& code);

// Writes bytes to a fresh file under the system temp directory; returns its path.
std::string write_temp_file(const std::vector<uint8_t>& bytes, const std::string& stem);

}  // namespace vm::test
