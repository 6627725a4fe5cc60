// trace_command.cpp - `vmbench trace`: make, convert and inspect .vmt
// traces.
//
//   vmbench trace gen PATTERN -o FILE [--records N] [--seed S] [...]
//   vmbench trace import lackey FILE -o OUT [--name NAME] [--cpu N]
//   vmbench trace import text FILE -o OUT [--name NAME]
//   vmbench trace dump FILE [--format text|csv] [--first N] [--count N] [-o OUT]
//   vmbench trace info FILE [--json]
//   vmbench trace verify FILE
//
// Every failure prints one line "vmbench: <message>" (naming the file and
// the offset or line) and exits 2; output files are written under a
// temporary name and renamed into place only on success.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bitset>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "commands.h"
#include "common/format.h"
#include "trace/generators.h"
#include "trace/lackey_import.h"
#include "trace/text_format.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace vm::harness {
namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "vmbench: %s\n", message.c_str());
  return kExitBadInput;
}

// The command line as a shell would re-run it, with argv[0] reduced to
// "vmbench" so that the same command gives the same metadata (and so the
// same trace bytes) wherever the binary lives.
std::string command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string out;
  size_t start = 0;
  bool first = true;
  while (start < all.size()) {
    size_t stop = all.find('\0', start);
    if (stop == std::string::npos) stop = all.size();
    std::string arg = all.substr(start, stop - start);
    start = stop + 1;
    if (first) {
      arg = "vmbench";
      first = false;
    }
    const bool plain = !arg.empty() && arg.find_first_not_of(
                                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789_./=:,+-@%") == std::string::npos;
    if (!out.empty()) out += ' ';
    if (plain) {
      out += arg;
    } else {
      out += '\'';
      for (const char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    }
  }
  return out.empty() ? "vmbench trace" : out;
}

trace::trace_metadata provenance() {
  trace::trace_metadata m;
  m.command = command_line();
  m.producer = std::string("vmbench ") + VMBENCH_VERSION;
  return m;
}

std::string bytes_text(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

// ---- gen ----

struct gen_cli {
  std::string pattern;
  std::string output;
  trace::gen_options options;
  std::string footprint, stride, hot_bytes;
  std::string zipf_unit = "page";
};

int run_gen(CLI::App* sub, gen_cli& g) {
  auto pattern = trace::parse_pattern(g.pattern);
  if (!pattern.ok()) return fail(pattern.err().message);
  trace::gen_options o = g.options;
  o.pattern = pattern.value();
  // Options that only one pattern reads are errors elsewhere: a silently
  // ignored --alpha would make two different-looking commands equal.
  const struct {
    const char* option;
    trace::gen_pattern pattern;
  } only_for[] = {
      {"--stride", trace::gen_pattern::kStrided},
      {"--alpha", trace::gen_pattern::kZipf},
      {"--zipf-unit", trace::gen_pattern::kZipf},
      {"--hot-bytes", trace::gen_pattern::kHotCold},
      {"--hot-fraction", trace::gen_pattern::kHotCold},
      {"--shared-fraction", trace::gen_pattern::kMultiCpu},
  };
  for (const auto& rule : only_for)
    if (sub->count(rule.option) > 0 && o.pattern != rule.pattern)
      return fail(std::string(rule.option) + " applies to the " +
                  std::string(trace::pattern_name(rule.pattern)) + " pattern only");
  if (!g.footprint.empty()) {
    auto v = trace::parse_byte_size(g.footprint, "--footprint");
    if (!v.ok()) return fail(v.err().message);
    o.footprint = v.value();
  }
  if (!g.stride.empty()) {
    auto v = trace::parse_byte_size(g.stride, "--stride");
    if (!v.ok()) return fail(v.err().message);
    o.stride = v.value();
  }
  if (!g.hot_bytes.empty()) {
    auto v = trace::parse_byte_size(g.hot_bytes, "--hot-bytes");
    if (!v.ok()) return fail(v.err().message);
    if (v.value() == 0) return fail("--hot-bytes must be at least --access-size");
    o.hot_bytes = v.value();
  }
  o.zipf_unit = g.zipf_unit == "line" ? trace::kGenLineBytes : 4096;
  auto resolved = trace::resolve_gen_options(o);
  if (!resolved.ok()) return fail(resolved.err().message);
  if (error e = trace::write_generated_trace(g.output, resolved.value(), provenance()))
    return fail(e.message);
  std::printf("wrote %s: %" PRIu64 " records (%s)\n", g.output.c_str(), resolved.value().records,
              g.pattern.c_str());
  return kExitOk;
}

// ---- import ----

struct import_cli {
  std::string input, output, name;
  uint16_t cpu = 0;
};

int report_import(const result<trace::import_summary>& summary, const import_cli& c) {
  if (!summary.ok()) return fail(summary.err().message);
  const trace::import_summary& s = summary.value();
  std::printf("wrote %s: %" PRIu64 " records from %" PRIu64 " lines, %zu page ranges",
              c.output.c_str(), s.records, s.lines, s.page_ranges);
  if (s.relocations > 0) std::printf(", %zu relocated 1 GiB granules", s.relocations);
  std::printf("\n");
  return kExitOk;
}

// ---- dump ----

struct dump_cli {
  std::string input, output;
  std::string format = "text";
  uint64_t first = 0;
  uint64_t count = UINT64_MAX;
};

int run_dump(const dump_cli& d) {
  auto reader = trace::trace_reader::open(d.input);
  if (!reader.ok()) return fail(reader.err().message);
  trace::dump_options options;
  options.style = d.format == "csv" ? trace::text_style::kCsv : trace::text_style::kText;
  options.first = d.first;
  options.count = d.count;
  if (d.output.empty()) {
    if (error e = trace::dump_text(*reader.value(), options, stdout, "stdout"))
      return fail(e.message);
    return kExitOk;
  }
  std::string temp = d.output + ".tmp.XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return fail(d.output + ": cannot create: " + std::strerror(errno));
  ::fchmod(fd, 0644);
  std::FILE* out = ::fdopen(fd, "w");
  if (out == nullptr) {
    ::close(fd);
    ::unlink(temp.c_str());
    return fail(d.output + ": " + std::strerror(errno));
  }
  error e = trace::dump_text(*reader.value(), options, out, d.output);
  if (std::fclose(out) != 0 && !e) e = error{error_code::kIo, d.output + ": write failed"};
  if (!e && std::rename(temp.c_str(), d.output.c_str()) != 0)
    e = error{error_code::kIo, d.output + ": rename failed: " + std::strerror(errno)};
  if (e) {
    ::unlink(temp.c_str());
    return fail(e.message);
  }
  return kExitOk;
}

// ---- info ----

// Distinct 4 KiB pages, with a one-entry cache in front of the set (most
// accesses repeat the previous page).
class page_counter {
 public:
  void add(uint64_t page) {
    if (page == last_) return;
    last_ = page;
    pages_.insert(page);
  }
  uint64_t size() const noexcept { return pages_.size(); }

 private:
  std::unordered_set<uint64_t> pages_;
  uint64_t last_ = UINT64_MAX;
};

struct trace_stats {
  uint64_t by_type[trace::kRecordTypeCount] = {};
  std::bitset<65536> cpus;
  page_counter all, read, written, fetched;
  uint64_t encoded_bytes = 0, compressed_bytes = 0;
};

error collect_stats(trace::trace_reader& reader, trace_stats& s) {
  for (const trace::index_entry& e : reader.chunks()) {
    s.encoded_bytes += e.uncompressed_size;
    s.compressed_bytes += e.compressed_size;
  }
  trace::decoded_chunk chunk;
  for (;;) {
    auto more = reader.next(chunk);
    if (!more.ok()) return std::move(more).err();
    if (!more.value()) return error::ok();
    for (const trace::record& r : chunk.records) {
      ++s.by_type[static_cast<unsigned>(r.type)];
      s.cpus.set(r.cpu);
      if (r.type == trace::record_type::kBlock) {
        s.all.add(r.address >> 12);
        s.fetched.add(r.address >> 12);
        continue;
      }
      if (!trace::is_access(r.type)) continue;
      page_counter& kind = r.type == trace::record_type::kRead    ? s.read
                           : r.type == trace::record_type::kWrite ? s.written
                                                                  : s.fetched;
      const uint64_t last = (r.address + (r.size > 0 ? r.size - 1 : 0)) >> 12;
      for (uint64_t page = r.address >> 12;; ++page) {
        s.all.add(page);
        kind.add(page);
        if (page == last) break;
      }
    }
  }
}

// "0-3,7" for a set of cpu numbers.
std::string cpu_list(const std::bitset<65536>& cpus) {
  std::string out;
  for (size_t i = 0; i < cpus.size(); ++i) {
    if (!cpus[i]) continue;
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1]) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(i);
    if (j > i) out += "-" + std::to_string(j);
    i = j;
  }
  return out.empty() ? "none" : out;
}

double ratio(double a, double b) {
  return b > 0 ? a / b : 0;
}

int run_info(const std::string& path, bool json) {
  auto opened = trace::trace_reader::open(path);
  if (!opened.ok()) return fail(opened.err().message);
  trace::trace_reader& reader = *opened.value();
  trace_stats s;
  if (error e = collect_stats(reader, s)) return fail(e.message);
  const trace::trace_metadata& m = reader.metadata();
  const uint64_t records = reader.record_count();
  const double file_bytes = static_cast<double>(reader.file_size());
  const double per_record = ratio(file_bytes, static_cast<double>(records));
  const double vs_raw = ratio(16.0 * static_cast<double>(records), file_bytes);
  const double vs_encoded =
      ratio(static_cast<double>(s.encoded_bytes), static_cast<double>(s.compressed_bytes));
  uint64_t map_pages = 0;
  for (const trace::page_range& r : m.page_map) map_pages += (r.end - r.start) / 4096;

  if (json) {
    nlohmann::json by_type = nlohmann::json::object();
    for (unsigned t = 0; t < trace::kRecordTypeCount; ++t)
      by_type[std::string(trace::type_name(static_cast<trace::record_type>(t)))] = s.by_type[t];
    nlohmann::json cpus = nlohmann::json::array();
    for (size_t i = 0; i < s.cpus.size(); ++i)
      if (s.cpus[i]) cpus.push_back(i);
    const nlohmann::json doc = {
        {"schema_version", kSchemaVersion},
        {"kind", "vmbench.trace.info"},
        {"file", path},
        {"file_bytes", reader.file_size()},
        {"trace_kind", std::string(trace::kind_name(reader.kind()))},
        {"metadata", nlohmann::json::parse(reader.metadata_json())},
        {"records", records},
        {"chunks", reader.chunks().size()},
        {"records_by_type", by_type},
        {"cpus_seen", cpus},
        {"page_map_ranges", m.page_map.size()},
        {"page_map_pages_4k", map_pages},
        {"footprint_pages_4k",
         {{"total", s.all.size()},
          {"read", s.read.size()},
          {"written", s.written.size()},
          {"fetched", s.fetched.size()}}},
        {"bytes_per_record", per_record},
        {"encoded_bytes", s.encoded_bytes},
        {"compressed_bytes", s.compressed_bytes},
        {"compression_ratio", {{"vs_raw_16_byte_records", vs_raw}, {"vs_encoded", vs_encoded}}},
    };
    std::printf("%s\n", doc.dump(2).c_str());
    return kExitOk;
  }
  std::printf("file:        %s (%" PRIu64 " bytes)\n", path.c_str(), reader.file_size());
  std::printf("kind:        %s\n", std::string(trace::kind_name(reader.kind())).c_str());
  std::printf("source:      %s\n", m.source.c_str());
  std::printf("command:     %s\n", m.command.c_str());
  std::printf("workload:    %s %s\n", m.workload_name.c_str(), m.workload_hash.c_str());
  std::printf("producer:    %s\n", m.producer.c_str());
  std::printf("isa:         %s\n", m.isa.c_str());
  std::printf("cpus:        %u in the metadata; seen: %s\n", m.cpus, cpu_list(s.cpus).c_str());
  std::printf("page map:    %zu ranges, %" PRIu64 " pages of 4 KiB (%s)\n", m.page_map.size(),
              map_pages, bytes_text(static_cast<double>(map_pages) * 4096).c_str());
  std::printf("records:     %" PRIu64 " in %zu chunks:", records, reader.chunks().size());
  for (unsigned t = 0; t < trace::kRecordTypeCount; ++t)
    std::printf("%s %s %" PRIu64, t == 0 ? "" : ",",
                std::string(trace::type_name(static_cast<trace::record_type>(t))).c_str(),
                s.by_type[t]);
  std::printf("\n");
  std::printf("footprint:   %" PRIu64 " pages of 4 KiB (%s): read %" PRIu64 ", written %" PRIu64
              ", fetched %" PRIu64 "\n",
              s.all.size(), bytes_text(static_cast<double>(s.all.size()) * 4096).c_str(),
              s.read.size(), s.written.size(), s.fetched.size());
  std::printf(
      "size:        %.2f bytes/record; compression %.1fx against raw 16-byte records, "
      "%.1fx against the encoded %s\n",
      per_record, vs_raw, vs_encoded, bytes_text(static_cast<double>(s.encoded_bytes)).c_str());
  return kExitOk;
}

// ---- verify ----

int run_verify(const std::string& path) {
  if (error e = trace::verify(path)) return fail(e.message);
  auto reader = trace::trace_reader::open(path);
  if (!reader.ok()) return fail(reader.err().message);
  std::printf("ok: %" PRIu64 " records in %zu chunks\n", reader.value()->record_count(),
              reader.value()->chunks().size());
  return kExitOk;
}

}  // namespace

command_action add_trace_command(CLI::App& app) {
  CLI::App* trace_app = app.add_subcommand(
      "trace",
      "Make, convert and inspect .vmt traces: gen, import (lackey | text), dump, info, verify.\n"
      "Exit status 0, or 2 on bad input (one line \"vmbench: ...\" naming the file and offset\n"
      "or line; no partial output file is left).");
  trace_app->require_subcommand(1);

  // gen
  auto g = std::make_shared<gen_cli>();
  std::string patterns;
  for (std::string_view p : trace::pattern_names())
    patterns += (patterns.empty() ? "" : ", ") + std::string(p);
  CLI::App* gen = trace_app->add_subcommand(
      "gen",
      "Generate a seeded, deterministic synthetic mem trace (byte-identical for the same\n"
      "command). Data lies at 0x40000000, fetches at 0x10000. Patterns:\n" +
          patterns + ".");
  gen->add_option("pattern", g->pattern, "Access pattern: " + patterns)->required();
  gen->add_option("-o,--output", g->output, "The trace file to write")->required();
  gen->add_option("--records", g->options.records,
                  "Records in the trace, fetches included (default 1000000)");
  gen->add_option("--seed", g->options.seed, "Random seed (default 1)");
  gen->add_option("--footprint", g->footprint,
                  "Working set in bytes; suffixes k, m, g (default 64m)");
  gen->add_option("--stride", g->stride, "strided: bytes between accesses (default 4k)");
  gen->add_option("--access-size", g->options.access_size,
                  "Bytes per data access: 1, 2, 4 or 8 (default 8)");
  gen->add_option("--write-ratio", g->options.write_ratio,
                  "Fraction of data accesses that are writes, 0..1 (default 0)");
  gen->add_option("--cpus", g->options.cpus, "CPUs taking turns (default 1; multi-cpu: 4)");
  gen->add_option("--alpha", g->options.alpha, "zipf: exponent, > 0 (default 0.99)");
  gen->add_option("--zipf-unit", g->zipf_unit, "zipf: rank pages or lines (default page)")
      ->check(CLI::IsMember({"page", "line"}));
  gen->add_option("--hot-bytes", g->hot_bytes,
                  "hot-cold: bytes of the hot set at the start (default footprint/8)");
  gen->add_option("--hot-fraction", g->options.hot_fraction,
                  "hot-cold: fraction of accesses to the hot set (default 0.9)");
  gen->add_option("--shared-fraction", g->options.shared_fraction,
                  "multi-cpu: fraction of accesses to the shared region (default 0.1)");
  gen->add_option("--fetch-every", g->options.fetch_every,
                  "Emit a 4-byte instruction fetch after every K data accesses (default 0: none)");

  // import
  CLI::App* import = trace_app->add_subcommand(
      "import", "Convert another tool's output into a mem trace: lackey or text.");
  import->require_subcommand(1);
  auto lackey = std::make_shared<import_cli>();
  CLI::App* import_lackey = import->add_subcommand(
      "lackey",
      "Import `valgrind --tool=lackey --trace-mem=yes` output (I/L/S/M lines; M = read then\n"
      "write). 1 GiB granules at or above 2^38 move below it; the page map is the touched pages.");
  import_lackey->add_option("file", lackey->input, "Lackey output")->required();
  import_lackey->add_option("-o,--output", lackey->output, "The trace file to write")->required();
  import_lackey->add_option("--name", lackey->name, "Workload name (default: the file's name)");
  import_lackey->add_option("--cpu", lackey->cpu, "CPU number of every record (default 0)");
  auto text = std::make_shared<import_cli>();
  CLI::App* import_text = import->add_subcommand(
      "text",
      "Import the text/CSV form that `vmbench trace dump` writes (docs/TRACE_FORMAT.md section 12);\n"
      "mem records only.");
  import_text->add_option("file", text->input, "Text or CSV trace")->required();
  import_text->add_option("-o,--output", text->output, "The trace file to write")->required();
  import_text->add_option("--name", text->name, "Workload name (default: the file's name)");

  // dump
  auto d = std::make_shared<dump_cli>();
  CLI::App* dump = trace_app->add_subcommand(
      "dump", "Print records as text (aligned) or csv; both import back with `trace import text`.");
  dump->add_option("file", d->input, "Trace file")->required();
  dump->add_option("--format", d->format, "text or csv (default text)")
      ->check(CLI::IsMember({"text", "csv"}));
  dump->add_option("--first", d->first, "Number of the first record to print (default 0)");
  dump->add_option("--count", d->count, "Print at most this many records (default all)");
  dump->add_option("-o,--output", d->output, "Write to this file instead of stdout");

  // info
  auto info_path = std::make_shared<std::string>();
  auto info_json = std::make_shared<bool>(false);
  CLI::App* info = trace_app->add_subcommand(
      "info",
      "Summarise a trace: kind, metadata, records per type, cpus, footprint in 4 KiB pages,\n"
      "file size and compression ratios (reads every chunk).");
  info->add_option("file", *info_path, "Trace file")->required();
  info->add_flag("--json", *info_json, "Print a JSON object (schema_version 1)");

  // verify
  auto verify_path = std::make_shared<std::string>();
  CLI::App* verify = trace_app->add_subcommand(
      "verify", "Read and check every chunk; print \"ok: N records in M chunks\".");
  verify->add_option("file", *verify_path, "Trace file")->required();

  return [=]() -> int {
    try {
      if (gen->parsed()) return run_gen(gen, *g);
      if (import_lackey->parsed()) {
        trace::lackey_options o;
        o.workload_name = lackey->name;
        o.cpu = lackey->cpu;
        return report_import(trace::import_lackey(lackey->input, lackey->output, o, provenance()),
                             *lackey);
      }
      if (import_text->parsed()) {
        trace::text_import_options o;
        o.workload_name = text->name;
        return report_import(trace::import_text(text->input, text->output, o, provenance()), *text);
      }
      if (dump->parsed()) return run_dump(*d);
      if (info->parsed()) return run_info(*info_path, *info_json);
      if (verify->parsed()) return run_verify(*verify_path);
    } catch (const std::exception& e) {
      return fail(e.what());
    }
    return kExitBadInput;
  };
}

}  // namespace vm::harness
