// atomic_file.h - results and baselines are written whole or not at all:
// to a temporary file in the same directory, flushed, then renamed over the
// destination.
#pragma once

#include <string>

#include "common/result.h"

namespace vm::harness {

error write_file_atomically(const std::string& path, const std::string& contents);

}  // namespace vm::harness
