// native_calls.tests.cpp - guest memcpy/memset/memmove run by the host
// (linux/native_calls.h): every accelerated call must leave guest memory,
// registers and the program's fate exactly as the guest's own code does,
// and be declined (the guest's code runs) whenever it could not.

#include "linux/native_calls.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "linux/process.h"
#include "loader/elf_loader.h"
#include "support/mini_elf.h"
#include "support/rv_asm.h"

namespace {

using namespace vm::test::rv;
using vm::linux_abi::native_function;

constexpr uint64_t kCodeBase = 0x10000;  // make_program's segment
constexpr int32_t kSysExit = 93, kSysMmap = 222;

// rd = value for any 0 <= value < 2^23 (li, then shift-and-add).
void load_constant(std::vector<uint32_t>& p, unsigned rd, uint32_t value) {
  p.push_back(li(rd, static_cast<int32_t>(value >> 12)));
  p.push_back(slli(rd, rd, 12));
  p.push_back(addi(rd, rd, static_cast<int32_t>(value & 0x7ff)));
  if (value & 0x800) {
    p.push_back(addi(rd, rd, 0x400));
    p.push_back(addi(rd, rd, 0x400));
  }
}

struct call {
  native_function function = native_function::kMemcpy;
  uint32_t destination = 0;  // offsets into the 16 KiB mapping (may point past it)
  uint32_t source = 0;       // memset: the fill value
  uint32_t length = 0;
};

// A program that maps 16 KiB (4 pages), fills its first 8 KiB with
// i * 7 + 1, makes the calls, and exits 0. memcpy, memset and memmove are
// byte loops of its own, at the addresses `functions` returns.
struct program {
  std::vector<uint32_t> code;
  uint64_t memcpy_at = 0, memset_at = 0, memmove_at = 0;
};

program build(const std::vector<call>& calls) {
  program prog;
  auto& p = prog.code;
  p.push_back(li(a7, kSysMmap));
  p.push_back(li(a0, 0));
  load_constant(p, a1, 16384);
  p.push_back(li(a2, 3));
  p.push_back(li(a3, 0x22));
  p.push_back(li(a4, -1));
  p.push_back(li(a5, 0));
  p.push_back(ecall());
  p.push_back(mv(s2, a0));
  p.push_back(li(t0, 0));
  load_constant(p, t2, 8192);
  const size_t fill = p.size();
  p.push_back(add(t3, s2, t0));
  p.push_back(slli(t4, t0, 3));
  p.push_back(sub(t4, t4, t0));
  p.push_back(addi(t4, t4, 1));
  p.push_back(sb(t4, t3, 0));
  p.push_back(addi(t0, t0, 1));
  p.push_back(bne(t0, t2, static_cast<int32_t>((fill - p.size()) * 4)));
  std::vector<std::pair<size_t, native_function>> jumps;
  for (const call& c : calls) {
    load_constant(p, t5, c.destination);
    p.push_back(add(a0, s2, t5));
    if (c.function == native_function::kMemset) {
      p.push_back(li(a1, static_cast<int32_t>(c.source & 0x7ff)));
    } else {
      load_constant(p, t5, c.source);
      p.push_back(add(a1, s2, t5));
    }
    load_constant(p, a2, c.length);
    jumps.emplace_back(p.size(), c.function);
    p.push_back(0);  // jal ra, <function>: patched below
  }
  p.push_back(li(a0, 0));
  p.push_back(li(a7, kSysExit));
  p.push_back(ecall());
  // memcpy(a0, a1, a2): forward byte loop; a0 is returned unchanged.
  const size_t memcpy_at = p.size();
  p.push_back(mv(t0, a0));
  p.push_back(beq(a2, zero, 28));
  p.push_back(lbu(t1, a1, 0));
  p.push_back(sb(t1, t0, 0));
  p.push_back(addi(a1, a1, 1));
  p.push_back(addi(t0, t0, 1));
  p.push_back(addi(a2, a2, -1));
  p.push_back(jal(zero, -24));
  p.push_back(jalr(zero, ra, 0));
  // memset(a0, a1, a2)
  const size_t memset_at = p.size();
  p.push_back(mv(t0, a0));
  p.push_back(beq(a2, zero, 20));
  p.push_back(sb(a1, t0, 0));
  p.push_back(addi(t0, t0, 1));
  p.push_back(addi(a2, a2, -1));
  p.push_back(jal(zero, -16));
  p.push_back(jalr(zero, ra, 0));
  // memmove(a0, a1, a2): forward when a0 <= a1, else backward.
  const size_t memmove_at = p.size();
  p.push_back(bltu(a1, a0, 36));  // -> backward
  p.push_back(mv(t0, a0));
  p.push_back(beq(a2, zero, 56));  // -> return
  p.push_back(lbu(t1, a1, 0));
  p.push_back(sb(t1, t0, 0));
  p.push_back(addi(a1, a1, 1));
  p.push_back(addi(t0, t0, 1));
  p.push_back(addi(a2, a2, -1));
  p.push_back(jal(zero, -24));
  // backward:
  p.push_back(beq(a2, zero, 28));  // -> return
  p.push_back(addi(a2, a2, -1));
  p.push_back(add(t0, a0, a2));
  p.push_back(add(t1, a1, a2));
  p.push_back(lbu(t1, t1, 0));
  p.push_back(sb(t1, t0, 0));
  p.push_back(jal(zero, -24));
  p.push_back(jalr(zero, ra, 0));  // return
  for (const auto& [at, f] : jumps) {
    const size_t target = f == native_function::kMemcpy   ? memcpy_at
                          : f == native_function::kMemset ? memset_at
                                                          : memmove_at;
    p[at] = jal(ra, static_cast<int32_t>((target - at) * 4));
  }
  prog.memcpy_at = kCodeBase + memcpy_at * 4;
  prog.memset_at = kCodeBase + memset_at * 4;
  prog.memmove_at = kCodeBase + memmove_at * 4;
  return prog;
}

struct outcome {
  vm::linux_abi::exit_info info;
  std::vector<uint8_t> memory;  // the 16 KiB mapping (pages never touched read as zero)
  vm::linux_abi::native_call_counters counters;
  uint64_t instret = 0;
  uint64_t a0 = 0;
};

outcome run(const std::vector<call>& calls, uint32_t native) {
  const program prog = build(calls);
  auto image = vm::loader::parse_elf("prog", vm::test::make_program(prog.code));
  REQUIRE(image.ok());
  image.value().functions = {{"memcpy", prog.memcpy_at, 36},
                             {"memset", prog.memset_at, 28},
                             {"memmove", prog.memmove_at, 68}};
  vm::linux_abi::process_options options;
  options.argv = {"prog"};
  options.ram_bytes = 64 << 20;
  options.native_functions = native;
  auto p = vm::linux_abi::process::create(image.value(), options);
  REQUIRE(p.ok());
  auto& proc = *p.value();
  outcome o;
  o.info = proc.run(10'000'000);
  o.counters = proc.native_counters();
  o.instret = proc.state().instret;
  o.a0 = proc.state().x[10];
  // The mapping is the highest anonymous region below the stack: find the
  // 16 KiB range that mmap returned (s2).
  const uint64_t base = proc.state().x[18];
  o.memory.assign(16384, 0);
  proc.for_each_mapped_page([&](uint64_t vaddr, const uint8_t* bytes) {
    if (vaddr >= base && vaddr < base + 16384) std::memcpy(&o.memory[vaddr - base], bytes, 4096);
  });
  return o;
}

}  // namespace

TEST_CASE("native calls: the list parser takes names, all and none, and names a bad part",
          "[linux][native]") {
  using vm::linux_abi::parse_native_functions;
  CHECK(parse_native_functions("none").value() == vm::linux_abi::kNativeNone);
  CHECK(parse_native_functions("all").value() == vm::linux_abi::kNativeAll);
  CHECK(parse_native_functions("memset,memcpy").value() == 3u);
  CHECK(vm::linux_abi::native_functions_string(5u) == "memcpy,memmove");
  const auto bad = parse_native_functions("memcpy,strlen");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.err().message.find("'strlen'") != std::string::npos);
}

TEST_CASE("native calls: accelerated calls leave memory exactly as the guest's code does",
          "[linux][native]") {
  // Page-crossing copies, a fill, overlapping moves both ways, and a
  // zero-length call.
  const std::vector<call> calls = {
      {native_function::kMemcpy, 8192 + 100, 50, 5000},  // into pages 2-3
      {native_function::kMemset, 4000, 0x1a5, 300},      // value truncated to 0xa5
      {native_function::kMemmove, 1000, 900, 3500},      // backward, overlapping
      {native_function::kMemmove, 6000, 6100, 2000},     // forward, overlapping
      {native_function::kMemcpy, 12000, 0, 0},           // nothing
  };
  const outcome interpreted = run(calls, vm::linux_abi::kNativeNone);
  const outcome accelerated = run(calls, vm::linux_abi::kNativeAll);
  REQUIRE(interpreted.info.status == 0);
  REQUIRE(accelerated.info.status == 0);
  CHECK(accelerated.memory == interpreted.memory);
  CHECK(interpreted.counters.calls == 0);
  CHECK(accelerated.counters.calls == calls.size());
  CHECK(accelerated.counters.declined == 0);
  CHECK(accelerated.counters.bytes == 5000 + 300 + 3500 + 2000);
  // Each accelerated call retires one instruction instead of its loop (at
  // least 5 instructions per byte in these byte loops).
  CHECK(interpreted.instret - accelerated.instret > 5 * accelerated.counters.bytes);
  // The copy really landed (not just equal because both did nothing).
  CHECK(accelerated.memory[8192 + 100] == static_cast<uint8_t>(50 * 7 + 1));
}

TEST_CASE("native calls: only the functions asked for are accelerated", "[linux][native]") {
  const std::vector<call> calls = {{native_function::kMemcpy, 8192, 0, 64},
                                   {native_function::kMemset, 0, 7, 64}};
  const auto only_memset = vm::linux_abi::parse_native_functions("memset").value();
  const outcome o = run(calls, only_memset);
  REQUIRE(o.info.status == 0);
  CHECK(o.counters.calls == 1);
  CHECK(o.counters.bytes == 64);
}

TEST_CASE("native calls: overlapping memcpy is left to the guest's code", "[linux][native]") {
  // Undefined in C, so the guest's own loop decides: a forward byte copy
  // onto itself smears the first 10 bytes through the range.
  const std::vector<call> calls = {{native_function::kMemcpy, 110, 100, 500}};
  const outcome interpreted = run(calls, vm::linux_abi::kNativeNone);
  const outcome accelerated = run(calls, vm::linux_abi::kNativeAll);
  CHECK(accelerated.counters.calls == 0);
  CHECK(accelerated.counters.declined == 1);
  CHECK(accelerated.memory == interpreted.memory);
  CHECK(accelerated.instret == interpreted.instret);
}

TEST_CASE("native calls: a call that would fault is declined and the guest's code faults",
          "[linux][native]") {
  // The destination runs 100 bytes past the 16 KiB mapping.
  const std::vector<call> calls = {{native_function::kMemcpy, 16384 - 400, 0, 500}};
  const outcome interpreted = run(calls, vm::linux_abi::kNativeNone);
  const outcome accelerated = run(calls, vm::linux_abi::kNativeAll);
  CHECK(interpreted.info.status == 139);
  CHECK(accelerated.info.status == interpreted.info.status);
  CHECK(accelerated.info.diagnostic == interpreted.info.diagnostic);
  CHECK(accelerated.counters.declined == 1);
  CHECK(accelerated.memory == interpreted.memory);
}
