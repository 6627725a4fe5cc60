// fifo.cpp - first in, first out (fifo.h).
#include "tlb/replacement/fifo/fifo.h"

namespace vm::tlb {

void fifo_policy::reset(unsigned sets, unsigned ways) { ranks_.reset(sets, ways); }
void fifo_policy::on_hit(unsigned set, unsigned way) noexcept { (void)set, (void)way; }
void fifo_policy::on_fill(unsigned set, unsigned way) noexcept { ranks_.make_youngest(set, way); }
void fifo_policy::on_invalidate(unsigned set, unsigned way) noexcept {
  ranks_.make_oldest(set, way);
}
unsigned fifo_policy::victim(unsigned set) noexcept { return ranks_.oldest(set); }

}  // namespace vm::tlb
