// guest_state.h - the architectural state of one RISC-V hart, as one plain
// struct. The interpreter, the trap logic and (later) JIT-generated code all
// address these fields directly, so keep it standard-layout and free of
// pointers and virtual functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace vm::cpu {

enum class privilege : uint8_t { kUser = 0, kSupervisor = 1, kMachine = 3 };

// Exception causes (mcause values with the interrupt bit clear).
enum class exception : uint8_t {
  kInstructionMisaligned = 0,
  kInstructionAccessFault = 1,
  kIllegalInstruction = 2,
  kBreakpoint = 3,
  kLoadMisaligned = 4,
  kLoadAccessFault = 5,
  kStoreMisaligned = 6,
  kStoreAccessFault = 7,
  kEcallFromUser = 8,
  kEcallFromSupervisor = 9,
  kEcallFromMachine = 11,
  kInstructionPageFault = 12,
  kLoadPageFault = 13,
  kStorePageFault = 15,
};

const char* describe(exception cause) noexcept;

// CSR values kept as plain fields. Counters (cycle, time, instret) are not
// stored: they are derived from guest_state::instret so that guest-visible
// time is virtual and deterministic.
struct csr_state {
  uint64_t mstatus = 0;
  uint64_t misa = 0;
  uint64_t medeleg = 0;
  uint64_t mideleg = 0;
  uint64_t mie = 0;
  uint64_t mip = 0;
  uint64_t mtvec = 0;
  uint64_t mscratch = 0;
  uint64_t mepc = 0;
  uint64_t mcause = 0;
  uint64_t mtval = 0;
  uint64_t mcounteren = 0;
  uint64_t mhartid = 0;
  uint64_t stvec = 0;
  uint64_t sscratch = 0;
  uint64_t sepc = 0;
  uint64_t scause = 0;
  uint64_t stval = 0;
  uint64_t scounteren = 0;
  uint64_t satp = 0;
};

inline constexpr uint64_t kNoReservation = ~0ull;

struct guest_state {
  // x[0] always reads zero; x[32] is the sink that absorbs writes whose
  // destination is x0 (see isa::kSinkRegister).
  uint64_t x[33] = {};
  uint64_t pc = 0;
  // Retired instructions. Drives cycle/time/instret and the guest's clock.
  uint64_t instret = 0;
  // LR/SC reservation: the virtual address reserved by the last LR, or
  // kNoReservation. SC and every trap clear it.
  uint64_t reservation = kNoReservation;
  privilege priv = privilege::kMachine;
  csr_state csr;
};

static_assert(std::is_standard_layout_v<guest_state>);

// mstatus fields used by the core.
namespace mstatus {
inline constexpr uint64_t kSie = 1ull << 1;
inline constexpr uint64_t kMie = 1ull << 3;
inline constexpr uint64_t kSpie = 1ull << 5;
inline constexpr uint64_t kUbe = 1ull << 6;
inline constexpr uint64_t kMpie = 1ull << 7;
inline constexpr uint64_t kSpp = 1ull << 8;
inline constexpr uint64_t kMppShift = 11;
inline constexpr uint64_t kMpp = 3ull << kMppShift;
inline constexpr uint64_t kFs = 3ull << 13;
inline constexpr uint64_t kMprv = 1ull << 17;
inline constexpr uint64_t kSum = 1ull << 18;
inline constexpr uint64_t kMxr = 1ull << 19;
inline constexpr uint64_t kTvm = 1ull << 20;
inline constexpr uint64_t kTw = 1ull << 21;
inline constexpr uint64_t kTsr = 1ull << 22;
inline constexpr uint64_t kUxl = 3ull << 32;
inline constexpr uint64_t kSxl = 3ull << 34;
// Bits software may change through mstatus; UXL/SXL read as 2 (64-bit).
inline constexpr uint64_t kWritable =
    kSie | kMie | kSpie | kMpie | kSpp | kMpp | kMprv | kSum | kMxr | kTvm | kTw | kTsr;
// The subset visible through sstatus.
inline constexpr uint64_t kSstatusMask = kSie | kSpie | kUbe | kSpp | kFs | kSum | kMxr | kUxl;
}  // namespace mstatus

}  // namespace vm::cpu
