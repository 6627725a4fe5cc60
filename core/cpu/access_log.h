// access_log.h - what the interpreter retires, as it retires it, for trace
// recording and replay checking: one entry per executed block (its pc,
// instructions and bytes retired) and per guest data access.
//
// A plain buffer the host owns and drains: hart::run(max, &log) appends and
// returns run_reason::kLogFull, at a block boundary, when the room left
// might not hold one more block. Runs without a log use a separate
// instantiation of the interpreter and pay nothing for this.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cpu/block_cache.h"

namespace vm::cpu {

struct access_log {
  // Values equal trace::record_type's, so the recorder can copy them.
  enum class kind : uint8_t { kRead = 0, kWrite = 1, kBlock = 3 };

  struct entry {
    uint64_t address;  // data: the virtual address; block: its pc
    uint32_t size;     // data: bytes; block: instructions retired
    uint16_t bytes;    // block: bytes of the instructions retired
    kind type;
    uint8_t reserved;
  };
  static_assert(sizeof(entry) == 16);

  // Room a block may need: every instruction logs at most two accesses
  // (an AMO reads and writes), plus the block entry itself.
  static constexpr size_t kBlockReserve = 2 * block_cache::kMaxInstructions + 1;

  entry* begin = nullptr;  // the buffer
  entry* next = nullptr;   // first free entry
  entry* end = nullptr;    // one past the buffer

  size_t size() const noexcept { return static_cast<size_t>(next - begin); }
  bool has_room_for_block() const noexcept {
    return static_cast<size_t>(end - next) >= kBlockReserve;
  }
  void clear() noexcept { next = begin; }
  void add(uint64_t address, uint32_t size, uint16_t bytes, kind type) noexcept {
    *next++ = entry{address, size, bytes, type, 0};
  }
};

}  // namespace vm::cpu
