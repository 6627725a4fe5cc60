// Exceptions, privilege changes and CSRs (Zicsr and the privileged spec's
// machine- and supervisor-level registers) on the bare-metal test machine.
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "support/rv_asm.h"
#include "support/test_machine.h"

namespace {

namespace rv = vm::test::rv;
namespace csr = vm::test::rv::csr;
namespace ms = vm::cpu::mstatus;
using namespace vm::test::rv;  // register names
using vm::cpu::privilege;
using vm::test::reset_machine;
using vm::test::run_to_ebreak;
using vm::test::test_machine;

constexpr uint64_t kCode = test_machine::kCodeBase;
constexpr uint64_t kLower = kCode + 0x1000;  // code run in S- or U-mode
constexpr uint64_t kTrapVector = test_machine::kTrapVector;
constexpr uint64_t kSentinel = 0x5e5e5e5e5e5e5e5e;

constexpr uint64_t kCauseIllegal = 2, kCauseBreakpoint = 3, kCauseEcallU = 8, kCauseEcallS = 9,
                   kCauseEcallM = 11;

uint64_t mpp(test_machine& m) {
  return (m.state().csr.mstatus & ms::kMpp) >> ms::kMppShift;
}

// Places `code` at kLower and enters it in `mode` through an mret executed
// at kCode (mepc and mstatus.MPP prepared by the host).
void run_lower(test_machine& m, privilege mode, const std::vector<uint32_t>& code,
               uint64_t mstatus_bits = 0) {
  m.load_words(code, kLower);
  m.state().csr.mepc = kLower;
  m.state().csr.mstatus = (m.state().csr.mstatus & ~ms::kMpp) |
                          (static_cast<uint64_t>(mode) << ms::kMppShift) | mstatus_bits;
  m.load_words({rv::mret()});
  m.run(1000);
}

void require_m_trap(test_machine& m, uint64_t cause, uint64_t epc) {
  INFO("mcause " << m.state().csr.mcause << " mepc 0x" << std::hex << m.state().csr.mepc);
  REQUIRE(m.state().pc == kTrapVector);
  REQUIRE(m.state().priv == privilege::kMachine);
  REQUIRE(m.state().csr.mcause == cause);
  REQUIRE(m.state().csr.mepc == epc);
}

}  // namespace

// ---- exceptions ------------------------------------------------------------

TEST_CASE("ecall from M-mode traps with mcause 11 and mepc at the ecall", "[cpu][trap]") {
  test_machine m;
  m.state().csr.mtval = 0x1234;
  m.load_words({rv::nop(), rv::addi(a0, zero, 1), rv::ecall(), rv::addi(a0, zero, 2)});
  m.run(100);
  require_m_trap(m, kCauseEcallM, kCode + 8);
  CHECK(m.state().csr.mtval == 0);
  CHECK(m.x(a0) == 1);
  CHECK(mpp(m) == 3);
}

TEST_CASE("ebreak traps with mcause 3 and mepc at the ebreak", "[cpu][trap]") {
  test_machine m;
  m.load_words({rv::addi(a0, zero, 1), rv::ebreak(), rv::addi(a0, zero, 2)});
  m.run(100);
  require_m_trap(m, kCauseBreakpoint, kCode + 4);
  CHECK(m.x(a0) == 1);
}

TEST_CASE("an illegal instruction traps with mcause 2 and the word in mtval", "[cpu][trap]") {
  const uint32_t word = GENERATE(0xffffffffu, 0x0000007fu, 0x7ff00073u, 0x00007003u);
  CAPTURE(word);
  test_machine m;
  m.load_words({rv::addi(a0, zero, 5), word, rv::addi(a0, zero, 6)});
  m.run(100);
  require_m_trap(m, kCauseIllegal, kCode + 4);
  CHECK(m.state().csr.mtval == word);
  CHECK(m.x(a0) == 5);
}

TEST_CASE("an all-zero word is an illegal instruction", "[cpu][trap]") {
  test_machine m;
  m.load_words({rv::nop(), 0x00000000});
  m.run(100);
  require_m_trap(m, kCauseIllegal, kCode + 4);
}

TEST_CASE("accessing an unimplemented CSR is illegal with the instruction in mtval",
          "[cpu][trap][csr]") {
  const uint32_t word =
      GENERATE(rv::csrrw(a0, 0x7ff, a1), rv::csrrs(zero, 0x7ff, zero), rv::csrrs(a0, 0x7ff, zero),
               rv::csrrwi(a0, 0x7ff, 5), rv::csrrci(a0, 0x7c0, 0), rv::csrrc(a0, 0x5ff, a1),
               rv::csrrw(zero, 0xfff, a1), rv::csrrs(a0, 0x7a0, zero));
  CAPTURE(word);
  test_machine m;
  m.x(a0) = kSentinel;
  m.x(a1) = 3;
  m.load_words({rv::nop(), word});
  m.run(100);
  require_m_trap(m, kCauseIllegal, kCode + 4);
  CHECK(m.state().csr.mtval == word);
  CHECK(m.x(a0) == kSentinel);
}

TEST_CASE("a trap saves MIE in MPIE and clears MIE", "[cpu][trap]") {
  test_machine m;
  m.x(t0) = ms::kMie;
  m.load_words({rv::csrrs(zero, csr::kMstatus, t0), rv::ecall()});
  m.run(100);
  require_m_trap(m, kCauseEcallM, kCode + 4);
  CHECK((m.state().csr.mstatus & ms::kMie) == 0);
  CHECK((m.state().csr.mstatus & ms::kMpie) != 0);
}

TEST_CASE("exceptions go to the mtvec base even in vectored mode", "[cpu][trap]") {
  test_machine m;
  const uint64_t handler = kCode + 0x800;
  m.write32(handler, rv::jal(zero, 0));
  m.x(t0) = handler | 1;  // vectored
  m.load_words({rv::csrw(csr::kMtvec, t0), rv::ecall()});
  m.run(100);
  CHECK(m.state().pc == handler);
  CHECK(m.state().csr.mcause == kCauseEcallM);
  CHECK(m.state().csr.mtvec == (handler | 1));
}

// ---- mret / sret -------------------------------------------------------------

TEST_CASE("mret returns to mepc in MPP and restores MIE from MPIE", "[cpu][trap][mret]") {
  const bool mpie = GENERATE(false, true);
  CAPTURE(mpie);
  test_machine m;
  const uint64_t target = kCode + 0x100;
  m.load_words({rv::csrr(a0, csr::kMstatus), rv::ebreak()}, target);
  // MPP = M; MIE is the opposite of MPIE so the copy is visible.
  m.x(t0) = (3ull << ms::kMppShift) | (mpie ? ms::kMpie : ms::kMie);
  m.x(t1) = target;
  m.load_words(
      {rv::csrw(csr::kMstatus, t0), rv::csrw(csr::kMepc, t1), rv::mret(), rv::addi(a1, zero, 1)});
  m.run(100);
  require_m_trap(m, kCauseBreakpoint, target + 4);
  const uint64_t after = m.x(a0);
  CHECK(((after & ms::kMie) != 0) == mpie);
  CHECK((after & ms::kMpie) != 0);                    // MPIE <- 1
  CHECK(((after & ms::kMpp) >> ms::kMppShift) == 0);  // MPP <- U
  CHECK(m.x(a1) == 0);                                // mret did not fall through
}

TEST_CASE("a trap from U-mode records MPP = 0 and the U-mode pc", "[cpu][trap][mret]") {
  test_machine m;
  SECTION("ecall") {
    run_lower(m, privilege::kUser, {rv::addi(a0, zero, 1), rv::ecall()}, ms::kMpie);
    require_m_trap(m, kCauseEcallU, kLower + 4);
    CHECK(mpp(m) == 0);
    CHECK(m.x(a0) == 1);
    // mret set MIE from MPIE (1); the trap moved it back to MPIE.
    CHECK((m.state().csr.mstatus & ms::kMpie) != 0);
    CHECK((m.state().csr.mstatus & ms::kMie) == 0);
  }
  SECTION("ebreak") {
    run_lower(m, privilege::kUser, {rv::nop(), rv::nop(), rv::ebreak()});
    require_m_trap(m, kCauseBreakpoint, kLower + 8);
    CHECK(mpp(m) == 0);
  }
  SECTION("illegal instruction") {
    run_lower(m, privilege::kUser, {0xffffffff});
    require_m_trap(m, kCauseIllegal, kLower);
    CHECK(m.state().csr.mtval == 0xffffffff);
    CHECK(mpp(m) == 0);
  }
}

TEST_CASE("an ecall from S-mode traps with mcause 9 and MPP = 1", "[cpu][trap][mret]") {
  test_machine m;
  run_lower(m, privilege::kSupervisor, {rv::ecall()});
  require_m_trap(m, kCauseEcallS, kLower);
  CHECK(mpp(m) == 1);
}

TEST_CASE("mret to a lower mode clears MPRV", "[cpu][trap][mret]") {
  test_machine m;
  run_lower(m, privilege::kUser, {rv::ecall()}, ms::kMprv);
  require_m_trap(m, kCauseEcallU, kLower);
  CHECK((m.state().csr.mstatus & ms::kMprv) == 0);
}

TEST_CASE("sret returns to sepc in SPP and restores SIE from SPIE", "[cpu][trap][sret]") {
  const uint64_t user = kCode + 0x2000;
  test_machine m;
  m.load_words({rv::addi(a1, zero, 9), rv::ecall()}, user);
  SECTION("from S-mode to U-mode") {
    m.x(t1) = user;
    m.x(t2) = ms::kSpie;
    run_lower(m, privilege::kSupervisor,
              {rv::csrw(csr::kSepc, t1), rv::csrrs(zero, csr::kSstatus, t2), rv::sret(),
               rv::addi(a0, zero, 1)});
    require_m_trap(m, kCauseEcallU, user + 4);
    CHECK(mpp(m) == 0);
  }
  SECTION("from M-mode to S-mode") {
    m.state().csr.sepc = user;
    m.state().csr.mstatus |= ms::kSpp | ms::kSpie;
    m.load_words({rv::sret(), rv::addi(a0, zero, 1)});
    m.run(100);
    require_m_trap(m, kCauseEcallS, user + 4);
    CHECK(mpp(m) == 1);
  }
  CHECK(m.x(a0) == 0);  // sret did not fall through
  CHECK(m.x(a1) == 9);
  const uint64_t status = m.state().csr.mstatus;
  CHECK((status & ms::kSie) != 0);   // SIE <- SPIE
  CHECK((status & ms::kSpie) != 0);  // SPIE <- 1
  CHECK((status & ms::kSpp) == 0);   // SPP <- U
}

// ---- delegation --------------------------------------------------------------

TEST_CASE("medeleg delegates exceptions from lower modes to S-mode", "[cpu][trap][deleg]") {
  const uint64_t stvec = kCode + 0x800;
  test_machine m;
  m.write32(stvec, rv::jal(zero, 0));  // S-mode parking loop
  m.state().csr.stvec = stvec;
  m.state().csr.stval = 0x1234;
  m.state().csr.mcause = 0x55;
  m.state().csr.medeleg = (1u << 2) | (1u << 8) | (1u << 9);
  const uint64_t sie = ms::kSie;
  SECTION("ecall from U") {
    run_lower(m, privilege::kUser, {rv::nop(), rv::ecall()}, sie);
    CHECK(m.state().csr.scause == kCauseEcallU);
    CHECK(m.state().csr.sepc == kLower + 4);
    CHECK(m.state().csr.stval == 0);
    CHECK((m.state().csr.mstatus & ms::kSpp) == 0);
  }
  SECTION("illegal instruction from U") {
    run_lower(m, privilege::kUser, {0xffffffff}, sie);
    CHECK(m.state().csr.scause == kCauseIllegal);
    CHECK(m.state().csr.sepc == kLower);
    CHECK(m.state().csr.stval == 0xffffffff);
    CHECK((m.state().csr.mstatus & ms::kSpp) == 0);
  }
  SECTION("ecall from S") {
    run_lower(m, privilege::kSupervisor, {rv::ecall()}, sie);
    CHECK(m.state().csr.scause == kCauseEcallS);
    CHECK(m.state().csr.sepc == kLower);
    CHECK((m.state().csr.mstatus & ms::kSpp) != 0);
  }
  CHECK(m.state().priv == privilege::kSupervisor);
  CHECK(m.state().pc == stvec);
  CHECK(m.state().csr.mcause == 0x55);  // M-mode trap state untouched
  CHECK((m.state().csr.mstatus & ms::kSpie) != 0);
  CHECK((m.state().csr.mstatus & ms::kSie) == 0);
}

TEST_CASE("exceptions that medeleg does not select still go to M-mode", "[cpu][trap][deleg]") {
  test_machine m;
  m.state().csr.stvec = kCode + 0x800;
  m.state().csr.scause = 0x55;
  SECTION("breakpoint from U, only ecall delegated") {
    m.state().csr.medeleg = 1u << 8;
    run_lower(m, privilege::kUser, {rv::ebreak()});
    require_m_trap(m, kCauseBreakpoint, kLower);
    CHECK(mpp(m) == 0);
  }
  SECTION("breakpoint from M-mode is never delegated") {
    m.state().csr.medeleg = 1u << 3;
    m.load_words({rv::ebreak()});
    m.run(100);
    require_m_trap(m, kCauseBreakpoint, kCode);
  }
  CHECK(m.state().csr.scause == 0x55);
}

// ---- privilege checks ------------------------------------------------------------

TEST_CASE("lower privilege modes cannot use M-mode CSRs and instructions", "[cpu][trap][csr]") {
  struct row {
    const char* text;
    privilege mode;
    uint32_t word;
    uint64_t mstatus_bits;
    uint64_t mcounteren, scounteren;
  };
  const privilege U = privilege::kUser, S = privilege::kSupervisor;
  // clang-format off
  const row rows[] = {
    {"U reads mstatus",         U, rv::csrr(a0, csr::kMstatus), 0, 0, 0},
    {"U writes mscratch",       U, rv::csrw(csr::kMscratch, a1), 0, 0, 0},
    {"U reads mhartid",         U, rv::csrr(a0, csr::kMhartid), 0, 0, 0},
    {"U reads sstatus",         U, rv::csrr(a0, csr::kSstatus), 0, 0, 0},
    {"U reads satp",            U, rv::csrr(a0, csr::kSatp), 0, 0, 0},
    {"U reads cycle, no mcounteren", U, rv::csrr(a0, csr::kCycle), 0, 0, 7},
    {"U reads instret, no scounteren", U, rv::csrr(a0, csr::kInstret), 0, 7, 0},
    {"U mret",                  U, rv::mret(), 0, 0, 0},
    {"U sret",                  U, rv::sret(), 0, 0, 0},
    // The spec also lets wfi in U-mode complete; this core chose to trap.
    {"U wfi",                   U, rv::wfi(), 0, 0, 0},
    {"U sfence.vma",            U, rv::sfence_vma(zero, zero), 0, 0, 0},
    {"S reads mstatus",         S, rv::csrr(a0, csr::kMstatus), 0, 0, 0},
    {"S reads mhartid",         S, rv::csrr(a0, csr::kMhartid), 0, 0, 0},
    {"S writes medeleg",        S, rv::csrw(csr::kMedeleg, a1), 0, 0, 0},
    {"S reads mcycle",          S, rv::csrr(a0, csr::kMcycle), 0, 7, 7},
    {"S mret",                  S, rv::mret(), 0, 0, 0},
    {"S reads cycle, no mcounteren", S, rv::csrr(a0, csr::kCycle), 0, 0, 7},
    {"S reads instret, mcounteren CY only", S, rv::csrr(a0, csr::kInstret), 0, 1, 7},
    {"S wfi with TW",           S, rv::wfi(), ms::kTw, 0, 0},
    {"S sret with TSR",         S, rv::sret(), ms::kTsr, 0, 0},
    {"S sfence.vma with TVM",   S, rv::sfence_vma(zero, zero), ms::kTvm, 0, 0},
    {"S reads satp with TVM",   S, rv::csrr(a0, csr::kSatp), ms::kTvm, 0, 0},
  };
  // clang-format on
  test_machine m;
  for (const row& r : rows) {
    CAPTURE(r.text);
    reset_machine(m);
    m.state().csr.mcounteren = r.mcounteren;
    m.state().csr.scounteren = r.scounteren;
    m.x(a0) = kSentinel;
    m.x(a1) = 1;
    run_lower(m, r.mode, {r.word, rv::ecall()}, r.mstatus_bits);
    require_m_trap(m, kCauseIllegal, kLower);
    CHECK(m.state().csr.mtval == r.word);
    CHECK(mpp(m) == static_cast<uint64_t>(r.mode));
    CHECK(m.x(a0) == kSentinel);
  }
}

TEST_CASE("lower privilege modes can use what they are allowed to", "[cpu][csr]") {
  struct row {
    const char* text;
    privilege mode;
    uint32_t word;
    uint64_t mstatus_bits;
    uint64_t mcounteren, scounteren;
  };
  const privilege U = privilege::kUser, S = privilege::kSupervisor;
  // clang-format off
  const row rows[] = {
    {"S reads sstatus",         S, rv::csrr(a0, csr::kSstatus), 0, 0, 0},
    {"S writes sscratch",       S, rv::csrw(csr::kSscratch, a1), 0, 0, 0},
    {"S reads satp",            S, rv::csrr(a0, csr::kSatp), 0, 0, 0},
    {"S wfi",                   S, rv::wfi(), 0, 0, 0},
    {"S sfence.vma",            S, rv::sfence_vma(zero, zero), 0, 0, 0},
    {"S reads cycle, mcounteren CY", S, rv::csrr(a0, csr::kCycle), 0, 1, 0},
    {"U reads cycle, both enabled", U, rv::csrr(a0, csr::kCycle), 0, 7, 7},
    {"U reads instret, both IR", U, rv::csrr(a0, csr::kInstret), 0, 4, 4},
    {"U reads time, both TM",   U, rv::csrr(a0, csr::kTime), 0, 2, 2},
  };
  // clang-format on
  test_machine m;
  for (const row& r : rows) {
    CAPTURE(r.text);
    reset_machine(m);
    m.state().csr.mcounteren = r.mcounteren;
    m.state().csr.scounteren = r.scounteren;
    m.x(a0) = kSentinel;
    m.x(a1) = 1;
    run_lower(m, r.mode, {r.word, rv::ecall()}, r.mstatus_bits);
    require_m_trap(m, r.mode == U ? kCauseEcallU : kCauseEcallS, kLower + 4);
  }
}

// ---- Zicsr ------------------------------------------------------------------------

TEST_CASE("csr instructions return the old value and write set or clear bits", "[cpu][csr]") {
  test_machine m;
  m.state().csr.mscratch = 0xf0f0;
  m.x(a1) = 0x1234;
  m.x(a3) = 0x0f;
  m.x(a5) = 0x3;
  run_to_ebreak(m, {
                       rv::csrrw(a0, csr::kMscratch, a1),  // 0xf0f0 -> 0x1234
                       rv::csrrs(a2, csr::kMscratch, a3),  // -> 0x123f
                       rv::csrrc(a4, csr::kMscratch, a5),  // -> 0x123c
                       rv::csrrwi(a6, csr::kMscratch, 8),  // -> 8
                       rv::csrrsi(a7, csr::kMscratch, 3),  // -> 11
                       rv::csrrci(s2, csr::kMscratch, 9),  // -> 2
                       rv::csrr(s3, csr::kMscratch),
                       rv::csrrwi(s4, csr::kMscratch, 31),  // uimm is zero-extended
                       rv::csrrw(s5, csr::kMscratch, s5),   // rd == rs1 swaps
                   });
  CHECK(m.x(a0) == 0xf0f0);
  CHECK(m.x(a2) == 0x1234);
  CHECK(m.x(a4) == 0x123f);
  CHECK(m.x(a6) == 0x123c);
  CHECK(m.x(a7) == 8);
  CHECK(m.x(s2) == 11);
  CHECK(m.x(s3) == 2);
  CHECK(m.x(s4) == 2);
  CHECK(m.x(s5) == 31);
  CHECK(m.state().csr.mscratch == 0);  // s5 was 0 before the swap
}

TEST_CASE("csrrs and csrrc with rs1 = x0 only read so they work on read-only CSRs", "[cpu][csr]") {
  test_machine m;
  m.state().csr.mhartid = 5;
  run_to_ebreak(m, {rv::csrrs(a0, csr::kMhartid, zero), rv::csrrc(a1, csr::kMhartid, zero),
                    rv::csrrsi(a2, csr::kMhartid, 0), rv::csrrci(a3, csr::kMvendorid, 0),
                    rv::csrrs(a4, csr::kCycle, zero), rv::csrrc(a5, csr::kInstret, zero),
                    rv::csrrs(a6, csr::kMarchid, zero), rv::csrrs(a7, csr::kMimpid, zero)});
  CHECK(m.x(a0) == 5);
  CHECK(m.x(a1) == 5);
  CHECK(m.x(a2) == 5);
  CHECK(m.x(a3) == 0);
  CHECK(m.x(a4) == 4);
  CHECK(m.x(a5) == 5);
}

TEST_CASE("writing a read-only CSR is illegal even when the value is zero", "[cpu][trap][csr]") {
  const uint32_t word =
      GENERATE(rv::csrrw(a0, csr::kMhartid, a1), rv::csrrs(a0, csr::kMhartid, a1),
               rv::csrrc(a0, csr::kMhartid, a1), rv::csrrwi(a0, csr::kMhartid, 0),
               rv::csrrsi(a0, csr::kMhartid, 1), rv::csrrw(zero, csr::kCycle, a1),
               rv::csrrw(a0, csr::kInstret, a1), rv::csrrwi(zero, csr::kTime, 0),
               rv::csrrs(a0, csr::kCycle, a1), rv::csrrw(zero, csr::kMvendorid, a1));
  CAPTURE(word);
  test_machine m;
  m.state().csr.mhartid = 5;
  m.x(a0) = kSentinel;
  m.x(a1) = 0;  // rs1 is not x0, so even a zero value counts as a write
  m.load_words({rv::nop(), word});
  m.run(100);
  require_m_trap(m, kCauseIllegal, kCode + 4);
  CHECK(m.state().csr.mtval == word);
  CHECK(m.x(a0) == kSentinel);
  CHECK(m.state().csr.mhartid == 5);
}

TEST_CASE("cycle and instret read the number of instructions retired before them",
          "[cpu][csr][counter]") {
  const std::vector<uint32_t> program = {rv::nop(),
                                         rv::nop(),
                                         rv::nop(),
                                         rv::nop(),
                                         rv::nop(),
                                         rv::csrr(a0, csr::kInstret),
                                         rv::csrr(a1, csr::kCycle),
                                         rv::csrr(a2, csr::kMinstret),
                                         rv::csrr(a3, csr::kMcycle),
                                         rv::csrr(a4, csr::kTime)};
  test_machine first;
  run_to_ebreak(first, program);
  CHECK(first.x(a0) == 5);
  CHECK(first.x(a1) == 6);
  CHECK(first.x(a2) == 7);
  CHECK(first.x(a3) == 8);
  CHECK(first.x(a4) == 0);
  // Deterministic: the same program reads the same values again.
  test_machine second;
  run_to_ebreak(second, program);
  for (unsigned reg : {a0, a1, a2, a3, a4}) {
    CAPTURE(reg);
    CHECK(second.x(reg) == first.x(reg));
  }
}

TEST_CASE("counters keep counting across blocks and time follows instret", "[cpu][csr][counter]") {
  test_machine m;
  // t0 = 100; loop: t0 -= 1; bnez t0, loop  => 1 + 200 instructions
  run_to_ebreak(m,
                {rv::addi(t0, zero, 100), rv::addi(t0, t0, -1), rv::bne(t0, zero, -4),
                 rv::csrr(a0, csr::kInstret), rv::csrr(a1, csr::kTime), rv::csrr(a2, csr::kCycle)});
  CHECK(m.x(a0) == 201);
  CHECK(m.x(a2) == 203);
  // The virtual timer ticks once per 100 retired instructions (csr.cpp).
  CHECK(m.x(a1) == 202 / 100);
}

// ---- machine-level CSRs -------------------------------------------------------------

TEST_CASE("misa reports RV64 with I M A C S and U and ignores writes", "[cpu][csr]") {
  test_machine m;
  run_to_ebreak(m,
                {rv::csrr(a0, csr::kMisa), rv::csrw(csr::kMisa, zero), rv::csrr(a1, csr::kMisa)});
  const uint64_t misa = m.x(a0);
  CHECK((misa >> 62) == 2);  // MXL = 64
  const auto has = [misa](char letter) { return ((misa >> (letter - 'A')) & 1) != 0; };
  CHECK(has('I'));
  CHECK(has('M'));
  CHECK(has('A'));
  CHECK(has('C'));
  CHECK(has('S'));
  CHECK(has('U'));
  CHECK_FALSE(has('F'));
  CHECK_FALSE(has('D'));
  CHECK_FALSE(has('E'));
  CHECK_FALSE(has('H'));
  CHECK(m.x(a1) == misa);
}

TEST_CASE("mstatus keeps UXL and SXL at 64 bits and MPP legal", "[cpu][csr]") {
  test_machine m;
  m.x(t0) = ~0ull;
  m.x(t1) = 2ull << ms::kMppShift;  // MPP = 2 is reserved
  run_to_ebreak(
      m, {rv::csrr(a0, csr::kMstatus), rv::csrw(csr::kMstatus, t0), rv::csrr(a1, csr::kMstatus),
          rv::csrw(csr::kMstatus, t1), rv::csrr(a2, csr::kMstatus), rv::csrw(csr::kMstatus, zero),
          rv::csrr(a3, csr::kMstatus)});
  for (unsigned reg : {a0, a1, a2, a3}) {
    CAPTURE(reg);
    CHECK(((m.x(reg) >> 32) & 3) == 2);  // UXL
    CHECK(((m.x(reg) >> 34) & 3) == 2);  // SXL
  }
  CHECK(((m.x(a1) & ms::kMpp) >> ms::kMppShift) == 3);
  CHECK((m.x(a1) & ms::kMie) != 0);
  CHECK(((m.x(a2) & ms::kMpp) >> ms::kMppShift) != 2);
  CHECK((m.x(a3) & (ms::kMie | ms::kMpie | ms::kMpp | ms::kSie)) == 0);
}

TEST_CASE("sstatus is a restricted view of mstatus", "[cpu][csr]") {
  test_machine m;
  m.x(t0) = ms::kMie | ms::kMpie | ms::kSie | ms::kSpie | ms::kSpp | (3ull << ms::kMppShift);
  run_to_ebreak(m, {rv::csrw(csr::kMstatus, t0), rv::csrr(a0, csr::kSstatus),
                    rv::csrw(csr::kSstatus, zero), rv::csrr(a1, csr::kMstatus)});
  const uint64_t s = m.x(a0);
  CHECK((s & ms::kSie) != 0);
  CHECK((s & ms::kSpie) != 0);
  CHECK((s & ms::kSpp) != 0);
  CHECK((s & (ms::kMie | ms::kMpie | ms::kMpp)) == 0);
  CHECK(((s >> 32) & 3) == 2);  // UXL visible
  const uint64_t after = m.x(a1);
  CHECK((after & (ms::kSie | ms::kSpie | ms::kSpp)) == 0);
  CHECK((after & ms::kMie) != 0);
  CHECK((after & ms::kMpie) != 0);
  CHECK(((after & ms::kMpp) >> ms::kMppShift) == 3);
}

TEST_CASE("medeleg cannot delegate ecall from M-mode", "[cpu][csr][deleg]") {
  test_machine m;
  m.x(t0) = ~0ull;
  run_to_ebreak(m, {rv::csrw(csr::kMedeleg, t0), rv::csrr(a0, csr::kMedeleg)});
  const uint64_t medeleg = m.x(a0);
  CHECK(((medeleg >> 11) & 1) == 0);
  for (unsigned cause : {0u, 2u, 3u, 4u, 6u, 8u, 12u, 13u, 15u}) {
    CAPTURE(cause);
    CHECK(((medeleg >> cause) & 1) == 1);
  }
}

TEST_CASE("mepc and sepc ignore bit 0", "[cpu][csr]") {
  test_machine m;
  m.x(t0) = kCode + 0x1001;
  run_to_ebreak(m, {rv::csrw(csr::kMepc, t0), rv::csrr(a0, csr::kMepc), rv::csrw(csr::kSepc, t0),
                    rv::csrr(a1, csr::kSepc)});
  CHECK(m.x(a0) == kCode + 0x1000);
  CHECK(m.x(a1) == kCode + 0x1000);
}

TEST_CASE("wfi and sfence.vma in M-mode continue with the next instruction", "[cpu][trap][csr]") {
  test_machine m;
  run_to_ebreak(m,
                {rv::addi(a0, zero, 1), rv::wfi(), rv::addi(a0, a0, 1), rv::sfence_vma(zero, zero),
                 rv::addi(a0, a0, 1), rv::sfence_vma(a1, a2), rv::addi(a0, a0, 1)});
  CHECK(m.x(a0) == 4);
}

// ---- instruction fetch and retirement ------------------------------------------------

TEST_CASE("fetching outside RAM raises an instruction access fault at the target", "[cpu][trap]") {
  test_machine m;
  const uint64_t end = test_machine::kRamBase + m.ram().size();
  SECTION("jump to address 0x1000") {
    m.x(t0) = 0x1000;
    m.load_words({rv::jalr(ra, t0, 0)});
    m.run(100);
    require_m_trap(m, 1, 0x1000);
    CHECK(m.state().csr.mtval == 0x1000);
    CHECK(m.x(ra) == kCode + 4);
  }
  SECTION("running off the end of RAM") {
    m.load_words({rv::nop(), rv::nop()}, end - 8);
    m.run(100);
    require_m_trap(m, 1, end);
    CHECK(m.state().csr.mtval == end);
  }
  SECTION("a 32-bit instruction whose second half lies past the end of RAM") {
    const uint32_t addi = rv::addi(a0, a0, 1);
    m.load_halves({0x0001, static_cast<uint16_t>(addi)}, end - 4);  // c.nop, low half
    m.run(100);
    require_m_trap(m, 1, end - 2);
    const uint64_t tval = m.state().csr.mtval;
    CHECK((tval == end - 2 || tval == end));
    CHECK(m.x(a0) == 0);
  }
}

TEST_CASE("an instruction that traps does not count as retired", "[cpu][trap][counter]") {
  // Handler: read minstret, restore the parking trap vector, stop.
  const uint64_t handler = kCode + 0x400;
  test_machine m;
  m.load_words({rv::csrr(a0, csr::kMinstret), rv::csrw(csr::kMtvec, t6), rv::ebreak()}, handler);
  m.state().csr.mtvec = handler;
  m.x(t6) = kTrapVector;
  const uint32_t trapping = GENERATE(rv::ecall(), rv::ebreak(), 0xffffffffu, rv::ld(a1, zero, 0),
                                     rv::csrw(csr::kCycle, a1));
  CAPTURE(trapping);
  m.load_words({rv::nop(), rv::nop(), rv::nop(), trapping});
  m.run(100);
  REQUIRE(m.state().csr.mcause == kCauseBreakpoint);
  REQUIRE(m.state().csr.mepc == handler + 8);
  CHECK(m.x(a0) == 3);
}

TEST_CASE("RV32-only CSRs do not exist on RV64", "[cpu][trap][csr]") {
  const uint32_t number = GENERATE(0xc80u /* cycleh */, 0xc82u /* instreth */, 0xb80u /* mcycleh */,
                                   0x310u /* mstatush */);
  CAPTURE(number);
  test_machine m;
  const uint32_t word = rv::csrr(a0, number);
  m.load_words({word});
  m.run(100);
  require_m_trap(m, kCauseIllegal, kCode);
  CHECK(m.state().csr.mtval == word);
}

// hpmcounter3..31 (0xc03-0xc1f) are hardwired to zero and their mcounteren
// bits are read-only zero, so the privileged spec makes every read of them
// from S- or U-mode an illegal instruction.
TEST_CASE("hpmcounters are not readable below M-mode while mcounteren disables them",
          "[cpu][trap][csr][counter]") {
  const privilege mode = GENERATE(privilege::kSupervisor, privilege::kUser);
  CAPTURE(static_cast<int>(mode));
  test_machine m;
  m.state().csr.mcounteren = ~0ull;  // HPM bits stay 0 (read-only zero)
  m.state().csr.scounteren = ~0ull;
  m.x(a0) = kSentinel;
  const uint32_t word = rv::csrr(a0, 0xc03);  // hpmcounter3
  run_lower(m, mode, {word, rv::ecall()});
  CHECK(m.state().csr.mcause == kCauseIllegal);
  CHECK(m.state().csr.mepc == kLower);
  CHECK(m.state().csr.mtval == word);
  CHECK(m.x(a0) == kSentinel);
}

TEST_CASE("hpmcounters read as zero in M-mode", "[cpu][csr][counter]") {
  test_machine m;
  m.x(a0) = kSentinel;
  m.x(a1) = kSentinel;
  run_to_ebreak(m, {rv::nop(), rv::csrr(a0, 0xc03), rv::csrr(a1, 0xb1f)});
  CHECK(m.x(a0) == 0);
  CHECK(m.x(a1) == 0);
}
