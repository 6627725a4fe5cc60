#include "machine/machine.h"

#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "common/format.h"
#include "linux/process.h"
#include "loader/elf_loader.h"
#include "mem/guest_ram.h"
#include "simd/memory_kernel.h"

namespace vm::machine {
namespace {

constexpr uint64_t kBareMetalRamBase = 0x80000000;

// Bare metal as on spike: M-mode at the entry point, physical addressing,
// HTIF tohost commands: device 0 command 0 with bit 0 set is exit(value >> 1);
// device 1 command 1 is "print the character in the low byte".
result<run_report> run_bare_metal(const loader::elf_image& image, const run_options& options) {
  auto ram_or = mem::guest_ram::create(kBareMetalRamBase, options.ram_bytes);
  if (!ram_or.ok()) return std::move(ram_or).err();
  mem::guest_ram ram = std::move(ram_or).value();
  for (const loader::elf_segment& s : image.segments) {
    if (!ram.contains(s.paddr, s.memory_size)) {
      return error{error_code::kUnsupported, image.path + ": segment at physical " + hex(s.paddr) +
                                                 " lies outside guest RAM [" + hex(ram.base()) +
                                                 ", " + hex(ram.end()) + ")"};
    }
    simd::copy(ram.host(s.paddr), image.bytes.data() + s.file_offset, s.file_size);
  }
  if (!ram.contains(*image.tohost, 8)) {
    return error{error_code::kUnsupported,
                 image.path + ": tohost at " + hex(*image.tohost) + " lies outside guest RAM"};
  }
  cpu::guest_state state;
  mmu::mmu memory(ram, state);
  cpu::hart hart(memory, state);
  hart.reset(image.entry);
  memory.set_tohost(*image.tohost);

  run_report report;
  report.bare_metal = true;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    const uint64_t left =
        options.max_instructions - std::min(options.max_instructions, state.instret);
    if (left == 0) {
      report.exit_status = 124;
      report.diagnostic = "instruction limit reached at pc " + hex(state.pc);
      break;
    }
    const cpu::run_result r = hart.run(left);
    if (r.reason == cpu::run_reason::kDoubleFault) {
      report.exit_status = 128 + 11;
      report.diagnostic = std::string("double fault: ") + cpu::describe(r.cause) + " at " +
                          hex(r.tval) + " while entering the trap vector " + hex(state.pc);
      break;
    }
    if (r.reason != cpu::run_reason::kHostCall) continue;
    uint64_t command;
    std::memcpy(&command, ram.host(*image.tohost), 8);
    const uint64_t zero = 0;
    std::memcpy(ram.host(*image.tohost), &zero, 8);
    const uint64_t device = command >> 56;
    const uint64_t cmd = (command >> 48) & 0xff;
    const uint64_t payload = command & ((1ull << 48) - 1);
    if (device == 0 && cmd == 0 && (payload & 1)) {
      report.exit_status = static_cast<int>((payload >> 1) & 0xff);
      if ((payload >> 1) != 0) report.diagnostic = "HTIF exit code " + std::to_string(payload >> 1);
      break;
    }
    if (device == 1 && cmd == 1) {
      const char c = static_cast<char>(payload & 0xff);
      if (::write(1, &c, 1) < 0) { /* stdout closed: nothing to do */
      }
    } else {
      report.exit_status = 2;
      report.diagnostic =
          "unsupported HTIF command " + hex(command) + " (device " + std::to_string(device) + ")";
      break;
    }
    if (image.fromhost && ram.contains(*image.fromhost, 8)) {
      const uint64_t ack = (device << 56) | (cmd << 48) | 1;
      std::memcpy(ram.host(*image.fromhost), &ack, 8);
    }
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.instructions = state.instret;
  report.memory = memory.counters();
  report.cpu = hart.counters();
  return report;
}

result<run_report> run_linux(const loader::elf_image& image, const run_options& options) {
  linux_abi::process_options p;
  p.argv = options.argv;
  p.envp = options.envp;
  p.ram_bytes = options.ram_bytes;
  p.native_functions = options.native_functions;
  auto proc_or = linux_abi::process::create(image, p);
  if (!proc_or.ok()) return std::move(proc_or).err();
  auto& proc = *proc_or.value();
  const auto start = std::chrono::steady_clock::now();
  const linux_abi::exit_info info = proc.run(options.max_instructions);
  run_report report;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.exit_status = info.status;
  report.diagnostic = info.diagnostic;
  report.instructions = proc.state().instret;
  report.memory = proc.memory().counters();
  report.cpu = proc.hart().counters();
  report.syscalls = proc.counters().syscalls;
  report.demand_faults = proc.counters().demand_faults;
  report.native_calls = proc.native_counters().calls;
  report.native_declined = proc.native_counters().declined;
  report.native_bytes = proc.native_counters().bytes;
  return report;
}

}  // namespace

result<run_report> run_program(const std::string& path, const run_options& options) {
  auto image = loader::load_elf(path);
  if (!image.ok()) return std::move(image).err();
  auto report = image.value().bare_metal() ? run_bare_metal(image.value(), options)
                                           : run_linux(image.value(), options);
  if (report.ok()) report.value().memcpy_kernel = simd::active_kernel().name;
  return report;
}

}  // namespace vm::machine
