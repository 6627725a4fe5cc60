// host_memory.h - where host memory for the VM comes from: transparent huge
// pages (THP) and NUMA placement of guest RAM and per-CPU structures, and the
// measurement of what the kernel actually did (/proc/self/smaps for huge
// pages, move_pages for nodes), reported per region.
//
// Nothing here prints. Problems the user should hear about once per process
// (NUMA requested but unavailable) are taken with take_numa_notice(); the
// per-region notes travel in memory_report::notice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace vm::mem {

// ---------------------------------------------------------------- placement

enum class thp_mode : uint8_t {
  kSystem,  // no madvise: the kernel's default for the mapping ("always" gives huge pages)
  kOff,     // madvise(MADV_NOHUGEPAGE): 4 KiB pages even when THP is "always"
  kOn,      // madvise(MADV_HUGEPAGE): huge pages when THP is "madvise" or "always"
};

// "system", "off", "on".
std::string_view thp_mode_name(thp_mode mode) noexcept;
// The inverse of thp_mode_name (the CLI's --thp value). kInvalidArgument
// naming the accepted values otherwise.
result<thp_mode> parse_thp_mode(std::string_view name);

inline constexpr int kNoNumaNode = -1;

struct placement {
  // kOn by default: where the system mode is "never" the advice does nothing
  // and the region's report says so.
  thp_mode thp = thp_mode::kOn;
  // kNoNumaNode: no binding (the kernel's first-touch policy, normally the
  // node of the touching CPU). Otherwise the memory is bound (MPOL_BIND) to
  // this node, which must be one of memory_nodes().
  int numa_node = kNoNumaNode;
};

// The placement guest_ram::create(base, size) uses. The CLI sets it once at
// start (--thp, --numa-node); the initial value is placement{}.
void set_default_placement(const placement& p) noexcept;
placement default_placement() noexcept;

// ---------------------------------------------------- transparent huge pages

// The bracketed word of a sysfs choice file: "always [madvise] never\n" ->
// "madvise"; "" when there is none.
std::string_view parse_sysfs_choice(std::string_view text) noexcept;

// The THP mode for PMD-sized pages: "always", "madvise", "never", or
// "unavailable" when the kernel has no THP. Reads
// <sysfs_root>/kernel/mm/transparent_hugepage/enabled, and the per-size
// hugepages-<N>kB/enabled of kernels with multi-size THP when it is not
// "inherit" (it then overrides the global mode).
std::string thp_system_mode(const std::string& sysfs_root = "/sys");
// The THP defrag mode ("always", "defer", "defer+madvise", "madvise",
// "never"), or "unavailable".
std::string thp_defrag_mode(const std::string& sysfs_root = "/sys");
// The PMD huge page size (hpage_pmd_size): 2 MiB on x86-64; 2 MiB when the
// file cannot be read.
uint64_t huge_page_size(const std::string& sysfs_root = "/sys");

// One mapping (VMA) of /proc/<pid>/smaps. Sizes in bytes.
struct smaps_region {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t rss = 0;        // "Rss:"
  uint64_t anon_huge = 0;  // "AnonHugePages:"
  bool has_rss = false;    // the fields were present
  bool has_anon_huge = false;
  // "VmFlags:", two letters each: "hg" = MADV_HUGEPAGE, "nh" = MADV_NOHUGEPAGE.
  std::vector<std::string> vm_flags;

  bool has_flag(std::string_view flag) const noexcept;
};

// Every mapping in smaps text, in file order. Lines that are neither a
// mapping header ("start-end perms ...") nor a known field are skipped; a
// field before the first header is ignored.
std::vector<smaps_region> parse_smaps(std::string_view text);

// The mapping containing `address`, or nullptr.
const smaps_region* find_region(const std::vector<smaps_region>& regions,
                                uint64_t address) noexcept;

// What the mappings overlapping [address, address + length) hold.
struct range_usage {
  uint64_t resident_bytes = 0;  // sum of their Rss
  uint64_t huge_bytes = 0;      // sum of their AnonHugePages
  uint64_t covered_bytes = 0;   // bytes of the range that lie in some mapping
  unsigned mappings = 0;        // how many mappings overlap
  bool exact = true;            // every overlapping mapping lies inside the range (so
                                // its Rss is the range's alone)
  bool all_flag_hg = false;     // every overlapping mapping has VmFlags hg
  bool all_flag_nh = false;     // ... nh
};
range_usage usage_in_range(const std::vector<smaps_region>& regions, uint64_t address,
                           uint64_t length) noexcept;

// ---------------------------------------------------------------------- NUMA

// A sysfs node list: "0", "0-3,5\n" -> {0, 1, 2, 3, 5}. kBadInput on
// anything else (the message quotes the text).
result<std::vector<int>> parse_node_list(std::string_view text);

// The nodes with memory (<sysfs_root>/devices/system/node/has_memory, else
// .../online); {0} when neither exists (a kernel without NUMA).
std::vector<int> memory_nodes(const std::string& sysfs_root = "/sys");

// kOk for kNoNumaNode and for a node in memory_nodes(); kInvalidArgument
// otherwise: "numa node 1 does not exist: this machine has 1 node (0)".
error check_numa_node(int node);

// Whether NUMA placement and its verification work in this process:
// libnuma's numa_available(), then one mbind and one move_pages on a probe
// page (containers often refuse them with EPERM). Probed once.
struct numa_support {
  bool available = false;
  std::string reason;  // why not, one line; empty when available
};
numa_support numa_status();

// The one-line notice that NUMA placement was asked for (a bound region or
// allocate_on_node with a node) but fell back to unbound memory. Returned by
// the first call after the fallback happened, "" by every other call: the
// harness calls it after setting up a run and prints what it gets.
std::string take_numa_notice();

// `bytes` (rounded up to the host page) of zeroed memory on `node`
// (numa_alloc_onnode), for per-CPU structures; kNoNumaNode or NUMA
// unavailable (notice, see take_numa_notice): plain anonymous memory.
// kInvalidArgument for a node that does not exist, kOutOfMemory when the
// host refuses. Release with free_on_node and the same `bytes`.
result<void*> allocate_on_node(size_t bytes, int node) noexcept;
void free_on_node(void* memory, size_t bytes) noexcept;

// The nodes holding [address, address + length): up to `max_pages` of its
// resident host pages (mincore), evenly spaced, queried with move_pages.
struct node_sample {
  std::map<int, uint64_t> pages_per_node;  // node -> sampled pages on it
  uint64_t sampled = 0;                    // pages queried
  uint64_t unresolved = 0;                 // pages move_pages gave a negative status
};
// kUnsupported when mincore or move_pages fails (the message names which).
result<node_sample> sample_nodes(const void* address, uint64_t length, size_t max_pages = 1024);

// -------------------------------------------------------------------- regions

// What one region's placement asked for and what the kernel did, read now.
struct memory_report {
  uint64_t bytes = 0;           // the region's size
  uint64_t resident_bytes = 0;  // smaps Rss of its mapping
  uint64_t huge_bytes = 0;      // smaps AnonHugePages: resident in transparent huge pages
  double huge_share = 0;        // huge_bytes / resident_bytes; 0 when nothing is resident
  std::string thp_system;       // thp_system_mode()
  thp_mode thp_requested = thp_mode::kSystem;
  bool thp_advice_visible = false;  // smaps VmFlags show the request: hg for kOn, nh for
                                    // kOff, neither for kSystem
  uint64_t alignment = 0;           // largest power of two (<= 1 GiB) the start is aligned to
  int numa_node = kNoNumaNode;      // requested
  bool numa_bound = false;          // mbind to numa_node succeeded
  bool numa_available = false;      // numa_status().available
  std::map<int, uint64_t> pages_per_node;  // sample_nodes() of the resident pages
  uint64_t pages_sampled = 0;
  std::string notice;  // what did not go as asked, "; "-separated; empty when all did
};

// One anonymous host mapping reserved with a placement: MAP_NORESERVE (the
// host commits pages as they are first touched), its start aligned to the
// huge page size, one inaccessible guard page on each side (a host overrun
// faults, and the mapping never merges with a neighbour, so its smaps Rss is
// its own), then the THP advice and the NUMA binding.
class host_region {
 public:
  // `size` > 0, rounded up to the host page. Errors: kInvalidArgument (size
  // 0, a node that does not exist or mbind refusing it), kOutOfMemory (mmap
  // refused). NUMA unavailable is not an error: the region stays unbound and
  // its notice says why.
  static result<host_region> reserve(uint64_t size, const placement& p) noexcept;

  host_region() = default;
  host_region(host_region&& other) noexcept;
  host_region& operator=(host_region&& other) noexcept;
  host_region(const host_region&) = delete;
  host_region& operator=(const host_region&) = delete;
  ~host_region();

  uint8_t* data() const noexcept { return data_; }
  uint64_t size() const noexcept { return size_; }
  const placement& requested() const noexcept { return placement_; }
  bool numa_bound() const noexcept { return numa_bound_; }

  // Reads /proc/self/smaps and samples nodes now. An unreadable smaps
  // leaves the smaps fields 0 and says so in the notice.
  memory_report report() const;

 private:
  void release() noexcept;

  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  uint8_t* mapping_ = nullptr;  // data_ minus the lower guard page
  uint64_t mapping_size_ = 0;   // size_ plus both guard pages
  placement placement_{};
  bool numa_bound_ = false;
  std::string notice_;  // what reserve() could not do as asked
};

namespace detail {
// Tests only: pretend NUMA is (un)available, or probe again (nullopt); and
// make the once-per-process notice available again.
void override_numa_support(std::optional<numa_support> support);
void reset_numa_notice();
}  // namespace detail

}  // namespace vm::mem
