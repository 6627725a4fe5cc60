// csr.cpp - control and status registers and trap delivery (privileged spec
// chapters "Machine-Level ISA" and "Supervisor-Level ISA").

#include <utility>

#include "cpu/hart.h"
#include "mmu/sv39.h"

namespace vm::cpu {
namespace {

namespace csr {
constexpr uint32_t kSstatus = 0x100, kSie = 0x104, kStvec = 0x105, kScounteren = 0x106,
                   kSenvcfg = 0x10a, kSscratch = 0x140, kSepc = 0x141, kScause = 0x142,
                   kStval = 0x143, kSip = 0x144, kSatp = 0x180;
constexpr uint32_t kMstatus = 0x300, kMisa = 0x301, kMedeleg = 0x302, kMideleg = 0x303,
                   kMie = 0x304, kMtvec = 0x305, kMcounteren = 0x306, kMenvcfg = 0x30a,
                   kMcountinhibit = 0x320, kMscratch = 0x340, kMepc = 0x341, kMcause = 0x342,
                   kMtval = 0x343, kMip = 0x344;
constexpr uint32_t kMcycle = 0xb00, kMinstret = 0xb02, kCycle = 0xc00, kTime = 0xc01,
                   kInstret = 0xc02, kHpmcounter31 = 0xc1f;
constexpr uint32_t kMvendorid = 0xf11, kMarchid = 0xf12, kMimpid = 0xf13, kMhartid = 0xf14,
                   kMconfigptr = 0xf15;
}  // namespace csr

// misa: MXL = 2 (64-bit) and the extensions A, C, I, M, S, U.
constexpr uint64_t kMisa =
    (2ull << 62) | (1u << 0) | (1u << 2) | (1u << 8) | (1u << 12) | (1u << 18) | (1u << 20);
// mstatus.UXL = SXL = 2: U and S are 64-bit.
constexpr uint64_t kXlen64 = (2ull << 32) | (2ull << 34);
// Synchronous exceptions that medeleg may delegate (not ecall-from-M).
constexpr uint64_t kDelegable = 0xb3ff;
// Virtual time: the guest timer ticks at 10 MHz and one instruction retires
// per virtual nanosecond, so time = instret / 100.
constexpr uint64_t kInstructionsPerTimeTick = 100;
// mcounteren/scounteren: only CY, TM and IR can be enabled; the HPM bits of
// the hardwired-zero hpmcounters are read-only zero.
constexpr uint64_t kCounterEnableBits = 7;

bool is_hpm_counter(uint32_t n) {
  return (n >= 0xb03 && n <= 0xb1f) || (n >= 0xc03 && n <= 0xc1f) || (n >= 0x323 && n <= 0x33f);
}
bool is_pmp(uint32_t n) {
  return n >= 0x3a0 && n <= 0x3ef;
}

}  // namespace

const char* describe(exception cause) noexcept {
  switch (cause) {
    case exception::kInstructionMisaligned: return "instruction address misaligned";
    case exception::kInstructionAccessFault: return "instruction access fault";
    case exception::kIllegalInstruction: return "illegal instruction";
    case exception::kBreakpoint: return "breakpoint";
    case exception::kLoadMisaligned: return "load address misaligned";
    case exception::kLoadAccessFault: return "load access fault";
    case exception::kStoreMisaligned: return "store/AMO address misaligned";
    case exception::kStoreAccessFault: return "store/AMO access fault";
    case exception::kEcallFromUser: return "environment call from U-mode";
    case exception::kEcallFromSupervisor: return "environment call from S-mode";
    case exception::kEcallFromMachine: return "environment call from M-mode";
    case exception::kInstructionPageFault: return "instruction page fault";
    case exception::kLoadPageFault: return "load page fault";
    case exception::kStorePageFault: return "store/AMO page fault";
  }
  return "unknown exception";
}

hart::hart(mmu::mmu& memory, guest_state& state) noexcept : mmu_(memory), state_(state) {}

void hart::reset(uint64_t pc) noexcept {
  state_ = guest_state{};
  state_.pc = pc;
  state_.priv = privilege::kMachine;
  state_.csr.misa = kMisa;
  state_.csr.mstatus = kXlen64;
  flush_translations();
}

void hart::set_native_calls(std::vector<uint64_t> pcs) noexcept {
  native_calls_ = std::move(pcs);
  native_bypass_ = false;
  flush_translations();
}

void hart::flush_translations() noexcept {
  mmu_.flush();
  blocks_.flush();
}

hart_counters hart::counters() const noexcept {
  return {traps_, blocks_.blocks_built(), blocks_.flushes()};
}

void hart::set_privilege(privilege p) noexcept {
  if (p != state_.priv) {
    state_.priv = p;
    mmu_.flush();  // permissions in the TLB depend on the privilege
  }
}

bool hart::csr_accessible(uint32_t number, bool write) const noexcept {
  const auto required = static_cast<privilege>((number >> 8) & 3);
  if (static_cast<uint8_t>(state_.priv) < static_cast<uint8_t>(required)) return false;
  if (write && ((number >> 10) & 3) == 3) return false;  // read-only space
  return true;
}

bool hart::read_csr(uint32_t number, uint64_t instret_now, uint64_t& value) noexcept {
  if (!csr_accessible(number, false)) return false;
  csr_state& c = state_.csr;
  if (number >= csr::kCycle && number <= csr::kHpmcounter31) {
    // User-level counters: below M-mode each needs its mcounteren bit (and
    // its scounteren bit in U-mode), else the read is illegal. The enable
    // bits of the hardwired hpmcounters are read-only zero.
    const uint64_t bit = (1ull << (number - csr::kCycle)) & kCounterEnableBits;
    if (state_.priv != privilege::kMachine && !(c.mcounteren & bit)) return false;
    if (state_.priv == privilege::kUser && !(c.scounteren & bit)) return false;
    value = number == csr::kTime ? instret_now / kInstructionsPerTimeTick
            : number == csr::kCycle || number == csr::kInstret ? instret_now
                                                               : 0;  // hpmcounter3..31: hardwired
    return true;
  }
  switch (number) {
    case csr::kMcycle:
    case csr::kMinstret: value = instret_now; return true;
    case csr::kSstatus: value = c.mstatus & mstatus::kSstatusMask; return true;
    case csr::kSie: value = c.mie & c.mideleg; return true;
    case csr::kSip: value = c.mip & c.mideleg; return true;
    case csr::kStvec: value = c.stvec; return true;
    case csr::kScounteren: value = c.scounteren; return true;
    case csr::kSscratch: value = c.sscratch; return true;
    case csr::kSepc: value = c.sepc; return true;
    case csr::kScause: value = c.scause; return true;
    case csr::kStval: value = c.stval; return true;
    case csr::kSatp:
      if (state_.priv == privilege::kSupervisor && (c.mstatus & mstatus::kTvm)) return false;
      value = c.satp;
      return true;
    case csr::kMstatus: value = c.mstatus; return true;
    case csr::kMisa: value = c.misa; return true;
    case csr::kMedeleg: value = c.medeleg; return true;
    case csr::kMideleg: value = c.mideleg; return true;
    case csr::kMie: value = c.mie; return true;
    case csr::kMip: value = c.mip; return true;
    case csr::kMtvec: value = c.mtvec; return true;
    case csr::kMcounteren: value = c.mcounteren; return true;
    case csr::kMscratch: value = c.mscratch; return true;
    case csr::kMepc: value = c.mepc; return true;
    case csr::kMcause: value = c.mcause; return true;
    case csr::kMtval: value = c.mtval; return true;
    case csr::kMhartid: value = c.mhartid; return true;
    case csr::kMvendorid:
    case csr::kMarchid:
    case csr::kMimpid:
    case csr::kMconfigptr:
    case csr::kMenvcfg:
    case csr::kSenvcfg:
    case csr::kMcountinhibit: value = 0; return true;
    default:
      if (is_hpm_counter(number) || is_pmp(number)) {
        value = 0;  // hardwired to zero, as the spec allows
        return true;
      }
      return false;
  }
}

bool hart::write_csr(uint32_t number, uint64_t value) noexcept {
  if (!csr_accessible(number, true)) return false;
  csr_state& c = state_.csr;
  switch (number) {
    case csr::kSstatus:
      c.mstatus = (c.mstatus & ~mstatus::kWritable) |
                  (((c.mstatus & ~mstatus::kSstatusMask) | (value & mstatus::kSstatusMask)) &
                   mstatus::kWritable);
      c.mstatus |= kXlen64;
      mmu_.flush();
      return true;
    case csr::kSie: c.mie = (c.mie & ~c.mideleg) | (value & c.mideleg); return true;
    case csr::kSip: return true;  // no software-writable supervisor interrupts
    case csr::kStvec: c.stvec = value & ~2ull; return true;
    case csr::kScounteren: c.scounteren = value & kCounterEnableBits; return true;
    case csr::kSscratch: c.sscratch = value; return true;
    case csr::kSepc: c.sepc = value & ~1ull; return true;
    case csr::kScause: c.scause = value; return true;
    case csr::kStval: c.stval = value; return true;
    case csr::kSatp: {
      if (state_.priv == privilege::kSupervisor && (c.mstatus & mstatus::kTvm)) return false;
      const uint64_t mode = mmu::sv39::satp::mode(value);
      // WARL: a mode we do not implement leaves satp unchanged.
      if (mode != mmu::sv39::satp::kModeBare && mode != mmu::sv39::satp::kModeSv39) return true;
      c.satp = value;
      flush_translations();
      return true;
    }
    case csr::kMstatus: {
      uint64_t next = (c.mstatus & ~mstatus::kWritable) | (value & mstatus::kWritable);
      // MPP is WARL: the reserved encoding 2 reads back as U.
      if (((next & mstatus::kMpp) >> mstatus::kMppShift) == 2) next &= ~mstatus::kMpp;
      c.mstatus = next | kXlen64;
      mmu_.flush();
      return true;
    }
    case csr::kMisa: return true;  // WARL: extensions cannot be switched off
    case csr::kMedeleg: c.medeleg = value & kDelegable; return true;
    case csr::kMideleg: c.mideleg = value & 0x222; return true;
    case csr::kMie: c.mie = value & 0xaaa; return true;
    case csr::kMip: c.mip = (c.mip & ~0x222ull) | (value & 0x222); return true;
    case csr::kMtvec: c.mtvec = value & ~2ull; return true;  // modes 0 and 1
    case csr::kMcounteren: c.mcounteren = value & kCounterEnableBits; return true;
    case csr::kMscratch: c.mscratch = value; return true;
    case csr::kMepc: c.mepc = value & ~1ull; return true;
    case csr::kMcause: c.mcause = value; return true;
    case csr::kMtval: c.mtval = value; return true;
    // Counters are derived from the retired-instruction count so that time
    // stays deterministic; writes to them are accepted and ignored.
    case csr::kMcycle:
    case csr::kMinstret:
    case csr::kMenvcfg:
    case csr::kSenvcfg:
    case csr::kMcountinhibit: return true;
    default: return is_hpm_counter(number) || is_pmp(number);
  }
}

void hart::take_trap(exception cause, uint64_t tval) noexcept {
  ++traps_;
  csr_state& c = state_.csr;
  const auto code = static_cast<uint64_t>(cause);
  const privilege from = state_.priv;
  state_.reservation = kNoReservation;
  if (from != privilege::kMachine && ((c.medeleg >> code) & 1)) {
    c.sepc = state_.pc;
    c.scause = code;
    c.stval = tval;
    uint64_t s = c.mstatus & ~(mstatus::kSpp | mstatus::kSpie | mstatus::kSie);
    if (c.mstatus & mstatus::kSie) s |= mstatus::kSpie;
    if (from == privilege::kSupervisor) s |= mstatus::kSpp;
    c.mstatus = s;
    state_.pc = c.stvec & ~3ull;
    set_privilege(privilege::kSupervisor);
    return;
  }
  c.mepc = state_.pc;
  c.mcause = code;
  c.mtval = tval;
  uint64_t m = c.mstatus & ~(mstatus::kMpp | mstatus::kMpie | mstatus::kMie);
  if (c.mstatus & mstatus::kMie) m |= mstatus::kMpie;
  m |= static_cast<uint64_t>(from) << mstatus::kMppShift;
  c.mstatus = m;
  state_.pc = c.mtvec & ~3ull;
  set_privilege(privilege::kMachine);
}

}  // namespace vm::cpu
