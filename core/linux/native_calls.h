// native_calls.h - guest libc functions the host runs natively: when the
// guest calls memcpy, memset or memmove (found by name in the ELF symbol
// table), the host does the whole call with the SIMD kernels (core/simd)
// instead of interpreting the guest's copy loop.
//
// The call is done only when it is exactly equivalent to the guest's own
// code: every page of both ranges is translated first (one walk per page,
// demand-paging as the guest's accesses would), and the call is declined,
// so that the guest's code runs instead, when a page cannot be accessed
// (the guest's code then takes the fault itself) or when memcpy's ranges
// overlap (undefined in C: the guest's code decides what happens).
//
// An accelerated call retires one instruction (instret and the instruction
// limit count it as one), so instruction counts differ from qemu-riscv64's:
// acceleration is off unless asked for (`vmbench exec --accelerate`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace vm::linux_abi {

enum class native_function : uint8_t { kMemcpy, kMemset, kMemmove, kCount };

// Bit (1 << native_function) per function.
inline constexpr uint32_t kNativeNone = 0;
inline constexpr uint32_t kNativeAll = (1u << static_cast<unsigned>(native_function::kCount)) - 1;

const char* native_function_name(native_function f) noexcept;

// "memcpy,memset", "all" or "none" -> a bit set; errors name the bad part
// and the accepted names (kInvalidArgument).
result<uint32_t> parse_native_functions(std::string_view list);
// The inverse: "none", "all", or the names joined by ','.
std::string native_functions_string(uint32_t set);

struct native_call_counters {
  uint64_t calls = 0;     // calls the host completed
  uint64_t declined = 0;  // calls left to the guest's code (fault, overlap)
  uint64_t bytes = 0;     // bytes copied or set by the completed calls
};

}  // namespace vm::linux_abi
