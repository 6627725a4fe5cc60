// record_codec.h - the compact record encoding inside a chunk (before zstd),
// docs/TRACE_FORMAT.md "Records". Hot inline code: the writer encodes and
// the reader decodes every record through here.
//
// A record is a tag byte, then varints:
//   tag bits 0-2 type, 3-4 log2(size) for 1/2/4/8-byte accesses, bit 5 an
//   explicit size varint follows, bit 6 a cpu varint follows (else the cpu
//   of the previous record), bit 7 reserved (0).
//   access: [cpu] [size] zigzag(address - previous address of its stream)
//   block:  [cpu] count zigzag(pc - previous address of the fetch stream)
//   syscall:[cpu] number zigzag(result) length bytes
//   blob:   [cpu] id length bytes
// Each cpu (mod 8) has two address streams: data (read/write) and
// instruction (fetch/block). All predictors start at 0 in every chunk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "trace/trace_format.h"

namespace vm::trace {

inline constexpr uint8_t kTagTypeMask = 0x07;
inline constexpr uint8_t kTagSizeShift = 3;
inline constexpr uint8_t kTagSizeMask = 0x18;
inline constexpr uint8_t kTagExplicitSize = 0x20;
inline constexpr uint8_t kTagCpu = 0x40;
inline constexpr uint8_t kTagReserved = 0x80;

struct codec_state {
  uint64_t previous[8][2] = {};
  uint16_t cpu = 0;

  void reset() noexcept { *this = codec_state{}; }
  static unsigned stream(record_type t) noexcept {
    return t == record_type::kFetch || t == record_type::kBlock ? 1 : 0;
  }
};

inline uint64_t zigzag(int64_t v) noexcept {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t unzigzag(uint64_t v) noexcept {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// ---- encoding: writes at `out`, which has room for kMaxEncodedRecord bytes
// (plus the payload), and returns the end ----

// The longest encoding of a record without payload: tag, cpu (3 bytes),
// size (5) and a 10-byte address delta.
inline constexpr size_t kMaxEncodedRecord = 1 + 3 + 5 + 10;

[[gnu::always_inline]] inline uint8_t* put_varint(uint8_t* out, uint64_t v) noexcept {
  while (v >= 0x80) {
    *out++ = static_cast<uint8_t>(v) | 0x80;
    v >>= 7;
  }
  *out++ = static_cast<uint8_t>(v);
  return out;
}

inline void put_varint(std::vector<uint8_t>& out, uint64_t v) {
  uint8_t buf[10];
  out.insert(out.end(), buf, put_varint(buf, v));
}

// Encodes an access or block record.
[[gnu::always_inline]] inline uint8_t* encode_record(codec_state& state, const record& r,
                                                     uint8_t* out) noexcept {
  // Tag bits for an access of 0..8 bytes (0xff: the size needs a varint).
  static constexpr uint8_t kSizeBits[9] = {
      0xff, 0 << kTagSizeShift, 1 << kTagSizeShift, 0xff, 2 << kTagSizeShift, 0xff, 0xff,
      0xff, 3 << kTagSizeShift};
  uint8_t tag = static_cast<uint8_t>(r.type);
  bool explicit_size = r.type == record_type::kBlock;
  if (!explicit_size) {
    const uint8_t bits = r.size <= 8 ? kSizeBits[r.size] : 0xff;
    explicit_size = bits == 0xff;
    tag |= explicit_size ? kTagExplicitSize : bits;
  }
  const bool cpu_changed = r.cpu != state.cpu;
  if (cpu_changed) tag |= kTagCpu;
  *out++ = tag;
  if (cpu_changed) {
    out = put_varint(out, r.cpu);
    state.cpu = r.cpu;
  }
  if (explicit_size) out = put_varint(out, r.size);
  uint64_t& previous = state.previous[r.cpu & 7][codec_state::stream(r.type)];
  out = put_varint(out, zigzag(static_cast<int64_t>(r.address - previous)));
  previous = r.address;
  return out;
}

// Encodes a syscall or blob record and its r.size payload bytes.
inline uint8_t* encode_payload_record(codec_state& state, const record& r, const uint8_t* payload,
                                      uint8_t* out) noexcept {
  uint8_t tag = static_cast<uint8_t>(r.type);
  const bool cpu_changed = r.cpu != state.cpu;
  if (cpu_changed) tag |= kTagCpu;
  *out++ = tag;
  if (cpu_changed) {
    out = put_varint(out, r.cpu);
    state.cpu = r.cpu;
  }
  out = put_varint(out, r.address);
  if (r.type == record_type::kSyscall) out = put_varint(out, zigzag(static_cast<int64_t>(r.value)));
  out = put_varint(out, r.size);
  if (r.size > 0) std::memcpy(out, payload, r.size);
  return out + r.size;
}

// The same, appending to a vector (tests and tools; the writer uses the
// pointer forms).
inline void encode_record(codec_state& state, const record& r, std::vector<uint8_t>& out) {
  const size_t n = out.size();
  out.resize(n + kMaxEncodedRecord);
  out.resize(static_cast<size_t>(encode_record(state, r, out.data() + n) - out.data()));
}
inline void encode_payload_record(codec_state& state, const record& r, const uint8_t* payload,
                                  std::vector<uint8_t>& out) {
  const size_t n = out.size();
  out.resize(n + kMaxEncodedRecord + r.size);
  out.resize(
      static_cast<size_t>(encode_payload_record(state, r, payload, out.data() + n) - out.data()));
}

// ---- decoding ----

struct decode_error {
  size_t offset = 0;  // byte offset in the decompressed chunk
  const char* what = nullptr;
};

// Reads a varint at p (< end). Returns nullptr on a truncated or over-long
// (more than 64 bits) varint.
inline const uint8_t* get_varint(const uint8_t* p, const uint8_t* end, uint64_t& out) noexcept {
  if (p < end && *p < 0x80) [[likely]] {
    out = *p;
    return p + 1;
  }
  uint64_t v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (p == end) return nullptr;
    const uint8_t byte = *p++;
    if (shift == 63 && byte > 1) return nullptr;
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (byte < 0x80) {
      out = v;
      return p;
    }
  }
  return nullptr;
}

// Decodes exactly `count` records from [data, data + size) into `records`
// (resized to count); payload offsets point into `data` itself. Every
// field is checked: on damage, returns false and fills `error`.
inline bool decode_records(const uint8_t* data, size_t size, uint32_t count,
                           std::vector<record>& records, decode_error& error) {
  records.resize(count);
  codec_state state;
  const uint8_t* p = data;
  const uint8_t* const end = data + size;
  record* out = records.data();
  auto fail = [&](const uint8_t* at, const char* what) {
    error.offset = static_cast<size_t>(at - data);
    error.what = what;
    return false;
  };
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* const start = p;
    if (p == end) return fail(p, "record expected, chunk data ended");
    const uint8_t tag = *p++;
    const auto type = static_cast<record_type>(tag & kTagTypeMask);
    if ((tag & kTagReserved) || static_cast<uint8_t>(type) >= kRecordTypeCount)
      return fail(start, "invalid record tag");
    record& r = out[i];
    r.type = type;
    r.value = 0;
    r.payload_offset = 0;
    if (tag & kTagCpu) {
      uint64_t cpu;
      if ((p = get_varint(p, end, cpu)) == nullptr || cpu > 0xffff)
        return fail(start, "bad cpu number");
      state.cpu = static_cast<uint16_t>(cpu);
    }
    r.cpu = state.cpu;
    uint64_t& previous = state.previous[r.cpu & 7][codec_state::stream(type)];
    uint64_t v;
    if (is_access(type)) {
      if (tag & kTagExplicitSize) {
        if ((p = get_varint(p, end, v)) == nullptr || v == 0 || v > kMaxAccessBytes)
          return fail(start, "bad access size (0, or more than 65536 bytes)");
        r.size = static_cast<uint32_t>(v);
      } else {
        r.size = 1u << ((tag & kTagSizeMask) >> kTagSizeShift);
      }
      if ((p = get_varint(p, end, v)) == nullptr) return fail(start, "bad address delta");
      previous += static_cast<uint64_t>(unzigzag(v));
      r.address = previous;
      continue;
    }
    if (tag & (kTagSizeMask | kTagExplicitSize)) return fail(start, "invalid record tag");
    if (type == record_type::kBlock) {
      if ((p = get_varint(p, end, v)) == nullptr || v > UINT32_MAX)
        return fail(start, "bad block instruction count");
      r.size = static_cast<uint32_t>(v);
      if ((p = get_varint(p, end, v)) == nullptr) return fail(start, "bad block pc delta");
      previous += static_cast<uint64_t>(unzigzag(v));
      r.address = previous;
      continue;
    }
    if ((p = get_varint(p, end, r.address)) == nullptr) return fail(start, "bad record number");
    if (type == record_type::kSyscall) {
      if ((p = get_varint(p, end, v)) == nullptr) return fail(start, "bad syscall result");
      r.value = static_cast<uint64_t>(unzigzag(v));
    }
    if ((p = get_varint(p, end, v)) == nullptr || v > kMaxPayloadBytes ||
        v > static_cast<uint64_t>(end - p))
      return fail(start, "bad payload length");
    r.size = static_cast<uint32_t>(v);
    r.payload_offset = static_cast<uint32_t>(p - data);
    p += v;
  }
  if (p != end) return fail(p, "bytes left after the chunk's last record");
  return true;
}

}  // namespace vm::trace
