// mem_replayer_impl.h - the replay loop (hot: one switch per record and the
// MMU's inline hit path) and its cold paths (split accesses, cpu changes),
// as a template over the TLB design. Each replay_*.cpp instantiates it for
// its designs, so every design's loop has its hit path inlined.
#pragma once

#include <algorithm>
#include <cstring>
#include <utility>

#include "mmu/mmu_slow.h"
#include "replay/mem_replay.h"

// VM_SLOWDOWN_IMULS (core/CMakeLists.txt): the sensitivity knob of
// docs/SIGNAL.md. Each `imul $1` keeps the address and adds its 3-cycle
// latency to the access's dependency chain.
#ifndef VM_SLOWDOWN_IMULS
#define VM_SLOWDOWN_IMULS 0
#endif

namespace vm::replay {

// One design's replayer behind the type-erased mem_replayer (one virtual
// call per chunk, none per record).
class replay_engine {
 public:
  virtual ~replay_engine() = default;
  virtual void replay(const trace::record* records, size_t count, uint64_t first_record) noexcept = 0;
  virtual mem_replay_counters counters() const = 0;
};

namespace detail {

[[gnu::always_inline]] inline uint64_t slowdown(uint64_t address) noexcept {
#if VM_SLOWDOWN_IMULS > 0 && defined(__x86_64__)
  for (int i = 0; i < VM_SLOWDOWN_IMULS; ++i) asm volatile("imul $1, %0, %0" : "+r"(address));
#endif
  return address;
}

using trace::record_type;
using status = mmu::access_status;

[[gnu::always_inline]] inline uint64_t mix(uint64_t checksum, uint64_t value) noexcept {
  return (checksum ^ value) * kChecksumSeed;
}

// The dispatch key of a record: its type and, for loads and stores of the
// sizes with a direct path, its size. Fetches of every size share one key.
constexpr unsigned key(record_type type, unsigned size) noexcept {
  return (static_cast<unsigned>(type) << 4) | size;
}
[[gnu::always_inline]] inline unsigned key_of(const trace::record& r) noexcept {
  return key(r.type, r.size < 16 ? r.size : 0);
}

// Folds n bytes at p into the checksum, 8 at a time (the last piece
// zero-extended).
[[gnu::always_inline]] inline uint64_t mix_bytes(uint64_t checksum, const uint8_t* p,
                                                 uint64_t n) noexcept {
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    checksum = mix(checksum, v);
  }
  if (n > 0) {
    uint64_t v = 0;
    std::memcpy(&v, p, n);
    checksum = mix(checksum, v);
  }
  return checksum;
}

}  // namespace detail

using namespace detail;

template <class Tlb>
class basic_mem_replayer final : public replay_engine {
 public:
  using mmu_type = mmu::basic_mmu<Tlb>;

  template <class... DesignArgs>
  basic_mem_replayer(address_space& space, uint32_t cpus, DesignArgs&&... design_args);

  void replay(const trace::record* records, size_t count, uint64_t first_record) noexcept override;
  mem_replay_counters counters() const override;

 private:
  // Everything that is not a 1/2/4/8-byte load/store or an in-page fetch;
  // returns the checksum with what it loaded folded in.
  [[gnu::noinline]] uint64_t replay_split(const trace::record& r, uint64_t number,
                                          uint64_t checksum) noexcept;
  [[gnu::noinline]] void note_cpu_run(uint16_t next_cpu) noexcept;

  mmu_type mmu_;
  mem_replay_counters counters_;
  uint16_t run_cpu_ = 0;       // the cpu of the current run of records
  uint64_t run_accesses_ = 0;  // its accesses not yet added to accesses_per_cpu
};

template <class Tlb>
template <class... DesignArgs>
basic_mem_replayer<Tlb>::basic_mem_replayer(address_space& space, uint32_t cpus,
                                           DesignArgs&&... design_args)
    : mmu_(space.ram(), space.state(), std::forward<DesignArgs>(design_args)...) {
  counters_.accesses_per_cpu.assign(std::max<uint32_t>(cpus, 1), 0);
}

template <class Tlb>
mem_replay_counters basic_mem_replayer<Tlb>::counters() const {
  mem_replay_counters c = counters_;
  if (run_accesses_ != 0) {
    if (run_cpu_ >= c.accesses_per_cpu.size()) c.accesses_per_cpu.resize(run_cpu_ + 1u, 0);
    c.accesses_per_cpu[run_cpu_] += run_accesses_;
  }
  c.memory = mmu_.counters();
  c.tlb = mmu_.design_counters();
  return c;
}

template <class Tlb>
void basic_mem_replayer<Tlb>::note_cpu_run(uint16_t next_cpu) noexcept {
  std::vector<uint64_t>& per_cpu = counters_.accesses_per_cpu;
  if (run_accesses_ != 0) {
    // A trace's cpu numbers may exceed its metadata's `cpus`: grow.
    if (run_cpu_ >= per_cpu.size()) per_cpu.resize(run_cpu_ + 1u, 0);
    per_cpu[run_cpu_] += run_accesses_;
  }
  run_cpu_ = next_cpu;
  run_accesses_ = 0;
  mmu_.select_cpu(next_cpu);
}

template <class Tlb>
void basic_mem_replayer<Tlb>::replay(const trace::record* records, size_t count,
                                     uint64_t first_record) noexcept {
  // The counters live in locals (registers) for the loop.
  mmu_type& m = mmu_;
  uint64_t checksum = counters_.checksum;
  uint64_t reads = 0, writes = 0, fetches = 0;
  uint64_t read_bytes_total = 0, write_bytes_total = 0, fetch_bytes_total = 0;
  uint64_t read_faults = 0, write_faults = 0, fetch_faults = 0;
  uint64_t run = run_accesses_;
  uint16_t cpu = run_cpu_;

  for (size_t i = 0; i < count; ++i) {
    const trace::record& r = records[i];
    if (r.cpu != cpu) [[unlikely]] {
      run_accesses_ = run;
      note_cpu_run(r.cpu);
      cpu = r.cpu;
      run = 0;
    }
    const uint64_t a = slowdown(r.address);
    switch (key_of(r)) {
#define VM_REPLAY_LOAD(size, type)                    \
  case key(record_type::kRead, size): {               \
    type v;                                           \
    if (m.template load<type>(a, v) == status::kOk) [[likely]] \
      checksum = mix(checksum, v);                    \
    else                                              \
      ++read_faults;                                  \
    ++reads;                                          \
    read_bytes_total += size;                         \
    ++run;                                            \
    break;                                            \
  }
#define VM_REPLAY_STORE(size, type)                                                        \
  case key(record_type::kWrite, size): {                                                   \
    if (m.template store<type>(a, static_cast<type>(first_record + i)) != status::kOk) [[unlikely]] \
      ++write_faults;                                                                      \
    ++writes;                                                                              \
    write_bytes_total += size;                                                             \
    ++run;                                                                                 \
    break;                                                                                 \
  }
      VM_REPLAY_LOAD(1, uint8_t)
      VM_REPLAY_LOAD(2, uint16_t)
      VM_REPLAY_LOAD(4, uint32_t)
      VM_REPLAY_LOAD(8, uint64_t)
      VM_REPLAY_STORE(1, uint8_t)
      VM_REPLAY_STORE(2, uint16_t)
      VM_REPLAY_STORE(4, uint32_t)
      VM_REPLAY_STORE(8, uint64_t)
#undef VM_REPLAY_LOAD
#undef VM_REPLAY_STORE
      // clang-format off
      case key(record_type::kFetch, 0):  case key(record_type::kFetch, 1):
      case key(record_type::kFetch, 2):  case key(record_type::kFetch, 3):
      case key(record_type::kFetch, 4):  case key(record_type::kFetch, 5):
      case key(record_type::kFetch, 6):  case key(record_type::kFetch, 7):
      case key(record_type::kFetch, 8):  case key(record_type::kFetch, 9):
      case key(record_type::kFetch, 10): case key(record_type::kFetch, 11):
      case key(record_type::kFetch, 12): case key(record_type::kFetch, 13):
      case key(record_type::kFetch, 14): case key(record_type::kFetch, 15): {
        // clang-format on
        // A fetch within a page (an instruction, or a block's bytes): one
        // translation. One that crosses a page splits.
        if ((a & mem::kPageMask) + r.size > mem::kPageSize) [[unlikely]] {
          checksum = replay_split(r, first_record + i, checksum);
          ++run;
          break;
        }
        const uint8_t* host;
        if (m.fetch(a, host) == status::kOk) [[likely]]
          checksum = mix_bytes(checksum, host, r.size);
        else
          ++fetch_faults;
        ++fetches;
        fetch_bytes_total += r.size;
        ++run;
        break;
      }
      default:
        // Split accesses keep their own counters in counters_.
        checksum = replay_split(r, first_record + i, checksum);
        if (trace::is_access(r.type)) ++run;
        break;
    }
  }

  counters_.records += count;
  counters_.checksum = checksum;
  counters_.accesses.reads += reads;
  counters_.accesses.writes += writes;
  counters_.accesses.fetches += fetches;
  counters_.bytes.reads += read_bytes_total;
  counters_.bytes.writes += write_bytes_total;
  counters_.bytes.fetches += fetch_bytes_total;
  counters_.faults.reads += read_faults;
  counters_.faults.writes += write_faults;
  counters_.faults.fetches += fetch_faults;
  run_accesses_ = run;
  run_cpu_ = cpu;
}

template <class Tlb>
uint64_t basic_mem_replayer<Tlb>::replay_split(const trace::record& r, uint64_t number,
                                               uint64_t checksum) noexcept {
  mmu_type& m = mmu_;
  uint64_t a = r.address;
  uint64_t left = r.size;
  bool faulted = false;
  switch (r.type) {
    case record_type::kRead:
      ++counters_.accesses.reads;
      counters_.bytes.reads += r.size;
      while (left > 0 && !faulted) {
        uint64_t v = 0;
        unsigned n;
        status s;
        if (left >= 8) {
          n = 8;
          s = m.template load<uint64_t>(a, v);
        } else if (left >= 4) {
          uint32_t x = 0;
          n = 4;
          s = m.template load<uint32_t>(a, x);
          v = x;
        } else if (left >= 2) {
          uint16_t x = 0;
          n = 2;
          s = m.template load<uint16_t>(a, x);
          v = x;
        } else {
          uint8_t x = 0;
          n = 1;
          s = m.template load<uint8_t>(a, x);
          v = x;
        }
        if (s != status::kOk)
          faulted = true;
        else
          checksum = mix(checksum, v);
        a += n;
        left -= n;
      }
      if (faulted) ++counters_.faults.reads;
      return checksum;
    case record_type::kWrite:
      ++counters_.accesses.writes;
      counters_.bytes.writes += r.size;
      while (left > 0 && !faulted) {
        unsigned n;
        status s;
        if (left >= 8) {
          n = 8;
          s = m.template store<uint64_t>(a, number);
        } else if (left >= 4) {
          n = 4;
          s = m.template store<uint32_t>(a, static_cast<uint32_t>(number));
        } else if (left >= 2) {
          n = 2;
          s = m.template store<uint16_t>(a, static_cast<uint16_t>(number));
        } else {
          n = 1;
          s = m.template store<uint8_t>(a, static_cast<uint8_t>(number));
        }
        faulted = s != status::kOk;
        a += n;
        left -= n;
      }
      if (faulted) ++counters_.faults.writes;
      return checksum;
    case record_type::kFetch:
      ++counters_.accesses.fetches;
      counters_.bytes.fetches += r.size;
      // One fetch per page touched, each page's bytes folded 8 at a time.
      while (left > 0) {
        const uint8_t* host;
        if (m.fetch(a, host) != status::kOk) {
          ++counters_.faults.fetches;
          return checksum;
        }
        const uint64_t in_page = std::min<uint64_t>(left, mem::kPageSize - (a & mem::kPageMask));
        checksum = mix_bytes(checksum, host, in_page);
        a += in_page;
        left -= in_page;
      }
      return checksum;
    default: ++counters_.other_records; return checksum;
  }
}


}  // namespace vm::replay
