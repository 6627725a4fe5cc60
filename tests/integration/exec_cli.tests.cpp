// exec_cli.tests.cpp - `vmbench exec` as a user runs it: the real binary
// (VMBENCH_BINARY) in a child process, judged by exit status, stdout and
// stderr. Exit statuses follow qemu-riscv64: the guest's own status,
// 128 + signal when it dies, 2 when the program cannot be loaded.

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/mini_elf.h"

namespace {

using vm::test::child_result;
using vm::test::run_child;
using vm::test::temp_dir;

child_result vmbench(std::vector<std::string> args) {
  args.insert(args.begin(), VMBENCH_BINARY);
  return run_child(args);
}

size_t lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// A temporary file removed at the end of the test.
struct temp_file {
  std::string path;
  explicit temp_file(const std::vector<uint8_t>& bytes, const std::string& stem)
      : path(vm::test::write_temp_file(bytes, stem)) {}
  ~temp_file() { std::remove(path.c_str()); }
};

// ---- guest programs (RV64, hand-encoded) ----------------------------------
constexpr uint32_t kEcall = 0x00000073;        // ecall
constexpr uint32_t kLiA7Exit = 0x05d00893;     // li a7, 93
constexpr uint32_t kLiA7Write = 0x04000893;    // li a7, 64
constexpr uint32_t kLiA0_0 = 0x00000513;       // li a0, 0
constexpr uint32_t kLiA0_1 = 0x00100513;       // li a0, 1
constexpr uint32_t kLdA0Sp0 = 0x00013503;      // ld a0, 0(sp)     (argc)
constexpr uint32_t kLdA1Sp16 = 0x01013583;     // ld a1, 16(sp)    (argv[1])
constexpr uint32_t kLdA0Zero0 = 0x00003503;    // ld a0, 0(zero)   (address 0)
constexpr uint32_t kAuipcA1 = 0x00000597;      // auipc a1, 0
constexpr uint32_t kLoopForever = 0x0000006f;  // jal zero, .      (infinite loop)
constexpr uint32_t kIllegal = 0xffffffff;      // not an instruction
// li a2, imm  (addi a2, zero, imm; 0 <= imm < 2048)
constexpr uint32_t li_a2(uint32_t imm) {
  return (imm << 20) | (12u << 7) | 0x13;
}
// addi a1, a1, imm
constexpr uint32_t addi_a1(uint32_t imm) {
  return (imm << 20) | (11u << 15) | (11u << 7) | 0x13;
}
static_assert(li_a2(6) == 0x00600613);     // li a2, 6
static_assert(addi_a1(32) == 0x02058593);  // addi a1, a1, 32

// write(1, "hello\n", 6); exit(0)
std::vector<uint8_t> hello_program() {
  return vm::test::make_program({
      kAuipcA1,     // auipc a1, 0        a1 = 0x10000
      addi_a1(36),  // addi a1, a1, 36    a1 = the message (word 9)
      kLiA0_1,      // li a0, 1
      li_a2(6),     // li a2, 6
      kLiA7Write,   // li a7, 64
      kEcall,       // ecall              write(1, msg, 6)
      kLiA0_0,      // li a0, 0
      kLiA7Exit,    // li a7, 93
      kEcall,       // ecall              exit(0)
      0x6c6c6568,   // "hell"
      0x00000a6f,   // "o\n"
  });
}

// write(1, argv[1], length); exit(argc). The argument strings lie back to
// back on the stack, so `length` can cover several of them and their NULs.
std::vector<uint8_t> echo_args_program(uint32_t length) {
  return vm::test::make_program(
      {kLdA1Sp16, kLiA0_1, li_a2(length), kLiA7Write, kEcall, kLdA0Sp0, kLiA7Exit, kEcall});
}

}  // namespace

TEST_CASE("cli: vmbench --version exits 0 and prints a version", "[cli]") {
  const child_result r = vmbench({"--version"});
  CHECK(r.status == 0);
  CHECK_FALSE(r.out.empty());
  CHECK(r.out.find('.') != std::string::npos);
}

TEST_CASE("cli: vmbench without a subcommand, and exec without a program, exit 2", "[cli]") {
  SECTION("no subcommand") {
    const child_result r = vmbench({});
    CHECK(r.status == 2);
    CHECK_FALSE(r.err.empty());
  }
  SECTION("exec with no program") {
    const child_result r = vmbench({"exec"});
    CAPTURE(r.err);
    CHECK(r.status == 2);
    CHECK(lines(r.err) == 1);
    CHECK(r.out.empty());
  }
}

TEST_CASE("cli: a program that runs normally: its stdout, its status, a quiet stderr", "[cli]") {
  temp_file prog(hello_program(), "cli-hello");
  const child_result r = vmbench({"exec", prog.path});
  CAPTURE(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "hello\n");
  CHECK(r.err.empty());
}

TEST_CASE("cli: programs that cannot be loaded exit 2 with one stderr line naming the file",
          "[cli]") {
  std::vector<uint8_t> truncated = hello_program();
  truncated.resize(40);
  temp_file truncated_file(truncated, "cli-truncated");
  std::vector<uint8_t> x86 = hello_program();
  x86[0x12] = 62;  // EM_X86_64
  x86[0x13] = 0;
  temp_file x86_file(x86, "cli-x86");
  temp_file text_file({'h', 'i', '\n'}, "cli-text");

  std::vector<std::string> paths = {"/nonexistent/vmbench/prog.elf", truncated_file.path,
                                    x86_file.path, text_file.path};
  struct stat st;
  if (stat("/bin/true", &st) == 0) paths.push_back("/bin/true");  // a host (x86-64 or other) ELF
  for (const std::string& path : paths) {
    CAPTURE(path);
    const child_result r = vmbench({"exec", path, "arg"});
    CAPTURE(r.err);
    CHECK(r.status == 2);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find(path) != std::string::npos);
    CHECK(r.out.empty());
  }
}

TEST_CASE("cli: exec on a directory exits 2 with one stderr line naming it", "[cli]") {
  // Reading a directory through iostreams throws std::ios_base::failure,
  // whose message ("basic_filebuf::underflow error ...") does not name the
  // file; the loader must refuse it by name instead.
  std::string dir = temp_dir() + "/vmbench-cli-dir-XXXXXX";
  REQUIRE(mkdtemp(dir.data()) != nullptr);
  const child_result r = vmbench({"exec", dir});
  rmdir(dir.c_str());
  CAPTURE(r.err);
  CHECK(r.status == 2);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find(dir) != std::string::npos);
}

TEST_CASE("cli: an illegal instruction exits 132 with one line giving the pc", "[cli]") {
  temp_file prog(vm::test::make_program({kIllegal}), "cli-illegal");
  const child_result r = vmbench({"exec", prog.path});
  CAPTURE(r.err);
  CHECK(r.status == 132);
  CHECK_FALSE(r.signalled);  // vmbench itself exits normally with 128 + SIGILL
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("pc") != std::string::npos);
  CHECK(r.err.find("0x10000") != std::string::npos);
  CHECK(r.err.find("0xffffffff") != std::string::npos);
  CHECK(r.err.find(prog.path) != std::string::npos);
}

TEST_CASE("cli: a segmentation fault exits 139", "[cli]") {
  temp_file prog(vm::test::make_program({kLdA0Zero0, kLiA7Exit, kEcall}), "cli-segv");
  const child_result r = vmbench({"exec", prog.path});
  CAPTURE(r.err);
  CHECK(r.status == 139);
  CHECK_FALSE(r.signalled);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("segmentation fault") != std::string::npos);
}

TEST_CASE("cli: arguments after the program reach the guest untouched, even option-like ones",
          "[cli]") {
  SECTION("--foo -x") {
    temp_file prog(echo_args_program(9), "cli-args");  // "--foo\0-x\0"
    const child_result r = vmbench({"exec", prog.path, "--foo", "-x"});
    CAPTURE(r.err);
    CHECK(r.status == 3);
    CHECK(r.out == std::string("--foo\0-x\0", 9));
  }
  SECTION("vmbench's own options after the program belong to the guest") {
    const std::vector<std::string> guest = {
        "--help", "--version", "--stats", "-E", "X=1", "--max-instructions", "5", "--", "-"};
    uint32_t length = 0;
    std::string expected;
    for (const std::string& a : guest) {
      length += static_cast<uint32_t>(a.size() + 1);
      expected += a;
      expected.push_back('\0');
    }
    temp_file prog(echo_args_program(length), "cli-args2");
    std::vector<std::string> args = {"exec", prog.path};
    args.insert(args.end(), guest.begin(), guest.end());
    const child_result r = vmbench(args);
    CAPTURE(r.err);
    CHECK(r.status == static_cast<int>(guest.size() + 1));
    CHECK(r.out == expected);
    CHECK(r.err.empty());  // no --stats output: the flag was the guest's
  }
}

TEST_CASE("cli: --max-instructions stops an infinite loop with status 124", "[cli]") {
  temp_file prog(vm::test::make_program({kLoopForever}), "cli-loop");
  const child_result r = vmbench({"exec", "--max-instructions", "100000", prog.path});
  CAPTURE(r.err);
  CHECK(r.status == 124);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("instruction limit") != std::string::npos);
}

TEST_CASE("cli: exec --stats reports counters on stderr", "[cli]") {
  temp_file prog(hello_program(), "cli-stats");
  const child_result r = vmbench({"exec", "--stats", prog.path});
  CHECK(r.status == 0);
  CHECK(r.out == "hello\n");
  CHECK(r.err.find("instructions") != std::string::npos);
}
