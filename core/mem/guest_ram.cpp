#include "mem/guest_ram.h"

#include <string>
#include <utility>

#include "simd/memory_kernel.h"

namespace vm::mem {

result<guest_ram> guest_ram::create(uint64_t base, uint64_t size) noexcept {
  return create(base, size, default_placement());
}

result<guest_ram> guest_ram::create(uint64_t base, uint64_t size, const placement& where) noexcept {
  if (size == 0 || (base & kPageMask) != 0) {
    return error{error_code::kInvalidArgument,
                 "guest RAM: base must be page-aligned and size non-zero"};
  }
  if (size > (1ull << 48)) {
    return error{error_code::kOutOfMemory,
                 "guest RAM: cannot reserve " + std::to_string(size >> 20) + " MiB"};
  }
  size = (size + kPageMask) & ~kPageMask;
  result<host_region> region = host_region::reserve(size, where);
  if (!region.ok()) {
    error e = std::move(region).err();
    e.message.insert(0, "guest RAM: ");
    return e;
  }
  guest_ram ram;
  ram.region_ = std::move(region).value();
  ram.data_ = ram.region_.data();
  ram.base_ = base;
  ram.size_ = size;
  return ram;
}

guest_ram::guest_ram(guest_ram&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      base_(std::exchange(other.base_, 0)),
      size_(std::exchange(other.size_, 0)),
      region_(std::move(other.region_)) {}

guest_ram& guest_ram::operator=(guest_ram&& other) noexcept {
  if (this != &other) {
    data_ = std::exchange(other.data_, nullptr);
    base_ = std::exchange(other.base_, 0);
    size_ = std::exchange(other.size_, 0);
    region_ = std::move(other.region_);
  }
  return *this;
}

guest_ram::~guest_ram() = default;

uint64_t frame_allocator::allocate() noexcept {
  uint64_t frame = 0;
  if (free_head_ != 0) {
    frame = free_head_;
    std::memcpy(&free_head_, ram_->host(frame), sizeof free_head_);
    simd::set(ram_->host(frame), 0, kPageSize);  // a reused frame is zeroed again
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
