// replacement_registry.cpp - the table of replacement policies (one line
// each) and the parser of adaptive:A:B.
#include "tlb/replacement/replacement_registry.h"

#include <algorithm>
#include <type_traits>

#include "tlb/replacement/adaptive/adaptive.h"
#include "tlb/replacement/clock/clock.h"
#include "tlb/replacement/fifo/fifo.h"
#include "tlb/replacement/lru/lru.h"
#include "tlb/replacement/random/random.h"
#include "tlb/replacement/srrip/srrip.h"
#include "tlb/replacement/tree_plru/tree_plru.h"

namespace vm::tlb {
namespace {

using policy_factory = std::unique_ptr<replacement_policy> (*)(uint64_t seed);

// Policies that take a seed get it; the others are default-constructed.
template <class Policy>
std::unique_ptr<replacement_policy> construct(uint64_t seed) {
  if constexpr (std::is_constructible_v<Policy, uint64_t>) {
    return std::make_unique<Policy>(seed);
  } else {
    (void)seed;
    return std::make_unique<Policy>();
  }
}

struct policy_entry {
  std::string_view name;   // canonical: what name() returns
  std::string_view alias;  // also accepted, or empty
  policy_factory make;
};

constexpr policy_entry kPolicies[] = {
    {"lru", "", construct<lru_policy>},
    {"tree-plru", "plru", construct<tree_plru_policy>},
    {"fifo", "", construct<fifo_policy>},
    {"random", "", construct<random_policy>},
    {"clock", "", construct<clock_policy>},
    {"srrip", "", construct<srrip_policy>},
};

constexpr std::string_view kAdaptive = "adaptive";
constexpr std::string_view kAdaptiveDefault = "adaptive:lru:srrip";
// The second component's seed: a different stream from the first's.
constexpr uint64_t kSecondSeedSalt = 0x9e3779b97f4a7c15;

const policy_entry* find_policy(std::string_view name) noexcept {
  for (const policy_entry& p : kPolicies) {
    if (name == p.name || (!p.alias.empty() && name == p.alias)) return &p;
  }
  return nullptr;
}

error bad_name(std::string what) {
  return {error_code::kInvalidArgument,
          what + "; accepted replacement policies: " + replacement_policy_names()};
}

// One component of adaptive:A:B (`which` is "A" or "B").
result<std::unique_ptr<replacement_policy>> make_component(std::string_view full,
                                                           std::string_view part,
                                                           const char* which, uint64_t seed) {
  if (part == kAdaptive) {
    return bad_name("replacement policy '" + std::string(full) + "': component " + which +
                    " 'adaptive' cannot itself be adaptive");
  }
  const policy_entry* p = find_policy(part);
  if (!p) {
    return bad_name("replacement policy '" + std::string(full) + "': unknown component " +
                    which + " '" + std::string(part) + "'");
  }
  return p->make(seed);
}

result<std::unique_ptr<replacement_policy>> make_adaptive(std::string_view full, uint64_t seed) {
  // full = "adaptive:A:B": exactly two more parts.
  std::string_view rest = full.substr(kAdaptive.size() + 1);
  const size_t colon = rest.find(':');
  if (colon == std::string_view::npos || rest.find(':', colon + 1) != std::string_view::npos) {
    const size_t parts = 1 + static_cast<size_t>(std::count(rest.begin(), rest.end(), ':'));
    return bad_name("replacement policy '" + std::string(full) + "': adaptive takes exactly two " +
                    "components (adaptive:A:B), got " + std::to_string(parts) + " ('" +
                    std::string(rest) + "')");
  }
  auto a = make_component(full, rest.substr(0, colon), "A", seed);
  if (!a.ok()) return std::move(a).err();
  auto b = make_component(full, rest.substr(colon + 1), "B", seed ^ kSecondSeedSalt);
  if (!b.ok()) return std::move(b).err();
  return std::unique_ptr<replacement_policy>(
      std::make_unique<adaptive_policy>(std::move(a).value(), std::move(b).value()));
}

}  // namespace

result<std::unique_ptr<replacement_policy>> make_replacement_policy(std::string_view name,
                                                                    uint64_t seed) {
  if (name == kAdaptive) name = kAdaptiveDefault;
  if (name.substr(0, kAdaptive.size() + 1) == "adaptive:") return make_adaptive(name, seed);
  if (const policy_entry* p = find_policy(name)) return p->make(seed);
  return bad_name("unknown replacement policy '" + std::string(name) + "'");
}

std::string replacement_policy_names() {
  std::string names;
  for (const policy_entry& p : kPolicies) {
    names += p.name;
    names += ", ";
  }
  return names + "adaptive[:A:B]";
}

}  // namespace vm::tlb
