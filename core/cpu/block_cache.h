// block_cache.h - decoded basic blocks, so that each guest instruction is
// decoded once and then executed from its decoded form.
//
// A block starts at a guest virtual PC and ends after a control-transfer,
// system or CSR instruction, at a page boundary, or after kMaxInstructions.
// Blocks are keyed by virtual PC; the hart flushes the cache whenever the
// mapping of code may have changed (fence.i, sfence.vma, satp writes, and
// host edits of the page tables), which RISC-V requires software to
// announce with exactly those instructions.
#pragma once

#include <cstdint>
#include <vector>

#include "isa/opcode.h"

namespace vm::cpu {

// One instruction as the interpreter runs it: the address of its handler
// (direct-threaded code: the interpreter fills it in when the block is
// built) followed by its decoded form.
struct threaded_instruction {
  const void* handler = nullptr;
  isa::decoded_instruction insn;
};

struct block {
  uint64_t pc = 0;
  threaded_instruction* code = nullptr;  // first instruction (the arena never moves)
  uint32_t count = 0;                    // guest instructions (the trailing kBlockEnd excluded)
  bool crosses_page = false;             // its only instruction straddles two pages
  // Chaining: the blocks this one was last seen to jump or fall through to,
  // so the next block is found without a cache lookup. Links never dangle:
  // they point into the same cache and a flush drops every block at once.
  struct successor_link {
    uint64_t pc = ~0ull;
    block* target = nullptr;
    // Target starts on this block's page and does not straddle pages: its
    // fetch permission is the one already checked for this block.
    bool same_page = false;
  };
  successor_link links[2];

  const successor_link* successor(uint64_t target_pc) const noexcept {
    return links[0].pc == target_pc ? &links[0] : links[1].pc == target_pc ? &links[1] : nullptr;
  }
  void add_successor(uint64_t target_pc, block* next) noexcept {
    successor_link& l =
        links[links[0].target == nullptr ? 0 : 1];  // slot 1 follows the latest indirect target
    l.pc = target_pc;
    l.target = next;
    l.same_page = !next->crosses_page && ((target_pc ^ pc) >> 12) == 0;
  }
};

class block_cache {
 public:
  static constexpr uint32_t kMaxInstructions = 64;
  static constexpr uint32_t kIndexSize = 1u << 16;
  static constexpr uint32_t kArenaCapacity = 1u << 20;  // instructions (24 MiB)

  block_cache();

  // The cached block starting at pc, or nullptr.
  [[gnu::always_inline]] block* find(uint64_t pc) noexcept {
    slot& s = index_[(pc >> 1) & (kIndexSize - 1)];
    return s.pc == pc ? s.entry : nullptr;
  }

  // Room for one more block of up to kMaxInstructions + 2 entries (a
  // native-call head, the instructions, a kBlockEnd)?
  bool has_room() const noexcept {
    return code_.size() + kMaxInstructions + 2 <= kArenaCapacity &&
           blocks_.size() < kArenaCapacity / 2;
  }

  // Appends a decoded instruction to the block being built.
  void append(const isa::decoded_instruction& d, const void* handler) noexcept {
    code_.push_back(threaded_instruction{handler, d});
  }
  uint32_t arena_size() const noexcept { return static_cast<uint32_t>(code_.size()); }
  // Registers the block made of the instructions appended since `first`.
  block* commit(uint64_t pc, uint32_t first, uint32_t count, bool crosses_page) noexcept;

  void flush() noexcept;
  uint64_t blocks_built() const noexcept { return blocks_built_; }
  uint64_t flushes() const noexcept { return flushes_; }

 private:
  struct slot {
    uint64_t pc = ~0ull;
    block* entry = nullptr;
  };
  std::vector<slot> index_;
  std::vector<threaded_instruction> code_;  // capacity fixed: pointers stay valid
  std::vector<block> blocks_;               // capacity fixed likewise
  uint64_t blocks_built_ = 0;
  uint64_t flushes_ = 0;
};

}  // namespace vm::cpu
