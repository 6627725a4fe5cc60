// host_memory_cli.tests.cpp - the host memory layer from the command line:
// forcing memcpy kernels (--memcpy, VM_FORCE_MEMCPY), the guest libc
// acceleration (exec --accelerate), --thp / --numa-node, and `vmbench host`.

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "simd/memory_kernel.h"
#include "support/child_process.h"

namespace {

using json = nlohmann::json;
using vm::test::child_result;
using vm::test::run_child;
using vm::test::show;

child_result vmbench(std::vector<std::string> args) {
  args.insert(args.begin(), VMBENCH_BINARY);
  return run_child(args);
}

size_t lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

vm::test::workload mem_ops() {
  std::string problem;
  const auto workloads = vm::test::read_workloads(VMBENCH_WORKLOADS_TSV, problem);
  for (const auto& w : workloads)
    if (w.name == "mem_ops") return w;
  FAIL("no mem_ops workload in " << VMBENCH_WORKLOADS_TSV << ": " << problem);
  return {};
}

json read_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in, nullptr, false);
}

}  // namespace

TEST_CASE("host cli: exec --accelerate runs the guest's memcpy natively, same output, counted",
          "[cli][host-memory]") {
  const auto w = mem_ops();
  vm::test::scratch_dir dir;
  std::vector<std::string> plain = {"exec", "--stats-json", dir.file("plain.json"), w.elf};
  std::vector<std::string> fast = {"exec",         "--accelerate",        "all",
                                   "--stats-json", dir.file("fast.json"), w.elf};
  plain.insert(plain.end(), w.small_args.begin(), w.small_args.end());
  fast.insert(fast.end(), w.small_args.begin(), w.small_args.end());
  const child_result a = vmbench(plain), b = vmbench(fast);
  INFO(show(a) << "\n" << show(b));
  REQUIRE(a.status == 0);
  CHECK(b.status == 0);
  CHECK(b.out == a.out);
  const json sa = read_json(dir.file("plain.json")), sb = read_json(dir.file("fast.json"));
  REQUIRE(sa.is_object());
  REQUIRE(sb.is_object());
  CHECK(sa["counters"]["native_calls"] == 0);
  // 16 rounds of a memset, a memcpy, two memmoves and 512 small memcpys.
  CHECK(sb["counters"]["native_calls"].get<uint64_t>() == 16 * (4 + 512));
  CHECK(sb["counters"]["native_declined"] == 0);
  CHECK(sb["instructions"].get<uint64_t>() < sa["instructions"].get<uint64_t>() / 2);
}

TEST_CASE("host cli: a bad --accelerate, --memcpy, VM_FORCE_MEMCPY, --thp or --numa-node exits 2",
          "[cli][host-memory]") {
  const auto w = mem_ops();
  const std::vector<std::vector<std::string>> cases = {
      {VMBENCH_BINARY, "exec", "--accelerate", "strlen", w.elf},
      {VMBENCH_BINARY, "--memcpy", "no-such-kernel", "exec", w.elf},
      {"/usr/bin/env", "VM_FORCE_MEMCPY=no-such-kernel", VMBENCH_BINARY, "exec", w.elf},
      {VMBENCH_BINARY, "--thp", "sometimes", "exec", w.elf},
      {VMBENCH_BINARY, "--numa-node", "4095", "exec", w.elf},
  };
  const std::vector<std::string> named = {"strlen", "no-such-kernel", "no-such-kernel", "sometimes",
                                          "4095"};
  for (size_t i = 0; i < cases.size(); ++i) {
    const child_result r = run_child(cases[i]);
    INFO(show(r));
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find(named[i]) != std::string::npos);
  }
}

TEST_CASE("host cli: every kernel this CPU runs can be forced, and is the one used",
          "[cli][host-memory]") {
  const auto w = mem_ops();
  vm::test::scratch_dir dir;
  std::string reference;
  for (const vm::simd::memory_kernel* k : vm::simd::compiled_kernels()) {
    if (!vm::simd::supported(*k)) continue;
    INFO("kernel " << k->name);
    std::vector<std::string> cmd = {"--memcpy",         k->name, "exec",
                                    "--accelerate",     "all",   "--stats-json",
                                    dir.file("s.json"), w.elf};
    cmd.insert(cmd.end(), w.small_args.begin(), w.small_args.end());
    const child_result r = vmbench(cmd);
    INFO(show(r));
    REQUIRE(r.status == 0);
    if (reference.empty()) reference = r.out;
    CHECK(r.out == reference);
    CHECK(read_json(dir.file("s.json"))["memcpy_kernel"] == k->name);
  }
}

TEST_CASE("host cli: vmbench host --json names the active kernel and the THP and NUMA state",
          "[cli][host-memory]") {
  const child_result r = vmbench({"--memcpy", "scalar", "--thp", "off", "host", "--json"});
  INFO(show(r));
  REQUIRE(r.status == 0);
  const json j = json::parse(r.out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["schema_version"] == 1);
  CHECK(j["kind"] == "vmbench.host");
  CHECK(j["memcpy"]["active"] == "scalar");
  CHECK(j["thp"]["guest_ram"] == "off");
  CHECK(j["numa"]["memory_nodes"].is_array());
  CHECK_FALSE(j["numa"]["memory_nodes"].empty());
  const child_result text = vmbench({"host"});
  CHECK(text.status == 0);
  CHECK(text.out.find("memcpy kernels") != std::string::npos);
}
