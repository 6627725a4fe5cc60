// replay_command.cpp - `vmbench replay TRACE`: a `mem` trace drives every
// access through the MMU (TLB -> walker -> guest RAM, vm::replay); an
// `exec` trace re-executes the recorded program (vm::record::replay_exec).
//
// stdout: a short block of deterministic counters and the throughput.
// Exit status: 0 replayed (exec: matched); 2 bad input or usage, a
// damaged trace, an exec replay that diverges, or counters that differ
// between --repeat runs (the trace did not reproduce).

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "atomic_file.h"
#include "commands.h"
#include "common/format.h"
#include "record/exec_replay.h"
#include "replay/mem_replay.h"
#include "replay/tlb_config.h"
#include "trace/trace_reader.h"

namespace vm::harness {
namespace {

struct replay_options {
  std::string trace;
  std::string tlb = "default";
  std::string page_size;  // "", "4k", "2m", "1g"
  std::string json;
  std::string image;
  unsigned repeat = 1;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "vmbench: %s\n", message.c_str());
  return kExitBadInput;
}

uint64_t page_size_bytes(const std::string& name) {
  if (name == "4k") return 4ull << 10;
  if (name == "2m") return 2ull << 20;
  if (name == "1g") return 1ull << 30;
  return 0;
}

std::string human_bytes(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0)
    std::snprintf(buf, sizeof buf, "%" PRIu64 " GiB", bytes >> 30);
  else if (bytes >= (1ull << 20) && bytes % (1ull << 20) == 0)
    std::snprintf(buf, sizeof buf, "%" PRIu64 " MiB", bytes >> 20);
  else if (bytes >= (1ull << 10) && bytes % (1ull << 10) == 0)
    std::snprintf(buf, sizeof buf, "%" PRIu64 " KiB", bytes >> 10);
  else
    std::snprintf(buf, sizeof buf, "%" PRIu64 " B", bytes);
  return buf;
}

struct timing {
  std::vector<double> seconds;  // one per run, in order
  double min = 0;
  double median = 0;
};

timing summarize(std::vector<double> seconds) {
  timing t;
  t.seconds = seconds;
  std::sort(seconds.begin(), seconds.end());
  const size_t n = seconds.size();
  t.min = seconds.front();
  t.median = n % 2 ? seconds[n / 2] : (seconds[n / 2 - 1] + seconds[n / 2]) / 2;
  return t;
}

// "0.2500 s", or "median 0.2500 s, min 0.2400 s over 5 runs".
std::string describe(const timing& t) {
  char buf[96];
  if (t.seconds.size() == 1)
    std::snprintf(buf, sizeof buf, "%.4f s", t.median);
  else
    std::snprintf(buf, sizeof buf, "median %.4f s, min %.4f s over %zu runs", t.median, t.min,
                  t.seconds.size());
  return buf;
}

nlohmann::json memory_json(const mmu::mmu_counters& m) {
  return {
      {"tlb", {{"l1", {{"hits", m.l1.hits}, {"misses", m.l1.misses}, {"flushes", m.l1.flushes}}}}},
      {"page_walks", m.walks},
      {"pte_reads", m.pte_reads},
      {"page_faults", m.page_faults},
      {"access_faults", m.access_faults}};
}

// "tlb.l2.hits" -> group "l2", name "hits".
bool split_counter(const std::string& key, std::string& group, std::string& name) {
  if (key.rfind("tlb.", 0) != 0) return false;
  const size_t dot = key.find('.', 4);
  if (dot == std::string::npos) return false;
  group = key.substr(4, dot - 4);
  name = key.substr(dot + 1);
  return true;
}

// The design's counters, one line per group ("tlb l2      hits 5, misses 3"),
// and the prefetcher's accuracy and coverage when there is one.
void print_design_counters(const tlb::counter_list& counters, uint64_t walks) {
  std::string line, current;
  uint64_t issued = 0, useful = 0, late = 0;
  bool prefetching = false;
  auto flush_line = [&] {
    if (!line.empty()) std::printf("tlb %-7s %s\n", current.c_str(), line.c_str());
    line.clear();
  };
  for (const auto& [key, value] : counters) {
    std::string group, name;
    if (!split_counter(key, group, name)) continue;
    if (group != current) flush_line();
    current = group;
    if (!line.empty()) line += ", ";
    line += name + " " + std::to_string(value);
    if (key == "tlb.prefetch.issued") prefetching = true, issued = value;
    if (key == "tlb.prefetch.useful") useful = value;
    if (key == "tlb.prefetch.late") late = value;
  }
  flush_line();
  if (prefetching) {
    const double served = static_cast<double>(useful + late);
    std::printf("prefetch    accuracy %.1f %% (useful+late / issued), coverage %.1f %% "
                "(useful+late / misses that would walk)\n",
                issued ? 100.0 * served / static_cast<double>(issued) : 0.0,
                served + static_cast<double>(walks) > 0
                    ? 100.0 * served / (served + static_cast<double>(walks))
                    : 0.0);
  }
}

// counters.tlb.<group>.<name> for each design counter.
void add_design_counters(nlohmann::json& counters, const tlb::counter_list& list) {
  for (const auto& [key, value] : list) {
    std::string group, name;
    if (split_counter(key, group, name)) counters["tlb"][group][name] = value;
  }
}

nlohmann::json per_type_json(const replay::per_type& p) {
  return {{"reads", p.reads}, {"writes", p.writes}, {"fetches", p.fetches}, {"total", p.total()}};
}

nlohmann::json timing_json(const timing& t) {
  return {{"repeat", t.seconds.size()},
          {"seconds", t.seconds},
          {"min_seconds", t.min},
          {"median_seconds", t.median}};
}

error write_json(const std::string& path, const nlohmann::json& j) {
  return write_file_atomically(path, j.dump(2) + "\n");
}

// ---- mem traces -------------------------------------------------------------

int replay_mem_trace(trace::trace_reader& reader, const replay_options& o,
                     const replay::tlb_config& tlb) {
  if (!o.image.empty()) return fail(reader.path() + ": --image applies to exec traces only");
  replay::mem_replay_options options;
  options.tlb = tlb;
  options.page_size = page_size_bytes(o.page_size);

  replay::mem_replay_report first;
  std::vector<double> seconds;
  double setup_seconds = 0;
  for (unsigned run = 0; run < o.repeat; ++run) {
    auto report = replay::replay_mem(reader, options);
    if (!report.ok()) return fail(report.err().message);
    if (run == 0) {
      first = report.value();
      setup_seconds = report.value().setup_seconds;
    } else if (!replay::same_counters(first.counters, report.value().counters)) {
      return fail(reader.path() + ": replay is not deterministic: the counters of run " +
                  std::to_string(run + 1) + " differ from run 1's");
    }
    seconds.push_back(report.value().replay_seconds);
    setup_seconds = std::min(setup_seconds, report.value().setup_seconds);
  }
  const double lookup_ns = replay::bare_tlb_lookup_ns();
  const timing t = summarize(seconds);

  const replay::mem_replay_counters& c = first.counters;
  const mmu::mmu_counters& m = c.memory;
  const uint64_t accesses = c.accesses.total();
  const double per_second = t.median > 0 ? static_cast<double>(accesses) / t.median : 0;
  const double ns_per_access = accesses > 0 ? t.median * 1e9 / static_cast<double>(accesses) : 0;
  const trace::trace_metadata& meta = reader.metadata();
  const std::string page_text =
      o.page_size.empty() ? "as recorded" : human_bytes(options.page_size) + " (--page-size)";

  std::printf("trace       %s\n", reader.path().c_str());
  std::printf("kind        mem, %" PRIu64 " records, %u cpu%s\n", reader.record_count(), meta.cpus,
              meta.cpus == 1 ? "" : "s");
  std::printf("tlb         %s\n", replay::to_string(tlb).c_str());
  std::printf("pages       %s: %" PRIu64 " range%s, %s mapped, %" PRIu64 " page-table pages\n",
              page_text.c_str(), first.space.ranges, first.space.ranges == 1 ? "" : "s",
              human_bytes(first.space.mapped_bytes).c_str(), first.space.page_table_pages);
  std::printf("accesses    %" PRIu64 " (reads %" PRIu64 ", writes %" PRIu64 ", fetches %" PRIu64
              "), %" PRIu64 " bytes; other records %" PRIu64 "\n",
              accesses, c.accesses.reads, c.accesses.writes, c.accesses.fetches, c.bytes.total(),
              c.other_records);
  std::printf("per cpu    ");
  const size_t shown = std::min<size_t>(c.accesses_per_cpu.size(), 16);
  for (size_t i = 0; i < shown; ++i)
    std::printf(" %zu: %" PRIu64 "%s", i, c.accesses_per_cpu[i], i + 1 < shown ? "," : "");
  if (shown < c.accesses_per_cpu.size())
    std::printf(" (and %zu more cpus)", c.accesses_per_cpu.size() - shown);
  std::printf("\n");
  std::printf("faults      %" PRIu64 " (reads %" PRIu64 ", writes %" PRIu64 ", fetches %" PRIu64
              "); page faults %" PRIu64 ", access faults %" PRIu64 "\n",
              c.faults.total(), c.faults.reads, c.faults.writes, c.faults.fetches, m.page_faults,
              m.access_faults);
  std::printf("tlb l1      hits %" PRIu64 ", misses %" PRIu64 "\n", m.l1.hits, m.l1.misses);
  print_design_counters(c.tlb, m.walks);
  std::printf("walks       %" PRIu64 ", pte reads %" PRIu64 "\n", m.walks, m.pte_reads);
  std::printf("checksum    %s\n", hex(c.checksum).c_str());
  std::printf("time        %s (setup %.4f s)\n", describe(t).c_str(), setup_seconds);
  std::printf("throughput  %.1f M accesses/s, replay %.2f ns/access, bare TLB lookup %.2f ns\n",
              per_second / 1e6, ns_per_access, lookup_ns);

  if (!o.json.empty()) {
    nlohmann::json counters = memory_json(m);
    add_design_counters(counters, c.tlb);
    counters["records"] = c.records;
    counters["accesses"] = per_type_json(c.accesses);
    counters["bytes"] = per_type_json(c.bytes);
    counters["faults"] = per_type_json(c.faults);
    counters["other_records"] = c.other_records;
    counters["accesses_per_cpu"] = c.accesses_per_cpu;
    counters["checksum"] = hex(c.checksum);
    nlohmann::json timing = timing_json(t);
    timing["setup_seconds"] = setup_seconds;
    timing["accesses_per_second"] = per_second;
    timing["ns_per_access"] = ns_per_access;
    timing["bare_tlb_lookup_ns"] = lookup_ns;
    const nlohmann::json j = {{"schema_version", kSchemaVersion},
                              {"kind", "vmbench.replay"},
                              {"trace", reader.path()},
                              {"trace_kind", "mem"},
                              {"records", reader.record_count()},
                              {"tlb", replay::to_string(tlb)},
                              {"page_size", o.page_size.empty() ? "recorded" : o.page_size},
                              {"address_space",
                               {{"ranges", first.space.ranges},
                                {"mapped_bytes", first.space.mapped_bytes},
                                {"page_table_pages", first.space.page_table_pages},
                                {"ram_bytes", first.space.ram_bytes}}},
                              {"counters", counters},
                              {"timing", timing}};
    if (error e = write_json(o.json, j)) return fail(e.message);
  }
  return kExitOk;
}

// ---- exec traces ------------------------------------------------------------

bool same_outcome(const record::exec_replay_report& a, const record::exec_replay_report& b) {
  return a.matched == b.matched && a.divergence == b.divergence &&
         a.instructions == b.instructions && a.records_checked == b.records_checked &&
         a.blocks == b.blocks && a.accesses == b.accesses && a.syscalls == b.syscalls &&
         a.register_hash == b.register_hash && a.memory_hash == b.memory_hash &&
         a.memory.l1.hits == b.memory.l1.hits && a.memory.l1.misses == b.memory.l1.misses &&
         a.memory.walks == b.memory.walks && a.memory.pte_reads == b.memory.pte_reads &&
         a.memory.page_faults == b.memory.page_faults;
}

int replay_exec_trace(trace::trace_reader& reader, const replay_options& o,
                      const replay::tlb_config& tlb) {
  if (!o.page_size.empty()) return fail(reader.path() + ": --page-size applies to mem traces only");
  if (!(tlb == replay::tlb_config{}))
    return fail(reader.path() + ": --tlb " + o.tlb +
                ": exec traces run on the interpreter, whose TLB is the default; TLB designs "
                "apply to mem traces");
  record::exec_replay_options options;
  options.image_path = o.image;

  record::exec_replay_report first;
  std::vector<double> seconds;
  for (unsigned run = 0; run < o.repeat; ++run) {
    if (error e = reader.seek_chunk(0)) return fail(e.message);
    auto report = record::replay_exec(reader, options);
    if (!report.ok()) return fail(report.err().message);
    if (run == 0)
      first = report.value();
    else if (!same_outcome(first, report.value()))
      return fail(reader.path() + ": replay is not deterministic: run " + std::to_string(run + 1) +
                  " differs from run 1");
    seconds.push_back(report.value().seconds);
  }
  const timing t = summarize(seconds);
  const record::exec_replay_report& r = first;
  const mmu::mmu_counters& m = r.memory;
  const double mips = t.median > 0 ? static_cast<double>(r.instructions) / t.median / 1e6 : 0;

  std::printf("trace       %s\n", reader.path().c_str());
  std::printf("kind        exec, %" PRIu64 " records\n", reader.record_count());
  std::printf("tlb         %s\n", replay::to_string(tlb).c_str());
  if (r.matched)
    std::printf("result      matched\n");
  else
    std::printf("result      diverged: %s\n", r.divergence.c_str());
  std::printf("instructions %" PRIu64 " (recorded %" PRIu64 ")\n", r.instructions,
              r.expected_instructions);
  std::printf("records     %" PRIu64 " checked (blocks %" PRIu64 ", accesses %" PRIu64
              ", syscalls %" PRIu64 ")\n",
              r.records_checked, r.blocks, r.accesses, r.syscalls);
  std::printf("digests     registers %s, memory %s\n", r.register_hash.c_str(),
              r.memory_hash.c_str());
  std::printf("tlb l1      hits %" PRIu64 ", misses %" PRIu64 "\n", m.l1.hits, m.l1.misses);
  std::printf("walks       %" PRIu64 ", pte reads %" PRIu64 "; page faults %" PRIu64 "\n", m.walks,
              m.pte_reads, m.page_faults);
  std::printf("time        %s\n", describe(t).c_str());
  std::printf("throughput  %.1f MIPS\n", mips);

  if (!o.json.empty()) {
    nlohmann::json counters = memory_json(m);
    counters["instructions"] = r.instructions;
    counters["expected_instructions"] = r.expected_instructions;
    counters["records_checked"] = r.records_checked;
    counters["blocks"] = r.blocks;
    counters["accesses"] = r.accesses;
    counters["syscalls"] = r.syscalls;
    nlohmann::json timing = timing_json(t);
    timing["mips"] = mips;
    const nlohmann::json j = {{"schema_version", kSchemaVersion},
                              {"kind", "vmbench.replay"},
                              {"trace", reader.path()},
                              {"trace_kind", "exec"},
                              {"records", reader.record_count()},
                              {"tlb", replay::to_string(tlb)},
                              {"matched", r.matched},
                              {"divergence", r.divergence},
                              {"register_hash", r.register_hash},
                              {"memory_hash", r.memory_hash},
                              {"counters", counters},
                              {"timing", timing}};
    if (error e = write_json(o.json, j)) return fail(e.message);
  }
  if (!r.matched) {
    std::fprintf(stderr, "vmbench: %s: replay diverged: %s\n", reader.path().c_str(),
                 r.divergence.c_str());
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace

command_action add_replay_command(CLI::App& app) {
  auto o = std::make_shared<replay_options>();
  CLI::App* sub = app.add_subcommand(
      "replay",
      "Replay a trace. mem: every access goes through the TLB, the Sv39 page walker and guest\n"
      "RAM, in page tables built from the trace's page map; prints deterministic counters and\n"
      "the throughput. exec: re-execute the recorded program and check it against the trace.\n"
      "Exit status: 0 replayed (exec: matched); 2 bad input, a damaged trace, or a replay\n"
      "that does not reproduce (exec divergence, counters differing between --repeat runs).");
  sub->add_option("trace", o->trace, "The .vmt trace")->required();
  sub->add_option("--tlb", o->tlb,
                  "mem traces: the TLB design (docs/TLB.md), e.g. 'l1=16x4,l2=128x8,repl=srrip,"
                  "prefetch=distance' or 'qemu'; default 'default'. Accepted: " +
                      replay::supported_tlb_configs());
  sub->add_option("--page-size", o->page_size,
                  "mem traces: map every page-map range with this page size, rounding ranges out "
                  "to it (default: each range's recorded page size)")
      ->check(CLI::IsMember({"4k", "2m", "1g"}));
  sub->add_option("--json", o->json, "Also write the counters and timing as JSON to this file");
  sub->add_option("--repeat", o->repeat,
                  "Replay this many times; the counters must be identical each time (min and "
                  "median time reported)")
      ->check(CLI::Range(1u, 1000000u));
  sub->add_option("--image", o->image,
                  "exec traces: re-execute this ELF instead of the recorded program");

  return [o]() -> int {
    auto tlb = replay::parse_tlb_config(o->tlb);
    if (!tlb.ok()) return fail(tlb.err().message);
    auto reader = trace::trace_reader::open(o->trace);
    if (!reader.ok()) return fail(reader.err().message);
    trace::trace_reader& r = *reader.value();
    std::fflush(stdout);
    if (r.kind() == trace::trace_kind::kMem) return replay_mem_trace(r, *o, tlb.value());
    return replay_exec_trace(r, *o, tlb.value());
  };
}

}  // namespace vm::harness
