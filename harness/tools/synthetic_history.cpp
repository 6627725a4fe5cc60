// synthetic_history - writes a synthetic suite of N benchmarks and a history
// of M nights, to measure `vmbench report` and `vmbench history` at scale
// (docs/PERFORMANCE.md):
//
//   synthetic_history --benchmarks 500 --nights 365 --out DIR
//
// DIR/history/ holds the nights (1 % noise per night; one benchmark in 20
// steps by +-2..6 % at a random night), DIR/base.json the night before
// last and DIR/current.json the last night, both also in the history. Every
// file is a results file as `vmbench run` writes it. Fixed seed: the same
// arguments give the same files.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "atomic_file.h"
#include "history/history.h"

using namespace vm::harness;

int main(int argc, char** argv) {
  size_t benchmarks = 500, nights = 365;
  uint64_t seed = 1;
  std::string out;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--benchmarks") benchmarks = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--nights") nights = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--out") out = argv[i + 1];
    else {
      std::fprintf(stderr, "synthetic_history: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (out.empty() || benchmarks == 0 || nights < 2) {
    std::fprintf(stderr,
                 "usage: synthetic_history --out DIR [--benchmarks N (500)] [--nights M (365)] "
                 "[--seed S]\n");
    return 2;
  }
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::normal_distribution<double> noise(0, 0.01);
  struct bench {
    std::string name;
    double ns;
    size_t step_night;
    double step;
  };
  std::vector<bench> suite;
  for (size_t b = 0; b < benchmarks; ++b) {
    const bool steps = b % 20 == 7;
    const double size = 0.02 + 0.04 * uniform(rng);
    suite.push_back({"mem/synthetic/t" + std::to_string(b) + "/page:4k/tlb:default",
                     1e5 * (1 + 10 * uniform(rng)),
                     steps ? size_t(uniform(rng) * double(nights)) : nights,
                     uniform(rng) < 0.5 ? 1 + size : 1 - size});
  }
  const std::string history_dir = out + "/history";
  for (size_t n = 0; n < nights; ++n) {
    results_file r;
    r.path = "synthetic";
    r.kind = results_kind::kResults;
    r.suite = "synthetic";
    const std::time_t t = std::time_t(1735689600) + std::time_t(n) * 86400;  // 2025-01-01 onward
    char started[32];
    std::strftime(started, sizeof started, "%Y-%m-%dT02:00:00Z", std::gmtime(&t));
    r.started = started;
    fingerprint fp;
    fp.machine.cpu_model = "Synthetic CPU";
    fp.machine.logical_cpus = 2;
    char commit[48];
    std::snprintf(commit, sizeof commit, "%012zx%028x", n + 1, 0);
    fp.build.git_commit = commit;
    fp.build.git_dirty = "false";
    r.print = fp;
    const double night_noise = noise(rng);  // the whole machine drifts a little per night
    for (const bench& b : suite) {
      benchmark_result br;
      br.name = b.name;
      const double level = b.ns * (n >= b.step_night ? b.step : 1.0) * (1 + night_noise);
      for (int rep = 0; rep < 5; ++rep) {
        br.real_time_ns.push_back(level * (1 + noise(rng)));
        br.cpu_time_ns.push_back(br.real_time_ns.back());
      }
      br.counters = {{"reads", 1000000u}, {"writes", 250000u}, {"fetches", 0u},
                     {"tlb.l1.hits", 1240000u}, {"tlb.l1.misses", 10000u}, {"walks", 10000u}};
      r.benchmarks.push_back(std::move(br));
    }
    auto added = add_to_history(history_dir, r);
    if (!added.ok()) {
      std::fprintf(stderr, "synthetic_history: %s\n", added.err().message.c_str());
      return 2;
    }
    if (n + 2 >= nights) {
      const std::string copy = out + (n + 2 == nights ? "/base.json" : "/current.json");
      std::error_code ec;
      std::filesystem::copy_file(added.value().path, copy,
                                 std::filesystem::copy_options::overwrite_existing, ec);
      if (ec) {
        std::fprintf(stderr, "synthetic_history: %s: %s\n", copy.c_str(), ec.message().c_str());
        return 2;
      }
    }
  }
  std::printf("%zu benchmarks x %zu nights in %s (base.json, current.json, history/)\n",
              benchmarks, nights, out.c_str());
  return 0;
}
