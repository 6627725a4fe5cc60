#include "record/recorder.h"

#include <sys/stat.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/format.h"
#include "linux/process.h"
#include "loader/elf_loader.h"
#include "mmu/sv39.h"
#include "record/digest.h"
#include "record/exec_trace.h"
#include "trace/trace_writer.h"

namespace vm::record {
namespace {

static_assert(static_cast<uint8_t>(cpu::access_log::kind::kRead) ==
              static_cast<uint8_t>(trace::record_type::kRead));
static_assert(static_cast<uint8_t>(cpu::access_log::kind::kWrite) ==
              static_cast<uint8_t>(trace::record_type::kWrite));
static_assert(static_cast<uint8_t>(cpu::access_log::kind::kBlock) ==
              static_cast<uint8_t>(trace::record_type::kBlock));

// Turns the hart's access log and the process's system calls into records.
class recording_observer final : public linux_abi::process_observer {
 public:
  recording_observer(const linux_abi::process& proc, trace::trace_writer* exec,
                     trace::trace_writer* mem)
      : proc_(proc), exec_(exec), mem_(mem) {
    for (auto& b : buffers_) b.resize(kLogEntries);
    use_buffer(0);
    note_mappings();
    worker_ = std::thread([this] { encode_loop(); });
  }
  ~recording_observer() override { stop(); }

  // Every range mapped at any time during the window (the mem trace's page
  // map must cover memory the program unmapped before it ended).
  void note_mappings() {
    if (proc_.map_generation() == seen_generation_) return;
    seen_generation_ = proc_.map_generation();
    for (const auto& r : proc_.mapped_ranges()) ranges_.insert({r.start, r.end, r.pte_flags});
  }

  // The union of the ranges noted, with the union of their permissions.
  std::vector<trace::page_range> page_map() const {
    std::map<uint64_t, int> boundaries;
    for (const auto& r : ranges_) boundaries[r[0]], boundaries[r[1]];
    std::vector<trace::page_range> out;
    for (auto it = boundaries.begin(); it != boundaries.end() && std::next(it) != boundaries.end();
         ++it) {
      const uint64_t start = it->first, end = std::next(it)->first;
      uint8_t permissions = 0;
      bool covered = false;
      for (const auto& r : ranges_) {
        if (r[0] <= start && end <= r[1]) {
          covered = true;
          permissions |=
              static_cast<uint8_t>(((r[2] & mmu::sv39::pte::kRead) ? trace::kPermRead : 0) |
                                   ((r[2] & mmu::sv39::pte::kWrite) ? trace::kPermWrite : 0) |
                                   ((r[2] & mmu::sv39::pte::kExecute) ? trace::kPermExecute : 0));
        }
      }
      if (!covered) continue;
      if (!out.empty() && out.back().end == start && out.back().permissions == permissions)
        out.back().end = end;
      else
        out.push_back({start, end, permissions, mem::kPageSize});
    }
    return out;
  }

  // Before start_window() (the --skip prefix) only system calls are
  // recorded, and not counted in the report.
  cpu::access_log* log() noexcept override { return in_window_ ? &log_ : nullptr; }
  void start_window() {
    in_window_ = true;
    report_.syscalls = 0;
    note_mappings();
  }

  // Hands the filled buffer to the encoding thread and lets the hart fill
  // the other one: interpretation and encoding overlap on two cores.
  void drain(cpu::access_log& log) override {
    note_mappings();
    if (log.size() == 0) return;
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [&] { return pending_ == nullptr; });
    pending_ = log.begin;
    pending_end_ = log.next;
    lock.unlock();
    work_.notify_one();
    use_buffer(current_ ^ 1);
  }

  void syscall_done(uint64_t number, const uint64_t*, int64_t result,
                    const std::vector<uint8_t>& input) override {
    ++report_.syscalls;
    if (exec_ == nullptr) return;
    wait_idle();  // the accesses before the call are written first
    trace::record r;
    r.type = trace::record_type::kSyscall;
    r.address = number;
    r.value = static_cast<uint64_t>(result);
    r.size = static_cast<uint32_t>(input.size());
    keep(exec_->append(r, input.data()));
  }

  // Waits for the encoder to finish everything handed to it and stops it.
  void stop() {
    {
      std::unique_lock lock(mutex_);
      idle_.wait(lock, [&] { return pending_ == nullptr; });
      stopping_ = true;
    }
    work_.notify_one();
    if (worker_.joinable()) worker_.join();
  }

  // The first error a writer reported (writing stops being useful then,
  // but the run is not interrupted).
  error take_error() { return std::move(error_); }
  record_report& report() noexcept { return report_; }

 private:
  static constexpr size_t kLogEntries = 1 << 16;

  void keep(error e) {
    if (e && !error_) error_ = std::move(e);
  }

  void use_buffer(unsigned i) {
    current_ = i;
    log_.begin = log_.next = buffers_[i].data();
    log_.end = buffers_[i].data() + buffers_[i].size();
  }

  void wait_idle() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [&] { return pending_ == nullptr; });
  }

  void encode_loop() {
    for (;;) {
      const cpu::access_log::entry *begin, *end;
      {
        std::unique_lock lock(mutex_);
        work_.wait(lock, [&] { return pending_ != nullptr || stopping_; });
        if (pending_ == nullptr) return;
        begin = pending_;
        end = pending_end_;
      }
      encode(begin, end);
      {
        std::lock_guard lock(mutex_);
        pending_ = nullptr;
      }
      idle_.notify_all();
    }
  }

  void encode(const cpu::access_log::entry* begin, const cpu::access_log::entry* end) {
    for (const cpu::access_log::entry* e = begin; e != end; ++e) {
      trace::record r;
      r.address = e->address;
      r.size = e->size;
      r.type = static_cast<trace::record_type>(e->type);
      if (e->type == cpu::access_log::kind::kBlock) {
        ++report_.blocks;
        if (exec_ != nullptr) exec_->push(r);
        if (mem_ != nullptr) {
          r.type = trace::record_type::kFetch;
          r.size = e->bytes;
          mem_->push(r);
        }
        continue;
      }
      ++(e->type == cpu::access_log::kind::kRead ? report_.reads : report_.writes);
      if (exec_ != nullptr) exec_->push(r);
      if (mem_ != nullptr) mem_->push(r);
    }
  }

  const linux_abi::process& proc_;
  trace::trace_writer* exec_;
  trace::trace_writer* mem_;
  std::set<std::array<uint64_t, 3>> ranges_;  // start, end, pte flags
  uint64_t seen_generation_ = ~0ull;
  std::vector<cpu::access_log::entry> buffers_[2];
  unsigned current_ = 0;  // the buffer the hart fills
  bool in_window_ = false;
  cpu::access_log log_;
  // Hand-off to the encoding thread: [pending_, pending_end_) is being
  // encoded while pending_ is not null.
  std::mutex mutex_;
  std::condition_variable work_, idle_;
  const cpu::access_log::entry* pending_ = nullptr;
  const cpu::access_log::entry* pending_end_ = nullptr;
  bool stopping_ = false;
  std::thread worker_;
  error error_;
  record_report report_;
};

std::string base_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

}  // namespace

result<record_report> record_program(const record_options& options) {
  if (options.exec_path.empty() && options.mem_path.empty())
    return error{error_code::kInvalidArgument, "nothing to record: give an exec and/or mem output"};
  auto image_or = loader::load_elf(options.program);
  if (!image_or.ok()) return std::move(image_or).err();
  const loader::elf_image& image = image_or.value();
  if (image.bare_metal())
    return error{error_code::kUnsupported,
                 options.program +
                     ": recording bare-metal (HTIF) programs is not supported; "
                     "record a Linux user-mode program"};

  linux_abi::process_options p;
  p.argv = options.argv;
  p.envp = options.envp;
  p.ram_bytes = options.ram_bytes;
  auto proc_or = linux_abi::process::create(image, p);
  if (!proc_or.ok()) return std::move(proc_or).err();
  linux_abi::process& proc = *proc_or.value();

  std::unique_ptr<trace::trace_writer> exec, mem;
  const trace::writer_options wo{options.compression_level, trace::kMaxRecordsPerChunk};
  if (!options.exec_path.empty()) {
    auto w = trace::trace_writer::create(options.exec_path, trace::trace_kind::kExec, wo);
    if (!w.ok()) return std::move(w).err();
    exec = std::move(w).value();
  }
  if (!options.mem_path.empty()) {
    auto w = trace::trace_writer::create(options.mem_path, trace::trace_kind::kMem, wo);
    if (!w.ok()) return std::move(w).err();
    mem = std::move(w).value();
  }

  const std::string workload_hash = trace::hash_bytes(image.bytes.data(), image.bytes.size());
  if (exec != nullptr && options.embed_image) {
    if (image.bytes.size() > trace::kMaxPayloadBytes)
      return error{error_code::kUnsupported,
                   options.program + ": the image is too large to embed (use --no-embed-image)"};
    trace::record blob;
    blob.type = trace::record_type::kBlob;
    blob.address = kImageBlobId;
    blob.size = static_cast<uint32_t>(image.bytes.size());
    VM_PROPAGATE(exec->append(blob, image.bytes.data()));
  }

  // The unrecorded prefix. Its system calls are still recorded in the exec
  // trace (S records before the window), so that a replay can feed their
  // input back and needs nothing but the trace.
  recording_observer observer(proc, exec.get(), mem.get());
  if (options.skip > 0) {
    proc.set_observer(&observer);
    const linux_abi::exit_info skipped = proc.run(options.skip);
    proc.set_observer(nullptr);
    if (!skipped.instruction_limit) {
      return error{error_code::kInvalidArgument,
                   options.program + ": the program ended after " +
                       std::to_string(proc.state().instret) +
                       " instructions, before the recording window (--skip " +
                       std::to_string(options.skip) + ")"};
    }
  }
  const uint64_t prefix_syscalls = observer.report().syscalls;
  observer.start_window();

  exec_start start;
  start.instret = proc.state().instret;
  start.pc = proc.state().pc;
  start.register_hash = register_hash(proc.state());

  proc.set_observer(&observer);
  const auto t0 = std::chrono::steady_clock::now();
  const linux_abi::exit_info info = proc.run(options.window);
  proc.set_observer(nullptr);
  observer.stop();
  VM_PROPAGATE(observer.take_error());

  record_report report = observer.report();
  report.exited = !info.instruction_limit && !info.signalled;
  report.exit_status = info.status;
  report.diagnostic = info.signalled ? info.diagnostic : "";
  report.start_instret = start.instret;
  report.end_instret = proc.state().instret;

  exec_digest digest;
  digest.end_instret = proc.state().instret;
  digest.register_hash = register_hash(proc.state());
  digest.memory_hash = memory_hash(proc);
  digest.ended = info.instruction_limit ? "window" : (info.signalled ? "signal" : "exit");
  digest.exit_status = info.status;

  trace::trace_metadata m;
  m.source = "record";
  m.command = options.command;
  m.workload_name =
      options.workload_name.empty() ? base_name(options.program) : options.workload_name;
  m.workload_hash = workload_hash;
  m.producer = options.producer;
  nlohmann::json window = {
      {"skip", options.skip},
      {"length",
       options.window == UINT64_MAX ? nlohmann::json(nullptr) : nlohmann::json(options.window)},
      {"start_instret", start.instret},
      {"end_instret", digest.end_instret}};

  if (exec != nullptr) {
    trace::trace_metadata em = m;
    exec_setup setup;
    setup.argv = options.argv;
    setup.envp = options.envp;
    setup.ram_bytes = options.ram_bytes;
    setup.random_seed = p.random_seed;
    setup.image_path = options.program;
    setup.image_embedded = options.embed_image;
    setup.skip = options.skip;
    setup.window = options.window;
    em.extra = exec_extra_to_json(setup, start, digest);
    em.extra["window"]["prefix_syscalls"] = prefix_syscalls;
    report.exec_records = exec->record_count();
    VM_PROPAGATE(exec->finish(std::move(em)));
    report.exec_bytes = file_size(options.exec_path);
  }
  if (mem != nullptr) {
    trace::trace_metadata mm = m;
    observer.note_mappings();
    mm.page_map = observer.page_map();
    mm.extra = {{"environment", "linux-user"},
                {"argv", options.argv},
                {"window", window},
                {"fetch_records", "one per executed block: its pc and the bytes it retired"}};
    report.mem_records = mem->record_count();
    VM_PROPAGATE(mem->finish(std::move(mm)));
    report.mem_bytes = file_size(options.mem_path);
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace vm::record
