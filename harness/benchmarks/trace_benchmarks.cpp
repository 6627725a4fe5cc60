// trace_benchmarks.cpp - Google Benchmark measurements of the trace format:
// chunk decoding (decompress + checksum + record decode) and encoding, in
// records per second, on the traces named on the command line (default:
// every .vmt file in the corpus directory the build was configured with).
//
//   build/release/harness/trace_benchmarks [--benchmark_repetitions=5] [TRACE.vmt ...]

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace {

// Reads every chunk of the trace: what a replay's reader does.
void decode(benchmark::State& state, const std::string& path) {
  uint64_t records = 0, bytes = 0;
  vm::trace::decoded_chunk chunk;
  for (auto _ : state) {
    auto reader = vm::trace::trace_reader::open(path);
    if (!reader.ok()) {
      state.SkipWithError(reader.err().message.c_str());
      return;
    }
    for (;;) {
      auto more = reader.value()->next(chunk);
      if (!more.ok()) {
        state.SkipWithError(more.err().message.c_str());
        return;
      }
      if (!more.value()) break;
      records += chunk.records.size();
      benchmark::DoNotOptimize(chunk.records.back().address);
    }
    bytes += reader.value()->file_size();
  }
  state.counters["records_per_second"] =
      benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
  state.counters["ns_per_record"] = benchmark::Counter(
      static_cast<double>(records), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

// Encodes and compresses the trace's records into a new file.
void encode(benchmark::State& state, const std::string& path) {
  // At most 16 M records, held in memory so only the writer is timed.
  std::vector<vm::trace::record> records;
  std::vector<std::vector<uint8_t>> payloads;
  {
    auto reader = vm::trace::trace_reader::open(path);
    if (!reader.ok()) {
      state.SkipWithError(reader.err().message.c_str());
      return;
    }
    vm::trace::decoded_chunk chunk;
    while (records.size() < (16u << 20) && reader.value()->next(chunk).value()) {
      for (const auto& r : chunk.records) {
        if (vm::trace::has_payload(r.type)) continue;
        records.push_back(r);
      }
    }
  }
  const std::string out = std::filesystem::temp_directory_path() / "vmbench-encode-bench.vmt";
  uint64_t n = 0;
  for (auto _ : state) {
    auto w = vm::trace::trace_writer::create(out, vm::trace::trace_kind::kMem);
    for (const auto& r : records) (void)w.value()->append(r);
    (void)w.value()->finish({});
    n += records.size();
  }
  std::filesystem::remove(out);
  state.counters["records_per_second"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::vector<std::string> traces(argv + 1, argv + argc);
  if (traces.empty()) {
    std::error_code ec;
    for (const auto& e : std::filesystem::recursive_directory_iterator(VMBENCH_TRACES_DIR, ec))
      if (e.path().extension() == ".vmt") traces.push_back(e.path());
    std::sort(traces.begin(), traces.end());
  }
  if (traces.empty()) {
    std::fprintf(stderr, "trace_benchmarks: no traces given and none in %s\n", VMBENCH_TRACES_DIR);
    return 2;
  }
  for (const std::string& t : traces) {
    const std::string name = std::filesystem::path(t).stem();
    benchmark::RegisterBenchmark(("decode/" + name).c_str(), decode, t)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("encode/" + name).c_str(), encode, t)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
