// text_format.h - the plain-text form of a trace (docs/TRACE_FORMAT.md section 12):
// `vmbench trace dump` writes it, `vmbench trace import text` reads the
// records of a `mem` trace back from it, so a dump imports to the same
// records, kind, cpu count and page map.
//
//   # vmbench-trace-text 1              first line, always
//   # ...                               comments anywhere
//   kind,mem                            directives (optional)
//   cpus,1
//   map,0x40000000,0x40010000,rw-,4096
//   cpu,type,size,address               the column header
//   0,R,8,0x40000000                    one record per line
//
// Fields are separated by a comma or by blanks (the csv and the aligned
// text styles of a dump are the same grammar); numbers are decimal or
// 0x-prefixed hex.
//
// Also here: the two pieces the text importers (text, lackey_import.h)
// share: a block-buffered line reader, and the set of touched pages that
// becomes a derived page map.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "trace/trace_format.h"
#include "trace/trace_metadata.h"
#include "trace/trace_reader.h"

namespace vm::trace {

inline constexpr std::string_view kTextFormatLine = "# vmbench-trace-text 1";
// Imported accesses must end at or below 2^38: the Sv39 user half, where
// replay maps them.
inline constexpr uint64_t kSv39UserLimit = uint64_t{1} << 38;
// The largest access an importer accepts (x86 XSAVE areas reach a few KiB).
inline constexpr uint64_t kMaxImportedAccessBytes = 65536;

// ---- reading text input ----

// Hands out the lines of a file, read in large blocks with one buffer (no
// per-line allocation), and hashes every byte it reads. Lines longer than
// the buffer are an error.
class line_reader {
 public:
  static result<std::unique_ptr<line_reader>> open(const std::string& path,
                                                   size_t buffer_bytes = 4u << 20);
  ~line_reader();
  line_reader(const line_reader&) = delete;
  line_reader& operator=(const line_reader&) = delete;

  // The next line without its "\n" or "\r\n", valid until the next call;
  // false (no error) at the end of the file.
  result<bool> next(std::string_view& line);
  // 1-based number of the line next() returned last.
  uint64_t line_number() const noexcept { return line_; }
  const std::string& path() const noexcept { return path_; }
  // "FILE:LINE: " + what, as a kBadInput error.
  error fail(const std::string& what) const;
  // hash_file()'s "xxh3-128:..." of the whole file, once next() has
  // returned false.
  std::string digest() const;

 private:
  line_reader() = default;

  std::string path_;
  int fd_ = -1;
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  uint64_t line_ = 0;
  void* hash_ = nullptr;  // XXH3_state_t
};

// The 4 KiB pages a trace touches, kept as bitmaps per 1 GiB granule below
// kSv39UserLimit (memory grows with the footprint, not the trace length),
// and turned into a page map: pages fetched from are "r-x" ("rwx" if also
// written), other touched pages "rw-"; runs of adjacent pages with equal
// permissions merge into one range.
class touched_pages {
 public:
  touched_pages();
  ~touched_pages();
  touched_pages(const touched_pages&) = delete;
  touched_pages& operator=(const touched_pages&) = delete;

  // Requires 0 < size and address + size <= kSv39UserLimit.
  void add(uint64_t address, uint64_t size, record_type type);
  std::vector<page_range> ranges() const;

 private:
  struct granule;
  void set(uint64_t page, unsigned kind);

  std::vector<std::unique_ptr<granule>> granules_;
  uint64_t last_page_[3];  // per bitmap kind: the page set last (skips repeats)
};

// What an importer wrote.
struct import_summary {
  uint64_t records = 0;
  uint64_t lines = 0;
  size_t page_ranges = 0;
  size_t relocations = 0;  // lackey only
};

// ---- dump ----

enum class text_style : uint8_t {
  kText,  // blank-separated, aligned columns, long payloads shortened
  kCsv,   // comma-separated, every payload byte
};

struct dump_options {
  text_style style = text_style::kText;
  uint64_t first = 0;           // first record number
  uint64_t count = UINT64_MAX;  // at most this many records
};

// Writes the version line, the metadata as comments, the kind/cpus/map
// directives, the column header and records [first, first + count) to
// `out`. Syscall and blob records (exec traces) carry two more fields,
// value and payload (hex). `out_name` names `out` in errors.
error dump_text(trace_reader& reader, const dump_options& options, std::FILE* out,
                const std::string& out_name);

// ---- import ----

struct text_import_options {
  std::string workload_name;  // empty: the input file's base name
};

// Parses `input` (the grammar above) into a mem trace at `output`. Errors
// read "INPUT:LINE: expected ...", and leave no output file. `base`
// supplies command and producer; source is "text", the workload hash that
// of the input file. Without map lines, the page map is derived from the
// touched pages; with them, every access must lie inside the map.
result<import_summary> import_text(const std::string& input, const std::string& output,
                                   const text_import_options& options, trace_metadata base);

// The last path component of `path` ("a/b.txt" -> "b.txt").
std::string base_name(const std::string& path);

}  // namespace vm::trace
