// test_traces.h - writing small `mem` traces for replay tests.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "trace/trace_writer.h"

namespace vm::test {

struct mem_trace {
  std::vector<trace::record> records;
  std::vector<trace::page_range> page_map;
  uint32_t cpus = 1;
  uint32_t records_per_chunk = trace::kMaxRecordsPerChunk;
};

inline trace::record access(trace::record_type type, uint64_t address, uint32_t size,
                            uint16_t cpu = 0) {
  trace::record r;
  r.type = type;
  r.address = address;
  r.size = size;
  r.cpu = cpu;
  return r;
}
inline trace::record read(uint64_t address, uint32_t size = 8, uint16_t cpu = 0) {
  return access(trace::record_type::kRead, address, size, cpu);
}
inline trace::record write(uint64_t address, uint32_t size = 8, uint16_t cpu = 0) {
  return access(trace::record_type::kWrite, address, size, cpu);
}
inline trace::record fetch(uint64_t address, uint32_t size = 4, uint16_t cpu = 0) {
  return access(trace::record_type::kFetch, address, size, cpu);
}

// A 4 KiB-page range with permissions like "rw-".
inline trace::page_range range(uint64_t start, uint64_t end, uint8_t permissions,
                               uint64_t page_size = 4096) {
  trace::page_range r;
  r.start = start;
  r.end = end;
  r.permissions = permissions;
  r.page_size = page_size;
  return r;
}

inline void write_mem_trace(const std::string& path, const mem_trace& t,
                            trace::trace_kind kind = trace::trace_kind::kMem) {
  auto w = trace::trace_writer::create(path, kind, {1, t.records_per_chunk});
  REQUIRE(w.ok());
  for (const trace::record& r : t.records) REQUIRE_FALSE(w.value()->append(r));
  trace::trace_metadata m;
  m.kind = kind;
  m.source = "test";
  m.command = "test";
  m.cpus = t.cpus;
  m.page_map = t.page_map;
  REQUIRE_FALSE(w.value()->finish(m));
}

}  // namespace vm::test
