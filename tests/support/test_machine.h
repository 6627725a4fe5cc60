// test_machine.h - a bare-metal hart with guest RAM at 0x80000000 for unit
// tests: place instruction words, set registers, run, inspect.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <vector>

#include "cpu/hart.h"
#include "mem/guest_ram.h"
#include "mmu/mmu.h"

namespace vm::test {

class test_machine {
 public:
  static constexpr uint64_t kRamBase = 0x80000000;
  static constexpr uint64_t kCodeBase = kRamBase;
  static constexpr uint64_t kDataBase = kRamBase + 0x100000;  // 1 MiB in

  explicit test_machine(uint64_t ram_bytes = 16 << 20);

  // Writes 32-bit instruction words at `address` (default kCodeBase) and
  // sets pc there.
  void load_words(std::initializer_list<uint32_t> words, uint64_t address = kCodeBase);
  void load_words(const std::vector<uint32_t>& words, uint64_t address = kCodeBase);
  // Writes 16-bit compressed instructions.
  void load_halves(std::initializer_list<uint16_t> halves, uint64_t address = kCodeBase);

  // Runs at most `instructions` instructions from pc (block granularity:
  // put an `ebreak` or a loop after the code under test to stop there).
  // The trap vector is set to a self-loop at kRamBase + 0xff000 so that a
  // trap ends a run visibly: check state().csr.mcause / pc.
  cpu::run_result run(uint64_t instructions = 1000);

  // Runs until the hart reaches `stop_pc` or the budget ends.
  void run_until(uint64_t stop_pc, uint64_t max_steps = 100000);

  uint64_t& x(unsigned index) { return state_.x[index]; }
  cpu::guest_state& state() { return state_; }
  cpu::hart& hart() { return *hart_; }
  mmu::mmu& memory() { return *mmu_; }
  mem::guest_ram& ram() { return ram_; }

  uint64_t read64(uint64_t paddr) const;
  void write64(uint64_t paddr, uint64_t value);
  uint32_t read32(uint64_t paddr) const;
  void write32(uint64_t paddr, uint32_t value);

  static constexpr uint64_t kTrapVector = kRamBase + 0xff000;

 private:
  mem::guest_ram ram_;
  cpu::guest_state state_;
  std::unique_ptr<mmu::mmu> mmu_;
  std::unique_ptr<cpu::hart> hart_;
};

// Puts the hart back to its reset state (M-mode at kCodeBase, trap vector at
// the parking loop) so that one machine can run many table rows.
void reset_machine(test_machine& m);

// Runs `code` followed by an ebreak from kCodeBase and requires (a Catch
// REQUIRE) that the run ended by taking that ebreak, so nothing trapped
// earlier.
void run_to_ebreak(test_machine& m, std::vector<uint32_t> code, uint64_t budget = 1000);

}  // namespace vm::test
