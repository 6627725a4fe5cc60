#include <catch2/catch.hpp>

#include "isa/decoder.h"

using vm::isa::decode;
using vm::isa::op;

TEST_CASE("decoding an addi gives its operands and immediate", "[isa][decoder]") {
  const auto d = decode(0xfff50513);  // addi a0, a0, -1
  CHECK(d.operation == op::kAddi);
  CHECK(d.rd == 10);
  CHECK(d.rs1 == 10);
  CHECK(d.imm == -1);
  CHECK(d.length == 4);
}
