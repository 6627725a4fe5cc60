// byte_loop.h - one byte per iteration copy, move and fill: the baseline the
// original design notes compared SIMD against ("8-10x faster"), kept so that
// the claim can be checked honestly next to glibc. byte_loop.cpp is compiled
// without vectorisation and without loop-to-libcall rewriting, so these
// really are byte loops.
#pragma once

#include <cstddef>

namespace vm::harness {

void byte_loop_copy(void* dst, const void* src, size_t n) noexcept;
void byte_loop_move(void* dst, const void* src, size_t n) noexcept;
void byte_loop_set(void* dst, int value, size_t n) noexcept;

}  // namespace vm::harness
