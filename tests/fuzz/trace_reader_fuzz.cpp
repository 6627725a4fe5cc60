// trace_reader_fuzz.cpp - libFuzzer target for the trace reader. Build and
// run it with ci/fuzz; what it checks is in trace_reader_check.h, which the
// regression test (tests/trace/fuzz_regressions.tests.cpp) shares.

#include <cstdio>
#include <cstdlib>

#include "trace_reader_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bool whole = false;
  const std::string problem = vm::fuzz::check_input(data, size, whole);
  if (!problem.empty()) {
    std::fprintf(stderr, "trace_reader_fuzz: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
