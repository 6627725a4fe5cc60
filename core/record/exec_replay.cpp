#include "record/exec_replay.h"

#include <chrono>
#include <cstring>

#include "common/format.h"
#include "linux/process.h"
#include "loader/elf_loader.h"
#include "record/digest.h"
#include "record/exec_trace.h"
#include "trace/trace_writer.h"

namespace vm::record {
namespace {

std::string describe(const trace::record& r) {
  switch (r.type) {
    case trace::record_type::kBlock:
      return "block at pc " + hex(r.address) + " retiring " + std::to_string(r.size);
    case trace::record_type::kRead:
    case trace::record_type::kWrite:
    case trace::record_type::kFetch:
      return std::string(r.type == trace::record_type::kRead ? "read" : "write") + " of " +
             std::to_string(r.size) + " bytes at " + hex(r.address);
    case trace::record_type::kSyscall:
      return "syscall " + std::to_string(r.address) + " returning " +
             std::to_string(static_cast<int64_t>(r.value));
    case trace::record_type::kBlob: return "blob " + std::to_string(r.address);
  }
  return "?";
}

// Compares what the re-execution does with the recorded stream, record by
// record, and feeds recorded input back to the guest.
class checking_observer final : public linux_abi::process_observer {
 public:
  checking_observer(trace::trace_reader& reader, uint64_t start_instret, bool check)
      : reader_(reader), instret_(start_instret), check_(check), buffer_(kLogEntries) {
    log_.begin = log_.next = buffer_.data();
    log_.end = buffer_.data() + buffer_.size();
  }

  // Blocks and accesses are compared only in the window (and only when
  // checking); system calls are fed back and compared throughout.
  cpu::access_log* log() noexcept override { return check_ && in_window_ ? &log_ : nullptr; }
  void start_window(uint64_t instret) {
    in_window_ = true;
    instret_ = instret;
  }

  void drain(cpu::access_log& log) override {
    for (const cpu::access_log::entry* e = log.begin; e != log.next && ok(); ++e) {
      trace::record got;
      got.address = e->address;
      got.size = e->size;
      got.type = static_cast<trace::record_type>(e->type);
      const trace::record* want = next();
      if (want == nullptr) {
        diverge("the replay went on past the recording's last record with a " + describe(got));
        break;
      }
      if (want->type != got.type || want->address != got.address || want->size != got.size) {
        diverge("record " + std::to_string(number_) + " (near instruction " +
                std::to_string(instret_) + "): recorded " + describe(*want) + ", replay gave " +
                describe(got));
        break;
      }
      consume();
      if (got.type == trace::record_type::kBlock) {
        instret_ += got.size;
        ++report_.blocks;
      } else {
        ++report_.accesses;
      }
    }
    log.clear();
  }

  std::optional<int64_t> replay_read(int64_t, uint64_t length,
                                     std::vector<uint8_t>& data) override {
    const trace::record* want = expect_syscall(kSysRead, "read()");
    data.clear();
    if (want == nullptr) return -5;  // EIO: the guest goes on, the replay has already failed
    const uint64_t n = std::min<uint64_t>(want->size, length);
    data.assign(chunk_.payload(*want), chunk_.payload(*want) + n);
    return static_cast<int64_t>(want->value);
  }

  std::optional<int64_t> replay_output(uint64_t number) override {
    const trace::record* want = expect_syscall(number, "write()");
    if (want == nullptr) return std::nullopt;  // diverged: written nowhere (discard_output)
    return static_cast<int64_t>(want->value);
  }

  void syscall_done(uint64_t number, const uint64_t*, int64_t result,
                    const std::vector<uint8_t>&) override {
    if (!ok()) return;
    const trace::record* want = next(!(check_ && in_window_));
    trace::record got;
    got.type = trace::record_type::kSyscall;
    got.address = number;
    got.value = static_cast<uint64_t>(result);
    if (want == nullptr || want->type != got.type || want->address != number ||
        want->value != got.value) {
      diverge("record " + std::to_string(number_) + " (near instruction " +
              std::to_string(instret_) + "): recorded " +
              (want ? describe(*want) : std::string("the end of the trace")) + ", replay gave " +
              describe(got));
      return;
    }
    consume();
    ++report_.syscalls;
  }

  bool discard_output() const noexcept override { return true; }

  // After the run: anything recorded that the replay did not do.
  void finish() {
    if (!ok()) return;
    if (const trace::record* left = next())
      diverge("the replay ended at record " + std::to_string(number_) +
              " but the recording goes on with a " + describe(*left));
  }

  bool ok() const noexcept { return divergence_.empty() && !error_; }
  error take_error() { return std::move(error_); }
  const std::string& divergence() const noexcept { return divergence_; }
  exec_replay_report& report() noexcept { return report_; }
  uint64_t records_checked() const noexcept { return number_; }

 private:
  static constexpr size_t kLogEntries = 1 << 16;

  static constexpr uint64_t kSysRead = 63;

  void diverge(std::string what) {
    if (divergence_.empty()) divergence_ = std::move(what);
  }

  // The recorded system call the one being made must match, or nullptr
  // (and a divergence).
  const trace::record* expect_syscall(uint64_t number, const char* what) {
    if (!ok()) return nullptr;
    const trace::record* want = next(!(check_ && in_window_));
    if (want != nullptr && want->type == trace::record_type::kSyscall && want->address == number)
      return want;
    diverge("record " + std::to_string(number_) + " (near instruction " + std::to_string(instret_) +
            "): replay made a " + what + " (syscall " + std::to_string(number) +
            ") where the recording has " + (want ? describe(*want) : std::string("nothing more")));
    return nullptr;
  }

  // The next record to compare (blobs skipped; with `syscalls_only`, all
  // but system calls), or nullptr at the end.
  const trace::record* next(bool syscalls_only = false) {
    for (;;) {
      if (position_ < chunk_.records.size()) {
        const trace::record& r = chunk_.records[position_];
        if (r.type == trace::record_type::kBlob ||
            (syscalls_only && r.type != trace::record_type::kSyscall)) {
          ++position_;
          ++number_;
          continue;
        }
        return &r;
      }
      auto more = reader_.next(chunk_);
      if (!more.ok()) {
        if (!error_) error_ = std::move(more).err();
        return nullptr;
      }
      if (!more.value()) return nullptr;
      position_ = 0;
    }
  }
  void consume() {
    ++position_;
    ++number_;
  }

  trace::trace_reader& reader_;
  trace::decoded_chunk chunk_;
  size_t position_ = 0;
  uint64_t number_ = 0;  // global number of the next record
  uint64_t instret_;
  bool check_;
  bool in_window_ = false;
  std::vector<cpu::access_log::entry> buffer_;
  cpu::access_log log_;
  std::string divergence_;
  error error_;
  exec_replay_report report_;
};

// The program image: the embedded blob, or a file whose hash must match.
result<loader::elf_image> find_image(trace::trace_reader& reader, const exec_setup& setup,
                                     const exec_replay_options& options) {
  const std::string& want = reader.metadata().workload_hash;
  if (options.image_path.empty() && setup.image_embedded) {
    trace::decoded_chunk first;
    auto more = reader.next(first);
    if (!more.ok()) return std::move(more).err();
    VM_PROPAGATE(reader.seek_chunk(0));
    if (!more.value() || first.records.empty() ||
        first.records[0].type != trace::record_type::kBlob ||
        first.records[0].address != kImageBlobId)
      return error{error_code::kBadInput,
                   reader.path() +
                       ": the metadata says the image is embedded, but the first "
                       "record is not the image blob"};
    const trace::record& blob = first.records[0];
    std::vector<uint8_t> bytes(first.payload(blob), first.payload(blob) + blob.size);
    if (trace::hash_bytes(bytes.data(), bytes.size()) != want)
      return error{error_code::kBadInput,
                   reader.path() + ": the embedded image does not match its hash " + want};
    return loader::parse_elf(reader.path() + " (embedded image)", std::move(bytes));
  }
  const std::string path = options.image_path.empty() ? setup.image_path : options.image_path;
  auto image = loader::load_elf(path);
  if (!image.ok()) return std::move(image).err();
  const std::string got = trace::hash_bytes(image.value().bytes.data(), image.value().bytes.size());
  if (got != want)
    return error{error_code::kBadInput, path + ": this is not the recorded program (hash " + got +
                                            ", the trace was recorded from " + want + ")"};
  return image;
}

}  // namespace

result<exec_replay_report> replay_exec(trace::trace_reader& reader,
                                       const exec_replay_options& options) {
  if (reader.kind() != trace::trace_kind::kExec)
    return error{error_code::kInvalidArgument, reader.path() + ": not an exec trace"};
  exec_setup setup;
  exec_start start;
  exec_digest digest;
  VM_PROPAGATE(parse_exec_extra(reader.metadata().extra, reader.path(), setup, start, digest));
  auto image = find_image(reader, setup, options);
  if (!image.ok()) return std::move(image).err();

  linux_abi::process_options p;
  p.argv = setup.argv;
  p.envp = setup.envp;
  p.ram_bytes = setup.ram_bytes;
  p.random_seed = setup.random_seed;
  auto proc_or = linux_abi::process::create(image.value(), p);
  if (!proc_or.ok()) return std::move(proc_or).err();
  linux_abi::process& proc = *proc_or.value();

  exec_replay_report report;
  report.expected_instructions = digest.end_instret - start.instret;
  // The unrecorded prefix runs as it did when recording, fed the system
  // call results recorded for it.
  checking_observer observer(reader, start.instret, options.check_records);
  proc.set_observer(&observer);
  if (setup.skip > 0) proc.run(setup.skip);
  VM_PROPAGATE(observer.take_error());
  if (!observer.divergence().empty()) {
    report.divergence = "before the window: " + observer.divergence();
    return report;
  }
  if (proc.state().instret != start.instret || proc.state().pc != start.pc ||
      register_hash(proc.state()) != start.register_hash) {
    report.divergence = "the window starts differently: recorded instruction " +
                        std::to_string(start.instret) + " at pc " + hex(start.pc) +
                        ", replay reached instruction " + std::to_string(proc.state().instret) +
                        " at pc " + hex(proc.state().pc) +
                        (proc.state().instret == start.instret ? " with different registers" : "");
    return report;
  }

  observer.start_window(start.instret);
  const auto t0 = std::chrono::steady_clock::now();
  const linux_abi::exit_info info = proc.run(setup.window);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  proc.set_observer(nullptr);
  if (options.check_records) observer.finish();
  VM_PROPAGATE(observer.take_error());

  const exec_replay_report& counts = observer.report();
  report.blocks = counts.blocks;
  report.accesses = counts.accesses;
  report.syscalls = counts.syscalls;
  report.records_checked = observer.records_checked();
  report.instructions = proc.state().instret - start.instret;
  report.register_hash = register_hash(proc.state());
  report.memory_hash = memory_hash(proc);
  report.memory = proc.memory().counters();
  const std::string ended =
      info.instruction_limit ? "window" : (info.signalled ? "signal" : "exit");

  std::string divergence = observer.divergence();
  if (divergence.empty()) {
    if (proc.state().instret != digest.end_instret)
      divergence = "the run retired " + std::to_string(report.instructions) +
                   " instructions, the recording " + std::to_string(report.expected_instructions);
    else if (ended != digest.ended || info.status != digest.exit_status)
      divergence = "the run ended by " + ended + " with status " + std::to_string(info.status) +
                   ", the recording by " + digest.ended + " with status " +
                   std::to_string(digest.exit_status);
    else if (report.register_hash != digest.register_hash)
      divergence = "final registers differ (" + report.register_hash + ", recorded " +
                   digest.register_hash + ")";
    else if (report.memory_hash != digest.memory_hash)
      divergence =
          "final memory differs (" + report.memory_hash + ", recorded " + digest.memory_hash + ")";
  }
  report.divergence = std::move(divergence);
  report.matched = report.divergence.empty();
  return report;
}

}  // namespace vm::record
