// recorder.h - records a guest program's run into traces (`vmbench
// record`): an `exec` trace (program image, block stream, data accesses,
// system-call results, final digest) and/or a `mem` trace (instruction
// fetches per block and data accesses, plus the process's page map), from
// one run, optionally only for a window of instructions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace vm::record {

struct record_options {
  std::string program;            // path of a RISC-V Linux ELF
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> envp;
  uint64_t ram_bytes = 4ull << 30;
  uint64_t skip = 0;             // instructions run unrecorded first
  uint64_t window = UINT64_MAX;  // instructions recorded after that
  std::string exec_path;         // where to write the exec trace ("" = none)
  std::string mem_path;          // where to write the mem trace ("" = none)
  bool embed_image = true;       // exec: store the ELF in the trace
  int compression_level = 1;     // zstd: recording favours speed; the corpus uses 19
  std::string command;           // the command line, for the metadata
  std::string producer;          // "vmbench <version>"
  std::string workload_name;     // default: the program's file name
};

struct record_report {
  int exit_status = 0;         // the guest's, when it exited within the window
  bool exited = false;         // the guest exited (else the window ended)
  std::string diagnostic;      // a fatal signal, as `vmbench exec` reports it
  uint64_t start_instret = 0;  // first recorded instruction
  uint64_t end_instret = 0;
  uint64_t exec_records = 0, mem_records = 0;
  uint64_t exec_bytes = 0, mem_bytes = 0;  // file sizes
  uint64_t blocks = 0, reads = 0, writes = 0, syscalls = 0;
  double seconds = 0;  // host wall time of the recorded window (including writing)
};

// Errors: the program cannot be loaded (kIo/kBadInput/kUnsupported), a
// trace cannot be written (kIo), or the program ended before the window
// began (kInvalidArgument). No partial trace file is left on error.
result<record_report> record_program(const record_options& options);

}  // namespace vm::record
