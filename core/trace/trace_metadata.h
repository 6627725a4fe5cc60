// trace_metadata.h - the JSON metadata block of a trace (docs/
// TRACE_FORMAT.md "Metadata"): what the trace is, where it came from, and
// for `mem` traces the page map a replay builds its page tables from.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.h"
#include "trace/trace_format.h"

namespace vm::trace {

inline constexpr int kMetadataSchemaVersion = 1;

// Permission bits of a mapped range.
enum permission : uint8_t { kPermRead = 1, kPermWrite = 2, kPermExecute = 4 };

struct page_range {
  uint64_t start = 0;  // page-aligned
  uint64_t end = 0;    // exclusive, page-aligned
  uint8_t permissions = kPermRead | kPermWrite;
  uint64_t page_size = 4096;  // 4 KiB, 2 MiB or 1 GiB

  friend bool operator==(const page_range&, const page_range&) = default;
};

struct trace_metadata {
  trace_kind kind = trace_kind::kMem;
  std::string source;   // "record", "lackey", "text", "gen"
  std::string command;  // the command line that produced it
  std::string workload_name;
  std::string workload_hash;  // "xxh3-128:<32 hex digits>" of the program or input file
  std::string isa = "rv64";
  uint64_t page_size = 4096;
  uint32_t cpus = 1;
  uint64_t record_count = 0;  // the writer fills it in
  std::string producer;       // "vmbench <version>"
  std::vector<page_range> page_map;
  // Kind- and source-specific fields (exec: image, argv, window, digest;
  // gen: pattern parameters; lackey: address relocations), kept as JSON.
  nlohmann::json extra = nlohmann::json::object();
};

// Serialises with sorted keys, so identical metadata gives identical bytes.
std::string to_json(const trace_metadata& m);
// Parses and validates; errors name `where` (the file) and the field.
result<trace_metadata> parse_metadata(const std::string& json, const std::string& where);

std::string permission_string(uint8_t permissions);  // "rwx", "r-x", ...

}  // namespace vm::trace
