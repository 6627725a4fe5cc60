// browser_main.cpp - the browser tests need Chromium; where it is absent the
// whole program reports SKIPPED (CTest's SKIP_RETURN_CODE 77) instead of
// passing, so a missing browser is visible in every test summary.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdio>

#include "browser/chromium.h"

int main(int argc, char** argv) {
  if (vm::test::find_chromium().empty()) {
    std::printf(
        "SKIPPED: no Chromium found (looked for $VMBENCH_CHROMIUM, chromium, chromium-browser,\n"
        "google-chrome in PATH). Install Debian's chromium (ci/setup does) to run the browser "
        "check of the HTML report.\n");
    return 77;
  }
  const int failed = Catch::Session().run(argc, argv);
  return failed == 77 ? 1 : failed;  // 77 would read as "skipped"
}
