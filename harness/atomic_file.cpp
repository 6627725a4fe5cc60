#include "atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace vm::harness {

error write_file_atomically(const std::string& path, const std::string& contents) {
  std::string temp = path + ".tmp.XXXXXX";
  const int fd = mkstemp(temp.data());
  if (fd < 0)
    return error{error_code::kIo, path + ": cannot create temporary file: " + std::strerror(errno)};
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      close(fd);
      unlink(temp.c_str());
      return error{error_code::kIo, path + ": write failed: " + std::strerror(saved)};
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || fchmod(fd, 0644) != 0) {
    const int saved = errno;
    close(fd);
    unlink(temp.c_str());
    return error{error_code::kIo, path + ": " + std::strerror(saved)};
  }
  close(fd);
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    unlink(temp.c_str());
    return error{error_code::kIo, path + ": rename failed: " + std::strerror(saved)};
  }
  return error::ok();
}

}  // namespace vm::harness
