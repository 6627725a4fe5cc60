#include "trace/trace_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace vm::trace {

uint64_t checksum64(const void* data, size_t size) noexcept {
  return XXH3_64bits(data, size);
}

std::string hash_string(uint64_t high64, uint64_t low64) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "xxh3-128:%016llx%016llx", static_cast<unsigned long long>(high64),
                static_cast<unsigned long long>(low64));
  return buf;
}

std::string hash_bytes(const void* data, size_t size) {
  const XXH128_hash_t h = XXH3_128bits(data, size);
  return hash_string(h.high64, h.low64);
}

result<std::string> hash_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return error{error_code::kIo, path + ": " + std::strerror(errno)};
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  std::vector<uint8_t> buf(1 << 20);
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      XXH3_freeState(state);
      ::close(fd);
      return error{error_code::kIo, path + ": " + std::strerror(e)};
    }
    if (n == 0) break;
    XXH3_128bits_update(state, buf.data(), static_cast<size_t>(n));
  }
  const XXH128_hash_t h = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  ::close(fd);
  return hash_string(h.high64, h.low64);
}

result<std::unique_ptr<trace_writer>> trace_writer::create(const std::string& path, trace_kind kind,
                                                           const writer_options& options) {
  if (options.records_per_chunk == 0 || options.records_per_chunk > kMaxRecordsPerChunk)
    return error{error_code::kInvalidArgument,
                 "records per chunk must be 1.." + std::to_string(kMaxRecordsPerChunk)};
  std::unique_ptr<trace_writer> w(new trace_writer());
  w->path_ = path;
  w->kind_ = kind;
  w->options_ = options;
  std::string temp = path + ".tmp.XXXXXX";
  w->fd_ = ::mkstemp(temp.data());
  if (w->fd_ < 0) return error{error_code::kIo, path + ": cannot create: " + std::strerror(errno)};
  ::fchmod(w->fd_, 0644);
  w->temp_path_ = temp;
  w->zstd_ = ZSTD_createCCtx();
  if (w->zstd_ == nullptr) return error{error_code::kOutOfMemory, "zstd: cannot allocate"};
  ZSTD_CCtx_setParameter(static_cast<ZSTD_CCtx*>(w->zstd_), ZSTD_c_compressionLevel,
                         options.compression_level);
  w->buffer_.resize(options.records_per_chunk * kMaxEncodedRecord);
  return w;
}

trace_writer::~trace_writer() {
  if (fd_ >= 0) ::close(fd_);
  if (!finished_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
  ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(zstd_));
}

error trace_writer::append(const record& r, const uint8_t* payload) {
  if (!has_payload(r.type)) return append(r);
  if (payload == nullptr && r.size != 0)
    return error{error_code::kInvalidArgument, "payload record without its payload bytes"};
  if (r.size > kMaxPayloadBytes)
    return error{error_code::kInvalidArgument,
                 "payload of " + std::to_string(r.size) + " bytes exceeds the format's limit"};
  // A record never spans chunks: start a new one if this payload would
  // push the chunk past the readers' limit.
  if (chunk_records_ > 0 && used_ + r.size + 64 > kMaxChunkBytes) VM_PROPAGATE(flush_chunk());
  // Room for the payload, and for a full chunk of plain records after it.
  const size_t need = used_ + kMaxEncodedRecord + r.size +
                      (options_.records_per_chunk - chunk_records_) * kMaxEncodedRecord;
  if (buffer_.size() < need) buffer_.resize(need);
  used_ = static_cast<size_t>(encode_payload_record(state_, r, payload, buffer_.data() + used_) -
                              buffer_.data());
  if (++chunk_records_ == options_.records_per_chunk || used_ > kMaxChunkBytes / 2)
    return flush_chunk();
  return error::ok();
}

error trace_writer::write_at(uint64_t offset, const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd_, p, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return error{error_code::kIo, path_ + ": write failed: " + std::strerror(errno)};
    }
    p += n;
    offset += static_cast<uint64_t>(n);
    size -= static_cast<size_t>(n);
  }
  return error::ok();
}

error trace_writer::flush_chunk() {
  if (chunk_records_ == 0) return error::ok();
  compressed_.resize(ZSTD_compressBound(used_));
  const size_t n = ZSTD_compress2(static_cast<ZSTD_CCtx*>(zstd_), compressed_.data(),
                                  compressed_.size(), buffer_.data(), used_);
  if (ZSTD_isError(n)) return error{error_code::kIo, path_ + ": zstd: " + ZSTD_getErrorName(n)};
  chunk_header h{};
  h.magic = kChunkMagic;
  h.record_count = chunk_records_;
  h.compressed_size = static_cast<uint32_t>(n);
  h.uncompressed_size = static_cast<uint32_t>(used_);
  h.first_record = first_record_;
  h.checksum = checksum64(buffer_.data(), used_);
  VM_PROPAGATE(write_at(offset_, &h, sizeof h));
  VM_PROPAGATE(write_at(offset_ + sizeof h, compressed_.data(), n));
  index_.push_back(index_entry{offset_, first_record_, chunk_records_, h.compressed_size,
                               h.uncompressed_size, 0, h.checksum});
  offset_ += sizeof h + n;
  first_record_ += chunk_records_;
  chunk_records_ = 0;
  used_ = 0;
  if (buffer_.size() > options_.records_per_chunk * kMaxEncodedRecord) {
    buffer_.resize(options_.records_per_chunk * kMaxEncodedRecord);  // after a large payload
    buffer_.shrink_to_fit();
  }
  state_.reset();
  return error::ok();
}

void trace_writer::flush_sticky() noexcept {
  error e = flush_chunk();
  if (!e) return;
  if (!sticky_) sticky_ = std::move(e);
  // The chunk is lost and finish() will fail; start an empty one so later
  // pushes stay inside the buffer.
  chunk_records_ = 0;
  used_ = 0;
  state_.reset();
}

error trace_writer::finish(trace_metadata metadata) {
  if (sticky_) return std::move(sticky_);
  VM_PROPAGATE(flush_chunk());
  metadata.kind = kind_;
  metadata.record_count = first_record_;
  const std::string json = to_json(metadata);
  file_header header{};
  std::memcpy(header.magic, kFileMagic, sizeof header.magic);
  header.version = kFormatVersion;
  header.kind = static_cast<uint16_t>(kind_);
  header.record_count = first_record_;
  header.chunk_count = index_.size();
  header.metadata_offset = offset_;
  header.metadata_length = json.size();
  header.index_offset = offset_ + json.size();
  header.header_checksum = checksum64(&header, offsetof(file_header, header_checksum));
  VM_PROPAGATE(write_at(header.metadata_offset, json.data(), json.size()));
  const size_t index_bytes = index_.size() * sizeof(index_entry);
  VM_PROPAGATE(write_at(header.index_offset, index_.data(), index_bytes));
  trailer t{};
  std::memcpy(t.magic, kTrailerMagic, sizeof t.magic);
  t.index_offset = header.index_offset;
  t.index_checksum = checksum64(index_.data(), index_bytes);
  t.metadata_checksum = checksum64(json.data(), json.size());
  VM_PROPAGATE(write_at(header.index_offset + index_bytes, &t, sizeof t));
  VM_PROPAGATE(write_at(0, &header, sizeof header));
  if (::fsync(fd_) != 0)
    return error{error_code::kIo, path_ + ": fsync failed: " + std::strerror(errno)};
  ::close(fd_);
  fd_ = -1;
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0)
    return error{error_code::kIo, path_ + ": rename failed: " + std::strerror(errno)};
  finished_ = true;
  return error::ok();
}

}  // namespace vm::trace
