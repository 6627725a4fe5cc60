// mmu.cpp - the interpreter's memory path, compiled once.

#include "mmu/mmu.h"

#include "mmu/mmu_slow.h"

namespace vm::mmu {

template class basic_mmu<default_tlb>;

}  // namespace vm::mmu
