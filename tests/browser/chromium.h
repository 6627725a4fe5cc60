// chromium.h - loads a page in headless Chromium for the browser tests: the
// DOM after its scripts ran (--dump-dom), every console message, and
// optionally a screenshot.
#pragma once

#include <string>
#include <vector>

namespace vm::test {

// The Chromium binary: $VMBENCH_CHROMIUM, else the first of chromium,
// chromium-browser, google-chrome, google-chrome-stable in PATH; empty when
// there is none.
std::string find_chromium();

struct loaded_page {
  int status = -1;                    // Chromium's exit status
  std::string dom;                    // the serialised DOM after the scripts ran
  std::vector<std::string> console;   // every console message (errors, uncaught exceptions, logs)
  std::string log;                    // Chromium's stderr, for failure messages
};

// Opens file://<path> with the flags of a CI machine (--headless --no-sandbox
// --disable-gpu --no-first-run --disable-background-networking and a fresh
// --user-data-dir) and no network. With `screenshot`, a second run saves a
// PNG of the page at 1280x`height` pixels there.
loaded_page load_page(const std::string& path, const std::string& screenshot = "",
                      int height = 2400);

}  // namespace vm::test
