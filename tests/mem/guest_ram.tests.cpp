// guest_ram.tests.cpp - guest RAM as placed on this host: huge-page
// alignment, the THP advice as the kernel records it (smaps VmFlags hg/nh),
// the share of huge pages where the kernel's settings promise them, lazy
// commitment, and NUMA binding verified with move_pages.

#include "mem/guest_ram.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

namespace {

using vm::mem::guest_ram;
using vm::mem::memory_report;
using vm::mem::placement;
using vm::mem::thp_mode;

constexpr uint64_t kBase = 0x80000000;
constexpr uint64_t kSize = 64u << 20;

guest_ram make(uint64_t size, const placement& where) {
  auto r = guest_ram::create(kBase, size, where);
  REQUIRE(r.ok());
  return std::move(r).value();
}

// Writes one byte in every 4 KiB page, so every page is resident.
void touch(guest_ram& ram) {
  for (uint64_t a = ram.base(); a < ram.end(); a += vm::mem::kPageSize) *ram.host(a) = 1;
}

bool thp_in_kernel() {
  return vm::mem::thp_system_mode() != "unavailable";
}

// Whether this host promises huge pages for a touched MADV_HUGEPAGE region:
// THP enabled for it ("madvise" or "always"), and a defrag mode that makes
// the page fault reclaim and compact for such regions rather than settle for
// 4 KiB pages. Even then a host whose free memory is all fragmented by
// unmovable pages could fail; the test machine (THP "madvise", defrag
// "madvise") has gigabytes free.
bool huge_pages_promised() {
  const std::string mode = vm::mem::thp_system_mode();
  const std::string defrag = vm::mem::thp_defrag_mode();
  return (mode == "madvise" || mode == "always") &&
         (defrag == "always" || defrag == "madvise" || defrag == "defer+madvise");
}

}  // namespace

TEST_CASE("guest RAM starts on a huge page boundary", "[mem][thp]") {
  for (thp_mode mode : {thp_mode::kOn, thp_mode::kOff, thp_mode::kSystem}) {
    CAPTURE(vm::mem::thp_mode_name(mode));
    guest_ram ram = make(3u << 20, {mode, vm::mem::kNoNumaNode});
    const auto host = reinterpret_cast<uintptr_t>(ram.host(kBase));
    CHECK(host % vm::mem::huge_page_size() == 0);
    CHECK(ram.report().alignment >= vm::mem::huge_page_size());
    CHECK(ram.requested_placement().thp == mode);
  }
}

TEST_CASE("guest RAM with THP on is advised huge and, where promised, backed by huge pages",
          "[mem][thp]") {
  guest_ram ram = make(kSize, {thp_mode::kOn, vm::mem::kNoNumaNode});
  touch(ram);
  const memory_report r = ram.report();
  CAPTURE(r.thp_system, vm::mem::thp_defrag_mode(), r.notice);
  CHECK(r.bytes == kSize);
  CHECK(r.thp_requested == thp_mode::kOn);
  CHECK(r.resident_bytes == kSize);  // every page touched, the mapping is its own
  CHECK(r.huge_bytes <= r.resident_bytes);
  CHECK(r.huge_bytes % vm::mem::huge_page_size() == 0);
  CHECK(r.huge_share == Approx(static_cast<double>(r.huge_bytes) / kSize));
  if (thp_in_kernel()) CHECK(r.thp_advice_visible);  // VmFlags "hg"
  if (huge_pages_promised()) {
    CHECK(r.huge_bytes > 0);
    CHECK(r.notice.empty());
  } else {
    WARN("huge pages not promised here (THP " << r.thp_system << ", defrag "
                                              << vm::mem::thp_defrag_mode()
                                              << "): huge_bytes = " << r.huge_bytes);
    if (r.thp_system == "never") CHECK(r.notice.find("never") != std::string::npos);
  }
}

TEST_CASE("guest RAM with THP off has no huge pages and is advised so", "[mem][thp]") {
  guest_ram ram = make(kSize, {thp_mode::kOff, vm::mem::kNoNumaNode});
  touch(ram);
  const memory_report r = ram.report();
  CHECK(r.resident_bytes == kSize);
  CHECK(r.huge_bytes == 0);  // MADV_NOHUGEPAGE holds even under "always"
  CHECK(r.huge_share == 0);
  if (thp_in_kernel()) CHECK(r.thp_advice_visible);  // VmFlags "nh"
  CHECK(r.notice.empty());
}

TEST_CASE("guest RAM with THP system carries no advice", "[mem][thp]") {
  guest_ram ram = make(8u << 20, {thp_mode::kSystem, vm::mem::kNoNumaNode});
  touch(ram);
  const memory_report r = ram.report();
  CHECK(r.thp_advice_visible);  // neither hg nor nh
  CHECK(r.resident_bytes == 8u << 20);
  // Without the advice only "always" gives huge pages.
  if (r.thp_system != "always") CHECK(r.huge_bytes == 0);
}

TEST_CASE("guest RAM is committed only where touched", "[mem][thp]") {
  guest_ram ram = make(4ull << 30, {thp_mode::kOn, vm::mem::kNoNumaNode});
  CHECK(ram.report().resident_bytes == 0);
  *ram.host(kBase + (1ull << 30) + 12345) = 7;
  const memory_report r = ram.report();
  CHECK(r.resident_bytes > 0);
  CHECK(r.resident_bytes <= vm::mem::huge_page_size());
}

TEST_CASE("guest RAM create without a placement uses the process default", "[mem][thp]") {
  const placement saved = vm::mem::default_placement();
  CHECK(placement{}.thp == thp_mode::kOn);
  CHECK(placement{}.numa_node == vm::mem::kNoNumaNode);
  vm::mem::set_default_placement({thp_mode::kOff, vm::mem::kNoNumaNode});
  auto r = guest_ram::create(kBase, 1u << 20);
  vm::mem::set_default_placement(saved);
  REQUIRE(r.ok());
  CHECK(r.value().requested_placement().thp == thp_mode::kOff);
  CHECK(r.value().size() == 1u << 20);
}

TEST_CASE("guest RAM bound to a node lies on it", "[mem][numa]") {
  const int node = vm::mem::memory_nodes().front();
  guest_ram ram = make(8u << 20, {thp_mode::kOff, node});
  touch(ram);
  const memory_report r = ram.report();
  CAPTURE(r.notice);
  CHECK(r.numa_node == node);
  if (!r.numa_available) {
    WARN("NUMA unavailable here: " << vm::mem::numa_status().reason);
    CHECK_FALSE(r.numa_bound);
    CHECK(r.pages_per_node.empty());
    CHECK_FALSE(r.notice.empty());
  } else {
    CHECK(r.numa_bound);
    CHECK(r.pages_sampled == 1024);  // 2048 resident pages, sample capped
    CHECK(r.pages_per_node == std::map<int, uint64_t>{{node, r.pages_sampled}});
    CHECK(r.notice.empty());
  }
}

TEST_CASE("guest RAM on a node this machine lacks is an error", "[mem][numa]") {
  const int missing = vm::mem::memory_nodes().back() + 1;
  auto r = guest_ram::create(kBase, 1u << 20, {thp_mode::kOn, missing});
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == vm::error_code::kInvalidArgument);
  CAPTURE(r.err().message);
  if (vm::mem::memory_nodes() == std::vector<int>{0}) {
    CHECK(r.err().message == "guest RAM: numa node 1 does not exist: this machine has 1 node (0)");
  }
}

TEST_CASE("guest RAM keeps its placement and report across moves", "[mem]") {
  guest_ram a = make(4u << 20, {thp_mode::kOff, vm::mem::kNoNumaNode});
  *a.host(kBase) = 42;
  guest_ram b(std::move(a));
  CHECK(*b.host(kBase) == 42);
  CHECK(b.requested_placement().thp == thp_mode::kOff);
  CHECK(b.report().resident_bytes > 0);
  CHECK(a.report().bytes == 0);  // NOLINT(bugprone-use-after-move): moved-from is empty
  guest_ram c;
  c = std::move(b);
  CHECK(*c.host(kBase) == 42);
  CHECK(c.report().bytes == 4u << 20);
}
