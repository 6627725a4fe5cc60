// interpreter.cpp - executes decoded blocks. The semantics of every
// operation in isa/rv64.inc live here, one case each.
//
// Hot loop shape: look up the block for pc (decoding it on first use), check
// that its page is still executable through the TLB, then run its decoded
// instructions with a switch. Only control transfers, traps and system
// instructions leave a block, so pc is kept in a local and written back once.

#include <climits>
#include <cstring>

#include "common/bits.h"
#include "cpu/hart.h"
#include "isa/decoder.h"

namespace vm::cpu {
namespace {

__extension__ typedef __int128 int128;
__extension__ typedef unsigned __int128 uint128;

using isa::op;

// Copies the exception the MMU just raised into a run result.
void report_fault(const mmu::mmu& memory, run_result& r) noexcept {
  r.cause = memory.fault().cause;
  r.tval = memory.fault().tval;
}

bool ends_block(op operation) noexcept {
  switch (operation) {
    case op::kJal:
    case op::kJalr:
    case op::kBeq:
    case op::kBne:
    case op::kBlt:
    case op::kBge:
    case op::kBltu:
    case op::kBgeu:
    case op::kEcall:
    case op::kEbreak:
    case op::kMret:
    case op::kSret:
    case op::kWfi:
    case op::kFenceI:
    case op::kSfenceVma:
    case op::kCsrrw:
    case op::kCsrrs:
    case op::kCsrrc:
    case op::kCsrrwi:
    case op::kCsrrsi:
    case op::kCsrrci:
    case op::kIllegal: return true;
    default: return false;
  }
}

// The instruction word of a decoded CSR instruction, for mtval on an
// illegal CSR access.
uint32_t csr_word(const isa::decoded_instruction& d) noexcept {
  uint32_t funct3 = 0;
  switch (d.operation) {
    case op::kCsrrw: funct3 = 1; break;
    case op::kCsrrs: funct3 = 2; break;
    case op::kCsrrc: funct3 = 3; break;
    case op::kCsrrwi: funct3 = 5; break;
    case op::kCsrrsi: funct3 = 6; break;
    default: funct3 = 7; break;
  }
  const uint32_t rd = d.rd == isa::kSinkRegister ? 0 : d.rd;
  return (static_cast<uint32_t>(d.imm) << 20) | (uint32_t{d.rs1} << 15) | (funct3 << 12) |
         (rd << 7) | 0x73;
}

int64_t div_signed(int64_t a, int64_t b) noexcept {
  if (b == 0) return -1;
  if (a == INT64_MIN && b == -1) return a;
  return a / b;
}
int64_t rem_signed(int64_t a, int64_t b) noexcept {
  if (b == 0) return a;
  if (a == INT64_MIN && b == -1) return 0;
  return a % b;
}
int32_t div_signed32(int32_t a, int32_t b) noexcept {
  if (b == 0) return -1;
  if (a == INT32_MIN && b == -1) return a;
  return a / b;
}
int32_t rem_signed32(int32_t a, int32_t b) noexcept {
  if (b == 0) return a;
  if (a == INT32_MIN && b == -1) return 0;
  return a % b;
}

// Semantics that do not fit on one handler line (RISC-V spec: M extension
// division table; shifts use the low 6 or 5 bits of the amount).
uint64_t mulh(uint64_t a, uint64_t b) noexcept {
  return static_cast<uint64_t>(
      (static_cast<int128>(static_cast<int64_t>(a)) * static_cast<int64_t>(b)) >> 64);
}
uint64_t mulhsu(uint64_t a, uint64_t b) noexcept {
  return static_cast<uint64_t>(
      (static_cast<int128>(static_cast<int64_t>(a)) * static_cast<int128>(b)) >> 64);
}
uint64_t mulhu(uint64_t a, uint64_t b) noexcept {
  return static_cast<uint64_t>((static_cast<uint128>(a) * b) >> 64);
}
uint64_t div(uint64_t a, uint64_t b) noexcept {
  return static_cast<uint64_t>(div_signed(static_cast<int64_t>(a), static_cast<int64_t>(b)));
}
uint64_t rem(uint64_t a, uint64_t b) noexcept {
  return static_cast<uint64_t>(rem_signed(static_cast<int64_t>(a), static_cast<int64_t>(b)));
}
uint64_t divw(uint64_t a, uint64_t b) noexcept {
  return sext32(
      static_cast<uint32_t>(div_signed32(static_cast<int32_t>(a), static_cast<int32_t>(b))));
}
uint64_t remw(uint64_t a, uint64_t b) noexcept {
  return sext32(
      static_cast<uint32_t>(rem_signed32(static_cast<int32_t>(a), static_cast<int32_t>(b))));
}
uint64_t divuw(uint64_t a, uint64_t b) noexcept {
  const auto n = static_cast<uint32_t>(a), d = static_cast<uint32_t>(b);
  return sext32(d == 0 ? ~0u : n / d);
}
uint64_t remuw(uint64_t a, uint64_t b) noexcept {
  const auto n = static_cast<uint32_t>(a), d = static_cast<uint32_t>(b);
  return sext32(d == 0 ? n : n % d);
}
uint64_t sra(uint64_t a, uint64_t shift) noexcept {
  return static_cast<uint64_t>(static_cast<int64_t>(a) >> (shift & 63));
}
uint64_t sraw(uint64_t a, uint64_t shift) noexcept {
  return sext32(static_cast<uint32_t>(static_cast<int32_t>(a) >> (shift & 31)));
}

template <class T>
T amo_apply(op operation, T old, T operand) noexcept {
  using S = std::make_signed_t<T>;
  switch (operation) {
    case op::kAmoswapW:
    case op::kAmoswapD: return operand;
    case op::kAmoaddW:
    case op::kAmoaddD: return static_cast<T>(old + operand);
    case op::kAmoxorW:
    case op::kAmoxorD: return old ^ operand;
    case op::kAmoandW:
    case op::kAmoandD: return old & operand;
    case op::kAmoorW:
    case op::kAmoorD: return old | operand;
    case op::kAmominW:
    case op::kAmominD: return static_cast<S>(old) < static_cast<S>(operand) ? old : operand;
    case op::kAmomaxW:
    case op::kAmomaxD: return static_cast<S>(old) > static_cast<S>(operand) ? old : operand;
    case op::kAmominuW:
    case op::kAmominuD: return old < operand ? old : operand;
    case op::kAmomaxuW:
    case op::kAmomaxuD: return old > operand ? old : operand;
    default: return old;
  }
}

}  // namespace

block* hart::translate_block(uint64_t pc, const void* const* handlers, bool native_calls,
                             run_result& fault) noexcept {
  if (!blocks_.has_room()) blocks_.flush();
  const uint64_t page_end = (pc | mem::kPageMask) + 1;
  const uint32_t first = blocks_.arena_size();
  if (native_calls) {
    // A native-call entry: the pseudo-instruction heads the block and the
    // guest's own code follows it (run when the host declines the call).
    for (size_t i = 0; i < native_calls_.size(); ++i) {
      if (native_calls_[i] != pc) continue;
      isa::decoded_instruction call;
      call.operation = op::kNativeCall;
      call.length = 0;
      call.imm = static_cast<int32_t>(i);
      blocks_.append(call, handlers[static_cast<uint8_t>(op::kNativeCall)]);
      break;
    }
  }
  uint32_t count = 0;
  bool crosses_page = false;
  const uint8_t* host = nullptr;
  if (mmu_.fetch(pc, host) != mmu::access_status::kOk) {
    report_fault(mmu_, fault);
    return nullptr;
  }
  const uint8_t* page_host = host - (pc & mem::kPageMask);
  uint64_t at = pc;
  while (at < page_end && count < block_cache::kMaxInstructions) {
    uint16_t low;
    std::memcpy(&low, page_host + (at & mem::kPageMask), 2);
    uint32_t word = low;
    if (isa::instruction_length(low) == 4) {
      if (at + 4 > page_end) {
        // The instruction straddles two pages: give it a block of its own
        // whose entry checks both pages.
        if (count > 0) break;
        const uint8_t* next_host = nullptr;
        if (mmu_.fetch(page_end, next_host) != mmu::access_status::kOk) {
          report_fault(mmu_, fault);
          return nullptr;
        }
        uint16_t high;
        std::memcpy(&high, next_host, 2);
        word |= uint32_t{high} << 16;
        crosses_page = true;
      } else {
        std::memcpy(&word, page_host + (at & mem::kPageMask), 4);
      }
    }
    isa::decoded_instruction d = isa::decode(word);
    d.pc_offset = static_cast<uint16_t>(at - pc);
    blocks_.append(d, handlers[static_cast<uint8_t>(d.operation)]);
    ++count;
    at += d.length;
    if (ends_block(d.operation) || crosses_page) {
      // A terminator leaves through its own case; no kBlockEnd is needed,
      // except after a straddling non-terminator.
      if (!ends_block(d.operation)) break;
      return blocks_.commit(pc, first, count, crosses_page);
    }
  }
  isa::decoded_instruction end;
  end.operation = op::kBlockEnd;
  end.length = 0;
  end.pc_offset = static_cast<uint16_t>(at - pc);
  blocks_.append(end, handlers[static_cast<uint8_t>(op::kBlockEnd)]);
  return blocks_.commit(pc, first, count, crosses_page);
}

run_result hart::run(uint64_t max_instructions) noexcept {
  return run_blocks<false>(max_instructions, nullptr);
}

run_result hart::run(uint64_t max_instructions, access_log& log) noexcept {
  return run_blocks<true>(max_instructions, &log);
}

template <bool kLogged>
run_result hart::run_blocks(uint64_t max_instructions, access_log* log) noexcept {
  guest_state& s = state_;
  uint64_t* const x = s.x;
  mmu::mmu& memory = mmu_;  // a local, so its address stays in a register
  const uint64_t limit =
      max_instructions > UINT64_MAX - s.instret ? UINT64_MAX : s.instret + max_instructions;
  run_result result;

  // Direct-threaded dispatch: every cached instruction holds its handler's
  // address, and every handler ends by jumping straight to the next one (one
  // indirect branch per instruction, predicted per site). The table maps
  // operations to handlers; it is expanded from rv64.inc like the op enum.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
  static const void* const kDispatch[] = {
      &&op_kIllegal,
#define VM_INSN(name, mnemonic, pattern, format) &&op_k##name,
#include "isa/rv64.inc"
      &&op_kBlockEnd,
      &&op_kNativeCall,
      &&op_kCount,
  };
  static_assert(sizeof kDispatch / sizeof kDispatch[0] == static_cast<size_t>(op::kCount) + 1);
  if (blocks_dispatch_ != kDispatch) {
    // Cached blocks hold the other interpreter's handler addresses.
    blocks_.flush();
    blocks_dispatch_ = kDispatch;
  }

  // The block that just ended in a plain control transfer (branch, jump,
  // fall-through), or nullptr after anything that may have changed the
  // translation context. Its page was checked executable since the last TLB
  // flush, so a successor on the same page needs no second check.
  block* from = nullptr;
  uint64_t pc = s.pc;
  while (s.instret < limit) {
    if constexpr (kLogged) {
      if (!log->has_room_for_block()) {
        s.pc = pc;
        result.reason = run_reason::kLogFull;
        return result;
      }
    }
    const block::successor_link* link = from != nullptr ? from->successor(pc) : nullptr;
    block* b = link != nullptr ? link->target : nullptr;
    if (link == nullptr || !link->same_page) {
      // ---- block entry: check execute permission through the TLB ----
      if (b == nullptr) b = blocks_.find(pc);
      const uint8_t* ignored;
      if (b != nullptr) {
        if (mmu_.fetch(pc, ignored) != mmu::access_status::kOk ||
            (b->crosses_page &&
             mmu_.fetch((pc | mem::kPageMask) + 1, ignored) != mmu::access_status::kOk)) {
          report_fault(mmu_, result);
          b = nullptr;
        }
      } else {
        const uint64_t flushes_before = blocks_.flushes();
        b = translate_block(pc, kDispatch, !kLogged, result);
        // A full cache was flushed to make room: `from` is gone with it.
        if (blocks_.flushes() != flushes_before) from = nullptr;
      }
      if (b == nullptr) {
        from = nullptr;
        if (user_emulation_ && s.priv == privilege::kUser) {
          result.reason = run_reason::kTrap;
          return result;
        }
        take_trap(result.cause, result.tval);
        if (s.pc == pc) {
          result.reason = run_reason::kDoubleFault;
          return result;
        }
        pc = s.pc;
        continue;
      }
      if (from != nullptr && link == nullptr) from->add_successor(pc, b);
    }
    from = nullptr;

    // The whole block is counted as retired on entry; an exit before its
    // last instruction (a trap, a host call) gives back the rest.
    s.instret += b->count;
    // The block's first guest instruction (a native-call block's pseudo-
    // instruction moves it on by one when the guest's code runs).
    const threaded_instruction* first = b->code;
    [[maybe_unused]] access_log::entry* block_entry = nullptr;
    if constexpr (kLogged) {
      const isa::decoded_instruction& last = first[b->count - 1].insn;
      block_entry = log->next;
      log->add(b->pc, b->count, static_cast<uint16_t>(last.pc_offset + last.length),
               access_log::kind::kBlock);
    }
    const threaded_instruction* ip = first;
    const uint64_t block_pc = b->pc;
    uint64_t next = 0;
    exception cause = exception::kIllegalInstruction;
    uint64_t tval = 0;

// On an early exit, the block's log entry shrinks to what retired (and
// goes, if nothing did: then nothing was logged after it either).
#define VM_LOG_BLOCK(retired, byte_count)                       \
  do {                                                          \
    if constexpr (kLogged) {                                    \
      if ((retired) > 0) {                                      \
        block_entry->size = static_cast<uint32_t>(retired);     \
        block_entry->bytes = static_cast<uint16_t>(byte_count); \
      } else {                                                  \
        log->next = block_entry;                                \
      }                                                         \
    }                                                           \
  } while (0)
// Logged runs record each data access once it has succeeded (a faulting
// access is retried after the fault is served, and logged then).
#define VM_LOG(address, size, access)                                            \
  do {                                                                           \
    if constexpr (kLogged) log->add(address, size, 0, access_log::kind::access); \
  } while (0)
#define VM_LOAD(type)                                                                \
  do {                                                                               \
    type v;                                                                          \
    const uint64_t address = x[ip->insn.rs1] + ip->insn.imm;                         \
    if (memory.load<type>(address, v) != mmu::access_status::kOk) goto memory_fault; \
    VM_LOG(address, sizeof(type), kRead);                                            \
    x[ip->insn.rd] = static_cast<uint64_t>(static_cast<int64_t>(v));                 \
  } while (0)
#define VM_LOADU(type)                                                               \
  do {                                                                               \
    type v;                                                                          \
    const uint64_t address = x[ip->insn.rs1] + ip->insn.imm;                         \
    if (memory.load<type>(address, v) != mmu::access_status::kOk) goto memory_fault; \
    VM_LOG(address, sizeof(type), kRead);                                            \
    x[ip->insn.rd] = v;                                                              \
  } while (0)
#define VM_STORE(type)                                                                             \
  do {                                                                                             \
    const uint64_t address = x[ip->insn.rs1] + ip->insn.imm;                                       \
    const mmu::access_status st = memory.store<type>(address, static_cast<type>(x[ip->insn.rs2])); \
    if (st != mmu::access_status::kOk) [[unlikely]] {                                              \
      if (st == mmu::access_status::kFault) goto memory_fault;                                     \
      VM_LOG(address, sizeof(type), kWrite);                                                       \
      next = VM_PC + ip->insn.length;                                                              \
      goto host_call;                                                                              \
    }                                                                                              \
    VM_LOG(address, sizeof(type), kWrite);                                                         \
  } while (0)
#define VM_BRANCH(cond)                                             \
  do {                                                              \
    next = (cond) ? VM_PC + ip->insn.imm : VM_PC + ip->insn.length; \
    goto chain;                                                     \
  } while (0)

#define VM_OP(name) op_##name
#define VM_DISPATCH() goto * ip->handler
#define VM_NEXT    \
  do {             \
    ++ip;          \
    VM_DISPATCH(); \
  } while (0)
#define VM_RS1 x[ip->insn.rs1]
#define VM_RS2 x[ip->insn.rs2]
#define VM_IMM static_cast<int64_t>(ip->insn.imm)
#define VM_PC (block_pc + ip->insn.pc_offset)

    VM_DISPATCH();
    // One handler per line reads as a table:
    // clang-format off
    {
      // ---- RV64I ----
      VM_OP(kLui): x[ip->insn.rd] = static_cast<uint64_t>(VM_IMM); VM_NEXT;
      VM_OP(kAuipc): x[ip->insn.rd] = VM_PC + VM_IMM; VM_NEXT;
      VM_OP(kJal): x[ip->insn.rd] = VM_PC + ip->insn.length; next = VM_PC + VM_IMM; goto chain;
      VM_OP(kJalr): next = (VM_RS1 + VM_IMM) & ~1ull; x[ip->insn.rd] = VM_PC + ip->insn.length; goto chain;
      VM_OP(kBeq): VM_BRANCH(VM_RS1 == VM_RS2);
      VM_OP(kBne): VM_BRANCH(VM_RS1 != VM_RS2);
      VM_OP(kBlt): VM_BRANCH(static_cast<int64_t>(VM_RS1) < static_cast<int64_t>(VM_RS2));
      VM_OP(kBge): VM_BRANCH(static_cast<int64_t>(VM_RS1) >= static_cast<int64_t>(VM_RS2));
      VM_OP(kBltu): VM_BRANCH(VM_RS1 < VM_RS2);
      VM_OP(kBgeu): VM_BRANCH(VM_RS1 >= VM_RS2);
      VM_OP(kLb): VM_LOAD(int8_t); VM_NEXT;
      VM_OP(kLh): VM_LOAD(int16_t); VM_NEXT;
      VM_OP(kLw): VM_LOAD(int32_t); VM_NEXT;
      VM_OP(kLd): VM_LOADU(uint64_t); VM_NEXT;
      VM_OP(kLbu): VM_LOADU(uint8_t); VM_NEXT;
      VM_OP(kLhu): VM_LOADU(uint16_t); VM_NEXT;
      VM_OP(kLwu): VM_LOADU(uint32_t); VM_NEXT;
      VM_OP(kSb): VM_STORE(uint8_t); VM_NEXT;
      VM_OP(kSh): VM_STORE(uint16_t); VM_NEXT;
      VM_OP(kSw): VM_STORE(uint32_t); VM_NEXT;
      VM_OP(kSd): VM_STORE(uint64_t); VM_NEXT;
      VM_OP(kAddi): x[ip->insn.rd] = VM_RS1 + VM_IMM; VM_NEXT;
      VM_OP(kSlti): x[ip->insn.rd] = static_cast<int64_t>(VM_RS1) < VM_IMM; VM_NEXT;
      VM_OP(kSltiu): x[ip->insn.rd] = VM_RS1 < static_cast<uint64_t>(VM_IMM); VM_NEXT;
      VM_OP(kXori): x[ip->insn.rd] = VM_RS1 ^ VM_IMM; VM_NEXT;
      VM_OP(kOri): x[ip->insn.rd] = VM_RS1 | VM_IMM; VM_NEXT;
      VM_OP(kAndi): x[ip->insn.rd] = VM_RS1 & VM_IMM; VM_NEXT;
      VM_OP(kSlli): x[ip->insn.rd] = VM_RS1 << VM_IMM; VM_NEXT;
      VM_OP(kSrli): x[ip->insn.rd] = VM_RS1 >> VM_IMM; VM_NEXT;
      VM_OP(kSrai): x[ip->insn.rd] = sra(VM_RS1, VM_IMM); VM_NEXT;
      VM_OP(kAdd): x[ip->insn.rd] = VM_RS1 + VM_RS2; VM_NEXT;
      VM_OP(kSub): x[ip->insn.rd] = VM_RS1 - VM_RS2; VM_NEXT;
      VM_OP(kSll): x[ip->insn.rd] = VM_RS1 << (VM_RS2 & 63); VM_NEXT;
      VM_OP(kSlt): x[ip->insn.rd] = static_cast<int64_t>(VM_RS1) < static_cast<int64_t>(VM_RS2); VM_NEXT;
      VM_OP(kSltu): x[ip->insn.rd] = VM_RS1 < VM_RS2; VM_NEXT;
      VM_OP(kXor): x[ip->insn.rd] = VM_RS1 ^ VM_RS2; VM_NEXT;
      VM_OP(kSrl): x[ip->insn.rd] = VM_RS1 >> (VM_RS2 & 63); VM_NEXT;
      VM_OP(kSra): x[ip->insn.rd] = sra(VM_RS1, VM_RS2); VM_NEXT;
      VM_OP(kOr): x[ip->insn.rd] = VM_RS1 | VM_RS2; VM_NEXT;
      VM_OP(kAnd): x[ip->insn.rd] = VM_RS1 & VM_RS2; VM_NEXT;
      VM_OP(kAddiw): x[ip->insn.rd] = sext32(VM_RS1 + VM_IMM); VM_NEXT;
      VM_OP(kSlliw): x[ip->insn.rd] = sext32(static_cast<uint32_t>(VM_RS1) << VM_IMM); VM_NEXT;
      VM_OP(kSrliw): x[ip->insn.rd] = sext32(static_cast<uint32_t>(VM_RS1) >> VM_IMM); VM_NEXT;
      VM_OP(kSraiw): x[ip->insn.rd] = sraw(VM_RS1, VM_IMM); VM_NEXT;
      VM_OP(kAddw): x[ip->insn.rd] = sext32(VM_RS1 + VM_RS2); VM_NEXT;
      VM_OP(kSubw): x[ip->insn.rd] = sext32(VM_RS1 - VM_RS2); VM_NEXT;
      VM_OP(kSllw): x[ip->insn.rd] = sext32(static_cast<uint32_t>(VM_RS1) << (VM_RS2 & 31)); VM_NEXT;
      VM_OP(kSrlw): x[ip->insn.rd] = sext32(static_cast<uint32_t>(VM_RS1) >> (VM_RS2 & 31)); VM_NEXT;
      VM_OP(kSraw): x[ip->insn.rd] = sraw(VM_RS1, VM_RS2); VM_NEXT;
      VM_OP(kFence): VM_NEXT;
      // next is read before the flush frees this block.
      VM_OP(kFenceI): next = VM_PC + ip->insn.length; blocks_.flush(); goto block_done;
      VM_OP(kEcall): {
        const auto mode = static_cast<uint8_t>(s.priv);  // U: 8, S: 9, M: 11
        cause = static_cast<exception>(static_cast<uint8_t>(exception::kEcallFromUser) + mode);
        tval = 0;
        goto exception_taken;
      }
      VM_OP(kEbreak): cause = exception::kBreakpoint; tval = VM_PC; goto exception_taken;

      // ---- privileged ----
      VM_OP(kMret): {
        if (s.priv != privilege::kMachine) goto illegal;
        uint64_t& m = s.csr.mstatus;
        const auto target = static_cast<privilege>((m & mstatus::kMpp) >> mstatus::kMppShift);
        m = (m & ~mstatus::kMie) | ((m & mstatus::kMpie) ? mstatus::kMie : 0);
        m |= mstatus::kMpie;
        m &= ~mstatus::kMpp;  // least-privileged mode: U
        if (target != privilege::kMachine) m &= ~mstatus::kMprv;
        next = s.csr.mepc;
        set_privilege(target);
        mmu_.flush();
        goto block_done;
      }
      VM_OP(kSret): {
        if (s.priv == privilege::kUser ||
            (s.priv == privilege::kSupervisor && (s.csr.mstatus & mstatus::kTsr)))
          goto illegal;
        uint64_t& m = s.csr.mstatus;
        const privilege target = (m & mstatus::kSpp) ? privilege::kSupervisor : privilege::kUser;
        m = (m & ~mstatus::kSie) | ((m & mstatus::kSpie) ? mstatus::kSie : 0);
        m |= mstatus::kSpie;
        m &= ~mstatus::kSpp;
        m &= ~mstatus::kMprv;
        next = s.csr.sepc;
        set_privilege(target);
        mmu_.flush();
        goto block_done;
      }
      VM_OP(kWfi): {  // no interrupts are modelled: a no-op where it is legal
        if (s.priv == privilege::kUser ||
            (s.priv == privilege::kSupervisor && (s.csr.mstatus & mstatus::kTw)))
          goto illegal;
        next = VM_PC + ip->insn.length;
        goto block_done;
      }
      VM_OP(kSfenceVma): {
        if (s.priv == privilege::kUser ||
            (s.priv == privilege::kSupervisor && (s.csr.mstatus & mstatus::kTvm)))
          goto illegal;
        next = VM_PC + ip->insn.length;  // read before the flush frees this block
        flush_translations();
        goto block_done;
      }

      // ---- Zicsr ----
      VM_OP(kCsrrw): VM_OP(kCsrrs): VM_OP(kCsrrc): VM_OP(kCsrrwi): VM_OP(kCsrrsi): VM_OP(kCsrrci): {
        const auto number = static_cast<uint32_t>(ip->insn.imm);
        const bool immediate = ip->insn.operation == op::kCsrrwi ||
                               ip->insn.operation == op::kCsrrsi ||
                               ip->insn.operation == op::kCsrrci;
        const uint64_t operand = immediate ? ip->insn.rs1 : VM_RS1;
        const bool is_write = ip->insn.operation == op::kCsrrw || ip->insn.operation == op::kCsrrwi;
        const bool writes = is_write || ip->insn.rs1 != 0;
        const bool reads = !is_write || ip->insn.rd != isa::kSinkRegister;
        uint64_t old = 0;
        if (reads &&
            !read_csr(number, s.instret - b->count + static_cast<uint64_t>(ip - first), old)) {
          cause = exception::kIllegalInstruction;
          tval = csr_word(ip->insn);
          goto exception_taken;
        }
        // A satp write flushes the block cache, this block included: take
        // what is still needed from the instruction first.
        const uint8_t rd = ip->insn.rd;
        next = VM_PC + ip->insn.length;
        if (writes) {
          uint64_t value = operand;
          if (ip->insn.operation == op::kCsrrs || ip->insn.operation == op::kCsrrsi)
            value = old | operand;
          if (ip->insn.operation == op::kCsrrc || ip->insn.operation == op::kCsrrci)
            value = old & ~operand;
          if (!write_csr(number, value)) {
            cause = exception::kIllegalInstruction;
            tval = csr_word(ip->insn);
            goto exception_taken;
          }
        }
        x[rd] = old;
        goto block_done;
      }

      // ---- M ----
      VM_OP(kMul): x[ip->insn.rd] = VM_RS1 * VM_RS2; VM_NEXT;
      VM_OP(kMulh): x[ip->insn.rd] = mulh(VM_RS1, VM_RS2); VM_NEXT;
      VM_OP(kMulhsu): x[ip->insn.rd] = mulhsu(VM_RS1, VM_RS2); VM_NEXT;
      VM_OP(kMulhu): x[ip->insn.rd] = mulhu(VM_RS1, VM_RS2); VM_NEXT;
      VM_OP(kDiv): x[ip->insn.rd] = div(VM_RS1, VM_RS2); VM_NEXT;
      VM_OP(kDivu): x[ip->insn.rd] = VM_RS2 == 0 ? ~0ull : VM_RS1 / VM_RS2; VM_NEXT;
      VM_OP(kRem): x[ip->insn.rd] = rem(VM_RS1, VM_RS2); VM_NEXT;
      VM_OP(kRemu): x[ip->insn.rd] = VM_RS2 == 0 ? VM_RS1 : VM_RS1 % VM_RS2; VM_NEXT;
      VM_OP(kMulw): x[ip->insn.rd] = sext32(VM_RS1 * VM_RS2); VM_NEXT;
      VM_OP(kDivw): x[ip->insn.rd] = divw(VM_RS1, VM_RS2); VM_NEXT;
      VM_OP(kDivuw): x[ip->insn.rd] = divuw(VM_RS1, VM_RS2); VM_NEXT;
      VM_OP(kRemw): x[ip->insn.rd] = remw(VM_RS1, VM_RS2); VM_NEXT;
      VM_OP(kRemuw): x[ip->insn.rd] = remuw(VM_RS1, VM_RS2); VM_NEXT;

      // ---- A ----
      VM_OP(kLrW): {
        int32_t* p = nullptr;
        if (memory.atomic_pointer<int32_t>(VM_RS1, true, p) != mmu::access_status::kOk)
          goto memory_fault;
        VM_LOG(VM_RS1, 4, kRead);
        x[ip->insn.rd] = static_cast<uint64_t>(static_cast<int64_t>(*p));
        s.reservation = VM_RS1;
        VM_NEXT;
      }
      VM_OP(kLrD): {
        uint64_t* p = nullptr;
        if (memory.atomic_pointer<uint64_t>(VM_RS1, true, p) != mmu::access_status::kOk)
          goto memory_fault;
        VM_LOG(VM_RS1, 8, kRead);
        x[ip->insn.rd] = *p;
        s.reservation = VM_RS1;
        VM_NEXT;
      }
      VM_OP(kScW): {
        uint32_t* p = nullptr;
        if (memory.atomic_pointer<uint32_t>(VM_RS1, false, p) != mmu::access_status::kOk)
          goto memory_fault;
        const bool success = s.reservation == VM_RS1;
        if (success) {
          VM_LOG(VM_RS1, 4, kWrite);
          *p = static_cast<uint32_t>(VM_RS2);
        }
        s.reservation = kNoReservation;
        x[ip->insn.rd] = success ? 0 : 1;
        VM_NEXT;
      }
      VM_OP(kScD): {
        uint64_t* p = nullptr;
        if (memory.atomic_pointer<uint64_t>(VM_RS1, false, p) != mmu::access_status::kOk)
          goto memory_fault;
        const bool success = s.reservation == VM_RS1;
        if (success) {
          VM_LOG(VM_RS1, 8, kWrite);
          *p = VM_RS2;
        }
        s.reservation = kNoReservation;
        x[ip->insn.rd] = success ? 0 : 1;
        VM_NEXT;
      }
      VM_OP(kAmoswapW): VM_OP(kAmoaddW): VM_OP(kAmoxorW): VM_OP(kAmoandW): VM_OP(kAmoorW): VM_OP(kAmominW): VM_OP(kAmomaxW): VM_OP(kAmominuW): VM_OP(kAmomaxuW): {
        uint32_t* p = nullptr;
        if (memory.atomic_pointer<uint32_t>(VM_RS1, false, p) != mmu::access_status::kOk)
          goto memory_fault;
        VM_LOG(VM_RS1, 4, kRead);
        VM_LOG(VM_RS1, 4, kWrite);
        const uint32_t old = *p;
        *p = amo_apply<uint32_t>(ip->insn.operation, old, static_cast<uint32_t>(VM_RS2));
        x[ip->insn.rd] = sext32(old);
        VM_NEXT;
      }
      VM_OP(kAmoswapD): VM_OP(kAmoaddD): VM_OP(kAmoxorD): VM_OP(kAmoandD): VM_OP(kAmoorD): VM_OP(kAmominD): VM_OP(kAmomaxD): VM_OP(kAmominuD): VM_OP(kAmomaxuD): {
        uint64_t* p = nullptr;
        if (memory.atomic_pointer<uint64_t>(VM_RS1, false, p) != mmu::access_status::kOk)
          goto memory_fault;
        VM_LOG(VM_RS1, 8, kRead);
        VM_LOG(VM_RS1, 8, kWrite);
        const uint64_t old = *p;
        *p = amo_apply<uint64_t>(ip->insn.operation, old, VM_RS2);
        x[ip->insn.rd] = old;
        VM_NEXT;
      }

      VM_OP(kBlockEnd): next = VM_PC;
      goto block_end_synthetic;
      VM_OP(kNativeCall): {
        // Heads a block only in plain runs (translate_block), never logged.
        if (native_bypass_) {  // the host declined: run the guest's code once
          native_bypass_ = false;
          first = ip + 1;
          VM_NEXT;
        }
        s.instret -= b->count;  // nothing retired
        s.pc = VM_PC;
        result.reason = run_reason::kNativeCall;
        result.tval = static_cast<uint64_t>(ip->insn.imm);
        return result;
      }
      VM_OP(kIllegal): {
        cause = exception::kIllegalInstruction;
        tval = static_cast<uint32_t>(ip->insn.imm);  // the raw instruction word
        goto exception_taken;
      }
      VM_OP(kCount): goto illegal;
    }
    // clang-format on
#pragma GCC diagnostic pop
#undef VM_LOAD
#undef VM_LOADU
#undef VM_STORE
#undef VM_BRANCH
#undef VM_OP
#undef VM_DISPATCH
#undef VM_NEXT
#undef VM_RS1
#undef VM_RS2
#undef VM_IMM

  illegal : {
    // Re-fetching the word is the cold path; it was translated moments ago.
    uint32_t word = 0;
    const uint8_t* host;
    if (mmu_.fetch(VM_PC, host) == mmu::access_status::kOk) {
      const uint64_t room = mem::kPageSize - (VM_PC & mem::kPageMask);
      std::memcpy(&word, host, room >= ip->insn.length ? ip->insn.length : room);
    }
    cause = exception::kIllegalInstruction;
    tval = word;
    goto exception_taken;
  }
  memory_fault:
    cause = mmu_.fault().cause;
    tval = mmu_.fault().tval;
  exception_taken:
    // The instruction at pc did not retire, except ecall, which the
    // user-emulation host completes (Linux retires the ecall).
    s.instret -= b->count - static_cast<uint64_t>(ip - first);
    s.pc = VM_PC;
    if (user_emulation_ && s.priv == privilege::kUser) {
      if (cause == exception::kEcallFromUser) {
        ++s.instret;
        VM_LOG_BLOCK(ip - first + 1, ip->insn.pc_offset + ip->insn.length);
      } else {
        VM_LOG_BLOCK(ip - first, ip->insn.pc_offset);
      }
      result.reason = run_reason::kTrap;
      result.cause = cause;
      result.tval = tval;
      return result;
    }
    VM_LOG_BLOCK(ip - first, ip->insn.pc_offset);
    take_trap(cause, tval);
    pc = s.pc;
    continue;
  host_call:
    VM_LOG_BLOCK(ip - first + 1, ip->insn.pc_offset + ip->insn.length);
    s.instret -= b->count - static_cast<uint64_t>(ip - first) - 1;
    s.pc = next;
    result.reason = run_reason::kHostCall;
    return result;
  chain:
    from = b;
  block_done:
    // The block's last instruction ended it: everything retired.
    s.pc = pc = next;
    continue;
  block_end_synthetic:
    from = b;
    s.pc = pc = next;
  }
#undef VM_PC
#undef VM_LOG
#undef VM_LOG_BLOCK
  result.reason = run_reason::kInstructionLimit;
  return result;
}

}  // namespace vm::cpu
