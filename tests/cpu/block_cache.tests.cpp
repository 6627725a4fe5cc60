// The block cache's own behaviour: code larger than its arena, and
// invalidation by fence.i.

#include "cpu/block_cache.h"

#include <catch2/catch.hpp>
#include <vector>

#include "support/rv_asm.h"
#include "support/test_machine.h"

using vm::cpu::block_cache;
using vm::test::test_machine;
using namespace vm::test::rv;  // register names

TEST_CASE("straight-line code larger than the block cache runs correctly across cache flushes",
          "[cpu][block-cache]") {
  // One addi per word, more of them than the arena holds: the cache must
  // flush itself mid-run (while chaining from the block it just ran) and
  // keep executing the right instructions.
  const uint64_t count = block_cache::kArenaCapacity + block_cache::kArenaCapacity / 4;
  test_machine m(64ull << 20);
  // Above the trap vector's parking loop (kRamBase + 0xff000), which 5 MiB
  // of code at kCodeBase would overwrite.
  const uint64_t start = test_machine::kRamBase + (2u << 20);
  std::vector<uint32_t> code(count, addi(a0, a0, 1));
  code.push_back(addi(a1, a1, 7));
  code.push_back(ebreak());
  m.load_words(code, start);
  m.run(count + 1);  // ends right after the trap: the parking loop never runs
  CHECK(m.state().pc == test_machine::kTrapVector);
  CHECK(m.state().csr.mcause == 3);  // the ebreak, not an earlier trap
  CHECK(m.state().csr.mepc == start + 4 * (count + 1));
  CHECK(m.x(a0) == count);
  CHECK(m.x(a1) == 7);
  CHECK(m.state().instret == count + 1);                // the ebreak did not retire
  CHECK(m.hart().counters().block_cache_flushes >= 2);  // reset's flush and at least one for room
}
