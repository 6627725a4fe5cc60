#include "trace/text_format.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstring>

#include "common/format.h"
#include "trace/trace_writer.h"

namespace vm::trace {

// ---- line_reader ----

result<std::unique_ptr<line_reader>> line_reader::open(const std::string& path,
                                                       size_t buffer_bytes) {
  std::unique_ptr<line_reader> r(new line_reader());
  r->path_ = path;
  r->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (r->fd_ < 0) return error{error_code::kIo, path + ": " + std::strerror(errno)};
  r->buffer_.resize(std::max<size_t>(buffer_bytes, 256));
  auto* state = XXH3_createState();
  if (state == nullptr) return error{error_code::kOutOfMemory, "xxhash: cannot allocate"};
  XXH3_128bits_reset(state);
  r->hash_ = state;
  return r;
}

line_reader::~line_reader() {
  if (fd_ >= 0) ::close(fd_);
  XXH3_freeState(static_cast<XXH3_state_t*>(hash_));
}

error line_reader::fail(const std::string& what) const {
  return error{error_code::kBadInput, path_ + ":" + std::to_string(line_) + ": " + what};
}

result<bool> line_reader::next(std::string_view& line) {
  size_t scanned = begin_;  // bytes before this offset hold no '\n'
  for (;;) {
    const auto* nl =
        static_cast<const char*>(std::memchr(buffer_.data() + scanned, '\n', end_ - scanned));
    size_t stop;
    if (nl != nullptr) {
      stop = static_cast<size_t>(nl - buffer_.data());
    } else if (eof_) {
      if (begin_ == end_) return false;
      stop = end_;
    } else {
      // Keep the partial line, read more behind it.
      if (begin_ > 0) {
        std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
      }
      scanned = end_;
      if (end_ == buffer_.size()) {
        ++line_;
        return fail("expected a line of at most " + std::to_string(buffer_.size()) + " bytes");
      }
      ssize_t n;
      do {
        n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
      } while (n < 0 && errno == EINTR);
      if (n < 0) return error{error_code::kIo, path_ + ": read failed: " + std::strerror(errno)};
      XXH3_128bits_update(static_cast<XXH3_state_t*>(hash_), buffer_.data() + end_,
                          static_cast<size_t>(n));
      if (n == 0) eof_ = true;
      end_ += static_cast<size_t>(n);
      continue;
    }
    size_t length = stop - begin_;
    if (length > 0 && buffer_[begin_ + length - 1] == '\r') --length;
    line = std::string_view(buffer_.data() + begin_, length);
    begin_ = nl != nullptr ? stop + 1 : stop;
    ++line_;
    return true;
  }
}

std::string line_reader::digest() const {
  const XXH128_hash_t h = XXH3_128bits_digest(static_cast<XXH3_state_t*>(hash_));
  return hash_string(h.high64, h.low64);
}

// ---- touched_pages ----

namespace {
constexpr unsigned kGranuleShift = 30;
constexpr uint64_t kPagesPerGranule = uint64_t{1} << (kGranuleShift - 12);
constexpr uint64_t kGranules = kSv39UserLimit >> kGranuleShift;
enum : unsigned { kTouched = 0, kFetched = 1, kWritten = 2 };
}  // namespace

struct touched_pages::granule {
  uint64_t bits[3][kPagesPerGranule / 64] = {};
};

touched_pages::touched_pages() : granules_(kGranules) {
  std::fill(std::begin(last_page_), std::end(last_page_), UINT64_MAX);
}
touched_pages::~touched_pages() = default;

void touched_pages::set(uint64_t page, unsigned kind) {
  if (last_page_[kind] == page) return;
  last_page_[kind] = page;
  std::unique_ptr<granule>& g = granules_[page / kPagesPerGranule];
  if (!g) g = std::make_unique<granule>();
  const uint64_t i = page % kPagesPerGranule;
  g->bits[kind][i / 64] |= uint64_t{1} << (i % 64);
}

void touched_pages::add(uint64_t address, uint64_t size, record_type type) {
  const uint64_t last = (address + size - 1) >> 12;
  for (uint64_t page = address >> 12; page <= last; ++page) {
    if (type == record_type::kFetch) {
      set(page, kFetched);
    } else {
      set(page, kTouched);
      if (type == record_type::kWrite) set(page, kWritten);
    }
  }
}

std::vector<page_range> touched_pages::ranges() const {
  std::vector<page_range> out;
  for (uint64_t gi = 0; gi < granules_.size(); ++gi) {
    const granule* g = granules_[gi].get();
    if (g == nullptr) continue;
    for (uint64_t w = 0; w < kPagesPerGranule / 64; ++w) {
      uint64_t any = g->bits[kTouched][w] | g->bits[kFetched][w];
      while (any != 0) {
        const unsigned bit = static_cast<unsigned>(__builtin_ctzll(any));
        any &= any - 1;
        const uint64_t mask = uint64_t{1} << bit;
        uint8_t perms = kPermRead | kPermWrite;
        if (g->bits[kFetched][w] & mask) {
          perms = kPermRead | kPermExecute;
          if (g->bits[kWritten][w] & mask) perms |= kPermWrite;
        }
        const uint64_t start = ((gi * kPagesPerGranule) + w * 64 + bit) << 12;
        if (!out.empty() && out.back().end == start && out.back().permissions == perms)
          out.back().end = start + 4096;
        else
          out.push_back({start, start + 4096, perms, 4096});
      }
    }
  }
  return out;
}

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// ---- dump ----

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void append_hex(std::string& out, uint64_t v) {
  char buf[16];
  int n = 0;
  do {
    buf[15 - n++] = kHexDigits[v & 15];
    v >>= 4;
  } while (v != 0);
  out += "0x";
  out.append(buf + 16 - n, static_cast<size_t>(n));
}

void append_decimal(std::string& out, uint64_t v, int width = 0) {
  char buf[20];
  int n = 0;
  do {
    buf[19 - n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (int i = n; i < width; ++i) out.push_back(' ');
  out.append(buf + 20 - n, static_cast<size_t>(n));
}

// Metadata strings in comments: one line, printable.
std::string one_line(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

class output_buffer {
 public:
  output_buffer(std::FILE* out, const std::string& name) : out_(out), name_(name) {
    text.reserve(kFlushBytes + 4096);
  }
  std::string text;
  error maybe_flush() { return text.size() >= kFlushBytes ? flush() : error::ok(); }
  error flush() {
    if (!text.empty() && std::fwrite(text.data(), 1, text.size(), out_) != text.size())
      return error{error_code::kIo, name_ + ": write failed: " + std::strerror(errno)};
    text.clear();
    return error::ok();
  }

 private:
  static constexpr size_t kFlushBytes = 1 << 20;
  std::FILE* out_;
  const std::string& name_;
};

}  // namespace

error dump_text(trace_reader& reader, const dump_options& options, std::FILE* out,
                const std::string& out_name) {
  const bool csv = options.style == text_style::kCsv;
  const char sep = csv ? ',' : ' ';
  const trace_metadata& m = reader.metadata();
  const uint64_t total = reader.record_count();
  const uint64_t first = std::min(options.first, total);
  const uint64_t end = first + std::min(options.count, total - first);

  output_buffer o(out, out_name);
  std::string& s = o.text;
  s += kTextFormatLine;
  s += "\n# trace: " + one_line(reader.path()) + "\n";
  s += "# source: " + one_line(m.source) + "\n";
  s += "# command: " + one_line(m.command) + "\n";
  s += "# workload: " + one_line(m.workload_name) + " " + one_line(m.workload_hash) + "\n";
  s += "# producer: " + one_line(m.producer) + "\n";
  s += "# records: " + std::to_string(total) + " in the trace; ";
  s += first == end
           ? std::string("none below")
           : "records " + std::to_string(first) + ".." + std::to_string(end - 1) + " below";
  s += "\n";
  if (m.kind == trace_kind::kExec)
    s += "# exec trace: B rows are cpu,B,instructions,pc; S rows cpu,S,payload bytes,number,"
         "result,payload hex; X rows cpu,X,payload bytes,id,0,payload hex\n";
  s += "kind";
  s += sep;
  s += kind_name(m.kind);
  s += "\ncpus";
  s += sep;
  s += std::to_string(m.cpus) + "\n";
  for (const page_range& r : m.page_map) {
    s += "map";
    s += sep;
    append_hex(s, r.start);
    s += sep;
    append_hex(s, r.end);
    s += sep;
    s += permission_string(r.permissions);
    s += sep;
    append_decimal(s, r.page_size);
    s += '\n';
  }
  s += csv ? "cpu,type,size,address\n" : "cpu type  size address\n";

  if (first < end) {
    VM_PROPAGATE(reader.seek_chunk(reader.chunk_of(first)));
    decoded_chunk chunk;
    uint64_t number = 0;
    while (number < end) {
      auto more = reader.next(chunk);
      if (!more.ok()) return std::move(more).err();
      if (!more.value()) break;
      number = chunk.first_record;
      for (const record& r : chunk.records) {
        if (number >= end) break;
        if (number++ < first) continue;
        append_decimal(s, r.cpu, csv ? 0 : 3);
        s += sep;
        s += type_name(r.type);
        s += sep;
        append_decimal(s, r.size, csv ? 0 : 5);
        s += sep;
        if (!has_payload(r.type)) {
          append_hex(s, r.address);
        } else {
          append_decimal(s, r.address);
          s += sep;
          s += std::to_string(static_cast<int64_t>(r.value));
          s += sep;
          const uint8_t* p = chunk.payload(r);
          const uint32_t shown = csv ? r.size : std::min<uint32_t>(r.size, 32);
          if (r.size == 0) s += '-';
          for (uint32_t i = 0; i < shown; ++i) {
            s += kHexDigits[p[i] >> 4];
            s += kHexDigits[p[i] & 15];
            if ((i & 0xffff) == 0xffff) VM_PROPAGATE(o.maybe_flush());
          }
          if (shown < r.size) s += "...";
        }
        s += '\n';
        VM_PROPAGATE(o.maybe_flush());
      }
    }
  }
  VM_PROPAGATE(o.flush());
  if (std::fflush(out) != 0 || std::ferror(out))
    return error{error_code::kIo, out_name + ": write failed: " + std::strerror(errno)};
  return error::ok();
}

// ---- import ----

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

constexpr size_t kMaxFields = 8;

// Splits at commas or runs of blanks. False for an empty field (two commas
// in a row, a leading or trailing comma); `count` may exceed kMaxFields,
// only the first kMaxFields are stored.
bool split_fields(std::string_view line, std::string_view (&fields)[kMaxFields], size_t& count) {
  count = 0;
  size_t i = 0;
  const size_t n = line.size();
  while (i < n && is_blank(line[i])) ++i;
  while (i < n) {
    const size_t start = i;
    while (i < n && !is_blank(line[i]) && line[i] != ',') ++i;
    if (i == start) return false;  // a comma where a field should start
    if (count < kMaxFields) fields[count] = line.substr(start, i - start);
    ++count;
    while (i < n && is_blank(line[i])) ++i;
    if (i < n && line[i] == ',') {
      ++i;
      while (i < n && is_blank(line[i])) ++i;
      if (i == n) return false;  // trailing comma
    }
  }
  return true;
}

// Decimal or 0x-prefixed hex, no sign, no overflow.
bool parse_number(std::string_view s, uint64_t& out) {
  out = 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    if (s.size() > 18) return false;
    for (size_t i = 2; i < s.size(); ++i) {
      const char c = s[i];
      unsigned d;
      if (c >= '0' && c <= '9')
        d = static_cast<unsigned>(c - '0');
      else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        d = static_cast<unsigned>((c | 0x20) - 'a' + 10);
      else
        return false;
      out = (out << 4) | d;
    }
    return true;
  }
  if (s.empty()) return false;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    const auto d = static_cast<uint64_t>(c - '0');
    if (out > (UINT64_MAX - d) / 10) return false;
    out = out * 10 + d;
  }
  return true;
}

bool parse_permissions(std::string_view s, uint8_t& out) {
  if (s.size() != 3) return false;
  out = 0;
  const char want[3] = {'r', 'w', 'x'};
  const uint8_t bit[3] = {kPermRead, kPermWrite, kPermExecute};
  for (int i = 0; i < 3; ++i) {
    if (s[static_cast<size_t>(i)] == want[i])
      out |= bit[i];
    else if (s[static_cast<size_t>(i)] != '-')
      return false;
  }
  return true;
}

// The map lines' ranges, sorted, for the "every access lies in the map"
// check.
class map_cover {
 public:
  // False if r overlaps a range already added.
  bool add(const page_range& r) {
    auto it = std::lower_bound(sorted_.begin(), sorted_.end(), r.start,
                               [](const page_range& a, uint64_t v) { return a.start < v; });
    if (it != sorted_.end() && it->start < r.end) return false;
    if (it != sorted_.begin() && std::prev(it)->end > r.start) return false;
    sorted_.insert(it, r);
    return true;
  }
  bool empty() const noexcept { return sorted_.empty(); }
  bool covers(uint64_t start, uint64_t end) {
    if (last_ < sorted_.size() && sorted_[last_].start <= start && end <= sorted_[last_].end)
      return true;
    auto it = std::upper_bound(sorted_.begin(), sorted_.end(), start,
                               [](uint64_t v, const page_range& a) { return v < a.start; });
    if (it == sorted_.begin()) return false;
    --it;
    last_ = static_cast<size_t>(it - sorted_.begin());
    uint64_t covered = start;
    for (; it != sorted_.end() && it->start <= covered; ++it) {
      covered = std::max(covered, it->end);
      if (covered >= end) return true;
    }
    return false;
  }

 private:
  std::vector<page_range> sorted_;
  size_t last_ = SIZE_MAX;
};

const char* const kHeaderHint = "the column header \"cpu,type,size,address\"";

}  // namespace

result<import_summary> import_text(const std::string& input, const std::string& output,
                                   const text_import_options& options, trace_metadata base) {
  auto opened = line_reader::open(input);
  if (!opened.ok()) return std::move(opened).err();
  line_reader& in = *opened.value();
  auto created = trace_writer::create(output, trace_kind::kMem);
  if (!created.ok()) return std::move(created).err();
  trace_writer& writer = *created.value();

  std::string_view line;
  auto got = in.next(line);
  if (!got.ok()) return std::move(got).err();
  {
    std::string_view first = got.value() ? line : std::string_view();
    while (!first.empty() && is_blank(first.back())) first.remove_suffix(1);
    if (first != kTextFormatLine) {
      if (!got.value())
        return error{
            error_code::kBadInput,
            input + ":1: expected \"" + std::string(kTextFormatLine) + "\" (the file is empty)"};
      return in.fail("expected \"" + std::string(kTextFormatLine) + "\" as the first line");
    }
  }

  bool header_seen = false, kind_seen = false;
  uint32_t cpus_directive = 0;
  uint32_t max_cpu = 0;
  std::vector<page_range> map;
  map_cover cover;
  touched_pages touched;
  import_summary summary;
  std::string_view f[kMaxFields];
  size_t n = 0;
  for (;;) {
    got = in.next(line);
    if (!got.ok()) return std::move(got).err();
    if (!got.value()) break;
    size_t i = 0;
    while (i < line.size() && is_blank(line[i])) ++i;
    if (i == line.size() || line[i] == '#') continue;
    if (!split_fields(line, f, n))
      return in.fail("expected fields separated by one comma or by blanks (found an empty field)");

    if (!header_seen) {
      if (f[0] == "kind") {
        if (kind_seen) return in.fail("expected one kind line (found a second)");
        kind_seen = true;
        if (n == 2 && f[1] == "mem") continue;
        if (n == 2 && f[1] == "exec")
          return in.fail(
              "expected kind mem: exec traces cannot be imported (their blocks, "
              "syscalls and blobs only replay with their program); dump them to read "
              "them");
        return in.fail("expected \"kind,mem\"");
      }
      if (f[0] == "cpus") {
        uint64_t v;
        if (cpus_directive != 0) return in.fail("expected one cpus line (found a second)");
        if (n != 2 || !parse_number(f[1], v) || v == 0 || v > 65536)
          return in.fail("expected \"cpus,N\" with N in 1..65536");
        cpus_directive = static_cast<uint32_t>(v);
        continue;
      }
      if (f[0] == "map") {
        page_range r;
        uint64_t page_size;
        if (n != 5) return in.fail("expected \"map,START,END,PERMISSIONS,PAGE_SIZE\"");
        if (!parse_number(f[1], r.start) || !parse_number(f[2], r.end))
          return in.fail("expected map START and END as decimal or 0x hex numbers");
        if (!parse_permissions(f[3], r.permissions))
          return in.fail("expected map permissions like rw- or r-x, got \"" + std::string(f[3]) +
                         "\"");
        if (!parse_number(f[4], page_size) ||
            (page_size != 4096 && page_size != (2u << 20) && page_size != (1u << 30)))
          return in.fail("expected a map page size of 4096, 2097152 or 1073741824");
        r.page_size = page_size;
        if (r.start >= r.end || r.start % page_size != 0 || r.end % page_size != 0)
          return in.fail("expected a non-empty map range aligned to its page size");
        if (r.end > kSv39UserLimit)
          return in.fail("expected a map range below 2^38 (the Sv39 user half), got end " +
                         hex(r.end));
        if (!cover.add(r)) return in.fail("expected map ranges that do not overlap");
        map.push_back(r);
        continue;
      }
      if (f[0] == "cpu") {
        if (n != 4 || f[1] != "type" || f[2] != "size" || f[3] != "address")
          return in.fail(std::string("expected ") + kHeaderHint);
        header_seen = true;
        continue;
      }
      uint64_t ignored;
      if (parse_number(f[0], ignored))
        return in.fail(std::string("expected ") + kHeaderHint + " before the first record");
      return in.fail(std::string("expected a kind, cpus or map line, or ") + kHeaderHint);
    }

    // A record row: cpu, type, size, address.
    uint64_t cpu, size, address;
    if (!parse_number(f[0], cpu)) {
      if (f[0] == "kind" || f[0] == "cpus" || f[0] == "map" || f[0] == "cpu")
        return in.fail("expected a record row (kind, cpus and map lines come before " +
                       std::string(kHeaderHint) + ")");
      return in.fail("expected a cpu number (decimal or 0x hex) in the first field");
    }
    if (cpu > 0xffff) return in.fail("expected a cpu number of at most 65535");
    if (cpus_directive != 0 && cpu >= cpus_directive)
      return in.fail("expected a cpu below " + std::to_string(cpus_directive) +
                     " (the cpus line), got " + std::to_string(cpu));
    if (n < 2) return in.fail("expected \"cpu,type,size,address\"");
    record r;
    if (f[1] == "R")
      r.type = record_type::kRead;
    else if (f[1] == "W")
      r.type = record_type::kWrite;
    else if (f[1] == "F")
      r.type = record_type::kFetch;
    else if (f[1] == "B" || f[1] == "S" || f[1] == "X")
      return in.fail("expected record type R, W or F: " + std::string(f[1]) +
                     " records belong to exec traces, which cannot be imported");
    else
      return in.fail("expected record type R, W or F, got \"" + std::string(f[1]) + "\"");
    if (n != 4) return in.fail("expected 4 fields \"cpu,type,size,address\"");
    if (!parse_number(f[2], size) || size == 0 || size > kMaxImportedAccessBytes)
      return in.fail("expected an access size of 1.." + std::to_string(kMaxImportedAccessBytes) +
                     " bytes, got \"" + std::string(f[2]) + "\"");
    if (!parse_number(f[3], address))
      return in.fail("expected an address (decimal or 0x hex), got \"" + std::string(f[3]) + "\"");
    if (address > kSv39UserLimit - size)
      return in.fail("expected an access below 2^38 (the Sv39 user half), got " + hex(address));
    if (!cover.empty()) {
      if (!cover.covers(address, address + size))
        return in.fail("expected an access inside the map ranges, " + hex(address) + " (" +
                       std::to_string(size) + " bytes) is outside them");
    } else {
      touched.add(address, size, r.type);
    }
    r.cpu = static_cast<uint16_t>(cpu);
    r.size = static_cast<uint32_t>(size);
    r.address = address;
    max_cpu = std::max<uint32_t>(max_cpu, r.cpu);
    VM_PROPAGATE(writer.append(r));
  }

  summary.records = writer.record_count();
  summary.lines = in.line_number();
  base.kind = trace_kind::kMem;
  base.source = "text";
  base.workload_name = options.workload_name.empty() ? base_name(input) : options.workload_name;
  base.workload_hash = in.digest();
  base.page_size = 4096;
  base.cpus = cpus_directive != 0 ? cpus_directive : max_cpu + 1;
  base.page_map = cover.empty() ? touched.ranges() : map;
  summary.page_ranges = base.page_map.size();
  base.extra = nlohmann::json::object();
  VM_PROPAGATE(writer.finish(std::move(base)));
  return summary;
}

}  // namespace vm::trace
