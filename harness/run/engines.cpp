#include "run/engines.h"

#include <fstream>
#include <sstream>

#include "common/format.h"
#include "common/text.h"
#include "process_timer.h"
#include "record/exec_replay.h"
#include "replay/mem_replay.h"
#include "run/memory_engines.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace vm::harness {
namespace {

using json = nlohmann::json;

result<std::vector<uint8_t>> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return error{error_code::kIo, path + ": cannot open"};
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  return bytes;
}

std::string resolve(const engine_context& context, const std::string& path) {
  return (!path.empty() && path[0] == '/') ? path : context.root + "/" + path;
}

// Reads a trace whole into memory (the timed loops never touch the file)
// and checks it is of the kind the engine replays.
result<std::unique_ptr<trace::trace_reader>> open_trace(const engine_context& context,
                                                        const std::string& trace,
                                                        trace::trace_kind kind,
                                                        const char* engine) {
  const std::string path = resolve(context, trace);
  auto bytes = read_bytes(path);
  if (!bytes.ok()) return std::move(bytes).err();
  auto reader = trace::trace_reader::open_bytes(std::move(bytes).value(), path);
  if (!reader.ok()) return std::move(reader).err();
  if (reader.value()->kind() != kind)
    return error{error_code::kBadInput, path + ": not a " + std::string(trace::kind_name(kind)) +
                                            " trace (engine " + engine + ")"};
  return reader;
}

uint64_t page_size_bytes(const std::string& name) {
  if (name == "4k") return uint64_t{4} << 10;
  if (name == "2m") return uint64_t{2} << 20;
  if (name == "1g") return uint64_t{1} << 30;
  return 0;  // "recorded": each range's own
}

json mem_counters_json(const replay::mem_replay_counters& c) {
  json j = {{"records", c.records},
            {"reads", c.accesses.reads},
            {"writes", c.accesses.writes},
            {"fetches", c.accesses.fetches},
            {"bytes.read", c.bytes.reads},
            {"bytes.written", c.bytes.writes},
            {"bytes.fetched", c.bytes.fetches},
            {"faults.read", c.faults.reads},
            {"faults.write", c.faults.writes},
            {"faults.fetch", c.faults.fetches},
            {"other_records", c.other_records},
            {"tlb.l1.hits", c.memory.l1.hits},
            {"tlb.l1.misses", c.memory.l1.misses},
            {"tlb.l1.flushes", c.memory.l1.flushes},
            {"walks", c.memory.walks},
            {"pte_reads", c.memory.pte_reads},
            {"page_faults", c.memory.page_faults},
            {"access_faults", c.memory.access_faults},
            {"checksum", hex(c.checksum)}};
  for (const auto& [name, value] : c.tlb) j[name] = value;  // the design's own
  if (c.accesses_per_cpu.size() > 1)
    for (size_t cpu = 0; cpu < c.accesses_per_cpu.size(); ++cpu)
      j["accesses.cpu" + std::to_string(cpu)] = c.accesses_per_cpu[cpu];
  return j;
}

// mem: every record through mmu load/store/fetch in a fresh address space
// per iteration. Decoding, building the space and tearing it down run with
// the timer paused: the time is the core's memory path alone.
class mem_engine final : public benchmark_engine {
 public:
  mem_engine(suite_benchmark b, engine_context c) : b_(std::move(b)), c_(std::move(c)) {}

  result<json> prepare() override {
    auto reader = open_trace(c_, b_.trace, trace::trace_kind::kMem, "mem");
    if (!reader.ok()) return std::move(reader).err();
    reader_ = std::move(reader).value();
    auto tlb = replay::parse_tlb_config(b_.tlb);
    if (!tlb.ok()) return std::move(tlb).err();
    options_.tlb = tlb.value();
    options_.page_size = page_size_bytes(b_.page_size);
    if (!b_.thp.empty()) {
      // Guest RAM with and without huge pages: steady-state accesses
      // (prefaulted, untimed), not the host's first-touch faults.
      auto mode = mem::parse_thp_mode(b_.thp);
      if (!mode.ok()) return std::move(mode).err();
      mem::placement p = mem::default_placement();
      p.thp = mode.value();
      options_.placement = p;
      options_.prefault = true;
    }
    // The reference run: replay_mem is what `vmbench replay` runs.
    auto report = replay::replay_mem(*reader_, options_);
    if (!report.ok()) return std::move(report).err();
    expected_ = report.value().counters;
    memory_ = report.value().memory;
    return mem_counters_json(expected_);
  }

  void time(benchmark::State& state) override {
    std::unique_ptr<replay::address_space> space;
    trace::decoded_chunk chunk;
    for (auto _ : state) {
      state.PauseTiming();
      space.reset();
      auto built = replay::address_space::build(reader_->metadata().page_map, options_.page_size,
                                                reader_->path(), options_.placement);
      if (!built.ok()) {
        state.SkipWithError(built.err().message.c_str());
        break;
      }
      space = std::move(built).value();
      if (options_.prefault) space->prefault();
      replay::mem_replayer replayer(*space, reader_->metadata().cpus, options_.tlb);
      if (error e = reader_->seek_chunk(0)) {
        state.SkipWithError(e.message.c_str());
        break;
      }
      bool failed = false;
      for (;;) {
        auto more = reader_->next(chunk);
        if (!more.ok()) {
          state.SkipWithError(more.err().message.c_str());
          failed = true;
          break;
        }
        if (!more.value()) break;
        state.ResumeTiming();
        replayer.replay(chunk.records.data(), chunk.records.size(), chunk.first_record);
        state.PauseTiming();
      }
      if (failed) break;
      if (!replay::same_counters(replayer.counters(), expected_)) {
        state.SkipWithError("the replay's counters differ from the reference run's");
        break;
      }
      state.ResumeTiming();
    }
    // `space` is torn down here, untimed: the loop has stopped the timer.
  }

  std::vector<std::string> inputs() const override { return {b_.trace}; }
  uint64_t items_per_iteration() const noexcept override { return expected_.accesses.total(); }
  json host_memory() const override { return memory_report_json(memory_); }

 private:
  suite_benchmark b_;
  engine_context c_;
  std::unique_ptr<trace::trace_reader> reader_;
  replay::mem_replay_options options_;
  replay::mem_replay_counters expected_;
  mem::memory_report memory_;  // the reference run's guest RAM
};

// exec: re-executes an exec trace from its embedded image with the
// interpreter (the record stream is not compared while timed, the final
// digest is), feeding recorded input back.
class exec_engine final : public benchmark_engine {
 public:
  exec_engine(suite_benchmark b, engine_context c) : b_(std::move(b)), c_(std::move(c)) {}

  result<json> prepare() override {
    auto reader = open_trace(c_, b_.trace, trace::trace_kind::kExec, "exec");
    if (!reader.ok()) return std::move(reader).err();
    reader_ = std::move(reader).value();
    // The reference run checks every record, not only the digest.
    VM_PROPAGATE(reader_->seek_chunk(0));
    auto checked = record::replay_exec(*reader_, {});
    if (!checked.ok()) return std::move(checked).err();
    if (!checked.value().matched)
      return error{error_code::kBadInput,
                   reader_->path() +
                       ": the replay diverges from the recording: " + checked.value().divergence};
    auto report = run_once();
    if (!report.ok()) return std::move(report).err();
    expected_ = report.value();
    const auto& m = expected_.memory;
    return json{{"instructions", expected_.instructions},
                {"syscalls", expected_.syscalls},
                {"tlb.l1.hits", m.l1.hits},
                {"tlb.l1.misses", m.l1.misses},
                {"tlb.l1.flushes", m.l1.flushes},
                {"walks", m.walks},
                {"pte_reads", m.pte_reads},
                {"page_faults", m.page_faults},
                {"access_faults", m.access_faults},
                {"register_hash", expected_.register_hash},
                {"memory_hash", expected_.memory_hash}};
  }

  void time(benchmark::State& state) override {
    for (auto _ : state) {
      auto report = run_once();
      if (!report.ok()) {
        state.SkipWithError(report.err().message.c_str());
        break;
      }
      const auto& r = report.value();
      if (!r.matched || r.instructions != expected_.instructions ||
          r.register_hash != expected_.register_hash || r.memory_hash != expected_.memory_hash ||
          r.memory.l1.misses != expected_.memory.l1.misses) {
        state.SkipWithError("the re-execution differs from the reference run");
        break;
      }
    }
  }

  std::vector<std::string> inputs() const override { return {b_.trace}; }
  uint64_t items_per_iteration() const noexcept override { return expected_.instructions; }

 private:
  result<record::exec_replay_report> run_once() {
    VM_PROPAGATE(reader_->seek_chunk(0));  // replay_exec reads from the reader's position
    record::exec_replay_options options;
    options.check_records = false;
    return record::replay_exec(*reader_, options);
  }

  suite_benchmark b_;
  engine_context c_;
  std::unique_ptr<trace::trace_reader> reader_;
  record::exec_replay_report expected_;
};

// tlb-lookup: the L1 hit path alone, the floor for a mem replay's time per access.
class tlb_lookup_engine final : public benchmark_engine {
 public:
  explicit tlb_lookup_engine(suite_benchmark b) : b_(std::move(b)) {}

  result<json> prepare() override {
    (void)replay::bare_tlb_lookup_ns(b_.lookups);
    return json{{"lookups", b_.lookups}};
  }
  void time(benchmark::State& state) override {
    for (auto _ : state) benchmark::DoNotOptimize(replay::bare_tlb_lookup_ns(b_.lookups));
  }
  uint64_t items_per_iteration() const noexcept override { return b_.lookups; }

 private:
  suite_benchmark b_;
};

// vmbench-exec and qemu: a workload as a child process, whole-process wall
// time, as a user of either would see it.
class process_engine final : public benchmark_engine {
 public:
  process_engine(suite_benchmark b, engine_context c) : b_(std::move(b)), c_(std::move(c)) {}

  result<json> prepare() override {
    auto list = read_workload_list(c_.workloads_tsv);
    if (!list.ok()) return std::move(list).err();
    const workload_entry* w = nullptr;
    for (const workload_entry& e : list.value())
      if (e.name == b_.workload) w = &e;
    if (w == nullptr)
      return error{error_code::kBadInput,
                   c_.workloads_tsv + ": no workload named '" + b_.workload + "'"};
    const auto& args = b_.size == "small" ? w->small_args : w->default_args;
    const bool ours = b_.engine == engine_kind::kVmbenchExec;
    if (!ours && c_.qemu.empty())
      return error{error_code::kBadInput, "qemu-riscv64 was not found when vmbench was built"};
    stats_path_ =
        c_.scratch_dir + "/" + b_.workload + "-" + b_.size + "-" + b_.accelerate + ".stats.json";
    argv_ =
        ours ? std::vector<std::string>{c_.self,        "exec",      "--accelerate", b_.accelerate,
                                        "--stats-json", stats_path_, w->path}
             : std::vector<std::string>{c_.qemu, w->path};
    argv_.insert(argv_.end(), args.begin(), args.end());
    const timed_run t = run_timed(argv_);
    if (!t.started) return error{error_code::kBadInput, b_.name + ": " + t.error};
    output_ = t.stdout_text;
    status_ = t.exit_status;
    json counters = {{"exit_status", status_},
                     {"output_hash", trace::hash_bytes(output_.data(), output_.size())}};
    if (ours) {
      std::ifstream in(stats_path_);
      const json stats = json::parse(in, nullptr, false);
      if (stats.is_discarded() || !stats.contains("instructions"))
        return error{error_code::kBadInput, stats_path_ + ": vmbench exec wrote no statistics"};
      instructions_ = stats["instructions"].get<uint64_t>();
      counters["instructions"] = instructions_;
      if (b_.accelerate != "none" && stats.contains("counters")) {
        counters["native_calls"] = stats["counters"].value("native_calls", uint64_t{0});
        counters["native_bytes"] = stats["counters"].value("native_bytes", uint64_t{0});
      }
    }
    return counters;
  }

  void time(benchmark::State& state) override {
    for (auto _ : state) {
      const timed_run t = run_timed(argv_);
      if (!t.started || t.exit_status != status_ || t.stdout_text != output_) {
        state.SkipWithError(t.started ? "the program's output or exit status changed"
                                      : t.error.c_str());
        break;
      }
      state.SetIterationTime(t.seconds);
    }
  }
  bool manual_time() const noexcept override { return true; }
  uint64_t items_per_iteration() const noexcept override { return instructions_; }

 private:
  suite_benchmark b_;
  engine_context c_;
  std::vector<std::string> argv_;
  std::string stats_path_;
  std::string output_;
  int status_ = 0;
  uint64_t instructions_ = 0;
};

}  // namespace

json memory_report_json(const mem::memory_report& r) {
  json nodes = json::object();
  for (const auto& [node, pages] : r.pages_per_node) nodes[std::to_string(node)] = pages;
  json j = {{"bytes", r.bytes},
            {"resident_bytes", r.resident_bytes},
            {"huge_bytes", r.huge_bytes},
            {"huge_share", r.huge_share},
            {"thp", std::string(mem::thp_mode_name(r.thp_requested))},
            {"thp_system", r.thp_system},
            {"thp_advice_visible", r.thp_advice_visible},
            {"alignment", r.alignment},
            {"numa_node", r.numa_node},
            {"numa_bound", r.numa_bound},
            {"pages_per_node", nodes},
            {"pages_sampled", r.pages_sampled}};
  if (!r.notice.empty()) j["notice"] = r.notice;
  return j;
}

result<std::vector<workload_entry>> read_workload_list(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return error{error_code::kIo,
                 path + ": cannot open the workload list (build the `workloads` target)"};
  std::vector<workload_entry> out;
  int line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, '\t');) fields.push_back(f);
    if (fields.size() < 2)
      return error{error_code::kBadInput,
                   path + ":" + std::to_string(line_number) +
                       ": expected name<TAB>path<TAB>default_args<TAB>small_args"};
    workload_entry w{fields[0], fields[1], {}, {}};
    if (fields.size() > 2) w.default_args = split_words(fields[2]);
    if (fields.size() > 3) w.small_args = split_words(fields[3]);
    out.push_back(std::move(w));
  }
  return out;
}

result<std::unique_ptr<benchmark_engine>> make_engine(const suite_benchmark& b,
                                                      const engine_context& c) {
  switch (b.engine) {
    case engine_kind::kMem: return std::unique_ptr<benchmark_engine>(new mem_engine(b, c));
    case engine_kind::kExec: return std::unique_ptr<benchmark_engine>(new exec_engine(b, c));
    case engine_kind::kTlbLookup:
      return std::unique_ptr<benchmark_engine>(new tlb_lookup_engine(b));
    case engine_kind::kVmbenchExec:
    case engine_kind::kQemu: return std::unique_ptr<benchmark_engine>(new process_engine(b, c));
    case engine_kind::kMemcpy:
    case engine_kind::kAlloc: return make_memory_engine(b);
  }
  return error{error_code::kInvalidArgument, b.name + ": unknown engine"};
}

}  // namespace vm::harness
