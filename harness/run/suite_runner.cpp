#include "run/suite_runner.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <ctime>
#include <functional>
#include <map>
#include <random>
#include <sstream>

#include "compare/results_file.h"
#include "compare/statistics.h"
#include "mem/host_memory.h"
#include "run/fingerprint.h"
#include "trace/trace_writer.h"

namespace vm::harness {
namespace {

using json = nlohmann::json;
using run = benchmark::BenchmarkReporter::Run;

// Google Benchmark reads its flags (and BENCHMARK_* environment variables,
// BENCHMARK_OUT among them) once; pin them so that nothing but our own
// reporter writes anything.
void initialise_google_benchmark() {
  static bool done = false;
  if (done) return;
  done = true;
  static char arg0[] = "vmbench";
  static char out[] = "--benchmark_out=";
  static char interleave[] = "--benchmark_enable_random_interleaving=false";
  static char repetitions[] = "--benchmark_repetitions=1";
  static char* argv[] = {arg0, out, interleave, repetitions, nullptr};
  int argc = 4;
  benchmark::Initialize(&argc, argv);
}

// Receives each round's runs.
class collecting_reporter final : public benchmark::BenchmarkReporter {
 public:
  explicit collecting_reporter(std::function<void(const run&)> on_run)
      : on_run_(std::move(on_run)) {}
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<run>& runs) override {
    for (const run& r : runs)
      if (r.run_type == run::RT_Iteration) on_run_(r);
  }

 private:
  std::function<void(const run&)> on_run_;
};

std::string clock_text(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

// mean, median, stddev (n - 1), cv: the aggregates Google Benchmark itself
// appends after repetitions, built from the samples of every round.
std::vector<run> aggregates(const std::vector<run>& samples) {
  if (samples.size() < 2) return {};
  const double n = static_cast<double>(samples.size());
  auto stat = [&](auto value_of) {
    std::vector<double> v;
    for (const run& r : samples) v.push_back(value_of(r));
    double mean = 0;
    for (double x : v) mean += x;
    mean /= n;
    double var = 0;
    for (double x : v) var += (x - mean) * (x - mean);
    const double sd = std::sqrt(var / (n - 1));
    return std::array<double, 4>{mean, stats::median(v), sd, mean != 0 ? sd / mean : 0};
  };
  const auto real =
      stat([](const run& r) { return r.real_accumulated_time / double(r.iterations); });
  const auto cpu = stat([](const run& r) { return r.cpu_accumulated_time / double(r.iterations); });
  std::map<std::string, std::array<double, 4>> counters;
  for (const auto& [name, c] : samples.front().counters) {
    (void)c;
    counters[name] = stat([&](const run& r) {
      auto it = r.counters.find(name);
      return it == r.counters.end() ? 0.0 : it->second.value;
    });
  }
  static const char* names[] = {"mean", "median", "stddev", "cv"};
  std::vector<run> out;
  for (int k = 0; k < 4; ++k) {
    run a = samples.front();
    a.run_type = run::RT_Aggregate;
    a.aggregate_name = names[k];
    a.aggregate_unit =
        k == 3 ? benchmark::StatisticUnit::kPercentage : benchmark::StatisticUnit::kTime;
    a.repetitions = static_cast<int64_t>(samples.size());
    a.repetition_index = run::no_repetition_index;
    a.iterations = static_cast<benchmark::IterationCount>(samples.size());
    // The reporter divides time aggregates by `iterations`; a percentage is printed as is.
    const double scale = k == 3 ? 1.0 : n;
    a.real_accumulated_time = real[k] * scale;
    a.cpu_accumulated_time = cpu[k] * scale;
    for (auto& [name, c] : a.counters) c.value = counters[name][k];
    out.push_back(a);
  }
  return out;
}

}  // namespace

result<run_outcome> run_suite(const suite& s, const runner_options& options) {
  using clock = std::chrono::steady_clock;
  const auto started = clock::now();
  const std::time_t started_wall = std::time(nullptr);
  std::FILE* out = options.progress;
  const size_t count = s.benchmarks.size();

  int pinned = -1;
  std::vector<std::string> warnings;
  if (options.pin) {
    auto p = pin_to_cpu(options.cpu);
    if (p.ok())
      pinned = p.value();
    else if (options.cpu >= 0)
      return error{error_code::kInvalidArgument, "--cpu: " + p.err().message};
    else
      warnings.push_back("not pinned to a cpu: " + p.err().message);
  } else {
    warnings.push_back("not pinned to a cpu (--no-pin): the scheduler may move the run");
  }
  fingerprint print = read_fingerprint(pinned);
  for (const std::string& w : system_warnings(print)) warnings.push_back(w);

  // 2. Prepare every benchmark: inputs, one untimed run, counters.
  std::vector<std::unique_ptr<benchmark_engine>> engines;
  std::vector<json> counters;
  std::map<std::string, std::string> input_hashes;
  for (size_t i = 0; i < count; ++i) {
    const suite_benchmark& b = s.benchmarks[i];
    if (out && options.progress_is_tty)
      std::fprintf(out, "\r\033[Kpreparing %zu/%zu %s", i + 1, count, b.name.c_str());
    auto engine = make_engine(b, options.context);
    if (!engine.ok()) return std::move(engine).err();
    auto c = engine.value()->prepare();
    if (!c.ok()) {
      if (out && options.progress_is_tty) std::fprintf(out, "\r\033[K");
      return error{c.err().code, b.name + ": " + c.err().message};
    }
    counters.push_back(std::move(c).value());
    for (const std::string& input : engine.value()->inputs()) {
      if (input_hashes.count(input)) continue;
      const std::string full = input[0] == '/' ? input : options.context.root + "/" + input;
      auto h = trace::hash_file(full);
      input_hashes[input] = h.ok() ? h.value() : "unknown";
    }
    engines.push_back(std::move(engine).value());
  }
  if (out && options.progress_is_tty) std::fprintf(out, "\r\033[K");
  // How the host backed guest RAM, over every benchmark that reports it.
  for (const auto& engine : engines) {
    const json host = engine->host_memory();
    if (!host.is_object()) continue;
    print.host_memory.guest_ram_resident_bytes += host.value("resident_bytes", uint64_t{0});
    print.host_memory.guest_ram_huge_bytes += host.value("huge_bytes", uint64_t{0});
  }
  if (print.host_memory.guest_ram_resident_bytes > 0)
    print.host_memory.guest_ram_huge_share =
        static_cast<double>(print.host_memory.guest_ram_huge_bytes) /
        static_cast<double>(print.host_memory.guest_ram_resident_bytes);
  const std::string numa_notice = mem::take_numa_notice();
  if (!numa_notice.empty()) warnings.push_back(numa_notice);

  // 3. Rounds of one repetition each, in a seeded shuffled order.
  std::vector<int> repetitions(count);
  std::vector<double> min_time(count);
  int rounds = 0;
  for (size_t i = 0; i < count; ++i) {
    repetitions[i] = options.repetitions > 0 ? options.repetitions : s.benchmarks[i].repetitions;
    min_time[i] = options.min_time >= 0 ? options.min_time : s.benchmarks[i].min_time;
    rounds = std::max(rounds, repetitions[i]);
  }
  size_t total_runs = 0;
  for (int r : repetitions) total_runs += static_cast<size_t>(r);

  initialise_google_benchmark();
  std::vector<std::vector<run>> samples(count);
  std::vector<benchmark::IterationCount> iterations(count, 0);
  std::map<std::string, size_t> index_of;
  for (size_t i = 0; i < count; ++i) index_of[s.benchmarks[i].name] = i;
  size_t done = 0;
  int round = 0;
  collecting_reporter collector([&](const run& r) {
    auto it = index_of.find(r.run_name.function_name);
    if (it == index_of.end()) return;
    const size_t i = it->second;
    run sample = r;
    // The name is the suite's: Google Benchmark would append "/iterations:N",
    // "/repeats:1" and "/manual_time", which differ between rounds.
    sample.run_name = benchmark::BenchmarkName{};
    sample.run_name.function_name = r.run_name.function_name;
    sample.family_index = static_cast<int64_t>(i);  // stable across rounds: the suite order
    sample.per_family_instance_index = 0;
    sample.repetition_index = static_cast<int64_t>(samples[i].size());
    sample.repetitions = repetitions[i];
    if (iterations[i] == 0) iterations[i] = r.iterations;
    samples[i].push_back(sample);
    ++done;
    if (out) {
      const double elapsed = std::chrono::duration<double>(clock::now() - started).count();
      const double left = elapsed / double(done) * double(total_runs - done);
      if (options.progress_is_tty)
        std::fprintf(out, "\r\033[K[%zu/%zu] round %d/%d  %s  elapsed %s  left ~%s", done,
                     total_runs, round + 1, rounds, r.run_name.function_name.c_str(),
                     clock_text(elapsed).c_str(), clock_text(left).c_str());
      if (r.error_occurred)
        std::fprintf(out, "%s%s: %s\n", options.progress_is_tty ? "\n" : "",
                     r.run_name.function_name.c_str(), r.error_message.c_str());
      std::fflush(out);
    }
  });
  std::vector<bool> failed(count, false);
  for (round = 0; round < rounds; ++round) {
    std::vector<size_t> order;
    for (size_t i = 0; i < count; ++i)
      if (round < repetitions[i] && !failed[i]) order.push_back(i);
    std::mt19937_64 shuffle_engine(s.seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(round));
    std::shuffle(order.begin(), order.end(), shuffle_engine);
    benchmark::ClearRegisteredBenchmarks();
    for (size_t i : order) {
      benchmark_engine* engine = engines[i].get();
      const uint64_t items = engine->items_per_iteration();
      const uint64_t bytes = engine->bytes_per_iteration();
      auto* b = benchmark::RegisterBenchmark(
          s.benchmarks[i].name.c_str(), [engine, items, bytes](benchmark::State& state) {
            engine->time(state);
            if (items) state.SetItemsProcessed(static_cast<int64_t>(items) * state.iterations());
            if (bytes) state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
          });
      b->Repetitions(1)->Unit(benchmark::kMillisecond);
      if (iterations[i] > 0)
        b->Iterations(iterations[i]);
      else if (min_time[i] > 0)
        b->MinTime(min_time[i]);
      else
        b->Iterations(1);  // min_time 0: one iteration per repetition
      if (s.benchmarks[i].warmup > 0) b->MinWarmUpTime(s.benchmarks[i].warmup);
      if (engine->manual_time()) b->UseManualTime();
    }
    if (!order.empty()) benchmark::RunSpecifiedBenchmarks(&collector, ".");
    for (size_t i : order)
      if (!samples[i].empty() && samples[i].back().error_occurred) failed[i] = true;
    if (out && !options.progress_is_tty) {
      const double elapsed = std::chrono::duration<double>(clock::now() - started).count();
      std::fprintf(out, "round %d/%d done, %zu/%zu repetitions, elapsed %s\n", round + 1, rounds,
                   done, total_runs, clock_text(elapsed).c_str());
      std::fflush(out);
    }
  }
  benchmark::ClearRegisteredBenchmarks();
  if (out && options.progress_is_tty) std::fprintf(out, "\r\033[K");

  // 5. The document: Google Benchmark's own JSON, then our section.
  static bool context_added = false;
  if (!context_added) {
    context_added = true;
    benchmark::AddCustomContext("vmbench_version", VMBENCH_VERSION);
  }
  std::ostringstream gb_text, gb_errors;
  benchmark::JSONReporter reporter;
  reporter.SetOutputStream(&gb_text);
  reporter.SetErrorStream(&gb_errors);
  reporter.ReportContext(benchmark::BenchmarkReporter::Context());
  run_outcome outcome;
  for (size_t i = 0; i < count; ++i) {
    std::vector<run> runs = samples[i];
    if (runs.empty()) continue;
    bool errored = false;
    for (const run& r : runs)
      if (r.error_occurred) {
        errored = true;
        outcome.errors.push_back(s.benchmarks[i].name + ": " + r.error_message);
      }
    if (!errored)
      for (run& a : aggregates(samples[i])) runs.push_back(a);
    reporter.ReportRuns(runs);
  }
  reporter.Finalize();
  json doc = json::parse(gb_text.str(), nullptr, false);
  if (doc.is_discarded())
    return error{error_code::kIo, "Google Benchmark's JSON reporter wrote invalid JSON"};

  const double wall = std::chrono::duration<double>(clock::now() - started).count();
  // Load may have risen while we ran; a second look names it.
  // (Only kinds not warned about already: "high load: ..." twice says nothing new.)
  auto kind = [](const std::string& w) { return w.substr(0, w.find(':')); };
  for (const std::string& w : system_warnings(print))
    if (std::none_of(warnings.begin(), warnings.end(),
                     [&](const std::string& x) { return kind(x) == kind(w); }))
      warnings.push_back(w + " (at the end of the run)");
  json benchmarks = json::object();
  for (size_t i = 0; i < count; ++i) {
    const suite_benchmark& b = s.benchmarks[i];
    json entry = {{"engine", engine_name(b.engine)},
                  {"repetitions", repetitions[i]},
                  {"iterations", static_cast<int64_t>(iterations[i])},
                  {"counters", counters[i]}};
    if (!b.trace.empty()) entry["trace"] = b.trace;
    if (!b.page_size.empty()) entry["page_size"] = b.page_size;
    if (!b.tlb.empty()) entry["tlb"] = b.tlb;
    if (!b.workload.empty()) entry["workload"] = b.workload;
    if (!b.size.empty()) entry["size"] = b.size;
    if (b.lookups) entry["lookups"] = b.lookups;
    if (!b.thp.empty()) entry["thp"] = b.thp;
    if (b.accelerate != "none") entry["accelerate"] = b.accelerate;
    if (!b.kernel.empty()) entry["kernel"] = b.kernel;
    if (!b.allocator.empty()) entry["allocator"] = b.allocator;
    if (const json host = engines[i]->host_memory(); !host.is_null()) entry["host_memory"] = host;
    if (failed[i]) entry["error"] = samples[i].back().error_message;
    benchmarks[b.name] = entry;
  }
  char started_text[64];
  std::strftime(started_text, sizeof started_text, "%Y-%m-%dT%H:%M:%SZ",
                std::gmtime(&started_wall));
  auto suite_hash = trace::hash_file(s.path);
  doc["vmbench"] = {{"schema_version", kResultsSchemaVersion},
                    {"kind", "vmbench.results"},
                    {"suite", s.name},
                    {"suite_file", s.path},
                    {"suite_hash", suite_hash.ok() ? suite_hash.value() : "unknown"},
                    {"seed", s.seed},
                    {"rounds", rounds},
                    {"order", "each round runs every benchmark once, shuffled by seed and round"},
                    {"pinned_cpu", pinned >= 0 ? json(pinned) : json(nullptr)},
                    {"started", started_text},
                    {"wall_seconds", wall},
                    {"machine", machine_name(print.machine)},
                    {"fingerprint", to_json(print)},
                    {"inputs", input_hashes},
                    {"warnings", warnings},
                    {"benchmarks", benchmarks}};
  outcome.document = std::move(doc);
  return outcome;
}

}  // namespace vm::harness
