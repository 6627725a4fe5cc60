#include "isa/decoder.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "support/rv_asm.h"

using vm::isa::decode;
using vm::isa::decode16;
using vm::isa::decode32;
using vm::isa::decoded_instruction;
using vm::isa::kSinkRegister;
using vm::isa::op;
namespace rv = vm::test::rv;
using namespace vm::test::rv;  // register names, encoders

TEST_CASE("decoding an addi gives its operands and immediate", "[isa][decoder]") {
  const auto d = decode(0xfff50513);  // addi a0, a0, -1
  CHECK(d.operation == op::kAddi);
  CHECK(d.rd == 10);
  CHECK(d.rs1 == 10);
  CHECK(d.imm == -1);
  CHECK(d.length == 4);
}

namespace {

constexpr int kAny = -1000;  // field not checked for this format
constexpr int kSink = kSinkRegister;

// One row per VM_INSN of rv64.inc. `gnu` is what GNU as
// (-march=rv64imac_zicsr_zifencei, .option norvc) emits for `text`; `built`
// is the same instruction from rv_asm.h, so the table checks the test
// encoder and the decoder at once.
struct row32 {
  const char* text;
  uint32_t gnu;
  uint32_t built;
  op operation;
  int rd, rs1, rs2, imm;
};

// clang-format off
const row32 kRows32[] = {
  {"lui a0,0x12345",        0x12345537, rv::lui(a0, 0x12345),   op::kLui,   a0, kAny, kAny, 0x12345000},
  {"lui t1,0xfffff",        0xfffff337, rv::lui(t1, 0xfffff),   op::kLui,   t1, kAny, kAny, -4096},
  {"auipc s2,0x80000",      0x80000917, rv::auipc(s2, 0x80000), op::kAuipc, s2, kAny, kAny, INT32_MIN},
  {"jal ra,.+2048",         0x001000ef, rv::jal(ra, 2048),      op::kJal,   ra, kAny, kAny, 2048},
  {"jal zero,.-4",          0xffdff06f, rv::jal(zero, -4),      op::kJal,   kSink, kAny, kAny, -4},
  {"jalr t0,-2048(a1)",     0x800582e7, rv::jalr(t0, a1, -2048), op::kJalr, t0, a1, kAny, -2048},
  {"jalr zero,0(ra)",       0x00008067, rv::jalr(zero, ra, 0),  op::kJalr,  kSink, ra, kAny, 0},
  {"beq a0,a1,.+16",        0x00b50863, rv::beq(a0, a1, 16),    op::kBeq,   kAny, a0, a1, 16},
  {"bne t0,t1,.-4096",      0x80629063, rv::bne(t0, t1, -4096), op::kBne,   kAny, t0, t1, -4096},
  {"blt s0,s1,.+4094",      0x7e944fe3, rv::blt(s0, s1, 4094),  op::kBlt,   kAny, s0, s1, 4094},
  {"bge a2,a3,.-2",         0xfed65fe3, rv::bge(a2, a3, -2),    op::kBge,   kAny, a2, a3, -2},
  {"bltu a4,a5,.+2",        0x00f76163, rv::bltu(a4, a5, 2),    op::kBltu,  kAny, a4, a5, 2},
  {"bgeu t3,t4,.+256",      0x11de7063, rv::bgeu(t3, t4, 256),  op::kBgeu,  kAny, t3, t4, 256},
  {"lb a0,-1(sp)",          0xfff10503, rv::lb(a0, sp, -1),     op::kLb,    a0, sp, kAny, -1},
  {"lh s1,2047(a2)",        0x7ff61483, rv::lh(s1, a2, 2047),   op::kLh,    s1, a2, kAny, 2047},
  {"lw t2,-2048(t0)",       0x8002a383, rv::lw(t2, t0, -2048),  op::kLw,    t2, t0, kAny, -2048},
  {"ld a5,8(s0)",           0x00843783, rv::ld(a5, s0, 8),      op::kLd,    a5, s0, kAny, 8},
  {"lbu a1,0(a0)",          0x00054583, rv::lbu(a1, a0, 0),     op::kLbu,   a1, a0, kAny, 0},
  {"lhu a2,100(gp)",        0x0641d603, rv::lhu(a2, gp, 100),   op::kLhu,   a2, gp, kAny, 100},
  {"lwu t6,-100(tp)",       0xf9c26f83, rv::lwu(t6, tp, -100),  op::kLwu,   t6, tp, kAny, -100},
  {"sb a0,-1(sp)",          0xfea10fa3, rv::sb(a0, sp, -1),     op::kSb,    kAny, sp, a0, -1},
  {"sh s1,2047(a2)",        0x7e961fa3, rv::sh(s1, a2, 2047),   op::kSh,    kAny, a2, s1, 2047},
  {"sw t2,-2048(t0)",       0x8072a023, rv::sw(t2, t0, -2048),  op::kSw,    kAny, t0, t2, -2048},
  {"sd a5,8(s0)",           0x00f43423, rv::sd(a5, s0, 8),      op::kSd,    kAny, s0, a5, 8},
  {"addi a0,a0,-1",         0xfff50513, rv::addi(a0, a0, -1),   op::kAddi,  a0, a0, kAny, -1},
  {"slti a1,a2,2047",       0x7ff62593, rv::slti(a1, a2, 2047), op::kSlti,  a1, a2, kAny, 2047},
  {"sltiu a3,a4,-1",        0xfff73693, rv::sltiu(a3, a4, -1),  op::kSltiu, a3, a4, kAny, -1},
  {"xori a5,a6,-2048",      0x80084793, rv::xori(a5, a6, -2048), op::kXori, a5, a6, kAny, -2048},
  {"ori t0,t1,1",           0x00136293, rv::ori(t0, t1, 1),     op::kOri,   t0, t1, kAny, 1},
  {"andi t2,s0,127",        0x07f47393, rv::andi(t2, s0, 127),  op::kAndi,  t2, s0, kAny, 127},
  {"slli a0,a1,63",         0x03f59513, rv::slli(a0, a1, 63),   op::kSlli,  a0, a1, kAny, 63},
  {"srli a2,a3,1",          0x0016d613, rv::srli(a2, a3, 1),    op::kSrli,  a2, a3, kAny, 1},
  {"srai a4,a5,32",         0x4207d713, rv::srai(a4, a5, 32),   op::kSrai,  a4, a5, kAny, 32},
  {"add s0,s1,s2",          0x01248433, rv::add(s0, s1, s2),    op::kAdd,   s0, s1, s2, kAny},
  {"sub s3,s4,s5",          0x415a09b3, rv::sub(s3, s4, s5),    op::kSub,   s3, s4, s5, kAny},
  {"sll s6,s7,s8",          0x018b9b33, rv::sll(s6, s7, s8),    op::kSll,   s6, s7, s8, kAny},
  {"slt s9,s10,s11",        0x01bd2cb3, rv::slt(s9, s10, s11),  op::kSlt,   s9, s10, s11, kAny},
  {"sltu t3,t4,t5",         0x01eebe33, rv::sltu(t3, t4, t5),   op::kSltu,  t3, t4, t5, kAny},
  {"xor t6,a0,a1",          0x00b54fb3, rv::xor_(t6, a0, a1),   op::kXor,   t6, a0, a1, kAny},
  {"srl a2,a3,a4",          0x00e6d633, rv::srl(a2, a3, a4),    op::kSrl,   a2, a3, a4, kAny},
  {"sra a5,a6,a7",          0x411857b3, rv::sra(a5, a6, a7),    op::kSra,   a5, a6, a7, kAny},
  {"or ra,sp,gp",           0x003160b3, rv::or_(ra, sp, gp),    op::kOr,    ra, sp, gp, kAny},
  {"and tp,t0,t1",          0x0062f233, rv::and_(tp, t0, t1),   op::kAnd,   tp, t0, t1, kAny},
  {"addiw a0,a1,-5",        0xffb5851b, rv::addiw(a0, a1, -5),  op::kAddiw, a0, a1, kAny, -5},
  {"slliw a2,a3,31",        0x01f6961b, rv::slliw(a2, a3, 31),  op::kSlliw, a2, a3, kAny, 31},
  {"srliw a4,a5,0",         0x0007d71b, rv::srliw(a4, a5, 0),   op::kSrliw, a4, a5, kAny, 0},
  {"sraiw a6,a7,17",        0x4118d81b, rv::sraiw(a6, a7, 17),  op::kSraiw, a6, a7, kAny, 17},
  {"addw s0,s1,s2",         0x0124843b, rv::addw(s0, s1, s2),   op::kAddw,  s0, s1, s2, kAny},
  {"subw s3,s4,s5",         0x415a09bb, rv::subw(s3, s4, s5),   op::kSubw,  s3, s4, s5, kAny},
  {"sllw s6,s7,s8",         0x018b9b3b, rv::sllw(s6, s7, s8),   op::kSllw,  s6, s7, s8, kAny},
  {"srlw s9,s10,s11",       0x01bd5cbb, rv::srlw(s9, s10, s11), op::kSrlw,  s9, s10, s11, kAny},
  {"sraw t3,t4,t5",         0x41eede3b, rv::sraw(t3, t4, t5),   op::kSraw,  t3, t4, t5, kAny},
  {"fence iorw,iorw",       0x0ff0000f, rv::fence(),            op::kFence, kAny, kAny, kAny, kAny},
  {"fence.i",               0x0000100f, rv::fence_i(),          op::kFenceI, kAny, kAny, kAny, kAny},
  {"ecall",                 0x00000073, rv::ecall(),            op::kEcall, kAny, kAny, kAny, kAny},
  {"ebreak",                0x00100073, rv::ebreak(),           op::kEbreak, kAny, kAny, kAny, kAny},
  {"sret",                  0x10200073, rv::sret(),             op::kSret,  kAny, kAny, kAny, kAny},
  {"mret",                  0x30200073, rv::mret(),             op::kMret,  kAny, kAny, kAny, kAny},
  {"wfi",                   0x10500073, rv::wfi(),              op::kWfi,   kAny, kAny, kAny, kAny},
  {"sfence.vma a0,a1",      0x12b50073, rv::sfence_vma(a0, a1), op::kSfenceVma, kAny, a0, a1, kAny},
  {"csrrw a0,mscratch,a1",  0x34059573, rv::csrrw(a0, 0x340, a1), op::kCsrrw, a0, a1, kAny, 0x340},
  {"csrrs a2,mstatus,zero", 0x30002673, rv::csrrs(a2, 0x300, zero), op::kCsrrs, a2, 0, kAny, 0x300},
  {"csrrc zero,0xfff,t0",   0xfff2b073, rv::csrrc(zero, 0xfff, t0), op::kCsrrc, kSink, t0, kAny, 0xfff},
  {"csrrwi a3,mepc,31",     0x341fd6f3, rv::csrrwi(a3, 0x341, 31), op::kCsrrwi, a3, 31, kAny, 0x341},
  {"csrrsi a4,cycle,1",     0xc000e773, rv::csrrsi(a4, 0xc00, 1), op::kCsrrsi, a4, 1, kAny, 0xc00},
  {"csrrci a5,mhartid,0",   0xf14077f3, rv::csrrci(a5, 0xf14, 0), op::kCsrrci, a5, 0, kAny, 0xf14},
  {"mul a0,a1,a2",          0x02c58533, rv::mul(a0, a1, a2),    op::kMul,    a0, a1, a2, kAny},
  {"mulh a3,a4,a5",         0x02f716b3, rv::mulh(a3, a4, a5),   op::kMulh,   a3, a4, a5, kAny},
  {"mulhsu a6,a7,s0",       0x0288a833, rv::mulhsu(a6, a7, s0), op::kMulhsu, a6, a7, s0, kAny},
  {"mulhu s1,s2,s3",        0x033934b3, rv::mulhu(s1, s2, s3),  op::kMulhu,  s1, s2, s3, kAny},
  {"div s4,s5,s6",          0x036aca33, rv::div(s4, s5, s6),    op::kDiv,    s4, s5, s6, kAny},
  {"divu s7,s8,s9",         0x039c5bb3, rv::divu(s7, s8, s9),   op::kDivu,   s7, s8, s9, kAny},
  {"rem s10,s11,t3",        0x03cded33, rv::rem(s10, s11, t3),  op::kRem,    s10, s11, t3, kAny},
  {"remu t4,t5,t6",         0x03ff7eb3, rv::remu(t4, t5, t6),   op::kRemu,   t4, t5, t6, kAny},
  {"mulw a0,a1,a2",         0x02c5853b, rv::mulw(a0, a1, a2),   op::kMulw,   a0, a1, a2, kAny},
  {"divw a3,a4,a5",         0x02f746bb, rv::divw(a3, a4, a5),   op::kDivw,   a3, a4, a5, kAny},
  {"divuw a6,a7,s0",        0x0288d83b, rv::divuw(a6, a7, s0),  op::kDivuw,  a6, a7, s0, kAny},
  {"remw s1,s2,s3",         0x033964bb, rv::remw(s1, s2, s3),   op::kRemw,   s1, s2, s3, kAny},
  {"remuw s4,s5,s6",        0x036afa3b, rv::remuw(s4, s5, s6),  op::kRemuw,  s4, s5, s6, kAny},
  {"lr.w a0,(a1)",          0x1005a52f, rv::lr_w(a0, a1),           op::kLrW,      a0, a1, 0, kAny},
  {"sc.w a2,a3,(a4)",       0x18d7262f, rv::sc_w(a2, a4, a3),       op::kScW,      a2, a4, a3, kAny},
  {"amoswap.w a5,a6,(a7)",  0x0908a7af, rv::amoswap_w(a5, a7, a6),  op::kAmoswapW, a5, a7, a6, kAny},
  {"amoadd.w s0,s1,(s2)",   0x0099242f, rv::amoadd_w(s0, s2, s1),   op::kAmoaddW,  s0, s2, s1, kAny},
  {"amoxor.w s3,s4,(s5)",   0x214aa9af, rv::amoxor_w(s3, s5, s4),   op::kAmoxorW,  s3, s5, s4, kAny},
  {"amoand.w s6,s7,(s8)",   0x617c2b2f, rv::amoand_w(s6, s8, s7),   op::kAmoandW,  s6, s8, s7, kAny},
  {"amoor.w s9,s10,(s11)",  0x41adacaf, rv::amoor_w(s9, s11, s10),  op::kAmoorW,   s9, s11, s10, kAny},
  {"amomin.w t3,t4,(t5)",   0x81df2e2f, rv::amomin_w(t3, t5, t4),   op::kAmominW,  t3, t5, t4, kAny},
  {"amomax.w t6,a0,(a1)",   0xa0a5afaf, rv::amomax_w(t6, a1, a0),   op::kAmomaxW,  t6, a1, a0, kAny},
  {"amominu.w a2,a3,(a4)",  0xc0d7262f, rv::amominu_w(a2, a4, a3),  op::kAmominuW, a2, a4, a3, kAny},
  {"amomaxu.w a5,a6,(a7)",  0xe108a7af, rv::amomaxu_w(a5, a7, a6),  op::kAmomaxuW, a5, a7, a6, kAny},
  {"lr.d.aqrl a0,(a1)",     0x1605b52f, rv::amo(rv::kAmoLr, 3, a0, a1, 0, true, true), op::kLrD, a0, a1, 0, kAny},
  {"sc.d.aq a2,a3,(a4)",    0x1cd7362f, rv::amo(rv::kAmoSc, 3, a2, a4, a3, true, false), op::kScD, a2, a4, a3, kAny},
  {"amoswap.d.rl a5,a6,(a7)", 0x0b08b7af, rv::amo(rv::kAmoSwap, 3, a5, a7, a6, false, true), op::kAmoswapD, a5, a7, a6, kAny},
  {"amoadd.d s0,s1,(s2)",   0x0099342f, rv::amoadd_d(s0, s2, s1),   op::kAmoaddD,  s0, s2, s1, kAny},
  {"amoxor.d s3,s4,(s5)",   0x214ab9af, rv::amoxor_d(s3, s5, s4),   op::kAmoxorD,  s3, s5, s4, kAny},
  {"amoand.d s6,s7,(s8)",   0x617c3b2f, rv::amoand_d(s6, s8, s7),   op::kAmoandD,  s6, s8, s7, kAny},
  {"amoor.d s9,s10,(s11)",  0x41adbcaf, rv::amoor_d(s9, s11, s10),  op::kAmoorD,   s9, s11, s10, kAny},
  {"amomin.d t3,t4,(t5)",   0x81df3e2f, rv::amomin_d(t3, t5, t4),   op::kAmominD,  t3, t5, t4, kAny},
  {"amomax.d t6,a0,(a1)",   0xa0a5bfaf, rv::amomax_d(t6, a1, a0),   op::kAmomaxD,  t6, a1, a0, kAny},
  {"amominu.d a2,a3,(a4)",  0xc0d7362f, rv::amominu_d(a2, a4, a3),  op::kAmominuD, a2, a4, a3, kAny},
  {"amomaxu.d a5,a6,(a7)",  0xe108b7af, rv::amomaxu_d(a5, a7, a6),  op::kAmomaxuD, a5, a7, a6, kAny},
};
// clang-format on

void check_fields(const decoded_instruction& d, op operation, int rd, int rs1, int rs2, int imm) {
  CHECK(d.operation == operation);
  if (rd != kAny) CHECK(int{d.rd} == rd);
  if (rs1 != kAny) CHECK(int{d.rs1} == rs1);
  if (rs2 != kAny) CHECK(int{d.rs2} == rs2);
  if (imm != kAny) CHECK(d.imm == imm);
}

}  // namespace

TEST_CASE("rv_asm encodes every instruction as GNU as does", "[isa][decoder][asm]") {
  for (const row32& row : kRows32) {
    CAPTURE(row.text);
    CHECK(row.built == row.gnu);
  }
}

TEST_CASE("every 32-bit instruction of rv64.inc decodes to its operation and operands",
          "[isa][decoder]") {
  bool seen[static_cast<int>(op::kCount)] = {};
  for (const row32& row : kRows32) {
    CAPTURE(row.text, row.gnu);
    const decoded_instruction d = decode32(row.gnu);
    check_fields(d, row.operation, row.rd, row.rs1, row.rs2, row.imm);
    CHECK(d.length == 4);
    CHECK(d.compressed_name == 0);
    // decode() picks the 32-bit form for these words too.
    const decoded_instruction e = decode(row.gnu);
    CHECK(e.operation == d.operation);
    CHECK(e.imm == d.imm);
    seen[static_cast<int>(d.operation)] = true;
  }
  // The table covers every VM_INSN row.
#define VM_INSN(name, mnemonic, pattern, format) \
  {                                              \
    INFO("no table row for " mnemonic);          \
    CHECK(seen[static_cast<int>(op::k##name)]);  \
  }
#include "isa/rv64.inc"
}

TEST_CASE("mnemonic names every operation as rv64.inc spells it", "[isa][decoder]") {
  CHECK(vm::isa::mnemonic(op::kAddi) == "addi");
  CHECK(vm::isa::mnemonic(op::kFenceI) == "fence.i");
  CHECK(vm::isa::mnemonic(op::kSfenceVma) == "sfence.vma");
  CHECK(vm::isa::mnemonic(op::kAmomaxuD) == "amomaxu.d");
  CHECK(vm::isa::mnemonic(op::kIllegal) == "illegal");
  for (const row32& row : kRows32) {
    CAPTURE(row.text);
    const std::string text = row.text;
    const auto name = vm::isa::mnemonic(decode32(row.gnu).operation);
    // "lr.d.aqrl a0,(a1)" starts with "lr.d"; "fence iorw,iorw" with "fence".
    CHECK(text.compare(0, name.size(), name) == 0);
    CHECK((text.size() == name.size() || text[name.size()] == ' ' || text[name.size()] == '.'));
  }
}

TEST_CASE("a destination of x0 decodes to the sink register", "[isa][decoder]") {
  CHECK(decode32(rv::addi(zero, a0, 5)).rd == kSinkRegister);
  CHECK(decode32(rv::lui(zero, 1)).rd == kSinkRegister);
  CHECK(decode32(rv::auipc(zero, 1)).rd == kSinkRegister);
  CHECK(decode32(rv::ld(zero, a0, 0)).rd == kSinkRegister);
  CHECK(decode32(rv::add(zero, a0, a1)).rd == kSinkRegister);
  CHECK(decode32(rv::jalr(zero, ra, 0)).rd == kSinkRegister);
  CHECK(decode32(rv::amoadd_d(zero, a0, a1)).rd == kSinkRegister);
  CHECK(decode32(rv::csrrs(zero, 0x340, a0)).rd == kSinkRegister);
  // Sources named x0 stay register 0, which always reads zero.
  const auto d = decode32(rv::add(a0, zero, zero));
  CHECK(d.rs1 == 0);
  CHECK(d.rs2 == 0);
  // Every register index survives decoding.
  for (unsigned reg = 1; reg < 32; ++reg) {
    CAPTURE(reg);
    const auto e = decode32(rv::add(reg, reg, 32 - reg));
    CHECK(e.rd == reg);
    CHECK(e.rs1 == reg);
    CHECK(e.rs2 == 32 - reg);
  }
}

TEST_CASE("branch jump and store immediates decode at their extremes", "[isa][decoder]") {
  struct {
    uint32_t word;
    int32_t imm;
  } const cases[] = {
      {rv::beq(a0, a1, -4096), -4096},   {rv::beq(a0, a1, 4094), 4094},
      {rv::bne(a0, a1, -2), -2},         {rv::bge(a0, a1, 2048), 2048},
      {rv::jal(ra, -1048576), -1048576}, {rv::jal(ra, 1048574), 1048574},
      {rv::jal(ra, 2048), 2048},         {rv::jal(ra, 4096), 4096},
      {rv::sd(a0, a1, -2048), -2048},    {rv::sd(a0, a1, 2047), 2047},
      {rv::sb(a0, a1, -1), -1},          {rv::sw(a0, a1, 32), 32},
      {rv::lui(a0, 0x80000), INT32_MIN}, {rv::lui(a0, 0x7ffff), 0x7ffff000},
      {rv::addi(a0, a1, -2048), -2048},  {rv::addi(a0, a1, 2047), 2047},
  };
  for (const auto& c : cases) {
    CAPTURE(c.word);
    CHECK(decode32(c.word).imm == c.imm);
  }
}

TEST_CASE("CSR numbers decode unsigned and shift amounts use their full width", "[isa][decoder]") {
  CHECK(decode32(rv::csrrw(a0, 0xfff, a1)).imm == 0xfff);
  CHECK(decode32(rv::csrrw(a0, 0x800, a1)).imm == 0x800);
  CHECK(decode32(rv::csrrwi(a0, 0xc00, 31)).rs1 == 31);
  CHECK(decode32(rv::slli(a0, a1, 32)).imm == 32);
  CHECK(decode32(rv::srli(a0, a1, 63)).imm == 63);
  CHECK(decode32(rv::srai(a0, a1, 63)).imm == 63);
  CHECK(decode32(rv::srai(a0, a1, 63)).operation == op::kSrai);
  CHECK(decode32(rv::sraiw(a0, a1, 31)).imm == 31);
  CHECK(decode32(rv::sraiw(a0, a1, 31)).operation == op::kSraiw);
}

TEST_CASE("unknown and reserved 32-bit encodings decode as illegal with the raw word",
          "[isa][decoder]") {
  const uint32_t words[] = {
      0xffffffff,                                      // all ones
      0x0000007f,                                      // 48/64-bit-length prefix: not implemented
      rv::i(0, a0, 7, a0, rv::kOpLoad),                // load funct3 7
      rv::s(0, a0, a1, 4, rv::kOpStore),               // store funct3 4
      rv::b(8, a0, a1, 2, rv::kOpBranch),              // branch funct3 2
      rv::i(0, a0, 1, a0, rv::kOpJalr),                // jalr funct3 1
      rv::r(0x02, a1, a0, 0, a0, rv::kOpOp),           // funct7 2
      rv::r(0x20, a1, a0, 1, a0, rv::kOpOp),           // "sub" funct7 with sll funct3
      rv::r(0x01, a1, a0, 1, a0, rv::kOpOp32),         // mulhw does not exist
      rv::i(0x040, a1, 1, a0, rv::kOpImm),             // slli with bit 26 set
      rv::i(0x800, a1, 5, a0, rv::kOpImm),             // srli with funct6 100000
      rv::i(0x020, a1, 1, a0, rv::kOpImm32),           // slliw with shamt[5] set
      rv::i(0x420, a1, 5, a0, rv::kOpImm32),           // sraiw with shamt[5] set
      rv::i(0, a1, 1, a0, rv::kOpImm32) | (1u << 30),  // slliw with funct7 0100000
      rv::i(0, 0, 0, a0, rv::kOpSystem),               // ecall with rd != 0
      rv::i(1, a0, 0, 0, rv::kOpSystem),               // ebreak with rs1 != 0
      rv::i(0x7ff, 0, 0, 0, rv::kOpSystem),            // unknown system function
      rv::i(0, a0, 4, a0, rv::kOpSystem),              // csr funct3 4
      rv::amo(rv::kAmoLr, 2, a0, a1, a2),              // lr.w with rs2 != 0
      rv::amo(rv::kAmoAdd, 0, a0, a1, a2),             // amo funct3 0 (no .b)
      rv::amo(rv::kAmoAdd, 4, a0, a1, a2),             // amo funct3 4 (no .q)
      rv::amo(0x05, 2, a0, a1, a2),                    // funct5 00101
      rv::i(0, a0, 2, a0, rv::kOpMiscMem),             // misc-mem funct3 2
  };
  for (uint32_t w : words) {
    CAPTURE(w);
    const auto d = decode32(w);
    CHECK(d.operation == op::kIllegal);
    CHECK(static_cast<uint32_t>(d.imm) == w);
    CHECK(d.length == 4);
  }
}

TEST_CASE("instruction_length tells compressed from 32-bit forms", "[isa][decoder]") {
  CHECK(vm::isa::instruction_length(0x0001) == 2);
  CHECK(vm::isa::instruction_length(0x8082) == 2);
  CHECK(vm::isa::instruction_length(0x0000) == 2);
  CHECK(vm::isa::instruction_length(0x0513) == 4);
  CHECK(vm::isa::instruction_length(0xffff) == 4);
  // decode() uses the low half only for compressed forms.
  const auto d = decode(0xdead0000u | 0x8082u);  // c.jr ra with junk above it
  CHECK(d.operation == op::kJalr);
  CHECK(d.length == 2);
  CHECK(d.rs1 == ra);
}

TEST_CASE("every immediate bit of the I S B J and U formats lands in its place", "[isa][decoder]") {
  // Walking-one immediates, encoded by GNU as; each row is also rebuilt
  // with rv_asm.h (a0/a1/ra operands as in the comments).
  struct row {
    uint32_t word;
    op operation;
    int32_t imm;
  };
  const row rows[] = {
      {0x00158513, op::kAddi, 1},          // addi a0, a1, 1
      {0x00258513, op::kAddi, 2},          // addi a0, a1, 2
      {0x00458513, op::kAddi, 4},          // addi a0, a1, 4
      {0x00858513, op::kAddi, 8},          // addi a0, a1, 8
      {0x01058513, op::kAddi, 16},         // addi a0, a1, 16
      {0x02058513, op::kAddi, 32},         // addi a0, a1, 32
      {0x04058513, op::kAddi, 64},         // addi a0, a1, 64
      {0x08058513, op::kAddi, 128},        // addi a0, a1, 128
      {0x10058513, op::kAddi, 256},        // addi a0, a1, 256
      {0x20058513, op::kAddi, 512},        // addi a0, a1, 512
      {0x40058513, op::kAddi, 1024},       // addi a0, a1, 1024
      {0x80058513, op::kAddi, -2048},      // addi a0, a1, -2048
      {0x00a5b0a3, op::kSd, 1},            // sd a0, 1(a1)
      {0x00a5b123, op::kSd, 2},            // sd a0, 2(a1)
      {0x00a5b223, op::kSd, 4},            // sd a0, 4(a1)
      {0x00a5b423, op::kSd, 8},            // sd a0, 8(a1)
      {0x00a5b823, op::kSd, 16},           // sd a0, 16(a1)
      {0x02a5b023, op::kSd, 32},           // sd a0, 32(a1)
      {0x04a5b023, op::kSd, 64},           // sd a0, 64(a1)
      {0x08a5b023, op::kSd, 128},          // sd a0, 128(a1)
      {0x10a5b023, op::kSd, 256},          // sd a0, 256(a1)
      {0x20a5b023, op::kSd, 512},          // sd a0, 512(a1)
      {0x40a5b023, op::kSd, 1024},         // sd a0, 1024(a1)
      {0x80a5b023, op::kSd, -2048},        // sd a0, -2048(a1)
      {0x00b50163, op::kBeq, 2},           // beq a0, a1, .+2
      {0x00b50263, op::kBeq, 4},           // beq a0, a1, .+4
      {0x00b50463, op::kBeq, 8},           // beq a0, a1, .+8
      {0x00b50863, op::kBeq, 16},          // beq a0, a1, .+16
      {0x02b50063, op::kBeq, 32},          // beq a0, a1, .+32
      {0x04b50063, op::kBeq, 64},          // beq a0, a1, .+64
      {0x08b50063, op::kBeq, 128},         // beq a0, a1, .+128
      {0x10b50063, op::kBeq, 256},         // beq a0, a1, .+256
      {0x20b50063, op::kBeq, 512},         // beq a0, a1, .+512
      {0x40b50063, op::kBeq, 1024},        // beq a0, a1, .+1024
      {0x00b500e3, op::kBeq, 2048},        // beq a0, a1, .+2048
      {0x80b50063, op::kBeq, -4096},       // beq a0, a1, .-4096
      {0x002000ef, op::kJal, 2},           // jal ra, .+2
      {0x004000ef, op::kJal, 4},           // jal ra, .+4
      {0x008000ef, op::kJal, 8},           // jal ra, .+8
      {0x010000ef, op::kJal, 16},          // jal ra, .+16
      {0x020000ef, op::kJal, 32},          // jal ra, .+32
      {0x040000ef, op::kJal, 64},          // jal ra, .+64
      {0x080000ef, op::kJal, 128},         // jal ra, .+128
      {0x100000ef, op::kJal, 256},         // jal ra, .+256
      {0x200000ef, op::kJal, 512},         // jal ra, .+512
      {0x400000ef, op::kJal, 1024},        // jal ra, .+1024
      {0x001000ef, op::kJal, 2048},        // jal ra, .+2048
      {0x000010ef, op::kJal, 4096},        // jal ra, .+4096
      {0x000020ef, op::kJal, 8192},        // jal ra, .+8192
      {0x000040ef, op::kJal, 16384},       // jal ra, .+16384
      {0x000080ef, op::kJal, 32768},       // jal ra, .+32768
      {0x000100ef, op::kJal, 65536},       // jal ra, .+65536
      {0x000200ef, op::kJal, 131072},      // jal ra, .+131072
      {0x000400ef, op::kJal, 262144},      // jal ra, .+262144
      {0x000800ef, op::kJal, 524288},      // jal ra, .+524288
      {0x800000ef, op::kJal, -1048576},    // jal ra, .-1048576
      {0x00001537, op::kLui, 4096},        // lui a0, 1
      {0x00002537, op::kLui, 8192},        // lui a0, 2
      {0x00004537, op::kLui, 16384},       // lui a0, 4
      {0x00008537, op::kLui, 32768},       // lui a0, 8
      {0x00010537, op::kLui, 65536},       // lui a0, 16
      {0x00020537, op::kLui, 131072},      // lui a0, 32
      {0x00040537, op::kLui, 262144},      // lui a0, 64
      {0x00080537, op::kLui, 524288},      // lui a0, 128
      {0x00100537, op::kLui, 1048576},     // lui a0, 256
      {0x00200537, op::kLui, 2097152},     // lui a0, 512
      {0x00400537, op::kLui, 4194304},     // lui a0, 1024
      {0x00800537, op::kLui, 8388608},     // lui a0, 2048
      {0x01000537, op::kLui, 16777216},    // lui a0, 4096
      {0x02000537, op::kLui, 33554432},    // lui a0, 8192
      {0x04000537, op::kLui, 67108864},    // lui a0, 16384
      {0x08000537, op::kLui, 134217728},   // lui a0, 32768
      {0x10000537, op::kLui, 268435456},   // lui a0, 65536
      {0x20000537, op::kLui, 536870912},   // lui a0, 131072
      {0x40000537, op::kLui, 1073741824},  // lui a0, 262144
      {0x80000537, op::kLui, INT32_MIN},   // lui a0, 524288
  };
  for (const row& r : rows) {
    CAPTURE(r.word, r.imm);
    const decoded_instruction d = decode32(r.word);
    CHECK(d.operation == r.operation);
    CHECK(d.imm == r.imm);
    uint32_t built = 0;
    switch (r.operation) {
      case op::kAddi: built = rv::addi(a0, a1, r.imm); break;
      case op::kSd: built = rv::sd(a0, a1, r.imm); break;
      case op::kBeq: built = rv::beq(a0, a1, r.imm); break;
      case op::kJal: built = rv::jal(ra, r.imm); break;
      case op::kLui: built = rv::lui(a0, static_cast<uint32_t>(r.imm) >> 12); break;
      default: FAIL("unexpected operation in table"); break;
    }
    CHECK(built == r.word);
  }
}
