#include "mem/guest_ram.h"

#include <sys/mman.h>

#include <cerrno>
#include <string>
#include <utility>

namespace vm::mem {

result<guest_ram> guest_ram::create(uint64_t base, uint64_t size) noexcept {
  if (size == 0 || (base & kPageMask) != 0) {
    return error{error_code::kInvalidArgument,
                 "guest RAM: base must be page-aligned and size non-zero"};
  }
  size = (size + kPageMask) & ~kPageMask;
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) {
    return error{error_code::kOutOfMemory, "guest RAM: cannot reserve " +
                                               std::to_string(size >> 20) +
                                               " MiB: " + std::strerror(errno)};
  }
  guest_ram ram;
  ram.data_ = static_cast<uint8_t*>(p);
  ram.base_ = base;
  ram.size_ = size;
  return ram;
}

guest_ram::guest_ram(guest_ram&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      base_(std::exchange(other.base_, 0)),
      size_(std::exchange(other.size_, 0)) {}

guest_ram& guest_ram::operator=(guest_ram&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) munmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    base_ = std::exchange(other.base_, 0);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

guest_ram::~guest_ram() {
  if (data_ != nullptr) munmap(data_, size_);
}

uint64_t frame_allocator::allocate() noexcept {
  uint64_t frame = 0;
  if (free_head_ != 0) {
    frame = free_head_;
    std::memcpy(&free_head_, ram_->host(frame), sizeof free_head_);
    std::memset(ram_->host(frame), 0, kPageSize);
  } else if (next_ + kPageSize <= end_) {
    frame = next_;  // never handed out before: still zero
    next_ += kPageSize;
  } else {
    return 0;
  }
  return frame;
}

void frame_allocator::release(uint64_t frame) noexcept {
  std::memcpy(ram_->host(frame), &free_head_, sizeof free_head_);
  free_head_ = frame;
}

}  // namespace vm::mem
