// prefetch_registry.h - TLB prefetchers by name (the `prefetch=` part of a
// TLB configuration string). Adding a prefetcher is one folder and one
// line in prefetch_registry.cpp.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "tlb/prefetch/prefetcher.h"

namespace vm::tlb {

// The prefetcher called `name`, with its default table sizes:
//   "none"     - a null pointer (no prefetcher; a prefetch_unit then only
//                tracks the miss pattern);
//   "stride"   - stride_prefetcher;
//   "markov"   - markov_prefetcher (1024-row next-miss-page table);
//   "distance" - distance_prefetcher (256-row distance table).
// Any other name: kInvalidArgument, naming it and listing the accepted
// names.
result<std::unique_ptr<prefetcher>> make_prefetcher(std::string_view name);

// The accepted names, comma-separated: "none, stride, markov, distance".
std::string prefetcher_names();

}  // namespace vm::tlb
