// Recording guest runs and replaying exec traces: a replay reproduces the
// recorded run exactly (block stream, accesses, syscalls, digest), and any
// difference is reported as the first divergence.

#include <catch2/catch.hpp>
#include <filesystem>

#include "record/exec_replay.h"
#include "record/recorder.h"
#include "support/child_process.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace {

using vm::test::scratch_dir;

vm::test::workload find_workload(const std::string& name) {
  std::string problem;
  for (const auto& w : vm::test::read_workloads(VMBENCH_WORKLOADS_TSV, problem))
    if (w.name == name) return w;
  FAIL("workload " << name << " is not in " << VMBENCH_WORKLOADS_TSV << " " << problem);
  return {};
}

vm::record::record_options options_for(const vm::test::workload& w, const scratch_dir& dir) {
  vm::record::record_options o;
  o.program = w.elf;
  o.argv = {w.elf};
  o.argv.insert(o.argv.end(), w.small_args.begin(), w.small_args.end());
  o.ram_bytes = 256ull << 20;
  o.exec_path = dir.file("exec.vmt");
  o.mem_path = dir.file("mem.vmt");
  o.producer = "test";
  return o;
}

vm::record::exec_replay_report replay(const std::string& path,
                                      const vm::record::exec_replay_options& o = {}) {
  auto reader = vm::trace::trace_reader::open(path);
  REQUIRE(reader.ok());
  auto r = vm::record::replay_exec(*reader.value(), o);
  if (!r.ok()) FAIL(r.err().message);
  return r.value();
}

// Rewrites a trace, applying `edit` to every record (with its number) and
// `edit_metadata` to its metadata.
template <class Edit, class EditMetadata>
void rewrite(const std::string& from, const std::string& to, Edit edit,
             EditMetadata edit_metadata) {
  auto reader = vm::trace::trace_reader::open(from);
  REQUIRE(reader.ok());
  auto writer = vm::trace::trace_writer::create(to, reader.value()->kind());
  REQUIRE(writer.ok());
  vm::trace::decoded_chunk c;
  uint64_t n = 0;
  while (reader.value()->next(c).value()) {
    for (vm::trace::record r : c.records) {
      const uint8_t* payload = c.payload(r);
      edit(n++, r);
      REQUIRE_FALSE(writer.value()->append(r, payload));
    }
  }
  vm::trace::trace_metadata m = reader.value()->metadata();
  edit_metadata(m);
  REQUIRE_FALSE(writer.value()->finish(m));
}

template <class Edit>
void rewrite(const std::string& from, const std::string& to, Edit edit) {
  rewrite(from, to, edit, [](vm::trace::trace_metadata&) {});
}

}  // namespace

TEST_CASE("a recorded workload replays to the same digest, record by record", "[record][replay]") {
  const std::string name = GENERATE("sort", "hash_table", "alloc_stress", "bytecode_vm");
  CAPTURE(name);
  const scratch_dir dir;
  auto rec = vm::record::record_program(options_for(find_workload(name), dir));
  REQUIRE(rec.ok());
  CHECK(rec.value().exited);
  CHECK(rec.value().exit_status == 0);
  CHECK(rec.value().blocks > 0);
  CHECK(rec.value().reads > 0);
  CHECK(rec.value().writes > 0);

  const auto r = replay(dir.file("exec.vmt"));
  CHECK(r.divergence == "");
  CHECK(r.matched);
  CHECK(r.instructions == rec.value().end_instret);
  CHECK(r.instructions == r.expected_instructions);
  CHECK(r.blocks == rec.value().blocks);
  CHECK(r.accesses == rec.value().reads + rec.value().writes);
  CHECK(r.syscalls == rec.value().syscalls);
  // The image blob, blocks, accesses and syscalls: every record compared.
  CHECK(r.records_checked == rec.value().exec_records);
}

TEST_CASE("the mem trace holds one fetch per block and the exec trace's accesses", "[record]") {
  const scratch_dir dir;
  auto rec = vm::record::record_program(options_for(find_workload("sort"), dir));
  REQUIRE(rec.ok());
  auto mem = vm::trace::trace_reader::open(dir.file("mem.vmt"));
  REQUIRE(mem.ok());
  CHECK(mem.value()->kind() == vm::trace::trace_kind::kMem);
  CHECK(mem.value()->record_count() == rec.value().mem_records);
  const auto& map = mem.value()->metadata().page_map;
  REQUIRE_FALSE(map.empty());
  uint64_t fetches = 0, reads = 0, writes = 0, outside = 0;
  vm::trace::decoded_chunk c;
  while (mem.value()->next(c).value()) {
    for (const vm::trace::record& r : c.records) {
      fetches += r.type == vm::trace::record_type::kFetch;
      reads += r.type == vm::trace::record_type::kRead;
      writes += r.type == vm::trace::record_type::kWrite;
      bool inside = false;
      for (const auto& range : map) inside |= r.address >= range.start && r.address < range.end;
      outside += !inside;
    }
  }
  CHECK(fetches == rec.value().blocks);
  CHECK(reads == rec.value().reads);
  CHECK(writes == rec.value().writes);
  CHECK(outside == 0);
}

TEST_CASE("a window of instructions is recorded and replayed on its own", "[record][replay]") {
  const scratch_dir dir;
  auto o = options_for(find_workload("sort"), dir);
  o.skip = 100000;
  o.window = 50000;
  auto rec = vm::record::record_program(o);
  REQUIRE(rec.ok());
  CHECK_FALSE(rec.value().exited);
  CHECK(rec.value().start_instret >= 100000);
  CHECK(rec.value().start_instret < 100000 + 64);
  CHECK(rec.value().end_instret - rec.value().start_instret >= 50000);
  CHECK(rec.value().end_instret - rec.value().start_instret < 50000 + 64);
  const auto r = replay(dir.file("exec.vmt"));
  CHECK(r.divergence == "");
  CHECK(r.instructions == rec.value().end_instret - rec.value().start_instret);
}

TEST_CASE("recording the same run twice gives byte-identical traces", "[record]") {
  const scratch_dir a, b;
  REQUIRE(vm::record::record_program(options_for(find_workload("hash_table"), a)).ok());
  REQUIRE(vm::record::record_program(options_for(find_workload("hash_table"), b)).ok());
  for (const char* f : {"exec.vmt", "mem.vmt"}) {
    CAPTURE(f);
    CHECK(vm::trace::hash_file(a.file(f)).value() == vm::trace::hash_file(b.file(f)).value());
  }
}

TEST_CASE("a changed record is reported as the first divergence", "[record][replay]") {
  const scratch_dir dir;
  auto o = options_for(find_workload("sort"), dir);
  o.window = 20000;
  REQUIRE(vm::record::record_program(o).ok());
  const std::string edited = dir.file("edited.vmt");
  uint64_t target = 0;
  SECTION("a data address") {
    rewrite(dir.file("exec.vmt"), edited, [&](uint64_t n, vm::trace::record& r) {
      if (target == 0 && n > 500 && r.type == vm::trace::record_type::kRead) {
        target = n;
        r.address += 8;
      }
    });
  }
  SECTION("a block's instruction count") {
    rewrite(dir.file("exec.vmt"), edited, [&](uint64_t n, vm::trace::record& r) {
      if (target == 0 && n > 700 && r.type == vm::trace::record_type::kBlock) {
        target = n;
        r.size += 1;
      }
    });
  }
  REQUIRE(target != 0);
  const auto r = replay(edited);
  CHECK_FALSE(r.matched);
  CAPTURE(r.divergence);
  CHECK(r.divergence.find("record " + std::to_string(target) + " ") != std::string::npos);
  CHECK(r.records_checked == target);
}

TEST_CASE("a digest that differs from the re-execution is a divergence", "[record][replay]") {
  const scratch_dir dir;
  auto o = options_for(find_workload("sort"), dir);
  o.window = 20000;
  REQUIRE(vm::record::record_program(o).ok());
  rewrite(
      dir.file("exec.vmt"), dir.file("edited.vmt"), [](uint64_t, vm::trace::record&) {},
      [](vm::trace::trace_metadata& m) {
        m.extra["digest"]["memory_hash"] = "xxh3-128:00000000000000000000000000000000";
      });
  const auto r = replay(dir.file("edited.vmt"));
  CHECK_FALSE(r.matched);
  CHECK(r.divergence.find("final memory differs") != std::string::npos);
}

TEST_CASE("replaying with a different program image is refused", "[record][replay]") {
  const scratch_dir dir;
  auto o = options_for(find_workload("sort"), dir);
  o.window = 1000;
  REQUIRE(vm::record::record_program(o).ok());
  auto reader = vm::trace::trace_reader::open(dir.file("exec.vmt"));
  REQUIRE(reader.ok());
  vm::record::exec_replay_options ro;
  ro.image_path = find_workload("hash_table").elf;
  auto r = vm::record::replay_exec(*reader.value(), ro);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message.find("not the recorded program") != std::string::npos);
}

TEST_CASE("a window that starts after the program ends is an error, with no file left",
          "[record]") {
  const scratch_dir dir;
  auto o = options_for(find_workload("sort"), dir);
  o.skip = 1ull << 40;
  auto r = vm::record::record_program(o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message.find("before the recording window") != std::string::npos);
  CHECK(std::filesystem::is_empty(dir.path()));
}
