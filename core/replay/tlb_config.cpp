#include "replay/tlb_config.h"

#include <charconv>
#include <vector>

#include "mmu/mmu.h"

namespace vm::replay {
namespace {

constexpr tlb_geometry kBuiltInL1{mmu::l1_tlb::kSets, mmu::l1_tlb::kWays};

std::string to_string(const tlb_geometry& g) {
  return std::to_string(g.sets) + "x" + std::to_string(g.ways);
}

// 'text', built by appending: GCC 12 reports a false -Wrestrict on
// `"'" + std::string(...)`.
std::string quote(std::string_view text) {
  std::string s;
  s.reserve(text.size() + 2);
  s += '\'';
  s += text;
  s += '\'';
  return s;
}

bool parse_unsigned(std::string_view s, unsigned& out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

// "SETSxWAYS", both positive integers.
bool parse_geometry(std::string_view s, tlb_geometry& out) {
  const size_t x = s.find('x');
  if (x == std::string_view::npos) return false;
  return parse_unsigned(s.substr(0, x), out.sets) && parse_unsigned(s.substr(x + 1), out.ways) &&
         out.sets > 0 && out.ways > 0;
}

}  // namespace

tlb_config::tlb_config() noexcept : l1(kBuiltInL1) {}

std::string to_string(const tlb_config& config) {
  return "l1=" + to_string(config.l1);
}

std::string supported_tlb_configs() {
  return "default, l1=" + to_string(kBuiltInL1);
}

result<tlb_config> parse_tlb_config(std::string_view text) {
  const std::string where = "--tlb " + quote(text) + ": ";
  auto malformed = [&](const std::string& what) {
    return error{
        error_code::kInvalidArgument,
        where + what + " (expected key=SETSxWAYS[,...], e.g. l1=" + to_string(kBuiltInL1) + ")"};
  };
  auto unsupported = [&](const std::string& what) {
    return error{error_code::kUnsupported,
                 where + what + "; supported: " + supported_tlb_configs()};
  };
  tlb_config config;
  if (text == "default") return config;
  if (text.empty()) return malformed("empty configuration");

  std::vector<std::string_view> seen;
  for (size_t start = 0; start <= text.size();) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view item = text.substr(start, comma - start);
    start = comma + 1;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return malformed(quote(item) + " is not key=value");
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = item.substr(eq + 1);
    for (std::string_view k : seen)
      if (k == key) return malformed(quote(key) + " is given twice");
    seen.push_back(key);
    if (key == "l1") {
      if (!parse_geometry(value, config.l1))
        return malformed(quote(value) + " is not a geometry SETSxWAYS");
      if (!(config.l1 == kBuiltInL1))
        return unsupported("an L1 of " + std::string(value) + " is not built in");
    } else {
      return unsupported("unknown key " + quote(key));
    }
  }
  return config;
}

}  // namespace vm::replay
