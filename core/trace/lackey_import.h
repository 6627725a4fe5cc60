// lackey_import.h - `vmbench trace import lackey`: turns the memory trace of
// `valgrind --tool=lackey --trace-mem=yes` into a mem trace
// (docs/TRACE_FORMAT.md "Lackey input").
//
//   I  0400d7d4,8      instruction fetch       -> F
//    L 1ffefffdf8,8    load                    -> R
//    S 1ffefffdf8,8    store                   -> W
//    M 1ffefffdf8,8    modify (load + store)   -> R, then W, same address
//   ==1234== ...       valgrind's own messages (ignored), as are blank lines
//
// The input is streamed in large blocks and parsed by hand, so memory stays
// bounded (by the footprint's page bitmaps) whatever the file's size.
//
// Relocation: x86-64 user addresses reach 2^47, Sv39 replay maps below
// 2^38. Each 1 GiB granule (address >> 30) keeps its number when it is
// below 256 and still free; any other granule takes the highest free one
// below 256, first come first served, keeping the low 30 bits. More than
// 256 granules in use is an error. An access crossing a granule boundary is
// split at it (both parts keep the record type), so each part moves with
// its granule.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "trace/text_format.h"
#include "trace/trace_metadata.h"

namespace vm::trace {

inline constexpr unsigned kLackeyGranuleShift = 30;
inline constexpr uint64_t kLackeyGranules = kSv39UserLimit >> kLackeyGranuleShift;  // 256

struct lackey_options {
  std::string workload_name;  // empty: the input file's base name
  uint16_t cpu = 0;           // every record's cpu
};

// Imports `input` into a mem trace at `output`. Errors read
// "INPUT:LINE: expected ..." and leave no output file. `base` supplies
// command and producer; source is "lackey", the workload hash that of the
// input file, the page map the touched pages (text_format.h), and extra
// holds "relocations": [{"from": "0x...", "to": "0x..."}] (granule bases)
// and "split_accesses".
result<import_summary> import_lackey(const std::string& input, const std::string& output,
                                     const lackey_options& options, trace_metadata base);

}  // namespace vm::trace
