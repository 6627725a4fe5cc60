#include "support/child_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace vm::test {
namespace {

std::string slurp(int fd) {
  std::string s;
  lseek(fd, 0, SEEK_SET);
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  return s;
}

std::vector<std::string> split_words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

}  // namespace

std::string temp_dir() {
  const char* d = std::getenv("TMPDIR");
  return d ? d : "/tmp";
}

scratch_dir::scratch_dir() {
  path_ = temp_dir() + "/vmbench-test-XXXXXX";
  if (::mkdtemp(path_.data()) == nullptr)
    FAIL("cannot create a scratch directory under " << temp_dir());
}

scratch_dir::~scratch_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

child_result run_child(const std::vector<std::string>& argv) {
  std::string out_path = temp_dir() + "/vmbench-cli-out-XXXXXX";
  std::string err_path = temp_dir() + "/vmbench-cli-err-XXXXXX";
  const int out_fd = mkstemp(out_path.data());
  const int err_fd = mkstemp(err_path.data());
  REQUIRE(out_fd >= 0);
  REQUIRE(err_fd >= 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  posix_spawn_file_actions_addclose(&actions, out_fd);
  posix_spawn_file_actions_addclose(&actions, err_fd);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawn_error =
      posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  child_result r;
  if (spawn_error == 0) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
    }
    if (WIFEXITED(status)) {
      r.status = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      r.signalled = true;
      r.status = 128 + WTERMSIG(status);
    }
    r.out = slurp(out_fd);
    r.err = slurp(err_fd);
  }
  close(out_fd);
  close(err_fd);
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  INFO("cannot start " << argv[0] << ": " << std::strerror(spawn_error));
  REQUIRE(spawn_error == 0);
  return r;
}

std::string show(const child_result& r) {
  return "exit status " + std::to_string(r.status) + "\n--- stdout ---\n" + r.out +
         "\n--- stderr ---\n" + r.err;
}

// Reads name<TAB>elf<TAB>default args<TAB>small args lines. Sets `problem`
// when the list cannot be used.
std::vector<workload> read_workloads(const std::string& path, std::string& problem) {
  std::vector<workload> list;
  if (path.empty()) {
    problem =
        "VMBENCH_WORKLOADS_TSV is empty: the workloads were not configured "
        "(riscv64-unknown-elf-gcc missing? run ci/setup)";
    return list;
  }
  std::ifstream in(path);
  if (!in) {
    problem = path + ": cannot open the workload list (build the `workloads` target)";
    return list;
  }
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, '\t');) fields.push_back(f);
    if (fields.size() < 2) {
      problem =
          path + ":" + std::to_string(number) + ": expected name<TAB>elf<TAB>default<TAB>small";
      return {};
    }
    workload w{fields[0], fields[1], {}};
    if (fields.size() > 3) w.small_args = split_words(fields[3]);
    list.push_back(std::move(w));
  }
  if (list.empty()) problem = path + ": no workloads listed";
  return list;
}

}  // namespace vm::test
