// Every workload retires exactly as many instructions under vmbench as
// under qemu-riscv64 (counted by a qemu plugin): a whole-program check that
// the interpreter executes the same instruction stream, not merely one that
// prints the same output.

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct workload {
  std::string name, elf, small_args;
};

std::vector<workload> read_workloads() {
  std::vector<workload> list;
  std::ifstream in(VMBENCH_WORKLOADS_TSV);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string field; std::getline(ss, field, '\t');) f.push_back(field);
    if (f.size() >= 4) list.push_back({f[0], f[1], f[3]});
  }
  return list;
}

// Runs a shell command; returns what it writes to stdout, and its exit status.
std::string capture(const std::string& command, int& status) {
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  if (pipe == nullptr) {
    status = -1;
    return out;
  }
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  const int raw = pclose(pipe);
  status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return out;
}

}  // namespace

TEST_CASE("every workload retires the same number of instructions as under qemu-riscv64",
          "[integration][qemu][instret]") {
  const std::vector<workload> workloads = read_workloads();
  REQUIRE_FALSE(std::string(VMBENCH_QEMU).empty());  // ci/setup installs qemu-user
  REQUIRE(workloads.size() >= 10);
  for (const workload& w : workloads) {
    DYNAMIC_SECTION(w.name) {
      int status = 0;
      const std::string qemu_out =
          capture(std::string(VMBENCH_QEMU) + " -plugin " + VMBENCH_QEMU_INSN_PLUGIN + " " + w.elf +
                      " " + w.small_args + " 2>&1 >/dev/null",
                  status);
      REQUIRE(status == 0);
      const auto at = qemu_out.find("insns: ");
      REQUIRE(at != std::string::npos);
      const uint64_t qemu_count = std::stoull(qemu_out.substr(at + 7));

      const std::string stats = std::string("/tmp/vmbench-instret-") + w.name + ".json";
      capture(std::string(VMBENCH_BINARY) + " exec --stats-json " + stats + " " + w.elf + " " +
                  w.small_args + " >/dev/null",
              status);
      REQUIRE(status == 0);
      std::ifstream in(stats);
      const auto json = nlohmann::json::parse(in);
      std::remove(stats.c_str());
      CAPTURE(w.name, w.small_args);
      CHECK(json.at("schema_version").get<int>() >= 1);
      CHECK(json.at("instructions").get<uint64_t>() == qemu_count);
    }
  }
}
