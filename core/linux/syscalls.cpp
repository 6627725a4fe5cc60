// syscalls.cpp - the Linux system calls (riscv64 generic numbering) that
// static programs need. Unknown calls return -ENOSYS and are reported once.

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "linux/process.h"
#include "mmu/sv39.h"

namespace vm::linux_abi {
namespace {

namespace pte = mmu::sv39::pte;

using mem::page_up;

enum : uint64_t {
  kSysGetcwd = 17,
  kSysIoctl = 29,
  kSysFaccessat = 48,
  kSysOpenat = 56,
  kSysClose = 57,
  kSysLseek = 62,
  kSysRead = 63,
  kSysWrite = 64,
  kSysWritev = 66,
  kSysReadlinkat = 78,
  kSysNewfstatat = 79,
  kSysFstat = 80,
  kSysExit = 93,
  kSysExitGroup = 94,
  kSysSetTidAddress = 96,
  kSysFutex = 98,
  kSysSetRobustList = 99,
  kSysClockGettime = 113,
  kSysClockGetres = 114,
  kSysSchedYield = 124,
  kSysTgkill = 131,
  kSysRtSigaction = 134,
  kSysRtSigprocmask = 135,
  kSysUname = 160,
  kSysGetrlimit = 163,
  kSysPrctl = 167,
  kSysGettimeofday = 169,
  kSysGetpid = 172,
  kSysGetppid = 173,
  kSysGetuid = 174,
  kSysGeteuid = 175,
  kSysGetgid = 176,
  kSysGetegid = 177,
  kSysGettid = 178,
  kSysBrk = 214,
  kSysMunmap = 215,
  kSysMmap = 222,
  kSysMprotect = 226,
  kSysMadvise = 233,
  kSysPrlimit64 = 261,
  kSysGetrandom = 278,
  kSysRiscvFlushIcache = 259,
};

constexpr int64_t kProtRead = 1, kProtWrite = 2, kProtExec = 4;
constexpr int64_t kMapShared = 1, kMapPrivate = 2, kMapFixed = 0x10, kMapAnonymous = 0x20,
                  kMapFixedNoreplace = 0x100000;
constexpr uint64_t kClockRealtime = 0, kClockMonotonic = 1, kClockProcessCputime = 2,
                   kClockThreadCputime = 3, kClockMonotonicRaw = 4, kClockRealtimeCoarse = 5,
                   kClockMonotonicCoarse = 6, kClockBoottime = 7;
// The guest's wall clock starts at 2024-01-01T00:00:00Z and advances one
// nanosecond per retired instruction.
constexpr uint64_t kEpochSeconds = 1704067200;
constexpr int kPid = 1000;

uint64_t pte_flags_for(uint64_t prot) {
  if (prot == 0) return 0;
  uint64_t flags = pte::kUser | pte::kAccessed | pte::kDirty;
  if (prot & (kProtRead | kProtWrite)) flags |= pte::kRead;  // W without R is reserved in RISC-V
  if (prot & kProtWrite) flags |= pte::kWrite;
  if (prot & kProtExec) flags |= pte::kExecute;
  return flags;
}

}  // namespace

uint64_t process::virtual_nanoseconds() const noexcept {
  return state_.instret;
}

int process::host_fd(int64_t guest_fd) const {
  if (guest_fd < 0 || static_cast<uint64_t>(guest_fd) >= fds_.size()) return -1;
  return fds_[guest_fd];
}

int64_t process::syscall(uint64_t number, const uint64_t a[6]) {
  // Replay: what a write reaches depends on the host (a full disk, a closed
  // pipe), so its result comes from the recording and nothing is written.
  if ((number == kSysWrite || number == kSysWritev) && observer_ != nullptr) {
    if (const std::optional<int64_t> recorded = observer_->replay_output(number)) return *recorded;
  }
  switch (number) {
    case kSysRead: return sys_read(static_cast<int64_t>(a[0]), a[1], a[2]);
    case kSysWrite: return sys_write(static_cast<int64_t>(a[0]), a[1], a[2]);
    case kSysWritev: return sys_writev(static_cast<int64_t>(a[0]), a[1], a[2]);
    case kSysOpenat: return sys_openat(a[1]);
    case kSysClose: return sys_close(static_cast<int64_t>(a[0]));
    case kSysFstat: return sys_fstat(static_cast<int64_t>(a[0]), a[1]);
    case kSysNewfstatat: {
      std::string path;
      if (!read_guest_string(a[1], path)) return -EFAULT;
      if (!path.empty()) return -ENOENT;  // no host files are visible
      return sys_fstat(static_cast<int64_t>(a[0]), a[2]);
    }
    case kSysExit:
    case kSysExitGroup:
      exited_ = true;
      exit_status_ = static_cast<int>(a[0] & 0xff);
      return 0;
    case kSysBrk: return sys_brk(a[0]);
    case kSysMmap: return sys_mmap(a[0], a[1], a[2], a[3], static_cast<int64_t>(a[4]));
    case kSysMunmap: return sys_munmap(a[0], a[1]);
    case kSysMprotect: return sys_mprotect(a[0], a[1], a[2]);
    case kSysMadvise: return 0;
    case kSysClockGettime: return sys_clock_gettime(a[0], a[1]);
    case kSysClockGetres: {
      const int64_t res[2] = {0, 1};
      if (a[1] != 0 && !copy_to_guest(a[1], res, sizeof res)) return -EFAULT;
      return 0;
    }
    case kSysGettimeofday: return sys_gettimeofday(a[0]);
    case kSysGetrandom: return sys_getrandom(a[0], a[1]);
    case kSysUname: return sys_uname(a[0]);
    case kSysSetTidAddress: return kPid;
    case kSysGetpid:
    case kSysGettid: return kPid;
    case kSysGetppid: return kPid - 1;
    case kSysGetuid:
    case kSysGeteuid:
    case kSysGetgid:
    case kSysGetegid: return 1000;
    case kSysSetRobustList: return 0;
    case kSysRtSigaction: {
      if (a[2] != 0) {  // old action: "default"
        const uint8_t zero[32] = {};
        if (!copy_to_guest(a[2], zero, sizeof zero)) return -EFAULT;
      }
      return 0;
    }
    case kSysRtSigprocmask: {
      if (a[2] != 0) {
        const uint64_t empty = 0;
        if (!copy_to_guest(a[2], &empty, sizeof empty)) return -EFAULT;
      }
      return 0;
    }
    case kSysSchedYield: return 0;
    case kSysIoctl: return host_fd(static_cast<int64_t>(a[0])) < 0 ? -EBADF : -ENOTTY;
    case kSysLseek: return host_fd(static_cast<int64_t>(a[0])) < 0 ? -EBADF : -ESPIPE;
    case kSysFaccessat:
    case kSysReadlinkat: return -ENOENT;
    case kSysGetrlimit:
    case kSysPrlimit64: {
      const uint64_t resource = a[number == kSysPrlimit64 ? 1 : 0];
      const uint64_t out = a[number == kSysPrlimit64 ? 3 : 1];
      constexpr uint64_t kRlimitStack = 3;
      const uint64_t infinity = ~0ull;
      const uint64_t limit[2] = {resource == kRlimitStack ? kStackTop - stack_limit_ : infinity,
                                 infinity};
      if (out != 0 && !copy_to_guest(out, limit, sizeof limit)) return -EFAULT;
      return 0;
    }
    case kSysRiscvFlushIcache: hart_.flush_translations(); return 0;
    case kSysTgkill: {
      // abort(): raise(SIGABRT) on ourselves ends the process like a signal.
      exited_ = true;
      exit_status_ = 128 + static_cast<int>(a[2] & 0x7f);
      return 0;
    }
    default:
      if (reported_syscalls_.insert(number).second) {
        std::fprintf(stderr, "vmbench: unsupported syscall %llu at pc 0x%llx: returning -ENOSYS\n",
                     static_cast<unsigned long long>(number),
                     static_cast<unsigned long long>(state_.pc));
      }
      return -ENOSYS;
  }
}

int64_t process::sys_brk(uint64_t address) {
  // Out of range (including values whose page rounding would wrap): the
  // break stays where it is, as on Linux.
  if (address == 0 || address < brk_start_ || address > loader::kUserAddressLimit) {
    return static_cast<int64_t>(brk_);
  }
  const uint64_t old_end = page_up(brk_);
  const uint64_t new_end = page_up(address);
  if (new_end > old_end) {
    if (!range_free(old_end, new_end)) return static_cast<int64_t>(brk_);
    add_region(old_end, new_end, pte_flags_for(kProtRead | kProtWrite));
  } else if (new_end < old_end) {
    invalidate(remove_range(new_end, old_end));
  }
  brk_ = address;
  return static_cast<int64_t>(brk_);
}

int64_t process::sys_mmap(uint64_t address, uint64_t length, uint64_t prot, uint64_t flags,
                          int64_t fd) {
  if (length == 0) return -EINVAL;
  if (!(flags & kMapAnonymous)) return fd < 0 ? -EBADF : -ENODEV;  // no host files
  if ((flags & (kMapShared | kMapPrivate)) == 0) return -EINVAL;
  if (length > loader::kUserAddressLimit) return -ENOMEM;
  length = page_up(length);
  // Written as `address <= limit - length` so that no sum can wrap around.
  const bool fits = address <= loader::kUserAddressLimit - length;
  if (flags & (kMapFixed | kMapFixedNoreplace)) {
    if ((address & mem::kPageMask) || !fits) return -EINVAL;
    if ((flags & kMapFixedNoreplace) && !range_free(address, address + length)) return -EEXIST;
  } else {
    // The hint is honoured when it is page-aligned, fits and is free.
    const bool hint_ok = address != 0 && !(address & mem::kPageMask) && fits &&
                         range_free(address, address + length);
    if (!hint_ok) address = find_free_range(length);
    if (address == 0) return -ENOMEM;
  }
  invalidate(add_region(address, address + length, pte_flags_for(prot)));
  return static_cast<int64_t>(address);
}

int64_t process::sys_munmap(uint64_t address, uint64_t length) {
  if ((address & mem::kPageMask) || length == 0 || length > loader::kUserAddressLimit ||
      address > loader::kUserAddressLimit - page_up(length)) {
    return -EINVAL;
  }
  invalidate(remove_range(address, address + page_up(length)));
  return 0;
}

int64_t process::sys_mprotect(uint64_t address, uint64_t length, uint64_t prot) {
  if (address & mem::kPageMask) return -EINVAL;
  if (length > loader::kUserAddressLimit || address > loader::kUserAddressLimit - page_up(length)) {
    return -ENOMEM;
  }
  const uint64_t end = address + page_up(length);
  split_at(address);
  split_at(end);
  const uint64_t flags = pte_flags_for(prot);
  change c;
  for (auto it = regions_.lower_bound(address); it != regions_.end() && it->first < end; ++it) {
    const bool was_code = (it->second.pte_flags & pte::kExecute) != 0;
    it->second.pte_flags = flags;
    ++map_generation_;
    for (uint64_t page = it->first; page < it->second.end; page += mem::kPageSize) {
      if (!tables_.lookup(page)) continue;
      c.mapped_pages = true;
      c.code |= was_code || (flags & pte::kExecute);
      if (flags == 0) {
        if (auto frame = tables_.unmap(page)) frames_.release(*frame);  // PROT_NONE drops the data
      } else {
        tables_.protect(page, flags);
      }
    }
  }
  invalidate(c);
  return 0;
}

int64_t process::sys_read(int64_t fd, uint64_t buffer, uint64_t length) {
  const int host = host_fd(fd);
  if (host < 0) return -EBADF;
  std::vector<uint8_t> data(std::min<uint64_t>(length, 1 << 20));
  ssize_t n;
  if (std::optional<int64_t> replayed;
      observer_ != nullptr && (replayed = observer_->replay_read(fd, data.size(), data))) {
    // The recorded bytes (also those of a read whose copy then faulted).
    if (*replayed < 0 && data.empty()) return *replayed;
    n = static_cast<ssize_t>(data.size());
  } else {
    n = ::read(host, data.data(), data.size());
    if (n < 0) return -errno;
    data.resize(static_cast<size_t>(n));
  }
  // Recorded before the copy: a fault part-way leaves the pages before it
  // written, and a replay must write them too.
  syscall_input_ = data;
  if (!copy_to_guest(buffer, data.data(), static_cast<uint64_t>(n))) return -EFAULT;
  return n;
}

int64_t process::sys_write(int64_t fd, uint64_t buffer, uint64_t length) {
  const int host = host_fd(fd);
  if (host < 0) return -EBADF;
  // Bounded host memory whatever length the guest asks for: copy and write
  // in chunks. A fault after the first chunk ends the write short, as Linux
  // does; a fault in the first returns -EFAULT.
  constexpr uint64_t kChunk = 1 << 16;
  std::vector<uint8_t> data(std::min(length, kChunk));
  uint64_t done = 0;
  while (done < length) {
    const uint64_t chunk = std::min(length - done, kChunk);
    if (!copy_from_guest(buffer + done, data.data(), chunk)) {
      return done > 0 ? static_cast<int64_t>(done) : -EFAULT;
    }
    const bool discard = observer_ != nullptr && observer_->discard_output();
    for (uint64_t written = discard ? chunk : 0; written < chunk;) {
      const ssize_t n = ::write(host, data.data() + written, chunk - written);
      if (n < 0) {
        if (errno == EINTR) continue;
        const uint64_t total = done + written;
        return total > 0 ? static_cast<int64_t>(total) : -errno;
      }
      written += static_cast<uint64_t>(n);
    }
    done += chunk;
  }
  return static_cast<int64_t>(done);
}

int64_t process::sys_writev(int64_t fd, uint64_t iov, uint64_t count) {
  if (count > 1024) return -EINVAL;
  int64_t total = 0;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t entry[2];
    if (!copy_from_guest(iov + i * 16, entry, sizeof entry)) return -EFAULT;
    if (entry[1] == 0) continue;
    const int64_t n = sys_write(fd, entry[0], entry[1]);
    if (n < 0) return total > 0 ? total : n;
    total += n;
  }
  return total;
}

int64_t process::sys_openat(uint64_t path_address) {
  std::string path;
  if (!read_guest_string(path_address, path)) return -EFAULT;
  int host = -1;
  if (path == "/dev/stdin")
    host = 0;
  else if (path == "/dev/stdout")
    host = 1;
  else if (path == "/dev/stderr")
    host = 2;
  else
    return -ENOENT;  // the guest sees no host files
  for (size_t i = 0; i < fds_.size(); ++i) {
    if (fds_[i] < 0) {
      fds_[i] = host;
      return static_cast<int64_t>(i);
    }
  }
  fds_.push_back(host);
  return static_cast<int64_t>(fds_.size() - 1);
}

int64_t process::sys_close(int64_t fd) {
  if (host_fd(fd) < 0) return -EBADF;
  fds_[fd] = -1;  // the host's own descriptor stays open
  return 0;
}

int64_t process::sys_fstat(int64_t fd, uint64_t buffer) {
  if (host_fd(fd) < 0) return -EBADF;
  // asm-generic struct stat (128 bytes). Standard streams appear as a
  // character device, whatever the host has, so output is deterministic.
  uint8_t st[128] = {};
  auto put32 = [&](size_t offset, uint32_t v) { std::memcpy(st + offset, &v, 4); };
  auto put64 = [&](size_t offset, uint64_t v) { std::memcpy(st + offset, &v, 8); };
  put64(0, 0x16);                                    // st_dev
  put64(8, 3 + static_cast<uint64_t>(host_fd(fd)));  // st_ino
  put32(16, 0020000 | 0620);                         // st_mode: S_IFCHR | rw--w----
  put32(20, 1);                                      // st_nlink
  put32(24, 1000);                                   // st_uid
  put32(28, 5);                                      // st_gid (tty)
  put64(32, 0x8800);                                 // st_rdev
  put32(56, 1024);                                   // st_blksize
  if (!copy_to_guest(buffer, st, sizeof st)) return -EFAULT;
  return 0;
}

int64_t process::sys_clock_gettime(uint64_t clock, uint64_t buffer) {
  uint64_t ns = virtual_nanoseconds();
  switch (clock) {
    case kClockRealtime:
    case kClockRealtimeCoarse: ns += kEpochSeconds * 1'000'000'000ull; break;
    case kClockMonotonic:
    case kClockProcessCputime:
    case kClockThreadCputime:
    case kClockMonotonicRaw:
    case kClockMonotonicCoarse:
    case kClockBoottime: break;
    default: return -EINVAL;
  }
  const uint64_t ts[2] = {ns / 1'000'000'000ull, ns % 1'000'000'000ull};
  if (!copy_to_guest(buffer, ts, sizeof ts)) return -EFAULT;
  return 0;
}

int64_t process::sys_gettimeofday(uint64_t buffer) {
  if (buffer == 0) return 0;
  const uint64_t ns = virtual_nanoseconds() + kEpochSeconds * 1'000'000'000ull;
  const uint64_t tv[2] = {ns / 1'000'000'000ull, (ns % 1'000'000'000ull) / 1000};
  if (!copy_to_guest(buffer, tv, sizeof tv)) return -EFAULT;
  return 0;
}

int64_t process::sys_getrandom(uint64_t buffer, uint64_t length) {
  length = std::min<uint64_t>(length, 1 << 25);
  std::vector<uint8_t> bytes(length);
  for (uint64_t i = 0; i < length; i += 8) {
    // splitmix64: deterministic from the seed, so replays see the same bytes.
    uint64_t z = (random_state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    std::memcpy(bytes.data() + i, &z, std::min<uint64_t>(8, length - i));
  }
  if (!copy_to_guest(buffer, bytes.data(), length)) return -EFAULT;
  return static_cast<int64_t>(length);
}

int64_t process::sys_uname(uint64_t buffer) {
  char u[6][65] = {};
  std::strcpy(u[0], "Linux");
  std::strcpy(u[1], "vmbench");
  std::strcpy(u[2], "6.1.0");
  std::strcpy(u[3], "#1 SMP vmbench");
  std::strcpy(u[4], "riscv64");
  std::strcpy(u[5], "(none)");
  if (!copy_to_guest(buffer, u, sizeof u)) return -EFAULT;
  return 0;
}

}  // namespace vm::linux_abi
