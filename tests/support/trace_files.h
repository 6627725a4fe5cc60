// trace_files.h - reading whole traces and files back in tests.
#pragma once

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "trace/trace_reader.h"

namespace vm::test {

// Every record of the trace at `path`, in order (fails the test on damage).
inline std::vector<trace::record> read_all(const std::string& path) {
  auto reader = trace::trace_reader::open(path);
  REQUIRE(reader.ok());
  std::vector<trace::record> out;
  trace::decoded_chunk chunk;
  for (;;) {
    auto more = reader.value()->next(chunk);
    REQUIRE(more.ok());
    if (!more.value()) break;
    out.insert(out.end(), chunk.records.begin(), chunk.records.end());
  }
  return out;
}

inline trace::trace_metadata metadata_of(const std::string& path) {
  auto reader = trace::trace_reader::open(path);
  REQUIRE(reader.ok());
  return reader.value()->metadata();
}

// The file's bytes.
inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace vm::test
