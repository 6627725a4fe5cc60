// native_calls.cpp - guest memcpy/memset/memmove done by the host
// (native_calls.h).

#include "linux/native_calls.h"

#include <algorithm>
#include <vector>

#include "linux/process.h"
#include "simd/memory_kernel.h"

namespace vm::linux_abi {

const char* native_function_name(native_function f) noexcept {
  switch (f) {
    case native_function::kMemcpy: return "memcpy";
    case native_function::kMemset: return "memset";
    case native_function::kMemmove: return "memmove";
    case native_function::kCount: break;
  }
  return "?";
}

result<uint32_t> parse_native_functions(std::string_view list) {
  if (list == "none" || list.empty()) return kNativeNone;
  if (list == "all") return kNativeAll;
  uint32_t set = 0;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view name = list.substr(0, comma);
    bool known = false;
    for (unsigned f = 0; f < static_cast<unsigned>(native_function::kCount); ++f) {
      if (name == native_function_name(static_cast<native_function>(f))) {
        set |= 1u << f;
        known = true;
      }
    }
    if (!known) {
      std::string message = "unknown native function '";
      message.append(name).append("': expected all, none, or a list of memcpy, memset, memmove");
      return error{error_code::kInvalidArgument, std::move(message)};
    }
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  return set;
}

std::string native_functions_string(uint32_t set) {
  if (set == kNativeNone) return "none";
  if (set == kNativeAll) return "all";
  std::string out;
  for (unsigned f = 0; f < static_cast<unsigned>(native_function::kCount); ++f) {
    if ((set & (1u << f)) == 0) continue;
    if (!out.empty()) out += ',';
    out += native_function_name(static_cast<native_function>(f));
  }
  return out;
}

namespace {

using span = process::host_span;

// Copies `length` bytes between two span lists that each cover it, the
// pieces as large as both sides' contiguity allows (a multi-page copy whose
// pages are contiguous in host memory is one kernel call).
struct piece {
  uint8_t* to;
  const uint8_t* from;
  uint64_t length;
};

// Calls visit(piece) for the pieces both span lists cut the range into, in
// ascending guest address order.
template <class Visit>
void for_each_piece(const std::vector<span>& to, const std::vector<span>& from, Visit visit) {
  size_t ti = 0, fi = 0;
  uint64_t t_off = 0, f_off = 0;
  while (ti < to.size() && fi < from.size()) {
    const uint64_t n = std::min(to[ti].length - t_off, from[fi].length - f_off);
    visit(piece{to[ti].host + t_off, from[fi].host + f_off, n});
    t_off += n;
    f_off += n;
    if (t_off == to[ti].length) ++ti, t_off = 0;
    if (f_off == from[fi].length) ++fi, f_off = 0;
  }
}

void copy_spans(const std::vector<span>& to, const std::vector<span>& from) noexcept {
  for_each_piece(to, from, [](const piece& p) { simd::copy(p.to, p.from, p.length); });
}

// memmove over pages that need not be contiguous in host memory: piece by
// piece, each piece moved with memmove, in ascending order when the
// destination lies below the source and descending otherwise. A piece
// lies within one page of each range and one guest page is one host frame,
// so no piece overwrites source bytes a later piece still has to read.
void move_spans(const std::vector<span>& to, const std::vector<span>& from, bool ascending,
                std::vector<piece>& pieces) {
  pieces.clear();
  for_each_piece(to, from, [&](const piece& p) { pieces.push_back(p); });
  if (ascending) {
    for (const piece& p : pieces) simd::move(p.to, p.from, p.length);
  } else {
    for (auto it = pieces.rbegin(); it != pieces.rend(); ++it)
      simd::move(it->to, it->from, it->length);
  }
}

}  // namespace

bool process::complete_native_call(uint64_t index) {
  if (index >= native_calls_.size()) return false;
  const native_function f = native_calls_[index];
  const uint64_t destination = state_.x[10], argument = state_.x[11], length = state_.x[12];
  // Ranges that wrap around the address space are the guest's own problem.
  if (length > UINT64_MAX - destination || length > UINT64_MAX - argument) {
    ++native_counters_.declined;
    return false;
  }
  if (length != 0) {
    if (!translate_range(destination, length, tlb::access_type::kWrite, destination_spans_)) {
      ++native_counters_.declined;
      return false;
    }
    if (f == native_function::kMemset) {
      for (const span& s : destination_spans_)
        simd::set(s.host, static_cast<int>(argument & 0xff), s.length);
    } else {
      const bool overlap = argument < destination + length && destination < argument + length;
      if (!translate_range(argument, length, tlb::access_type::kRead, source_spans_)) {
        ++native_counters_.declined;
        return false;
      }
      if (!overlap) {
        copy_spans(destination_spans_, source_spans_);
      } else if (f == native_function::kMemmove) {
        std::vector<piece> pieces;
        move_spans(destination_spans_, source_spans_, destination < argument, pieces);
      } else {
        // memcpy of overlapping ranges is undefined in C: the guest's own
        // code decides what happens.
        ++native_counters_.declined;
        return false;
      }
    }
  }
  ++native_counters_.calls;
  native_counters_.bytes += length;
  // Return as the function would: a0 keeps the destination; pc = ra.
  state_.pc = state_.x[1] & ~uint64_t{1};  // as `ret` (jalr) clears bit 0
  ++state_.instret;                        // the call counts as one retired instruction
  return true;
}

}  // namespace vm::linux_abi
