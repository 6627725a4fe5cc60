// format.h - text helpers for diagnostics.
#pragma once

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string>

namespace vm {

// "0x" followed by the value in lower-case hex, as diagnostics print
// addresses, offsets and instruction words.
inline std::string hex(uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, value);
  return buf;
}

}  // namespace vm
