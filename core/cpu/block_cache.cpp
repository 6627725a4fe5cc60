#include "cpu/block_cache.h"

namespace vm::cpu {

block_cache::block_cache() : index_(kIndexSize) {
  code_.reserve(kArenaCapacity);
  blocks_.reserve(kArenaCapacity / 2);
}

block* block_cache::commit(uint64_t pc, uint32_t first, uint32_t count,
                           bool crosses_page) noexcept {
  block made;
  made.pc = pc;
  made.code = code_.data() + first;
  made.count = count;
  made.crosses_page = crosses_page;
  blocks_.push_back(made);
  block* b = &blocks_.back();
  index_[(pc >> 1) & (kIndexSize - 1)] = slot{pc, b};
  ++blocks_built_;
  return b;
}

void block_cache::flush() noexcept {
  for (slot& s : index_) s = slot{};
  code_.clear();
  blocks_.clear();
  ++flushes_;
}

}  // namespace vm::cpu
