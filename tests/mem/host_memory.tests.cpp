// host_memory.tests.cpp - the host-memory layer's parsers (sysfs THP and
// node files, /proc/self/smaps) on fixtures, and NUMA placement on this
// machine: allocate_on_node, move_pages sampling, and the fallback (forced)
// with its once-per-process notice.

#include "mem/host_memory.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/files.h"

namespace {

using vm::mem::memory_nodes;
using vm::mem::parse_node_list;
using vm::mem::parse_smaps;
using vm::mem::parse_sysfs_choice;
using vm::mem::smaps_region;

// A fake /sys with the given files (paths relative to the root).
struct fake_sysfs {
  vm::test::scratch_dir dir;

  void put(const std::string& relative, const std::string& text) {
    const std::filesystem::path path = dir.path() + "/" + relative;
    std::filesystem::create_directories(path.parent_path());
    vm::test::write_text(path.string(), text);
  }
  const std::string& root() const { return dir.path(); }
};

constexpr const char* kThp = "kernel/mm/transparent_hugepage/";

// Restores real NUMA probing and the notice when a test that forced them ends.
struct numa_override_guard {
  ~numa_override_guard() {
    vm::mem::detail::override_numa_support(std::nullopt);
    vm::mem::detail::reset_numa_notice();
  }
};

}  // namespace

TEST_CASE("the selected word of a sysfs choice file is the bracketed one", "[mem][thp]") {
  CHECK(parse_sysfs_choice("always [madvise] never\n") == "madvise");
  CHECK(parse_sysfs_choice("[always] madvise never") == "always");
  CHECK(parse_sysfs_choice("always madvise [never]\n") == "never");
  CHECK(parse_sysfs_choice("always defer defer+madvise [madvise] never\n") == "madvise");
  CHECK(parse_sysfs_choice("always [inherit] madvise never") == "inherit");
  CHECK(parse_sysfs_choice("").empty());
  CHECK(parse_sysfs_choice("always madvise never").empty());
  CHECK(parse_sysfs_choice("always [madvise").empty());
}

TEST_CASE("the THP system mode comes from sysfs, the per-size file overriding unless inherit",
          "[mem][thp]") {
  fake_sysfs sys;
  CHECK(vm::mem::thp_system_mode(sys.root()) == "unavailable");
  CHECK(vm::mem::thp_defrag_mode(sys.root()) == "unavailable");
  CHECK(vm::mem::huge_page_size(sys.root()) == 2u << 20);

  sys.put(std::string(kThp) + "enabled", "always [madvise] never\n");
  sys.put(std::string(kThp) + "defrag", "always defer defer+madvise madvise [never]\n");
  sys.put(std::string(kThp) + "hpage_pmd_size", "2097152\n");
  CHECK(vm::mem::thp_system_mode(sys.root()) == "madvise");
  CHECK(vm::mem::thp_defrag_mode(sys.root()) == "never");

  sys.put(std::string(kThp) + "hugepages-2048kB/enabled", "always [inherit] madvise never\n");
  CHECK(vm::mem::thp_system_mode(sys.root()) == "madvise");
  sys.put(std::string(kThp) + "hugepages-2048kB/enabled", "[always] inherit madvise never\n");
  CHECK(vm::mem::thp_system_mode(sys.root()) == "always");
  sys.put(std::string(kThp) + "hugepages-2048kB/enabled", "always inherit madvise [never]\n");
  CHECK(vm::mem::thp_system_mode(sys.root()) == "never");

  // Another PMD size (arm64 with 64 KiB pages) looks up its own per-size file.
  sys.put(std::string(kThp) + "hpage_pmd_size", "536870912\n");
  CHECK(vm::mem::huge_page_size(sys.root()) == 512u << 20);
  CHECK(vm::mem::thp_system_mode(sys.root()) == "madvise");
  sys.put(std::string(kThp) + "hpage_pmd_size", "12345\n");
  CHECK(vm::mem::huge_page_size(sys.root()) == 2u << 20);
}

TEST_CASE("thp modes parse from their names and nothing else", "[mem][thp]") {
  using vm::mem::thp_mode;
  for (thp_mode m : {thp_mode::kSystem, thp_mode::kOff, thp_mode::kOn}) {
    auto parsed = vm::mem::parse_thp_mode(vm::mem::thp_mode_name(m));
    REQUIRE(parsed.ok());
    CHECK(parsed.value() == m);
  }
  auto bad = vm::mem::parse_thp_mode("yes");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.err().code == vm::error_code::kInvalidArgument);
  CHECK(bad.err().message == "transparent huge page mode 'yes' is not one of on, off, system");
}

namespace {

constexpr const char* kSmaps =
    "55d4c0a00000-55d4c0a2c000 r--p 00000000 fd:01 1234                       /usr/bin/my prog\n"
    "Size:                176 kB\n"
    "KernelPageSize:        4 kB\n"
    "MMUPageSize:           4 kB\n"
    "Rss:                 176 kB\n"
    "Pss:                 176 kB\n"
    "Anonymous:             0 kB\n"
    "AnonHugePages:         0 kB\n"
    "THPeligible:    0\n"
    "VmFlags: rd mr mw me sd \n"
    "7f0000000000-7f0004000000 rw-p 00000000 00:00 0 \n"
    "Size:              65536 kB\n"
    "Rss:               65536 kB\n"
    "Anonymous:         65536 kB\n"
    "AnonHugePages:     63488 kB\n"
    "THPeligible:    1\n"
    "VmFlags: rd wr mr mw me ac nr hg \n"
    "7f0004000000-7f0004001000 ---p 00000000 00:00 0 \n"
    "Size:                  4 kB\n"
    "Rss:                   0 kB\n"
    "AnonHugePages:         0 kB\n"
    "VmFlags: mr mw me ac nr \n"
    "7f0004001000-7f0004101000 rw-p 00000000 00:00 0 \n"
    "Size:               1024 kB\n"
    "Pss:                 12 kB\n"
    "VmFlags: rd wr mr mw me ac nh\n"
    "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n"
    "Size:                  4 kB\n"
    "Rss:                   0 kB\n";

}  // namespace

TEST_CASE("smaps text parses into one region per mapping with Rss, AnonHugePages and VmFlags",
          "[mem][thp][smaps]") {
  const std::vector<smaps_region> regions = parse_smaps(kSmaps);
  REQUIRE(regions.size() == 5);

  CHECK(regions[0].start == 0x55d4c0a00000);
  CHECK(regions[0].end == 0x55d4c0a2c000);
  CHECK(regions[0].rss == 176u << 10);
  CHECK(regions[0].has_anon_huge);
  CHECK(regions[0].anon_huge == 0);

  const smaps_region& ram = regions[1];
  CHECK(ram.rss == 64u << 20);
  CHECK(ram.anon_huge == 62u << 20);
  CHECK(ram.has_flag("hg"));
  CHECK_FALSE(ram.has_flag("nh"));
  CHECK(ram.vm_flags.size() == 8);

  // Missing Rss and AnonHugePages: absent, zero; the flags still parse.
  const smaps_region& bare = regions[3];
  CHECK_FALSE(bare.has_rss);
  CHECK_FALSE(bare.has_anon_huge);
  CHECK(bare.rss == 0);
  CHECK(bare.has_flag("nh"));

  CHECK(regions[4].start == 0xffffffffff600000);
  CHECK(regions[4].vm_flags.empty());
}

TEST_CASE("smaps lookups find the mapping holding an address and sum those overlapping a range",
          "[mem][thp][smaps]") {
  const std::vector<smaps_region> regions = parse_smaps(kSmaps);
  REQUIRE(regions.size() == 5);

  CHECK(vm::mem::find_region(regions, 0x7f0000000000) == &regions[1]);
  CHECK(vm::mem::find_region(regions, 0x7f0003ffffff) == &regions[1]);
  CHECK(vm::mem::find_region(regions, 0x7f0004000000) == &regions[2]);
  CHECK(vm::mem::find_region(regions, 0x7e0000000000) == nullptr);

  // Exactly the RAM mapping.
  auto u = vm::mem::usage_in_range(regions, 0x7f0000000000, 64u << 20);
  CHECK(u.mappings == 1);
  CHECK(u.exact);
  CHECK(u.resident_bytes == 64u << 20);
  CHECK(u.huge_bytes == 62u << 20);
  CHECK(u.covered_bytes == 64u << 20);
  CHECK(u.all_flag_hg);
  CHECK_FALSE(u.all_flag_nh);

  // Part of it: the whole mapping's sizes, flagged as not exact.
  u = vm::mem::usage_in_range(regions, 0x7f0001000000, 4096);
  CHECK(u.mappings == 1);
  CHECK_FALSE(u.exact);
  CHECK(u.covered_bytes == 4096);

  // Across the RAM, its guard and the next mapping.
  u = vm::mem::usage_in_range(regions, 0x7f0000000000, 0x4101000);
  CHECK(u.mappings == 3);
  CHECK(u.exact);
  CHECK(u.resident_bytes == 64u << 20);
  CHECK_FALSE(u.all_flag_hg);
  CHECK_FALSE(u.all_flag_nh);

  // Nothing there.
  u = vm::mem::usage_in_range(regions, 0x100000, 4096);
  CHECK(u.mappings == 0);
  CHECK(u.covered_bytes == 0);
  CHECK_FALSE(u.all_flag_hg);
}

TEST_CASE("smaps parsing skips what it does not know", "[mem][thp][smaps]") {
  CHECK(parse_smaps("").empty());
  CHECK(parse_smaps("Rss: 4 kB\n").empty());  // a field before any header
  const auto regions = parse_smaps(
      "1000-2000 rw-p 00000000 00:00 0\nRss: lots kB\nAnonHugePages: 8 MB\nnonsense\n"
      "zz-yy rw-p\n");
  REQUIRE(regions.size() == 1);
  CHECK_FALSE(regions[0].has_rss);
  CHECK_FALSE(regions[0].has_anon_huge);
}

TEST_CASE("sysfs node lists parse as ranges and single nodes", "[mem][numa]") {
  auto nodes = parse_node_list("0\n");
  REQUIRE(nodes.ok());
  CHECK(nodes.value() == std::vector<int>{0});
  nodes = parse_node_list("0-3,5\n");
  REQUIRE(nodes.ok());
  CHECK(nodes.value() == std::vector<int>{0, 1, 2, 3, 5});
  nodes = parse_node_list("\n");
  REQUIRE(nodes.ok());
  CHECK(nodes.value().empty());
  for (const char* bad : {"a", "1-0", "0,", "-1", "0-", "3-x", "0-5000"}) {
    CAPTURE(bad);
    auto r = parse_node_list(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == vm::error_code::kBadInput);
  }
}

TEST_CASE("memory nodes come from has_memory, else online, else node 0", "[mem][numa]") {
  fake_sysfs sys;
  CHECK(memory_nodes(sys.root()) == std::vector<int>{0});
  sys.put("devices/system/node/online", "0-1\n");
  CHECK(memory_nodes(sys.root()) == std::vector<int>{0, 1});
  sys.put("devices/system/node/has_memory", "1\n");
  CHECK(memory_nodes(sys.root()) == std::vector<int>{1});
}

TEST_CASE("asking for a node this machine lacks is an error naming the nodes it has",
          "[mem][numa]") {
  const std::vector<int> nodes = memory_nodes();
  REQUIRE_FALSE(nodes.empty());
  CHECK_FALSE(vm::mem::check_numa_node(vm::mem::kNoNumaNode));
  CHECK_FALSE(vm::mem::check_numa_node(nodes.front()));

  const int missing = nodes.back() + 1;
  const vm::error e = vm::mem::check_numa_node(missing);
  CHECK(e.code == vm::error_code::kInvalidArgument);
  CHECK(e.message.rfind(
            "numa node " + std::to_string(missing) + " does not exist: this machine has ", 0) == 0);
  if (nodes == std::vector<int>{0}) {  // this machine: one node
    CHECK(e.message == "numa node 1 does not exist: this machine has 1 node (0)");
  }
  CHECK(vm::mem::check_numa_node(-2).code == vm::error_code::kInvalidArgument);
}

TEST_CASE("memory allocated on a node lies on that node", "[mem][numa]") {
  const vm::mem::numa_support support = vm::mem::numa_status();
  const int node = memory_nodes().front();
  constexpr size_t kBytes = 3 * 4096 + 1;
  auto p = vm::mem::allocate_on_node(kBytes, node);
  REQUIRE(p.ok());
  auto* bytes = static_cast<unsigned char*>(p.value());
  for (size_t i = 0; i < kBytes; ++i) CHECK(bytes[i] == 0);
  std::memset(bytes, 0xa5, kBytes);

  if (!support.available) {
    WARN("NUMA unavailable here (" << support.reason << "): placement not verified");
  } else {
    auto sample = vm::mem::sample_nodes(bytes, kBytes);
    REQUIRE(sample.ok());
    const uint64_t pages = (kBytes + 4095) / 4096;
    CHECK(sample.value().sampled == pages);
    CHECK(sample.value().unresolved == 0);
    CHECK(sample.value().pages_per_node == std::map<int, uint64_t>{{node, pages}});
  }
  vm::mem::free_on_node(bytes, kBytes);

  auto unbound = vm::mem::allocate_on_node(4096, vm::mem::kNoNumaNode);
  REQUIRE(unbound.ok());
  vm::mem::free_on_node(unbound.value(), 4096);

  auto missing = vm::mem::allocate_on_node(4096, memory_nodes().back() + 1);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.err().code == vm::error_code::kInvalidArgument);
  CHECK_FALSE(vm::mem::allocate_on_node(0, node).ok());
}

TEST_CASE("node sampling counts only resident pages and caps the sample", "[mem][numa]") {
  if (!vm::mem::numa_status().available) {
    WARN("NUMA unavailable here: " << vm::mem::numa_status().reason);
    return;
  }
  constexpr size_t kPages = 64;
  auto p = vm::mem::allocate_on_node(kPages * 4096, vm::mem::kNoNumaNode);
  REQUIRE(p.ok());
  auto* bytes = static_cast<unsigned char*>(p.value());
  auto none = vm::mem::sample_nodes(bytes, kPages * 4096);
  REQUIRE(none.ok());
  CHECK(none.value().sampled == 0);
  CHECK(none.value().pages_per_node.empty());

  for (size_t i = 0; i < kPages; i += 2) bytes[i * 4096] = 1;  // every other page
  auto half = vm::mem::sample_nodes(bytes, kPages * 4096);
  REQUIRE(half.ok());
  CHECK(half.value().sampled == kPages / 2);
  auto capped = vm::mem::sample_nodes(bytes, kPages * 4096, 5);
  REQUIRE(capped.ok());
  CHECK(capped.value().sampled == 5);
  uint64_t total = 0;
  for (const auto& [node, pages] : capped.value().pages_per_node) total += pages;
  CHECK(total + capped.value().unresolved == 5);
  vm::mem::free_on_node(bytes, kPages * 4096);
}

TEST_CASE("without NUMA, node requests fall back to unbound memory and say so once",
          "[mem][numa]") {
  numa_override_guard restore;
  vm::mem::detail::override_numa_support(vm::mem::numa_support{false, "test: no NUMA here"});
  vm::mem::detail::reset_numa_notice();
  CHECK(vm::mem::take_numa_notice().empty());  // nothing fell back yet

  const int node = memory_nodes().front();
  auto p = vm::mem::allocate_on_node(4096, node);
  REQUIRE(p.ok());
  static_cast<unsigned char*>(p.value())[0] = 1;
  vm::mem::free_on_node(p.value(), 4096);

  auto region = vm::mem::host_region::reserve(4u << 20, {vm::mem::thp_mode::kOff, node});
  REQUIRE(region.ok());
  CHECK_FALSE(region.value().numa_bound());
  const vm::mem::memory_report r = region.value().report();
  CHECK_FALSE(r.numa_available);
  CHECK_FALSE(r.numa_bound);
  CHECK(r.numa_node == node);
  CHECK(r.pages_per_node.empty());
  CHECK(r.notice.find("not bound to numa node " + std::to_string(node) + ": test: no NUMA here") !=
        std::string::npos);

  const std::string notice = vm::mem::take_numa_notice();
  CHECK(notice == "NUMA placement unavailable (test: no NUMA here): memory asked for node " +
                      std::to_string(node) + " is left unbound and its placement unverified");
  CHECK(vm::mem::take_numa_notice().empty());  // once per process

  // A node that does not exist is still an error, not a fallback.
  auto missing =
      vm::mem::host_region::reserve(4096, {vm::mem::thp_mode::kOff, memory_nodes().back() + 1});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.err().code == vm::error_code::kInvalidArgument);
}

TEST_CASE("unbound requests raise no NUMA notice", "[mem][numa]") {
  numa_override_guard restore;
  vm::mem::detail::override_numa_support(vm::mem::numa_support{false, "test: no NUMA here"});
  vm::mem::detail::reset_numa_notice();
  auto region = vm::mem::host_region::reserve(1u << 20, {vm::mem::thp_mode::kOff, -1});
  REQUIRE(region.ok());
  CHECK(region.value().report().notice.empty());
  auto p = vm::mem::allocate_on_node(4096, vm::mem::kNoNumaNode);
  REQUIRE(p.ok());
  vm::mem::free_on_node(p.value(), 4096);
  CHECK(vm::mem::take_numa_notice().empty());
}
