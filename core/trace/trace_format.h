// trace_format.h - the on-disk layout of a vmbench trace (.vmt), as
// docs/TRACE_FORMAT.md specifies it, and the record every reader yields.
//
//   [file header, 64 B] [chunk]* [metadata JSON] [chunk index] [trailer, 32 B]
//
// Each chunk is a 32-byte header plus one zstd frame of encoded records
// (record_codec.h); chunks are independent (the address predictors restart
// at every chunk), so a reader can seek to any chunk through the index. All
// integers are little-endian. Writers fill the file header last and rename
// the finished file into place, so a reader never sees a half-written trace.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace vm::trace {

inline constexpr char kFileMagic[8] = {'V', 'M', 'B', 'T', 'R', 'A', 'C', 'E'};
inline constexpr char kTrailerMagic[8] = {'V', 'M', 'B', 'T', 'E', 'N', 'D', '\0'};
inline constexpr uint32_t kChunkMagic = 0x4b4e4843;  // "CHNK"
inline constexpr uint16_t kFormatVersion = 1;

inline constexpr uint64_t kFileHeaderSize = 64;
inline constexpr uint64_t kChunkHeaderSize = 32;
inline constexpr uint64_t kIndexEntrySize = 40;
inline constexpr uint64_t kTrailerSize = 32;

// Reader limits: anything larger is treated as damage, not as a request to
// allocate. They also bound a reader's memory: one decoded chunk at a time.
inline constexpr uint32_t kMaxRecordsPerChunk = 1u << 18;
inline constexpr uint32_t kMaxChunkBytes = 24u << 20;       // encoded (decompressed) bytes
inline constexpr uint32_t kMaxPayloadBytes = 8u << 20;      // one syscall/blob payload
inline constexpr uint32_t kMaxAccessBytes = 1u << 16;       // one R/W/F record's size
inline constexpr uint64_t kMaxMetadataBytes = 64ull << 20;  // JSON

enum class trace_kind : uint16_t {
  kMem = 1,   // memory accesses plus a page map
  kExec = 2,  // a recorded guest run: blocks, accesses, syscalls, digest
};

std::string_view kind_name(trace_kind kind) noexcept;

enum class record_type : uint8_t {
  kRead = 0,     // data load: cpu, size, address
  kWrite = 1,    // data store
  kFetch = 2,    // instruction fetch: address, size in bytes
  kBlock = 3,    // a basic block retired: address = pc, size = instructions
  kSyscall = 4,  // address = number, value = result, payload = bytes it wrote to the guest
  kBlob = 5,     // an opaque payload (exec traces: the program image), address = blob id
};
inline constexpr uint8_t kRecordTypeCount = 6;

std::string_view type_name(record_type type) noexcept;

inline constexpr bool is_access(record_type t) noexcept {
  return t == record_type::kRead || t == record_type::kWrite || t == record_type::kFetch;
}
inline constexpr bool has_payload(record_type t) noexcept {
  return t == record_type::kSyscall || t == record_type::kBlob;
}

// One decoded record. Payload bytes (syscall, blob) live in the decoded
// chunk's payload buffer at [payload_offset, payload_offset + size).
struct record {
  uint64_t address = 0;
  uint64_t value = 0;  // syscall: result (as int64)
  uint32_t size = 0;   // access: bytes; block: instructions; payload: bytes
  uint32_t payload_offset = 0;
  uint16_t cpu = 0;
  record_type type = record_type::kRead;

  friend bool operator==(const record& a, const record& b) noexcept {
    return a.address == b.address && a.value == b.value && a.size == b.size && a.cpu == b.cpu &&
           a.type == b.type;
  }
};

// The fixed file header (offset 0).
struct file_header {
  char magic[8];
  uint16_t version;
  uint16_t kind;
  uint32_t flags;  // 0 in version 1
  uint64_t record_count;
  uint64_t chunk_count;
  uint64_t metadata_offset;
  uint64_t metadata_length;
  uint64_t index_offset;
  uint64_t header_checksum;  // XXH3-64 of the 56 bytes before it
};
static_assert(sizeof(file_header) == kFileHeaderSize);

struct chunk_header {
  uint32_t magic;
  uint32_t record_count;
  uint32_t compressed_size;
  uint32_t uncompressed_size;
  uint64_t first_record;
  uint64_t checksum;  // XXH3-64 of the decompressed (encoded-record) bytes
};
static_assert(sizeof(chunk_header) == kChunkHeaderSize);

struct index_entry {
  uint64_t offset;  // of the chunk header
  uint64_t first_record;
  uint32_t record_count;
  uint32_t compressed_size;
  uint32_t uncompressed_size;
  uint32_t reserved;  // 0
  uint64_t checksum;  // as in the chunk header
};
static_assert(sizeof(index_entry) == kIndexEntrySize);

struct trailer {
  char magic[8];
  uint64_t index_offset;
  uint64_t index_checksum;     // XXH3-64 of the index bytes
  uint64_t metadata_checksum;  // XXH3-64 of the metadata bytes
};
static_assert(sizeof(trailer) == kTrailerSize);

}  // namespace vm::trace
