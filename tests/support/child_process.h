// child_process.h - run a program as a child process for end-to-end tests,
// and read the workload list the build writes.
#pragma once

#include <string>
#include <vector>

namespace vm::test {

struct child_result {
  int status = -1;  // exit status, or 128 + signal
  bool signalled = false;
  std::string out;
  std::string err;
};

// The directory for temporary files ($TMPDIR or /tmp).
std::string temp_dir();

// A new, empty directory under temp_dir(), removed with its contents when
// the returned object goes out of scope.
class scratch_dir {
 public:
  scratch_dir();
  ~scratch_dir();
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  const std::string& path() const noexcept { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs argv (argv[0] is a path) with stdin from /dev/null and stdout/stderr
// captured. A child that cannot be started fails the current test.
child_result run_child(const std::vector<std::string>& argv);

// "exit status N", then stdout and stderr: for failure messages.
std::string show(const child_result& r);

struct workload {
  std::string name;
  std::string elf;
  std::vector<std::string> small_args;
};

// Reads the build's name<TAB>elf<TAB>default args<TAB>small args list. Sets
// `problem` (and returns nothing usable) when the list cannot be used.
std::vector<workload> read_workloads(const std::string& path, std::string& problem);

}  // namespace vm::test
