// The C extension: every VM_CINSN row of rv64.inc decodes like its 32-bit
// expansion and executes like it; reserved encodings are illegal.
//
// The halfwords and their 32-bit equivalents come from GNU as
// (-march=rv64imac, and `.option norvc` with the expanded form), each pair
// assembled at the same address so pc-relative offsets agree.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "isa/decoder.h"
#include "support/rv_asm.h"
#include "support/test_machine.h"

namespace {

namespace rv = vm::test::rv;
using namespace vm::test::rv;  // register names
using vm::isa::decode16;
using vm::isa::decode32;
using vm::isa::decoded_instruction;
using vm::isa::op;
using vm::test::test_machine;

constexpr uint64_t kCode = test_machine::kCodeBase;
constexpr uint64_t kData = test_machine::kDataBase;
constexpr uint64_t kTrapVector = test_machine::kTrapVector;
constexpr int kAny = -1000;
constexpr int kSink = vm::isa::kSinkRegister;
constexpr uint16_t kCEbreak = 0x9002;

// The VM_CINSN mnemonics in table order: decoded_instruction::compressed_name
// is an index + 1 into this.
const char* const kCompressedNames[] = {
#define VM_CINSN(name, mnemonic, pattern, cformat, target) mnemonic,
#include "isa/rv64.inc"
};

struct crow {
  const char* text;  // GNU as source
  const char* row;   // the VM_CINSN row it must match
  uint16_t half;     // compressed encoding
  uint32_t word;     // the 32-bit instruction it expands to
  op operation;
  int rd, rs1, rs2, imm;
  bool control;  // changes pc: checked by the control-flow tests
};

// clang-format off
const crow kRows[] = {
  {"c.addi4spn s0,sp,4",    "c.addi4spn", 0x0040, 0x00410413, op::kAddi, s0, sp, 0, 4, false},
  {"c.addi4spn a5,sp,1020", "c.addi4spn", 0x1ffc, 0x3fc10793, op::kAddi, a5, sp, 0, 1020, false},
  {"c.lw a0,0(a1)",         "c.lw",   0x4188, 0x0005a503, op::kLw, a0, a1, 0, 0, false},
  {"c.lw s1,124(a5)",       "c.lw",   0x5fe4, 0x07c7a483, op::kLw, s1, a5, 0, 124, false},
  {"c.lw a2,64(s0)",        "c.lw",   0x4030, 0x04042603, op::kLw, a2, s0, 0, 64, false},
  {"c.ld a3,248(a4)",       "c.ld",   0x7f74, 0x0f873683, op::kLd, a3, a4, 0, 248, false},
  {"c.ld s0,8(s1)",         "c.ld",   0x6480, 0x0084b403, op::kLd, s0, s1, 0, 8, false},
  {"c.sw a0,4(a1)",         "c.sw",   0xc1c8, 0x00a5a223, op::kSw, kAny, a1, a0, 4, false},
  {"c.sw a5,124(s0)",       "c.sw",   0xdc7c, 0x06f42e23, op::kSw, kAny, s0, a5, 124, false},
  {"c.sd a2,248(a3)",       "c.sd",   0xfef0, 0x0ec6bc23, op::kSd, kAny, a3, a2, 248, false},
  {"c.sd s1,16(a0)",        "c.sd",   0xe904, 0x00953823, op::kSd, kAny, a0, s1, 16, false},
  {"c.nop",                 "c.addi", 0x0001, 0x00000013, op::kAddi, kSink, 0, 0, 0, false},
  {"c.addi a0,1",           "c.addi", 0x0505, 0x00150513, op::kAddi, a0, a0, 0, 1, false},
  {"c.addi t6,-32",         "c.addi", 0x1f81, 0xfe0f8f93, op::kAddi, t6, t6, 0, -32, false},
  {"c.addi sp,31",          "c.addi", 0x017d, 0x01f10113, op::kAddi, sp, sp, 0, 31, false},
  {"c.addiw a0,-1",         "c.addiw", 0x357d, 0xfff5051b, op::kAddiw, a0, a0, 0, -1, false},
  {"c.addiw ra,31",         "c.addiw", 0x20fd, 0x01f0809b, op::kAddiw, ra, ra, 0, 31, false},
  {"c.addiw s11,0",         "c.addiw", 0x2d81, 0x000d8d9b, op::kAddiw, s11, s11, 0, 0, false},
  {"c.li a0,-32",           "c.li",   0x5501, 0xfe000513, op::kAddi, a0, 0, 0, -32, false},
  {"c.li t0,31",            "c.li",   0x42fd, 0x01f00293, op::kAddi, t0, 0, 0, 31, false},
  {"c.li s1,0",             "c.li",   0x4481, 0x00000493, op::kAddi, s1, 0, 0, 0, false},
  {"c.addi16sp sp,-512",    "c.addi16sp", 0x7101, 0xe0010113, op::kAddi, sp, sp, 0, -512, false},
  {"c.addi16sp sp,496",     "c.addi16sp", 0x617d, 0x1f010113, op::kAddi, sp, sp, 0, 496, false},
  {"c.addi16sp sp,16",      "c.addi16sp", 0x6141, 0x01010113, op::kAddi, sp, sp, 0, 16, false},
  {"c.lui a0,0x1",          "c.lui",  0x6505, 0x00001537, op::kLui, a0, kAny, kAny, 0x1000, false},
  {"c.lui t1,0x1f",         "c.lui",  0x637d, 0x0001f337, op::kLui, t1, kAny, kAny, 0x1f000, false},
  {"c.lui s0,0xfffe0",      "c.lui",  0x7401, 0xfffe0437, op::kLui, s0, kAny, kAny, -0x20000, false},
  {"c.lui ra,0xfffff",      "c.lui",  0x70fd, 0xfffff0b7, op::kLui, ra, kAny, kAny, -0x1000, false},
  {"c.srli a0,1",           "c.srli", 0x8105, 0x00155513, op::kSrli, a0, a0, 0, 1, false},
  {"c.srli s1,63",          "c.srli", 0x90fd, 0x03f4d493, op::kSrli, s1, s1, 0, 63, false},
  {"c.srai a5,32",          "c.srai", 0x9781, 0x4207d793, op::kSrai, a5, a5, 0, 32, false},
  {"c.srai s0,1",           "c.srai", 0x8405, 0x40145413, op::kSrai, s0, s0, 0, 1, false},
  {"c.andi a0,-1",          "c.andi", 0x997d, 0xfff57513, op::kAndi, a0, a0, 0, -1, false},
  {"c.andi s1,31",          "c.andi", 0x88fd, 0x01f4f493, op::kAndi, s1, s1, 0, 31, false},
  {"c.andi a4,-32",         "c.andi", 0x9b01, 0xfe077713, op::kAndi, a4, a4, 0, -32, false},
  {"c.sub a0,a1",           "c.sub",  0x8d0d, 0x40b50533, op::kSub, a0, a0, a1, kAny, false},
  {"c.xor s0,a5",           "c.xor",  0x8c3d, 0x00f44433, op::kXor, s0, s0, a5, kAny, false},
  {"c.or a2,s1",            "c.or",   0x8e45, 0x00966633, op::kOr, a2, a2, s1, kAny, false},
  {"c.and a3,a4",           "c.and",  0x8ef9, 0x00e6f6b3, op::kAnd, a3, a3, a4, kAny, false},
  {"c.subw a5,s0",          "c.subw", 0x9f81, 0x408787bb, op::kSubw, a5, a5, s0, kAny, false},
  {"c.addw s1,a0",          "c.addw", 0x9ca9, 0x00a484bb, op::kAddw, s1, s1, a0, kAny, false},
  {"c.j .+2046",            "c.j",    0xaffd, 0x7fe0006f, op::kJal, kSink, kAny, kAny, 2046, true},
  {"c.j .-2048",            "c.j",    0xb001, 0x801ff06f, op::kJal, kSink, kAny, kAny, -2048, true},
  {"c.j .+2",               "c.j",    0xa009, 0x0020006f, op::kJal, kSink, kAny, kAny, 2, true},
  {"c.beqz a0,.+254",       "c.beqz", 0xcd7d, 0x0e050f63, op::kBeq, kAny, a0, 0, 254, true},
  {"c.beqz s1,.-256",       "c.beqz", 0xd081, 0xf00480e3, op::kBeq, kAny, s1, 0, -256, true},
  {"c.bnez a5,.+8",         "c.bnez", 0xe781, 0x00079463, op::kBne, kAny, a5, 0, 8, true},
  {"c.bnez s0,.-2",         "c.bnez", 0xfc7d, 0xfe041fe3, op::kBne, kAny, s0, 0, -2, true},
  {"c.slli a0,1",           "c.slli", 0x0506, 0x00151513, op::kSlli, a0, a0, 0, 1, false},
  {"c.slli t6,63",          "c.slli", 0x1ffe, 0x03ff9f93, op::kSlli, t6, t6, 0, 63, false},
  {"c.slli ra,32",          "c.slli", 0x1082, 0x02009093, op::kSlli, ra, ra, 0, 32, false},
  {"c.lwsp a0,0(sp)",       "c.lwsp", 0x4502, 0x00012503, op::kLw, a0, sp, 0, 0, false},
  {"c.lwsp t6,252(sp)",     "c.lwsp", 0x5ffe, 0x0fc12f83, op::kLw, t6, sp, 0, 252, false},
  {"c.lwsp ra,36(sp)",      "c.lwsp", 0x5092, 0x02412083, op::kLw, ra, sp, 0, 36, false},
  {"c.ldsp a0,504(sp)",     "c.ldsp", 0x757e, 0x1f813503, op::kLd, a0, sp, 0, 504, false},
  {"c.ldsp s11,8(sp)",      "c.ldsp", 0x6da2, 0x00813d83, op::kLd, s11, sp, 0, 8, false},
  {"c.ldsp ra,32(sp)",      "c.ldsp", 0x7082, 0x02013083, op::kLd, ra, sp, 0, 32, false},
  {"c.jr ra",               "c.jr",   0x8082, 0x00008067, op::kJalr, kSink, ra, 0, 0, true},
  {"c.jr t6",               "c.jr",   0x8f82, 0x000f8067, op::kJalr, kSink, t6, 0, 0, true},
  {"c.mv a0,a1",            "c.mv",   0x852e, 0x00b00533, op::kAdd, a0, 0, a1, kAny, false},
  {"c.mv t6,ra",            "c.mv",   0x8f86, 0x00100fb3, op::kAdd, t6, 0, ra, kAny, false},
  {"c.ebreak",              "c.ebreak", 0x9002, 0x00100073, op::kEbreak, kAny, kAny, kAny, kAny, true},
  {"c.jalr a0",             "c.jalr", 0x9502, 0x000500e7, op::kJalr, ra, a0, 0, 0, true},
  {"c.jalr ra",             "c.jalr", 0x9082, 0x000080e7, op::kJalr, ra, ra, 0, 0, true},
  {"c.add a0,a1",           "c.add",  0x952e, 0x00b50533, op::kAdd, a0, a0, a1, kAny, false},
  {"c.add sp,t6",           "c.add",  0x917e, 0x01f10133, op::kAdd, sp, sp, t6, kAny, false},
  {"c.swsp a0,0(sp)",       "c.swsp", 0xc02a, 0x00a12023, op::kSw, kAny, sp, a0, 0, false},
  {"c.swsp t6,252(sp)",     "c.swsp", 0xdffe, 0x0ff12e23, op::kSw, kAny, sp, t6, 252, false},
  {"c.swsp ra,132(sp)",     "c.swsp", 0xc306, 0x08112223, op::kSw, kAny, sp, ra, 132, false},
  {"c.sdsp a0,504(sp)",     "c.sdsp", 0xffaa, 0x1ea13c23, op::kSd, kAny, sp, a0, 504, false},
  {"c.sdsp s11,8(sp)",      "c.sdsp", 0xe46e, 0x01b13423, op::kSd, kAny, sp, s11, 8, false},
  {"c.sdsp zero,264(sp)",   "c.sdsp", 0xe602, 0x10013423, op::kSd, kAny, sp, 0, 264, false},
  // HINTs: legal encodings whose destination is x0; they must do nothing.
  {"c.li zero,5",           "c.li",   0x4015, rv::addi(zero, zero, 5), op::kAddi, kSink, 0, 0, 5, false},
  {"c.mv zero,a0",          "c.mv",   0x802a, rv::add(zero, zero, a0), op::kAdd, kSink, 0, a0, kAny, false},
  {"c.add zero,a0",         "c.add",  0x902a, rv::add(zero, zero, a0), op::kAdd, kSink, 0, a0, kAny, false},
  {"c.lui zero,0x1",        "c.lui",  0x6005, rv::lui(zero, 1), op::kLui, kSink, kAny, kAny, 0x1000, false},
  {"c.slli zero,1",         "c.slli", 0x0006, rv::slli(zero, zero, 1), op::kSlli, kSink, 0, 0, 1, false},
  {"c.addi zero,1",         "c.addi", 0x0005, rv::addi(zero, zero, 1), op::kAddi, kSink, 0, 0, 1, false},
};
// clang-format on

}  // namespace

TEST_CASE("every compressed instruction decodes to its expected operation and operands",
          "[isa][compressed]") {
  bool seen[std::size(kCompressedNames)] = {};
  for (const crow& r : kRows) {
    CAPTURE(r.text, r.half);
    const decoded_instruction d = decode16(r.half);
    CHECK(d.operation == r.operation);
    if (r.rd != kAny) CHECK(int{d.rd} == r.rd);
    if (r.rs1 != kAny) CHECK(int{d.rs1} == r.rs1);
    if (r.rs2 != kAny) CHECK(int{d.rs2} == r.rs2);
    if (r.imm != kAny) CHECK(d.imm == r.imm);
    CHECK(d.length == 2);
    REQUIRE(d.compressed_name >= 1);
    REQUIRE(d.compressed_name <= std::size(kCompressedNames));
    CHECK(std::string(kCompressedNames[d.compressed_name - 1]) == r.row);
    seen[d.compressed_name - 1] = true;
    // decode() of the halfword (with anything above it) gives the same.
    const decoded_instruction e = vm::isa::decode(0xffff0000u | r.half);
    CHECK(e.operation == d.operation);
    CHECK(e.length == 2);
  }
  for (std::size_t k = 0; k < std::size(kCompressedNames); ++k) {
    INFO("no table row for " << kCompressedNames[k]);
    CHECK(seen[k]);
  }
}

TEST_CASE("a compressed instruction decodes exactly like its 32-bit expansion",
          "[isa][compressed]") {
  for (const crow& r : kRows) {
    CAPTURE(r.text, r.half, r.word);
    const decoded_instruction c = decode16(r.half);
    const decoded_instruction w = decode32(r.word);
    CHECK(c.operation == w.operation);
    CHECK(c.rd == w.rd);
    CHECK(c.rs1 == w.rs1);
    CHECK(c.rs2 == w.rs2);
    CHECK(c.imm == w.imm);
    CHECK(w.length == 4);
    CHECK(w.compressed_name == 0);
  }
}

TEST_CASE("reserved and unsupported compressed encodings decode as illegal", "[isa][compressed]") {
  struct {
    const char* text;
    uint16_t half;
  } const cases[] = {
      {"all-zero halfword", 0x0000},
      {"c.addi4spn with zero immediate, rd' = s1", 0x0004},
      {"c.addi4spn with zero immediate, rd' = a5", 0x001c},
      {"c.lwsp rd = 0", 0x4002},
      {"c.lwsp rd = 0 with offset", 0x5002},
      {"c.ldsp rd = 0", 0x6002},
      {"c.ldsp rd = 0 with offset", 0x7ffe & ~0x0f80},
      {"c.jr rs1 = 0", 0x8002},
      {"c.addi16sp with zero immediate", 0x6101},
      {"c.lui a0 with zero immediate", 0x6501},
      {"c.lui ra with zero immediate", 0x6081},
      {"c.addiw rd = 0", 0x2005},
      {"c.addiw rd = 0, imm 0", 0x2001},
      {"quadrant 0 funct3 100", 0x8000},
      {"quadrant 0 funct3 100 with operands", 0x9ffc},
      {"c.subw-space funct2 10", 0x9c41},
      {"c.subw-space funct2 11", 0x9c61},
      {"c.fld (no F/D)", 0x2588},
      {"c.fsd (no F/D)", 0xa588},
      {"c.fldsp (no F/D)", 0x2522},
      {"c.fsdsp (no F/D)", 0xa42a},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text, c.half);
    const decoded_instruction d = decode16(c.half);
    CHECK(d.operation == op::kIllegal);
    CHECK(d.imm == c.half);
    CHECK(d.length == 2);
  }
}

TEST_CASE("every immediate bit of every compressed format lands in its place",
          "[isa][compressed]") {
  // Walking-one immediates (and the sign bit), encoded by GNU as; imm is
  // the immediate of the 32-bit expansion.
  struct row {
    uint16_t half;
    op operation;
    int32_t imm;
  };
  const row rows[] = {
      {0x0048, op::kAddi, 4},       // c.addi4spn a0, sp, 4
      {0x0028, op::kAddi, 8},       // c.addi4spn a0, sp, 8
      {0x0808, op::kAddi, 16},      // c.addi4spn a0, sp, 16
      {0x1008, op::kAddi, 32},      // c.addi4spn a0, sp, 32
      {0x0088, op::kAddi, 64},      // c.addi4spn a0, sp, 64
      {0x0108, op::kAddi, 128},     // c.addi4spn a0, sp, 128
      {0x0208, op::kAddi, 256},     // c.addi4spn a0, sp, 256
      {0x0408, op::kAddi, 512},     // c.addi4spn a0, sp, 512
      {0x41c8, op::kLw, 4},         // c.lw a0, 4(a1)
      {0x4588, op::kLw, 8},         // c.lw a0, 8(a1)
      {0x4988, op::kLw, 16},        // c.lw a0, 16(a1)
      {0x5188, op::kLw, 32},        // c.lw a0, 32(a1)
      {0x41a8, op::kLw, 64},        // c.lw a0, 64(a1)
      {0x6588, op::kLd, 8},         // c.ld a0, 8(a1)
      {0x6988, op::kLd, 16},        // c.ld a0, 16(a1)
      {0x7188, op::kLd, 32},        // c.ld a0, 32(a1)
      {0x61a8, op::kLd, 64},        // c.ld a0, 64(a1)
      {0x61c8, op::kLd, 128},       // c.ld a0, 128(a1)
      {0xc1c8, op::kSw, 4},         // c.sw a0, 4(a1)
      {0xc588, op::kSw, 8},         // c.sw a0, 8(a1)
      {0xc988, op::kSw, 16},        // c.sw a0, 16(a1)
      {0xd188, op::kSw, 32},        // c.sw a0, 32(a1)
      {0xc1a8, op::kSw, 64},        // c.sw a0, 64(a1)
      {0xe588, op::kSd, 8},         // c.sd a0, 8(a1)
      {0xe988, op::kSd, 16},        // c.sd a0, 16(a1)
      {0xf188, op::kSd, 32},        // c.sd a0, 32(a1)
      {0xe1a8, op::kSd, 64},        // c.sd a0, 64(a1)
      {0xe1c8, op::kSd, 128},       // c.sd a0, 128(a1)
      {0x0505, op::kAddi, 1},       // c.addi a0, 1
      {0x0509, op::kAddi, 2},       // c.addi a0, 2
      {0x0511, op::kAddi, 4},       // c.addi a0, 4
      {0x0521, op::kAddi, 8},       // c.addi a0, 8
      {0x0541, op::kAddi, 16},      // c.addi a0, 16
      {0x1501, op::kAddi, -32},     // c.addi a0, -32
      {0x2505, op::kAddiw, 1},      // c.addiw a0, 1
      {0x2509, op::kAddiw, 2},      // c.addiw a0, 2
      {0x2511, op::kAddiw, 4},      // c.addiw a0, 4
      {0x2521, op::kAddiw, 8},      // c.addiw a0, 8
      {0x2541, op::kAddiw, 16},     // c.addiw a0, 16
      {0x3501, op::kAddiw, -32},    // c.addiw a0, -32
      {0x4505, op::kAddi, 1},       // c.li a0, 1
      {0x4509, op::kAddi, 2},       // c.li a0, 2
      {0x4511, op::kAddi, 4},       // c.li a0, 4
      {0x4521, op::kAddi, 8},       // c.li a0, 8
      {0x4541, op::kAddi, 16},      // c.li a0, 16
      {0x5501, op::kAddi, -32},     // c.li a0, -32
      {0x6141, op::kAddi, 16},      // c.addi16sp sp, 16
      {0x6105, op::kAddi, 32},      // c.addi16sp sp, 32
      {0x6121, op::kAddi, 64},      // c.addi16sp sp, 64
      {0x6109, op::kAddi, 128},     // c.addi16sp sp, 128
      {0x6111, op::kAddi, 256},     // c.addi16sp sp, 256
      {0x7101, op::kAddi, -512},    // c.addi16sp sp, -512
      {0x6505, op::kLui, 4096},     // c.lui a0, 1
      {0x6509, op::kLui, 8192},     // c.lui a0, 2
      {0x6511, op::kLui, 16384},    // c.lui a0, 4
      {0x6521, op::kLui, 32768},    // c.lui a0, 8
      {0x6541, op::kLui, 65536},    // c.lui a0, 16
      {0x7501, op::kLui, -131072},  // c.lui a0, 1048544
      {0x8105, op::kSrli, 1},       // c.srli a0, 1
      {0x8109, op::kSrli, 2},       // c.srli a0, 2
      {0x8111, op::kSrli, 4},       // c.srli a0, 4
      {0x8121, op::kSrli, 8},       // c.srli a0, 8
      {0x8141, op::kSrli, 16},      // c.srli a0, 16
      {0x9101, op::kSrli, 32},      // c.srli a0, 32
      {0x8505, op::kSrai, 1},       // c.srai a0, 1
      {0x8509, op::kSrai, 2},       // c.srai a0, 2
      {0x8511, op::kSrai, 4},       // c.srai a0, 4
      {0x8521, op::kSrai, 8},       // c.srai a0, 8
      {0x8541, op::kSrai, 16},      // c.srai a0, 16
      {0x9501, op::kSrai, 32},      // c.srai a0, 32
      {0x8905, op::kAndi, 1},       // c.andi a0, 1
      {0x8909, op::kAndi, 2},       // c.andi a0, 2
      {0x8911, op::kAndi, 4},       // c.andi a0, 4
      {0x8921, op::kAndi, 8},       // c.andi a0, 8
      {0x8941, op::kAndi, 16},      // c.andi a0, 16
      {0x9901, op::kAndi, -32},     // c.andi a0, -32
      {0x0506, op::kSlli, 1},       // c.slli a0, 1
      {0x050a, op::kSlli, 2},       // c.slli a0, 2
      {0x0512, op::kSlli, 4},       // c.slli a0, 4
      {0x0522, op::kSlli, 8},       // c.slli a0, 8
      {0x0542, op::kSlli, 16},      // c.slli a0, 16
      {0x1502, op::kSlli, 32},      // c.slli a0, 32
      {0xa009, op::kJal, 2},        // c.j .+2
      {0xa011, op::kJal, 4},        // c.j .+4
      {0xa021, op::kJal, 8},        // c.j .+8
      {0xa801, op::kJal, 16},       // c.j .+16
      {0xa005, op::kJal, 32},       // c.j .+32
      {0xa081, op::kJal, 64},       // c.j .+64
      {0xa041, op::kJal, 128},      // c.j .+128
      {0xa201, op::kJal, 256},      // c.j .+256
      {0xa401, op::kJal, 512},      // c.j .+512
      {0xa101, op::kJal, 1024},     // c.j .+1024
      {0xb001, op::kJal, -2048},    // c.j .-2048
      {0xc109, op::kBeq, 2},        // c.beqz a0, .+2
      {0xc111, op::kBeq, 4},        // c.beqz a0, .+4
      {0xc501, op::kBeq, 8},        // c.beqz a0, .+8
      {0xc901, op::kBeq, 16},       // c.beqz a0, .+16
      {0xc105, op::kBeq, 32},       // c.beqz a0, .+32
      {0xc121, op::kBeq, 64},       // c.beqz a0, .+64
      {0xc141, op::kBeq, 128},      // c.beqz a0, .+128
      {0xd101, op::kBeq, -256},     // c.beqz a0, .-256
      {0xe109, op::kBne, 2},        // c.bnez a0, .+2
      {0xe111, op::kBne, 4},        // c.bnez a0, .+4
      {0xe501, op::kBne, 8},        // c.bnez a0, .+8
      {0xe901, op::kBne, 16},       // c.bnez a0, .+16
      {0xe105, op::kBne, 32},       // c.bnez a0, .+32
      {0xe121, op::kBne, 64},       // c.bnez a0, .+64
      {0xe141, op::kBne, 128},      // c.bnez a0, .+128
      {0xf101, op::kBne, -256},     // c.bnez a0, .-256
      {0x4512, op::kLw, 4},         // c.lwsp a0, 4(sp)
      {0x4522, op::kLw, 8},         // c.lwsp a0, 8(sp)
      {0x4542, op::kLw, 16},        // c.lwsp a0, 16(sp)
      {0x5502, op::kLw, 32},        // c.lwsp a0, 32(sp)
      {0x4506, op::kLw, 64},        // c.lwsp a0, 64(sp)
      {0x450a, op::kLw, 128},       // c.lwsp a0, 128(sp)
      {0x6522, op::kLd, 8},         // c.ldsp a0, 8(sp)
      {0x6542, op::kLd, 16},        // c.ldsp a0, 16(sp)
      {0x7502, op::kLd, 32},        // c.ldsp a0, 32(sp)
      {0x6506, op::kLd, 64},        // c.ldsp a0, 64(sp)
      {0x650a, op::kLd, 128},       // c.ldsp a0, 128(sp)
      {0x6512, op::kLd, 256},       // c.ldsp a0, 256(sp)
      {0xc22a, op::kSw, 4},         // c.swsp a0, 4(sp)
      {0xc42a, op::kSw, 8},         // c.swsp a0, 8(sp)
      {0xc82a, op::kSw, 16},        // c.swsp a0, 16(sp)
      {0xd02a, op::kSw, 32},        // c.swsp a0, 32(sp)
      {0xc0aa, op::kSw, 64},        // c.swsp a0, 64(sp)
      {0xc12a, op::kSw, 128},       // c.swsp a0, 128(sp)
      {0xe42a, op::kSd, 8},         // c.sdsp a0, 8(sp)
      {0xe82a, op::kSd, 16},        // c.sdsp a0, 16(sp)
      {0xf02a, op::kSd, 32},        // c.sdsp a0, 32(sp)
      {0xe0aa, op::kSd, 64},        // c.sdsp a0, 64(sp)
      {0xe12a, op::kSd, 128},       // c.sdsp a0, 128(sp)
      {0xe22a, op::kSd, 256},       // c.sdsp a0, 256(sp)
  };
  for (const row& r : rows) {
    CAPTURE(r.half, r.imm);
    const decoded_instruction d = decode16(r.half);
    CHECK(d.operation == r.operation);
    CHECK(d.imm == r.imm);
  }
}

namespace {

struct outcome {
  uint64_t x[32];
  uint64_t pc, mcause, mtval, mepc_offset;
  std::vector<uint8_t> data;
};

void fill_data(test_machine& m) {
  uint8_t* p = m.ram().host(kData);
  for (std::size_t n = 0; n < 0x1000; ++n) p[n] = static_cast<uint8_t>(n * 29 + 0x93);
}

// Runs one instruction (compressed or not) then an ebreak from the same
// registers and memory, and records everything it could have changed.
outcome run_one(test_machine& m, const uint64_t (&regs)[32], bool compressed, const crow& r) {
  m.hart().reset(kCode);
  m.state().csr.mtvec = kTrapVector;
  fill_data(m);
  for (unsigned k = 1; k < 32; ++k) m.x(k) = regs[k];
  if (compressed) {
    m.load_halves({r.half, kCEbreak});
  } else {
    m.load_words({r.word, rv::ebreak()});
  }
  m.run(100);
  outcome o{};
  for (unsigned k = 0; k < 32; ++k) o.x[k] = m.x(k);
  o.pc = m.state().pc;
  o.mcause = m.state().csr.mcause;
  // ebreak may report its own pc in mtval, which differs by design.
  o.mtval = o.mcause == 3 ? 0 : m.state().csr.mtval;
  // Where it stopped, in instructions: 1 = at the ebreak, 0 = it trapped itself.
  const uint64_t length = compressed ? 2 : 4;
  o.mepc_offset = m.state().csr.mepc == kCode + length ? 1 : m.state().csr.mepc == kCode ? 0 : 99;
  o.data.assign(m.ram().host(kData), m.ram().host(kData) + 0x1000);
  return o;
}

}  // namespace

TEST_CASE("every non-branching compressed instruction executes like its expansion",
          "[cpu][compressed]") {
  // Set A: sp and x8..x15 point into the data page so every load and store
  // hits RAM. Set B: values at the edges of signed/unsigned ranges (memory
  // rows then fault, and must fault the same way).
  uint64_t addresses[32] = {};
  uint64_t edges[32] = {};
  const uint64_t edge_values[] = {0x8000000000000000, 0xffffffffffffffff, 0x7fffffff,
                                  0x80000000,         0xffffffff80000000, 0xfffffffe,
                                  0x7fffffffffffffff, 0x0123456789abcdef};
  for (unsigned k = 1; k < 32; ++k) {
    addresses[k] = 0x0101010101010101ull * k + 0xf00000000000000full * (k & 1);
    edges[k] = edge_values[k % std::size(edge_values)] ^ (k << 8);
  }
  addresses[sp] = kData + 0x100;
  for (unsigned k = 8; k < 16; ++k) addresses[k] = kData + 0x400 + (k - 8) * 0x100;

  test_machine m;
  for (const crow& r : kRows) {
    if (r.control) continue;
    for (const auto* regs : {&addresses, &edges}) {
      CAPTURE(r.text, regs == &addresses ? "address registers" : "edge registers");
      const outcome c = run_one(m, *regs, true, r);
      const outcome w = run_one(m, *regs, false, r);
      if (regs == &addresses) {
        REQUIRE(c.mcause == 3);  // reached the ebreak
        REQUIRE(c.mepc_offset == 1);
      }
      for (unsigned k = 0; k < 32; ++k) {
        CAPTURE(k);
        CHECK(c.x[k] == w.x[k]);
      }
      CHECK(c.pc == w.pc);
      CHECK(c.mcause == w.mcause);
      CHECK(c.mtval == w.mtval);
      CHECK(c.mepc_offset == w.mepc_offset);
      CHECK(c.mepc_offset != 99);
      CHECK(c.data == w.data);
    }
  }
}

TEST_CASE("compressed HINTs leave every register unchanged", "[cpu][compressed]") {
  test_machine m;
  for (uint16_t half : {0x4015, 0x802a, 0x902a, 0x6005, 0x0006, 0x0005, 0x0001}) {
    CAPTURE(half);
    m.hart().reset(kCode);
    m.state().csr.mtvec = kTrapVector;
    for (unsigned k = 1; k < 32; ++k) m.x(k) = 1000 + k;
    m.load_halves({half, kCEbreak});
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.state().csr.mepc == kCode + 2);
    CHECK(m.x(0) == 0);
    for (unsigned k = 1; k < 32; ++k) CHECK(m.x(k) == 1000 + k);
  }
}

TEST_CASE("c.j c.beqz and c.bnez branch by their offsets", "[cpu][compressed][branch]") {
  test_machine m;
  SECTION("taken and not-taken forward branches") {
    m.x(a1) = 0;
    m.x(a2) = 1;
    m.x(a0) = 99;
    // c.li a0,0; c.j +4; c.li a0,1; c.beqz a1,+4; c.li a0,2; c.bnez a1,+4;
    // c.addi a0,4; c.bnez a2,+4; c.addi a0,8; c.beqz a2,+4; c.addi a0,16; c.ebreak
    m.load_halves({0x4501, 0xa011, 0x4505, 0xc191, 0x4509, 0xe191, 0x0511, 0xe211, 0x0521, 0xc211,
                   0x0541, 0x9002});
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.state().csr.mepc == kCode + 0x16);
    CHECK(m.x(a0) == 20);
  }
  SECTION("backward c.bnez loop") {
    // c.li a3,5; c.li a4,0; 1: c.addi a4,1; c.addi a3,-1; c.bnez a3,1b; c.ebreak
    m.load_halves({0x4695, 0x4701, 0x0705, 0x16fd, 0xfef5, 0x9002});
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.state().csr.mepc == kCode + 10);
    CHECK(m.x(a4) == 5);
    CHECK(m.x(a3) == 0);
  }
  SECTION("c.j over two bytes and to the next instruction") {
    // c.j +6; c.li a0,1; c.ebreak; c.j +2; c.ebreak
    m.load_halves({0xa019, 0x4505, 0x9002, 0xa009, 0x9002});
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.state().csr.mepc == kCode + 8);
    CHECK(m.x(a0) == 0);
  }
  SECTION("c.j -2048 and c.beqz -256 reach their targets") {
    const uint64_t at = kCode + 0x2000;
    m.load_halves({0x4529, kCEbreak}, at - 2048);         // c.li a0,10
    m.load_halves({0x45ad, kCEbreak}, at + 0x400 - 256);  // c.li a1,11
    m.load_halves({0xd081}, at + 0x400);                  // c.beqz s1,-256
    m.load_halves({0xb001}, at);                          // c.j -2048
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.state().csr.mepc == at - 2048 + 2);
    CHECK(m.x(a0) == 10);
    m.state().csr.mcause = 0;
    m.state().pc = at + 0x400;
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.state().csr.mepc == at + 0x400 - 256 + 2);
    CHECK(m.x(a1) == 11);
  }
}

TEST_CASE("c.jalr links pc + 2 and c.jr jumps without linking", "[cpu][compressed][jump]") {
  test_machine m;
  SECTION("c.jalr a5 then c.jr a6") {
    // 0: c.jalr a5; 2: c.li a0,1; 4: c.ebreak; 6: c.nop; 8: c.li a1,2;
    // 10: c.jr a6; 12: c.li a1,3; 14: c.ebreak
    m.x(a5) = kCode + 8;
    m.x(a6) = kCode + 14;
    m.load_halves({0x9782, 0x4505, 0x9002, 0x0001, 0x4589, 0x8802, 0x458d, 0x9002});
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.state().csr.mepc == kCode + 14);
    CHECK(m.x(ra) == kCode + 2);
    CHECK(m.x(a0) == 0);
    CHECK(m.x(a1) == 2);
    CHECK(m.x(a6) == kCode + 14);
  }
  SECTION("c.jalr ra jumps to the old ra") {
    // 0: c.jalr ra; 2: c.ebreak; 4: c.li a0,7; 6: c.ebreak
    m.x(ra) = kCode + 4;
    m.load_halves({0x9082, 0x9002, 0x451d, 0x9002});
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.state().csr.mepc == kCode + 6);
    CHECK(m.x(ra) == kCode + 2);
    CHECK(m.x(a0) == 7);
  }
  SECTION("c.jr to an odd address clears bit 0") {
    m.x(t6) = kCode + 5;  // -> kCode + 4
    m.load_halves({0x8f82, 0x9002, 0x451d, 0x9002});
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.state().csr.mepc == kCode + 6);
    CHECK(m.x(a0) == 7);
  }
}

TEST_CASE("c.ebreak raises a breakpoint at its own address", "[cpu][compressed][trap]") {
  test_machine m;
  m.load_halves({0x0001, 0x9002});
  m.run(100);
  CHECK(m.state().pc == kTrapVector);
  CHECK(m.state().csr.mcause == 3);
  CHECK(m.state().csr.mepc == kCode + 2);
}

TEST_CASE("executing a reserved compressed encoding raises illegal instruction with the halfword",
          "[cpu][compressed][trap]") {
  test_machine m;
  for (uint16_t half : {0x4002, 0x8002, 0x6101, 0x2005, 0x9c41, 0x2588}) {
    CAPTURE(half);
    m.hart().reset(kCode);
    m.state().csr.mtvec = kTrapVector;
    m.load_halves({0x4505, half, kCEbreak});  // c.li a0,1 first
    m.run(100);
    CHECK(m.state().pc == kTrapVector);
    CHECK(m.state().csr.mcause == 2);
    CHECK(m.state().csr.mepc == kCode + 2);
    CHECK(m.state().csr.mtval == half);
    CHECK(m.x(a0) == 1);
  }
}

TEST_CASE("32-bit instructions at 2-byte-aligned addresses mix with compressed ones",
          "[cpu][compressed]") {
  const uint32_t addi = rv::addi(a0, a0, 0x100);
  const auto lo = static_cast<uint16_t>(addi), hi = static_cast<uint16_t>(addi >> 16);
  test_machine m;
  SECTION("within a page") {
    // c.li a0,1; addi a0,a0,0x100 (at +2); c.addi a0,4; c.ebreak
    m.load_halves({0x4505, lo, hi, 0x0511, kCEbreak});
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.state().csr.mepc == kCode + 8);
    CHECK(m.x(a0) == 0x105);
  }
  SECTION("straddling a page boundary, run twice (decoded, then cached)") {
    const uint64_t start = kCode + 0x1000 - 4;
    // c.addi a0,1 at page end - 4; addi straddles page end - 2 .. +2; c.ebreak
    m.load_halves({0x0505, lo, hi, kCEbreak}, start);
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.state().csr.mepc == start + 6);
    CHECK(m.x(a0) == 0x101);
    m.state().pc = start;
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.state().csr.mepc == start + 6);
    CHECK(m.x(a0) == 0x202);
  }
}
