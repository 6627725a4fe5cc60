// elf_loader.tests.cpp - parse_elf/load_elf on valid and malformed input.
// Every rejected file must give an error (never a crash or an exception)
// whose message names the file and the offset, with the error code the
// header promises: kBadInput for malformed files, kUnsupported for valid
// ELF files we cannot run (wrong machine, 32-bit, dynamically linked).

#include "loader/elf_loader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "support/mini_elf.h"

namespace {

using vm::error_code;
using vm::loader::parse_elf;
using bytes_t = std::vector<uint8_t>;

template <class T>
void put(bytes_t& b, size_t offset, T value) {
  if (b.size() < offset + sizeof value) b.resize(offset + sizeof value);
  std::memcpy(b.data() + offset, &value, sizeof value);
}
template <class T>
T get(const bytes_t& b, size_t offset) {
  T v;
  std::memcpy(&v, b.data() + offset, sizeof v);
  return v;
}

// ELF64 header fields and program header layout.
constexpr size_t kEType = 0x10, kEMachine = 0x12, kEEntry = 0x18, kEPhoff = 0x20, kEShoff = 0x28,
                 kEPhentsize = 0x36, kEPhnum = 0x38, kEShnum = 0x3c;
constexpr size_t kPh0 = 64, kPhSize = 56;
constexpr size_t kPType = 0, kPFlags = 4, kPOffset = 8, kPVaddr = 16, kPFilesz = 32, kPMemsz = 40;

const std::vector<uint32_t> kCode = {
    0x00000513,  // li a0, 0
    0x05d00893,  // li a7, 93
    0x00000073,  // ecall
};

bytes_t valid_program() {
  return vm::test::make_program(kCode);
}

// Text (R+X) at 0x10000 and data (R+W, with .bss) at 0x20000.
bytes_t two_segments() {
  vm::test::mini_segment text;
  text.vaddr = 0x10000;
  text.data.resize(kCode.size() * 4);
  std::memcpy(text.data.data(), kCode.data(), text.data.size());
  vm::test::mini_segment data;
  data.vaddr = 0x20000;
  data.data = {1, 2, 3, 4, 5, 6, 7, 8};
  data.memory_size = 0x3000;
  data.flags = 6;  // PF_R | PF_W
  return vm::test::make_elf({text, data}, 0x10000);
}

// A valid program with a section header table holding .symtab/.strtab that
// define tohost and fromhost (so the loader's symbol reader runs).
bytes_t with_symbols(uint64_t tohost = 0x10100, uint64_t fromhost = 0x10108) {
  bytes_t b = valid_program();
  const char strtab[] = "\0tohost\0fromhost";  // 17 bytes with the final NUL
  const size_t str_off = (b.size() + 7) & ~size_t{7};
  b.resize(str_off);
  b.insert(b.end(), strtab, strtab + sizeof strtab);
  const size_t sym_off = (b.size() + 7) & ~size_t{7};
  b.resize(sym_off + 3 * 24, 0);
  put<uint32_t>(b, sym_off + 24, 1);  // "tohost"
  put<uint8_t>(b, sym_off + 24 + 4, 0x11);
  put<uint64_t>(b, sym_off + 24 + 8, tohost);
  put<uint32_t>(b, sym_off + 48, 8);  // "fromhost"
  put<uint8_t>(b, sym_off + 48 + 4, 0x11);
  put<uint64_t>(b, sym_off + 48 + 8, fromhost);
  const size_t sh_off = (b.size() + 7) & ~size_t{7};
  b.resize(sh_off + 3 * 64, 0);
  const size_t symtab = sh_off + 64, strsec = sh_off + 128;
  put<uint32_t>(b, symtab + 4, 2);  // SHT_SYMTAB
  put<uint64_t>(b, symtab + 0x18, sym_off);
  put<uint64_t>(b, symtab + 0x20, 3 * 24);
  put<uint32_t>(b, symtab + 0x28, 2);  // link: string table section
  put<uint64_t>(b, symtab + 0x38, 24);
  put<uint32_t>(b, strsec + 4, 3);  // SHT_STRTAB
  put<uint64_t>(b, strsec + 0x18, str_off);
  put<uint64_t>(b, strsec + 0x20, sizeof strtab);
  put<uint64_t>(b, kEShoff, sh_off);
  put<uint16_t>(b, kEShnum, 3);
  return b;
}

bytes_t with_symbols_default() {
  return with_symbols();
}

// A generator: `base()` with the T-sized field at `offset` set to `value`.
template <class T>
std::function<bytes_t()> with_field(size_t offset, T value, bytes_t (*base)() = valid_program) {
  return [=] {
    bytes_t b = base();
    put<T>(b, offset, value);
    return b;
  };
}

// A generator: valid_program() cut to `size` bytes.
std::function<bytes_t()> truncated(size_t size) {
  return [=] {
    bytes_t b = valid_program();
    b.resize(size);
    return b;
  };
}

void expect_rejected(const std::string& name, const bytes_t& bytes, error_code expected) {
  const std::string path = "/tmp/bad-" + name + ".elf";
  CAPTURE(name);
  vm::result<vm::loader::elf_image> r = parse_elf(path, bytes);
  REQUIRE_FALSE(r.ok());
  const vm::error& e = r.err();
  CAPTURE(e.message);
  CHECK(e.message.find(path) != std::string::npos);
  CHECK(e.message.find("offset") != std::string::npos);
  CHECK(e.message.find('\n') == std::string::npos);  // one line
  CHECK(static_cast<int>(e.code) == static_cast<int>(expected));
}

struct malformed {
  const char* name;
  std::function<bytes_t()> make;
  error_code code;
};

}  // namespace

TEST_CASE("loader: a valid program parses into its segments and entry", "[loader]") {
  SECTION("one segment") {
    auto r = parse_elf("prog.elf", valid_program());
    REQUIRE(r.ok());
    const auto& img = r.value();
    CHECK(img.path == "prog.elf");
    CHECK(img.entry == 0x10000);
    REQUIRE(img.segments.size() == 1);
    CHECK(img.segments[0].vaddr == 0x10000);
    CHECK(img.segments[0].file_size == 12);
    CHECK(img.segments[0].memory_size == 12);
    CHECK(img.segments[0].executable);
    CHECK(img.segments[0].readable);
    CHECK_FALSE(img.segments[0].writable);
    CHECK_FALSE(img.bare_metal());
    CHECK(img.program_header_count == 1);
    CHECK(get<uint32_t>(img.bytes, img.segments[0].file_offset) == kCode[0]);
  }
  SECTION("two segments, listed in reverse order, come back sorted") {
    bytes_t b = two_segments();
    // Swap the two program headers.
    bytes_t ph0(b.begin() + kPh0, b.begin() + kPh0 + kPhSize);
    std::copy(b.begin() + kPh0 + kPhSize, b.begin() + kPh0 + 2 * kPhSize, b.begin() + kPh0);
    std::copy(ph0.begin(), ph0.end(), b.begin() + kPh0 + kPhSize);
    auto r = parse_elf("two.elf", b);
    REQUIRE(r.ok());
    const auto& img = r.value();
    REQUIRE(img.segments.size() == 2);
    CHECK(img.segments[0].vaddr == 0x10000);
    CHECK(img.segments[1].vaddr == 0x20000);
    CHECK(img.segments[1].memory_size == 0x3000);
    CHECK(img.segments[1].file_size == 8);
    CHECK(img.segments[1].writable);
    CHECK(img.end_of_image() == 0x23000);
  }
  SECTION("tohost/fromhost symbols make it a bare-metal image") {
    auto r = parse_elf("htif.elf", with_symbols(0x10100, 0x10108));
    REQUIRE(r.ok());
    CHECK(r.value().bare_metal());
    REQUIRE(r.value().tohost.has_value());
    CHECK(*r.value().tohost == 0x10100);
    REQUIRE(r.value().fromhost.has_value());
    CHECK(*r.value().fromhost == 0x10108);
  }
}

TEST_CASE("loader: malformed and unsupported files are rejected with file, offset and code",
          "[loader]") {
  const size_t ph1 = kPh0 + kPhSize;
  const uint64_t ph_past_eof = valid_program().size() - 20;
  const uint64_t data_past_eof = valid_program().size() - 4;
  const std::vector<malformed> cases = {
      {"empty", [] { return bytes_t{}; }, error_code::kBadInput},
      {"three-bytes",
       [] {
         return bytes_t{0x7f, 'E', 'L'};
       },
       error_code::kBadInput},
      {"bad-magic", with_field<uint8_t>(1, 'X'), error_code::kBadInput},
      {"text-file",
       [] {
         const char t[] = "#!/bin/sh\necho hi\n";
         return bytes_t(t, t + sizeof t);
       },
       error_code::kBadInput},
      {"truncated-header", truncated(40), error_code::kBadInput},
      {"header-only", truncated(64), error_code::kBadInput},
      {"32-bit", with_field<uint8_t>(4, 1), error_code::kUnsupported},
      {"big-endian", with_field<uint8_t>(5, 2), error_code::kUnsupported},
      {"x86-64", with_field<uint16_t>(kEMachine, 62), error_code::kUnsupported},
      {"aarch64", with_field<uint16_t>(kEMachine, 183), error_code::kUnsupported},
      {"et-dyn", with_field<uint16_t>(kEType, 3), error_code::kUnsupported},
      {"no-program-headers", with_field<uint16_t>(kEPhnum, 0), error_code::kBadInput},
      {"phentsize", with_field<uint16_t>(kEPhentsize, 32), error_code::kBadInput},
      {"phoff-past-eof", with_field<uint64_t>(kEPhoff, ph_past_eof), error_code::kBadInput},
      {"phoff-huge", with_field<uint64_t>(kEPhoff, ~0ull - 8), error_code::kBadInput},
      {"phnum-huge", with_field<uint16_t>(kEPhnum, 0xffff), error_code::kBadInput},
      {"segment-data-past-eof", with_field<uint64_t>(kPh0 + kPOffset, data_past_eof),
       error_code::kBadInput},
      {"segment-offset-huge", with_field<uint64_t>(kPh0 + kPOffset, ~0ull - 4),
       error_code::kBadInput},
      {"segment-filesz-huge",
       [] {
         auto b = valid_program();
         put<uint64_t>(b, kPh0 + kPFilesz, ~0ull);
         put<uint64_t>(b, kPh0 + kPMemsz, ~0ull);
         return b;
       },
       error_code::kBadInput},
      {"truncated-segment-data", truncated(valid_program().size() - 1), error_code::kBadInput},
      {"filesz-gt-memsz", with_field<uint64_t>(kPh0 + kPMemsz, 8), error_code::kBadInput},
      {"memsz-huge", with_field<uint64_t>(kPh0 + kPMemsz, 1ull << 40), error_code::kBadInput},
      {"vaddr-plus-memsz-wraps",
       [] {
         auto b = valid_program();
         put<uint64_t>(b, kPh0 + kPVaddr, 0xfffffffffffff000);
         put<uint64_t>(b, kPh0 + kPMemsz, 0x2000);
         put<uint64_t>(b, kEEntry, 0xfffffffffffff000);
         return b;
       },
       error_code::kBadInput},
      {"segments-total-over-4gib",
       [] {
         auto b = two_segments();
         put<uint64_t>(b, kPh0 + kPMemsz, 3ull << 30);
         put<uint64_t>(b, ph1 + kPVaddr, 0x100000000);
         put<uint64_t>(b, ph1 + kPMemsz, 3ull << 30);
         return b;
       },
       error_code::kBadInput},
      {"overlapping-segments",  // data starts inside the text segment
       with_field<uint64_t>(ph1 + kPVaddr, 0x10008, two_segments), error_code::kBadInput},
      {"identical-segments", with_field<uint64_t>(ph1 + kPVaddr, 0x10000, two_segments),
       error_code::kBadInput},
      {"entry-in-data-segment", with_field<uint64_t>(kEEntry, 0x20000, two_segments),
       error_code::kBadInput},
      {"entry-outside-every-segment", with_field<uint64_t>(kEEntry, 0x90000),
       error_code::kBadInput},
      {"entry-just-past-text", with_field<uint64_t>(kEEntry, 0x1000c), error_code::kBadInput},
      {"no-loadable-segments", with_field<uint32_t>(kPh0 + kPType, 4),  // PT_NOTE
       error_code::kBadInput},
      {"pt-interp", with_field<uint32_t>(ph1 + kPType, 3, two_segments), error_code::kUnsupported},
      {"pt-dynamic", with_field<uint32_t>(ph1 + kPType, 2, two_segments), error_code::kUnsupported},
      {"section-headers-past-eof", with_field<uint16_t>(kEShnum, 200, with_symbols_default),
       error_code::kBadInput},
      {"symtab-past-eof",
       [] {
         auto b = with_symbols();
         put<uint64_t>(b, get<uint64_t>(b, kEShoff) + 64 + 0x20, 1ull << 20);
         return b;
       },
       error_code::kBadInput},
      {"symtab-links-to-missing-section",
       [] {
         auto b = with_symbols();
         put<uint32_t>(b, get<uint64_t>(b, kEShoff) + 64 + 0x28, 9);
         return b;
       },
       error_code::kBadInput},
      {"strtab-past-eof",
       [] {
         auto b = with_symbols();
         put<uint64_t>(b, get<uint64_t>(b, kEShoff) + 128 + 0x18, ~0ull - 2);
         return b;
       },
       error_code::kBadInput},
  };
  for (const malformed& c : cases) {
    bytes_t b = c.make();
    expect_rejected(c.name, b, c.code);
  }
}

TEST_CASE("loader: a relocatable object (ET_REL) is a valid ELF we cannot run: kUnsupported",
          "[loader]") {
  // elf_loader.h: kBadInput is for malformed files, kUnsupported for "valid
  // ELF we cannot run". An ET_REL object file is well-formed.
  auto b = valid_program();
  put<uint16_t>(b, kEType, 1);
  expect_rejected("et-rel", b, error_code::kUnsupported);
}

TEST_CASE("loader: an image beyond the Sv39 user address space is rejected", "[loader]") {
  auto b = valid_program();
  put<uint64_t>(b, kPh0 + kPVaddr, 1ull << 38);
  put<uint64_t>(b, kEEntry, 1ull << 38);
  auto r = parse_elf("/tmp/high.elf", b);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message.find("/tmp/high.elf") != std::string::npos);
  CHECK(r.err().message.find("offset") != std::string::npos);
  // Just below the limit is fine.
  put<uint64_t>(b, kPh0 + kPVaddr, (1ull << 38) - 0x1000);
  put<uint64_t>(b, kEEntry, (1ull << 38) - 0x1000);
  CHECK(parse_elf("/tmp/high.elf", b).ok());
}

TEST_CASE("loader: load_elf reports unreadable paths as kIo naming the file", "[loader]") {
  auto missing = vm::loader::load_elf("/nonexistent/dir/prog.elf");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.err().code == error_code::kIo);
  CHECK(missing.err().message.find("/nonexistent/dir/prog.elf") != std::string::npos);

  const std::string path = vm::test::write_temp_file(valid_program(), "loader-ok");
  auto ok = vm::loader::load_elf(path);
  std::remove(path.c_str());
  REQUIRE(ok.ok());
  CHECK(ok.value().path == path);
  CHECK(ok.value().entry == 0x10000);
}

TEST_CASE("loader: load_elf on a directory returns an error naming it (no exception)", "[loader]") {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp ? tmp : "/tmp") + "/loader-dir-XXXXXX";
  REQUIRE(mkdtemp(dir.data()) != nullptr);
  bool threw = false;
  std::string message;
  vm::error_code code = error_code::kOk;
  try {
    auto r = vm::loader::load_elf(dir);
    if (!r.ok()) {
      message = r.err().message;
      code = r.err().code;
    }
  } catch (const std::exception& e) {
    threw = true;
    message = e.what();
  }
  rmdir(dir.c_str());
  CAPTURE(message);
  CHECK_FALSE(threw);  // the core never throws (result.h)
  CHECK(code == error_code::kIo);
  CHECK(message.find(dir) != std::string::npos);
}

TEST_CASE("loader: 2,000 random mutations of a valid ELF never crash", "[loader]") {
  const uint32_t seed = 0x5eed1234;
  CAPTURE(seed);
  std::mt19937 rng(seed);
  const bytes_t base = with_symbols();
  const bytes_t base_plain = two_segments();
  // Values that tend to break size arithmetic.
  const uint64_t interesting[] = {0,
                                  1,
                                  7,
                                  8,
                                  55,
                                  56,
                                  63,
                                  64,
                                  0x7f,
                                  0x80,
                                  0xff,
                                  0xfff,
                                  0x1000,
                                  0x7fff,
                                  0xffff,
                                  0x7fffffff,
                                  0xffffffff,
                                  0x100000000,
                                  0x7fffffffffffffff,
                                  0x8000000000000000,
                                  ~0ull,
                                  ~0ull - 63};
  int accepted = 0, rejected = 0;
  for (int iteration = 0; iteration < 2000; ++iteration) {
    CAPTURE(iteration);
    bytes_t b = (iteration % 3 == 0) ? base_plain : base;
    // Focus on the headers (ELF header, program headers, section headers
    // and the symbol area at the end), sometimes anywhere.
    const size_t sh = get<uint64_t>(b, kEShoff);
    auto pick_offset = [&]() -> size_t {
      switch (rng() % 4) {
        case 0: return rng() % 64;
        case 1: return 64 + rng() % (2 * kPhSize);
        case 2:  // the section headers and the symbol data before them
          return sh > 100 && sh < b.size() ? sh - 100 + rng() % (b.size() - sh + 100) : rng() % 64;
        default: return rng() % b.size();
      }
    };
    const int mutations = 1 + static_cast<int>(rng() % 6);
    for (int m = 0; m < mutations; ++m) {
      switch (rng() % 5) {
        case 0:
        case 1: {  // flip bits of one byte
          const size_t at = pick_offset() % b.size();
          b[at] ^= static_cast<uint8_t>(1 + rng() % 255);
          break;
        }
        case 2: {  // an interesting value in a 2/4/8-byte field
          const size_t width = size_t{1} << (1 + rng() % 3);
          const size_t at = (pick_offset() % (b.size() - 8)) & ~(width - 1);
          const uint64_t v = interesting[rng() % std::size(interesting)];
          std::memcpy(b.data() + at, &v, width);
          break;
        }
        case 3:  // truncate
          b.resize(rng() % (b.size() + 1));
          if (b.size() < 16) b.resize(16, 0);
          break;
        default: {  // a random byte
          const size_t at = pick_offset() % b.size();
          b[at] = static_cast<uint8_t>(rng());
          break;
        }
      }
    }
    const std::string path = "fuzz-" + std::to_string(iteration) + ".elf";
    auto r = parse_elf(path, b);
    if (!r.ok()) {
      ++rejected;
      const vm::error& e = r.err();
      INFO(e.message);
      REQUIRE(e.message.find(path) != std::string::npos);
      REQUIRE((e.code == error_code::kBadInput || e.code == error_code::kUnsupported));
      continue;
    }
    ++accepted;
    // Whatever is accepted must satisfy what the rest of the core trusts.
    const auto& img = r.value();
    REQUIRE_FALSE(img.segments.empty());
    bool entry_ok = false;
    uint64_t total = 0;
    for (size_t i = 0; i < img.segments.size(); ++i) {
      const auto& s = img.segments[i];
      REQUIRE(s.file_size <= s.memory_size);
      REQUIRE(s.file_offset <= img.bytes.size());
      REQUIRE(s.file_size <= img.bytes.size() - s.file_offset);
      REQUIRE(s.memory_size <= vm::loader::kMaxImageBytes);
      REQUIRE(s.vaddr <= UINT64_MAX - s.memory_size);
      total += s.memory_size;
      if (i > 0) REQUIRE(img.segments[i - 1].vaddr + img.segments[i - 1].memory_size <= s.vaddr);
      if (s.executable && img.entry >= s.vaddr && img.entry < s.vaddr + s.memory_size) {
        entry_ok = true;
      }
    }
    REQUIRE(total <= vm::loader::kMaxImageBytes);
    REQUIRE(entry_ok);
    if (!img.bare_metal()) REQUIRE(img.end_of_image() <= vm::loader::kUserAddressLimit);
  }
  // Both outcomes occurred: the mutations were neither all fatal nor all harmless.
  CHECK(accepted > 50);
  CHECK(rejected > 500);
}
