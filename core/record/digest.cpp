#include "record/digest.h"

#include <xxhash.h>

#include "trace/trace_writer.h"

namespace vm::record {

std::string register_hash(const cpu::guest_state& state) {
  uint64_t words[32];
  for (int i = 1; i < 32; ++i) words[i - 1] = state.x[i];
  words[31] = state.pc;
  const XXH128_hash_t h = XXH3_128bits(words, sizeof words);
  return trace::hash_string(h.high64, h.low64);
}

std::string memory_hash(const linux_abi::process& process) {
  XXH3_state_t* s = XXH3_createState();
  XXH3_128bits_reset(s);
  process.for_each_mapped_page([&](uint64_t vaddr, const uint8_t* bytes) {
    XXH3_128bits_update(s, &vaddr, sizeof vaddr);
    XXH3_128bits_update(s, bytes, mem::kPageSize);
  });
  const XXH128_hash_t h = XXH3_128bits_digest(s);
  XXH3_freeState(s);
  return trace::hash_string(h.high64, h.low64);
}

}  // namespace vm::record
