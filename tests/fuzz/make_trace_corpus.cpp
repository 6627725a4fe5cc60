// make_trace_corpus.cpp - writes the seed corpus of the trace reader's fuzz
// target (tests/fuzz/corpus/trace_reader/): small valid traces of both
// kinds that between them use every record type, tag form and metadata
// field. Regenerate with `bash ci/fuzz --make-corpus`; the output is fixed
// by this file and the zstd version.

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "trace/trace_writer.h"

using namespace vm::trace;

namespace {

bool fail(const vm::error& e) {
  std::fprintf(stderr, "make_trace_corpus: %s\n", e.message.c_str());
  return false;
}

trace_metadata metadata(const char* source, const char* name) {
  trace_metadata m;
  m.source = source;
  m.command = std::string("make_trace_corpus ") + name;
  m.workload_name = name;
  m.workload_hash = "xxh3-128:0123456789abcdef0123456789abcdef";
  m.producer = "vmbench make_trace_corpus";
  return m;
}

// Loads, stores and fetches from two cpus with both tag size forms: mostly
// small strides (what compresses), some jumps (negative deltas, long varints).
bool write_mem(const std::string& path, uint32_t per_chunk, size_t n, uint64_t seed) {
  auto w = trace_writer::create(path, trace_kind::kMem, {3, per_chunk});
  if (!w.ok()) return fail(w.err());
  std::mt19937_64 rng(seed);
  uint64_t data = 0x7fff0000, code = 0x10000;
  for (size_t i = 0; i < n; ++i) {
    record r;
    r.cpu = static_cast<uint16_t>(rng() % 6 == 0 ? 1 : 0);
    r.type = static_cast<record_type>(rng() % 3);
    if (r.type == record_type::kFetch) {
      code += rng() % 5 == 0 ? rng() % 4096 : 4;
      r.address = code;
      r.size = rng() % 4 == 0 ? 2 : 4;
    } else {
      data += rng() % 9 == 0 ? (rng() % 65536) - 32768 : 8;
      r.address = data;
      r.size = rng() % 10 == 0 ? 3 + static_cast<uint32_t>(rng() % 60) : 1u << (rng() % 4);
    }
    if (auto e = w.value()->append(r)) return fail(e);
  }
  trace_metadata m = metadata("gen", "mem");
  m.page_map.push_back({0x10000, 0x20000, kPermRead | kPermExecute, 4096});
  m.page_map.push_back({0x7ff00000, 0x80000000, kPermRead | kPermWrite, 4096});
  m.extra = {{"pattern", "strided"}, {"seed", seed}};
  if (auto e = w.value()->finish(m)) return fail(e);
  return true;
}

// Addresses with no pattern: the chunks do not compress, so zstd stores
// them as raw blocks and a mutation there changes the records directly.
bool write_random(const std::string& path) {
  auto w = trace_writer::create(path, trace_kind::kMem, {3, 100});
  if (!w.ok()) return fail(w.err());
  std::mt19937_64 rng(7);
  for (size_t i = 0; i < 300; ++i) {
    record r;
    r.type = static_cast<record_type>(rng() % 2);
    r.cpu = static_cast<uint16_t>(rng() % 3);
    r.address = rng() >> (rng() % 64);
    r.size = 1u << (rng() % 4);
    if (auto e = w.value()->append(r)) return fail(e);
  }
  trace_metadata m = metadata("text", "random");
  m.cpus = 3;
  m.page_size = 2 << 20;
  m.page_map.push_back({0, 1ull << 30, kPermRead | kPermWrite, 1ull << 30});
  if (auto e = w.value()->finish(m)) return fail(e);
  return true;
}

// A recorded run: the program image as a blob, blocks and fetches, loads
// and stores, and syscalls with and without the bytes they wrote.
bool write_exec(const std::string& path) {
  auto w = trace_writer::create(path, trace_kind::kExec, {3, 32});
  if (!w.ok()) return fail(w.err());
  std::vector<uint8_t> image(256);
  for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<uint8_t>(i * 37 + 11);
  record blob;
  blob.type = record_type::kBlob;
  blob.address = 1;
  blob.size = static_cast<uint32_t>(image.size());
  if (auto e = w.value()->append(blob, image.data())) return fail(e);
  uint64_t pc = 0x10078;
  for (uint32_t i = 0; i < 120; ++i) {
    record b;
    b.type = record_type::kBlock;
    b.address = pc;
    b.size = 1 + i % 9;
    if (auto e = w.value()->append(b)) return fail(e);
    pc = i % 5 == 4 ? 0x10078 : pc + 4 * b.size;
    record a;
    a.type = i % 2 ? record_type::kWrite : record_type::kRead;
    a.address = 0x7ffff000 - 8 * (i % 16);
    a.size = 8;
    if (auto e = w.value()->append(a)) return fail(e);
    if (i % 40 == 39) {
      record s;
      s.type = record_type::kSyscall;
      s.address = i == 119 ? 93 : 64;  // exit, write
      s.value = i == 119 ? 0 : static_cast<uint64_t>(-14);
      const uint8_t text[5] = {'o', 'k', '!', '\n', 0};
      s.size = i == 79 ? 5 : 0;
      if (auto e = w.value()->append(s, s.size ? text : nullptr)) return fail(e);
    }
  }
  record f;
  f.type = record_type::kFetch;
  f.cpu = 2;
  f.address = 0x10078;
  f.size = 4;
  if (auto e = w.value()->append(f)) return fail(e);
  trace_metadata m = metadata("record", "exec");
  m.page_map.push_back({0x10000, 0x11000, kPermRead | kPermExecute, 4096});
  m.extra = {{"image", {{"blob", 1}, {"entry", "0x10078"}}},
             {"argv", {"exec", "-n", "3"}},
             {"window", {{"skip", 0}, {"length", 120}}},
             {"digest", "xxh3-128:fedcba9876543210fedcba9876543210"}};
  if (auto e = w.value()->finish(m)) return fail(e);
  return true;
}

bool write_empty(const std::string& path) {
  auto w = trace_writer::create(path, trace_kind::kExec);
  if (!w.ok()) return fail(w.err());
  if (auto e = w.value()->finish(metadata("record", "empty"))) return fail(e);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_trace_corpus <directory>\n");
    return 2;
  }
  const std::string dir = argv[1];
  const bool ok = write_mem(dir + "/mem_strided.vmt", 64, 400, 1) &&
                  write_mem(dir + "/mem_one_chunk.vmt", kMaxRecordsPerChunk, 40, 2) &&
                  write_random(dir + "/mem_random.vmt") && write_exec(dir + "/exec_run.vmt") &&
                  write_empty(dir + "/exec_empty.vmt");
  return ok ? 0 : 1;
}
