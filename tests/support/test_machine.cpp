#include "support/test_machine.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <stdexcept>

namespace vm::test {

test_machine::test_machine(uint64_t ram_bytes) {
  auto ram = mem::guest_ram::create(kRamBase, ram_bytes);
  if (!ram.ok()) throw std::runtime_error(ram.err().message);
  ram_ = std::move(ram).value();
  mmu_ = std::make_unique<mmu::mmu>(ram_, state_);
  hart_ = std::make_unique<cpu::hart>(*mmu_, state_);
  hart_->reset(kCodeBase);
  state_.csr.mtvec = kTrapVector;
  write32(kTrapVector, 0x0000006f);  // jal x0, 0: park here after a trap
}

void test_machine::load_words(std::initializer_list<uint32_t> words, uint64_t address) {
  load_words(std::vector<uint32_t>(words), address);
}

void test_machine::load_words(const std::vector<uint32_t>& words, uint64_t address) {
  for (size_t i = 0; i < words.size(); ++i) write32(address + 4 * i, words[i]);
  state_.pc = address;
  hart_->flush_translations();
}

void test_machine::load_halves(std::initializer_list<uint16_t> halves, uint64_t address) {
  uint64_t a = address;
  for (uint16_t h : halves) {
    std::memcpy(ram_.host(a), &h, 2);
    a += 2;
  }
  state_.pc = address;
  hart_->flush_translations();
}

cpu::run_result test_machine::run(uint64_t instructions) {
  return hart_->run(instructions);
}

void test_machine::run_until(uint64_t stop_pc, uint64_t max_steps) {
  for (uint64_t i = 0; i < max_steps && state_.pc != stop_pc; ++i) {
    const cpu::run_result r = hart_->run(1);
    if (r.reason != cpu::run_reason::kInstructionLimit) break;
  }
}

uint64_t test_machine::read64(uint64_t paddr) const {
  uint64_t v;
  std::memcpy(&v, ram_.host(paddr), 8);
  return v;
}
void test_machine::write64(uint64_t paddr, uint64_t value) {
  std::memcpy(ram_.host(paddr), &value, 8);
}
uint32_t test_machine::read32(uint64_t paddr) const {
  uint32_t v;
  std::memcpy(&v, ram_.host(paddr), 4);
  return v;
}
void test_machine::write32(uint64_t paddr, uint32_t value) {
  std::memcpy(ram_.host(paddr), &value, 4);
}

void reset_machine(test_machine& m) {
  m.hart().reset(test_machine::kCodeBase);
  m.state().csr.mtvec = test_machine::kTrapVector;
}

void run_to_ebreak(test_machine& m, std::vector<uint32_t> code, uint64_t budget) {
  constexpr uint32_t kEbreak = 0x00100073;
  constexpr uint64_t kCauseBreakpoint = 3;
  const uint64_t ebreak_pc = test_machine::kCodeBase + 4 * code.size();
  code.push_back(kEbreak);
  m.load_words(code);
  m.run(budget);
  INFO("mcause " << m.state().csr.mcause << " mepc 0x" << std::hex << m.state().csr.mepc
                 << " mtval 0x" << m.state().csr.mtval);
  REQUIRE(m.state().pc == test_machine::kTrapVector);
  REQUIRE(m.state().csr.mcause == kCauseBreakpoint);
  REQUIRE(m.state().csr.mepc == ebreak_pc);
}

}  // namespace vm::test
