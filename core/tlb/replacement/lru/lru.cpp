// lru.cpp - least recently used (lru.h).
#include "tlb/replacement/lru/lru.h"

namespace vm::tlb {

void lru_policy::reset(unsigned sets, unsigned ways) { ranks_.reset(sets, ways); }
void lru_policy::on_hit(unsigned set, unsigned way) noexcept { ranks_.make_youngest(set, way); }
void lru_policy::on_fill(unsigned set, unsigned way) noexcept { ranks_.make_youngest(set, way); }
void lru_policy::on_invalidate(unsigned set, unsigned way) noexcept {
  ranks_.make_oldest(set, way);
}
unsigned lru_policy::victim(unsigned set) noexcept { return ranks_.oldest(set); }

}  // namespace vm::tlb
