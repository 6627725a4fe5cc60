// exec_replay.h - re-executes a recorded `exec` trace from its program
// image and checks it against the recording: the block stream, every
// memory access and syscall, and the final digest (retired instructions,
// register-file hash, memory hash). Syscall results that came from outside
// the guest (read) are fed back from the trace, so a replay needs nothing
// but the trace; the guest's output is not written anywhere.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "mmu/mmu.h"
#include "trace/trace_reader.h"

namespace vm::record {

struct exec_replay_options {
  std::string image_path;     // use this ELF instead of the embedded image / recorded path
  bool check_records = true;  // compare the block/access/syscall stream, not only the digest
};

struct exec_replay_report {
  bool matched = false;
  std::string divergence;              // the first difference, one line; empty when matched
  uint64_t instructions = 0;           // retired during the recorded window
  uint64_t expected_instructions = 0;  // as recorded
  uint64_t records_checked = 0;
  uint64_t blocks = 0, accesses = 0, syscalls = 0;
  std::string register_hash, memory_hash;  // as computed on replay
  double seconds = 0;                      // host wall time of the re-execution
  mmu::mmu_counters memory;
};

// Errors are about the input (the trace, a missing or different image);
// a divergence is a successful replay with matched == false.
result<exec_replay_report> replay_exec(trace::trace_reader& reader,
                                       const exec_replay_options& options);

}  // namespace vm::record
