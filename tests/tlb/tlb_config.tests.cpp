// tlb_config.tests.cpp - the --tlb configuration language: every design and
// policy by name, the canonical text, and every kind of bad input refused
// with a message naming the bad part and the accepted form.

#include "tlb/tlb_config.h"

#include <catch2/catch.hpp>
#include <string>

using vm::tlb::design_kind;
using vm::tlb::parse_tlb_config;

TEST_CASE("tlb_config: default is the core's built-in L1", "[tlb][tlb_config]") {
  auto c = parse_tlb_config("default");
  REQUIRE(c.ok());
  CHECK(c.value().design == design_kind::kDefault);
  CHECK(c.value() == vm::tlb::tlb_config{});
  CHECK(vm::tlb::to_string(c.value()) == "default");
  CHECK(c.value().total_entries() == 16384);
}

TEST_CASE("tlb_config: a hierarchy with levels, policy and prefetcher", "[tlb][tlb_config]") {
  auto c = parse_tlb_config("l1=64x4,l2=1024x8,l3=8192x16,repl=adaptive,prefetch=markov");
  REQUIRE(c.ok());
  const auto& v = c.value();
  CHECK(v.design == design_kind::kHierarchy);
  REQUIRE(v.level_count == 3);
  CHECK(v.levels[0].sets == 64);
  CHECK(v.levels[0].ways == 4);
  CHECK(v.levels[2].entries() == 8192 * 16);
  CHECK(v.repl == "adaptive");
  CHECK(v.prefetch == "markov");
  CHECK(v.total_entries() == 256 + 8192 + 131072);
  CHECK(vm::tlb::to_string(v) ==
        "l1=64x4,l2=1024x8,l3=8192x16,fill=inclusive,repl=adaptive,prefetch=markov,pb=16,"
        "degree=2,latency=16");
  // The canonical text parses back to the same configuration.
  auto again = parse_tlb_config(vm::tlb::to_string(v));
  REQUIRE(again.ok());
  CHECK(again.value() == v);
}

TEST_CASE("tlb_config: every design and policy is selectable by name", "[tlb][tlb_config]") {
  const auto text = GENERATE(
      "l1=16x4", "design=hierarchy,l1=16x4,fill=exclusive", "qemu", "qemu,entries=1024,resize=off",
      "design=qemu,window=1000", "sharded", "sharded,l1=256x4,shards=4", "lockfree",
      "lockfree,l1=64x8", "percpu", "percpu,l1=16x4,l2=128x8", "l1=4x1,l2=8x4,repl=lru",
      "l1=4x1,l2=8x4,repl=tree-plru", "l1=4x1,l2=8x4,repl=plru", "l1=4x1,l2=8x4,repl=fifo",
      "l1=4x1,l2=8x4,repl=random,seed=3", "l1=4x1,l2=8x4,repl=clock", "l1=4x1,l2=8x4,repl=srrip",
      "l1=4x1,l2=8x4,repl=adaptive:lru:fifo", "l1=16x4,prefetch=stride",
      "l1=16x4,prefetch=distance,pb=32,degree=4,latency=0");
  CAPTURE(text);
  auto c = parse_tlb_config(text);
  REQUIRE(c.ok());
  auto again = parse_tlb_config(vm::tlb::to_string(c.value()));
  REQUIRE(again.ok());
  CHECK(again.value() == c.value());
}

TEST_CASE("tlb_config: bad input names the bad part and the accepted form", "[tlb][tlb_config]") {
  struct bad_case {
    const char* text;
    const char* names;
  };
  const auto bad = GENERATE(values<bad_case>({
      {"", "empty configuration"},
      {"l1", "'l1' is neither key=value nor a design name"},
      {"=16x4", "has no key"},
      {"l1=", "'l1=' is not a geometry SETSxWAYS"},
      {"l1=16", "'l1=16' is not a geometry"},
      {"l1=x4", "'l1=x4' is not a geometry"},
      {"l1=16x0", "'l1=16x0': zero ways"},
      {"l1=0x4", "the set count 0 is not a power of two"},
      {"l1=48x4", "the set count 48 is not a power of two"},
      {"l1=16x4,l2=1000x8", "'l2=1000x8': the set count 1000 is not a power of two"},
      {"l1=16x32", "l1 takes at most 16"},
      {"l1=16x4,l2=16x65", "l2 takes at most 64"},
      {"l1=16x4,l2=64x4,l3=256x4,l4=1024x4", "more levels than supported: 'l4'"},
      {"l1=16x4,l3=256x4", "l3 without l2"},
      {"l1=16x4,", "an empty item"},
      {"l1=16x4,l1=16x4", "'l1' is given twice"},
      {"l1=16x4,bogus=1", "unknown key 'bogus'"},
      {"l1=16x4,l2=64x4,repl=belady", "'repl=belady'"},
      {"l1=16x4,l2=64x4,repl=adaptive:lru", "'repl=adaptive:lru'"},
      {"l1=16x4,prefetch=oracle", "'prefetch=oracle'"},
      {"l1=16x4,fill=both", "fill is inclusive or exclusive"},
      {"l1=16x4,pb=0", "pb is 1..1024"},
      {"qemu,entries=100", "entries is a power of two from 64"},
      {"qemu,entries=32", "entries is a power of two from 64"},
      {"qemu,l1=16x4", "'l1' does not apply to design qemu"},
      {"qemu,resize=maybe", "resize is on or off"},
      {"sharded,shards=3", "shards is a power of two"},
      {"sharded,l1=4x4,shards=8", "exceeds the 4 sets of l1"},
      {"design=magic", "unknown design 'magic'"},
      {"bogus", "'bogus' is neither key=value nor a design name"},
      {"repl=lru", "no design"},
  }));
  CAPTURE(bad.text);
  auto c = parse_tlb_config(bad.text);
  REQUIRE_FALSE(c.ok());
  CHECK(c.err().code == vm::error_code::kInvalidArgument);
  CHECK_THAT(c.err().message, Catch::StartsWith(std::string("--tlb '") + bad.text + "': ") &&
                                  Catch::Contains(bad.names) &&
                                  Catch::Contains("expected 'default', 'l1=SETSxWAYS"));
  // One line.
  CHECK(c.err().message.find('\n') == std::string::npos);
}
