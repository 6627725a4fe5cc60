#include "trace/trace_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/format.h"
#include "trace/record_codec.h"
#include "trace/trace_writer.h"

namespace vm::trace {

error trace_reader::damage(uint64_t offset, const std::string& what) const {
  return error{error_code::kBadInput, path_ + ": offset " + std::to_string(offset) + ": " + what};
}

error trace_reader::read_at(uint64_t offset, void* out, size_t size, const char* what) {
  if (offset > file_size_ || size > file_size_ - offset)
    return damage(offset, std::string("truncated: expected ") + what + " of " +
                              std::to_string(size) + " bytes, the file is " +
                              std::to_string(file_size_) + " bytes long");
  auto* p = static_cast<uint8_t*>(out);
  if (fd_ < 0) {
    if (size > 0) std::memcpy(p, bytes_.data() + offset, size);
    return error::ok();
  }
  while (size > 0) {
    const ssize_t n = ::pread(fd_, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return error{error_code::kIo, path_ + ": read failed: " + std::strerror(errno)};
    if (n == 0) return damage(offset, std::string("truncated while reading ") + what);
    p += n;
    offset += static_cast<uint64_t>(n);
    size -= static_cast<size_t>(n);
  }
  return error::ok();
}

result<std::unique_ptr<trace_reader>> trace_reader::open(const std::string& path) {
  std::unique_ptr<trace_reader> r(new trace_reader());
  r->path_ = path;
  r->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (r->fd_ < 0) return error{error_code::kIo, path + ": " + std::strerror(errno)};
  struct stat st {};
  if (::fstat(r->fd_, &st) != 0 || !S_ISREG(st.st_mode))
    return error{error_code::kBadInput, path + ": not a regular file"};
  r->file_size_ = static_cast<uint64_t>(st.st_size);
  VM_PROPAGATE(r->validate());
  return r;
}

result<std::unique_ptr<trace_reader>> trace_reader::open_bytes(std::vector<uint8_t> bytes,
                                                               const std::string& name) {
  std::unique_ptr<trace_reader> r(new trace_reader());
  r->path_ = name;
  r->bytes_ = std::move(bytes);
  r->file_size_ = r->bytes_.size();
  VM_PROPAGATE(r->validate());
  return r;
}

error trace_reader::validate() {
  file_header& h = header_;
  if (file_size_ < sizeof h)
    return damage(0, "truncated: a trace starts with a 64-byte header, the file is " +
                         std::to_string(file_size_) + " bytes long");
  VM_PROPAGATE(read_at(0, &h, sizeof h, "the file header"));
  if (std::memcmp(h.magic, kFileMagic, sizeof h.magic) != 0)
    return damage(0, "bad magic: expected \"VMBTRACE\" (not a vmbench trace)");
  if (h.version != kFormatVersion)
    return damage(8, "format version " + std::to_string(h.version) +
                         " is not supported (this reader knows version " +
                         std::to_string(kFormatVersion) + ")");
  if (h.header_checksum != checksum64(&h, offsetof(file_header, header_checksum)))
    return damage(56, "file header checksum mismatch (the header is damaged)");
  if (h.kind != static_cast<uint16_t>(trace_kind::kMem) &&
      h.kind != static_cast<uint16_t>(trace_kind::kExec))
    return damage(10, "unknown trace kind " + std::to_string(h.kind));
  if (h.flags != 0) return damage(12, "unknown header flags " + hex(h.flags));

  // Layout: chunks, metadata, index, trailer, each right after the other.
  const uint64_t size = file_size_;
  // The header's checksum held, so its offsets are what the writer wrote:
  // a file that ends before them was cut short.
  if (h.index_offset >= size && h.index_offset < (1ull << 62))
    return damage(size, "truncated: the header puts the chunk index at offset " +
                            std::to_string(h.index_offset) + ", the file is " +
                            std::to_string(size) + " bytes long");
  if (h.chunk_count > size / (kChunkHeaderSize + kIndexEntrySize))
    return damage(24, "absurd chunk count " + std::to_string(h.chunk_count) + " for a " +
                          std::to_string(size) + "-byte file");
  if (h.record_count > h.chunk_count * uint64_t{kMaxRecordsPerChunk})
    return damage(16, "absurd record count " + std::to_string(h.record_count) + " for " +
                          std::to_string(h.chunk_count) + " chunks");
  const uint64_t index_bytes = h.chunk_count * kIndexEntrySize;
  if (h.metadata_length > kMaxMetadataBytes || h.metadata_offset < kFileHeaderSize ||
      h.metadata_offset > size || h.metadata_length > size - h.metadata_offset ||
      h.index_offset != h.metadata_offset + h.metadata_length || h.index_offset > size ||
      index_bytes > size - h.index_offset)
    return damage(32, "metadata/index offsets do not fit a " + std::to_string(size) +
                          "-byte file (truncated?)");
  const uint64_t expected_size = h.index_offset + index_bytes + kTrailerSize;
  if (expected_size != size)
    return damage(std::min(size, expected_size),
                  "file is " + std::to_string(size) + " bytes, its header says " +
                      std::to_string(expected_size) +
                      (size < expected_size ? " (truncated)" : " (trailing garbage)"));
  trailer t{};
  VM_PROPAGATE(read_at(size - kTrailerSize, &t, sizeof t, "the trailer"));
  if (std::memcmp(t.magic, kTrailerMagic, sizeof t.magic) != 0 || t.index_offset != h.index_offset)
    return damage(size - kTrailerSize, "bad trailer (expected \"VMBTEND\" and the index offset)");

  metadata_json_.resize(h.metadata_length);
  VM_PROPAGATE(
      read_at(h.metadata_offset, metadata_json_.data(), h.metadata_length, "the metadata"));
  if (checksum64(metadata_json_.data(), metadata_json_.size()) != t.metadata_checksum)
    return damage(h.metadata_offset, "metadata checksum mismatch");
  // The metadata's own messages name the field; the offset is the block's.
  auto metadata =
      parse_metadata(metadata_json_, path_ + ": offset " + std::to_string(h.metadata_offset));
  if (!metadata.ok()) return std::move(metadata).err();
  metadata_ = std::move(metadata).value();
  if (metadata_.kind != kind())
    return damage(h.metadata_offset, "metadata kind differs from the header's");
  if (metadata_.record_count != h.record_count)
    return damage(h.metadata_offset,
                  "metadata record_count " + std::to_string(metadata_.record_count) +
                      " differs from the header's " + std::to_string(h.record_count));

  index_.resize(h.chunk_count);
  VM_PROPAGATE(read_at(h.index_offset, index_.data(), index_bytes, "the chunk index"));
  if (checksum64(index_.data(), index_bytes) != t.index_checksum)
    return damage(h.index_offset, "chunk index checksum mismatch");
  // Every record takes at least a tag byte and a one-byte varint, so a chunk
  // claiming more records than that is damaged (and is refused before its
  // record array is allocated).
  constexpr uint32_t kMinRecordBytes = 2;
  uint64_t expect_offset = kFileHeaderSize, expect_first = 0;
  for (uint64_t i = 0; i < h.chunk_count; ++i) {
    const index_entry& e = index_[i];
    const uint64_t at = h.index_offset + i * kIndexEntrySize;
    if (e.offset != expect_offset || e.first_record != expect_first || e.record_count == 0 ||
        e.record_count > kMaxRecordsPerChunk || e.uncompressed_size > kMaxChunkBytes ||
        e.record_count > e.uncompressed_size / kMinRecordBytes || e.reserved != 0 ||
        e.offset + kChunkHeaderSize > h.metadata_offset ||
        e.compressed_size > h.metadata_offset - e.offset - kChunkHeaderSize)
      return damage(at, "chunk index entry " + std::to_string(i) + " is inconsistent");
    expect_offset = e.offset + kChunkHeaderSize + e.compressed_size;
    expect_first += e.record_count;
  }
  if (expect_offset != h.metadata_offset || expect_first != h.record_count)
    return damage(h.index_offset, "chunk index does not cover the chunks exactly");

  zstd_ = ZSTD_createDCtx();
  if (zstd_ == nullptr) return error{error_code::kOutOfMemory, "zstd: cannot allocate"};
  return error::ok();
}

trace_reader::~trace_reader() {
  if (fd_ >= 0) ::close(fd_);
  ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(zstd_));
}

uint64_t trace_reader::chunk_of(uint64_t record_number) const noexcept {
  auto it = std::upper_bound(index_.begin(), index_.end(), record_number,
                             [](uint64_t n, const index_entry& e) { return n < e.first_record; });
  return it == index_.begin() ? 0 : static_cast<uint64_t>(it - index_.begin() - 1);
}

error trace_reader::seek_chunk(uint64_t n) {
  if (n > index_.size())
    return error{error_code::kInvalidArgument, path_ + ": no chunk " + std::to_string(n) +
                                                   " (the trace has " +
                                                   std::to_string(index_.size()) + ")"};
  next_chunk_ = n;
  return error::ok();
}

// The chunk checksum covers the decoded bytes only, and zstd ignores some
// frame header bits (the Unused bit) or lets others move without changing
// the output (the Single_Segment flag, which decides whether the content
// size is stored): a flipped bit there would decode to the right bytes and
// pass. So a chunk must hold exactly one frame in the form a one-shot
// compressor writes (docs/TRACE_FORMAT.md "Chunks").
error trace_reader::check_frame(const index_entry& e, uint64_t n) const {
  const uint64_t at = e.offset + kChunkHeaderSize;
  const std::string which = "chunk " + std::to_string(n) + ": ";
  constexpr uint8_t kZstdMagic[4] = {0x28, 0xb5, 0x2f, 0xfd};
  // Frame_Header_Descriptor bits: 4 Unused, 1-0 Dictionary_ID_Flag.
  constexpr uint8_t kUnusedBit = 0x10, kDictionaryIdFlag = 0x03;
  if (compressed_.size() < 5 || std::memcmp(compressed_.data(), kZstdMagic, 4) != 0)
    return damage(at, which + "chunk data is not a zstd frame");
  if (compressed_[4] & (kUnusedBit | kDictionaryIdFlag))
    return damage(at + 4, which + "zstd frame header has its unused bit or a dictionary ID set");
  const unsigned long long content_size =
      ZSTD_getFrameContentSize(compressed_.data(), compressed_.size());
  if (content_size != e.uncompressed_size)
    return damage(at + 4, which + "zstd frame header does not record the chunk's size (" +
                              std::to_string(e.uncompressed_size) + " bytes)");
  if (ZSTD_findFrameCompressedSize(compressed_.data(), compressed_.size()) != compressed_.size())
    return damage(at, which + "chunk data is not exactly one zstd frame");
  return error::ok();
}

result<bool> trace_reader::next(decoded_chunk& out) {
  if (next_chunk_ >= index_.size()) return false;
  const uint64_t n = next_chunk_;
  const index_entry& e = index_[n];
  chunk_header ch{};
  VM_PROPAGATE(read_at(e.offset, &ch, sizeof ch, "a chunk header"));
  const std::string which = "chunk " + std::to_string(n) + ": ";
  if (ch.magic != kChunkMagic) return damage(e.offset, which + "bad chunk magic (expected CHNK)");
  if (ch.record_count != e.record_count || ch.compressed_size != e.compressed_size ||
      ch.uncompressed_size != e.uncompressed_size || ch.first_record != e.first_record ||
      ch.checksum != e.checksum)
    return damage(e.offset, which + "chunk header differs from the index");
  compressed_.resize(e.compressed_size);
  VM_PROPAGATE(
      read_at(e.offset + kChunkHeaderSize, compressed_.data(), e.compressed_size, "chunk data"));
  VM_PROPAGATE(check_frame(e, n));
  out.data.resize(e.uncompressed_size);
  const size_t got = ZSTD_decompressDCtx(static_cast<ZSTD_DCtx*>(zstd_), out.data.data(),
                                         out.data.size(), compressed_.data(), compressed_.size());
  if (ZSTD_isError(got))
    return damage(e.offset + kChunkHeaderSize,
                  which + "zstd data is damaged (" + ZSTD_getErrorName(got) + ")");
  if (got != e.uncompressed_size)
    return damage(e.offset + kChunkHeaderSize, which + "decompressed to " + std::to_string(got) +
                                                   " bytes, expected " +
                                                   std::to_string(e.uncompressed_size));
  if (checksum64(out.data.data(), out.data.size()) != e.checksum)
    return damage(e.offset, which + "checksum mismatch (the chunk is damaged)");
  decode_error de;
  if (!decode_records(out.data.data(), out.data.size(), e.record_count, out.records, de))
    return damage(e.offset + kChunkHeaderSize, which + "record data at decompressed byte " +
                                                   std::to_string(de.offset) + ": " + de.what);
  out.index = n;
  out.first_record = e.first_record;
  ++next_chunk_;
  return true;
}

error verify(const std::string& path) {
  auto reader = trace_reader::open(path);
  if (!reader.ok()) return std::move(reader).err();
  decoded_chunk chunk;
  for (;;) {
    auto more = reader.value()->next(chunk);
    if (!more.ok()) return std::move(more).err();
    if (!more.value()) return error::ok();
  }
}

}  // namespace vm::trace
