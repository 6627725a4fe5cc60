// Synthetic trace generators: every pattern is deterministic for a seed,
// stays inside its page map and has the shape its options ask for.

#include "trace/generators.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "support/child_process.h"
#include "support/trace_files.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

using namespace vm::trace;

namespace {

using vm::test::read_all;
using vm::test::slurp;

gen_options resolved(const gen_options& o) {
  auto r = resolve_gen_options(o);
  INFO((r.ok() ? std::string() : r.err().message));
  REQUIRE(r.ok());
  return r.value();
}

std::vector<record> generate(const gen_options& options) {
  record_generator g(resolved(options));
  std::vector<record> out;
  record r;
  while (g.next(r)) out.push_back(r);
  return out;
}

bool inside(const std::vector<page_range>& map, uint64_t address, uint64_t size) {
  for (const page_range& p : map)
    if (p.start <= address && address + size <= p.end) return true;
  return false;
}

std::vector<gen_pattern> all_patterns() {
  std::vector<gen_pattern> out;
  for (std::string_view name : pattern_names()) out.push_back(parse_pattern(name).value());
  return out;
}

}  // namespace

TEST_CASE("the same seed gives the same records, another seed different ones", "[trace][gen]") {
  const gen_pattern pattern = GENERATE(from_range(all_patterns()));
  CAPTURE(pattern_name(pattern));
  gen_options o;
  o.pattern = pattern;
  o.records = 20000;
  o.footprint = 1 << 20;
  o.write_ratio = pattern == gen_pattern::kPointerChase ? 0 : 0.25;
  o.seed = 7;
  const std::vector<record> a = generate(o);
  CHECK(a == generate(o));
  o.seed = 8;
  CHECK(a != generate(o));
}

TEST_CASE("every pattern has the requested count, write ratio and footprint inside its map",
          "[trace][gen]") {
  const gen_pattern pattern = GENERATE(from_range(all_patterns()));
  const uint32_t access_size = GENERATE(1u, 8u);
  CAPTURE(pattern_name(pattern), access_size);
  gen_options o;
  o.pattern = pattern;
  o.records = 40000;
  o.seed = 3;
  o.footprint = 1 << 20;  // 256 pages
  o.stride = 4096;
  const bool chase = pattern == gen_pattern::kPointerChase;
  o.access_size = chase ? 8 : access_size;
  o.write_ratio = chase ? 0 : 0.3;
  const gen_options r = resolved(o);
  const std::vector<page_range> map = gen_page_map(r);
  REQUIRE(map.size() == 1);
  CHECK(map[0].start == kGenDataBase);
  CHECK(map[0].end == kGenDataBase + (1 << 20));
  CHECK(map[0].permissions == (kPermRead | kPermWrite));
  CHECK(map[0].end <= (uint64_t{1} << 38));

  const std::vector<record> records = generate(o);
  REQUIRE(records.size() == o.records);
  std::set<uint64_t> pages;
  uint64_t writes = 0;
  for (const record& rec : records) {
    INFO("address " << rec.address);
    REQUIRE(inside(map, rec.address, rec.size));
    REQUIRE(rec.size == o.access_size);
    REQUIRE(rec.address % o.access_size == 0);
    REQUIRE(rec.type != record_type::kFetch);
    REQUIRE(rec.cpu < r.cpus);
    writes += rec.type == record_type::kWrite;
    pages.insert(rec.address >> 12);
  }
  const double ratio = static_cast<double>(writes) / static_cast<double>(records.size());
  CHECK(ratio == Approx(o.write_ratio).margin(0.02));
  if (pattern == gen_pattern::kSequential) {
    // 40000 consecutive accesses: exactly the pages they span.
    CHECK(pages.size() == (o.records * o.access_size + 4095) / 4096);
  } else {
    // 40000 accesses over 256 pages: the other patterns reach (nearly) all.
    CHECK(pages.size() >= 240);
    CHECK(pages.size() <= 256);
  }
}

TEST_CASE("sequential and strided walk the footprint in order and wrap", "[trace][gen]") {
  gen_options o;
  o.pattern = gen_pattern::kSequential;
  o.records = 10;
  o.footprint = 32;
  o.access_size = 8;
  std::vector<uint64_t> got;
  for (const record& r : generate(o)) got.push_back(r.address - kGenDataBase);
  CHECK(got == std::vector<uint64_t>{0, 8, 16, 24, 0, 8, 16, 24, 0, 8});

  o.pattern = gen_pattern::kStrided;
  o.footprint = 3 * 4096 + 8;
  o.stride = 4096;
  got.clear();
  for (const record& r : generate(o)) got.push_back(r.address - kGenDataBase);
  CHECK(got == std::vector<uint64_t>{0, 4096, 8192, 12288, 0, 4096, 8192, 12288, 0, 4096});
}

TEST_CASE("zipf ranks are ordered by frequency and follow 1/k^alpha", "[trace][gen][zipf]") {
  const double alpha = GENERATE(0.8, 1.0, 1.5);
  const uint64_t unit = GENERATE(uint64_t{4096}, kGenLineBytes);
  CAPTURE(alpha, unit);
  gen_options o;
  o.pattern = gen_pattern::kZipf;
  o.records = 200000;
  o.alpha = alpha;
  o.zipf_unit = unit;
  o.footprint = 64 * unit;
  o.seed = 11;
  std::vector<double> counts(64);
  for (const record& r : generate(o)) {
    const uint64_t rank = (r.address - kGenDataBase) / unit;
    REQUIRE(rank < 64);
    counts[rank] += 1;
  }
  double harmonic = 0;
  for (int k = 1; k <= 64; ++k) harmonic += std::pow(k, -alpha);
  for (int k = 0; k < 8; ++k) {
    CAPTURE(k);
    const double expected = std::pow(k + 1, -alpha) / harmonic;
    CHECK(counts[static_cast<size_t>(k)] / 200000.0 == Approx(expected).epsilon(0.08));
    CHECK(counts[static_cast<size_t>(k)] > counts[static_cast<size_t>(k) + 1]);
  }
  CHECK(counts[0] > counts[16]);
  CHECK(counts[16] > counts[63]);
}

TEST_CASE("pointer-chase visits every node once per cycle", "[trace][gen]") {
  const uint64_t nodes = GENERATE(uint64_t{1}, uint64_t{2}, uint64_t{100}, uint64_t{4096});
  CAPTURE(nodes);
  gen_options o;
  o.pattern = gen_pattern::kPointerChase;
  o.footprint = nodes * kGenLineBytes;
  o.records = 3 * nodes;
  o.seed = 5;
  const std::vector<record> records = generate(o);
  std::set<uint64_t> first_cycle;
  for (uint64_t i = 0; i < nodes; ++i) {
    const record& r = records[i];
    CHECK(r.type == record_type::kRead);
    CHECK(r.size == 8);
    CHECK((r.address - kGenDataBase) % kGenLineBytes == 0);
    first_cycle.insert(r.address);
    CHECK(records[i + nodes].address == r.address);
    CHECK(records[i + 2 * nodes].address == r.address);
  }
  CHECK(first_cycle.size() == nodes);
  if (nodes >= 100) {
    // Not the identity order: consecutive nodes are rarely neighbours.
    uint64_t adjacent = 0;
    for (uint64_t i = 1; i < nodes; ++i)
      adjacent += records[i].address == records[i - 1].address + kGenLineBytes;
    CHECK(adjacent < nodes / 10);
  }
}

TEST_CASE("hot-cold sends the hot fraction of accesses to the hot bytes", "[trace][gen]") {
  gen_options o;
  o.pattern = gen_pattern::kHotCold;
  o.records = 50000;
  o.footprint = 1 << 20;
  o.hot_bytes = 64 << 10;
  o.hot_fraction = 0.8;
  uint64_t hot = 0;
  for (const record& r : generate(o)) hot += r.address < kGenDataBase + o.hot_bytes;
  CHECK(static_cast<double>(hot) / 50000.0 == Approx(0.8).margin(0.01));
  CHECK(resolved(gen_options{.pattern = gen_pattern::kHotCold}).hot_bytes == (64ull << 20) / 8);
}

TEST_CASE("multi-cpu takes turns, keeps private regions private and shares the given fraction",
          "[trace][gen]") {
  gen_options o;
  o.pattern = gen_pattern::kMultiCpu;
  o.records = 40000;
  o.cpus = 4;
  o.footprint = 5 << 20;
  o.shared_fraction = 0.25;
  const uint64_t region = (5 << 20) / 5;
  uint64_t shared = 0;
  const std::vector<record> records = generate(o);
  for (size_t i = 0; i < records.size(); ++i) {
    const record& r = records[i];
    REQUIRE(r.cpu == i % 4);
    const uint64_t which = (r.address - kGenDataBase) / region;
    REQUIRE(which <= 4);
    if (which == 0)
      ++shared;
    else
      REQUIRE(which == r.cpu + 1u);
  }
  CHECK(static_cast<double>(shared) / 40000.0 == Approx(0.25).margin(0.01));
  CHECK(resolved(gen_options{.pattern = gen_pattern::kMultiCpu}).cpus == 4);
}

TEST_CASE("with fetch_every K, one fetch from the code region follows every K accesses",
          "[trace][gen]") {
  gen_options o;
  o.pattern = gen_pattern::kUniform;
  o.records = 1000;
  o.fetch_every = 3;
  o.cpus = 2;
  const gen_options r = resolved(o);
  const std::vector<page_range> map = gen_page_map(r);
  REQUIRE(map.size() == 2);
  CHECK(map[0] ==
        page_range{kGenCodeBase, kGenCodeBase + kGenCodeBytes, kPermRead | kPermExecute, 4096});
  const std::vector<record> records = generate(o);
  REQUIRE(records.size() == 1000);
  uint64_t fetches = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const bool fetch = i % 4 == 3;
    REQUIRE((records[i].type == record_type::kFetch) == fetch);
    REQUIRE(inside(map, records[i].address, records[i].size));
    if (fetch) {
      CHECK(records[i].address == kGenCodeBase + fetches * 4);
      CHECK(records[i].cpu == records[i - 1].cpu);
      ++fetches;
    }
  }
  CHECK(fetches == 250);
}

TEST_CASE("generated traces are byte-identical files with the gen metadata", "[trace][gen]") {
  const vm::test::scratch_dir dir;
  gen_options o;
  o.pattern = gen_pattern::kZipf;
  o.records = 300000;
  o.write_ratio = 0.1;
  o.fetch_every = 10;
  trace_metadata base;
  base.command = "vmbench trace gen zipf ...";
  base.producer = "vmbench test";
  REQUIRE_FALSE(write_generated_trace(dir.file("a.vmt"), o, base));
  REQUIRE_FALSE(write_generated_trace(dir.file("b.vmt"), o, base));
  CHECK(slurp(dir.file("a.vmt")) == slurp(dir.file("b.vmt")));
  CHECK(read_all(dir.file("a.vmt")) == generate(o));

  auto reader = trace_reader::open(dir.file("a.vmt"));
  REQUIRE(reader.ok());
  const trace_metadata& m = reader.value()->metadata();
  CHECK(reader.value()->kind() == trace_kind::kMem);
  CHECK(m.source == "gen");
  CHECK(m.command == base.command);
  CHECK(m.producer == base.producer);
  CHECK(m.workload_name == "zipf");
  const std::string canonical = gen_parameters(resolved(o)).dump();
  CHECK(m.workload_hash == hash_bytes(canonical.data(), canonical.size()));
  CHECK(m.extra == gen_parameters(resolved(o)));
  CHECK(m.extra.at("alpha").get<double>() == 0.99);
  CHECK(m.extra.at("seed").get<uint64_t>() == 1);
  CHECK(m.page_map == gen_page_map(resolved(o)));
  CHECK(m.cpus == 1);

  o.seed = 2;
  REQUIRE_FALSE(write_generated_trace(dir.file("c.vmt"), o, base));
  auto other = trace_reader::open(dir.file("c.vmt"));
  REQUIRE(other.ok());
  CHECK(other.value()->metadata().workload_hash != m.workload_hash);
}

TEST_CASE("generator output is pinned: the same on every machine and standard library",
          "[trace][gen]") {
  // Raw engine outputs and conversions, then one record of each random
  // pattern. A change here changes every generated trace: bump
  // kGeneratorVersion.
  gen_random random(42);
  CHECK(random.next() == 0x15780b2e0c2ec716ull);
  CHECK(random.below(1000) == 378);
  CHECK(random.unit() == 0.6800434110281394);
  std::map<std::string, uint64_t> expected = {
      {"uniform", 0x40399d10},  {"zipf", 0x40094b48},      {"pointer-chase", 0x43e8e500},
      {"hot-cold", 0x405a4028}, {"multi-cpu", 0x43c35da0},
  };
  for (const auto& [name, address] : expected) {
    CAPTURE(name);
    gen_options o;
    o.pattern = parse_pattern(name).value();
    o.records = 100;
    o.seed = 42;
    const std::vector<record> records = generate(o);
    CHECK(records[99].address == address);
  }
}

TEST_CASE("byte sizes take k, m, g and t suffixes", "[trace][gen]") {
  CHECK(parse_byte_size("4096", "x").value() == 4096);
  CHECK(parse_byte_size("4k", "x").value() == 4096);
  CHECK(parse_byte_size("4K", "x").value() == 4096);
  CHECK(parse_byte_size("64m", "x").value() == 64ull << 20);
  CHECK(parse_byte_size("1G", "x").value() == 1ull << 30);
  CHECK(parse_byte_size("2KiB", "x").value() == 2048);
  CHECK(parse_byte_size("3mb", "x").value() == 3ull << 20);
  CHECK(parse_byte_size("1t", "x").value() == 1ull << 40);
  for (const char* bad :
       {"", "k", "4x", "4kk", "-1", "4 k", "99999999999999999999", "17179869184g", "0x10"}) {
    CAPTURE(bad);
    auto r = parse_byte_size(bad, "--footprint");
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().message.find("--footprint") == 0);
  }
}

TEST_CASE("bad generator options are refused naming the option", "[trace][gen]") {
  struct bad_case {
    gen_options options;
    const char* option;
  };
  const std::vector<bad_case> cases = {
      {{.records = 0}, "--records"},
      {{.access_size = 3}, "--access-size"},
      {{.footprint = 4}, "--footprint"},
      {{.footprint = 1ull << 40}, "--footprint"},
      {{.write_ratio = 1.5}, "--write-ratio"},
      {{.write_ratio = std::nan("")}, "--write-ratio"},
      {{.cpus = 1000}, "--cpus"},
      {{.pattern = gen_pattern::kStrided, .stride = 12}, "--stride"},
      {{.pattern = gen_pattern::kStrided, .footprint = 4096, .stride = 8192}, "--stride"},
      {{.pattern = gen_pattern::kZipf, .alpha = 0}, "--alpha"},
      {{.pattern = gen_pattern::kZipf, .zipf_unit = 128}, "--zipf-unit"},
      {{.pattern = gen_pattern::kPointerChase, .write_ratio = 0.5}, "--write-ratio"},
      {{.pattern = gen_pattern::kPointerChase, .access_size = 4}, "--access-size"},
      {{.pattern = gen_pattern::kHotCold, .footprint = 4096, .hot_bytes = 4096}, "--hot-bytes"},
      {{.pattern = gen_pattern::kHotCold, .hot_fraction = -0.1}, "--hot-fraction"},
      {{.pattern = gen_pattern::kMultiCpu, .footprint = 8192}, "--footprint"},
      {{.pattern = gen_pattern::kMultiCpu, .shared_fraction = 2}, "--shared-fraction"},
  };
  for (const bad_case& c : cases) {
    CAPTURE(c.option, pattern_name(c.options.pattern));
    auto r = resolve_gen_options(c.options);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().message.find(c.option) != std::string::npos);
  }
  CHECK_FALSE(parse_pattern("random").ok());
  CHECK(parse_pattern("pointer-chase").value() == gen_pattern::kPointerChase);
}
