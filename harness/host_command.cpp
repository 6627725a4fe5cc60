// host_command.cpp - `vmbench host`: what the host memory layer chose on
// this machine: CPU features, the memcpy kernels (compiled, runnable, in
// use), the non-temporal store threshold, transparent huge pages and NUMA.

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.h"
#include "mem/host_memory.h"
#include "simd/memory_kernel.h"

namespace vm::harness {
namespace {

using json = nlohmann::json;

json host_json() {
  json kernels = json::array();
  for (const simd::memory_kernel* k : simd::compiled_kernels()) {
    kernels.push_back({{"name", k->name},
                       {"description", k->description},
                       {"requires", simd::feature_names(k->required)},
                       {"supported", simd::supported(*k)},
                       {"active", k == &simd::active_kernel()}});
  }
  const mem::numa_support numa = mem::numa_status();
  return {{"schema_version", kSchemaVersion},
          {"kind", "vmbench.host"},
          {"cpu_features", simd::feature_names(simd::cpu_features())},
          {"caches",
           {{"l1d_bytes", simd::cache_bytes(1)},
            {"l2_bytes", simd::cache_bytes(2)},
            {"l3_bytes", simd::cache_bytes(3)}}},
          {"memcpy",
           {{"active", simd::active_kernel().name},
            {"non_temporal_threshold", simd::non_temporal_threshold()},
            {"kernels", kernels}}},
          {"thp",
           {{"system", mem::thp_system_mode()},
            {"defrag", mem::thp_defrag_mode()},
            {"huge_page_size", mem::huge_page_size()},
            {"guest_ram", std::string(mem::thp_mode_name(mem::default_placement().thp))}}},
          {"numa",
           {{"available", numa.available},
            {"reason", numa.reason},
            {"memory_nodes", mem::memory_nodes()},
            {"guest_ram_node", mem::default_placement().numa_node}}}};
}

}  // namespace

command_action add_host_command(CLI::App& app) {
  auto json_output = std::make_shared<bool>(false);
  CLI::App* sub = app.add_subcommand(
      "host",
      "Show the host memory layer's choices on this machine: CPU features, memcpy kernels "
      "(compiled, runnable, active), the non-temporal store threshold, transparent huge pages "
      "and NUMA nodes");
  sub->add_flag("--json", *json_output, "Print JSON (schema_version, kind vmbench.host)");
  return [json_output]() -> int {
    const json j = host_json();
    if (*json_output) {
      std::printf("%s\n", j.dump(2).c_str());
      return kExitOk;
    }
    std::printf("cpu features: %s\n", j["cpu_features"].get<std::string>().c_str());
    std::printf("caches: L1d %zu KiB, L2 %zu KiB, L3 %zu KiB\n",
                j["caches"]["l1d_bytes"].get<size_t>() >> 10,
                j["caches"]["l2_bytes"].get<size_t>() >> 10,
                j["caches"]["l3_bytes"].get<size_t>() >> 10);
    std::printf("memcpy kernels (best first; * = in use):\n");
    for (const json& k : j["memcpy"]["kernels"]) {
      std::printf("  %c %-8s %-11s %s%s\n", k["active"].get<bool>() ? '*' : ' ',
                  k["name"].get<std::string>().c_str(),
                  k["supported"].get<bool>() ? "runnable" : "unsupported",
                  k["description"].get<std::string>().c_str(),
                  k["supported"].get<bool>()
                      ? ""
                      : (" (needs " + k["requires"].get<std::string>() + ")").c_str());
    }
    std::printf("non-temporal stores from: %zu bytes\n",
                j["memcpy"]["non_temporal_threshold"].get<size_t>());
    std::printf("transparent huge pages: system %s (defrag %s), guest RAM %s\n",
                j["thp"]["system"].get<std::string>().c_str(),
                j["thp"]["defrag"].get<std::string>().c_str(),
                j["thp"]["guest_ram"].get<std::string>().c_str());
    std::string nodes;
    for (const json& n : j["numa"]["memory_nodes"])
      nodes += (nodes.empty() ? "" : ",") + std::to_string(n.get<int>());
    std::printf(
        "numa: memory nodes %s; placement %s; guest RAM %s\n", nodes.c_str(),
        j["numa"]["available"].get<bool>()
            ? "available"
            : ("unavailable (" + j["numa"]["reason"].get<std::string>() + ")").c_str(),
        j["numa"]["guest_ram_node"].get<int>() < 0
            ? "unbound"
            : ("on node " + std::to_string(j["numa"]["guest_ram_node"].get<int>())).c_str());
    return kExitOk;
  };
}

}  // namespace vm::harness
