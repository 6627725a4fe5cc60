// bits.h - bit-field helpers shared by the decoder, walker and interpreter.
#pragma once

#include <cstdint>

namespace vm {

// Bits [hi:lo] of `value`, shifted down to bit 0.
constexpr uint64_t bits(uint64_t value, unsigned hi, unsigned lo) noexcept {
  return (value >> lo) & ((hi - lo + 1 == 64) ? ~0ull : ((1ull << (hi - lo + 1)) - 1));
}

// Sign-extends the low `width` bits of `value`.
constexpr int64_t sign_extend(uint64_t value, unsigned width) noexcept {
  const unsigned shift = 64 - width;
  return static_cast<int64_t>(value << shift) >> shift;
}

constexpr uint64_t sext32(uint64_t value) noexcept {
  return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(value)));
}

}  // namespace vm
