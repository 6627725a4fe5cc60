#include "support/child_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "run/engines.h"

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

// The list's format and its reader are the harness's (read_workload_list);
// here only what a test needs: a problem instead of an error, and an empty
// list called a problem.
std::vector<workload> read_workloads(const std::string& path, std::string& problem) {
  if (path.empty()) {
    problem =
        "VMBENCH_WORKLOADS_TSV is empty: the workloads were not configured "
        "(riscv64-unknown-elf-gcc missing? run ci/setup)";
    return {};
  }
  auto entries = vm::harness::read_workload_list(path);
  if (!entries.ok()) {
    problem = entries.err().message;
    return {};
  }
  std::vector<workload> list;
  for (auto& e : entries.value())
    list.push_back({std::move(e.name), std::move(e.path), std::move(e.small_args)});
  if (list.empty()) problem = path + ": no workloads listed";
  return list;
}

}  // namespace vm::test
