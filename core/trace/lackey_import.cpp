#include "trace/lackey_import.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/format.h"
#include "trace/trace_writer.h"

namespace vm::trace {

namespace {

constexpr uint64_t kGranuleBytes = uint64_t{1} << kLackeyGranuleShift;
constexpr uint64_t kGranuleMask = kGranuleBytes - 1;
constexpr const char* kExpected = "expected \"I|L|S|M ADDRESS,SIZE\"";

// Maps 1 GiB granules of the input's address space into the 256 below
// 2^38: identity while a low granule is free, else the highest free one.
class granule_relocator {
 public:
  granule_relocator() { std::fill(std::begin(used_), std::end(used_), false); }

  // False when all 256 granules are taken.
  bool map(uint64_t from, uint64_t& to) {
    if (from == cached_from_) {
      to = cached_to_;
      return true;
    }
    auto it = table_.find(from);
    if (it == table_.end()) {
      uint64_t target = from;
      if (from >= kLackeyGranules || used_[from]) {
        target = kLackeyGranules;
        for (uint64_t t = kLackeyGranules; t-- > 0;) {
          if (!used_[t]) {
            target = t;
            break;
          }
        }
        if (target == kLackeyGranules) return false;
        relocations_.emplace_back(from, target);
      }
      used_[target] = true;
      it = table_.emplace(from, target).first;
    }
    cached_from_ = from;
    cached_to_ = it->second;
    to = it->second;
    return true;
  }

  const std::vector<std::pair<uint64_t, uint64_t>>& relocations() const noexcept {
    return relocations_;
  }

 private:
  bool used_[kLackeyGranules];
  std::unordered_map<uint64_t, uint64_t> table_;
  std::vector<std::pair<uint64_t, uint64_t>> relocations_;
  uint64_t cached_from_ = UINT64_MAX, cached_to_ = 0;
};

// The offending line, quoted: printable, at most 80 characters.
std::string quoted(std::string_view line) {
  std::string out = "\"";
  for (size_t i = 0; i < line.size() && i < 80; ++i) {
    const char c = line[i];
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '"') ? '?' : c;
  }
  if (line.size() > 80) out += "...";
  return out + "\"";
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  const char lower = static_cast<char>(c | 0x20);
  if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10;
  return -1;
}

// Valgrind's own lines: "==PID== ...", "--PID-- ...", "**PID** ...".
bool is_valgrind_message(std::string_view line) {
  return line.size() >= 3 && (line[0] == '=' || line[0] == '-' || line[0] == '*') &&
         line[1] == line[0] && line[2] >= '0' && line[2] <= '9';
}

class lackey_importer {
 public:
  lackey_importer(line_reader& in, trace_writer& writer, uint16_t cpu)
      : in_(in), writer_(writer), cpu_(cpu) {}

  error run() {
    std::string_view line;
    for (;;) {
      auto got = in_.next(line);
      if (!got.ok()) return std::move(got).err();
      if (!got.value()) return error::ok();
      VM_PROPAGATE(parse_line(line));
    }
  }

  const granule_relocator& relocator() const noexcept { return relocator_; }
  const touched_pages& touched() const noexcept { return touched_; }
  uint64_t split_accesses() const noexcept { return split_; }

 private:
  error parse_line(std::string_view line) {
    const char* p = line.data();
    const char* const end = p + line.size();
    while (p != end && is_blank(*p)) ++p;
    if (p == end) return error::ok();
    if (p == line.data() && is_valgrind_message(line)) return error::ok();
    const char op = *p++;
    if ((op != 'I' && op != 'L' && op != 'S' && op != 'M') || p == end || !is_blank(*p))
      return in_.fail(std::string(kExpected) + ", got " + quoted(line));
    while (p != end && is_blank(*p)) ++p;
    uint64_t address = 0;
    int digits = 0;
    for (int d; p != end && (d = hex_value(*p)) >= 0; ++p, ++digits)
      address = (address << 4) | static_cast<uint64_t>(d);
    if (digits == 0 || digits > 16 || p == end || *p != ',')
      return in_.fail(std::string(kExpected) + " with ADDRESS in hex (at most 16 digits), got " +
                      quoted(line));
    ++p;
    uint64_t size = 0;
    digits = 0;
    for (; p != end && *p >= '0' && *p <= '9'; ++p, ++digits)
      size = digits < 12 ? size * 10 + static_cast<uint64_t>(*p - '0') : UINT64_MAX;
    while (p != end && is_blank(*p)) ++p;
    if (digits == 0 || p != end)
      return in_.fail(std::string(kExpected) + " with SIZE in decimal, got " + quoted(line));
    if (size == 0 || size > kMaxImportedAccessBytes)
      return in_.fail(std::string(kExpected) + " with SIZE 1.." +
                      std::to_string(kMaxImportedAccessBytes) + ", got " + quoted(line));
    if (address > UINT64_MAX - (size - 1))
      return in_.fail(std::string(kExpected) + " for an access that ends below 2^64, got " +
                      quoted(line));
    switch (op) {
      case 'I': return emit(record_type::kFetch, address, size);
      case 'L': return emit(record_type::kRead, address, size);
      case 'S': return emit(record_type::kWrite, address, size);
      default:
        VM_PROPAGATE(emit(record_type::kRead, address, size));
        return emit(record_type::kWrite, address, size);
    }
  }

  error emit(record_type type, uint64_t address, uint64_t size) {
    for (;;) {
      const uint64_t room = kGranuleBytes - (address & kGranuleMask);
      const uint64_t part = std::min(size, room);
      uint64_t target;
      if (!relocator_.map(address >> kLackeyGranuleShift, target))
        return in_.fail("address " + hex(address) +
                        " needs a 257th 1 GiB granule: the trace touches more distinct 1 GiB "
                        "regions than the 256 of the Sv39 user half");
      record r;
      r.type = type;
      r.cpu = cpu_;
      r.size = static_cast<uint32_t>(part);
      r.address = (target << kLackeyGranuleShift) | (address & kGranuleMask);
      touched_.add(r.address, part, type);
      VM_PROPAGATE(writer_.append(r));
      if (part == size) return error::ok();
      ++split_;
      address += part;
      size -= part;
    }
  }

  line_reader& in_;
  trace_writer& writer_;
  uint16_t cpu_;
  granule_relocator relocator_;
  touched_pages touched_;
  uint64_t split_ = 0;
};

}  // namespace

result<import_summary> import_lackey(const std::string& input, const std::string& output,
                                     const lackey_options& options, trace_metadata base) {
  auto opened = line_reader::open(input);
  if (!opened.ok()) return std::move(opened).err();
  auto created = trace_writer::create(output, trace_kind::kMem);
  if (!created.ok()) return std::move(created).err();
  trace_writer& writer = *created.value();
  lackey_importer importer(*opened.value(), writer, options.cpu);
  VM_PROPAGATE(importer.run());

  import_summary summary;
  summary.records = writer.record_count();
  summary.lines = opened.value()->line_number();
  nlohmann::json relocations = nlohmann::json::array();
  for (const auto& [from, to] : importer.relocator().relocations())
    relocations.push_back(
        {{"from", hex(from << kLackeyGranuleShift)}, {"to", hex(to << kLackeyGranuleShift)}});
  summary.relocations = relocations.size();
  base.kind = trace_kind::kMem;
  base.source = "lackey";
  base.isa = "x86_64";  // lackey traces native host programs; addresses relocated into Sv39
  base.workload_name = options.workload_name.empty() ? base_name(input) : options.workload_name;
  base.workload_hash = opened.value()->digest();
  base.page_size = 4096;
  base.cpus = uint32_t{options.cpu} + 1;
  base.page_map = importer.touched().ranges();
  summary.page_ranges = base.page_map.size();
  base.extra = {{"relocations", std::move(relocations)},
                {"granule_bytes", kGranuleBytes},
                {"split_accesses", importer.split_accesses()}};
  VM_PROPAGATE(writer.finish(std::move(base)));
  return summary;
}

}  // namespace vm::trace
