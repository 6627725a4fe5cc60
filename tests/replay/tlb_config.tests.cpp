// tlb_config.tests.cpp - parsing --tlb configurations: what exists today is
// accepted, anything else is refused with the list of what is supported.

#include "replay/tlb_config.h"

#include <catch2/catch.hpp>

#include "mmu/mmu.h"

using vm::replay::parse_tlb_config;

TEST_CASE("the default configuration is the compiled-in L1", "[replay][tlb_config]") {
  const auto text = GENERATE("default", "l1=16384x1");
  CAPTURE(text);
  auto c = parse_tlb_config(text);
  REQUIRE(c.ok());
  CHECK(c.value().l1.sets == vm::mmu::l1_tlb::kSets);
  CHECK(c.value().l1.ways == vm::mmu::l1_tlb::kWays);
  CHECK(c.value() == vm::replay::tlb_config{});
  CHECK(vm::replay::to_string(c.value()) == "l1=16384x1");
}

TEST_CASE("well-formed configurations the core does not build are unsupported",
          "[replay][tlb_config]") {
  const auto text = GENERATE("l1=256x4", "l1=16384x2", "l2=1024x8", "l1=16384x1,l2=1024x8");
  CAPTURE(text);
  auto c = parse_tlb_config(text);
  REQUIRE_FALSE(c.ok());
  CHECK(c.err().code == vm::error_code::kUnsupported);
  CHECK_THAT(c.err().message, Catch::StartsWith(std::string("--tlb '") + text + "': ") &&
                                  Catch::Contains("supported: default, l1=16384x1"));
}

TEST_CASE("malformed configurations are invalid arguments", "[replay][tlb_config]") {
  const auto text =
      GENERATE("", "l1", "=16384x1", "l1=", "l1=16384", "l1=x1", "l1=0x1", "l1=16384x0",
               "l1=16384x1,", "l1=16384x1,l1=16384x1", "l1=-1x1", "l1=16384x1x1");
  CAPTURE(text);
  auto c = parse_tlb_config(text);
  REQUIRE_FALSE(c.ok());
  CHECK(c.err().code == vm::error_code::kInvalidArgument);
  CHECK_THAT(c.err().message, Catch::Contains("e.g. l1=16384x1"));
}
