#include "tlb/tlb_config.h"

#include <charconv>
#include <vector>

#include "tlb/prefetch/prefetch_registry.h"
#include "tlb/replacement/replacement_registry.h"

namespace vm::tlb {
namespace {

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

template <class T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

bool power_of_two(uint64_t n) {
  return n != 0 && (n & (n - 1)) == 0;
}

std::string geometry_text(const level_geometry& g) {
  return std::to_string(g.sets) + "x" + std::to_string(g.ways);
}

struct design_info {
  design_kind kind;
  const char* name;
};
constexpr design_info kDesigns[] = {
    {design_kind::kDefault, "default"},   {design_kind::kHierarchy, "hierarchy"},
    {design_kind::kQemu, "qemu"},         {design_kind::kSharded, "sharded"},
    {design_kind::kLockFree, "lockfree"}, {design_kind::kPerCpu, "percpu"},
};

bool design_from_name(std::string_view name, design_kind& out) {
  for (const design_info& d : kDesigns)
    if (name == d.name) {
      out = d.kind;
      return true;
    }
  return false;
}

// Default geometry of each design's first level when l1= is not given.
level_geometry default_l1(design_kind kind) {
  switch (kind) {
    case design_kind::kSharded:
    case design_kind::kLockFree: return {1024, 4};
    case design_kind::kPerCpu: return {16, 4};
    default: return {16384, 1};
  }
}

// Which keys each design accepts.
bool key_applies(std::string_view key, design_kind kind) {
  const bool hierarchy = kind == design_kind::kHierarchy;
  if (key == "design") return true;
  if (key == "l1") return kind != design_kind::kQemu && kind != design_kind::kDefault;
  if (key == "l2") return hierarchy || kind == design_kind::kPerCpu;
  if (key == "l3" || key == "fill" || key == "prefetch" || key == "pb" || key == "degree" ||
      key == "latency")
    return hierarchy;
  if (key == "repl" || key == "seed") return hierarchy;
  if (key == "entries" || key == "resize" || key == "window") return kind == design_kind::kQemu;
  if (key == "shards") return kind == design_kind::kSharded;
  return false;
}

constexpr const char* kKeys =
    "design, l1, l2, l3, fill, repl, prefetch, pb, degree, latency, seed, entries, resize, "
    "window, shards";

}  // namespace

const char* design_name(design_kind kind) noexcept {
  for (const design_info& d : kDesigns)
    if (d.kind == kind) return d.name;
  return "?";
}

uint64_t tlb_config::total_entries() const noexcept {
  if (design == design_kind::kQemu) return uint64_t{qemu_entries} + 8;
  if (design == design_kind::kDefault) return 16384;
  uint64_t n = 0;
  for (unsigned i = 0; i < level_count; ++i) n += levels[i].entries();
  return n;
}

std::string tlb_config_syntax() {
  return "expected 'default', 'l1=SETSxWAYS[,l2=SxW[,l3=SxW]][,fill=inclusive|exclusive]"
         "[,repl=" +
         replacement_policy_names() + "][,prefetch=" + prefetcher_names() +
         "][,pb=N][,degree=N][,latency=N][,seed=N]', 'qemu[,entries=2^k][,resize=on|off]"
         "[,window=N]', 'sharded[,l1=SxW][,shards=2^k]', 'lockfree[,l1=SxW]' or "
         "'percpu[,l1=SxW][,l2=SxW]'; sets are powers of two, l1 has 1-16 ways (sharded/lockfree 1-64), l2/l3 1-64";
}

std::string to_string(const tlb_config& c) {
  std::string s;
  auto add = [&](const std::string& item) {
    if (!s.empty()) s += ',';
    s += item;
  };
  switch (c.design) {
    case design_kind::kDefault: return "default";
    case design_kind::kQemu:
      add("qemu");
      add("entries=" + std::to_string(c.qemu_entries));
      add(std::string("resize=") + (c.qemu_resize ? "on" : "off"));
      add("window=" + std::to_string(c.qemu_window));
      return s;
    case design_kind::kHierarchy: break;
    default: add(design_name(c.design)); break;
  }
  static const char* const kLevelKeys[] = {"l1=", "l2=", "l3="};
  for (unsigned i = 0; i < c.level_count; ++i) add(kLevelKeys[i] + geometry_text(c.levels[i]));
  if (c.design == design_kind::kSharded) add("shards=" + std::to_string(c.shards));
  if (c.design == design_kind::kHierarchy) {
    add(std::string("fill=") + (c.fill == fill_policy::kExclusive ? "exclusive" : "inclusive"));
    if (c.level_count > 1) add("repl=" + c.repl);
    add("prefetch=" + c.prefetch);
    if (c.prefetch != "none") {
      add("pb=" + std::to_string(c.prefetch_buffer));
      add("degree=" + std::to_string(c.prefetch_degree));
      add("latency=" + std::to_string(c.prefetch_latency));
    }
    if (c.repl.rfind("random", 0) == 0 || c.repl.find("random") != std::string::npos)
      add("seed=" + std::to_string(c.seed));
  }
  return s;
}

result<tlb_config> parse_tlb_config(std::string_view text) {
  const std::string where = "--tlb " + quote(text) + ": ";
  auto bad = [&](const std::string& what) {
    return error{error_code::kInvalidArgument, where + what + "; " + tlb_config_syntax()};
  };
  tlb_config c;
  if (text == "default") return c;
  if (text.empty()) return bad("empty configuration");

  // Split, and find the design first: a bare name or design=NAME; l1=
  // alone implies the hierarchy.
  struct item {
    std::string_view key, value;
  };
  std::vector<item> items;
  bool design_given = false;
  for (size_t start = 0; start <= text.size();) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view part = text.substr(start, comma - start);
    start = comma + 1;
    if (part.empty()) return bad("an empty item");
    const size_t eq = part.find('=');
    std::string_view key = part.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
    if (eq == std::string_view::npos) {
      design_kind kind;
      if (!design_from_name(part, kind)) return bad(quote(part) + " is neither key=value nor a design name");
      key = "design";
      value = part;
    }
    if (key.empty()) return bad(quote(part) + " has no key");
    for (const item& i : items)
      if (i.key == key) return bad(quote(key) + " is given twice");
    if (key == "design") {
      if (!design_from_name(value, c.design) || c.design == design_kind::kDefault)
        return bad("unknown design " + quote(value) +
                   " (known: hierarchy, qemu, sharded, lockfree, percpu)");
      design_given = true;
    }
    items.push_back({key, value});
  }
  if (!design_given) {
    bool has_l1 = false;
    for (const item& i : items) has_l1 = has_l1 || i.key == "l1";
    if (!has_l1) return bad("no design: give l1=SETSxWAYS or a design name");
    c.design = design_kind::kHierarchy;
  }

  level_geometry given[kMaxTlbLevels] = {};
  for (const item& i : items) {
    const std::string_view key = i.key, value = i.value;
    const std::string what = quote(std::string(key) + "=" + std::string(value));
    if (key.size() == 2 && key[0] == 'l' && key[1] >= '4' && key[1] <= '9')
      return bad("more levels than supported: " + quote(key) + " (at most l1, l2, l3)");
    const bool known = key == "design" || key == "l1" || key == "l2" || key == "l3" ||
                       key == "fill" || key == "repl" || key == "prefetch" || key == "pb" ||
                       key == "degree" || key == "latency" || key == "seed" || key == "entries" ||
                       key == "resize" || key == "window" || key == "shards";
    if (!known) return bad("unknown key " + quote(key) + " (keys: " + kKeys + ")");
    if (!key_applies(key, c.design))
      return bad(quote(key) + " does not apply to design " + design_name(c.design));
    if (key == "design") continue;
    if (key == "l1" || key == "l2" || key == "l3") {
      const unsigned index = static_cast<unsigned>(key[1] - '1');
      level_geometry g;
      const size_t x = value.find('x');
      if (x == std::string_view::npos || !parse_number(value.substr(0, x), g.sets) ||
          !parse_number(value.substr(x + 1), g.ways))
        return bad(what + " is not a geometry SETSxWAYS (e.g. l1=16x4)");
      if (g.ways == 0) return bad(what + ": zero ways");
      if (!power_of_two(g.sets))
        return bad(what + ": the set count " + std::to_string(g.sets) +
                   " is not a power of two");
      // The front keeps way counts small (its hit path compares every way);
      // a shared table is a level like L2.
      const bool shared_table =
          c.design == design_kind::kSharded || c.design == design_kind::kLockFree;
      const unsigned max_ways = index == 0 && !shared_table ? kMaxFrontWays : kMaxLevelWays;
      if (g.ways > max_ways)
        return bad(what + ": " + std::to_string(g.ways) + " ways; " + std::string(key) +
                   " takes at most " + std::to_string(max_ways));
      if (uint64_t{g.sets} * g.ways > kMaxLevelEntries)
        return bad(what + ": more than " + std::to_string(kMaxLevelEntries) + " entries");
      given[index] = g;
    } else if (key == "fill") {
      if (value == "inclusive")
        c.fill = fill_policy::kInclusive;
      else if (value == "exclusive")
        c.fill = fill_policy::kExclusive;
      else
        return bad(what + ": fill is inclusive or exclusive");
    } else if (key == "repl") {
      auto policy = make_replacement_policy(value, 1);
      if (!policy.ok()) return bad(what + ": " + policy.err().message);
      c.repl = std::string(value);
    } else if (key == "prefetch") {
      auto p = make_prefetcher(value);
      if (!p.ok()) return bad(what + ": " + p.err().message);
      c.prefetch = std::string(value);
    } else if (key == "resize") {
      if (value == "on")
        c.qemu_resize = true;
      else if (value == "off")
        c.qemu_resize = false;
      else
        return bad(what + ": resize is on or off");
    } else {
      uint64_t n = 0;
      if (!parse_number(value, n)) return bad(what + " is not a number");
      if (key == "seed") {
        c.seed = n;
        continue;
      }
      if (key == "latency") {
        c.prefetch_latency = n;
        continue;
      }
      if (key == "window") {
        if (n == 0) return bad(what + ": the window must be at least 1 lookup");
        c.qemu_window = n;
        continue;
      }
      if (key == "pb" && (n < 1 || n > 1024)) return bad(what + ": pb is 1..1024 entries");
      if (key == "degree" && (n < 1 || n > 16)) return bad(what + ": degree is 1..16");
      if (key == "entries" && (!power_of_two(n) || n < 64 || n > (uint64_t{1} << 22)))
        return bad(what + ": entries is a power of two from 64 (2^6) to 4194304 (2^22)");
      if (key == "shards" && (!power_of_two(n) || n > 1024))
        return bad(what + ": shards is a power of two up to 1024");
      const auto v = static_cast<unsigned>(n);
      if (key == "pb") c.prefetch_buffer = v;
      if (key == "degree") c.prefetch_degree = v;
      if (key == "entries") c.qemu_entries = v;
      if (key == "shards") c.shards = v;
    }
  }

  if (c.design == design_kind::kQemu) return c;
  if (given[0].sets == 0) given[0] = default_l1(c.design);
  if (given[2].sets != 0 && given[1].sets == 0) return bad("l3 without l2");
  for (unsigned i = 0; i < kMaxTlbLevels && given[i].sets != 0; ++i) {
    c.levels[i] = given[i];
    c.level_count = i + 1;
  }
  if (c.design == design_kind::kSharded && c.shards > c.levels[0].sets)
    return bad("shards=" + std::to_string(c.shards) + " exceeds the " +
               std::to_string(c.levels[0].sets) + " sets of l1");
  return c;
}

hierarchy_parts make_hierarchy_parts(const tlb_config& c) {
  hierarchy_parts parts;
  parts.fill = c.fill;
  for (unsigned i = 1; i < c.level_count; ++i) {
    auto policy = make_replacement_policy(c.repl, c.seed + i);
    parts.levels.emplace_back(c.levels[i].sets, c.levels[i].ways, std::move(policy).value());
  }
  auto p = make_prefetcher(c.prefetch);
  prefetch_options o;
  o.buffer_entries = c.prefetch_buffer;
  o.degree = c.prefetch_degree;
  o.latency = c.prefetch_latency;
  parts.prefetch = std::make_unique<prefetch_unit>(std::move(p).value(), o);
  return parts;
}

}  // namespace vm::tlb
