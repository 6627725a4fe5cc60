// files.h - reading and writing the small files tests make and check.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace vm::test {

// The whole file, byte for byte; empty when it cannot be opened.
std::string read_text(const std::string& path);

// The file parsed as JSON; a missing file or bad JSON throws, which fails
// the test that asked.
nlohmann::json read_json(const std::string& path);

// Writes `text` byte for byte, replacing the file; fails the current test
// when it cannot.
void write_text(const std::string& path, const std::string& text);

}  // namespace vm::test
