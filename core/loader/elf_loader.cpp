#include "loader/elf_loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/format.h"

namespace vm::loader {
namespace {

constexpr uint16_t kMachineRiscv = 243;
constexpr uint16_t kTypeRel = 1;
constexpr uint16_t kTypeExec = 2;
constexpr uint16_t kTypeDyn = 3;
constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kPtInterp = 3;
constexpr uint32_t kPtDynamic = 2;
constexpr uint32_t kSectionSymtab = 2;
constexpr size_t kHeaderSize = 64;
constexpr size_t kProgramHeaderSize = 56;
constexpr size_t kSectionHeaderSize = 64;
constexpr size_t kSymbolSize = 24;
constexpr uint8_t kSymbolFunction = 2;  // STT_FUNC, the low nibble of st_info

class reader {
 public:
  reader(const std::string& path, const std::vector<uint8_t>& bytes) : path_(path), bytes_(bytes) {}

  template <class T>
  T at(uint64_t offset) const {
    T v;
    std::memcpy(&v, bytes_.data() + offset, sizeof v);
    return v;
  }
  bool in_file(uint64_t offset, uint64_t length) const {
    return offset <= bytes_.size() && length <= bytes_.size() - offset;
  }
  error fail(uint64_t offset, const std::string& what,
             error_code code = error_code::kBadInput) const {
    char where[32];
    std::snprintf(where, sizeof where, "offset 0x%llx", static_cast<unsigned long long>(offset));
    return error{code, path_ + ": " + where + ": " + what};
  }

 private:
  const std::string& path_;
  const std::vector<uint8_t>& bytes_;
};

// Finds tohost/fromhost and the defined functions in .symtab. Section data that is out of range is
// malformed input; a file without a symbol table simply has no symbols.
error read_symbols(const reader& r, const std::vector<uint8_t>& bytes, elf_image& image) {
  const auto shoff = r.at<uint64_t>(0x28);
  const auto shentsize = r.at<uint16_t>(0x3a);
  const auto shnum = r.at<uint16_t>(0x3c);
  if (shnum == 0 || shoff == 0) return error::ok();
  if (shentsize != kSectionHeaderSize)
    return r.fail(0x3a, "section header size " + std::to_string(shentsize) + ", expected 64");
  if (!r.in_file(shoff, uint64_t{shnum} * kSectionHeaderSize)) {
    return r.fail(0x28, "section header table (" + std::to_string(shnum) + " entries at " +
                            hex(shoff) + ") extends past the end of the file");
  }
  for (uint64_t i = 0; i < shnum; ++i) {
    const uint64_t sh = shoff + i * kSectionHeaderSize;
    if (r.at<uint32_t>(sh + 4) != kSectionSymtab) continue;
    const auto offset = r.at<uint64_t>(sh + 0x18);
    const auto size = r.at<uint64_t>(sh + 0x20);
    const auto link = r.at<uint32_t>(sh + 0x28);
    if (!r.in_file(offset, size))
      return r.fail(sh + 0x18, "symbol table extends past the end of the file");
    if (link >= shnum)
      return r.fail(sh + 0x28,
                    "symbol table links to missing string table " + std::to_string(link));
    const uint64_t strsh = shoff + uint64_t{link} * kSectionHeaderSize;
    const auto stroff = r.at<uint64_t>(strsh + 0x18);
    const auto strsize = r.at<uint64_t>(strsh + 0x20);
    if (!r.in_file(stroff, strsize))
      return r.fail(strsh + 0x18, "string table extends past the end of the file");
    for (uint64_t s = offset; s + kSymbolSize <= offset + size; s += kSymbolSize) {
      const auto name = r.at<uint32_t>(s);
      if (name >= strsize) continue;
      const char* str = reinterpret_cast<const char*>(bytes.data() + stroff + name);
      const size_t max = strsize - name;
      const std::string_view sym(str, strnlen(str, max));
      if (sym == "tohost") image.tohost = r.at<uint64_t>(s + 8);
      if (sym == "fromhost") image.fromhost = r.at<uint64_t>(s + 8);
      const auto info = r.at<uint8_t>(s + 4);
      const auto value = r.at<uint64_t>(s + 8);
      if ((info & 0xf) == kSymbolFunction && value != 0 && !sym.empty())
        image.functions.push_back({std::string(sym), value, r.at<uint64_t>(s + 16)});
    }
  }
  return error::ok();
}

}  // namespace

std::optional<uint64_t> elf_image::function(std::string_view name) const noexcept {
  for (const elf_function& f : functions)
    if (f.name == name) return f.address;
  return std::nullopt;
}

uint64_t elf_image::end_of_image() const noexcept {
  uint64_t end = 0;
  for (const elf_segment& s : segments) end = std::max(end, s.vaddr + s.memory_size);
  return end;
}

result<elf_image> load_elf(const std::string& path) {
  // POSIX I/O rather than iostreams: no exceptions, and a directory or a
  // device is refused by name instead of failing somewhere in a read.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return error{error_code::kIo, path + ": cannot open: " + std::strerror(errno)};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const bool is_dir = S_ISDIR(st.st_mode);
    ::close(fd);
    return error{error_code::kIo, path + (is_dir ? ": is a directory" : ": not a regular file")};
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxFileBytes) {
    ::close(fd);
    return error{error_code::kBadInput,
                 path + ": file is larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB"};
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = n < 0 ? std::strerror(errno) : "file shrank while reading";
      ::close(fd);
      return error{error_code::kIo, path + ": read error: " + why};
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return parse_elf(path, std::move(bytes));
}

result<elf_image> parse_elf(std::string path, std::vector<uint8_t> bytes) {
  elf_image image;
  image.path = std::move(path);
  image.bytes = std::move(bytes);
  const reader r(image.path, image.bytes);
  const auto& b = image.bytes;

  if (b.size() < 4 || std::memcmp(b.data(),
                                  "\x7f"
                                  "ELF",
                                  4) != 0)
    return r.fail(0, "not an ELF file (bad magic)");
  if (b.size() < kHeaderSize)
    return r.fail(b.size(), "truncated ELF header (" + std::to_string(b.size()) + " of 64 bytes)");
  if (b[4] != 2)
    return r.fail(4, "not a 64-bit ELF (class " + std::to_string(b[4]) + ")",
                  error_code::kUnsupported);
  if (b[5] != 1) return r.fail(5, "not little-endian", error_code::kUnsupported);
  const auto type = r.at<uint16_t>(0x10);
  const auto machine = r.at<uint16_t>(0x12);
  if (machine != kMachineRiscv)
    return r.fail(0x12, "not a RISC-V ELF (machine " + std::to_string(machine) + ")",
                  error_code::kUnsupported);
  if (type == kTypeDyn)
    return r.fail(
        0x10,
        "position-independent or shared object: only static executables (ET_EXEC) are supported",
        error_code::kUnsupported);
  if (type == kTypeRel) {
    return r.fail(0x10, "relocatable object (ET_REL): link it into an executable first",
                  error_code::kUnsupported);
  }
  if (type != kTypeExec)
    return r.fail(0x10, "not an executable (type " + std::to_string(type) + ")");
  image.entry = r.at<uint64_t>(0x18);
  const auto phoff = r.at<uint64_t>(0x20);
  const auto phentsize = r.at<uint16_t>(0x36);
  const auto phnum = r.at<uint16_t>(0x38);
  if (phnum == 0) return r.fail(0x38, "no program headers");
  if (phentsize != kProgramHeaderSize)
    return r.fail(0x36, "program header size " + std::to_string(phentsize) + ", expected 56");
  if (!r.in_file(phoff, uint64_t{phnum} * kProgramHeaderSize)) {
    return r.fail(0x20, "program header table (" + std::to_string(phnum) + " entries at " +
                            hex(phoff) + ") extends past the end of the file");
  }
  image.program_header_count = phnum;

  uint64_t total = 0;
  for (uint64_t i = 0; i < phnum; ++i) {
    const uint64_t ph = phoff + i * kProgramHeaderSize;
    const auto ptype = r.at<uint32_t>(ph);
    if (ptype == kPtInterp || ptype == kPtDynamic) {
      return r.fail(
          ph, "dynamically linked (PT_INTERP/PT_DYNAMIC): only static executables are supported",
          error_code::kUnsupported);
    }
    if (ptype != kPtLoad) continue;
    elf_segment s;
    const auto flags = r.at<uint32_t>(ph + 4);
    s.executable = flags & 1;
    s.writable = flags & 2;
    s.readable = flags & 4;
    s.file_offset = r.at<uint64_t>(ph + 8);
    s.vaddr = r.at<uint64_t>(ph + 16);
    s.paddr = r.at<uint64_t>(ph + 24);
    s.file_size = r.at<uint64_t>(ph + 32);
    s.memory_size = r.at<uint64_t>(ph + 40);
    const std::string which = "segment " + std::to_string(i);
    if (s.file_size > s.memory_size)
      return r.fail(ph + 32, which + ": file size " + hex(s.file_size) + " exceeds memory size " +
                                 hex(s.memory_size));
    if (!r.in_file(s.file_offset, s.file_size)) {
      return r.fail(ph + 8, which + ": data (" + hex(s.file_size) + " bytes at " +
                                hex(s.file_offset) + ") extends past the end of the file (" +
                                hex(b.size()) + " bytes)");
    }
    if (s.memory_size > kMaxImageBytes || s.vaddr > UINT64_MAX - s.memory_size) {
      return r.fail(ph + 40, which + ": memory size " + hex(s.memory_size) + " is too large");
    }
    total += s.memory_size;
    if (total > kMaxImageBytes) return r.fail(ph + 40, "segments total more than 4 GiB");
    if (s.memory_size == 0) continue;
    if (phoff >= s.file_offset &&
        phoff + uint64_t{phnum} * kProgramHeaderSize <= s.file_offset + s.file_size) {
      image.program_headers_vaddr = s.vaddr + (phoff - s.file_offset);
    }
    image.segments.push_back(s);
  }
  if (image.segments.empty()) return r.fail(phoff, "no loadable segments");
  std::sort(image.segments.begin(), image.segments.end(),
            [](const elf_segment& x, const elf_segment& y) { return x.vaddr < y.vaddr; });
  for (size_t i = 1; i < image.segments.size(); ++i) {
    const elf_segment& prev = image.segments[i - 1];
    const elf_segment& cur = image.segments[i];
    if (cur.vaddr < prev.vaddr + prev.memory_size) {
      return r.fail(phoff, "segments overlap: [" + hex(prev.vaddr) + ", " +
                               hex(prev.vaddr + prev.memory_size) + ") and [" + hex(cur.vaddr) +
                               ", " + hex(cur.vaddr + cur.memory_size) + ")");
    }
  }
  if (error e = read_symbols(r, b, image)) return e;

  const bool entry_ok =
      std::any_of(image.segments.begin(), image.segments.end(), [&](const elf_segment& s) {
        return s.executable && image.entry >= s.vaddr && image.entry < s.vaddr + s.memory_size;
      });
  if (!entry_ok)
    return r.fail(0x18, "entry point " + hex(image.entry) + " is outside every executable segment");
  if (!image.bare_metal() && image.end_of_image() > kUserAddressLimit) {
    return r.fail(phoff, "image ends at " + hex(image.end_of_image()) +
                             ", beyond the 256 GiB Sv39 user address space");
  }
  return image;
}

}  // namespace vm::loader
