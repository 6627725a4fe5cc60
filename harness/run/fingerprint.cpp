#include "run/fingerprint.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>

#include "common/text.h"
#include "git_info.h"
#include "mem/host_memory.h"
#include "simd/memory_kernel.h"
#include "trace/trace_writer.h"

// The build's description comes from the harness library's compile
// definitions (harness/CMakeLists.txt); a build without them would record
// a fingerprint that says nothing, so it is refused here.
#if !defined(VMBENCH_VERSION) || !defined(VMBENCH_BUILD_TYPE) || !defined(VMBENCH_CXX_COMPILER) || \
    !defined(VMBENCH_CXX_FLAGS)
#error "fingerprint.cpp needs the VMBENCH_* definitions of harness/CMakeLists.txt"
#endif

namespace vm::harness {
namespace {

constexpr const char* kUnknown = "unknown";
// /proc/cpuinfo of a 512-cpu machine is about 1 MiB; anything larger than
// this is not a file we want to hold in memory.
constexpr size_t kMaxFileBytes = 16 << 20;
// An online-cpu list is trusted up to this many cpus (Linux's NR_CPUS
// maximum is 8192); a larger (fake or corrupt) list counts as unreadable.
constexpr unsigned kMaxCpus = 1 << 16;
// machine_differences() names at most this many flags per line.
constexpr size_t kMaxFlagsListed = 16;

// The whole file, or nothing when it cannot be opened or read (or is
// unreasonably large). /proc and /sys files report size 0, so read to EOF.
std::optional<std::string> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || text.size() + static_cast<size_t>(n) > kMaxFileBytes) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

std::string trim(std::string_view s) {
  const auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The first line of a one-value file (sysfs, procfs sysctl), trimmed;
// nothing when the file cannot be read or holds only blanks.
std::optional<std::string> read_value(const std::string& path) {
  const auto text = read_file(path);
  if (!text) return std::nullopt;
  std::string value = trim(text->substr(0, text->find('\n')));
  if (value.empty()) return std::nullopt;
  return value;
}

// A kernel cpu list ("0-3,8,10-11", as in /sys/devices/system/cpu/online),
// in increasing order; nothing when malformed or larger than kMaxCpus.
std::optional<std::vector<unsigned>> parse_cpu_list(const std::string& text) {
  std::set<unsigned> cpus;
  std::istringstream in(trim(text));
  for (std::string range; std::getline(in, range, ',');) {
    const char* first = range.data();
    const char* last = range.data() + range.size();
    unsigned low = 0, high = 0;
    auto r = std::from_chars(first, last, low);
    if (r.ec != std::errc()) return std::nullopt;
    high = low;
    if (r.ptr != last) {
      if (*r.ptr != '-') return std::nullopt;
      r = std::from_chars(r.ptr + 1, last, high);
      if (r.ec != std::errc() || r.ptr != last || high < low) return std::nullopt;
    }
    if (high >= kMaxCpus) return std::nullopt;
    for (unsigned c = low; c <= high; ++c) cpus.insert(c);
  }
  if (cpus.empty()) return std::nullopt;
  return std::vector<unsigned>(cpus.begin(), cpus.end());
}

// The inverse of parse_cpu_list, for messages: {0,1,2,3,8} -> "0-3,8".
std::string format_cpu_list(const std::vector<unsigned>& cpus) {
  std::string out;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(cpus[i]);
    if (j > i) out += '-' + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

std::optional<std::vector<unsigned>> online_cpus(const std::string& sys_root) {
  const auto text = read_file(sys_root + "/devices/system/cpu/online");
  if (!text) return std::nullopt;
  return parse_cpu_list(*text);
}

std::string cpu_directory(const std::string& sys_root, unsigned cpu) {
  return sys_root + "/devices/system/cpu/cpu" + std::to_string(cpu);
}

// The model name of the first processor, and the union of every
// processor's flags (x86 "flags", arm64 "Features"): cores of one machine
// normally list the same ones, and the union keeps a heterogeneous machine
// distinct from a homogeneous one.
void parse_cpuinfo(const std::string& text, machine_fingerprint& m) {
  std::set<std::string> flags;
  bool have_model = false;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(std::string_view(line).substr(0, colon));
    const std::string value = trim(std::string_view(line).substr(colon + 1));
    if (key == "model name" && !have_model && !value.empty()) {
      m.cpu_model = value;
      have_model = true;
    } else if (key == "flags" || key == "Features") {
      for (std::string& f : split_words(value)) flags.insert(std::move(f));
    }
  }
  m.cpu_flags.assign(flags.begin(), flags.end());
}

// MemTotal in bytes; 0 when absent or malformed.
uint64_t parse_mem_total(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("MemTotal:", 0) != 0) continue;
    const std::vector<std::string> words = split_words(line.substr(9));
    if (words.empty()) return 0;
    uint64_t value = 0;
    const auto r = std::from_chars(words[0].data(), words[0].data() + words[0].size(), value);
    if (r.ec != std::errc() || r.ptr != words[0].data() + words[0].size()) return 0;
    // The kernel always writes "kB" (meaning KiB); a bare number is bytes.
    const uint64_t unit = words.size() > 1 && lowercase(words[1]) == "kb" ? 1024 : 1;
    if (value > UINT64_MAX / unit) return 0;
    return value * unit;
  }
  return 0;
}

// "always [madvise] never" -> "madvise".
std::string parse_bracketed(const std::string& text) {
  const size_t open = text.find('[');
  const size_t close = text.find(']', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos || close == open + 1) return kUnknown;
  return text.substr(open + 1, close - open - 1);
}

// The flag tokens "-fsanitize=..." in a flag string, space-separated.
std::string sanitizer_flags(const std::string& flags) {
  std::string out;
  for (const std::string& word : split_words(flags)) {
    if (word.rfind("-fsanitize=", 0) != 0) continue;
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out;
}

// Drops every occurrence of `what` from `s`.
void erase_all(std::string& s, std::string_view what) {
  for (size_t at; (at = s.find(what)) != std::string::npos;) s.erase(at, what.size());
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void read_string(const nlohmann::json& object, const char* key, std::string& out) {
  const auto it = object.find(key);
  if (it != object.end() && it->is_string()) out = it->get<std::string>();
}

template <class T>
void read_unsigned(const nlohmann::json& object, const char* key, T& out) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_unsigned()) return;
  const uint64_t value = it->get<uint64_t>();
  if (value <= std::numeric_limits<T>::max()) out = static_cast<T>(value);
}

std::string memory_text(uint64_t bytes) {
  return std::to_string(bytes >> 20) + " MiB";
}

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

std::string build_type_text(const std::string& type) {
  return type.empty() ? "(none)" : type;
}

// The calling thread's affinity mask, in increasing cpu order.
result<std::vector<unsigned>> current_affinity() {
  // The kernel refuses (EINVAL) a mask smaller than its own cpu count:
  // grow until it fits.
  for (int bits = 1024; bits <= static_cast<int>(kMaxCpus); bits *= 2) {
    cpu_set_t* set = CPU_ALLOC(bits);
    if (set == nullptr) return error{error_code::kOutOfMemory, "cannot allocate a cpu set"};
    const size_t size = CPU_ALLOC_SIZE(bits);
    CPU_ZERO_S(size, set);
    if (::sched_getaffinity(0, size, set) != 0) {
      const int e = errno;
      CPU_FREE(set);
      if (e == EINVAL) continue;
      return error{error_code::kIo, std::string("sched_getaffinity: ") + std::strerror(e)};
    }
    std::vector<unsigned> cpus;
    for (int c = 0; c < bits; ++c)
      if (CPU_ISSET_S(c, size, set)) cpus.push_back(static_cast<unsigned>(c));
    CPU_FREE(set);
    return cpus;
  }
  return error{error_code::kUnsupported,
               "sched_getaffinity: more than " + std::to_string(kMaxCpus) + " cpus"};
}

}  // namespace

machine_fingerprint read_machine_fingerprint(const std::string& proc_root,
                                             const std::string& sys_root, int cpu) {
  machine_fingerprint m;
  if (const auto cpuinfo = read_file(proc_root + "/cpuinfo")) parse_cpuinfo(*cpuinfo, m);
  if (const auto meminfo = read_file(proc_root + "/meminfo"))
    m.memory_bytes = parse_mem_total(*meminfo);

  if (const auto online = online_cpus(sys_root)) {
    m.logical_cpus = static_cast<unsigned>(online->size());
  } else {
    const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    m.logical_cpus = n > 0 ? static_cast<unsigned>(n) : 0;
  }

  const unsigned governor_cpu = cpu < 0 ? 0 : static_cast<unsigned>(cpu);
  m.governor = read_value(cpu_directory(sys_root, governor_cpu) + "/cpufreq/scaling_governor")
                   .value_or(kUnknown);
  if (const auto thp = read_file(sys_root + "/kernel/mm/transparent_hugepage/enabled"))
    m.thp = parse_bracketed(*thp);

  struct utsname names;
  if (::uname(&names) == 0) {
    m.kernel = std::string(names.sysname) + " " + names.release + " " + names.version + " " +
               names.machine;
    m.hostname = names.nodename;
  }
  return m;
}

build_fingerprint read_build_fingerprint() {
  build_fingerprint b;
  b.vmbench_version = VMBENCH_VERSION;
  b.compiler = trim(VMBENCH_CXX_COMPILER);
  // CMake joins CMAKE_CXX_FLAGS and the build type's flags with a space,
  // either of which may be empty.
  b.flags = trim(VMBENCH_CXX_FLAGS);
  b.build_type = VMBENCH_BUILD_TYPE;
  b.git_commit = VMBENCH_GIT_COMMIT;
  b.git_branch = VMBENCH_GIT_BRANCH;
  b.git_dirty = VMBENCH_GIT_DIRTY;
  auto hash = vm::trace::hash_file("/proc/self/exe");
  b.binary_hash = hash.ok() ? std::move(hash).value() : kUnknown;
  return b;
}

host_memory_fingerprint read_host_memory_fingerprint() {
  host_memory_fingerprint h;
  h.memcpy_kernel = simd::active_kernel().name;
  if (const char* forced = std::getenv("VM_FORCE_MEMCPY")) h.memcpy_forced = forced;
  h.non_temporal_threshold = simd::non_temporal_threshold();
  const mem::placement p = mem::default_placement();
  h.thp = std::string(mem::thp_mode_name(p.thp));
  h.numa_node = p.numa_node;
  h.numa_nodes = static_cast<unsigned>(mem::memory_nodes().size());
  h.numa_available = mem::numa_status().available;
  return h;
}

fingerprint read_fingerprint(int cpu) {
  return fingerprint{read_machine_fingerprint("/proc", "/sys", cpu), read_build_fingerprint(),
                     read_host_memory_fingerprint()};
}

nlohmann::json to_json(const fingerprint& fp) {
  const machine_fingerprint& m = fp.machine;
  const build_fingerprint& b = fp.build;
  const host_memory_fingerprint& h = fp.host_memory;
  return nlohmann::json{{"machine",
                         {{"cpu_model", m.cpu_model},
                          {"cpu_flags", m.cpu_flags},
                          {"logical_cpus", m.logical_cpus},
                          {"memory_bytes", m.memory_bytes},
                          {"kernel", m.kernel},
                          {"governor", m.governor},
                          {"thp", m.thp},
                          {"hostname", m.hostname}}},
                        {"build",
                         {{"vmbench_version", b.vmbench_version},
                          {"compiler", b.compiler},
                          {"flags", b.flags},
                          {"build_type", b.build_type},
                          {"git_commit", b.git_commit},
                          {"git_branch", b.git_branch},
                          {"git_dirty", b.git_dirty},
                          {"binary_hash", b.binary_hash}}},
                        {"host_memory",
                         {{"memcpy_kernel", h.memcpy_kernel},
                          {"memcpy_forced", h.memcpy_forced},
                          {"non_temporal_threshold", h.non_temporal_threshold},
                          {"thp", h.thp},
                          {"numa_node", h.numa_node},
                          {"numa_nodes", h.numa_nodes},
                          {"numa_available", h.numa_available},
                          {"guest_ram_resident_bytes", h.guest_ram_resident_bytes},
                          {"guest_ram_huge_bytes", h.guest_ram_huge_bytes},
                          {"guest_ram_huge_share", h.guest_ram_huge_share}}}};
}

fingerprint fingerprint_from_json(const nlohmann::json& j) {
  fingerprint fp;
  if (!j.is_object()) return fp;
  if (const auto it = j.find("machine"); it != j.end() && it->is_object()) {
    const nlohmann::json& o = *it;
    machine_fingerprint& m = fp.machine;
    read_string(o, "cpu_model", m.cpu_model);
    if (const auto flags = o.find("cpu_flags"); flags != o.end() && flags->is_array()) {
      for (const nlohmann::json& f : *flags)
        if (f.is_string()) m.cpu_flags.push_back(f.get<std::string>());
    }
    read_unsigned(o, "logical_cpus", m.logical_cpus);
    read_unsigned(o, "memory_bytes", m.memory_bytes);
    read_string(o, "kernel", m.kernel);
    read_string(o, "governor", m.governor);
    read_string(o, "thp", m.thp);
    read_string(o, "hostname", m.hostname);
  }
  if (const auto it = j.find("build"); it != j.end() && it->is_object()) {
    const nlohmann::json& o = *it;
    build_fingerprint& b = fp.build;
    read_string(o, "vmbench_version", b.vmbench_version);
    read_string(o, "compiler", b.compiler);
    read_string(o, "flags", b.flags);
    read_string(o, "build_type", b.build_type);
    read_string(o, "git_commit", b.git_commit);
    read_string(o, "git_branch", b.git_branch);
    read_string(o, "git_dirty", b.git_dirty);
    read_string(o, "binary_hash", b.binary_hash);
  }
  if (const auto it = j.find("host_memory"); it != j.end() && it->is_object()) {
    const nlohmann::json& o = *it;
    host_memory_fingerprint& h = fp.host_memory;
    read_string(o, "memcpy_kernel", h.memcpy_kernel);
    read_string(o, "memcpy_forced", h.memcpy_forced);
    read_unsigned(o, "non_temporal_threshold", h.non_temporal_threshold);
    read_string(o, "thp", h.thp);
    if (const auto n = o.find("numa_node"); n != o.end() && n->is_number_integer())
      h.numa_node = n->get<int>();
    read_unsigned(o, "numa_nodes", h.numa_nodes);
    if (const auto n = o.find("numa_available"); n != o.end() && n->is_boolean())
      h.numa_available = n->get<bool>();
    read_unsigned(o, "guest_ram_resident_bytes", h.guest_ram_resident_bytes);
    read_unsigned(o, "guest_ram_huge_bytes", h.guest_ram_huge_bytes);
    if (const auto n = o.find("guest_ram_huge_share"); n != o.end() && n->is_number())
      h.guest_ram_huge_share = n->get<double>();
  }
  return fp;
}

std::string machine_name(const machine_fingerprint& m) {
  // Vendor decorations carry no information about the machine: the
  // trademark signs, "CPU"/"Processor", the core count the model number
  // already implies ("64-Core", "Quad-Core") and the nominal clock after '@'.
  std::string model = lowercase(m.cpu_model);
  model = model.substr(0, model.find('@'));
  erase_all(model, "(r)");
  erase_all(model, "(tm)");
  std::string words;
  for (const std::string& word : split_words(model)) {
    if (word == "cpu" || word == "processor" || ends_with(word, "-core")) continue;
    words += word + ' ';
  }
  // Everything but [a-z0-9] becomes one '-', none at either end; the
  // length is capped so that the name stays usable as a file name.
  constexpr size_t kMaxSlug = 64;
  std::string slug;
  for (const char c : words) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (keep) {
      slug += c;
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
    if (slug.size() >= kMaxSlug) break;
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  if (slug.empty() || slug == kUnknown) slug = "unknown-cpu";
  return slug + "-" + std::to_string(m.logical_cpus) + "c";
}

std::vector<std::string> machine_differences(const machine_fingerprint& a,
                                             const machine_fingerprint& b) {
  std::vector<std::string> lines;
  if (a.cpu_model != b.cpu_model)
    lines.push_back("cpu model: " + a.cpu_model + " vs " + b.cpu_model);

  // Set differences need sorted, unique input; results read from files are,
  // but a hand-edited one may not be.
  std::set<std::string> fa(a.cpu_flags.begin(), a.cpu_flags.end());
  std::set<std::string> fb(b.cpu_flags.begin(), b.cpu_flags.end());
  std::vector<std::string> changes;
  for (const std::string& f : fb)
    if (!fa.count(f)) changes.push_back("+" + f);
  for (const std::string& f : fa)
    if (!fb.count(f)) changes.push_back("-" + f);
  if (!changes.empty()) {
    std::string line = "cpu flags:";
    for (size_t i = 0; i < changes.size() && i < kMaxFlagsListed; ++i) line += " " + changes[i];
    if (changes.size() > kMaxFlagsListed)
      line += " (and " + std::to_string(changes.size() - kMaxFlagsListed) + " more)";
    lines.push_back(line);
  }

  if (a.logical_cpus != b.logical_cpus)
    lines.push_back("logical cpus: " + std::to_string(a.logical_cpus) + " vs " +
                    std::to_string(b.logical_cpus));
  return lines;
}

std::vector<std::string> minor_differences(const fingerprint& a, const fingerprint& b) {
  std::vector<std::string> lines;
  const auto differ = [&lines](const char* what, const std::string& x, const std::string& y) {
    if (x != y) lines.push_back(std::string(what) + ": " + x + " vs " + y);
  };
  differ("kernel", a.machine.kernel, b.machine.kernel);
  differ("cpu frequency governor", a.machine.governor, b.machine.governor);
  differ("transparent huge pages", a.machine.thp, b.machine.thp);
  if (a.machine.memory_bytes != b.machine.memory_bytes) {
    // Equal in MiB but not in bytes: show the bytes, or the line reads "X vs X".
    const bool same_mib = a.machine.memory_bytes >> 20 == b.machine.memory_bytes >> 20;
    differ("memory",
           same_mib ? std::to_string(a.machine.memory_bytes) + " bytes"
                    : memory_text(a.machine.memory_bytes),
           same_mib ? std::to_string(b.machine.memory_bytes) + " bytes"
                    : memory_text(b.machine.memory_bytes));
  }
  differ("compiler", a.build.compiler, b.build.compiler);
  // Results from before the host memory section have "unknown": no news.
  const auto differ_known = [&](const char* what, const std::string& x, const std::string& y) {
    if (x != kUnknown && y != kUnknown) differ(what, x, y);
  };
  differ_known("memcpy kernel", a.host_memory.memcpy_kernel, b.host_memory.memcpy_kernel);
  differ_known("guest RAM huge pages", a.host_memory.thp, b.host_memory.thp);
  if (a.build.flags != b.build.flags)
    lines.push_back("compiler flags: " + quoted(a.build.flags) + " vs " + quoted(b.build.flags));
  differ("build type", build_type_text(a.build.build_type), build_type_text(b.build.build_type));
  return lines;
}

std::vector<std::string> system_warnings(const fingerprint& fp, const std::string& proc_root,
                                         const std::string& sys_root) {
  std::vector<std::string> warnings;
  const std::string cpu_root = sys_root + "/devices/system/cpu";

  // Frequency scaling. Google Benchmark warns when any cpu's governor is not
  // "performance"; a cpu without cpufreq (most virtual machines) is not
  // scaled by the guest and gives no warning.
  std::vector<unsigned> cpus;
  if (const auto online = online_cpus(sys_root)) {
    cpus = *online;
  } else {
    for (unsigned c = 0; c < std::max(fp.machine.logical_cpus, 1u); ++c) cpus.push_back(c);
  }
  std::map<std::string, std::vector<unsigned>> scaled;  // governor -> cpus
  for (const unsigned c : cpus) {
    const auto governor = read_value(cpu_directory(sys_root, c) + "/cpufreq/scaling_governor");
    if (governor && *governor != "performance") scaled[*governor].push_back(c);
  }
  if (!scaled.empty()) {
    std::string which;
    for (const auto& [governor, on] : scaled) {
      if (!which.empty()) which += ", ";
      which +=
          "governor " + governor + " on cpu" + (on.size() > 1 ? "s " : " ") + format_cpu_list(on);
    }
    warnings.push_back("CPU scaling is enabled (" + which +
                       "), the benchmark real time measurements may be noisy and will incur extra "
                       "overhead: set the performance governor (cpupower frequency-set -g "
                       "performance)");
  }
  // pyperf's advice: a turbo clock depends on temperature and on how many
  // cores are busy, so it varies between and within runs.
  if (read_value(cpu_root + "/intel_pstate/no_turbo") == "0")
    warnings.push_back(
        "Intel turbo boost is enabled (intel_pstate/no_turbo is 0), the clock varies with "
        "temperature and load: disable it (echo 1 > "
        "/sys/devices/system/cpu/intel_pstate/no_turbo)");
  if (read_value(cpu_root + "/cpufreq/boost") == "1")
    warnings.push_back(
        "CPU boost is enabled (cpufreq/boost is 1), the clock varies with temperature and load: "
        "disable it (echo 0 > /sys/devices/system/cpu/cpufreq/boost)");

  // Load: at one runnable task per cpu on average, the benchmark shares its
  // cpu or its caches with other work. (Not lower: the benchmark itself, and
  // the benchmark process that ran just before it, already count up to 1 in
  // the decaying 1-minute average; at 0.5 per cpu every back-to-back run on a
  // 2-cpu machine warned.)
  if (const auto loadavg = read_file(proc_root + "/loadavg")) {
    const std::vector<std::string> fields = split_words(*loadavg);
    double load = 0;
    if (!fields.empty()) {
      const std::string& f = fields[0];
      const auto r = std::from_chars(f.data(), f.data() + f.size(), load);
      const unsigned cpus_online = std::max(fp.machine.logical_cpus, 1u);
      if (r.ec == std::errc() && r.ptr == f.data() + f.size() && load >= 1.0 * cpus_online) {
        char text[64];
        std::snprintf(text, sizeof text, "%.2f", load);
        warnings.push_back("high load: the 1-minute load average is " + std::string(text) + " on " +
                           std::to_string(cpus_online) +
                           " logical cpus (warned from 1 per cpu), other processes compete with "
                           "the benchmark");
      }
    }
  }

  // ASLR: pyperf recommends full randomization (2) so that the effects of
  // one memory layout average out across processes instead of biasing every
  // run the same way.
  if (const auto aslr = read_value(proc_root + "/sys/kernel/randomize_va_space");
      aslr && *aslr != "2")
    warnings.push_back("ASLR is not fully enabled (kernel.randomize_va_space is " + *aslr +
                       ", not 2), so one memory layout's effects do not average out across "
                       "processes: sysctl -w kernel.randomize_va_space=2");

  // The build.
  const std::string type = lowercase(fp.build.build_type);
  if (type != "release" && type != "relwithdebinfo") {
    warnings.push_back(fp.build.build_type.empty()
                           ? "timings of a build without CMAKE_BUILD_TYPE (not optimised) are not "
                             "representative"
                           : "timings of a " + fp.build.build_type +
                                 " build are not representative (use Release or RelWithDebInfo)");
  }
  if (const std::string sanitizers = sanitizer_flags(fp.build.flags); !sanitizers.empty())
    warnings.push_back("timings of a sanitizer build (" + sanitizers + ") are not representative");
  if (fp.build.git_dirty == "true")
    warnings.push_back("results are from uncommitted changes (the git tree at " +
                       fp.build.git_commit.substr(0, 12) + " on " + fp.build.git_branch +
                       " was dirty)");
  return warnings;
}

result<int> pin_to_cpu(int cpu) {
  auto allowed = current_affinity();
  if (!allowed.ok()) return std::move(allowed).err();
  const std::vector<unsigned>& cpus = allowed.value();
  if (cpus.empty()) return error{error_code::kIo, "sched_getaffinity: empty affinity mask"};
  unsigned chosen = cpus.back();
  if (cpu >= 0) {
    chosen = static_cast<unsigned>(cpu);
    if (!std::binary_search(cpus.begin(), cpus.end(), chosen))
      return error{error_code::kInvalidArgument,
                   "cannot pin to cpu " + std::to_string(cpu) +
                       ": not in this process's affinity mask (cpus " + format_cpu_list(cpus) +
                       ")"};
  }
  const int bits = static_cast<int>(chosen) + 1;
  cpu_set_t* set = CPU_ALLOC(bits);
  if (set == nullptr) return error{error_code::kOutOfMemory, "cannot allocate a cpu set"};
  const size_t size = CPU_ALLOC_SIZE(bits);
  CPU_ZERO_S(size, set);
  CPU_SET_S(chosen, size, set);
  // pid 0: the calling thread only (sched_setaffinity(2)).
  const int rc = ::sched_setaffinity(0, size, set);
  const int e = errno;
  CPU_FREE(set);
  if (rc != 0)
    return error{error_code::kIo,
                 "cannot pin to cpu " + std::to_string(chosen) + ": " + std::strerror(e)};
  return static_cast<int>(chosen);
}

}  // namespace vm::harness
