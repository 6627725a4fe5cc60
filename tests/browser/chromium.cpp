#include "browser/chromium.h"

#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "support/child_process.h"

namespace vm::test {

std::string find_chromium() {
  if (const char* env = std::getenv("VMBENCH_CHROMIUM"); env && *env)
    return access(env, X_OK) == 0 ? std::string(env) : std::string();
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (const char* name : {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}) {
    std::stringstream ss(dirs);
    std::string dir;
    while (std::getline(ss, dir, ':')) {
      const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return {};
}

loaded_page load_page(const std::string& path, const std::string& screenshot, int height) {
  const std::string chromium = find_chromium();
  auto run = [&](const std::vector<std::string>& extra) {
    scratch_dir profile;  // a fresh profile per run: no state carried between tests
    std::vector<std::string> argv = {"/usr/bin/timeout", "120", chromium,
                                     "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                     "--disable-background-networking",
                                     "--user-data-dir=" + profile.path(),
                                     "--enable-logging=stderr", "--v=0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_child(argv);
  };
  loaded_page page;
  const child_result dump = run({"--dump-dom", "file://" + path});
  page.status = dump.status;
  page.dom = dump.out;
  page.log = dump.err;
  // Console messages are logged as
  //   [pid:tid:date:INFO:CONSOLE:12] "message", source: file:///... (12)
  // (at INFO level whatever their kind, so every one is collected).
  std::stringstream lines(dump.err);
  std::string line;
  while (std::getline(lines, line))
    if (line.find(":CONSOLE") != std::string::npos) page.console.push_back(line);
  if (!screenshot.empty()) {
    const child_result shot =
        run({"--hide-scrollbars", "--window-size=1280," + std::to_string(height),
             "--screenshot=" + screenshot, "file://" + path});
    if (shot.status != 0) page.status = shot.status;
    page.log += shot.err;
  }
  return page;
}

}  // namespace vm::test
