// Round trips through the trace writer and reader: every record comes back
// identical, in order, across chunk boundaries and with payloads.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <random>

#include "support/child_process.h"
#include "trace/record_codec.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

using namespace vm::trace;

namespace {

std::vector<record> random_records(uint64_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  std::vector<record> out;
  uint64_t base = 0x10000;
  for (size_t i = 0; i < n; ++i) {
    record r;
    r.type = static_cast<record_type>(rng() % 4);
    r.cpu = static_cast<uint16_t>(rng() % 8 == 0 ? rng() % 5 : 0);
    if (rng() % 16 == 0) base = rng() >> (rng() % 64);
    base += (rng() % 64) - 16;
    r.address = base;
    r.size = r.type == record_type::kBlock
                 ? static_cast<uint32_t>(rng() % 40)
                 : (rng() % 8 == 0 ? 3 + static_cast<uint32_t>(rng() % 100) : 1u << (rng() % 4));
    out.push_back(r);
  }
  return out;
}

}  // namespace

TEST_CASE("records written to a trace read back identical and in order", "[trace][format]") {
  const auto seed = GENERATE(1u, 2u, 3u);
  const uint32_t per_chunk = GENERATE(1u, 7u, 1000u, kMaxRecordsPerChunk);
  CAPTURE(seed, per_chunk);
  const vm::test::scratch_dir dir;
  const std::string path = dir.file("t.vmt");
  const std::vector<record> records = random_records(seed, 5000);
  {
    auto w = trace_writer::create(path, trace_kind::kMem, {1, per_chunk});
    REQUIRE(w.ok());
    for (const record& r : records) REQUIRE_FALSE(w.value()->append(r));
    trace_metadata m;
    m.source = "test";
    m.page_map.push_back({0x10000, 0x20000, kPermRead | kPermWrite, 4096});
    REQUIRE_FALSE(w.value()->finish(m));
  }
  auto reader = trace_reader::open(path);
  REQUIRE(reader.ok());
  trace_reader& r = *reader.value();
  CHECK(r.record_count() == records.size());
  CHECK(r.metadata().page_map.size() == 1);
  CHECK(r.metadata().record_count == records.size());
  CHECK(r.chunks().size() == (records.size() + per_chunk - 1) / per_chunk);
  decoded_chunk chunk;
  size_t i = 0;
  for (;;) {
    auto more = r.next(chunk);
    REQUIRE(more.ok());
    if (!more.value()) break;
    for (const record& got : chunk.records) {
      REQUIRE(i < records.size());
      INFO("record " << i);
      CHECK(got == records[i]);
      ++i;
    }
  }
  CHECK(i == records.size());
  CHECK_FALSE(verify(path));
}

TEST_CASE("payload records keep their bytes and a reader can seek to any chunk",
          "[trace][format]") {
  const vm::test::scratch_dir dir;
  const std::string path = dir.file("p.vmt");
  std::vector<uint8_t> image(100000);
  for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<uint8_t>(i * 7);
  {
    auto w = trace_writer::create(path, trace_kind::kExec, {3, 10});
    REQUIRE(w.ok());
    record blob;
    blob.type = record_type::kBlob;
    blob.address = 1;
    blob.size = static_cast<uint32_t>(image.size());
    REQUIRE_FALSE(w.value()->append(blob, image.data()));
    for (uint64_t i = 0; i < 95; ++i) {
      record b;
      b.type = record_type::kBlock;
      b.address = 0x1000 + i * 4;
      b.size = static_cast<uint32_t>(i);
      REQUIRE_FALSE(w.value()->append(b));
    }
    record sys;
    sys.type = record_type::kSyscall;
    sys.address = 63;
    sys.value = static_cast<uint64_t>(-9);
    sys.size = 3;
    const uint8_t bytes[3] = {'a', 'b', 'c'};
    REQUIRE_FALSE(w.value()->append(sys, bytes));
    REQUIRE_FALSE(w.value()->finish({}));
  }
  auto reader = trace_reader::open(path);
  REQUIRE(reader.ok());
  trace_reader& r = *reader.value();
  CHECK(r.kind() == trace_kind::kExec);
  CHECK(r.record_count() == 97);
  decoded_chunk c;
  REQUIRE(r.next(c).value());
  REQUIRE(c.records[0].type == record_type::kBlob);
  CHECK(std::equal(image.begin(), image.end(), c.payload(c.records[0])));
  CHECK(r.chunk_of(96) == r.chunks().size() - 1);
  REQUIRE_FALSE(r.seek_chunk(r.chunk_of(96)));
  REQUIRE(r.next(c).value());
  const record& last = c.records.back();
  CHECK(last.type == record_type::kSyscall);
  CHECK(static_cast<int64_t>(last.value) == -9);
  CHECK(std::string(reinterpret_cast<const char*>(c.payload(last)), 3) == "abc");
  REQUIRE_FALSE(r.seek_chunk(3));
  REQUIRE(r.next(c).value());
  CHECK(c.first_record == r.chunks()[3].first_record);
  CHECK(c.records[0].address == 0x1000 + (c.first_record - 1) * 4);
}

TEST_CASE("an unfinished writer leaves no file behind", "[trace][format]") {
  const vm::test::scratch_dir dir;
  const std::string path = dir.file("gone.vmt");
  {
    auto w = trace_writer::create(path, trace_kind::kMem);
    REQUIRE(w.ok());
    record r;
    r.size = 8;
    REQUIRE_FALSE(w.value()->append(r));
  }
  CHECK(::access(path.c_str(), F_OK) != 0);
  CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("varints and zigzag round trip at their limits", "[trace][format]") {
  for (uint64_t v : {0ull, 1ull, 127ull, 128ull, 0xffffffffull, ~0ull, 1ull << 63}) {
    std::vector<uint8_t> buf;
    put_varint(buf, v);
    uint64_t got = 0;
    CHECK(get_varint(buf.data(), buf.data() + buf.size(), got) == buf.data() + buf.size());
    CHECK(got == v);
    CHECK(get_varint(buf.data(), buf.data() + buf.size() - 1, got) == nullptr);
    CHECK(static_cast<uint64_t>(unzigzag(zigzag(static_cast<int64_t>(v)))) == v);
  }
  const uint8_t too_long[11] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0};
  uint64_t got;
  CHECK(get_varint(too_long, too_long + 11, got) == nullptr);
}

TEST_CASE("access sizes outside 1..65536 are refused by the writer", "[trace][format]") {
  const vm::test::scratch_dir dir;
  auto w = trace_writer::create(dir.file("s.vmt"), trace_kind::kMem);
  REQUIRE(w.ok());
  record r;
  for (uint32_t size : {0u, kMaxAccessBytes + 1, UINT32_MAX}) {
    r.size = size;
    CAPTURE(size);
    CHECK(w.value()->append(r).code == vm::error_code::kInvalidArgument);
  }
  r.size = kMaxAccessBytes;
  CHECK_FALSE(w.value()->append(r));
}
