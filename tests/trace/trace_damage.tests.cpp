// Damaged traces: whatever happened to a file (cut short, a flipped bit,
// another program's bytes, a header or index edited with its checksum
// recomputed), the reader refuses it with kBadInput and a message that names
// the file and the byte offset of the damage. Never a crash, and never a
// trace that reads as if it were whole.
//
// Targeted edits recompute the checksums they break (reseal_*, assemble),
// so the check under test is the one that fires, not the checksum before it.

#include <xxhash.h>
#include <zstd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>

#include "support/child_process.h"
#include "trace/record_codec.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

using namespace vm::trace;
using bytes = std::vector<uint8_t>;

namespace {

bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const bytes& b) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  REQUIRE(out.good());
}

template <class T>
T load(const bytes& b, uint64_t offset) {
  REQUIRE(offset + sizeof(T) <= b.size());
  T v;
  std::memcpy(&v, b.data() + offset, sizeof v);
  return v;
}

template <class T>
void store(bytes& b, uint64_t offset, const T& v) {
  REQUIRE(offset + sizeof(T) <= b.size());
  std::memcpy(b.data() + offset, &v, sizeof v);
}

file_header header_of(const bytes& b) {
  return load<file_header>(b, 0);
}

// Recomputes the header checksum after an edit of the header.
void reseal_header(bytes& b) {
  file_header h = header_of(b);
  h.header_checksum = XXH3_64bits(&h, offsetof(file_header, header_checksum));
  store(b, 0, h);
}

// Recomputes the trailer's index and metadata checksums after an edit of
// either block (the header's offsets must still be right).
void reseal_trailer(bytes& b) {
  const file_header h = header_of(b);
  trailer t = load<trailer>(b, b.size() - kTrailerSize);
  t.index_checksum = XXH3_64bits(b.data() + h.index_offset, h.chunk_count * kIndexEntrySize);
  t.metadata_checksum = XXH3_64bits(b.data() + h.metadata_offset, h.metadata_length);
  store(b, b.size() - kTrailerSize, t);
}

// A chunk before compression: its record count and encoded records.
struct plain_chunk {
  uint32_t record_count = 0;
  bytes encoded;
};

// An independent writer of the container, from docs/TRACE_FORMAT.md: lets a
// test put any metadata or any (mis)encoded records into a trace whose
// checksums and layout are otherwise right.
bytes assemble(trace_kind kind, const std::vector<plain_chunk>& chunks, const std::string& json,
               int level = 3) {
  bytes out(kFileHeaderSize);
  std::vector<index_entry> index;
  uint64_t first = 0;
  for (const plain_chunk& c : chunks) {
    bytes z(ZSTD_compressBound(c.encoded.size()));
    const size_t n = ZSTD_compress(z.data(), z.size(), c.encoded.data(), c.encoded.size(), level);
    REQUIRE_FALSE(ZSTD_isError(n));
    const chunk_header ch{kChunkMagic,
                          c.record_count,
                          static_cast<uint32_t>(n),
                          static_cast<uint32_t>(c.encoded.size()),
                          first,
                          XXH3_64bits(c.encoded.data(), c.encoded.size())};
    index.push_back({out.size(), first, c.record_count, ch.compressed_size, ch.uncompressed_size, 0,
                     ch.checksum});
    const auto* p = reinterpret_cast<const uint8_t*>(&ch);
    out.insert(out.end(), p, p + sizeof ch);
    out.insert(out.end(), z.begin(), z.begin() + static_cast<ptrdiff_t>(n));
    first += c.record_count;
  }
  file_header h{};
  std::memcpy(h.magic, kFileMagic, sizeof h.magic);
  h.version = kFormatVersion;
  h.kind = static_cast<uint16_t>(kind);
  h.record_count = first;
  h.chunk_count = index.size();
  h.metadata_offset = out.size();
  h.metadata_length = json.size();
  h.index_offset = h.metadata_offset + json.size();
  h.header_checksum = XXH3_64bits(&h, offsetof(file_header, header_checksum));
  out.insert(out.end(), json.begin(), json.end());
  const auto* ip = reinterpret_cast<const uint8_t*>(index.data());
  out.insert(out.end(), ip, ip + index.size() * kIndexEntrySize);
  trailer t{};
  std::memcpy(t.magic, kTrailerMagic, sizeof t.magic);
  t.index_offset = h.index_offset;
  t.index_checksum = XXH3_64bits(index.data(), index.size() * kIndexEntrySize);
  t.metadata_checksum = XXH3_64bits(json.data(), json.size());
  const auto* tp = reinterpret_cast<const uint8_t*>(&t);
  out.insert(out.end(), tp, tp + sizeof t);
  store(out, 0, h);
  return out;
}

// The chunks of a valid trace, decompressed (through the reader).
std::vector<plain_chunk> chunks_of(const bytes& b) {
  auto reader = trace_reader::open_bytes(b, "chunks_of");
  REQUIRE(reader.ok());
  std::vector<plain_chunk> out;
  decoded_chunk c;
  for (;;) {
    auto more = reader.value()->next(c);
    REQUIRE(more.ok());
    if (!more.value()) return out;
    out.push_back({static_cast<uint32_t>(c.records.size()), c.data});
  }
}

std::string metadata_of(const bytes& b) {
  const file_header h = header_of(b);
  return std::string(b.begin() + static_cast<ptrdiff_t>(h.metadata_offset),
                     b.begin() + static_cast<ptrdiff_t>(h.metadata_offset + h.metadata_length));
}

// Reads a trace held in memory to its end, touching every record.
vm::error verify_bytes(const bytes& b, const std::string& name) {
  auto reader = trace_reader::open_bytes(b, name);
  if (!reader.ok()) return std::move(reader).err();
  decoded_chunk c;
  uint64_t records = 0;
  for (;;) {
    auto more = reader.value()->next(c);
    if (!more.ok()) return std::move(more).err();
    if (!more.value()) break;
    for (const record& r : c.records) {
      if (has_payload(r.type)) REQUIRE(uint64_t{r.payload_offset} + r.size <= c.data.size());
      ++records;
    }
  }
  CHECK(records == reader.value()->record_count());
  return vm::error::ok();
}

// Reads every chunk of `b` once from a file at `path` and once from memory
// (named `path`): both ways must give the same answer, which is returned.
vm::error read_everything(const std::string& path, const bytes& b) {
  write_file(path, b);
  vm::error from_file = verify(path);
  const vm::error from_memory = verify_bytes(b, path);
  CHECK(from_file.code == from_memory.code);
  CHECK(from_file.message == from_memory.message);
  return from_file;
}

// The byte offset a message reports, when it has the form
// "<name>: offset <digits>: <what>".
std::optional<uint64_t> reported_offset(const std::string& message, const std::string& name) {
  const std::string prefix = name + ": offset ";
  if (message.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  size_t i = prefix.size();
  uint64_t offset = 0;
  const size_t digits_start = i;
  while (i < message.size() && message[i] >= '0' && message[i] <= '9')
    offset = offset * 10 + static_cast<uint64_t>(message[i++] - '0');
  if (i == digits_start || message.compare(i, 2, ": ") != 0 || i + 2 == message.size())
    return std::nullopt;
  return offset;
}

// What every kind of damage must give; returns the offset reported.
std::optional<uint64_t> check_refused(const vm::error& e, const std::string& name) {
  INFO("error: " << e.message);
  CHECK(e.code == vm::error_code::kBadInput);
  const auto offset = reported_offset(e.message, name);
  CHECK(offset.has_value());
  return offset;
}

// The small traces the damage is done to, one per kind, each in several
// chunks so that damage after the first chunk is reached through next().
bytes make_trace(const std::string& path, trace_kind kind) {
  auto w = trace_writer::create(path, kind, {3, 8});
  REQUIRE(w.ok());
  trace_writer& writer = *w.value();
  trace_metadata m;
  m.source = "gen";
  m.command = "trace_damage.tests";
  m.workload_name = "damage";
  m.workload_hash = "xxh3-128:00000000000000000000000000000000";
  m.producer = "vmbench test";
  m.page_map.push_back({0x10000, 0x20000, kPermRead | kPermWrite, 4096});
  if (kind == trace_kind::kExec) {
    m.extra = {{"argv", {"damage"}}, {"window", {{"start", 0}, {"length", 40}}}};
    bytes image(64);
    for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<uint8_t>(i * 13);
    record blob;
    blob.type = record_type::kBlob;
    blob.address = 1;
    blob.size = static_cast<uint32_t>(image.size());
    REQUIRE_FALSE(writer.append(blob, image.data()));
  }
  for (uint32_t i = 0; i < 30; ++i) {
    record r;
    r.cpu = static_cast<uint16_t>(i % 5 == 4 ? 1 : 0);
    if (kind == trace_kind::kExec && i % 3 == 0) {
      r.type = record_type::kBlock;
      r.address = 0x10000 + 16 * i;
      r.size = 4 + i % 3;
    } else {
      r.type = static_cast<record_type>(i % 3);
      r.address = 0x18000 + 8 * i - (i % 4) * 24;
      r.size = i % 7 == 6 ? 3 : 1u << (i % 4);
    }
    REQUIRE_FALSE(writer.append(r));
    if (kind == trace_kind::kExec && i == 20) {
      record sys;
      sys.type = record_type::kSyscall;
      sys.address = 64;
      sys.value = 3;
      sys.size = 3;
      const uint8_t text[3] = {'h', 'i', '\n'};
      REQUIRE_FALSE(writer.append(sys, text));
    }
  }
  REQUIRE_FALSE(writer.finish(m));
  bytes b = read_file(path);
  REQUIRE(b.size() > kFileHeaderSize);
  REQUIRE_FALSE(verify(path));
  REQUIRE(header_of(b).chunk_count >= 4);
  return b;
}

const char* kind_label(trace_kind kind) {
  return kind == trace_kind::kMem ? "mem" : "exec";
}

}  // namespace

TEST_CASE("the test's own container writer produces the bytes trace_writer does",
          "[trace][damage]") {
  // Without this the resealed traces below could fail for the helper's
  // mistakes rather than for the damage each test puts in.
  const auto kind = GENERATE(trace_kind::kMem, trace_kind::kExec);
  CAPTURE(kind_label(kind));
  const vm::test::scratch_dir dir;
  const bytes original = make_trace(dir.file("t.vmt"), kind);
  CHECK(assemble(kind, chunks_of(original), metadata_of(original)) == original);
  bytes resealed = original;
  reseal_header(resealed);
  reseal_trailer(resealed);
  CHECK(resealed == original);
}

TEST_CASE("the worked example of docs/TRACE_FORMAT.md decodes as the document says",
          "[trace][damage]") {
  // Section 9: the damage below is measured against this reading of the format.
  const bytes chunk = {0x18, 0xa0, 0x80, 0xf8, 0xff, 0x0f, 0x19, 0x10, 0x12, 0xf0, 0x81, 0x08,
                       0x03, 0x05, 0x08, 0x60, 0x01, 0x03, 0x80, 0x80, 0xf8, 0xff, 0x0f, 0x04,
                       0x40, 0x06, 0x03, 0x68, 0x69, 0x0a, 0x50, 0x00, 0x1f, 0x59, 0x01, 0x0f};
  CHECK(XXH3_64bits(chunk.data(), chunk.size()) == 0x954598a215ba0545ull);
  std::vector<record> got;
  decode_error de;
  REQUIRE(decode_records(chunk.data(), chunk.size(), 8, got, de));
  auto make = [](record_type type, uint16_t cpu, uint64_t address, uint32_t size,
                 uint64_t value = 0) {
    record r;
    r.type = type;
    r.cpu = cpu;
    r.address = address;
    r.size = size;
    r.value = value;
    return r;
  };
  const std::vector<record> expected = {
      make(record_type::kRead, 0, 0x7fff0010, 8), make(record_type::kWrite, 0, 0x7fff0018, 8),
      make(record_type::kFetch, 0, 0x10078, 4),   make(record_type::kBlock, 0, 0x1007c, 5),
      make(record_type::kRead, 1, 0x7fff0000, 3), make(record_type::kSyscall, 1, 64, 3, 3),
      make(record_type::kRead, 0, 0x7fff0008, 4), make(record_type::kWrite, 1, 0x7ffefff8, 8)};
  CHECK(got == expected);
  CHECK(std::string(reinterpret_cast<const char*>(chunk.data()) + got[5].payload_offset, 3) ==
        "hi\n");
  // The header and index entry bytes it lists, and their checksums.
  const bytes header = {0x56, 0x4d, 0x42, 0x54, 0x52, 0x41, 0x43, 0x45, 0x01, 0x00, 0x02, 0x00,
                        0x00, 0x00, 0x00, 0x00, 0x08, 0,    0,    0,    0,    0,    0,    0,
                        0x01, 0,    0,    0,    0,    0,    0,    0,    0x8d, 0,    0,    0,
                        0,    0,    0,    0,    0xd9, 0x01, 0,    0,    0,    0,    0,    0,
                        0x66, 0x02, 0,    0,    0,    0,    0,    0};
  CHECK(XXH3_64bits(header.data(), header.size()) == 0xdba3f290206c0b24ull);
  const index_entry entry{64, 0, 8, 45, 36, 0, 0x954598a215ba0545ull};
  CHECK(XXH3_64bits(&entry, sizeof entry) == 0x827ec91a6bd9547dull);
}

TEST_CASE("a trace cut short at any length is refused", "[trace][damage]") {
  const auto kind = GENERATE(trace_kind::kMem, trace_kind::kExec);
  CAPTURE(kind_label(kind));
  const vm::test::scratch_dir dir;
  const std::string path = dir.file("cut.vmt");
  const bytes original = make_trace(path, kind);
  for (size_t length = 0; length < original.size(); ++length) {
    CAPTURE(length, original.size());
    const bytes cut(original.begin(), original.begin() + static_cast<ptrdiff_t>(length));
    const auto offset = check_refused(read_everything(path, cut), path);
    if (offset) CHECK(*offset <= length);
  }
}

TEST_CASE("a single flipped bit anywhere in a trace is detected", "[trace][damage]") {
  const auto kind = GENERATE(trace_kind::kMem, trace_kind::kExec);
  CAPTURE(kind_label(kind));
  const vm::test::scratch_dir dir;
  const std::string path = dir.file("flip.vmt");
  const bytes original = make_trace(path, kind);
  for (size_t at = 0; at < original.size(); ++at) {
    for (unsigned bit = 0; bit < 8; ++bit) {
      CAPTURE(at, bit);
      bytes flipped = original;
      flipped[at] ^= static_cast<uint8_t>(1u << bit);
      // In memory only: 8 opens per byte through files would make this the
      // slowest test; the two paths are compared on every other kind of damage.
      check_refused(verify_bytes(flipped, path), path);
    }
  }
}

TEST_CASE("a file that is not a trace is refused by its magic", "[trace][damage]") {
  const vm::test::scratch_dir dir;
  const std::string path = dir.file("magic.vmt");
  bytes b = make_trace(path, trace_kind::kMem);
  b[0] = 'X';
  reseal_header(b);
  const vm::error e = read_everything(path, b);
  CHECK(check_refused(e, path) == 0u);
  CHECK_THAT(e.message, Catch::Contains("magic"));
  const std::string text = "this is a text file, not a trace, but long enough to be one........";
  CHECK(check_refused(read_everything(path, bytes(text.begin(), text.end())), path) == 0u);
}

TEST_CASE("a trace of another format version is refused before its checksum is checked",
          "[trace][damage]") {
  // A later version may change the header itself, so the version is read
  // before anything that depends on the layout.
  const auto reseal = GENERATE(false, true);
  const uint16_t version = GENERATE(uint16_t{0}, uint16_t{2}, uint16_t{0xffff});
  CAPTURE(reseal, version);
  const vm::test::scratch_dir dir;
  const std::string path = dir.file("version.vmt");
  bytes b = make_trace(path, trace_kind::kExec);
  store(b, offsetof(file_header, version), version);
  if (reseal) reseal_header(b);
  const vm::error e = read_everything(path, b);
  CHECK(check_refused(e, path) == 8u);
  CHECK_THAT(e.message, Catch::Contains("format version " + std::to_string(version)));
}

TEST_CASE("absurd or wrong counts in a well-sealed header are refused at open", "[trace][damage]") {
  const vm::test::scratch_dir dir;
  const std::string path = dir.file("counts.vmt");
  const bytes original = make_trace(path, trace_kind::kMem);
  const file_header h = header_of(original);
  struct edit {
    const char* what;
    uint64_t file_header::*field;
    uint64_t value;
    uint64_t offset;       // the offset the error must report
    const char* expected;  // in the message
  };
  const edit e = GENERATE_COPY(
      edit{"huge record count", &file_header::record_count, ~0ull, 16, "absurd record count"},
      edit{"record count past the chunks' limit", &file_header::record_count,
           h.chunk_count * kMaxRecordsPerChunk + 1, 16, "absurd record count"},
      edit{"record count one too many", &file_header::record_count, h.record_count + 1,
           h.metadata_offset, "record_count"},
      edit{"record count one too few", &file_header::record_count, h.record_count - 1,
           h.metadata_offset, "record_count"},
      edit{"huge chunk count", &file_header::chunk_count, ~0ull, 24, "absurd chunk count"},
      edit{"chunk count 2^40", &file_header::chunk_count, 1ull << 40, 24, "absurd chunk count"},
      edit{"chunk count one too many", &file_header::chunk_count, h.chunk_count + 1, 32,
           "do not fit"},
      edit{"no chunks", &file_header::chunk_count, 0, 16, "absurd record count"},
      edit{"metadata offset moved", &file_header::metadata_offset, h.metadata_offset + 1, 32,
           "do not fit"},
      edit{"metadata offset inside the header", &file_header::metadata_offset, 8, 32, "do not fit"},
      edit{"metadata longer", &file_header::metadata_length, h.metadata_length + 1, 32,
           "do not fit"},
      edit{"metadata huge", &file_header::metadata_length, ~0ull, 32, "do not fit"},
      edit{"index offset moved", &file_header::index_offset, h.index_offset - 40, 32,
           "do not fit"});
  CAPTURE(e.what);
  bytes b = original;
  file_header edited = h;
  edited.*e.field = e.value;
  store(b, 0, edited);
  reseal_header(b);
  const vm::error error = read_everything(path, b);
  CHECK(check_refused(error, path) == e.offset);
  CHECK_THAT(error.message, Catch::Contains(e.expected));
}

TEST_CASE("an unknown kind or header flag is refused at open", "[trace][damage]") {
  const vm::test::scratch_dir dir;
  const std::string path = dir.file("kind.vmt");
  bytes b = make_trace(path, trace_kind::kMem);
  SECTION("kind 0") {
    store(b, offsetof(file_header, kind), uint16_t{0});
  }
  SECTION("kind 3") {
    store(b, offsetof(file_header, kind), uint16_t{3});
  }
  SECTION("a flag") {
    store(b, offsetof(file_header, flags), uint32_t{1});
  }
  reseal_header(b);
  check_refused(read_everything(path, b), path);
}

TEST_CASE("a header whose kind differs from its metadata's is refused at open", "[trace][damage]") {
  const vm::test::scratch_dir dir;
  const std::string path = dir.file("kind.vmt");
  bytes b = make_trace(path, trace_kind::kMem);
  store(b, offsetof(file_header, kind), static_cast<uint16_t>(trace_kind::kExec));
  reseal_header(b);
  const vm::error e = read_everything(path, b);
  CHECK(check_refused(e, path) == header_of(b).metadata_offset);
  CHECK_THAT(e.message, Catch::Contains("kind"));
}

TEST_CASE("a damaged trailer is refused at open", "[trace][damage]") {
  const vm::test::scratch_dir dir;
  const std::string path = dir.file("trailer.vmt");
  bytes b = make_trace(path, trace_kind::kExec);
  const uint64_t at = b.size() - kTrailerSize;
  trailer t = load<trailer>(b, at);
  SECTION("magic") {
    t.magic[7] = 'X';
  }
  SECTION("index offset") {
    t.index_offset -= kIndexEntrySize;
  }
  SECTION("index checksum") {
    t.index_checksum ^= 1;
  }
  SECTION("metadata checksum") {
    t.metadata_checksum ^= 1ull << 63;
  }
  store(b, at, t);
  check_refused(read_everything(path, b), path);
}

TEST_CASE("a chunk that does not match its checksum is refused when it is read",
          "[trace][damage]") {
  const vm::test::scratch_dir dir;
  const std::string path = dir.file("chunk.vmt");
  bytes b = make_trace(path, trace_kind::kExec);
  const file_header h = header_of(b);
  const uint64_t entry_at = h.index_offset + 1 * kIndexEntrySize;  // chunk 1
  index_entry entry = load<index_entry>(b, entry_at);
  chunk_header ch = load<chunk_header>(b, entry.offset);
  const char* expected = nullptr;
  SECTION("checksum in both the chunk header and the index") {
    entry.checksum ^= 0x5a5a;
    ch.checksum ^= 0x5a5a;
    expected = "checksum mismatch";
  }
  SECTION("checksum in the chunk header only") {
    ch.checksum ^= 1;
    expected = "differs from the index";
  }
  SECTION("record count in the chunk header only") {
    ch.record_count += 1;
    expected = "differs from the index";
  }
  SECTION("chunk magic") {
    ch.magic = 0x4b4e4844;
    expected = "bad chunk magic";
  }
  SECTION("decompressed size in both") {
    ch.uncompressed_size += 1;
    entry.uncompressed_size += 1;
    expected = "chunk 1";
  }
  store(b, entry_at, entry);
  store(b, entry.offset, ch);
  reseal_trailer(b);
  auto reader = trace_reader::open_bytes(b, path);
  REQUIRE(reader.ok());  // the damage is inside a chunk: open cannot see it
  decoded_chunk c;
  REQUIRE(reader.value()->next(c).ok());  // chunk 0 is whole
  const auto more = reader.value()->next(c);
  REQUIRE_FALSE(more.ok());
  const auto offset = check_refused(more.err(), path);
  CHECK(offset >= entry.offset);
  CHECK(offset < entry.offset + kChunkHeaderSize + entry.compressed_size);
  CHECK_THAT(more.err().message, Catch::Contains(expected));
  CHECK(read_everything(path, b).message == more.err().message);
}

TEST_CASE("index entries that contradict the layout are refused at open", "[trace][damage]") {
  const vm::test::scratch_dir dir;
  const std::string path = dir.file("index.vmt");
  const bytes original = make_trace(path, trace_kind::kMem);
  const file_header h = header_of(original);
  const uint64_t n = GENERATE(0u, 2u);
  const uint64_t at = h.index_offset + n * kIndexEntrySize;
  const index_entry good = load<index_entry>(original, at);
  using edit = std::function<void(index_entry&)>;
  const auto e = GENERATE_COPY(
      std::pair<const char*, edit>{"offset + 1", [](index_entry& x) { ++x.offset; }},
      std::pair<const char*, edit>{"offset 0", [](index_entry& x) { x.offset = 0; }},
      std::pair<const char*, edit>{"offset huge", [](index_entry& x) { x.offset = ~0ull - 8; }},
      std::pair<const char*, edit>{"first record + 1", [](index_entry& x) { ++x.first_record; }},
      std::pair<const char*, edit>{"no records", [](index_entry& x) { x.record_count = 0; }},
      std::pair<const char*, edit>{"one more record", [](index_entry& x) { ++x.record_count; }},
      std::pair<const char*, edit>{
          "too many records", [](index_entry& x) { x.record_count = kMaxRecordsPerChunk + 1; }},
      std::pair<const char*, edit>{"compressed size + 1",
                                   [](index_entry& x) { ++x.compressed_size; }},
      std::pair<const char*, edit>{"compressed size huge",
                                   [](index_entry& x) { x.compressed_size = ~0u; }},
      std::pair<const char*, edit>{
          "decompressed size past the limit",
          [](index_entry& x) { x.uncompressed_size = kMaxChunkBytes + 1; }},
      std::pair<const char*, edit>{"decompressed size too small for its records",
                                   [](index_entry& x) { x.uncompressed_size = 1; }},
      std::pair<const char*, edit>{"reserved", [](index_entry& x) { x.reserved = 1; }});
  CAPTURE(n, e.first);
  index_entry bad = good;
  e.second(bad);
  bytes b = original;
  store(b, at, bad);
  reseal_trailer(b);
  const vm::error error = read_everything(path, b);
  const auto offset = check_refused(error, path);
  // The entry itself, a later one that no longer follows it, or (when the
  // entries no longer add up) the start of the index.
  REQUIRE(offset.has_value());
  CHECK((*offset == h.index_offset || *offset >= at));
  CHECK(*offset < h.index_offset + h.chunk_count * kIndexEntrySize);
}

TEST_CASE("an index entry that agrees with the layout but not with its chunk is refused on read",
          "[trace][damage]") {
  const vm::test::scratch_dir dir;
  const std::string path = dir.file("index.vmt");
  bytes b = make_trace(path, trace_kind::kMem);
  const file_header h = header_of(b);
  const uint64_t at = h.index_offset + 2 * kIndexEntrySize;
  index_entry e = load<index_entry>(b, at);
  SECTION("checksum") {
    e.checksum ^= 4;
  }
  SECTION("decompressed size") {
    e.uncompressed_size += 2;
  }
  store(b, at, e);
  reseal_trailer(b);
  const vm::error error = read_everything(path, b);
  CHECK(check_refused(error, path) == e.offset);
  CHECK_THAT(error.message, Catch::Contains("chunk 2"));
}

TEST_CASE("metadata that is not JSON, lacks a field or has a bad page map is refused at open",
          "[trace][damage]") {
  const auto kind = GENERATE(trace_kind::kMem, trace_kind::kExec);
  const vm::test::scratch_dir dir;
  const std::string path = dir.file("meta.vmt");
  const bytes original = make_trace(path, kind);
  const std::vector<plain_chunk> chunks = chunks_of(original);
  const nlohmann::json good = nlohmann::json::parse(metadata_of(original));
  // The control: the same metadata, reserialised, still opens.
  REQUIRE_FALSE(read_everything(path, assemble(kind, chunks, good.dump())));

  using edit = std::function<void(nlohmann::json&)>;
  auto set = [](const char* key, nlohmann::json v) -> edit {
    return [key, v](nlohmann::json& j) { j[key] = v; };
  };
  auto erase = [](const char* key) -> edit { return [key](nlohmann::json& j) { j.erase(key); }; };
  auto in_range = [](const char* key, nlohmann::json v) -> edit {
    return [key, v](nlohmann::json& j) { j["page_map"][0][key] = v; };
  };
  std::vector<std::pair<std::string, edit>> edits = {
      {"schema_version missing", erase("schema_version")},
      {"schema_version 2", set("schema_version", 2)},
      {"schema_version a string", set("schema_version", "1")},
      {"schema_version a float", set("schema_version", 1.5)},
      {"schema_version 1e300", set("schema_version", 1e300)},
      {"schema_version negative", set("schema_version", -1)},
      {"kind missing", erase("kind")},
      {"kind unknown", set("kind", "disk")},
      {"kind the other one", set("kind", kind == trace_kind::kMem ? "exec" : "mem")},
      {"kind a number", set("kind", 1)},
      {"source missing", erase("source")},
      {"command missing", erase("command")},
      {"command not a string", set("command", nlohmann::json::array())},
      {"workload missing", erase("workload")},
      {"workload a string", set("workload", "damage")},
      {"workload name missing", [](nlohmann::json& j) { j["workload"].erase("name"); }},
      {"workload hash missing", [](nlohmann::json& j) { j["workload"].erase("hash"); }},
      {"isa missing", erase("isa")},
      {"page_size missing", erase("page_size")},
      {"page_size 8192", set("page_size", 8192)},
      {"page_size a float", set("page_size", 4096.0)},
      {"page_size negative", set("page_size", -4096)},
      {"cpus missing", erase("cpus")},
      {"cpus 0", set("cpus", 0)},
      {"cpus 65537", set("cpus", 65537)},
      {"cpus 2^32 + 1", set("cpus", 4294967297ull)},
      {"cpus -1", set("cpus", -1)},
      {"cpus 1e20", set("cpus", 1e20)},
      {"record_count missing", erase("record_count")},
      {"record_count + 1",
       [](nlohmann::json& j) { j["record_count"] = j["record_count"].get<uint64_t>() + 1; }},
      {"record_count -1", set("record_count", -1)},
      {"record_count 1e300", set("record_count", 1e300)},
      {"producer missing", erase("producer")},
      {"page_map missing", erase("page_map")},
      {"page_map an object", set("page_map", nlohmann::json::object())},
      {"page_map entry a number", set("page_map", {1})},
      {"page_map entry an array", set("page_map", {{1, 2}})},
      {"start missing", [](nlohmann::json& j) { j["page_map"][0].erase("start"); }},
      {"start without 0x", in_range("start", "10000")},
      {"start not hex", in_range("start", "0x1000g")},
      {"start just 0x", in_range("start", "0x")},
      {"start 17 digits", in_range("start", "0x10000000000000000")},
      {"start a number", in_range("start", 65536)},
      {"end before start", in_range("end", "0x8000")},
      {"empty range", in_range("end", "0x10000")},
      {"end unaligned", in_range("end", "0x10001")},
      {"start unaligned to 2 MiB", in_range("page_size", 2 << 20)},
      {"permissions too long", in_range("permissions", "rwxr")},
      {"permissions out of order", in_range("permissions", "wr-")},
      {"permissions missing", [](nlohmann::json& j) { j["page_map"][0].erase("permissions"); }},
      {"range page_size 3", in_range("page_size", 3)},
      {"range page_size 0", in_range("page_size", 0)},
      {"range page_size a float", in_range("page_size", 4096.5)},
      {"range page_size missing", [](nlohmann::json& j) { j["page_map"][0].erase("page_size"); }},
      {"extra an array", set("extra", nlohmann::json::array())},
      {"extra a string", set("extra", "x")},
  };
  for (const auto& [what, change] : edits) {
    CAPTURE(kind_label(kind), what);
    nlohmann::json j = good;
    change(j);
    const bytes b = assemble(kind, chunks, j.dump());
    const vm::error e = read_everything(path, b);
    CHECK(check_refused(e, path) == header_of(b).metadata_offset);
    CHECK_THAT(e.message, Catch::Contains("metadata"));
  }
  // Text that is not JSON, or not a JSON object, or nests without end.
  const std::string texts[] = {"",
                               "{",
                               "null",
                               "[]",
                               "\"trace\"",
                               good.dump() + "}",
                               good.dump().substr(0, 40),
                               "{\"schema_version\": 1, \"kind\": \"\xff\"}",
                               std::string(200, '[') + std::string(200, ']'),
                               "{\"extra\":" + std::string(100, '[') + std::string(100, ']') + "}"};
  for (const std::string& text : texts) {
    CAPTURE(kind_label(kind), text.substr(0, 60), text.size());
    const bytes b = assemble(kind, chunks, text);
    const vm::error e = read_everything(path, b);
    CHECK(check_refused(e, path) == header_of(b).metadata_offset);
  }
}

TEST_CASE("metadata nested deeper than the limit is refused without deep recursion",
          "[trace][damage]") {
  // 2^20 levels in `extra`: copying that (as parse_metadata once did) or
  // dumping it recursively would overflow the stack.
  const vm::test::scratch_dir dir;
  const std::string path = dir.file("deep.vmt");
  const bytes original = make_trace(path, trace_kind::kExec);
  nlohmann::json j = nlohmann::json::parse(metadata_of(original));
  j.erase("extra");
  std::string text = j.dump();
  text.pop_back();
  text += ",\"extra\":{\"deep\":" + std::string(1 << 20, '[') + std::string(1 << 20, ']') + "}}";
  const bytes b = assemble(trace_kind::kExec, chunks_of(original), text);
  const vm::error e = read_everything(path, b);
  CHECK(check_refused(e, path) == header_of(b).metadata_offset);
  CHECK_THAT(e.message, Catch::Contains("nested deeper"));
}

TEST_CASE("records that break the encoding are refused with their offset in the chunk",
          "[trace][damage]") {
  const vm::test::scratch_dir dir;
  const std::string path = dir.file("records.vmt");
  const bytes original = make_trace(path, trace_kind::kExec);
  const std::string json = metadata_of(original);
  // The good records are reads of 8 bytes, each 1 past the last: tag 0x18
  // (type 0, size 2^3) and the zigzag delta 2; or, 3 bytes long, 0x18 0x82
  // 0x01 (delta +65).
  struct bad_chunk {
    const char* what;
    uint32_t records;
    bytes encoded;
    size_t offset;  // of the bad record in the decompressed chunk
  };
  const bad_chunk c = GENERATE_COPY(
      bad_chunk{"reserved tag bit", 2, {0x18, 0x02, 0x98, 0x02}, 2},
      bad_chunk{"record type 6", 1, {0x06, 0x02}, 0},
      bad_chunk{"record type 7", 1, {0x07, 0x02}, 0},
      bad_chunk{"block with size bits", 1, {0x0b, 0x01, 0x02}, 0},
      bad_chunk{"syscall with explicit size bit", 1, {0x24, 0x01, 0x00, 0x00}, 0},
      bad_chunk{"cpu past 65535", 1, {0x58, 0x80, 0x80, 0x04, 0x02}, 0},
      bad_chunk{"explicit access size 0", 1, {0x20, 0x00, 0x02}, 0},
      bad_chunk{"explicit access size 2^32", 1, {0x20, 0x80, 0x80, 0x80, 0x80, 0x10, 0x02}, 0},
      bad_chunk{"block count 2^32", 1, {0x03, 0x80, 0x80, 0x80, 0x80, 0x10, 0x02}, 0},
      bad_chunk{"address delta cut short", 2, {0x18, 0x02, 0x18, 0x80}, 2},
      bad_chunk{"varint of 11 bytes",
                1,
                {0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
                0},
      bad_chunk{"varint past 64 bits",
                1,
                {0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02},
                0},
      bad_chunk{"payload longer than the chunk", 1, {0x05, 0x01, 0x04, 'a', 'b', 'c'}, 0},
      bad_chunk{"payload past the limit", 1, {0x05, 0x01, 0x81, 0x80, 0x80, 0x04}, 0},
      bad_chunk{"syscall without its result", 1, {0x04, 0x40}, 0},
      bad_chunk{"more records claimed than encoded", 3, {0x18, 0x82, 0x01, 0x18, 0x82, 0x01}, 6},
      bad_chunk{"bytes after the last record", 1, {0x18, 0x02, 0x18, 0x02}, 2});
  CAPTURE(c.what);
  // A whole chunk first, so the bad one is reached through next(); the
  // metadata's record count must agree for open to get that far.
  nlohmann::json j = nlohmann::json::parse(json);
  j["record_count"] = 2 + c.records;
  const bytes fixed = assemble(trace_kind::kExec,
                               {{2, {0x18, 0x02, 0x18, 0x02}}, {c.records, c.encoded}}, j.dump(1));
  const vm::error e = read_everything(path, fixed);
  const uint64_t chunk_data =
      load<index_entry>(fixed, header_of(fixed).index_offset + kIndexEntrySize).offset +
      kChunkHeaderSize;
  CHECK(check_refused(e, path) == chunk_data);
  CHECK_THAT(e.message, Catch::Contains("chunk 1: record data at decompressed byte " +
                                        std::to_string(c.offset)));
}

TEST_CASE("bytes after the trailer are refused at open", "[trace][damage]") {
  const vm::test::scratch_dir dir;
  const std::string path = dir.file("tail.vmt");
  const bytes original = make_trace(path, trace_kind::kMem);
  bytes b = original;
  SECTION("one zero byte") {
    b.push_back(0);
  }
  SECTION("a second trailer") {
    b.insert(b.end(), original.end() - kTrailerSize, original.end());
  }
  SECTION("a second trace") {
    b.insert(b.end(), original.begin(), original.end());
  }
  const vm::error e = read_everything(path, b);
  CHECK(check_refused(e, path) == original.size());
  CHECK_THAT(e.message, Catch::Contains("trailing garbage"));
}

TEST_CASE("a trace with no records opens and reads as empty", "[trace][damage]") {
  // The smallest valid trace: the limit cases above are measured against it.
  const vm::test::scratch_dir dir;
  const std::string path = dir.file("empty.vmt");
  {
    auto w = trace_writer::create(path, trace_kind::kMem);
    REQUIRE(w.ok());
    REQUIRE_FALSE(w.value()->finish({}));
  }
  const bytes b = read_file(path);
  CHECK(header_of(b).chunk_count == 0);
  CHECK_FALSE(read_everything(path, b));
  for (size_t length = 0; length < b.size(); ++length) {
    CAPTURE(length);
    check_refused(
        read_everything(path, bytes(b.begin(), b.begin() + static_cast<ptrdiff_t>(length))), path);
  }
}
