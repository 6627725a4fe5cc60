// trace_reader.h - opens a .vmt file, validates its header, trailer,
// metadata and index at open (the edge: STYLE.md rule 8), then decodes one
// chunk at a time, checking each chunk's header against the index and its
// checksum. Memory is bounded by one chunk whatever the trace's length.
//
// Every error names the file, the byte offset and what was expected.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "trace/trace_format.h"
#include "trace/trace_metadata.h"

namespace vm::trace {

// One decoded chunk: its records, and the bytes their payloads point into.
struct decoded_chunk {
  uint64_t index = 0;         // chunk number
  uint64_t first_record = 0;  // global number of records[0]
  std::vector<record> records;
  std::vector<uint8_t> data;  // the decompressed chunk

  const uint8_t* payload(const record& r) const noexcept { return data.data() + r.payload_offset; }
};

class trace_reader {
 public:
  static result<std::unique_ptr<trace_reader>> open(const std::string& path);
  // Opens a trace held in memory (tests, fuzzing) with the same checks as
  // open(); `name` stands for the file in error messages.
  static result<std::unique_ptr<trace_reader>> open_bytes(std::vector<uint8_t> bytes,
                                                          const std::string& name);
  ~trace_reader();
  trace_reader(const trace_reader&) = delete;
  trace_reader& operator=(const trace_reader&) = delete;

  const std::string& path() const noexcept { return path_; }
  trace_kind kind() const noexcept { return static_cast<trace_kind>(header_.kind); }
  const trace_metadata& metadata() const noexcept { return metadata_; }
  const std::string& metadata_json() const noexcept { return metadata_json_; }
  uint64_t record_count() const noexcept { return header_.record_count; }
  uint64_t file_size() const noexcept { return file_size_; }
  const std::vector<index_entry>& chunks() const noexcept { return index_; }

  // Decodes the next chunk into `out`; false (no error) after the last.
  result<bool> next(decoded_chunk& out);
  // Makes chunk `n` the next one next() returns.
  error seek_chunk(uint64_t n);
  // The chunk holding global record number `record_number`.
  uint64_t chunk_of(uint64_t record_number) const noexcept;

 private:
  trace_reader() = default;
  // Checks the header, trailer, metadata and index of the file_size_ bytes.
  error validate();
  error check_frame(const index_entry& e, uint64_t n) const;
  error read_at(uint64_t offset, void* out, size_t size, const char* what);
  error damage(uint64_t offset, const std::string& what) const;

  std::string path_;
  int fd_ = -1;                 // -1: the trace is in bytes_
  std::vector<uint8_t> bytes_;  // open_bytes: the whole trace
  uint64_t file_size_ = 0;
  file_header header_{};
  std::string metadata_json_;
  trace_metadata metadata_;
  std::vector<index_entry> index_;
  uint64_t next_chunk_ = 0;
  void* zstd_ = nullptr;  // ZSTD_DCtx
  std::vector<uint8_t> compressed_;
};

// Reads every chunk and checks it (what `vmbench trace verify` does).
// Returns the first damage found.
error verify(const std::string& path);

}  // namespace vm::trace
