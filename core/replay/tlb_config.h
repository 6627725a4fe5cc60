// tlb_config.h - the TLB configuration a replay asks for, as text:
// `key=value[,key=value...]` (or `default`), one key per TLB level, the
// value a geometry SETSxWAYS (`l1=16384x1`).
//
// The parser is general; what a configuration may name is limited to the
// TLBs the core builds today (one: mmu::l1_tlb). A configuration that
// parses but names anything else is rejected with the list of supported
// ones, so a request is never silently replaced by a different TLB.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace vm::replay {

struct tlb_geometry {
  unsigned sets = 0;
  unsigned ways = 0;

  friend bool operator==(const tlb_geometry&, const tlb_geometry&) = default;
};

struct tlb_config {
  tlb_geometry l1;  // default: the compiled-in mmu::l1_tlb

  tlb_config() noexcept;
  friend bool operator==(const tlb_config&, const tlb_config&) = default;
};

// Canonical text of a configuration: `l1=16384x1`.
std::string to_string(const tlb_config& config);

// The configurations accepted today, for messages: "default, l1=16384x1".
std::string supported_tlb_configs();

// Parses and validates `text`. Errors (kInvalidArgument for malformed text,
// kUnsupported for a well-formed request the core cannot build) start with
// "--tlb '<text>': " and, for kUnsupported, list what is supported.
result<tlb_config> parse_tlb_config(std::string_view text);

}  // namespace vm::replay
