// rv_asm.h - a tiny header-only RV64IMAC instruction encoder for tests.
//
// The format encoders take their fields in the order they appear in the
// instruction word (most significant first); the named helpers take the
// operands in assembler order, except that every "address" operand is the
// base register followed by the offset:
//
//   addi(rd, rs1, imm)          lw(rd, rs1, offset)     sw(rs2, rs1, offset)
//   beq(rs1, rs2, offset)       jal(rd, offset)         jalr(rd, rs1, offset)
//   lui(rd, imm20)              csrrw(rd, csr, rs1)     csrrwi(rd, csr, uimm)
//   amoadd_w(rd, rs1, rs2)      lr_w(rd, rs1)           sc_w(rd, rs1, rs2)
//
// For the A extension rs1 is the address register and rs2 the operand
// (assembler order would be `amoadd.w rd, rs2, (rs1)`). Offsets of
// branches and jumps are byte offsets from the instruction's own address.
// The encodings are checked against GNU as in tests/isa/decoder.tests.cpp.
#pragma once

#include <cstdint>

namespace vm::test::rv {

// ---- registers (ABI names) ----------------------------------------------
inline constexpr unsigned zero = 0, ra = 1, sp = 2, gp = 3, tp = 4;
inline constexpr unsigned t0 = 5, t1 = 6, t2 = 7;
inline constexpr unsigned s0 = 8, s1 = 9;
inline constexpr unsigned a0 = 10, a1 = 11, a2 = 12, a3 = 13, a4 = 14, a5 = 15, a6 = 16, a7 = 17;
inline constexpr unsigned s2 = 18, s3 = 19, s4 = 20, s5 = 21, s6 = 22, s7 = 23, s8 = 24, s9 = 25,
                          s10 = 26, s11 = 27;
inline constexpr unsigned t3 = 28, t4 = 29, t5 = 30, t6 = 31;

// ---- major opcodes --------------------------------------------------------
inline constexpr uint32_t kOpLoad = 0x03, kOpMiscMem = 0x0f, kOpImm = 0x13, kOpAuipc = 0x17,
                          kOpImm32 = 0x1b, kOpStore = 0x23, kOpAmo = 0x2f, kOpOp = 0x33,
                          kOpLui = 0x37, kOpOp32 = 0x3b, kOpBranch = 0x63, kOpJalr = 0x67,
                          kOpJal = 0x6f, kOpSystem = 0x73;

// ---- formats --------------------------------------------------------------
constexpr uint32_t r(uint32_t funct7, unsigned rs2, unsigned rs1, uint32_t funct3, unsigned rd,
                     uint32_t opcode) {
  return ((funct7 & 0x7f) << 25) | ((rs2 & 31u) << 20) | ((rs1 & 31u) << 15) |
         ((funct3 & 7) << 12) | ((rd & 31u) << 7) | (opcode & 0x7f);
}

constexpr uint32_t i(int32_t imm12, unsigned rs1, uint32_t funct3, unsigned rd, uint32_t opcode) {
  return ((static_cast<uint32_t>(imm12) & 0xfff) << 20) | ((rs1 & 31u) << 15) |
         ((funct3 & 7) << 12) | ((rd & 31u) << 7) | (opcode & 0x7f);
}

constexpr uint32_t s(int32_t imm12, unsigned rs2, unsigned rs1, uint32_t funct3, uint32_t opcode) {
  const auto imm = static_cast<uint32_t>(imm12);
  return (((imm >> 5) & 0x7f) << 25) | ((rs2 & 31u) << 20) | ((rs1 & 31u) << 15) |
         ((funct3 & 7) << 12) | ((imm & 0x1f) << 7) | (opcode & 0x7f);
}

constexpr uint32_t b(int32_t imm13, unsigned rs2, unsigned rs1, uint32_t funct3, uint32_t opcode) {
  const auto imm = static_cast<uint32_t>(imm13);
  return (((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | ((rs2 & 31u) << 20) |
         ((rs1 & 31u) << 15) | ((funct3 & 7) << 12) | (((imm >> 1) & 0xf) << 8) |
         (((imm >> 11) & 1) << 7) | (opcode & 0x7f);
}

// imm20 is the value of bits 31:12 (what `lui rd, imm20` writes there).
constexpr uint32_t u(uint32_t imm20, unsigned rd, uint32_t opcode) {
  return ((imm20 & 0xfffff) << 12) | ((rd & 31u) << 7) | (opcode & 0x7f);
}

constexpr uint32_t j(int32_t imm21, unsigned rd, uint32_t opcode) {
  const auto imm = static_cast<uint32_t>(imm21);
  return (((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) |
         (((imm >> 12) & 0xff) << 12) | ((rd & 31u) << 7) | (opcode & 0x7f);
}

// ---- RV64I ----------------------------------------------------------------
constexpr uint32_t lui(unsigned rd, uint32_t imm20) {
  return u(imm20, rd, kOpLui);
}
constexpr uint32_t auipc(unsigned rd, uint32_t imm20) {
  return u(imm20, rd, kOpAuipc);
}
constexpr uint32_t jal(unsigned rd, int32_t offset) {
  return j(offset, rd, kOpJal);
}
constexpr uint32_t jalr(unsigned rd, unsigned rs1, int32_t offset) {
  return i(offset, rs1, 0, rd, kOpJalr);
}

constexpr uint32_t beq(unsigned rs1, unsigned rs2, int32_t off) {
  return b(off, rs2, rs1, 0, kOpBranch);
}
constexpr uint32_t bne(unsigned rs1, unsigned rs2, int32_t off) {
  return b(off, rs2, rs1, 1, kOpBranch);
}
constexpr uint32_t blt(unsigned rs1, unsigned rs2, int32_t off) {
  return b(off, rs2, rs1, 4, kOpBranch);
}
constexpr uint32_t bge(unsigned rs1, unsigned rs2, int32_t off) {
  return b(off, rs2, rs1, 5, kOpBranch);
}
constexpr uint32_t bltu(unsigned rs1, unsigned rs2, int32_t off) {
  return b(off, rs2, rs1, 6, kOpBranch);
}
constexpr uint32_t bgeu(unsigned rs1, unsigned rs2, int32_t off) {
  return b(off, rs2, rs1, 7, kOpBranch);
}

constexpr uint32_t lb(unsigned rd, unsigned rs1, int32_t off) {
  return i(off, rs1, 0, rd, kOpLoad);
}
constexpr uint32_t lh(unsigned rd, unsigned rs1, int32_t off) {
  return i(off, rs1, 1, rd, kOpLoad);
}
constexpr uint32_t lw(unsigned rd, unsigned rs1, int32_t off) {
  return i(off, rs1, 2, rd, kOpLoad);
}
constexpr uint32_t ld(unsigned rd, unsigned rs1, int32_t off) {
  return i(off, rs1, 3, rd, kOpLoad);
}
constexpr uint32_t lbu(unsigned rd, unsigned rs1, int32_t off) {
  return i(off, rs1, 4, rd, kOpLoad);
}
constexpr uint32_t lhu(unsigned rd, unsigned rs1, int32_t off) {
  return i(off, rs1, 5, rd, kOpLoad);
}
constexpr uint32_t lwu(unsigned rd, unsigned rs1, int32_t off) {
  return i(off, rs1, 6, rd, kOpLoad);
}

constexpr uint32_t sb(unsigned rs2, unsigned rs1, int32_t off) {
  return s(off, rs2, rs1, 0, kOpStore);
}
constexpr uint32_t sh(unsigned rs2, unsigned rs1, int32_t off) {
  return s(off, rs2, rs1, 1, kOpStore);
}
constexpr uint32_t sw(unsigned rs2, unsigned rs1, int32_t off) {
  return s(off, rs2, rs1, 2, kOpStore);
}
constexpr uint32_t sd(unsigned rs2, unsigned rs1, int32_t off) {
  return s(off, rs2, rs1, 3, kOpStore);
}

constexpr uint32_t addi(unsigned rd, unsigned rs1, int32_t imm) {
  return i(imm, rs1, 0, rd, kOpImm);
}
constexpr uint32_t slti(unsigned rd, unsigned rs1, int32_t imm) {
  return i(imm, rs1, 2, rd, kOpImm);
}
constexpr uint32_t sltiu(unsigned rd, unsigned rs1, int32_t imm) {
  return i(imm, rs1, 3, rd, kOpImm);
}
constexpr uint32_t xori(unsigned rd, unsigned rs1, int32_t imm) {
  return i(imm, rs1, 4, rd, kOpImm);
}
constexpr uint32_t ori(unsigned rd, unsigned rs1, int32_t imm) {
  return i(imm, rs1, 6, rd, kOpImm);
}
constexpr uint32_t andi(unsigned rd, unsigned rs1, int32_t imm) {
  return i(imm, rs1, 7, rd, kOpImm);
}
constexpr uint32_t slli(unsigned rd, unsigned rs1, unsigned shamt) {
  return i(static_cast<int32_t>(shamt & 63), rs1, 1, rd, kOpImm);
}
constexpr uint32_t srli(unsigned rd, unsigned rs1, unsigned shamt) {
  return i(static_cast<int32_t>(shamt & 63), rs1, 5, rd, kOpImm);
}
constexpr uint32_t srai(unsigned rd, unsigned rs1, unsigned shamt) {
  return i(static_cast<int32_t>(0x400 | (shamt & 63)), rs1, 5, rd, kOpImm);
}

constexpr uint32_t add(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x00, rs2, rs1, 0, rd, kOpOp);
}
constexpr uint32_t sub(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x20, rs2, rs1, 0, rd, kOpOp);
}
constexpr uint32_t sll(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x00, rs2, rs1, 1, rd, kOpOp);
}
constexpr uint32_t slt(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x00, rs2, rs1, 2, rd, kOpOp);
}
constexpr uint32_t sltu(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x00, rs2, rs1, 3, rd, kOpOp);
}
constexpr uint32_t xor_(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x00, rs2, rs1, 4, rd, kOpOp);
}
constexpr uint32_t srl(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x00, rs2, rs1, 5, rd, kOpOp);
}
constexpr uint32_t sra(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x20, rs2, rs1, 5, rd, kOpOp);
}
constexpr uint32_t or_(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x00, rs2, rs1, 6, rd, kOpOp);
}
constexpr uint32_t and_(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x00, rs2, rs1, 7, rd, kOpOp);
}

constexpr uint32_t addiw(unsigned rd, unsigned rs1, int32_t imm) {
  return i(imm, rs1, 0, rd, kOpImm32);
}
constexpr uint32_t slliw(unsigned rd, unsigned rs1, unsigned shamt) {
  return i(static_cast<int32_t>(shamt & 31), rs1, 1, rd, kOpImm32);
}
constexpr uint32_t srliw(unsigned rd, unsigned rs1, unsigned shamt) {
  return i(static_cast<int32_t>(shamt & 31), rs1, 5, rd, kOpImm32);
}
constexpr uint32_t sraiw(unsigned rd, unsigned rs1, unsigned shamt) {
  return i(static_cast<int32_t>(0x400 | (shamt & 31)), rs1, 5, rd, kOpImm32);
}
constexpr uint32_t addw(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x00, rs2, rs1, 0, rd, kOpOp32);
}
constexpr uint32_t subw(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x20, rs2, rs1, 0, rd, kOpOp32);
}
constexpr uint32_t sllw(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x00, rs2, rs1, 1, rd, kOpOp32);
}
constexpr uint32_t srlw(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x00, rs2, rs1, 5, rd, kOpOp32);
}
constexpr uint32_t sraw(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x20, rs2, rs1, 5, rd, kOpOp32);
}

// fence with pred = succ = iorw (what `fence` assembles to).
constexpr uint32_t fence() {
  return i(0x0ff, 0, 0, 0, kOpMiscMem);
}
constexpr uint32_t fence_i() {
  return i(0, 0, 1, 0, kOpMiscMem);
}
constexpr uint32_t ecall() {
  return i(0, 0, 0, 0, kOpSystem);
}
constexpr uint32_t ebreak() {
  return i(1, 0, 0, 0, kOpSystem);
}

// ---- privileged -------------------------------------------------------------
constexpr uint32_t sret() {
  return r(0x08, 2, 0, 0, 0, kOpSystem);
}
constexpr uint32_t mret() {
  return r(0x18, 2, 0, 0, 0, kOpSystem);
}
constexpr uint32_t wfi() {
  return r(0x08, 5, 0, 0, 0, kOpSystem);
}
constexpr uint32_t sfence_vma(unsigned rs1, unsigned rs2) {
  return r(0x09, rs2, rs1, 0, 0, kOpSystem);
}

// ---- Zicsr --------------------------------------------------------------------
constexpr uint32_t csr_op(uint32_t funct3, unsigned rd, uint32_t csr, unsigned rs1_or_uimm) {
  return i(static_cast<int32_t>(csr & 0xfff), rs1_or_uimm, funct3, rd, kOpSystem);
}
constexpr uint32_t csrrw(unsigned rd, uint32_t csr, unsigned rs1) {
  return csr_op(1, rd, csr, rs1);
}
constexpr uint32_t csrrs(unsigned rd, uint32_t csr, unsigned rs1) {
  return csr_op(2, rd, csr, rs1);
}
constexpr uint32_t csrrc(unsigned rd, uint32_t csr, unsigned rs1) {
  return csr_op(3, rd, csr, rs1);
}
constexpr uint32_t csrrwi(unsigned rd, uint32_t csr, unsigned uimm) {
  return csr_op(5, rd, csr, uimm);
}
constexpr uint32_t csrrsi(unsigned rd, uint32_t csr, unsigned uimm) {
  return csr_op(6, rd, csr, uimm);
}
constexpr uint32_t csrrci(unsigned rd, uint32_t csr, unsigned uimm) {
  return csr_op(7, rd, csr, uimm);
}
// Pseudo-instructions.
constexpr uint32_t csrr(unsigned rd, uint32_t csr) {
  return csrrs(rd, csr, zero);
}
constexpr uint32_t csrw(uint32_t csr, unsigned rs1) {
  return csrrw(zero, csr, rs1);
}
constexpr uint32_t nop() {
  return addi(zero, zero, 0);
}
constexpr uint32_t mv(unsigned rd, unsigned rs1) {
  return addi(rd, rs1, 0);
}
// li rd, imm (|imm| < 2048)
constexpr uint32_t li(unsigned rd, int32_t imm) {
  return addi(rd, zero, imm);
}
// neg rd, rs = sub rd, zero, rs
constexpr uint32_t neg(unsigned rd, unsigned rs) {
  return sub(rd, zero, rs);
}
// snez rd, rs = sltu rd, zero, rs
constexpr uint32_t snez(unsigned rd, unsigned rs) {
  return sltu(rd, zero, rs);
}

// ---- M ----------------------------------------------------------------------
constexpr uint32_t mul(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x01, rs2, rs1, 0, rd, kOpOp);
}
constexpr uint32_t mulh(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x01, rs2, rs1, 1, rd, kOpOp);
}
constexpr uint32_t mulhsu(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x01, rs2, rs1, 2, rd, kOpOp);
}
constexpr uint32_t mulhu(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x01, rs2, rs1, 3, rd, kOpOp);
}
constexpr uint32_t div(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x01, rs2, rs1, 4, rd, kOpOp);
}
constexpr uint32_t divu(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x01, rs2, rs1, 5, rd, kOpOp);
}
constexpr uint32_t rem(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x01, rs2, rs1, 6, rd, kOpOp);
}
constexpr uint32_t remu(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x01, rs2, rs1, 7, rd, kOpOp);
}
constexpr uint32_t mulw(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x01, rs2, rs1, 0, rd, kOpOp32);
}
constexpr uint32_t divw(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x01, rs2, rs1, 4, rd, kOpOp32);
}
constexpr uint32_t divuw(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x01, rs2, rs1, 5, rd, kOpOp32);
}
constexpr uint32_t remw(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x01, rs2, rs1, 6, rd, kOpOp32);
}
constexpr uint32_t remuw(unsigned rd, unsigned rs1, unsigned rs2) {
  return r(0x01, rs2, rs1, 7, rd, kOpOp32);
}

// ---- A --------------------------------------------------------------------------
// funct3 2 = .w, 3 = .d; aq/rl default to 0.
constexpr uint32_t amo(uint32_t funct5, uint32_t funct3, unsigned rd, unsigned rs1, unsigned rs2,
                       bool aq = false, bool rl = false) {
  return r(((funct5 & 31) << 2) | (aq ? 2u : 0u) | (rl ? 1u : 0u), rs2, rs1, funct3, rd, kOpAmo);
}
inline constexpr uint32_t kAmoLr = 0x02, kAmoSc = 0x03, kAmoSwap = 0x01, kAmoAdd = 0x00,
                          kAmoXor = 0x04, kAmoAnd = 0x0c, kAmoOr = 0x08, kAmoMin = 0x10,
                          kAmoMax = 0x14, kAmoMinu = 0x18, kAmoMaxu = 0x1c;

constexpr uint32_t lr_w(unsigned rd, unsigned rs1) {
  return amo(kAmoLr, 2, rd, rs1, 0);
}
constexpr uint32_t sc_w(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoSc, 2, rd, rs1, rs2);
}
constexpr uint32_t amoswap_w(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoSwap, 2, rd, rs1, rs2);
}
constexpr uint32_t amoadd_w(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoAdd, 2, rd, rs1, rs2);
}
constexpr uint32_t amoxor_w(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoXor, 2, rd, rs1, rs2);
}
constexpr uint32_t amoand_w(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoAnd, 2, rd, rs1, rs2);
}
constexpr uint32_t amoor_w(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoOr, 2, rd, rs1, rs2);
}
constexpr uint32_t amomin_w(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoMin, 2, rd, rs1, rs2);
}
constexpr uint32_t amomax_w(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoMax, 2, rd, rs1, rs2);
}
constexpr uint32_t amominu_w(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoMinu, 2, rd, rs1, rs2);
}
constexpr uint32_t amomaxu_w(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoMaxu, 2, rd, rs1, rs2);
}
constexpr uint32_t lr_d(unsigned rd, unsigned rs1) {
  return amo(kAmoLr, 3, rd, rs1, 0);
}
constexpr uint32_t sc_d(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoSc, 3, rd, rs1, rs2);
}
constexpr uint32_t amoswap_d(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoSwap, 3, rd, rs1, rs2);
}
constexpr uint32_t amoadd_d(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoAdd, 3, rd, rs1, rs2);
}
constexpr uint32_t amoxor_d(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoXor, 3, rd, rs1, rs2);
}
constexpr uint32_t amoand_d(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoAnd, 3, rd, rs1, rs2);
}
constexpr uint32_t amoor_d(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoOr, 3, rd, rs1, rs2);
}
constexpr uint32_t amomin_d(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoMin, 3, rd, rs1, rs2);
}
constexpr uint32_t amomax_d(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoMax, 3, rd, rs1, rs2);
}
constexpr uint32_t amominu_d(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoMinu, 3, rd, rs1, rs2);
}
constexpr uint32_t amomaxu_d(unsigned rd, unsigned rs1, unsigned rs2) {
  return amo(kAmoMaxu, 3, rd, rs1, rs2);
}

// ---- CSR numbers used by the tests ------------------------------------------------
namespace csr {
inline constexpr uint32_t kSstatus = 0x100, kSie = 0x104, kStvec = 0x105, kScounteren = 0x106,
                          kSscratch = 0x140, kSepc = 0x141, kScause = 0x142, kStval = 0x143,
                          kSatp = 0x180;
inline constexpr uint32_t kMstatus = 0x300, kMisa = 0x301, kMedeleg = 0x302, kMideleg = 0x303,
                          kMie = 0x304, kMtvec = 0x305, kMcounteren = 0x306, kMscratch = 0x340,
                          kMepc = 0x341, kMcause = 0x342, kMtval = 0x343;
inline constexpr uint32_t kMcycle = 0xb00, kMinstret = 0xb02, kCycle = 0xc00, kTime = 0xc01,
                          kInstret = 0xc02;
inline constexpr uint32_t kMvendorid = 0xf11, kMarchid = 0xf12, kMimpid = 0xf13, kMhartid = 0xf14;
}  // namespace csr

}  // namespace vm::test::rv
