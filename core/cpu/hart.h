// hart.h - one RISC-V hart: the interpreter over decoded blocks, CSRs and
// trap delivery. Memory goes through mmu::mmu.
//
// Two ways to host a program:
//  - bare metal: every exception is delivered to the guest's trap vector;
//    HTIF stores end run() with kHostCall so the machine can act on them.
//  - user emulation (Linux user ABI, like qemu-user): an exception raised in
//    U-mode is not delivered but ends run() with kTrap, pc at the faulting
//    instruction (for ecall: retired, pc still at the ecall), so the host
//    can emulate the system call or the kernel's fault handling.
#pragma once

#include <cstdint>
#include <vector>

#include "cpu/access_log.h"
#include "cpu/block_cache.h"
#include "cpu/guest_state.h"
#include "mmu/mmu.h"

namespace vm::cpu {

enum class run_reason : uint8_t {
  kInstructionLimit,  // max_instructions retired
  kTrap,              // user emulation: exception from U-mode, see cause/tval
  kHostCall,          // HTIF tohost written
  kDoubleFault,       // the trap vector itself cannot be fetched
  kLogFull,           // the access log needs draining (pc is at a block boundary)
  kNativeCall,        // pc is at a native-call entry (set_native_calls); tval = its index
};

struct run_result {
  run_reason reason = run_reason::kInstructionLimit;
  exception cause = exception::kIllegalInstruction;
  uint64_t tval = 0;
};

struct hart_counters {
  uint64_t traps = 0;
  uint64_t blocks_built = 0;
  uint64_t block_cache_flushes = 0;
};

class hart {
 public:
  hart(mmu::mmu& memory, guest_state& state) noexcept;

  void set_user_emulation(bool on) noexcept { user_emulation_ = on; }

  // Runs until at least max_instructions more have retired (checked between
  // blocks, so it may overshoot by less than one block), or something in
  // run_reason happens.
  run_result run(uint64_t max_instructions) noexcept;
  // The same, appending every executed block and data access to `log`
  // (access_log.h); returns kLogFull when it must be drained.
  run_result run(uint64_t max_instructions, access_log& log) noexcept;

  // Delivers an exception to the guest as the privileged spec describes
  // (delegation through medeleg, xepc/xcause/xtval, mstatus stacking).
  void take_trap(exception cause, uint64_t tval) noexcept;

  // Resets state for a fresh hart: M-mode, misa/mstatus as implemented.
  void reset(uint64_t pc) noexcept;

  // Discards cached translations and decoded code (after the host edits
  // page tables or guest memory holding code).
  void flush_translations() noexcept;

  // CSR access with the architectural permission checks. False means the
  // access raises an illegal-instruction exception. `instret_now` is the
  // value counters read (instructions retired before this one).
  bool read_csr(uint32_t number, uint64_t instret_now, uint64_t& value) noexcept;
  bool write_csr(uint32_t number, uint64_t value) noexcept;

  // Guest functions the host runs natively (linux/native_calls.h): a block
  // starting at pcs[i] ends run() with kNativeCall and tval = i before any
  // of its instructions retires. The host then either completes the call
  // itself (sets the return value and pc) or calls run_native_call_guest()
  // so that the guest's own code runs this once. Logged runs (recording)
  // never stop here: they must see the guest's own accesses. Replaces any
  // earlier set and drops the decoded blocks.
  void set_native_calls(std::vector<uint64_t> pcs) noexcept;
  void run_native_call_guest() noexcept { native_bypass_ = true; }

  guest_state& state() noexcept { return state_; }
  mmu::mmu& memory() noexcept { return mmu_; }
  hart_counters counters() const noexcept;

 private:
  template <bool kLogged>
  run_result run_blocks(uint64_t max_instructions, access_log* log) noexcept;
  block* translate_block(uint64_t pc, const void* const* handlers, bool native_calls,
                         run_result& fault) noexcept;
  bool csr_accessible(uint32_t number, bool write) const noexcept;
  void set_privilege(privilege p) noexcept;

  mmu::mmu& mmu_;
  guest_state& state_;
  block_cache blocks_;
  // The dispatch table whose handler addresses the cached blocks hold: the
  // logged and plain interpreters each have their own.
  const void* const* blocks_dispatch_ = nullptr;
  bool user_emulation_ = false;
  std::vector<uint64_t> native_calls_;  // entry pcs; index = kNativeCall's imm
  bool native_bypass_ = false;          // the next kNativeCall runs the guest's code
  uint64_t traps_ = 0;
};

}  // namespace vm::cpu
