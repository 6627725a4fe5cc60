// process.cpp - address-space set-up, demand paging and the run loop of a
// Linux user-mode process.

#include "linux/process.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "common/format.h"
#include "isa/decoder.h"
#include "isa/disassembler.h"
#include "mmu/sv39.h"
#include "simd/memory_kernel.h"

namespace vm::linux_abi {
namespace {

namespace pte = mmu::sv39::pte;

using mem::page_down;
using mem::page_up;

// Auxiliary vector keys (linux/auxvec.h).
enum : uint64_t {
  kAtNull = 0,
  kAtPhdr = 3,
  kAtPhent = 4,
  kAtPhnum = 5,
  kAtPagesz = 6,
  kAtBase = 7,
  kAtFlags = 8,
  kAtEntry = 9,
  kAtUid = 11,
  kAtEuid = 12,
  kAtGid = 13,
  kAtEgid = 14,
  kAtHwcap = 16,
  kAtClktck = 17,
  kAtSecure = 23,
  kAtRandom = 25,
  kAtExecfn = 31,
};

// Signals and the exit statuses qemu-user gives them (128 + signal).
constexpr int kSigIll = 4, kSigTrap = 5, kSigBus = 7, kSigSegv = 11;

}  // namespace

process::process(mem::guest_ram ram)
    : ram_(std::move(ram)),
      frames_(&ram_, ram_.base(), ram_.end()),
      mmu_(ram_, state_),
      hart_(mmu_, state_),
      tables_(&ram_, &frames_),
      fds_{0, 1, 2} {}

result<std::unique_ptr<process>> process::create(const loader::elf_image& image,
                                                 const process_options& options) {
  auto ram = mem::guest_ram::create(kRamBase, options.ram_bytes);
  if (!ram.ok()) return std::move(ram).err();
  std::unique_ptr<process> p(new process(std::move(ram).value()));
  if (!p->tables_.init())
    return error{error_code::kOutOfMemory, "guest RAM too small for page tables"};
  p->random_state_ = options.random_seed;
  // The translation context comes first: the loader writes the image and the
  // initial stack through the MMU, as the guest will see them.
  cpu::hart& h = p->hart_;
  h.reset(image.entry);
  p->state_.priv = cpu::privilege::kUser;
  p->state_.csr.satp = p->tables_.satp();
  // rdcycle/rdtime/rdinstret are allowed in U-mode, as under Linux.
  p->state_.csr.mcounteren = 7;
  p->state_.csr.scounteren = 7;
  h.set_user_emulation(true);
  h.flush_translations();
  VM_PROPAGATE(p->map_segments(image));
  VM_PROPAGATE(p->build_stack(image, options));
  std::vector<uint64_t> entries;
  for (unsigned f = 0; f < static_cast<unsigned>(native_function::kCount); ++f) {
    if ((options.native_functions & (1u << f)) == 0) continue;
    const auto fn = static_cast<native_function>(f);
    if (const auto address = image.function(native_function_name(fn))) {
      entries.push_back(*address);
      p->native_calls_.push_back(fn);
    }
  }
  h.set_native_calls(std::move(entries));  // also drops the decoded blocks
  return p;
}

error process::map_segments(const loader::elf_image& image) {
  // Segments may share a page (text end / data start): a page gets the union
  // of the permissions of the segments that touch it.
  std::map<uint64_t, uint64_t> page_flags;
  for (const loader::elf_segment& s : image.segments) {
    uint64_t flags = pte::kUser | pte::kAccessed | pte::kDirty;
    if (s.readable || s.writable) flags |= pte::kRead;
    if (s.writable) flags |= pte::kWrite;
    if (s.executable) flags |= pte::kExecute;
    for (uint64_t page = page_down(s.vaddr); page < s.vaddr + s.memory_size;
         page += mem::kPageSize) {
      page_flags[page] |= flags;
    }
  }
  for (const auto& [page, flags] : page_flags) {
    if (!map_zero_page(page, flags)) {
      return error{error_code::kOutOfMemory,
                   image.path + ": guest RAM too small for the program image"};
    }
    add_region(page, page + mem::kPageSize, flags);
  }
  for (const loader::elf_segment& s : image.segments) {
    for (uint64_t done = 0; done < s.file_size;) {
      const uint64_t vaddr = s.vaddr + done;
      const uint64_t chunk =
          std::min(s.file_size - done, mem::kPageSize - (vaddr & mem::kPageMask));
      const uint64_t frame = pte::ppn(*tables_.lookup(vaddr)) << mmu::sv39::kPageShift;
      simd::copy(ram_.host(frame + (vaddr & mem::kPageMask)),
                 image.bytes.data() + s.file_offset + done, chunk);
      done += chunk;
    }
  }
  brk_start_ = brk_ = page_up(image.end_of_image());
  return error::ok();
}

error process::build_stack(const loader::elf_image& image, const process_options& options) {
  stack_limit_ = kStackTop - options.stack_bytes;
  const uint64_t stack_flags = pte::kUser | pte::kRead | pte::kWrite | pte::kAccessed | pte::kDirty;
  add_region(stack_limit_, kStackTop, stack_flags);

  // Lay the strings out from the top down, then the pointer block below.
  std::vector<uint8_t> strings;
  auto push_string = [&](const std::string& s) {
    const uint64_t offset = strings.size();
    strings.insert(strings.end(), s.begin(), s.end());
    strings.push_back(0);
    return offset;
  };
  std::vector<uint64_t> argv_offsets, envp_offsets;
  for (const auto& a : options.argv) argv_offsets.push_back(push_string(a));
  for (const auto& e : options.envp) envp_offsets.push_back(push_string(e));
  const uint64_t execfn_offset = push_string(options.argv.empty() ? image.path : options.argv[0]);
  const uint64_t random_offset = strings.size();
  for (int i = 0; i < 16; ++i) strings.push_back(static_cast<uint8_t>(0xa5 ^ (i * 37)));

  const uint64_t strings_base = (kStackTop - strings.size()) & ~15ull;
  std::vector<uint64_t> words;
  words.push_back(options.argv.size());
  for (uint64_t o : argv_offsets) words.push_back(strings_base + o);
  words.push_back(0);
  for (uint64_t o : envp_offsets) words.push_back(strings_base + o);
  words.push_back(0);
  const uint64_t hwcap =
      (1u << ('I' - 'A')) | (1u << ('M' - 'A')) | (1u << ('A' - 'A')) | (1u << ('C' - 'A'));
  const uint64_t auxv[][2] = {{kAtPhdr, image.program_headers_vaddr},
                              {kAtPhent, 56},
                              {kAtPhnum, image.program_header_count},
                              {kAtPagesz, mem::kPageSize},
                              {kAtBase, 0},
                              {kAtFlags, 0},
                              {kAtEntry, image.entry},
                              {kAtUid, 1000},
                              {kAtEuid, 1000},
                              {kAtGid, 1000},
                              {kAtEgid, 1000},
                              {kAtHwcap, hwcap},
                              {kAtClktck, 100},
                              {kAtSecure, 0},
                              {kAtRandom, strings_base + random_offset},
                              {kAtExecfn, strings_base + execfn_offset},
                              {kAtNull, 0}};
  for (const auto& kv : auxv) {
    words.push_back(kv[0]);
    words.push_back(kv[1]);
  }
  const uint64_t sp = (strings_base - words.size() * 8) & ~15ull;
  if (sp < stack_limit_ + mem::kPageSize) {
    return error{error_code::kInvalidArgument, "arguments and environment do not fit in the stack"};
  }
  // Map the initial stack pages now; the rest grows on demand.
  for (uint64_t page = page_down(sp); page < kStackTop; page += mem::kPageSize) {
    if (!map_zero_page(page, stack_flags))
      return error{error_code::kOutOfMemory, "guest RAM too small for the stack"};
  }
  if (!copy_to_guest(strings_base, strings.data(), strings.size()) ||
      !copy_to_guest(sp, words.data(), words.size() * 8)) {
    return error{error_code::kOutOfMemory, "cannot write the initial stack"};
  }
  state_.x[2] = sp;
  return error::ok();
}

bool process::map_zero_page(uint64_t vaddr, uint64_t flags) {
  const uint64_t frame = frames_.allocate();
  if (frame == 0) return false;
  if (!tables_.map(vaddr, frame, flags)) {
    frames_.release(frame);
    return false;
  }
  return true;
}

void process::split_at(uint64_t address) {
  auto it = regions_.upper_bound(address);
  if (it == regions_.begin()) return;
  --it;
  if (it->first < address && address < it->second.end) {
    region tail = it->second;
    it->second.end = address;
    regions_.emplace(address, tail);
  }
}

process::change process::add_region(uint64_t start, uint64_t end, uint64_t flags) {
  const change c = remove_range(start, end);
  regions_[start] = region{end, flags};
  ++map_generation_;
  return c;
}

// Forgets the regions in [start, end) and unmaps their pages.
process::change process::remove_range(uint64_t start, uint64_t end) {
  change c;
  ++map_generation_;
  split_at(start);
  split_at(end);
  for (auto it = regions_.lower_bound(start); it != regions_.end() && it->first < end;) {
    for (uint64_t page = it->first; page < it->second.end; page += mem::kPageSize) {
      if (auto frame = tables_.unmap(page)) {
        frames_.release(*frame);
        c.mapped_pages = true;
        c.code |= (it->second.pte_flags & pte::kExecute) != 0;
      }
    }
    it = regions_.erase(it);
  }
  return c;
}

void process::invalidate(change c) {
  if (c.code) {
    hart_.flush_translations();
  } else if (c.mapped_pages) {
    mmu_.flush();
  }
}

bool process::range_free(uint64_t start, uint64_t end) const {
  auto it = regions_.lower_bound(start);
  if (it != regions_.end() && it->first < end) return false;
  if (it != regions_.begin() && std::prev(it)->second.end > start) return false;
  return true;
}

// Highest free range of `length` bytes below kMmapTop and above the heap.
uint64_t process::find_free_range(uint64_t length) const {
  uint64_t candidate_end = kMmapTop;
  auto it = regions_.lower_bound(kMmapTop);
  while (true) {
    if (candidate_end < length) return 0;
    const uint64_t start = candidate_end - length;
    if (start < brk_ + (1ull << 30)) return 0;  // keep 1 GiB of room for brk
    if (it == regions_.begin()) return start;
    auto prev = std::prev(it);
    if (prev->second.end <= start) return start;
    candidate_end = std::min(candidate_end, prev->first);
    it = prev;
  }
}

bool process::handle_page_fault(uint64_t vaddr, cpu::exception cause) {
  const uint64_t page = page_down(vaddr);
  auto it = regions_.upper_bound(vaddr);
  if (it == regions_.begin()) return false;
  --it;
  if (vaddr >= it->second.end) return false;
  const uint64_t flags = it->second.pte_flags;
  const bool ok = cause == cpu::exception::kStorePageFault         ? (flags & pte::kWrite)
                  : cause == cpu::exception::kInstructionPageFault ? (flags & pte::kExecute)
                                                                   : (flags & pte::kRead);
  if (!ok || tables_.lookup(page)) return false;  // mapped already: a permission fault
  if (!map_zero_page(page, flags)) return false;
  ++counters_.demand_faults;
  return true;
}

bool process::copy_from_guest(uint64_t vaddr, void* out, uint64_t length) {
  auto* bytes = static_cast<uint8_t*>(out);
  while (length > 0) {
    uint64_t paddr;
    if (mmu_.translate(vaddr, tlb::access_type::kRead, paddr) != mmu::access_status::kOk) {
      if (!handle_page_fault(vaddr, cpu::exception::kLoadPageFault) ||
          mmu_.translate(vaddr, tlb::access_type::kRead, paddr) != mmu::access_status::kOk) {
        return false;
      }
    }
    const uint64_t chunk = std::min(length, mem::kPageSize - (vaddr & mem::kPageMask));
    simd::copy(bytes, ram_.host(paddr), chunk);
    bytes += chunk;
    vaddr += chunk;
    length -= chunk;
  }
  return true;
}

bool process::copy_to_guest(uint64_t vaddr, const void* data, uint64_t length) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  while (length > 0) {
    uint64_t paddr;
    if (mmu_.translate(vaddr, tlb::access_type::kWrite, paddr) != mmu::access_status::kOk) {
      if (!handle_page_fault(vaddr, cpu::exception::kStorePageFault) ||
          mmu_.translate(vaddr, tlb::access_type::kWrite, paddr) != mmu::access_status::kOk) {
        return false;
      }
    }
    const uint64_t chunk = std::min(length, mem::kPageSize - (vaddr & mem::kPageMask));
    simd::copy(ram_.host(paddr), bytes, chunk);
    bytes += chunk;
    vaddr += chunk;
    length -= chunk;
  }
  return true;
}

bool process::translate_range(uint64_t vaddr, uint64_t length, tlb::access_type access,
                              std::vector<host_span>& out) {
  out.clear();
  const cpu::exception cause = access == tlb::access_type::kWrite ? cpu::exception::kStorePageFault
                                                                  : cpu::exception::kLoadPageFault;
  while (length > 0) {
    uint64_t paddr;
    if (mmu_.translate(vaddr, access, paddr) != mmu::access_status::kOk) {
      if (!handle_page_fault(vaddr, cause) ||
          mmu_.translate(vaddr, access, paddr) != mmu::access_status::kOk) {
        return false;
      }
    }
    const uint64_t chunk = std::min(length, mem::kPageSize - (vaddr & mem::kPageMask));
    uint8_t* host = ram_.host(paddr);
    if (!out.empty() && out.back().host + out.back().length == host) {
      out.back().length += chunk;
    } else {
      out.push_back({host, chunk});
    }
    vaddr += chunk;
    length -= chunk;
  }
  return true;
}

bool process::read_guest_string(uint64_t vaddr, std::string& out, size_t max) {
  out.clear();
  for (size_t i = 0; i < max; ++i) {
    char c;
    if (!copy_from_guest(vaddr + i, &c, 1)) return false;
    if (c == 0) return true;
    out.push_back(c);
  }
  return false;
}

exit_info process::run(uint64_t max_instructions) {
  exit_info info;
  const uint64_t stop_at = max_instructions > UINT64_MAX - state_.instret
                               ? UINT64_MAX
                               : state_.instret + max_instructions;
  auto fatal = [&](int signal, const std::string& what) {
    info.signalled = true;
    info.status = 128 + signal;
    info.diagnostic = what;
    return info;
  };
  while (!exited_) {
    if (state_.instret >= stop_at) {
      info.instruction_limit = true;
      info.status = 124;
      info.diagnostic = "instruction limit of " + std::to_string(max_instructions) +
                        " reached at pc " + hex(state_.pc);
      return info;
    }
    cpu::access_log* log = observer_ != nullptr ? observer_->log() : nullptr;
    const cpu::run_result r = log != nullptr ? hart_.run(stop_at - state_.instret, *log)
                                             : hart_.run(stop_at - state_.instret);
    if (log != nullptr) observer_->drain(*log);
    if (r.reason == cpu::run_reason::kInstructionLimit || r.reason == cpu::run_reason::kLogFull)
      continue;
    if (r.reason == cpu::run_reason::kNativeCall) {
      if (!complete_native_call(r.tval)) hart_.run_native_call_guest();
      continue;
    }
    if (r.reason != cpu::run_reason::kTrap) {
      return fatal(kSigSegv, "unexpected machine event at pc " + hex(state_.pc));
    }
    switch (r.cause) {
      case cpu::exception::kEcallFromUser: {
        ++counters_.syscalls;
        const uint64_t args[6] = {state_.x[10], state_.x[11], state_.x[12],
                                  state_.x[13], state_.x[14], state_.x[15]};
        syscall_input_.clear();
        const int64_t ret = syscall(state_.x[17], args);
        if (exited_) break;
        if (observer_ != nullptr) observer_->syscall_done(state_.x[17], args, ret, syscall_input_);
        state_.x[10] = static_cast<uint64_t>(ret);
        state_.pc += 4;  // ecall has no compressed form
        break;
      }
      case cpu::exception::kInstructionPageFault:
      case cpu::exception::kLoadPageFault:
      case cpu::exception::kStorePageFault:
        if (handle_page_fault(r.tval, r.cause)) break;
        return fatal(kSigSegv, std::string("segmentation fault: ") + cpu::describe(r.cause) +
                                   " at address " + hex(r.tval) + ", pc " + hex(state_.pc));
      case cpu::exception::kIllegalInstruction: {
        const isa::decoded_instruction d = isa::decode(static_cast<uint32_t>(r.tval));
        const bool compressed = (r.tval & 3) != 3;
        char word[24];
        std::snprintf(word, sizeof word, compressed ? "0x%04" PRIx64 : "0x%08" PRIx64, r.tval);
        std::string what =
            std::string("illegal instruction at pc ") + hex(state_.pc) + ": word " + word;
        if (d.operation != isa::op::kIllegal)
          what += " (" + isa::disassemble(d) + ": not permitted in U-mode)";
        return fatal(kSigIll, what);
      }
      case cpu::exception::kBreakpoint:
        return fatal(kSigTrap, "breakpoint (ebreak) at pc " + hex(state_.pc));
      case cpu::exception::kLoadMisaligned:
      case cpu::exception::kStoreMisaligned:
      case cpu::exception::kInstructionMisaligned:
        return fatal(kSigBus, std::string("bus error: ") + cpu::describe(r.cause) + " at address " +
                                  hex(r.tval) + ", pc " + hex(state_.pc));
      default:
        return fatal(kSigSegv, std::string("segmentation fault: ") + cpu::describe(r.cause) +
                                   " at address " + hex(r.tval) + ", pc " + hex(state_.pc));
    }
  }
  info.status = exit_status_;
  return info;
}

}  // namespace vm::linux_abi

namespace vm::linux_abi {

void process::for_each_mapped_page(
    const std::function<void(uint64_t vaddr, const uint8_t* bytes)>& visit) const {
  for (const auto& [start, r] : regions_) {
    for (uint64_t page = start; page < r.end; page += mem::kPageSize) {
      const std::optional<uint64_t> pte = tables_.lookup(page);
      if (!pte) continue;
      visit(page, ram_.host(mmu::sv39::pte::ppn(*pte) << mmu::sv39::kPageShift));
    }
  }
}

std::vector<process::mapped_range> process::mapped_ranges() const {
  std::vector<mapped_range> out;
  for (const auto& [start, r] : regions_) {
    if (r.pte_flags == 0) continue;
    if (!out.empty() && out.back().end == start && out.back().pte_flags == r.pte_flags) {
      out.back().end = r.end;
    } else {
      out.push_back({start, r.end, r.pte_flags});
    }
  }
  return out;
}

}  // namespace vm::linux_abi
