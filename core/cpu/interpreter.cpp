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

bool ends_block(op operation) noexcept {
  switch (operation) {
    case op::kJal: case op::kJalr:
    case op::kBeq: case op::kBne: case op::kBlt: case op::kBge: case op::kBltu: case op::kBgeu:
    case op::kEcall: case op::kEbreak: case op::kMret: case op::kSret: case op::kWfi:
    case op::kFenceI: case op::kSfenceVma:
    case op::kCsrrw: case op::kCsrrs: case op::kCsrrc:
    case op::kCsrrwi: case op::kCsrrsi: case op::kCsrrci:
    case op::kIllegal:
      return true;
    default:
      return false;
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

template <class T>
T amo_apply(op operation, T old, T operand) noexcept {
  using S = std::make_signed_t<T>;
  switch (operation) {
    case op::kAmoswapW: case op::kAmoswapD: return operand;
    case op::kAmoaddW: case op::kAmoaddD: return static_cast<T>(old + operand);
    case op::kAmoxorW: case op::kAmoxorD: return old ^ operand;
    case op::kAmoandW: case op::kAmoandD: return old & operand;
    case op::kAmoorW: case op::kAmoorD: return old | operand;
    case op::kAmominW: case op::kAmominD:
      return static_cast<S>(old) < static_cast<S>(operand) ? old : operand;
    case op::kAmomaxW: case op::kAmomaxD:
      return static_cast<S>(old) > static_cast<S>(operand) ? old : operand;
    case op::kAmominuW: case op::kAmominuD: return old < operand ? old : operand;
    case op::kAmomaxuW: case op::kAmomaxuD: return old > operand ? old : operand;
    default: return old;
  }
}

}  // namespace

block* hart::translate_block(uint64_t pc, run_result& fault) noexcept {
  if (!blocks_.has_room()) blocks_.flush();
  const uint64_t page_end = (pc | mem::kPageMask) + 1;
  const uint32_t first = blocks_.arena_size();
  uint32_t count = 0;
  bool crosses_page = false;
  const uint8_t* host = nullptr;
  if (mmu_.fetch(pc, host) != mmu::access_status::kOk) {
    fault.cause = mmu_.fault().cause;
    fault.tval = mmu_.fault().tval;
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
          fault.cause = mmu_.fault().cause;
          fault.tval = mmu_.fault().tval;
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
    const isa::decoded_instruction d = isa::decode(word);
    blocks_.append(d);
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
  blocks_.append(end);
  return blocks_.commit(pc, first, count, crosses_page);
}

run_result hart::run(uint64_t max_instructions) noexcept {
  guest_state& s = state_;
  uint64_t* const x = s.x;
  const uint64_t limit =
      max_instructions > UINT64_MAX - s.instret ? UINT64_MAX : s.instret + max_instructions;
  run_result result;

  while (s.instret < limit) {
    // ---- block lookup: every block entry checks execute permission ----
    block* b = blocks_.find(s.pc);
    const uint8_t* ignored;
    if (b != nullptr) {
      if (mmu_.fetch(s.pc, ignored) != mmu::access_status::kOk ||
          (b->crosses_page &&
           mmu_.fetch((s.pc | mem::kPageMask) + 1, ignored) != mmu::access_status::kOk)) {
        result.cause = mmu_.fault().cause;
        result.tval = mmu_.fault().tval;
        b = nullptr;
      }
    } else {
      b = translate_block(s.pc, result);
    }
    if (b == nullptr) {
      if (user_emulation_ && s.priv == privilege::kUser) {
        result.reason = run_reason::kTrap;
        return result;
      }
      const uint64_t faulting_pc = s.pc;
      take_trap(result.cause, result.tval);
      if (s.pc == faulting_pc) {
        result.reason = run_reason::kDoubleFault;
        return result;
      }
      continue;
    }

    const isa::decoded_instruction* const first = blocks_.code() + b->first;
    const isa::decoded_instruction* ip = first;
    uint64_t pc = b->pc;
    uint64_t next = 0;
    exception cause = exception::kIllegalInstruction;
    uint64_t tval = 0;

#define VM_LOAD(type)                                                          \
  do {                                                                         \
    type v;                                                                    \
    if (mmu_.load<type>(x[ip->rs1] + ip->imm, v) != mmu::access_status::kOk) \
      goto memory_fault;                                                       \
    x[ip->rd] = static_cast<uint64_t>(static_cast<int64_t>(v));                \
  } while (0)
#define VM_LOADU(type)                                                         \
  do {                                                                         \
    type v;                                                                    \
    if (mmu_.load<type>(x[ip->rs1] + ip->imm, v) != mmu::access_status::kOk) \
      goto memory_fault;                                                       \
    x[ip->rd] = v;                                                             \
  } while (0)
#define VM_STORE(type)                                                                      \
  do {                                                                                      \
    const mmu::access_status st =                                                          \
        mmu_.store<type>(x[ip->rs1] + ip->imm, static_cast<type>(x[ip->rs2]));             \
    if (st != mmu::access_status::kOk) [[unlikely]] {                                      \
      if (st == mmu::access_status::kFault) goto memory_fault;                             \
      next = pc + ip->length;                                                               \
      goto host_call;                                                                       \
    }                                                                                       \
  } while (0)
#define VM_BRANCH(cond)                                   \
  do {                                                    \
    next = (cond) ? pc + ip->imm : pc + ip->length;       \
    goto block_done;                                      \
  } while (0)

    for (;; pc += ip->length, ++ip) {
      const uint64_t a = x[ip->rs1];
      const uint64_t c = x[ip->rs2];
      const auto imm = static_cast<int64_t>(ip->imm);
      switch (ip->operation) {
        // ---- RV64I ----
        case op::kLui: x[ip->rd] = static_cast<uint64_t>(imm); break;
        case op::kAuipc: x[ip->rd] = pc + imm; break;
        case op::kJal: x[ip->rd] = pc + ip->length; next = pc + imm; goto block_done;
        case op::kJalr:
          next = (a + imm) & ~1ull;
          x[ip->rd] = pc + ip->length;
          goto block_done;
        case op::kBeq: VM_BRANCH(a == c);
        case op::kBne: VM_BRANCH(a != c);
        case op::kBlt: VM_BRANCH(static_cast<int64_t>(a) < static_cast<int64_t>(c));
        case op::kBge: VM_BRANCH(static_cast<int64_t>(a) >= static_cast<int64_t>(c));
        case op::kBltu: VM_BRANCH(a < c);
        case op::kBgeu: VM_BRANCH(a >= c);
        case op::kLb: VM_LOAD(int8_t); break;
        case op::kLh: VM_LOAD(int16_t); break;
        case op::kLw: VM_LOAD(int32_t); break;
        case op::kLd: VM_LOADU(uint64_t); break;
        case op::kLbu: VM_LOADU(uint8_t); break;
        case op::kLhu: VM_LOADU(uint16_t); break;
        case op::kLwu: VM_LOADU(uint32_t); break;
        case op::kSb: VM_STORE(uint8_t); break;
        case op::kSh: VM_STORE(uint16_t); break;
        case op::kSw: VM_STORE(uint32_t); break;
        case op::kSd: VM_STORE(uint64_t); break;
        case op::kAddi: x[ip->rd] = a + imm; break;
        case op::kSlti: x[ip->rd] = static_cast<int64_t>(a) < imm; break;
        case op::kSltiu: x[ip->rd] = a < static_cast<uint64_t>(imm); break;
        case op::kXori: x[ip->rd] = a ^ imm; break;
        case op::kOri: x[ip->rd] = a | imm; break;
        case op::kAndi: x[ip->rd] = a & imm; break;
        case op::kSlli: x[ip->rd] = a << imm; break;
        case op::kSrli: x[ip->rd] = a >> imm; break;
        case op::kSrai: x[ip->rd] = static_cast<uint64_t>(static_cast<int64_t>(a) >> imm); break;
        case op::kAdd: x[ip->rd] = a + c; break;
        case op::kSub: x[ip->rd] = a - c; break;
        case op::kSll: x[ip->rd] = a << (c & 63); break;
        case op::kSlt: x[ip->rd] = static_cast<int64_t>(a) < static_cast<int64_t>(c); break;
        case op::kSltu: x[ip->rd] = a < c; break;
        case op::kXor: x[ip->rd] = a ^ c; break;
        case op::kSrl: x[ip->rd] = a >> (c & 63); break;
        case op::kSra: x[ip->rd] = static_cast<uint64_t>(static_cast<int64_t>(a) >> (c & 63)); break;
        case op::kOr: x[ip->rd] = a | c; break;
        case op::kAnd: x[ip->rd] = a & c; break;
        case op::kAddiw: x[ip->rd] = sext32(a + imm); break;
        case op::kSlliw: x[ip->rd] = sext32(static_cast<uint32_t>(a) << imm); break;
        case op::kSrliw: x[ip->rd] = sext32(static_cast<uint32_t>(a) >> imm); break;
        case op::kSraiw: x[ip->rd] = sext32(static_cast<uint32_t>(static_cast<int32_t>(a) >> imm)); break;
        case op::kAddw: x[ip->rd] = sext32(a + c); break;
        case op::kSubw: x[ip->rd] = sext32(a - c); break;
        case op::kSllw: x[ip->rd] = sext32(static_cast<uint32_t>(a) << (c & 31)); break;
        case op::kSrlw: x[ip->rd] = sext32(static_cast<uint32_t>(a) >> (c & 31)); break;
        case op::kSraw: x[ip->rd] = sext32(static_cast<uint32_t>(static_cast<int32_t>(a) >> (c & 31))); break;
        case op::kFence: break;
        case op::kFenceI:
          blocks_.flush();  // the current block is finished with below
          next = pc + ip->length;
          goto block_done;
        case op::kEcall:
          cause = static_cast<exception>(static_cast<uint8_t>(exception::kEcallFromUser) +
                                         static_cast<uint8_t>(s.priv));
          tval = 0;
          goto exception_taken;
        case op::kEbreak: cause = exception::kBreakpoint; tval = pc; goto exception_taken;

        // ---- privileged ----
        case op::kMret: {
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
        case op::kSret: {
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
        case op::kWfi:
          if (s.priv == privilege::kUser ||
              (s.priv == privilege::kSupervisor && (s.csr.mstatus & mstatus::kTw)))
            goto illegal;
          next = pc + ip->length;  // no interrupts are modelled: a no-op
          goto block_done;
        case op::kSfenceVma:
          if (s.priv == privilege::kUser ||
              (s.priv == privilege::kSupervisor && (s.csr.mstatus & mstatus::kTvm)))
            goto illegal;
          flush_translations();
          next = pc + ip->length;
          goto block_done;

        // ---- Zicsr ----
        case op::kCsrrw: case op::kCsrrs: case op::kCsrrc:
        case op::kCsrrwi: case op::kCsrrsi: case op::kCsrrci: {
          const auto number = static_cast<uint32_t>(ip->imm);
          const bool immediate = ip->operation == op::kCsrrwi || ip->operation == op::kCsrrsi ||
                                 ip->operation == op::kCsrrci;
          const uint64_t operand = immediate ? ip->rs1 : a;
          const bool is_write = ip->operation == op::kCsrrw || ip->operation == op::kCsrrwi;
          const bool writes = is_write || ip->rs1 != 0;
          const bool reads = !is_write || ip->rd != isa::kSinkRegister;
          uint64_t old = 0;
          if (reads && !read_csr(number, s.instret + (ip - first), old)) {
            cause = exception::kIllegalInstruction;
            tval = csr_word(*ip);
            goto exception_taken;
          }
          if (writes) {
            uint64_t value = operand;
            if (ip->operation == op::kCsrrs || ip->operation == op::kCsrrsi) value = old | operand;
            if (ip->operation == op::kCsrrc || ip->operation == op::kCsrrci) value = old & ~operand;
            if (!write_csr(number, value)) {
              cause = exception::kIllegalInstruction;
              tval = csr_word(*ip);
              goto exception_taken;
            }
          }
          x[ip->rd] = old;
          next = pc + ip->length;
          goto block_done;
        }

        // ---- M ----
        case op::kMul: x[ip->rd] = a * c; break;
        case op::kMulh:
          x[ip->rd] = static_cast<uint64_t>(
              (static_cast<int128>(static_cast<int64_t>(a)) * static_cast<int64_t>(c)) >> 64);
          break;
        case op::kMulhsu:
          x[ip->rd] = static_cast<uint64_t>(
              (static_cast<int128>(static_cast<int64_t>(a)) * static_cast<int128>(c)) >> 64);
          break;
        case op::kMulhu:
          x[ip->rd] = static_cast<uint64_t>((static_cast<uint128>(a) * c) >> 64);
          break;
        case op::kDiv:
          x[ip->rd] = static_cast<uint64_t>(div_signed(static_cast<int64_t>(a), static_cast<int64_t>(c)));
          break;
        case op::kDivu: x[ip->rd] = c == 0 ? ~0ull : a / c; break;
        case op::kRem:
          x[ip->rd] = static_cast<uint64_t>(rem_signed(static_cast<int64_t>(a), static_cast<int64_t>(c)));
          break;
        case op::kRemu: x[ip->rd] = c == 0 ? a : a % c; break;
        case op::kMulw: x[ip->rd] = sext32(a * c); break;
        case op::kDivw:
          x[ip->rd] = sext32(static_cast<uint32_t>(
              div_signed32(static_cast<int32_t>(a), static_cast<int32_t>(c))));
          break;
        case op::kDivuw: {
          const auto n = static_cast<uint32_t>(a), d = static_cast<uint32_t>(c);
          x[ip->rd] = sext32(d == 0 ? ~0u : n / d);
          break;
        }
        case op::kRemw:
          x[ip->rd] = sext32(static_cast<uint32_t>(
              rem_signed32(static_cast<int32_t>(a), static_cast<int32_t>(c))));
          break;
        case op::kRemuw: {
          const auto n = static_cast<uint32_t>(a), d = static_cast<uint32_t>(c);
          x[ip->rd] = sext32(d == 0 ? n : n % d);
          break;
        }

        // ---- A ----
        case op::kLrW: {
          int32_t* p = nullptr;
          if (mmu_.atomic_pointer<int32_t>(a, true, p) != mmu::access_status::kOk) goto memory_fault;
          x[ip->rd] = static_cast<uint64_t>(static_cast<int64_t>(*p));
          s.reservation = a;
          break;
        }
        case op::kLrD: {
          uint64_t* p = nullptr;
          if (mmu_.atomic_pointer<uint64_t>(a, true, p) != mmu::access_status::kOk) goto memory_fault;
          x[ip->rd] = *p;
          s.reservation = a;
          break;
        }
        case op::kScW: {
          uint32_t* p = nullptr;
          if (mmu_.atomic_pointer<uint32_t>(a, false, p) != mmu::access_status::kOk) goto memory_fault;
          const bool success = s.reservation == a;
          if (success) *p = static_cast<uint32_t>(c);
          s.reservation = kNoReservation;
          x[ip->rd] = success ? 0 : 1;
          break;
        }
        case op::kScD: {
          uint64_t* p = nullptr;
          if (mmu_.atomic_pointer<uint64_t>(a, false, p) != mmu::access_status::kOk) goto memory_fault;
          const bool success = s.reservation == a;
          if (success) *p = c;
          s.reservation = kNoReservation;
          x[ip->rd] = success ? 0 : 1;
          break;
        }
        case op::kAmoswapW: case op::kAmoaddW: case op::kAmoxorW: case op::kAmoandW:
        case op::kAmoorW: case op::kAmominW: case op::kAmomaxW: case op::kAmominuW:
        case op::kAmomaxuW: {
          uint32_t* p = nullptr;
          if (mmu_.atomic_pointer<uint32_t>(a, false, p) != mmu::access_status::kOk) goto memory_fault;
          const uint32_t old = *p;
          *p = amo_apply<uint32_t>(ip->operation, old, static_cast<uint32_t>(c));
          x[ip->rd] = sext32(old);
          break;
        }
        case op::kAmoswapD: case op::kAmoaddD: case op::kAmoxorD: case op::kAmoandD:
        case op::kAmoorD: case op::kAmominD: case op::kAmomaxD: case op::kAmominuD:
        case op::kAmomaxuD: {
          uint64_t* p = nullptr;
          if (mmu_.atomic_pointer<uint64_t>(a, false, p) != mmu::access_status::kOk) goto memory_fault;
          const uint64_t old = *p;
          *p = amo_apply<uint64_t>(ip->operation, old, c);
          x[ip->rd] = old;
          break;
        }

        case op::kBlockEnd: next = pc; goto block_end_synthetic;
        case op::kIllegal:
          cause = exception::kIllegalInstruction;
          tval = static_cast<uint32_t>(ip->imm);
          goto exception_taken;
        case op::kCount: goto illegal;
      }
    }
#undef VM_LOAD
#undef VM_LOADU
#undef VM_STORE
#undef VM_BRANCH

  illegal: {
    // Re-fetching the word is the cold path; it was translated moments ago.
    uint32_t word = 0;
    const uint8_t* host;
    if (mmu_.fetch(pc, host) == mmu::access_status::kOk) {
      const uint64_t room = mem::kPageSize - (pc & mem::kPageMask);
      std::memcpy(&word, host, room >= ip->length ? ip->length : room);
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
    s.instret += static_cast<uint64_t>(ip - first);
    s.pc = pc;
    if (user_emulation_ && s.priv == privilege::kUser) {
      if (cause == exception::kEcallFromUser) ++s.instret;
      result.reason = run_reason::kTrap;
      result.cause = cause;
      result.tval = tval;
      return result;
    }
    take_trap(cause, tval);
    continue;
  host_call:
    s.instret += static_cast<uint64_t>(ip - first) + 1;
    s.pc = next;
    result.reason = run_reason::kHostCall;
    return result;
  block_done:
    s.instret += static_cast<uint64_t>(ip - first) + 1;
    s.pc = next;
    continue;
  block_end_synthetic:
    s.instret += static_cast<uint64_t>(ip - first);
    s.pc = next;
  }
  result.reason = run_reason::kInstructionLimit;
  return result;
}

}  // namespace vm::cpu
