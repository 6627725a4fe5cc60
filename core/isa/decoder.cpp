// decoder.cpp - table-driven decoding of RV64IMAC. The tables are built at
// compile time from the bit patterns in rv64.inc.

#include "isa/decoder.h"

#include <array>
#include <string_view>

#include "common/bits.h"

namespace vm::isa {
namespace {

enum class format : uint8_t {
  kR,
  kI,
  kS,
  kB,
  kU,
  kJ,
  kShift64,
  kShift32,
  kCsr,
  kCsrImm,
  kAmo,
  kNone
};

enum class cformat : uint8_t {
  kCiwAddi4spn,
  kClW,
  kClD,
  kCsW,
  kCsD,
  kCiAddi,
  kCiAddiw,
  kCiLi,
  kCiAddi16sp,
  kCiLui,
  kCbShift,
  kCbAndi,
  kCa,
  kCj,
  kCbBranch,
  kCiSlli,
  kCiLwsp,
  kCiLdsp,
  kCrJr,
  kCrMv,
  kCrNone,
  kCrJalr,
  kCrAdd,
  kCssSwsp,
  kCssSdsp
};

struct mask_match {
  uint32_t mask = 0;
  uint32_t match = 0;
};

// Parses "01-0 ..." (most significant bit first, spaces ignored). A pattern
// of the wrong width is a compile-time error because the tables are constexpr.
consteval mask_match parse_pattern(std::string_view pattern, unsigned width) {
  mask_match result;
  unsigned count = 0;
  for (char c : pattern) {
    if (c == ' ') continue;
    result.mask <<= 1;
    result.match <<= 1;
    if (c == '0' || c == '1') {
      result.mask |= 1;
      result.match |= (c == '1') ? 1 : 0;
    } else if (c != '-') {
      throw "bad character in instruction pattern";
    }
    ++count;
  }
  if (count != width) throw "instruction pattern has the wrong width";
  return result;
}

struct row32 {
  mask_match bits;
  op operation;
  format form;
};

struct row16 {
  mask_match bits;
  op operation;
  cformat form;
};

constexpr auto kTable32 = std::to_array<row32>({
#define VM_INSN(name, mnemonic, pattern, fmt) \
  {parse_pattern(pattern, 32), op::k##name, format::fmt},
#include "isa/rv64.inc"
});

constexpr auto kTable16 = std::to_array<row16>({
#define VM_CINSN(name, mnemonic, pattern, cfmt, target) \
  {parse_pattern(pattern, 16), op::k##target, cformat::cfmt},
#include "isa/rv64.inc"
});

constexpr uint8_t dest(uint64_t reg) noexcept {
  return reg == 0 ? kSinkRegister : static_cast<uint8_t>(reg);
}

decoded_instruction illegal(uint32_t word, uint8_t length) noexcept {
  decoded_instruction d;
  d.operation = op::kIllegal;
  d.length = length;
  d.imm = static_cast<int32_t>(word);
  return d;
}

}  // namespace

decoded_instruction decode32(uint32_t word) noexcept {
  for (const row32& row : kTable32) {
    if ((word & row.bits.mask) != row.bits.match) continue;
    decoded_instruction d;
    d.operation = row.operation;
    d.length = 4;
    const auto rd = bits(word, 11, 7);
    const auto rs1 = static_cast<uint8_t>(bits(word, 19, 15));
    const auto rs2 = static_cast<uint8_t>(bits(word, 24, 20));
    switch (row.form) {
      case format::kR:
      case format::kAmo:
        d.rd = dest(rd);
        d.rs1 = rs1;
        d.rs2 = rs2;
        break;
      case format::kI:
        d.rd = dest(rd);
        d.rs1 = rs1;
        d.imm = static_cast<int32_t>(sign_extend(bits(word, 31, 20), 12));
        break;
      case format::kS:
        d.rs1 = rs1;
        d.rs2 = rs2;
        d.imm =
            static_cast<int32_t>(sign_extend((bits(word, 31, 25) << 5) | bits(word, 11, 7), 12));
        break;
      case format::kB:
        d.rs1 = rs1;
        d.rs2 = rs2;
        d.imm = static_cast<int32_t>(
            sign_extend((bits(word, 31, 31) << 12) | (bits(word, 7, 7) << 11) |
                            (bits(word, 30, 25) << 5) | (bits(word, 11, 8) << 1),
                        13));
        break;
      case format::kU:
        d.rd = dest(rd);
        d.imm = static_cast<int32_t>(word & 0xfffff000u);
        break;
      case format::kJ:
        d.rd = dest(rd);
        d.imm = static_cast<int32_t>(
            sign_extend((bits(word, 31, 31) << 20) | (bits(word, 19, 12) << 12) |
                            (bits(word, 20, 20) << 11) | (bits(word, 30, 21) << 1),
                        21));
        break;
      case format::kShift64:
        d.rd = dest(rd);
        d.rs1 = rs1;
        d.imm = static_cast<int32_t>(bits(word, 25, 20));
        break;
      case format::kShift32:
        d.rd = dest(rd);
        d.rs1 = rs1;
        d.imm = static_cast<int32_t>(bits(word, 24, 20));
        break;
      case format::kCsr:
      case format::kCsrImm:  // rs1 holds the 5-bit unsigned immediate
        d.rd = dest(rd);
        d.rs1 = rs1;
        d.imm = static_cast<int32_t>(bits(word, 31, 20));
        break;
      case format::kNone: break;
    }
    return d;
  }
  return illegal(word, 4);
}

decoded_instruction decode16(uint16_t half) noexcept {
  const uint64_t h = half;
  for (std::size_t index = 0; index < kTable16.size(); ++index) {
    const row16& row = kTable16[index];
    if ((half & row.bits.mask) != row.bits.match) continue;
    decoded_instruction d;
    d.operation = row.operation;
    d.length = 2;
    d.compressed_name = static_cast<uint8_t>(index + 1);
    const auto full_rd = static_cast<uint8_t>(bits(h, 11, 7));
    const auto full_rs2 = static_cast<uint8_t>(bits(h, 6, 2));
    const auto short_rd = static_cast<uint8_t>(bits(h, 4, 2) + 8);   // rd' / rs2'
    const auto short_rs1 = static_cast<uint8_t>(bits(h, 9, 7) + 8);  // rs1' / rd'
    const uint64_t imm6 = (bits(h, 12, 12) << 5) | bits(h, 6, 2);
    switch (row.form) {
      case cformat::kCiwAddi4spn: {
        const uint64_t imm = (bits(h, 12, 11) << 4) | (bits(h, 10, 7) << 6) | (bits(h, 6, 6) << 2) |
                             (bits(h, 5, 5) << 3);
        if (imm == 0) return illegal(half, 2);
        d.rd = short_rd;
        d.rs1 = 2;
        d.imm = static_cast<int32_t>(imm);
        break;
      }
      case cformat::kClW:
      case cformat::kCsW: {
        const uint64_t imm = (bits(h, 12, 10) << 3) | (bits(h, 6, 6) << 2) | (bits(h, 5, 5) << 6);
        d.rs1 = short_rs1;
        if (row.form == cformat::kClW)
          d.rd = short_rd;
        else
          d.rs2 = short_rd;
        d.imm = static_cast<int32_t>(imm);
        break;
      }
      case cformat::kClD:
      case cformat::kCsD: {
        const uint64_t imm = (bits(h, 12, 10) << 3) | (bits(h, 6, 5) << 6);
        d.rs1 = short_rs1;
        if (row.form == cformat::kClD)
          d.rd = short_rd;
        else
          d.rs2 = short_rd;
        d.imm = static_cast<int32_t>(imm);
        break;
      }
      case cformat::kCiAddi:
        d.rd = dest(full_rd);
        d.rs1 = full_rd;
        d.imm = static_cast<int32_t>(sign_extend(imm6, 6));
        break;
      case cformat::kCiAddiw:
        if (full_rd == 0) return illegal(half, 2);
        d.rd = full_rd;
        d.rs1 = full_rd;
        d.imm = static_cast<int32_t>(sign_extend(imm6, 6));
        break;
      case cformat::kCiLi:
        d.rd = dest(full_rd);
        d.rs1 = 0;
        d.imm = static_cast<int32_t>(sign_extend(imm6, 6));
        break;
      case cformat::kCiAddi16sp: {
        const uint64_t imm = (bits(h, 12, 12) << 9) | (bits(h, 6, 6) << 4) | (bits(h, 5, 5) << 6) |
                             (bits(h, 4, 3) << 7) | (bits(h, 2, 2) << 5);
        if (imm == 0) return illegal(half, 2);
        d.rd = 2;
        d.rs1 = 2;
        d.imm = static_cast<int32_t>(sign_extend(imm, 10));
        break;
      }
      case cformat::kCiLui:
        if (imm6 == 0) return illegal(half, 2);
        d.rd = dest(full_rd);
        d.imm = static_cast<int32_t>(sign_extend(imm6 << 12, 18));
        break;
      case cformat::kCbShift:
        d.rd = short_rs1;
        d.rs1 = short_rs1;
        d.imm = static_cast<int32_t>(imm6);
        break;
      case cformat::kCbAndi:
        d.rd = short_rs1;
        d.rs1 = short_rs1;
        d.imm = static_cast<int32_t>(sign_extend(imm6, 6));
        break;
      case cformat::kCa:
        d.rd = short_rs1;
        d.rs1 = short_rs1;
        d.rs2 = short_rd;
        break;
      case cformat::kCj:
        d.rd = kSinkRegister;
        d.imm = static_cast<int32_t>(sign_extend((bits(h, 12, 12) << 11) | (bits(h, 11, 11) << 4) |
                                                     (bits(h, 10, 9) << 8) | (bits(h, 8, 8) << 10) |
                                                     (bits(h, 7, 7) << 6) | (bits(h, 6, 6) << 7) |
                                                     (bits(h, 5, 3) << 1) | (bits(h, 2, 2) << 5),
                                                 12));
        break;
      case cformat::kCbBranch:
        d.rs1 = short_rs1;
        d.rs2 = 0;
        d.imm = static_cast<int32_t>(sign_extend((bits(h, 12, 12) << 8) | (bits(h, 11, 10) << 3) |
                                                     (bits(h, 6, 5) << 6) | (bits(h, 4, 3) << 1) |
                                                     (bits(h, 2, 2) << 5),
                                                 9));
        break;
      case cformat::kCiSlli:
        d.rd = dest(full_rd);
        d.rs1 = full_rd;
        d.imm = static_cast<int32_t>(imm6);
        break;
      case cformat::kCiLwsp:
        if (full_rd == 0) return illegal(half, 2);
        d.rd = full_rd;
        d.rs1 = 2;
        d.imm = static_cast<int32_t>((bits(h, 12, 12) << 5) | (bits(h, 6, 4) << 2) |
                                     (bits(h, 3, 2) << 6));
        break;
      case cformat::kCiLdsp:
        if (full_rd == 0) return illegal(half, 2);
        d.rd = full_rd;
        d.rs1 = 2;
        d.imm = static_cast<int32_t>((bits(h, 12, 12) << 5) | (bits(h, 6, 5) << 3) |
                                     (bits(h, 4, 2) << 6));
        break;
      case cformat::kCrJr:
        if (full_rd == 0) return illegal(half, 2);
        d.rd = kSinkRegister;
        d.rs1 = full_rd;
        break;
      case cformat::kCrMv:
        d.rd = dest(full_rd);
        d.rs1 = 0;
        d.rs2 = full_rs2;
        break;
      case cformat::kCrNone: break;
      case cformat::kCrJalr:
        d.rd = 1;
        d.rs1 = full_rd;
        break;
      case cformat::kCrAdd:
        d.rd = dest(full_rd);
        d.rs1 = full_rd;
        d.rs2 = full_rs2;
        break;
      case cformat::kCssSwsp:
        d.rs1 = 2;
        d.rs2 = full_rs2;
        d.imm = static_cast<int32_t>((bits(h, 12, 9) << 2) | (bits(h, 8, 7) << 6));
        break;
      case cformat::kCssSdsp:
        d.rs1 = 2;
        d.rs2 = full_rs2;
        d.imm = static_cast<int32_t>((bits(h, 12, 10) << 3) | (bits(h, 9, 7) << 6));
        break;
    }
    return d;
  }
  return illegal(half, 2);
}

std::string_view mnemonic(op operation) noexcept {
  switch (operation) {
    // clang-format off
#define VM_INSN(name, mnem, pattern, format) case op::k##name: return mnem;
#include "isa/rv64.inc"
    // clang-format on
    case op::kIllegal: return "illegal";
    case op::kBlockEnd: return "<block-end>";
    case op::kNativeCall: return "<native-call>";
    case op::kCount: break;
  }
  return "?";
}

}  // namespace vm::isa
