#include "mem/host_memory.h"

#include <fcntl.h>
#include <numa.h>
#include <numaif.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>
#include <utility>

namespace vm::mem {
namespace {

std::atomic<placement> g_default_placement{placement{}};
static_assert(std::atomic<placement>::is_always_lock_free);

std::string errno_text(int err) {
  return std::strerror(err);
}

// The whole file, or nullopt with errno set when it cannot be read.
std::optional<std::string> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      errno = err;
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

std::string_view trim(std::string_view s) noexcept {
  const size_t first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const size_t last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

template <class T>
bool parse_number(std::string_view s, T& out, int base = 10) noexcept {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && end == s.data() + s.size();
}

std::string thp_dir(const std::string& sysfs_root) {
  return sysfs_root + "/kernel/mm/transparent_hugepage";
}

std::string sysfs_choice(const std::string& path) {
  const std::optional<std::string> text = read_file(path);
  if (!text) return "unavailable";
  const std::string_view choice = parse_sysfs_choice(*text);
  return choice.empty() ? "unavailable" : std::string(choice);
}

uint64_t host_page_size() noexcept {
  static const uint64_t size = [] {
    const long s = ::sysconf(_SC_PAGESIZE);
    return s > 0 ? static_cast<uint64_t>(s) : uint64_t{4096};
  }();
  return size;
}

uint64_t round_up(uint64_t value, uint64_t alignment) noexcept {
  return (value + alignment - 1) & ~(alignment - 1);
}

std::string join_notes(const std::vector<std::string>& notes) {
  std::string out;
  for (const std::string& n : notes) {
    if (n.empty()) continue;
    if (!out.empty()) out += "; ";
    out += n;
  }
  return out;
}

// ------------------------------------------------------------ NUMA state

// Node masks passed to mbind: 1024 nodes (libnuma's default maximum).
constexpr int kMaxNodes = 1024;
constexpr size_t kMaskWords = kMaxNodes / (8 * sizeof(unsigned long));

struct numa_state {
  std::mutex mutex;
  std::optional<numa_support> probed;
  std::optional<numa_support> forced;  // detail::override_numa_support
  std::string pending_notice;
  bool notice_given = false;
};

numa_state& state() {
  static numa_state s;
  return s;
}

// 0, or the errno of mbind(MPOL_BIND) of [address, address + length) to `node`.
int bind_to_node(void* address, uint64_t length, int node) noexcept {
  if (node < 0 || node >= kMaxNodes) return EINVAL;
  unsigned long mask[kMaskWords] = {};
  const size_t bits = 8 * sizeof(unsigned long);
  mask[static_cast<size_t>(node) / bits] = 1ul << (static_cast<size_t>(node) % bits);
  // The kernel reads maxnode - 1 bits (libnuma passes its mask size + 1).
  if (mbind(address, length, MPOL_BIND, mask, kMaxNodes + 1, 0) != 0) return errno;
  return 0;
}

numa_support probe_numa() {
  errno = 0;
  if (numa_available() < 0) {
    return {false, "libnuma: NUMA is not available (get_mempolicy: " + errno_text(errno) + ")"};
  }
  const uint64_t page = host_page_size();
  void* p = ::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return {false, "cannot map a probe page: " + errno_text(errno)};
  numa_support s{true, {}};
  if (const int err = bind_to_node(p, page, memory_nodes().front()); err != 0) {
    s = {false, "mbind: " + errno_text(err)};
  } else {
    static_cast<volatile uint8_t*>(p)[0] = 1;
    void* pages[1] = {p};
    int status[1] = {-1};
    if (move_pages(0, 1, pages, nullptr, status, 0) != 0) {
      s = {false, "move_pages: " + errno_text(errno)};
    }
  }
  ::munmap(p, page);
  return s;
}

// Records the once-per-process notice for a placement that fell back.
void note_numa_fallback(int node, const std::string& reason) {
  numa_state& st = state();
  std::lock_guard lock(st.mutex);
  if (st.notice_given || !st.pending_notice.empty()) return;
  st.pending_notice = "NUMA placement unavailable (" + reason + "): memory asked for node " +
                      std::to_string(node) + " is left unbound and its placement unverified";
}

}  // namespace

// --------------------------------------------------------------- placement

std::string_view thp_mode_name(thp_mode mode) noexcept {
  switch (mode) {
    case thp_mode::kSystem: return "system";
    case thp_mode::kOff: return "off";
    case thp_mode::kOn: return "on";
  }
  return "?";
}

result<thp_mode> parse_thp_mode(std::string_view name) {
  for (thp_mode m : {thp_mode::kSystem, thp_mode::kOff, thp_mode::kOn}) {
    if (name == thp_mode_name(m)) return m;
  }
  std::string message = "transparent huge page mode '";
  message.append(name);
  message += "' is not one of on, off, system";
  return error{error_code::kInvalidArgument, std::move(message)};
}

void set_default_placement(const placement& p) noexcept {
  g_default_placement.store(p, std::memory_order_relaxed);
}

placement default_placement() noexcept {
  return g_default_placement.load(std::memory_order_relaxed);
}

// -------------------------------------------------- transparent huge pages

std::string_view parse_sysfs_choice(std::string_view text) noexcept {
  const size_t open = text.find('[');
  if (open == std::string_view::npos) return {};
  const size_t close = text.find(']', open);
  if (close == std::string_view::npos) return {};
  return text.substr(open + 1, close - open - 1);
}

std::string thp_system_mode(const std::string& sysfs_root) {
  std::string mode = sysfs_choice(thp_dir(sysfs_root) + "/enabled");
  if (mode == "unavailable") return mode;
  // Multi-size THP (Linux 6.8+): the PMD size's own setting wins unless it
  // is "inherit".
  const std::string per_size =
      sysfs_choice(thp_dir(sysfs_root) + "/hugepages-" +
                   std::to_string(huge_page_size(sysfs_root) >> 10) + "kB/enabled");
  if (per_size != "unavailable" && per_size != "inherit") mode = per_size;
  return mode;
}

std::string thp_defrag_mode(const std::string& sysfs_root) {
  return sysfs_choice(thp_dir(sysfs_root) + "/defrag");
}

uint64_t huge_page_size(const std::string& sysfs_root) {
  constexpr uint64_t kDefault = 2ull << 20;
  const std::optional<std::string> text = read_file(thp_dir(sysfs_root) + "/hpage_pmd_size");
  uint64_t size = 0;
  if (!text || !parse_number(trim(*text), size)) return kDefault;
  // A power of two no larger than 1 GiB (arm64 with 64 KiB pages: 512 MiB).
  if (size < 4096 || size > (1ull << 30) || (size & (size - 1)) != 0) return kDefault;
  return size;
}

bool smaps_region::has_flag(std::string_view flag) const noexcept {
  return std::find(vm_flags.begin(), vm_flags.end(), flag) != vm_flags.end();
}

std::vector<smaps_region> parse_smaps(std::string_view text) {
  std::vector<smaps_region> regions;
  // "<value> kB" -> bytes.
  auto kilobytes = [](std::string_view value, uint64_t& bytes) {
    value = trim(value);
    if (value.size() < 3 || value.substr(value.size() - 2) != "kB") return false;
    uint64_t kb = 0;
    if (!parse_number(trim(value.substr(0, value.size() - 2)), kb)) return false;
    bytes = kb << 10;
    return true;
  };
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);

    const size_t space = line.find(' ');
    const std::string_view first = line.substr(0, space);
    const size_t dash = first.find('-');
    smaps_region header;
    if (dash != std::string_view::npos && space != std::string_view::npos &&
        parse_number(first.substr(0, dash), header.start, 16) &&
        parse_number(first.substr(dash + 1), header.end, 16)) {
      regions.push_back(std::move(header));
      continue;
    }
    if (regions.empty()) continue;
    smaps_region& r = regions.back();
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = line.substr(colon + 1);
    if (name == "Rss") {
      r.has_rss = kilobytes(value, r.rss);
    } else if (name == "AnonHugePages") {
      r.has_anon_huge = kilobytes(value, r.anon_huge);
    } else if (name == "VmFlags") {
      r.vm_flags.clear();
      std::string_view rest = trim(value);
      while (!rest.empty()) {
        const size_t end = rest.find(' ');
        r.vm_flags.emplace_back(rest.substr(0, end));
        rest = end == std::string_view::npos ? std::string_view{} : trim(rest.substr(end));
      }
    }
  }
  return regions;
}

const smaps_region* find_region(const std::vector<smaps_region>& regions,
                                uint64_t address) noexcept {
  for (const smaps_region& r : regions) {
    if (address >= r.start && address < r.end) return &r;
  }
  return nullptr;
}

range_usage usage_in_range(const std::vector<smaps_region>& regions, uint64_t address,
                           uint64_t length) noexcept {
  range_usage u;
  const uint64_t end = address + length;
  bool all_hg = true, all_nh = true;
  for (const smaps_region& r : regions) {
    if (r.end <= address || r.start >= end) continue;
    ++u.mappings;
    u.resident_bytes += r.rss;
    u.huge_bytes += r.anon_huge;
    u.covered_bytes += std::min(r.end, end) - std::max(r.start, address);
    if (r.start < address || r.end > end) u.exact = false;
    all_hg = all_hg && r.has_flag("hg");
    all_nh = all_nh && r.has_flag("nh");
  }
  u.all_flag_hg = u.mappings > 0 && all_hg;
  u.all_flag_nh = u.mappings > 0 && all_nh;
  return u;
}

// ---------------------------------------------------------------------- NUMA

result<std::vector<int>> parse_node_list(std::string_view text) {
  std::vector<int> nodes;
  auto bad = [&] {
    std::string message = "node list '";
    message.append(trim(text));
    message += "' is not of the form 0-3,5";
    return error{error_code::kBadInput, std::move(message)};
  };
  std::string_view rest = trim(text);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (comma != std::string_view::npos && rest.empty()) return bad();  // trailing comma
    const size_t dash = item.find('-');
    int first = 0, last = 0;
    if (!parse_number(item.substr(0, dash), first)) return bad();
    last = first;
    if (dash != std::string_view::npos && !parse_number(item.substr(dash + 1), last)) return bad();
    if (first < 0 || last < first || last >= kMaxNodes) return bad();
    for (int n = first; n <= last; ++n) nodes.push_back(n);
  }
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  return nodes;
}

std::vector<int> memory_nodes(const std::string& sysfs_root) {
  for (const char* file : {"has_memory", "online"}) {
    const std::optional<std::string> text = read_file(sysfs_root + "/devices/system/node/" + file);
    if (!text) continue;
    result<std::vector<int>> nodes = parse_node_list(*text);
    if (nodes.ok() && !nodes.value().empty()) return std::move(nodes).value();
  }
  return {0};
}

error check_numa_node(int node) {
  if (node == kNoNumaNode) return error::ok();
  const std::vector<int> nodes = memory_nodes();
  if (std::find(nodes.begin(), nodes.end(), node) != nodes.end()) return error::ok();
  std::string message = "numa node " + std::to_string(node) + " does not exist: this machine has ";
  message += std::to_string(nodes.size());
  message += nodes.size() == 1 ? " node (" : " nodes (";
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (i > 0) message += ", ";
    message += std::to_string(nodes[i]);
  }
  message += ")";
  return error{error_code::kInvalidArgument, std::move(message)};
}

numa_support numa_status() {
  numa_state& st = state();
  std::lock_guard lock(st.mutex);
  if (st.forced) return *st.forced;
  if (!st.probed) st.probed = probe_numa();
  return *st.probed;
}

std::string take_numa_notice() {
  numa_state& st = state();
  std::lock_guard lock(st.mutex);
  if (st.notice_given || st.pending_notice.empty()) return {};
  st.notice_given = true;
  return std::exchange(st.pending_notice, {});
}

// numa_alloc_onnode is mmap + mbind, but reports a refused mbind by printing
// (numa_error) and returns the memory unbound; doing the two calls here turns
// that into an error value (the core never prints).
result<void*> allocate_on_node(size_t bytes, int node) noexcept {
  if (bytes == 0) return error{error_code::kInvalidArgument, "allocate_on_node: size 0"};
  VM_PROPAGATE(check_numa_node(node));
  const uint64_t length = round_up(bytes, host_page_size());
  void* p = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return error{
        error_code::kOutOfMemory,
        "allocate_on_node: cannot map " + std::to_string(length) + " bytes: " + errno_text(errno)};
  }
  if (node == kNoNumaNode) return p;
  if (const numa_support s = numa_status(); !s.available) {
    note_numa_fallback(node, s.reason);
    return p;
  }
  if (const int err = bind_to_node(p, length, node); err != 0) {
    if (err == ENOSYS || err == EPERM) {
      note_numa_fallback(node, "mbind: " + errno_text(err));
      return p;
    }
    ::munmap(p, length);
    return error{error_code::kInvalidArgument,
                 "numa node " + std::to_string(node) + ": mbind refused: " + errno_text(err)};
  }
  return p;
}

void free_on_node(void* memory, size_t bytes) noexcept {
  if (memory != nullptr && bytes != 0) ::munmap(memory, round_up(bytes, host_page_size()));
}

result<node_sample> sample_nodes(const void* address, uint64_t length, size_t max_pages) {
  const uint64_t page = host_page_size();
  const uint64_t start = reinterpret_cast<uint64_t>(address) & ~(page - 1);
  const uint64_t end = round_up(reinterpret_cast<uint64_t>(address) + length, page);
  std::vector<unsigned char> resident((end - start) / page);
  node_sample sample;
  if (resident.empty() || max_pages == 0) return sample;
  if (::mincore(reinterpret_cast<void*>(start), end - start, resident.data()) != 0) {
    return error{error_code::kUnsupported, "mincore: " + errno_text(errno)};
  }
  std::vector<size_t> touched;
  for (size_t i = 0; i < resident.size(); ++i) {
    if (resident[i] & 1) touched.push_back(i);
  }
  const size_t n = std::min(touched.size(), max_pages);
  if (n == 0) return sample;
  std::vector<void*> pages(n);
  for (size_t i = 0; i < n; ++i) {
    pages[i] = reinterpret_cast<void*>(start + touched[i * touched.size() / n] * page);
  }
  std::vector<int> status(n, -1);
  if (move_pages(0, n, pages.data(), nullptr, status.data(), 0) != 0) {
    return error{error_code::kUnsupported, "move_pages: " + errno_text(errno)};
  }
  sample.sampled = n;
  for (int s : status) {
    if (s >= 0) {
      ++sample.pages_per_node[s];
    } else {
      ++sample.unresolved;
    }
  }
  return sample;
}

// -------------------------------------------------------------------- regions

result<host_region> host_region::reserve(uint64_t size, const placement& p) noexcept {
  if (size == 0)
    return error{error_code::kInvalidArgument, "cannot reserve 0 bytes of host memory"};
  VM_PROPAGATE(check_numa_node(p.numa_node));
  const uint64_t page = host_page_size();
  const uint64_t alignment = std::max(huge_page_size(), page);
  if (size > (1ull << 48)) {
    return error{error_code::kOutOfMemory,
                 "cannot reserve " + std::to_string(size >> 20) + " MiB of host memory"};
  }
  size = round_up(size, page);
  // Over-reserve so that an aligned start with a guard page below and above
  // fits: start = align_up(p + page) <= p + alignment.
  const uint64_t total = size + alignment + page;
  void* raw = ::mmap(nullptr, total, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) {
    return error{error_code::kOutOfMemory, "cannot reserve " + std::to_string(size >> 20) +
                                               " MiB of host memory: " + errno_text(errno)};
  }
  const uint64_t raw_start = reinterpret_cast<uint64_t>(raw);
  const uint64_t start = round_up(raw_start + page, alignment);
  const uint64_t mapping = start - page;
  const uint64_t mapping_end = start + size + page;
  if (mapping > raw_start) ::munmap(raw, mapping - raw_start);
  if (raw_start + total > mapping_end) {
    ::munmap(reinterpret_cast<void*>(mapping_end), raw_start + total - mapping_end);
  }
  ::mprotect(reinterpret_cast<void*>(mapping), page, PROT_NONE);
  ::mprotect(reinterpret_cast<void*>(start + size), page, PROT_NONE);

  host_region region;
  region.data_ = reinterpret_cast<uint8_t*>(start);
  region.size_ = size;
  region.mapping_ = reinterpret_cast<uint8_t*>(mapping);
  region.mapping_size_ = mapping_end - mapping;
  region.placement_ = p;

  std::vector<std::string> notes;
  if (p.thp != thp_mode::kSystem) {
    const int advice = p.thp == thp_mode::kOn ? MADV_HUGEPAGE : MADV_NOHUGEPAGE;
    if (::madvise(region.data_, size, advice) != 0) {
      // EINVAL: a kernel built without THP; the advice cannot matter.
      notes.push_back(std::string(p.thp == thp_mode::kOn ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE") +
                      " refused: " + errno_text(errno));
    }
  }
  if (p.numa_node != kNoNumaNode) {
    const numa_support s = numa_status();
    if (!s.available) {
      note_numa_fallback(p.numa_node, s.reason);
      notes.push_back("not bound to numa node " + std::to_string(p.numa_node) + ": " + s.reason);
    } else if (const int err = bind_to_node(region.data_, size, p.numa_node); err == 0) {
      region.numa_bound_ = true;
    } else if (err == ENOSYS || err == EPERM) {
      note_numa_fallback(p.numa_node, "mbind: " + errno_text(err));
      notes.push_back("not bound to numa node " + std::to_string(p.numa_node) +
                      ": mbind: " + errno_text(err));
    } else {
      return error{error_code::kInvalidArgument, "numa node " + std::to_string(p.numa_node) +
                                                     ": mbind refused: " + errno_text(err)};
    }
  }
  region.notice_ = join_notes(notes);
  return region;
}

host_region::host_region(host_region&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapping_(std::exchange(other.mapping_, nullptr)),
      mapping_size_(std::exchange(other.mapping_size_, 0)),
      placement_(other.placement_),
      numa_bound_(std::exchange(other.numa_bound_, false)),
      notice_(std::move(other.notice_)) {}

host_region& host_region::operator=(host_region&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapping_ = std::exchange(other.mapping_, nullptr);
    mapping_size_ = std::exchange(other.mapping_size_, 0);
    placement_ = other.placement_;
    numa_bound_ = std::exchange(other.numa_bound_, false);
    notice_ = std::move(other.notice_);
  }
  return *this;
}

host_region::~host_region() {
  release();
}

void host_region::release() noexcept {
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_size_);
  mapping_ = nullptr;
  data_ = nullptr;
}

memory_report host_region::report() const {
  memory_report r;
  r.bytes = size_;
  r.thp_requested = placement_.thp;
  r.numa_node = placement_.numa_node;
  r.numa_bound = numa_bound_;
  r.thp_system = thp_system_mode();
  const uint64_t start = reinterpret_cast<uint64_t>(data_);
  r.alignment = start == 0 ? 0 : std::min(start & (~start + 1), uint64_t{1} << 30);
  std::vector<std::string> notes{notice_};
  if (placement_.thp == thp_mode::kOn && r.thp_system != "madvise" && r.thp_system != "always") {
    notes.push_back("transparent huge pages are " + r.thp_system +
                    " on this host: the huge page advice has no effect");
  }
  if (data_ == nullptr) {
    r.notice = join_notes(notes);
    return r;
  }

  if (const std::optional<std::string> smaps = read_file("/proc/self/smaps"); !smaps) {
    notes.push_back("cannot read /proc/self/smaps: " + errno_text(errno));
  } else {
    const range_usage u = usage_in_range(parse_smaps(*smaps), start, size_);
    r.resident_bytes = u.resident_bytes;
    r.huge_bytes = u.huge_bytes;
    switch (placement_.thp) {
      case thp_mode::kOn: r.thp_advice_visible = u.all_flag_hg; break;
      case thp_mode::kOff: r.thp_advice_visible = u.all_flag_nh; break;
      case thp_mode::kSystem:
        r.thp_advice_visible = u.mappings > 0 && !u.all_flag_hg && !u.all_flag_nh;
        break;
    }
    if (u.mappings == 0) notes.push_back("the region is missing from /proc/self/smaps");
    if (!u.exact) notes.push_back("the region shares a mapping: its smaps sizes include another");
  }
  r.huge_share = r.resident_bytes == 0
                     ? 0.0
                     : static_cast<double>(r.huge_bytes) / static_cast<double>(r.resident_bytes);

  const numa_support s = numa_status();
  r.numa_available = s.available;
  if (s.available) {
    result<node_sample> sample = sample_nodes(data_, size_);
    if (sample.ok()) {
      r.pages_per_node = std::move(sample.value().pages_per_node);
      r.pages_sampled = sample.value().sampled;
    } else {
      notes.push_back("placement not verified: " + sample.err().message);
    }
  }
  r.notice = join_notes(notes);
  return r;
}

namespace detail {

void override_numa_support(std::optional<numa_support> support) {
  numa_state& st = state();
  std::lock_guard lock(st.mutex);
  st.forced = std::move(support);
}

void reset_numa_notice() {
  numa_state& st = state();
  std::lock_guard lock(st.mutex);
  st.pending_notice.clear();
  st.notice_given = false;
}

}  // namespace detail
}  // namespace vm::mem
