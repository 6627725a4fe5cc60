// trace_writer.h - streams records into a .vmt file with bounded memory:
// records are encoded into the current chunk's buffer, which is compressed
// and written when it holds records_per_chunk records (or its payloads fill
// it). The file is built under a temporary name next to `path` and renamed
// into place by finish(); a writer destroyed unfinished removes it, so a
// failed run never leaves a partial trace behind.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "trace/record_codec.h"
#include "trace/trace_metadata.h"

namespace vm::trace {

struct writer_options {
  int compression_level = 3;  // zstd level
  uint32_t records_per_chunk = kMaxRecordsPerChunk;
};

class trace_writer {
 public:
  static result<std::unique_ptr<trace_writer>> create(const std::string& path, trace_kind kind,
                                                      const writer_options& options = {});
  ~trace_writer();
  trace_writer(const trace_writer&) = delete;
  trace_writer& operator=(const trace_writer&) = delete;

  // Appends an access or block record (a payload type is appended with no
  // payload bytes: r.size must then be 0).
  error append(const record& r) {
    if (has_payload(r.type)) [[unlikely]]
      return append(r, nullptr);
    if (r.type != record_type::kBlock && (r.size == 0 || r.size > kMaxAccessBytes)) [[unlikely]]
      return error{error_code::kInvalidArgument, "access size " + std::to_string(r.size) +
                                                     " is not 1.." +
                                                     std::to_string(kMaxAccessBytes)};
    used_ = static_cast<size_t>(encode_record(state_, r, buffer_.data() + used_) - buffer_.data());
    if (++chunk_records_ == options_.records_per_chunk) [[unlikely]]
      return flush_chunk();
    return error::ok();
  }
  // Appends a syscall or blob record with its payload (r.size bytes).
  error append(const record& r, const uint8_t* payload);

  // The fast path for recorders: an access or block record, no status; a
  // failed chunk write is kept and returned by finish().
  [[gnu::always_inline]] void push(const record& r) noexcept {
    used_ = static_cast<size_t>(encode_record(state_, r, buffer_.data() + used_) - buffer_.data());
    if (++chunk_records_ == options_.records_per_chunk) [[unlikely]]
      flush_sticky();
  }

  uint64_t record_count() const noexcept { return first_record_ + chunk_records_; }
  uint64_t compressed_bytes() const noexcept { return offset_; }

  // Writes the last chunk, the metadata (record_count is set here), the
  // index and the trailer, then renames the file into place.
  error finish(trace_metadata metadata);

 private:
  trace_writer() = default;
  error flush_chunk();
  void flush_sticky() noexcept;
  error write_at(uint64_t offset, const void* data, size_t size);

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  trace_kind kind_ = trace_kind::kMem;
  writer_options options_;
  void* zstd_ = nullptr;  // ZSTD_CCtx
  codec_state state_;
  // The current chunk, encoded: used_ bytes of it. Its size always leaves
  // room for records_per_chunk records without payload.
  std::vector<uint8_t> buffer_;
  size_t used_ = 0;
  std::vector<uint8_t> compressed_;
  uint32_t chunk_records_ = 0;
  uint64_t first_record_ = 0;
  uint64_t offset_ = kFileHeaderSize;  // where the next chunk goes
  std::vector<index_entry> index_;
  bool finished_ = false;
  error sticky_;  // the first error push() met
};

// Hash helpers shared by writers, readers and digests.
uint64_t checksum64(const void* data, size_t size) noexcept;
// "xxh3-128:" and 32 hex digits, of a whole file (streamed).
result<std::string> hash_file(const std::string& path);
std::string hash_bytes(const void* data, size_t size);
// "xxh3-128:" and the 128-bit hash as 32 hex digits, high half first: how
// every XXH3-128 in metadata and digests is written.
std::string hash_string(uint64_t high64, uint64_t low64);

}  // namespace vm::trace
