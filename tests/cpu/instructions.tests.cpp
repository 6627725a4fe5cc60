// Execution of every RV64I / M / A / Zifencei instruction of rv64.inc on
// the bare-metal test machine, with the edge cases of the ISA manual.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <vector>

#include "support/rv_asm.h"
#include "support/test_machine.h"

namespace {

namespace rv = vm::test::rv;
using namespace vm::test::rv;  // register names
using vm::test::reset_machine;
using vm::test::run_to_ebreak;
using vm::test::test_machine;

__extension__ typedef __int128 int128;
__extension__ typedef unsigned __int128 uint128;

constexpr uint64_t kCode = test_machine::kCodeBase;
constexpr uint64_t kData = test_machine::kDataBase;
constexpr uint64_t kTrapVector = test_machine::kTrapVector;
constexpr uint64_t kAllOnes = ~0ull;
constexpr uint64_t kMin64 = 0x8000000000000000ull;
constexpr uint64_t kMax64 = 0x7fffffffffffffffull;

constexpr uint64_t u64(int64_t v) {
  return static_cast<uint64_t>(v);
}
constexpr uint64_t kSentinel() {
  return 0x5e5e5e5e5e5e5e5e;
}

// Runs `code` and requires that its instruction at index `at` raised `cause`.
void exec_expect_trap(test_machine& m, const std::vector<uint32_t>& code, std::size_t at,
                      uint64_t cause) {
  m.load_words(code);
  m.run(1000);
  REQUIRE(m.state().pc == kTrapVector);
  REQUIRE(m.state().csr.mcause == cause);
  REQUIRE(m.state().csr.mepc == kCode + 4 * at);
}

// One instruction reading a1 (and a2) and writing a0.
struct alu_row {
  const char* text;
  uint32_t word;
  uint64_t a1, a2, expected;
};

void run_alu_rows(const alu_row* rows, std::size_t count) {
  test_machine m;
  for (std::size_t k = 0; k < count; ++k) {
    const alu_row& row = rows[k];
    CAPTURE(row.text, row.a1, row.a2);
    reset_machine(m);
    m.x(a0) = 0x5555555555555555;
    m.x(a1) = row.a1;
    m.x(a2) = row.a2;
    run_to_ebreak(m, {row.word});
    CHECK(m.x(a0) == row.expected);
    CHECK(m.x(a1) == row.a1);  // sources untouched
    CHECK(m.x(a2) == row.a2);
  }
}

// clang-format off
const alu_row kRegisterRows[] = {
  {"add",                     rv::add(a0, a1, a2),  1, 2, 3},
  {"add wraps",               rv::add(a0, a1, a2),  kAllOnes, 1, 0},
  {"add signed overflow",     rv::add(a0, a1, a2),  kMax64, 1, kMin64},
  {"sub",                     rv::sub(a0, a1, a2),  10, 3, 7},
  {"sub below zero",          rv::sub(a0, a1, a2),  0, 1, kAllOnes},
  {"sub signed overflow",     rv::sub(a0, a1, a2),  kMin64, 1, kMax64},
  {"sll",                     rv::sll(a0, a1, a2),  0xff, 4, 0xff0},
  {"sll by 63",               rv::sll(a0, a1, a2),  1, 63, kMin64},
  {"sll by 64 uses 6 bits",   rv::sll(a0, a1, a2),  1, 64, 1},
  {"sll by -63 uses 6 bits",  rv::sll(a0, a1, a2),  1, u64(-63), 2},
  {"slt less",                rv::slt(a0, a1, a2),  u64(-1), 1, 1},
  {"slt greater",             rv::slt(a0, a1, a2),  1, u64(-1), 0},
  {"slt equal",               rv::slt(a0, a1, a2),  5, 5, 0},
  {"slt min < max",           rv::slt(a0, a1, a2),  kMin64, kMax64, 1},
  {"sltu less",               rv::sltu(a0, a1, a2), 1, kAllOnes, 1},
  {"sltu greater",            rv::sltu(a0, a1, a2), kAllOnes, 1, 0},
  {"sltu equal",              rv::sltu(a0, a1, a2), 0, 0, 0},
  {"xor",                     rv::xor_(a0, a1, a2), 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xf0f0f0f0f0f0f0f0},
  {"srl",                     rv::srl(a0, a1, a2),  kAllOnes, 4, 0x0fffffffffffffff},
  {"srl by 63",               rv::srl(a0, a1, a2),  kMin64, 63, 1},
  {"srl by 64 uses 6 bits",   rv::srl(a0, a1, a2),  kMin64, 64, kMin64},
  {"sra negative",            rv::sra(a0, a1, a2),  0xf000000000000000, 4, 0xff00000000000000},
  {"sra by 63",               rv::sra(a0, a1, a2),  kMin64, 63, kAllOnes},
  {"sra by 0x44 uses 6 bits", rv::sra(a0, a1, a2),  0xf000000000000000, 0x44, 0xff00000000000000},
  {"sra positive",            rv::sra(a0, a1, a2),  0x7000000000000000, 4, 0x0700000000000000},
  {"or",                      rv::or_(a0, a1, a2),  0xf0f0, 0x0f0f000000000000, 0x0f0f00000000f0f0},
  {"and",                     rv::and_(a0, a1, a2), 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0x0f000f000f000f00},
  {"addw sign-extends",       rv::addw(a0, a1, a2), 0x7fffffff, 1, 0xffffffff80000000},
  {"addw wraps to zero",      rv::addw(a0, a1, a2), 0xffffffff, 1, 0},
  {"addw ignores upper bits", rv::addw(a0, a1, a2), 0x1234567800000001, 0x9abcdef000000002, 3},
  {"subw",                    rv::subw(a0, a1, a2), 0, 1, kAllOnes},
  {"subw to positive",        rv::subw(a0, a1, a2), 0x80000000, 1, 0x7fffffff},
  {"subw ignores upper bits", rv::subw(a0, a1, a2), 0x100000000, 0, 0},
  {"sllw sign-extends",       rv::sllw(a0, a1, a2), 1, 31, 0xffffffff80000000},
  {"sllw by 32 uses 5 bits",  rv::sllw(a0, a1, a2), 1, 32, 1},
  {"sllw drops upper bits",   rv::sllw(a0, a1, a2), 0xffffffff00000001, 1, 2},
  {"srlw",                    rv::srlw(a0, a1, a2), 0x80000000, 31, 1},
  {"srlw by 0 sign-extends",  rv::srlw(a0, a1, a2), 0x80000000, 0, 0xffffffff80000000},
  {"srlw by 33 uses 5 bits",  rv::srlw(a0, a1, a2), 0x80000000, 33, 0x40000000},
  {"srlw ignores upper bits", rv::srlw(a0, a1, a2), 0xffffffff00000000, 1, 0},
  {"sraw",                    rv::sraw(a0, a1, a2), 0x80000000, 31, kAllOnes},
  {"sraw by 4",               rv::sraw(a0, a1, a2), 0x80000000, 4, 0xfffffffff8000000},
  {"sraw positive",           rv::sraw(a0, a1, a2), 0x7fffffff, 30, 1},
  {"sraw ignores upper bits", rv::sraw(a0, a1, a2), 0xffffffff7fffffff, 36, 0x07ffffff},
  // M
  {"mul",                     rv::mul(a0, a1, a2),   3, u64(-2), u64(-6)},
  {"mul -1 * -1",             rv::mul(a0, a1, a2),   kAllOnes, kAllOnes, 1},
  {"mul keeps low bits",      rv::mul(a0, a1, a2),   0x100000000, 0x100000000, 0},
  {"mulh -1 * -1",            rv::mulh(a0, a1, a2),  kAllOnes, kAllOnes, 0},
  {"mulh min * min",          rv::mulh(a0, a1, a2),  kMin64, kMin64, 0x4000000000000000},
  {"mulh min * -1",           rv::mulh(a0, a1, a2),  kMin64, kAllOnes, 0},
  {"mulh -1 * 1",             rv::mulh(a0, a1, a2),  kAllOnes, 1, kAllOnes},
  {"mulh max * max",          rv::mulh(a0, a1, a2),  kMax64, kMax64, 0x3fffffffffffffff},
  {"mulhsu -1 * 2^64-1",      rv::mulhsu(a0, a1, a2), kAllOnes, kAllOnes, kAllOnes},
  {"mulhsu 1 * 2^64-1",       rv::mulhsu(a0, a1, a2), 1, kAllOnes, 0},
  {"mulhsu min * 2^64-1",     rv::mulhsu(a0, a1, a2), kMin64, kAllOnes, kMin64},
  {"mulhsu 2 * 2^63",         rv::mulhsu(a0, a1, a2), 2, kMin64, 1},
  {"mulhu max",               rv::mulhu(a0, a1, a2), kAllOnes, kAllOnes, 0xfffffffffffffffe},
  {"mulhu 2^63 * 2",          rv::mulhu(a0, a1, a2), kMin64, 2, 1},
  {"mulhu small",             rv::mulhu(a0, a1, a2), 12345, 67890, 0},
  {"div",                     rv::div(a0, a1, a2),   7, 2, 3},
  {"div truncates negative",  rv::div(a0, a1, a2),   u64(-7), 2, u64(-3)},
  {"div negative divisor",    rv::div(a0, a1, a2),   7, u64(-2), u64(-3)},
  {"div by zero",             rv::div(a0, a1, a2),   42, 0, kAllOnes},
  {"div zero by zero",        rv::div(a0, a1, a2),   0, 0, kAllOnes},
  {"div overflow",            rv::div(a0, a1, a2),   kMin64, kAllOnes, kMin64},
  {"divu",                    rv::divu(a0, a1, a2),  kAllOnes, 2, kMax64},
  {"divu by zero",            rv::divu(a0, a1, a2),  42, 0, kAllOnes},
  {"divu min by -1",          rv::divu(a0, a1, a2),  kMin64, kAllOnes, 0},
  {"rem negative dividend",   rv::rem(a0, a1, a2),   u64(-7), 2, kAllOnes},
  {"rem negative divisor",    rv::rem(a0, a1, a2),   7, u64(-2), 1},
  {"rem by zero",             rv::rem(a0, a1, a2),   u64(-42), 0, u64(-42)},
  {"rem overflow",            rv::rem(a0, a1, a2),   kMin64, kAllOnes, 0},
  {"remu",                    rv::remu(a0, a1, a2),  kAllOnes, 10, 5},
  {"remu by zero",            rv::remu(a0, a1, a2),  kAllOnes, 0, kAllOnes},
  {"mulw sign-extends",       rv::mulw(a0, a1, a2),  0x7fffffff, 2, 0xfffffffffffffffe},
  {"mulw keeps low 32 bits",  rv::mulw(a0, a1, a2),  0x100000001, 0x100000001, 1},
  {"mulw to 2^31",            rv::mulw(a0, a1, a2),  0x8000, 0x10000, 0xffffffff80000000},
  {"mulw to 2^32",            rv::mulw(a0, a1, a2),  0x10000, 0x10000, 0},
  {"divw truncates",          rv::divw(a0, a1, a2),  u64(-7), 2, u64(-3)},
  {"divw ignores upper bits", rv::divw(a0, a1, a2),  0x00000001fffffff9, 0xffffffff00000002, u64(-3)},
  {"divw by zero",            rv::divw(a0, a1, a2),  5, 0xffffffff00000000, kAllOnes},
  {"divw overflow",           rv::divw(a0, a1, a2),  0x80000000, 0xffffffff, 0xffffffff80000000},
  {"divuw sign-extends",      rv::divuw(a0, a1, a2), 0xffffffff, 1, kAllOnes},
  {"divuw",                   rv::divuw(a0, a1, a2), 0x80000000, 2, 0x40000000},
  {"divuw by zero",           rv::divuw(a0, a1, a2), 5, 0, kAllOnes},
  {"divuw ignores upper bits", rv::divuw(a0, a1, a2), 0xffffffff00000010, 0x100000002, 8},
  {"remw",                    rv::remw(a0, a1, a2),  u64(-7), 2, kAllOnes},
  {"remw overflow",           rv::remw(a0, a1, a2),  0x80000000, kAllOnes, 0},
  {"remw by zero sign-extends dividend", rv::remw(a0, a1, a2), 0x80000000, 0, 0xffffffff80000000},
  {"remw ignores upper bits", rv::remw(a0, a1, a2),  0x1234567800000007, 0xff00000004, 3},
  {"remuw",                   rv::remuw(a0, a1, a2), 0xffffffff, 10, 5},
  {"remuw by zero sign-extends dividend", rv::remuw(a0, a1, a2), 0x80000001, 0, 0xffffffff80000001},
  {"remuw small",             rv::remuw(a0, a1, a2), 9, 4, 1},
};

const alu_row kImmediateRows[] = {
  {"addi -1",                 rv::addi(a0, a1, -1),     1, 0, 0},
  {"addi wraps",              rv::addi(a0, a1, 1),      kMax64, 0, kMin64},
  {"addi -2048",              rv::addi(a0, a1, -2048),  0, 0, 0xfffffffffffff800},
  {"addi 2047",               rv::addi(a0, a1, 2047),   5, 0, 2052},
  {"slti true",               rv::slti(a0, a1, 0),      kAllOnes, 0, 1},
  {"slti false",              rv::slti(a0, a1, -1),     0, 0, 0},
  {"slti equal",              rv::slti(a0, a1, 5),      5, 0, 0},
  {"slti min",                rv::slti(a0, a1, -2048),  kMin64, 0, 1},
  {"sltiu -1 is all ones",    rv::sltiu(a0, a1, -1),    5, 0, 1},
  {"sltiu all ones vs -1",    rv::sltiu(a0, a1, -1),    kAllOnes, 0, 0},
  {"sltiu 0 (seqz) of 0",     rv::sltiu(a0, a1, 1),     0, 0, 1},
  {"sltiu 0 (seqz) of 7",     rv::sltiu(a0, a1, 1),     7, 0, 0},
  {"sltiu -2048 equal",       rv::sltiu(a0, a1, -2048), 0xfffffffffffff800, 0, 0},
  {"sltiu -2048 below",       rv::sltiu(a0, a1, -2048), 0xfffffffffffff7ff, 0, 1},
  {"xori -1 (not)",           rv::xori(a0, a1, -1),     0x0123456789abcdef, 0, 0xfedcba9876543210},
  {"xori",                    rv::xori(a0, a1, 0x0f0),  0xff, 0, 0x00f},
  {"ori negative",            rv::ori(a0, a1, -2048),   0, 0, 0xfffffffffffff800},
  {"ori",                     rv::ori(a0, a1, 1),       0x100, 0, 0x101},
  {"andi negative",           rv::andi(a0, a1, -16),    kAllOnes, 0, 0xfffffffffffffff0},
  {"andi",                    rv::andi(a0, a1, 0x7ff),  0xffff, 0, 0x7ff},
  {"andi zero",               rv::andi(a0, a1, 0),      0x1234, 0, 0},
  {"slli 63",                 rv::slli(a0, a1, 63),     1, 0, kMin64},
  {"slli 32",                 rv::slli(a0, a1, 32),     0xff, 0, 0xff00000000},
  {"slli 0",                  rv::slli(a0, a1, 0),      0x1234, 0, 0x1234},
  {"srli 63",                 rv::srli(a0, a1, 63),     kMin64, 0, 1},
  {"srli 32",                 rv::srli(a0, a1, 32),     kAllOnes, 0, 0xffffffff},
  {"srai 63 of negative",     rv::srai(a0, a1, 63),     kMin64, 0, kAllOnes},
  {"srai 2 of negative",      rv::srai(a0, a1, 2),      0xfffffffffffffff0, 0, 0xfffffffffffffffc},
  {"srai 40 of -1",           rv::srai(a0, a1, 40),     kAllOnes, 0, kAllOnes},
  {"srai 62 of positive",     rv::srai(a0, a1, 62),     kMax64, 0, 1},
  {"addiw sign-extends",      rv::addiw(a0, a1, 1),     0x7fffffff, 0, 0xffffffff80000000},
  {"addiw wraps to zero",     rv::addiw(a0, a1, 1),     0xffffffff, 0, 0},
  {"addiw -1 of 2^32",        rv::addiw(a0, a1, -1),    0x100000000, 0, kAllOnes},
  {"addiw 0 (sext.w)",        rv::addiw(a0, a1, 0),     0x80000000, 0, 0xffffffff80000000},
  {"slliw 31",                rv::slliw(a0, a1, 31),    1, 0, 0xffffffff80000000},
  {"slliw drops upper bits",  rv::slliw(a0, a1, 4),     0xffffffff00000001, 0, 0x10},
  {"slliw 1 sign-extends",    rv::slliw(a0, a1, 1),     0xffffffff, 0, 0xfffffffffffffffe},
  {"srliw",                   rv::srliw(a0, a1, 1),     0x80000000, 0, 0x40000000},
  {"srliw 0 sign-extends",    rv::srliw(a0, a1, 0),     0x80000000, 0, 0xffffffff80000000},
  {"srliw ignores upper bits", rv::srliw(a0, a1, 4),    0x1234567800000010, 0, 1},
  {"sraiw 31 of negative",    rv::sraiw(a0, a1, 31),    0x80000000, 0, kAllOnes},
  {"sraiw 4 of negative",     rv::sraiw(a0, a1, 4),     0x80000000, 0, 0xfffffffff8000000},
  {"sraiw 2 of negative",     rv::sraiw(a0, a1, 2),     0xfffffff0, 0, 0xfffffffffffffffc},
  {"sraiw 30 of positive",    rv::sraiw(a0, a1, 30),    0x7fffffff, 0, 1},
  {"sraiw ignores upper bits", rv::sraiw(a0, a1, 6),    0x8000000000000040, 0, 1},
};
// clang-format on

}  // namespace

TEST_CASE("register-register ALU and M instructions give the ISA manual's results", "[cpu][alu]") {
  run_alu_rows(kRegisterRows, std::size(kRegisterRows));
}

TEST_CASE("register-immediate ALU instructions give the ISA manual's results", "[cpu][alu]") {
  run_alu_rows(kImmediateRows, std::size(kImmediateRows));
}

TEST_CASE("an instruction whose destination is also its source reads it first", "[cpu][alu]") {
  test_machine m;
  m.x(a0) = 5;
  m.x(a1) = 3;
  run_to_ebreak(
      m, {rv::add(a0, a0, a0), rv::sub(a1, a0, a1), rv::mul(a2, a1, a1), rv::addiw(a2, a2, -1)});
  CHECK(m.x(a0) == 10);
  CHECK(m.x(a1) == 7);
  CHECK(m.x(a2) == 48);
}

TEST_CASE("mulh mulhsu and mulhu match 128-bit products", "[cpu][alu][mul]") {
  const uint64_t values[] = {0,
                             1,
                             2,
                             3,
                             kAllOnes,
                             u64(-2),
                             kMin64,
                             kMax64,
                             0xffffffff,
                             0xffffffff00000000,
                             0x123456789abcdef0,
                             0xfedcba9876543210};
  test_machine m;
  for (uint64_t x : values) {
    for (uint64_t y : values) {
      CAPTURE(x, y);
      reset_machine(m);
      m.x(a1) = x;
      m.x(a2) = y;
      run_to_ebreak(m, {rv::mul(a0, a1, a2), rv::mulh(a3, a1, a2), rv::mulhsu(a4, a1, a2),
                        rv::mulhu(a5, a1, a2), rv::mulw(a6, a1, a2)});
      const auto sx = static_cast<int128>(static_cast<int64_t>(x));
      const auto sy = static_cast<int128>(static_cast<int64_t>(y));
      CHECK(m.x(a0) == x * y);
      CHECK(m.x(a3) == static_cast<uint64_t>((sx * sy) >> 64));
      CHECK(m.x(a4) == static_cast<uint64_t>((sx * static_cast<int128>(y)) >> 64));
      CHECK(m.x(a5) == static_cast<uint64_t>((static_cast<uint128>(x) * y) >> 64));
      CHECK(m.x(a6) == static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(
                           static_cast<uint32_t>(x) * static_cast<uint32_t>(y)))));
    }
  }
}

TEST_CASE("division and remainder follow the ISA manual's table for every operand pair",
          "[cpu][alu][div]") {
  // Reference from the ISA manual: x/0 = -1 (all ones), x%0 = x; signed
  // overflow (min / -1) gives min and remainder 0; otherwise truncation.
  const uint64_t values[] = {
      0,      1,      7,          u64(-7),    2,          u64(-2),           kAllOnes,
      kMin64, kMax64, 0x80000000, 0xffffffff, 0x7fffffff, 0xffffffff80000000};
  test_machine m;
  for (uint64_t x : values) {
    for (uint64_t y : values) {
      CAPTURE(x, y);
      reset_machine(m);
      m.x(a1) = x;
      m.x(a2) = y;
      run_to_ebreak(m, {rv::div(a0, a1, a2), rv::divu(a3, a1, a2), rv::rem(a4, a1, a2),
                        rv::remu(a5, a1, a2), rv::divw(a6, a1, a2), rv::divuw(a7, a1, a2),
                        rv::remw(s2, a1, a2), rv::remuw(s3, a1, a2)});
      const auto sx = static_cast<int64_t>(x), sy = static_cast<int64_t>(y);
      uint64_t div, rem;
      if (y == 0) {
        div = kAllOnes;
        rem = x;
      } else if (x == kMin64 && sy == -1) {
        div = x;
        rem = 0;
      } else {
        div = u64(sx / sy);
        rem = u64(sx % sy);
      }
      CHECK(m.x(a0) == div);
      CHECK(m.x(a4) == rem);
      CHECK(m.x(a3) == (y == 0 ? kAllOnes : x / y));
      CHECK(m.x(a5) == (y == 0 ? x : x % y));

      const auto wx = static_cast<int32_t>(x), wy = static_cast<int32_t>(y);
      const auto ux = static_cast<uint32_t>(x), uy = static_cast<uint32_t>(y);
      int32_t divw, remw;
      if (wy == 0) {
        divw = -1;
        remw = wx;
      } else if (wx == INT32_MIN && wy == -1) {
        divw = wx;
        remw = 0;
      } else {
        divw = wx / wy;
        remw = wx % wy;
      }
      const auto sext = [](uint32_t v) { return u64(static_cast<int32_t>(v)); };
      CHECK(m.x(a6) == u64(divw));
      CHECK(m.x(s2) == u64(remw));
      CHECK(m.x(a7) == sext(uy == 0 ? 0xffffffffu : ux / uy));
      CHECK(m.x(s3) == sext(uy == 0 ? ux : ux % uy));
    }
  }
}

TEST_CASE("lui and auipc sign-extend bit 31 of their immediate", "[cpu][alu]") {
  test_machine m;
  run_to_ebreak(m,
                {rv::lui(a0, 0x80000), rv::lui(a1, 0x7ffff), rv::lui(a2, 0xfffff), rv::auipc(a3, 0),
                 rv::auipc(a4, 1), rv::auipc(a5, 0xfffff), rv::auipc(a6, 0x80000), rv::lui(a7, 0)});
  CHECK(m.x(a0) == 0xffffffff80000000);
  CHECK(m.x(a1) == 0x7ffff000);
  CHECK(m.x(a2) == 0xfffffffffffff000);
  CHECK(m.x(a3) == kCode + 12);
  CHECK(m.x(a4) == kCode + 16 + 0x1000);
  CHECK(m.x(a5) == kCode + 20 - 0x1000);
  CHECK(m.x(a6) == kCode + 24 - 0x80000000ull);  // 0x80000018 - 2^31
  CHECK(m.x(a7) == 0);
}

TEST_CASE("writes to x0 are discarded by every kind of instruction", "[cpu][alu]") {
  test_machine m;
  m.x(a1) = 7;
  m.x(a2) = kData;
  m.write64(kData, 100);
  m.write64(kData + 8, 0x1111111111111111);
  m.x(a0) = 99;
  m.x(a3) = 99;
  m.state().csr.mscratch = 0;
  run_to_ebreak(m, {
                       rv::addi(zero, zero, 5),
                       rv::lui(zero, 0x12345),
                       rv::auipc(zero, 1),
                       rv::add(zero, a1, a1),
                       rv::mul(zero, a1, a1),
                       rv::ld(zero, a2, 0),
                       rv::jal(zero, 4),  // to the next instruction
                       rv::amoadd_d(zero, a2, a1),
                       rv::csrrw(zero, rv::csr::kMscratch, a1),
                       rv::add(a0, zero, zero),
                       rv::sd(zero, a2, 8),
                       rv::addi(a3, zero, 0),
                   });
  CHECK(m.x(0) == 0);
  CHECK(m.x(a0) == 0);
  CHECK(m.x(a3) == 0);
  CHECK(m.read64(kData) == 107);       // the AMO still happened
  CHECK(m.read64(kData + 8) == 0);     // x0 stored as zero
  CHECK(m.state().csr.mscratch == 7);  // the CSR write still happened
}

// ---- control transfer ----------------------------------------------------

TEST_CASE("conditional branches compare signed and unsigned as the manual says", "[cpu][branch]") {
  struct row {
    const char* text;
    uint32_t (*branch)(unsigned, unsigned, int32_t);
    uint64_t x, y;
    bool taken;
  };
  // clang-format off
  const row rows[] = {
    {"beq equal",        rv::beq,  5, 5, true},
    {"beq different",    rv::beq,  5, 6, false},
    {"beq -1 all ones",  rv::beq,  u64(-1), kAllOnes, true},
    {"bne equal",        rv::bne,  5, 5, false},
    {"bne different",    rv::bne,  5, 6, true},
    {"bne sign bit",     rv::bne,  0, kMin64, true},
    {"blt -1 < 0",       rv::blt,  kAllOnes, 0, true},
    {"blt 0 < -1",       rv::blt,  0, kAllOnes, false},
    {"blt equal",        rv::blt,  5, 5, false},
    {"blt min < max",    rv::blt,  kMin64, kMax64, true},
    {"bge -1 >= 0",      rv::bge,  kAllOnes, 0, false},
    {"bge 0 >= -1",      rv::bge,  0, kAllOnes, true},
    {"bge equal",        rv::bge,  5, 5, true},
    {"bge max >= min",   rv::bge,  kMax64, kMin64, true},
    {"bltu 0 < ~0",      rv::bltu, 0, kAllOnes, true},
    {"bltu ~0 < 0",      rv::bltu, kAllOnes, 0, false},
    {"bltu equal",       rv::bltu, 5, 5, false},
    {"bltu 1 < 2",       rv::bltu, 1, 2, true},
    {"bgeu ~0 >= 0",     rv::bgeu, kAllOnes, 0, true},
    {"bgeu 0 >= ~0",     rv::bgeu, 0, kAllOnes, false},
    {"bgeu equal",       rv::bgeu, 5, 5, true},
    {"bgeu 1 >= 2",      rv::bgeu, 1, 2, false},
  };
  // clang-format on
  test_machine m;
  for (const row& r : rows) {
    CAPTURE(r.text, r.x, r.y);
    reset_machine(m);
    m.x(a1) = r.x;
    m.x(a2) = r.y;
    // 0: branch +12; 4: a0 = 1; 8: ebreak; 12: a0 = 2; 16: ebreak
    m.load_words({r.branch(a1, a2, 12), rv::addi(a0, zero, 1), rv::ebreak(), rv::addi(a0, zero, 2),
                  rv::ebreak()});
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.x(a0) == (r.taken ? 2u : 1u));
    CHECK(m.state().csr.mepc == kCode + (r.taken ? 16 : 8));
  }
}

TEST_CASE("a backward branch loops and far branches reach their targets", "[cpu][branch]") {
  test_machine m;
  SECTION("countdown loop") {
    m.x(t0) = 5;
    run_to_ebreak(m, {rv::addi(a0, a0, 3), rv::addi(t0, t0, -1), rv::bne(t0, zero, -8)});
    CHECK(m.x(a0) == 15);
    CHECK(m.x(t0) == 0);
  }
  SECTION("beq +4094 lands on a 2-byte-aligned 32-bit instruction") {
    m.write32(kCode + 4094, rv::addi(a0, zero, 42));  // misaligned by 2: fine with C
    m.write32(kCode + 4098, rv::ebreak());
    m.load_words({rv::beq(zero, zero, 4094)});
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.x(a0) == 42);
    CHECK(m.state().csr.mepc == kCode + 4098);
  }
  SECTION("bne -4096") {
    const uint64_t at = kCode + 0x2000;
    m.write32(at - 4096, rv::addi(a0, zero, 43));
    m.write32(at - 4092, rv::ebreak());
    m.x(a1) = 1;
    m.load_words({rv::bne(a1, zero, -4096)}, at);
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.x(a0) == 43);
  }
}

TEST_CASE("jal links pc + 4 and jumps relative to itself", "[cpu][jump]") {
  test_machine m;
  SECTION("forward") {
    // 0: jal ra, +12; 4: a0 = 1; 8: ebreak; 12: a1 = 2; 16: ebreak
    m.load_words({rv::jal(ra, 12), rv::addi(a0, zero, 1), rv::ebreak(), rv::addi(a1, zero, 2),
                  rv::ebreak()});
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.state().csr.mepc == kCode + 16);
    CHECK(m.x(ra) == kCode + 4);
    CHECK(m.x(a0) == 0);
    CHECK(m.x(a1) == 2);
  }
  SECTION("backward") {
    // 0: j +12; 4: a1 = 7; 8: ebreak; 12: jal t0, -8
    m.load_words({rv::jal(zero, 12), rv::addi(a1, zero, 7), rv::ebreak(), rv::jal(t0, -8)});
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.state().csr.mepc == kCode + 8);
    CHECK(m.x(t0) == kCode + 16);
    CHECK(m.x(a1) == 7);
  }
  SECTION("far forward") {
    m.write32(kCode + 0x80000, rv::ebreak());
    m.load_words({rv::jal(ra, 0x80000)});
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.state().csr.mepc == kCode + 0x80000);
    CHECK(m.x(ra) == kCode + 4);
  }
}

TEST_CASE("jalr jumps to rs1 + imm with bit 0 cleared and links pc + 4", "[cpu][jump]") {
  // 0: jalr; 4: a0 = 1; 8: ebreak; 12: a1 = 2; 16: ebreak
  struct row {
    const char* text;
    uint32_t word;
    uint64_t t1;
    unsigned link;
  };
  const row rows[] = {
      {"odd target", rv::jalr(ra, t1, 0), kCode + 13, ra},
      {"odd sum", rv::jalr(ra, t1, 1), kCode + 12, ra},
      {"negative offset", rv::jalr(t2, t1, -100), kCode + 112, t2},
      {"rd == rs1 uses the old rs1", rv::jalr(t1, t1, 0), kCode + 12, t1},
  };
  test_machine m;
  for (const row& r : rows) {
    CAPTURE(r.text);
    reset_machine(m);
    m.x(t1) = r.t1;
    m.load_words(
        {r.word, rv::addi(a0, zero, 1), rv::ebreak(), rv::addi(a1, zero, 2), rv::ebreak()});
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.state().csr.mepc == kCode + 16);
    CHECK(m.x(r.link) == kCode + 4);
    CHECK(m.x(a0) == 0);
    CHECK(m.x(a1) == 2);
  }
}

// ---- loads and stores ------------------------------------------------------

TEST_CASE("loads sign- or zero-extend as their width and signedness say", "[cpu][mem]") {
  test_machine m;
  m.write64(kData, 0x8182838485868788);
  m.write64(kData + 8, 0x0102030405060708);
  m.x(a1) = kData;
  m.x(a2) = kData + 16;
  run_to_ebreak(m, {
                       rv::lb(s2, a1, 0),
                       rv::lbu(s3, a1, 0),
                       rv::lh(s4, a1, 0),
                       rv::lhu(s5, a1, 0),
                       rv::lw(s6, a1, 0),
                       rv::lwu(s7, a1, 0),
                       rv::ld(s8, a1, 0),
                       rv::lb(s9, a1, 7),
                       rv::lb(t3, a2, -8),
                       rv::lh(t4, a2, -8),
                       rv::lw(t5, a2, -8),
                       rv::lwu(t6, a2, -8),
                       rv::ld(a3, a2, -8),
                       rv::lhu(a4, a2, -2),
                       rv::lh(a5, a2, -2),
                   });
  CHECK(m.x(s2) == 0xffffffffffffff88);
  CHECK(m.x(s3) == 0x88);
  CHECK(m.x(s4) == 0xffffffffffff8788);
  CHECK(m.x(s5) == 0x8788);
  CHECK(m.x(s6) == 0xffffffff85868788);
  CHECK(m.x(s7) == 0x85868788);
  CHECK(m.x(s8) == 0x8182838485868788);
  CHECK(m.x(s9) == 0xffffffffffffff81);
  CHECK(m.x(t3) == 0x08);
  CHECK(m.x(t4) == 0x0708);
  CHECK(m.x(t5) == 0x05060708);
  CHECK(m.x(t6) == 0x05060708);
  CHECK(m.x(a3) == 0x0102030405060708);
  CHECK(m.x(a4) == 0x0102);
  CHECK(m.x(a5) == 0x0102);
}

TEST_CASE("stores write exactly their width", "[cpu][mem]") {
  test_machine m;
  for (uint64_t off = 0; off < 48; off += 8) m.write64(kData + off, 0xaaaaaaaaaaaaaaaa);
  m.x(a1) = kData;
  m.x(a2) = 0x1122334455667788;
  m.x(a3) = kData + 48;
  run_to_ebreak(m, {rv::sb(a2, a1, 0), rv::sh(a2, a1, 8), rv::sw(a2, a1, 16), rv::sd(a2, a1, 24),
                    rv::sw(a2, a3, -12), rv::sb(a2, a3, -1)});
  CHECK(m.read64(kData) == 0xaaaaaaaaaaaaaa88);
  CHECK(m.read64(kData + 8) == 0xaaaaaaaaaaaa7788);
  CHECK(m.read64(kData + 16) == 0xaaaaaaaa55667788);
  CHECK(m.read64(kData + 24) == 0x1122334455667788);
  CHECK(m.read64(kData + 32) == 0x55667788aaaaaaaa);
  CHECK(m.read64(kData + 40) == 0x88aaaaaaaaaaaaaa);
  CHECK(m.read64(kData + 48) == 0);
}

TEST_CASE("misaligned loads and stores work like aligned ones within and across pages",
          "[cpu][mem][misaligned]") {
  // Addresses just inside a page, at every misalignment, and straddling the
  // page boundary at kData + 0x1000 by 1..7 bytes.
  std::vector<uint64_t> addresses;
  for (uint64_t k = 1; k < 8; ++k) addresses.push_back(kData + 0x40 + k);
  for (uint64_t k = 1; k < 8; ++k) addresses.push_back(kData + 0x1000 - k);

  uint8_t pattern[0x2000];
  for (std::size_t n = 0; n < sizeof pattern; ++n) pattern[n] = static_cast<uint8_t>(n * 37 + 0x85);

  test_machine m;
  for (uint64_t address : addresses) {
    CAPTURE(address - kData);
    reset_machine(m);
    std::memcpy(m.ram().host(kData), pattern, sizeof pattern);
    m.x(a1) = address;
    m.x(a2) = 0x8877665544332211;
    run_to_ebreak(m, {rv::ld(s2, a1, 0), rv::lw(s3, a1, 0), rv::lwu(s4, a1, 0), rv::lh(s5, a1, 0),
                      rv::lhu(s6, a1, 0), rv::addi(a3, a1, -1), rv::ld(s7, a3, 1)});
    const uint8_t* at = pattern + (address - kData);
    uint64_t d;
    int32_t w;
    uint32_t uw;
    int16_t h;
    uint16_t uh;
    std::memcpy(&d, at, 8);
    std::memcpy(&w, at, 4);
    std::memcpy(&uw, at, 4);
    std::memcpy(&h, at, 2);
    std::memcpy(&uh, at, 2);
    CHECK(m.x(s2) == d);
    CHECK(m.x(s3) == u64(w));
    CHECK(m.x(s4) == uw);
    CHECK(m.x(s5) == u64(h));
    CHECK(m.x(s6) == uh);
    CHECK(m.x(s7) == d);

    for (unsigned size : {2u, 4u, 8u}) {
      CAPTURE(size);
      reset_machine(m);
      std::memcpy(m.ram().host(kData), pattern, sizeof pattern);
      m.x(a1) = address;
      m.x(a2) = 0x8877665544332211;
      const uint32_t store = size == 2   ? rv::sh(a2, a1, 0)
                             : size == 4 ? rv::sw(a2, a1, 0)
                                         : rv::sd(a2, a1, 0);
      run_to_ebreak(m, {store});
      uint8_t expected[sizeof pattern];
      std::memcpy(expected, pattern, sizeof pattern);
      const uint64_t value = 0x8877665544332211;
      std::memcpy(expected + (address - kData), &value, size);
      CHECK(std::memcmp(m.ram().host(kData), expected, sizeof expected) == 0);
    }
  }
}

// ---- A extension ------------------------------------------------------------

TEST_CASE("sc succeeds after lr to the same address", "[cpu][amo][lrsc]") {
  test_machine m;
  m.write64(kData, 0x1111111180000001);
  m.write64(kData + 8, 0x2222222222222222);
  m.x(a1) = kData;
  m.x(a4) = kData + 8;
  m.x(a3) = 0x99999999aaaaaaaa;
  m.x(a2) = 0x55;
  m.x(a6) = 0x55;
  run_to_ebreak(m,
                {rv::lr_w(a0, a1), rv::sc_w(a2, a1, a3), rv::lr_d(a5, a4), rv::sc_d(a6, a4, a3)});
  CHECK(m.x(a0) == 0xffffffff80000001);  // lr.w sign-extends
  CHECK(m.x(a2) == 0);                   // success
  CHECK(m.read32(kData) == 0xaaaaaaaa);
  CHECK(m.read32(kData + 4) == 0x11111111);  // sc.w wrote 4 bytes only
  CHECK(m.x(a5) == 0x2222222222222222);
  CHECK(m.x(a6) == 0);
  CHECK(m.read64(kData + 8) == 0x99999999aaaaaaaa);
}

TEST_CASE("sc fails without a reservation and leaves memory unchanged", "[cpu][amo][lrsc]") {
  const bool word = GENERATE(true, false);
  CAPTURE(word);
  const auto lr = word ? rv::lr_w : rv::lr_d;
  const auto sc = word ? rv::sc_w : rv::sc_d;
  const uint64_t initial = 0x1111111111111111;
  const uint64_t stored = word ? 0x1111111100000042 : 0x42;
  test_machine m;
  m.write64(kData, initial);
  m.x(a1) = kData;
  m.x(a3) = 0x42;
  SECTION("no lr at all") {
    run_to_ebreak(m, {sc(a2, a1, a3), sc(a4, a1, a3)});
    CHECK(m.x(a2) == 1);
    CHECK(m.x(a4) == 1);
    CHECK(m.read64(kData) == initial);
  }
  SECTION("a second sc after a successful one") {
    run_to_ebreak(m, {lr(a0, a1), sc(a2, a1, a3), rv::addi(a3, a3, 1), sc(a4, a1, a3)});
    CHECK(m.x(a2) == 0);
    CHECK(m.x(a4) == 1);
    CHECK(m.read64(kData) == stored);
  }
  SECTION("a failed sc also clears the reservation") {
    // The failed sc is to the next page, far outside the reservation.
    m.x(a5) = kData + 0x1000;
    run_to_ebreak(m, {lr(a0, a1), sc(a2, a5, a3), sc(a4, a1, a3)});
    CHECK(m.x(a2) == 1);
    CHECK(m.x(a4) == 1);
    CHECK(m.read64(kData) == initial);
    CHECK(m.read64(kData + 0x1000) == 0);
  }
}

TEST_CASE("sc fails after a trap between lr and sc", "[cpu][amo][lrsc][trap]") {
  // A handler that skips the trapping instruction and returns.
  const uint64_t handler = kCode + 0x400;
  const bool trap_between = GENERATE(false, true);
  CAPTURE(trap_between);
  test_machine m;
  m.load_words(
      {rv::csrr(t0, rv::csr::kMepc), rv::addi(t0, t0, 4), rv::csrw(rv::csr::kMepc, t0), rv::mret()},
      handler);
  m.state().csr.mtvec = handler;
  m.write64(kData, 7);
  m.x(a1) = kData;
  m.x(a3) = 0x42;
  m.x(t6) = kTrapVector;
  run_to_ebreak(m, {rv::lr_d(a0, a1), trap_between ? rv::ecall() : rv::nop(), rv::sc_d(a2, a1, a3),
                    rv::csrw(rv::csr::kMtvec, t6)});
  CHECK(m.x(a0) == 7);
  if (trap_between) {
    CHECK(m.x(a2) == 1);
    CHECK(m.read64(kData) == 7);
  } else {
    CHECK(m.x(a2) == 0);
    CHECK(m.read64(kData) == 0x42);
  }
}

TEST_CASE("AMOs return the old value and store the operation's result", "[cpu][amo]") {
  struct row {
    const char* text;
    uint32_t word;  // rd = a0, address = a1, operand = a2
    bool is_word;
    uint64_t old, operand, stored;
  };
  constexpr uint64_t kHigh = 0xdeadbeef00000000;  // ignored by .w operands
  // clang-format off
  const row rows[] = {
    {"amoswap.w",  rv::amoswap_w(a0, a1, a2), true, 0xfffffff0, kHigh | 0x10, 0x00000010},
    {"amoadd.w",   rv::amoadd_w(a0, a1, a2),  true, 0xfffffff0, kHigh | 0x10, 0x00000000},
    {"amoxor.w",   rv::amoxor_w(a0, a1, a2),  true, 0xfffffff0, kHigh | 0x10, 0xffffffe0},
    {"amoand.w",   rv::amoand_w(a0, a1, a2),  true, 0xfffffff0, kHigh | 0x10, 0x00000010},
    {"amoor.w",    rv::amoor_w(a0, a1, a2),   true, 0xfffffff0, kHigh | 0x10, 0xfffffff0},
    {"amomin.w",   rv::amomin_w(a0, a1, a2),  true, 0xfffffff0, kHigh | 0x10, 0xfffffff0},
    {"amomax.w",   rv::amomax_w(a0, a1, a2),  true, 0xfffffff0, kHigh | 0x10, 0x00000010},
    {"amominu.w",  rv::amominu_w(a0, a1, a2), true, 0xfffffff0, kHigh | 0x10, 0x00000010},
    {"amomaxu.w",  rv::amomaxu_w(a0, a1, a2), true, 0xfffffff0, kHigh | 0x10, 0xfffffff0},
    {"amoswap.w+", rv::amoswap_w(a0, a1, a2), true, 0x7fffffff, 0x80000000, 0x80000000},
    {"amoadd.w+",  rv::amoadd_w(a0, a1, a2),  true, 0x7fffffff, 0x80000000, 0xffffffff},
    {"amoxor.w+",  rv::amoxor_w(a0, a1, a2),  true, 0x7fffffff, 0x80000000, 0xffffffff},
    {"amoand.w+",  rv::amoand_w(a0, a1, a2),  true, 0x7fffffff, 0x80000000, 0x00000000},
    {"amoor.w+",   rv::amoor_w(a0, a1, a2),   true, 0x7fffffff, 0x80000000, 0xffffffff},
    {"amomin.w+",  rv::amomin_w(a0, a1, a2),  true, 0x7fffffff, 0x80000000, 0x80000000},
    {"amomax.w+",  rv::amomax_w(a0, a1, a2),  true, 0x7fffffff, 0x80000000, 0x7fffffff},
    {"amominu.w+", rv::amominu_w(a0, a1, a2), true, 0x7fffffff, 0x80000000, 0x7fffffff},
    {"amomaxu.w+", rv::amomaxu_w(a0, a1, a2), true, 0x7fffffff, 0x80000000, 0x80000000},
    {"amoswap.d",  rv::amoswap_d(a0, a1, a2), false, u64(-16), 0x10, 0x10},
    {"amoadd.d",   rv::amoadd_d(a0, a1, a2),  false, u64(-16), 0x10, 0},
    {"amoxor.d",   rv::amoxor_d(a0, a1, a2),  false, u64(-16), 0x10, u64(-32)},
    {"amoand.d",   rv::amoand_d(a0, a1, a2),  false, u64(-16), 0x10, 0x10},
    {"amoor.d",    rv::amoor_d(a0, a1, a2),   false, u64(-16), 0x10, u64(-16)},
    {"amomin.d",   rv::amomin_d(a0, a1, a2),  false, u64(-16), 0x10, u64(-16)},
    {"amomax.d",   rv::amomax_d(a0, a1, a2),  false, u64(-16), 0x10, 0x10},
    {"amominu.d",  rv::amominu_d(a0, a1, a2), false, u64(-16), 0x10, 0x10},
    {"amomaxu.d",  rv::amomaxu_d(a0, a1, a2), false, u64(-16), 0x10, u64(-16)},
    {"amoswap.d+", rv::amoswap_d(a0, a1, a2), false, kMax64, kMin64, kMin64},
    {"amoadd.d+",  rv::amoadd_d(a0, a1, a2),  false, kMax64, kMin64, kAllOnes},
    {"amoxor.d+",  rv::amoxor_d(a0, a1, a2),  false, kMax64, kMin64, kAllOnes},
    {"amoand.d+",  rv::amoand_d(a0, a1, a2),  false, kMax64, kMin64, 0},
    {"amoor.d+",   rv::amoor_d(a0, a1, a2),   false, kMax64, kMin64, kAllOnes},
    {"amomin.d+",  rv::amomin_d(a0, a1, a2),  false, kMax64, kMin64, kMin64},
    {"amomax.d+",  rv::amomax_d(a0, a1, a2),  false, kMax64, kMin64, kMax64},
    {"amominu.d+", rv::amominu_d(a0, a1, a2), false, kMax64, kMin64, kMax64},
    {"amomaxu.d+", rv::amomaxu_d(a0, a1, a2), false, kMax64, kMin64, kMin64},
  };
  // clang-format on
  test_machine m;
  for (const row& r : rows) {
    CAPTURE(r.text, r.old, r.operand);
    reset_machine(m);
    const uint64_t guard = 0x5a5a5a5a5a5a5a5a;
    m.write64(kData, guard);
    m.write64(kData + 8, guard);
    m.write64(kData + 16, guard);
    if (r.is_word) {
      m.write32(kData + 8, static_cast<uint32_t>(r.old));
    } else {
      m.write64(kData + 8, r.old);
    }
    m.x(a1) = kData + 8;
    m.x(a2) = r.operand;
    run_to_ebreak(m, {r.word});
    if (r.is_word) {
      CHECK(m.x(a0) == u64(static_cast<int32_t>(static_cast<uint32_t>(r.old))));
      CHECK(m.read32(kData + 8) == static_cast<uint32_t>(r.stored));
      CHECK(m.read32(kData + 12) == 0x5a5a5a5a);
    } else {
      CHECK(m.x(a0) == r.old);
      CHECK(m.read64(kData + 8) == r.stored);
    }
    CHECK(m.read64(kData) == guard);
    CHECK(m.read64(kData + 16) == guard);
    CHECK(m.x(a2) == r.operand);
  }
}

TEST_CASE("an AMO whose destination is its operand register reads the operand first",
          "[cpu][amo]") {
  test_machine m;
  m.write64(kData, 100);
  m.write64(kData + 8, 5);
  m.x(a1) = kData;
  m.x(a2) = 7;
  m.x(a3) = kData + 8;
  run_to_ebreak(m, {rv::amoadd_d(a2, a1, a2), rv::amoswap_w(a3, a3, a1)});
  CHECK(m.x(a2) == 100);
  CHECK(m.read64(kData) == 107);
  CHECK(m.x(a3) == 5);  // rd == rs1: the address was read before the write
  CHECK(m.read32(kData + 8) == static_cast<uint32_t>(kData));
}

TEST_CASE("misaligned AMO and SC raise store/AMO misaligned and misaligned LR load misaligned",
          "[cpu][amo][trap]") {
  struct row {
    const char* text;
    uint32_t word;
    uint64_t offset;
    uint64_t cause;
  };
  const row rows[] = {
      {"amoadd.w at +2", rv::amoadd_w(a0, a1, a2), 2, 6},
      {"amoswap.w at +1", rv::amoswap_w(a0, a1, a2), 1, 6},
      {"amomaxu.w at +3", rv::amomaxu_w(a0, a1, a2), 3, 6},
      {"amoadd.d at +4", rv::amoadd_d(a0, a1, a2), 4, 6},
      {"amoor.d at +1", rv::amoor_d(a0, a1, a2), 1, 6},
      {"amominu.d at +6", rv::amominu_d(a0, a1, a2), 6, 6},
      {"sc.w at +2", rv::sc_w(a0, a1, a2), 2, 6},
      {"sc.d at +4", rv::sc_d(a0, a1, a2), 4, 6},
      {"lr.w at +1", rv::lr_w(a0, a1), 1, 4},
      {"lr.w at +2", rv::lr_w(a0, a1), 2, 4},
      {"lr.d at +4", rv::lr_d(a0, a1), 4, 4},
  };
  test_machine m;
  for (const row& r : rows) {
    CAPTURE(r.text);
    reset_machine(m);
    m.write64(kData, 0x0123456789abcdef);
    m.write64(kData + 8, 0x0123456789abcdef);
    m.x(a0) = 0xaaaa;
    m.x(a1) = kData + r.offset;
    m.x(a2) = 0xffffffffffffffff;
    exec_expect_trap(m, {rv::nop(), r.word, rv::ebreak()}, 1, r.cause);
    CHECK(m.state().csr.mtval == kData + r.offset);
    CHECK(m.x(a0) == 0xaaaa);
    CHECK(m.read64(kData) == 0x0123456789abcdef);
    CHECK(m.read64(kData + 8) == 0x0123456789abcdef);
  }
}

TEST_CASE("aq and rl bits do not change what an AMO does", "[cpu][amo]") {
  test_machine m;
  m.write64(kData, 10);
  m.x(a1) = kData;
  m.x(a2) = 5;
  run_to_ebreak(m, {rv::amo(rv::kAmoAdd, 3, a0, a1, a2, true, false),
                    rv::amo(rv::kAmoAdd, 3, a3, a1, a2, false, true),
                    rv::amo(rv::kAmoAdd, 3, a4, a1, a2, true, true),
                    rv::amo(rv::kAmoLr, 3, a5, a1, 0, true, true),
                    rv::amo(rv::kAmoSc, 3, a6, a1, a2, true, true)});
  CHECK(m.x(a0) == 10);
  CHECK(m.x(a3) == 15);
  CHECK(m.x(a4) == 20);
  CHECK(m.x(a5) == 25);
  CHECK(m.x(a6) == 0);
  CHECK(m.read64(kData) == 5);
}

// ---- fences ---------------------------------------------------------------------

TEST_CASE("fence is a no-op that execution continues past", "[cpu][fence]") {
  test_machine m;
  run_to_ebreak(m, {rv::addi(a0, zero, 1), rv::fence(), rv::addi(a0, a0, 1), rv::fence(),
                    rv::addi(a0, a0, 1)});
  CHECK(m.x(a0) == 3);
}

TEST_CASE("fence.i makes a store to already executed code visible", "[cpu][fence]") {
  test_machine m;
  m.x(a1) = kCode;
  m.x(a2) = rv::addi(a0, a0, 100);
  // 0: a0 += 1 (patched to a0 += 100)   4: second pass? -> 24
  // 8: t0 = 1   12: patch 0   16: fence.i   20: j 0   24: ebreak
  run_to_ebreak(m, {rv::addi(a0, a0, 1), rv::bne(t0, zero, 20), rv::addi(t0, zero, 1),
                    rv::sw(a2, a1, 0), rv::fence_i(), rv::jal(zero, -20)});
  CHECK(m.x(a0) == 101);
}

TEST_CASE("fence.i makes a store to the instruction right after it visible", "[cpu][fence]") {
  test_machine m;
  m.x(a1) = kCode;
  m.x(a2) = rv::addi(a0, zero, 2);
  // The block holding the store and the fence.i also holds the old word.
  run_to_ebreak(m, {rv::sw(a2, a1, 8), rv::fence_i(), rv::addi(a0, zero, 1)});
  CHECK(m.x(a0) == 2);
}

// ---- faults and block boundaries -------------------------------------------------

TEST_CASE("memory accesses outside RAM raise access faults with the address in mtval",
          "[cpu][mem][trap]") {
  struct row {
    const char* text;
    uint32_t word;  // address register a1
    uint64_t address;
    uint64_t cause;
  };
  const row rows[] = {
      {"ld from 0", rv::ld(a0, a1, 0), 0, 5},
      {"lbu below RAM", rv::lbu(a0, a1, 0), kCode - 1, 5},
      {"sw to 0x10", rv::sw(a2, a1, 0), 0x10, 7},
      {"sb to 0x10", rv::sb(a2, a1, 0), 0x10, 7},
      {"lr.w from 0x10", rv::lr_w(a0, a1), 0x10, 5},
      {"amoadd.d to 0x10", rv::amoadd_d(a0, a1, a2), 0x10, 7},
      {"amoswap.w to 0x10", rv::amoswap_w(a0, a1, a2), 0x10, 7},
  };
  test_machine m;
  for (const row& r : rows) {
    CAPTURE(r.text);
    reset_machine(m);
    m.x(a0) = kSentinel();
    m.x(a1) = r.address;
    m.x(a2) = 1;
    exec_expect_trap(m, {rv::nop(), r.word}, 1, r.cause);
    CHECK(m.state().csr.mtval == r.address);
    CHECK(m.x(a0) == kSentinel());
  }
}

TEST_CASE("a misaligned access running past the end of RAM faults and stores nothing",
          "[cpu][mem][trap][misaligned]") {
  test_machine m;
  const uint64_t end = test_machine::kRamBase + m.ram().size();
  const uint64_t address = end - 4;
  m.write32(address, 0x11223344);
  m.x(a1) = address;
  m.x(a0) = kSentinel();
  m.x(a2) = 0xaabbccddeeff0011;
  SECTION("ld") {
    exec_expect_trap(m, {rv::ld(a0, a1, 0)}, 0, 5);
    CHECK(m.x(a0) == kSentinel());
  }
  SECTION("sd") {
    exec_expect_trap(m, {rv::sd(a2, a1, 0)}, 0, 7);
    CHECK(m.read32(address) == 0x11223344);
  }
  // Either the access's address or that of its faulting part.
  const uint64_t tval = m.state().csr.mtval;
  CHECK((tval == address || tval == end));
}

TEST_CASE("straight-line code longer than a block and across a page runs every instruction",
          "[cpu][block]") {
  test_machine m;
  SECTION("200 instructions in a row") {
    std::vector<uint32_t> code(200, rv::addi(a0, a0, 1));
    code.push_back(rv::csrr(a1, rv::csr::kInstret));
    run_to_ebreak(m, code);
    CHECK(m.x(a0) == 200);
    CHECK(m.x(a1) == 200);
  }
  SECTION("across a page boundary") {
    const uint64_t start = kCode + 0x1000 - 12;
    m.load_words({rv::addi(a0, a0, 1), rv::addi(a0, a0, 2), rv::addi(a0, a0, 4),
                  rv::addi(a0, a0, 8), rv::addi(a0, a0, 16), rv::ebreak()},
                 start);
    m.run(100);
    REQUIRE(m.state().csr.mcause == 3);
    CHECK(m.state().csr.mepc == start + 20);
    CHECK(m.x(a0) == 31);
  }
}
