// The shipped trace corpus: every trace MANIFEST.json lists is present,
// has the recorded sha256, passes `vmbench trace verify`, and replays; exec
// traces reproduce their recording, mem traces give the same counters on
// every replay.

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/child_process.h"

namespace {

const std::string kRoot = VMBENCH_SOURCE_DIR;

nlohmann::json manifest() {
  std::ifstream in(kRoot + "/traces/MANIFEST.json");
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("the corpus manifest lists every trace in traces/ with its sha256", "[corpus]") {
  const nlohmann::json m = manifest();
  CHECK(m.at("schema_version") == 1);
  const auto& traces = m.at("traces");
  REQUIRE(traces.size() >= 10);
  uint64_t total = 0;
  int recorded = 0, lackey = 0, synthetic = 0, exec = 0;
  for (const auto& t : traces) {
    const std::string path = kRoot + "/" + t.at("path").get<std::string>();
    CAPTURE(path);
    const auto sum = vm::test::run_child({"/usr/bin/sha256sum", path});
    REQUIRE(sum.status == 0);
    CHECK(sum.out.substr(0, 64) == t.at("sha256").get<std::string>());
    CHECK_FALSE(t.at("command").get<std::string>().empty());
    total += t.at("bytes").get<uint64_t>();
    const std::string source = t.at("source");
    recorded += source == "record";
    lackey += source == "lackey";
    synthetic += source == "gen";
    exec += t.at("kind") == "exec";
  }
  CHECK(total <= 30ull << 20);
  CHECK(recorded >= 4);
  CHECK(lackey >= 2);
  CHECK(synthetic >= 5);
  CHECK(exec >= 1);
  // Nothing in traces/ that the manifest does not list.
  const auto listed = vm::test::run_child(
      {"/bin/sh", "-c", "cd " + kRoot + " && find traces -name '*.vmt' | wc -l"});
  CHECK(std::stoul(listed.out) == traces.size());
}

TEST_CASE("every corpus trace verifies and replays", "[corpus][replay]") {
  const nlohmann::json m = manifest();  // a local: at() returns a reference into it
  for (const auto& t : m.at("traces")) {
    const std::string path = kRoot + "/" + t.at("path").get<std::string>();
    CAPTURE(path);
    const auto verify = vm::test::run_child({VMBENCH_BINARY, "trace", "verify", path});
    CHECK(verify.status == 0);
    if (t.at("kind") == "exec") {
      const auto replay = vm::test::run_child({VMBENCH_BINARY, "replay", path});
      INFO(vm::test::show(replay));
      CHECK(replay.status == 0);
      CHECK(replay.out.find("matched") != std::string::npos);
    }
  }
}

TEST_CASE("replaying a corpus mem trace twice gives identical counters", "[corpus][replay]") {
  const std::string path = kRoot + "/traces/lackey/gzip.mem.vmt";
  const vm::test::scratch_dir dir;
  for (const char* name : {"a.json", "b.json"}) {
    const auto r = vm::test::run_child({VMBENCH_BINARY, "replay", path, "--json", dir.file(name)});
    INFO(vm::test::show(r));
    REQUIRE(r.status == 0);
  }
  auto counters = [&](const char* name) {
    std::ifstream in(dir.file(name));
    return nlohmann::json::parse(in).at("counters");
  };
  const nlohmann::json a = counters("a.json");
  CHECK(a == counters("b.json"));
  CHECK(a.dump().find("\"hits\"") != std::string::npos);
}
