// trace_reader_check.h - what the trace reader must do with any input at
// all. Shared by the libFuzzer target (tests/fuzz/trace_reader_fuzz.cpp)
// and the regression test that replays its findings
// (tests/trace/fuzz_regressions.tests.cpp), so both hold the reader to the
// same contract.
//
// Each input is used three ways:
//   1. as a trace, unchanged: layout, limits and checksums;
//   2. resealed: every checksum the layout lets us find is recomputed, so
//      that mutations get past them to what they guard (index checks, zstd
//      framing, the metadata parser, the record decoder);
//   3. as the decompressed bytes of one chunk, straight into decode_records.
// Records that decode must also survive a re-encode unchanged.
// A check returns "" when the reader behaved, else what went wrong.
#pragma once

#include <xxhash.h>
#include <zstd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "trace/record_codec.h"
#include "trace/trace_reader.h"

namespace vm::fuzz {

// The name the inputs are read under, which every error must start with.
inline constexpr const char* kInputName = "fuzz-input";

// A refusal must be kBadInput, worded "<name>: offset <digits>: <what>".
inline std::string check_refusal(const error& e, const std::string& name) {
  if (e.code != error_code::kBadInput)
    return "error code " + std::to_string(static_cast<int>(e.code)) +
           " (not kBadInput): " + e.message;
  const std::string prefix = name + ": offset ";
  size_t i = prefix.size();
  const size_t digits = i;
  if (e.message.compare(0, prefix.size(), prefix) == 0) {
    while (i < e.message.size() && e.message[i] >= '0' && e.message[i] <= '9') ++i;
    if (i > digits && e.message.compare(i, 2, ": ") == 0 && i + 2 < e.message.size()) return "";
  }
  return "message does not name the input and an offset: " + e.message;
}

// Checks one decoded record against the chunk it came from and folds it
// (payload bytes included, so that every one of them is read) into `digest`.
inline std::string check_record(const trace::record& r, const uint8_t* data, size_t size,
                                uint64_t& digest) {
  using trace::record_type;
  if (static_cast<uint8_t>(r.type) >= trace::kRecordTypeCount) return "record of unknown type";
  if (trace::is_access(r.type) && r.size == 0) return "access of 0 bytes";
  uint64_t payload = 0;
  if (trace::has_payload(r.type)) {
    if (r.size > trace::kMaxPayloadBytes || r.payload_offset > size ||
        r.size > size - r.payload_offset)
      return "payload outside its chunk";
    for (uint32_t i = 0; i < r.size; ++i) payload = payload * 131 + data[r.payload_offset + i];
  } else if (r.payload_offset != 0) {
    return "payload offset on a record without a payload";
  }
  if (r.type != record_type::kSyscall && r.value != 0)
    return "value on a record other than syscall";
  digest = (digest ^ r.address) * 0x100000001b3ull + r.value + r.size + r.cpu +
           static_cast<uint64_t>(r.type) + payload;
  return "";
}

// Encodes decoded records again: they must decode to the same records and
// payloads (the encoding may differ: a decoder accepts non-minimal forms).
inline std::string check_reencode(const std::vector<trace::record>& records, const uint8_t* data,
                                  size_t size) {
  using namespace trace;
  std::vector<uint8_t> encoded;
  codec_state state;
  uint64_t digest = 0;
  for (const record& r : records) {
    if (has_payload(r.type))
      encode_payload_record(state, r, data + r.payload_offset, encoded);
    else
      encode_record(state, r, encoded);
    (void)check_record(r, data, size, digest);
  }
  std::vector<record> again;
  decode_error de;
  if (!decode_records(encoded.data(), encoded.size(), static_cast<uint32_t>(records.size()), again,
                      de))
    return std::string("re-encoded records do not decode: ") + de.what;
  uint64_t digest_again = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    if (!(again[i] == records[i])) return "record " + std::to_string(i) + " changed on re-encode";
    (void)check_record(again[i], encoded.data(), encoded.size(), digest_again);
  }
  if (digest_again != digest) return "payloads changed on re-encode";
  return "";
}

// Opens `input` as a trace and reads it to its end. Sets `whole` when it
// read as a complete trace (every chunk decoded).
inline std::string check_trace(const std::vector<uint8_t>& input, bool& whole) {
  whole = false;
  auto opened = trace::trace_reader::open_bytes(input, kInputName);
  if (!opened.ok()) return check_refusal(opened.err(), kInputName);
  trace::trace_reader& reader = *opened.value();
  // What open() promises once it has succeeded.
  if (reader.file_size() != input.size()) return "file_size differs from the input's";
  if (reader.metadata().record_count != reader.record_count())
    return "metadata and header record counts differ";
  if (reader.metadata().kind != reader.kind()) return "metadata and header kinds differ";
  const std::vector<trace::index_entry>& index = reader.chunks();
  uint64_t first = 0;
  for (const trace::index_entry& e : index) {
    if (e.first_record != first || e.record_count == 0) return "index does not add up";
    first += e.record_count;
  }
  if (first != reader.record_count()) return "index does not cover the record count";

  trace::decoded_chunk chunk;
  std::vector<uint64_t> digests;
  uint64_t seen = 0;
  for (uint64_t n = 0;; ++n) {
    auto more = reader.next(chunk);
    if (!more.ok()) return check_refusal(more.err(), kInputName);
    if (!more.value()) break;
    if (n >= index.size() || chunk.index != n || chunk.first_record != seen ||
        chunk.records.size() != index[n].record_count)
      return "chunk " + std::to_string(n) + " disagrees with the index";
    uint64_t digest = 0;
    for (const trace::record& r : chunk.records) {
      std::string problem = check_record(r, chunk.data.data(), chunk.data.size(), digest);
      if (!problem.empty()) return "chunk " + std::to_string(n) + ": " + problem;
    }
    std::string problem = check_reencode(chunk.records, chunk.data.data(), chunk.data.size());
    if (!problem.empty()) return "chunk " + std::to_string(n) + ": " + problem;
    digests.push_back(digest);
    seen += chunk.records.size();
  }
  if (seen != reader.record_count()) return "read fewer records than the header counts";
  if (!index.empty()) {
    // Seeking back to the chunk holding the last record reads it again.
    const uint64_t last = reader.chunk_of(reader.record_count() - 1);
    if (last != index.size() - 1) return "chunk_of(last record) is not the last chunk";
    if (reader.seek_chunk(last)) return "seek_chunk refused a chunk the index has";
    auto again = reader.next(chunk);
    if (!again.ok() || !again.value()) return "the last chunk did not read a second time";
    uint64_t digest = 0;
    for (const trace::record& r : chunk.records)
      (void)check_record(r, chunk.data.data(), chunk.data.size(), digest);
    if (digest != digests[last]) return "the last chunk read differently the second time";
  }
  whole = true;
  return "";
}

// Recomputes the chunk checksums (chunk header and index entry, over the
// chunk's decompressed bytes), the trailer's index and metadata checksums
// and the header checksum, wherever the header and index say they are.
// Offsets that do not fit the input are left alone: the reader must refuse
// them on its own.
inline void reseal(std::vector<uint8_t>& b) {
  using namespace trace;
  const uint64_t size = b.size();
  if (size < kFileHeaderSize) return;
  file_header h;
  std::memcpy(&h, b.data(), sizeof h);
  const bool index_fits =
      h.index_offset <= size && h.chunk_count <= (size - h.index_offset) / kIndexEntrySize;
  if (index_fits) {
    std::vector<uint8_t> plain;
    for (uint64_t i = 0; i < h.chunk_count; ++i) {
      const uint64_t at = h.index_offset + i * kIndexEntrySize;
      index_entry e;
      std::memcpy(&e, b.data() + at, sizeof e);
      if (e.offset > size || size - e.offset < kChunkHeaderSize ||
          e.compressed_size > size - e.offset - kChunkHeaderSize ||
          e.uncompressed_size > kMaxChunkBytes)
        continue;
      const uint8_t* frame = b.data() + e.offset + kChunkHeaderSize;
      // Only frames that can decode to the size the index claims (the
      // reader refuses the rest before decompressing).
      if (ZSTD_getFrameContentSize(frame, e.compressed_size) != e.uncompressed_size) continue;
      plain.resize(e.uncompressed_size);
      const size_t got = ZSTD_decompress(plain.data(), plain.size(), frame, e.compressed_size);
      if (ZSTD_isError(got)) continue;
      e.checksum = XXH3_64bits(plain.data(), got);
      std::memcpy(b.data() + at, &e, sizeof e);
      chunk_header ch;
      std::memcpy(&ch, b.data() + e.offset, sizeof ch);
      ch.checksum = e.checksum;
      std::memcpy(b.data() + e.offset, &ch, sizeof ch);
    }
  }
  if (size >= kFileHeaderSize + kTrailerSize) {
    trailer t;
    std::memcpy(&t, b.data() + size - kTrailerSize, sizeof t);
    if (index_fits)
      t.index_checksum = XXH3_64bits(b.data() + h.index_offset, h.chunk_count * kIndexEntrySize);
    if (h.metadata_offset <= size && h.metadata_length <= size - h.metadata_offset)
      t.metadata_checksum = XXH3_64bits(b.data() + h.metadata_offset, h.metadata_length);
    std::memcpy(b.data() + size - kTrailerSize, &t, sizeof t);
  }
  h.header_checksum = XXH3_64bits(&h, offsetof(file_header, header_checksum));
  std::memcpy(b.data(), &h, sizeof h);
}

// Decodes the input after its first two bytes (the record count, little-
// endian) as one chunk's records.
inline std::string check_decode(const uint8_t* input, size_t input_size) {
  using namespace trace;
  if (input_size < 2) return "";
  const uint32_t count = input[0] | static_cast<uint32_t>(input[1]) << 8;
  const uint8_t* data = input + 2;
  const size_t size = input_size - 2;
  std::vector<record> records;
  decode_error de;
  if (!decode_records(data, size, count, records, de)) {
    if (de.offset > size || de.what == nullptr) return "decode error outside the chunk";
    return "";
  }
  if (records.size() != count) return "decoded a different number of records";
  uint64_t digest = 0;
  for (const record& r : records) {
    std::string problem = check_record(r, data, size, digest);
    if (!problem.empty()) return problem;
  }
  return check_reencode(records, data, size);
}

// All three ways; `whole` tells whether the input, as is, is a valid trace.
inline std::string check_input(const uint8_t* data, size_t size, bool& whole) {
  std::vector<uint8_t> bytes(data, data + size);
  std::string problem = check_trace(bytes, whole);
  if (!problem.empty()) return "as is: " + problem;
  reseal(bytes);
  bool resealed_whole = false;
  problem = check_trace(bytes, resealed_whole);
  if (!problem.empty()) return "resealed: " + problem;
  problem = check_decode(data, size);
  if (!problem.empty()) return "as chunk records: " + problem;
  return "";
}

}  // namespace vm::fuzz
