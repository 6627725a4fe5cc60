// exec_trace.h - the kind-specific part of an `exec` trace's metadata
// ("extra", docs/TRACE_FORMAT.md "exec traces"): how to rebuild the run
// (program, arguments, RAM, seed, window) and what it must end with.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.h"

namespace vm::record {

// The blob record holding the program image.
inline constexpr uint64_t kImageBlobId = 1;

struct exec_setup {
  std::vector<std::string> argv, envp;
  uint64_t ram_bytes = 0;
  uint64_t random_seed = 0;
  std::string image_path;  // as recorded (informational when embedded)
  bool image_embedded = false;
  uint64_t skip = 0;             // instructions run before the window, as requested
  uint64_t window = UINT64_MAX;  // window length as requested
};

struct exec_start {
  uint64_t instret = 0;  // retired when the window began
  uint64_t pc = 0;
  std::string register_hash;
};

struct exec_digest {
  uint64_t end_instret = 0;
  std::string register_hash;
  std::string memory_hash;
  std::string ended;  // "exit", "signal" or "window"
  int exit_status = 0;
};

nlohmann::json exec_extra_to_json(const exec_setup& setup, const exec_start& start,
                                  const exec_digest& digest);
// Validates; errors name `where` and the field.
error parse_exec_extra(const nlohmann::json& extra, const std::string& where, exec_setup& setup,
                       exec_start& start, exec_digest& digest);

}  // namespace vm::record
