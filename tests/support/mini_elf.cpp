#include "support/mini_elf.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace vm::test {
namespace {

template <class T>
void put(std::vector<uint8_t>& b, size_t offset, T value) {
  if (b.size() < offset + sizeof value) b.resize(offset + sizeof value);
  std::memcpy(b.data() + offset, &value, sizeof value);
}

}  // namespace

std::vector<uint8_t> make_elf(const std::vector<mini_segment>& segments, uint64_t entry) {
  std::vector<uint8_t> b(64 + 56 * segments.size(), 0);
  const uint8_t ident[16] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  std::memcpy(b.data(), ident, sizeof ident);
  put<uint16_t>(b, 0x10, 2);    // ET_EXEC
  put<uint16_t>(b, 0x12, 243);  // EM_RISCV
  put<uint32_t>(b, 0x14, 1);
  put<uint64_t>(b, 0x18, entry);
  put<uint64_t>(b, 0x20, 64);  // phoff
  put<uint64_t>(b, 0x28, 0);   // no section headers
  put<uint16_t>(b, 0x34, 64);
  put<uint16_t>(b, 0x36, 56);
  put<uint16_t>(b, 0x38, static_cast<uint16_t>(segments.size()));
  put<uint16_t>(b, 0x3a, 64);
  uint64_t offset = (b.size() + 0xfff) & ~0xfffull;
  for (size_t i = 0; i < segments.size(); ++i) {
    const mini_segment& s = segments[i];
    const size_t ph = 64 + 56 * i;
    // Keep file offset congruent to vaddr modulo the page size.
    offset = (offset & ~0xfffull) + (s.vaddr & 0xfff);
    if (offset < b.size()) offset += 0x1000;
    put<uint32_t>(b, ph, 1);  // PT_LOAD
    put<uint32_t>(b, ph + 4, s.flags);
    put<uint64_t>(b, ph + 8, offset);
    put<uint64_t>(b, ph + 16, s.vaddr);
    put<uint64_t>(b, ph + 24, s.vaddr);
    put<uint64_t>(b, ph + 32, s.data.size());
    put<uint64_t>(b, ph + 40, s.memory_size ? s.memory_size : s.data.size());
    put<uint64_t>(b, ph + 48, 0x1000);
    if (b.size() < offset + s.data.size()) b.resize(offset + s.data.size());
    std::memcpy(b.data() + offset, s.data.data(), s.data.size());
    offset += s.data.size();
  }
  return b;
}

std::vector<uint8_t> make_program(const std::vector<uint32_t>& code) {
  mini_segment text;
  text.data.resize(code.size() * 4);
  std::memcpy(text.data.data(), code.data(), text.data.size());
  return make_elf({text}, text.vaddr);
}

std::string write_temp_file(const std::vector<uint8_t>& bytes, const std::string& stem) {
  const char* dir = std::getenv("TMPDIR");
  std::string path = std::string(dir ? dir : "/tmp") + "/" + stem + "-XXXXXX";
  const int fd = mkstemp(path.data());
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  const ssize_t n = write(fd, bytes.data(), bytes.size());
  close(fd);
  if (n != static_cast<ssize_t>(bytes.size())) throw std::runtime_error("short write");
  return path;
}

}  // namespace vm::test
