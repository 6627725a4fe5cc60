// process_timer.h - runs a command as a child process and measures its
// whole-process wall time, capturing its standard output.
#pragma once

#include <string>
#include <vector>

namespace vm::harness {

struct timed_run {
  bool started = false;  // false: the command could not be executed
  int exit_status = 0;   // exit code, or 128 + signal
  double seconds = 0;    // wall time from spawn to reaped
  std::string stdout_text;
  std::string error;  // why it could not start
};

// Runs argv[0] with argv (PATH is searched). stderr goes to `stderr_path`
// ("/dev/null" by default) so that noise stays out of the caller's output.
timed_run run_timed(const std::vector<std::string>& argv,
                    const std::string& stderr_path = "/dev/null");

}  // namespace vm::harness
