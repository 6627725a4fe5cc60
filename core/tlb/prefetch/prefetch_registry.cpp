#include "tlb/prefetch/prefetch_registry.h"

#include "tlb/prefetch/distance/distance_prefetcher.h"
#include "tlb/prefetch/markov/markov_prefetcher.h"
#include "tlb/prefetch/stride/stride_prefetcher.h"

namespace vm::tlb {
namespace {

struct entry {
  std::string_view name;
  std::unique_ptr<prefetcher> (*make)();
};

// One line per prefetcher; "none" first.
constexpr entry kPrefetchers[] = {
    {"none", [] { return std::unique_ptr<prefetcher>(); }},
    {"stride", [] { return std::unique_ptr<prefetcher>(std::make_unique<stride_prefetcher>()); }},
    {"markov", [] { return std::unique_ptr<prefetcher>(std::make_unique<markov_prefetcher>()); }},
    {"distance",
     [] { return std::unique_ptr<prefetcher>(std::make_unique<distance_prefetcher>()); }},
};

}  // namespace

std::string prefetcher_names() {
  std::string names;
  for (const entry& e : kPrefetchers) {
    if (!names.empty()) names += ", ";
    names += e.name;
  }
  return names;
}

result<std::unique_ptr<prefetcher>> make_prefetcher(std::string_view name) {
  for (const entry& e : kPrefetchers) {
    if (e.name == name) return e.make();
  }
  return error{error_code::kInvalidArgument, "unknown TLB prefetcher '" + std::string(name) +
                                                 "' (accepted: " + prefetcher_names() + ")"};
}

}  // namespace vm::tlb
