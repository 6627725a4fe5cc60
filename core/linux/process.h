// process.h - a Linux user-mode process on the guest machine, in the manner
// of qemu-user: the hart runs the program in U-mode under Sv39 page tables
// that this class builds in guest RAM, and the exceptions it raises are
// handled here: system calls are emulated, page faults in the stack, heap
// (brk) and anonymous mappings are served on demand, anything else ends the
// process with the signal status qemu-riscv64 reports.
//
// Everything the guest can observe is deterministic: time is derived from
// retired instructions, getrandom from a fixed seed, the environment is
// empty unless given, and ids are fixed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "cpu/hart.h"
#include "linux/native_calls.h"
#include "loader/elf_loader.h"
#include "mem/block_pool.h"
#include "mem/guest_ram.h"
#include "mmu/mmu.h"
#include "mmu/page_table.h"

namespace vm::linux_abi {

struct process_options {
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> envp;
  uint64_t ram_bytes = 4ull << 30;
  uint64_t stack_bytes = 8ull << 20;  // RLIMIT_STACK, as Linux's default
  uint64_t random_seed = 0x5eed;
  // Guest libc functions run natively when the guest calls them
  // (native_calls.h): a bit set of native_function; kNativeNone keeps
  // instruction counts exactly those of qemu-riscv64.
  uint32_t native_functions = kNativeNone;
};

// How the process ended.
struct exit_info {
  int status = 0;          // what the host process should exit with
  bool signalled = false;  // status is 128 + signal
  std::string diagnostic;  // one line for stderr when signalled or limited
  bool instruction_limit = false;
};

struct process_counters {
  uint64_t syscalls = 0;
  uint64_t demand_faults = 0;  // page faults served by mapping a page
};

// Hooks through which a run is recorded or replayed (core/record). All are
// on cold paths: per system call, and when the access log fills.
class process_observer {
 public:
  virtual ~process_observer() = default;
  // Non-null: run() logs every block and data access here, and calls
  // drain() whenever the hart stops (the log is full, a system call, a
  // fault, the end), so the log and syscall_done() come in program order.
  virtual cpu::access_log* log() noexcept { return nullptr; }
  virtual void drain(cpu::access_log& log) { log.clear(); }
  // After each system call the guest made (not exit): its number, result,
  // and the bytes it delivered into guest memory from outside (read()).
  virtual void syscall_done(uint64_t /*number*/, const uint64_t* /*args*/, int64_t /*result*/,
                            const std::vector<uint8_t>& /*input*/) {}
  // Replay: serve read() from the recording instead of the host: fill
  // `data` with the bytes the recorded read delivered (at most `length`)
  // and return the recorded result (with no bytes and a negative result,
  // the read fails with it).
  virtual std::optional<int64_t> replay_read(int64_t /*fd*/, uint64_t /*length*/,
                                             std::vector<uint8_t>& /*data*/) {
    return std::nullopt;
  }
  // Replay: the result of write()/writev() as recorded; the process then
  // writes nothing. nullopt: perform it (or discard it, below).
  virtual std::optional<int64_t> replay_output(uint64_t /*number*/) { return std::nullopt; }
  // The guest's output is not written to the host (write() and writev()
  // still read guest memory and return the full length).
  virtual bool discard_output() const noexcept { return false; }
};

class process {
 public:
  static constexpr uint64_t kRamBase = 0x80000000;
  static constexpr uint64_t kStackTop =
      0x3f'ffff'f000;  // top of the Sv39 user half, less a guard page
  static constexpr uint64_t kMmapTop = 0x20'0000'0000;  // anonymous mappings grow down from here

  // Builds the address space for `image`: page tables, segments, the initial
  // stack with argv/envp/auxv. Errors: kOutOfMemory if guest RAM is too small.
  static result<std::unique_ptr<process>> create(const loader::elf_image& image,
                                                 const process_options& options);

  // Runs until the guest exits, a fatal signal, or max_instructions retire.
  exit_info run(uint64_t max_instructions = UINT64_MAX);

  // Not owned; null for a plain run.
  void set_observer(process_observer* observer) noexcept { observer_ = observer; }

  // Every mapped page in ascending virtual address order, with its bytes
  // (for the memory digest of a recorded run).
  void for_each_mapped_page(
      const std::function<void(uint64_t vaddr, const uint8_t* bytes)>& visit) const;
  // The mapped ranges and their permissions (sv39 pte R/W/X bits), merged.
  struct mapped_range {
    uint64_t start = 0, end = 0;
    uint64_t pte_flags = 0;
  };
  std::vector<mapped_range> mapped_ranges() const;
  // Changes whenever the mapped ranges or their permissions change.
  uint64_t map_generation() const noexcept { return map_generation_; }
  bool exited() const noexcept { return exited_; }

  cpu::hart& hart() noexcept { return hart_; }
  cpu::guest_state& state() noexcept { return state_; }
  mmu::mmu& memory() noexcept { return mmu_; }
  const process_counters& counters() const noexcept { return counters_; }
  const native_call_counters& native_counters() const noexcept { return native_counters_; }

  // A stretch of guest memory as the host sees it (translate_range).
  struct host_span {
    uint8_t* host = nullptr;
    uint64_t length = 0;
  };

 private:
  struct region {
    uint64_t end = 0;
    uint64_t pte_flags = 0;  // sv39::pte bits for pages of this region (0: PROT_NONE)
  };

  explicit process(mem::guest_ram ram);

  error map_segments(const loader::elf_image& image);
  error build_stack(const loader::elf_image& image, const process_options& options);

  // Memory management used by the syscalls.
  bool handle_page_fault(uint64_t vaddr, cpu::exception cause);
  bool map_zero_page(uint64_t vaddr, uint64_t flags);
  void split_at(uint64_t address);
  // Both return what the change invalidated, for invalidate().
  struct change {
    bool mapped_pages = false;  // some page that was mapped is gone or changed
    bool code = false;          // ... and some such page was executable
  };
  change add_region(uint64_t start, uint64_t end, uint64_t flags);
  change remove_range(uint64_t start, uint64_t end);
  // Drops what the hart caches about the pages a change touched: TLB
  // entries when mapped pages changed, decoded blocks too when one of them
  // was executable. A new mapping over unmapped pages needs neither (faults
  // are never cached).
  void invalidate(change c);
  bool range_free(uint64_t start, uint64_t end) const;
  uint64_t find_free_range(uint64_t length) const;

  // Batched translation: the host spans backing [vaddr, vaddr + length),
  // one walk per page (demand-paging as the guest's access would), pages
  // that are contiguous in host memory merged into one span. False, with
  // `out` unspecified, when a page cannot be accessed.
  bool translate_range(uint64_t vaddr, uint64_t length, tlb::access_type access,
                       std::vector<host_span>& out);
  // native_calls.cpp: does the call at native-call entry `index` (the
  // hart's kNativeCall) and returns to the caller; false when it is left to
  // the guest's code.
  bool complete_native_call(uint64_t index);

  // Guest memory access on the guest's behalf; false on an unmapped page.
  bool copy_from_guest(uint64_t vaddr, void* out, uint64_t length);
  bool copy_to_guest(uint64_t vaddr, const void* data, uint64_t length);
  bool read_guest_string(uint64_t vaddr, std::string& out, size_t max = 4096);

  // syscalls.cpp
  int64_t syscall(uint64_t number, const uint64_t args[6]);
  int64_t sys_brk(uint64_t address);
  int64_t sys_mmap(uint64_t address, uint64_t length, uint64_t prot, uint64_t flags, int64_t fd);
  int64_t sys_munmap(uint64_t address, uint64_t length);
  int64_t sys_mprotect(uint64_t address, uint64_t length, uint64_t prot);
  int64_t sys_read(int64_t fd, uint64_t buffer, uint64_t length);
  int64_t sys_write(int64_t fd, uint64_t buffer, uint64_t length);
  int64_t sys_writev(int64_t fd, uint64_t iov, uint64_t count);
  int64_t sys_openat(uint64_t path);
  int64_t sys_close(int64_t fd);
  int64_t sys_fstat(int64_t fd, uint64_t buffer);
  int64_t sys_clock_gettime(uint64_t clock, uint64_t buffer);
  int64_t sys_gettimeofday(uint64_t buffer);
  int64_t sys_getrandom(uint64_t buffer, uint64_t length);
  int64_t sys_uname(uint64_t buffer);
  int host_fd(int64_t guest_fd) const;
  uint64_t virtual_nanoseconds() const noexcept;

  mem::guest_ram ram_;
  mem::frame_allocator frames_;
  std::vector<native_function> native_calls_;  // by the hart's native-call index
  native_call_counters native_counters_;
  std::vector<host_span> source_spans_, destination_spans_;  // reused by native calls
  cpu::guest_state state_;
  mmu::mmu mmu_;
  cpu::hart hart_;
  mmu::page_table tables_;
  // The memory map's nodes come from a block pool of their own (declared
  // first: it must outlive the map). mmap/munmap/mprotect-heavy guests
  // split and merge regions on every call.
  using region_map = std::map<uint64_t, region, std::less<>,
                              mem::pool_allocator<std::pair<const uint64_t, region>>>;
  std::unique_ptr<mem::block_pool> region_nodes_ =
      std::make_unique<mem::block_pool>(mem::block_pool_options{});
  region_map regions_{
      region_map::allocator_type(*region_nodes_)};  // start -> region, non-overlapping
  uint64_t brk_start_ = 0;
  uint64_t brk_ = 0;
  uint64_t stack_limit_ = 0;  // lowest address the stack may grow to
  uint64_t random_state_ = 0;
  std::vector<int> fds_;  // guest fd -> host fd (-1: closed)
  std::set<uint64_t> reported_syscalls_;
  process_observer* observer_ = nullptr;
  uint64_t map_generation_ = 0;
  std::vector<uint8_t> syscall_input_;  // what the current read() delivered
  bool exited_ = false;
  int exit_status_ = 0;
  process_counters counters_;
};

}  // namespace vm::linux_abi
