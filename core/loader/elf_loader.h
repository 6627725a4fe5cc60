// elf_loader.h - reads and validates RISC-V ELF64 static executables.
//
// This is the edge where untrusted files enter: every field the rest of the
// core uses is checked here, and a problem becomes one message naming the
// file, the offset and what was wrong. The rest of the core trusts an
// elf_image.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace vm::loader {

struct elf_segment {
  uint64_t vaddr = 0;
  uint64_t paddr = 0;
  uint64_t memory_size = 0;
  uint64_t file_size = 0;
  uint64_t file_offset = 0;
  bool readable = false;
  bool writable = false;
  bool executable = false;
};

// A function symbol of .symtab (STT_FUNC, defined: st_value != 0).
struct elf_function {
  std::string name;
  uint64_t address = 0;
  uint64_t size = 0;
};

struct elf_image {
  std::string path;
  std::vector<uint8_t> bytes;  // the whole file
  uint64_t entry = 0;
  std::vector<elf_segment> segments;   // PT_LOAD, sorted by vaddr, non-overlapping
  uint64_t program_headers_vaddr = 0;  // 0 when not inside a loaded segment
  uint64_t program_header_count = 0;
  // HTIF symbols of bare-metal programs (spike's convention).
  std::optional<uint64_t> tohost;
  std::optional<uint64_t> fromhost;
  // Defined function symbols, in .symtab order (empty for stripped files):
  // the accelerated guest libc calls (linux/native_calls.h) find memcpy,
  // memset and memmove here.
  std::vector<elf_function> functions;

  bool bare_metal() const noexcept { return tohost.has_value(); }
  uint64_t end_of_image() const noexcept;  // highest vaddr + memory_size
  // The address of the defined function `name`, if the symbol table has one.
  std::optional<uint64_t> function(std::string_view name) const noexcept;
};

// Largest file accepted.
inline constexpr uint64_t kMaxFileBytes = 1ull << 30;
// Largest total memory image accepted (sum of PT_LOAD memory sizes).
inline constexpr uint64_t kMaxImageBytes = 1ull << 32;
// Highest user virtual address (exclusive): Sv39 user half.
inline constexpr uint64_t kUserAddressLimit = 1ull << 38;

// Reads `path` and validates it. Errors: kIo (cannot open or read, not a
// regular file), kBadInput (malformed, or larger than kMaxFileBytes),
// kUnsupported (valid ELF we cannot run: wrong machine, 32-bit, big-endian,
// dynamically linked, position-independent, relocatable).
result<elf_image> load_elf(const std::string& path);

// Same, for bytes already in memory (tests, fuzzing).
result<elf_image> parse_elf(std::string path, std::vector<uint8_t> bytes);

}  // namespace vm::loader
