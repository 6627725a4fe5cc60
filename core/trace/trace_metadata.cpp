#include "trace/trace_metadata.h"

#include "common/format.h"

namespace vm::trace {

std::string_view kind_name(trace_kind kind) noexcept {
  switch (kind) {
    case trace_kind::kMem: return "mem";
    case trace_kind::kExec: return "exec";
  }
  return "unknown";
}

std::string_view type_name(record_type type) noexcept {
  switch (type) {
    case record_type::kRead: return "R";
    case record_type::kWrite: return "W";
    case record_type::kFetch: return "F";
    case record_type::kBlock: return "B";
    case record_type::kSyscall: return "S";
    case record_type::kBlob: return "X";
  }
  return "?";
}

std::string permission_string(uint8_t permissions) {
  std::string s = "---";
  if (permissions & kPermRead) s[0] = 'r';
  if (permissions & kPermWrite) s[1] = 'w';
  if (permissions & kPermExecute) s[2] = 'x';
  return s;
}

namespace {

bool parse_permissions(const std::string& s, uint8_t& out) {
  if (s.size() != 3) return false;
  out = 0;
  if (s[0] == 'r')
    out |= kPermRead;
  else if (s[0] != '-')
    return false;
  if (s[1] == 'w')
    out |= kPermWrite;
  else if (s[1] != '-')
    return false;
  if (s[2] == 'x')
    out |= kPermExecute;
  else if (s[2] != '-')
    return false;
  return true;
}

bool parse_hex(const std::string& s, uint64_t& out) {
  if (s.size() < 3 || s.size() > 18 || s[0] != '0' || s[1] != 'x') return false;
  out = 0;
  for (size_t i = 2; i < s.size(); ++i) {
    const char c = s[i];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      d = static_cast<unsigned>(c - 'A' + 10);
    else
      return false;
    out = (out << 4) | d;
  }
  return true;
}

// Nesting deeper than this is refused at the edge: nlohmann::json copies,
// compares and dumps values recursively, so a metadata block of nothing but
// '[' would overflow the stack of whatever later touches `extra`. Real
// metadata nests 3 levels.
constexpr int kMaxMetadataDepth = 64;

// Reads j[key] as a JSON integer in [0, max] (throws, like at(), when the
// key is missing). Floats, negatives and larger values are refused:
// get<int>() on 1e300 is an out-of-range float conversion (undefined
// behaviour) and get<uint32_t>() on 2^32 + 1 silently wraps to 1.
bool get_integer(const nlohmann::json& j, const char* key, uint64_t max, uint64_t& out) {
  const nlohmann::json& v = j.at(key);
  if (v.is_number_unsigned()) {
    out = v.get<uint64_t>();
    return out <= max;
  }
  return false;  // a float, a negative integer or not a number
}

bool valid_page_size(uint64_t size) {
  return size == (4ull << 10) || size == (2ull << 20) || size == (1ull << 30);
}

}  // namespace

std::string to_json(const trace_metadata& m) {
  nlohmann::json j;
  j["schema_version"] = kMetadataSchemaVersion;
  j["kind"] = std::string(kind_name(m.kind));
  j["source"] = m.source;
  j["command"] = m.command;
  j["workload"] = {{"name", m.workload_name}, {"hash", m.workload_hash}};
  j["isa"] = m.isa;
  j["page_size"] = m.page_size;
  j["cpus"] = m.cpus;
  j["record_count"] = m.record_count;
  j["producer"] = m.producer;
  nlohmann::json map = nlohmann::json::array();
  for (const page_range& r : m.page_map) {
    map.push_back({{"start", hex(r.start)},
                   {"end", hex(r.end)},
                   {"permissions", permission_string(r.permissions)},
                   {"page_size", r.page_size}});
  }
  j["page_map"] = std::move(map);
  j["extra"] = m.extra;
  return j.dump(1);
}

result<trace_metadata> parse_metadata(const std::string& json, const std::string& where) {
  auto bad = [&](const std::string& what) {
    return error{error_code::kBadInput, where + ": metadata: " + what};
  };
  nlohmann::json j;
  bool too_deep = false;
  try {
    // The callback sees every value with its depth; returning false drops
    // it, so nothing deeper than the limit is ever built.
    j = nlohmann::json::parse(json, [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
      if (depth > kMaxMetadataDepth) too_deep = true;
      return !too_deep;
    });
  } catch (const nlohmann::json::exception& e) {
    return bad(std::string("not valid JSON (") + e.what() + ")");
  }
  if (too_deep) return bad("nested deeper than " + std::to_string(kMaxMetadataDepth) + " levels");
  if (!j.is_object()) return bad("expected a JSON object");
  try {
    trace_metadata m;
    uint64_t version = 0;
    if (!get_integer(j, "schema_version", UINT32_MAX, version))
      return bad("schema_version must be an integer");
    if (version != kMetadataSchemaVersion)
      return bad("schema_version " + std::to_string(version) + " is not supported (expected " +
                 std::to_string(kMetadataSchemaVersion) + ")");
    const std::string kind = j.at("kind").get<std::string>();
    if (kind == "mem")
      m.kind = trace_kind::kMem;
    else if (kind == "exec")
      m.kind = trace_kind::kExec;
    else
      return bad("kind \"" + kind + "\" is not mem or exec");
    m.source = j.at("source").get<std::string>();
    m.command = j.at("command").get<std::string>();
    m.workload_name = j.at("workload").at("name").get<std::string>();
    m.workload_hash = j.at("workload").at("hash").get<std::string>();
    m.isa = j.at("isa").get<std::string>();
    if (!get_integer(j, "page_size", UINT64_MAX, m.page_size))
      return bad("page_size must be an integer");
    if (!valid_page_size(m.page_size))
      return bad("page_size " + std::to_string(m.page_size) + " is not 4096, 2 MiB or 1 GiB");
    uint64_t cpus = 0;
    if (!get_integer(j, "cpus", 65536, cpus) || cpus == 0) return bad("cpus must be 1..65536");
    m.cpus = static_cast<uint32_t>(cpus);
    if (!get_integer(j, "record_count", UINT64_MAX, m.record_count))
      return bad("record_count must be a non-negative integer");
    m.producer = j.at("producer").get<std::string>();
    const nlohmann::json& map = j.at("page_map");
    if (!map.is_array()) return bad("page_map must be an array");
    size_t i = 0;
    for (const nlohmann::json& e : map) {
      page_range r;
      const std::string at = "page_map[" + std::to_string(i++) + "]";
      if (!parse_hex(e.at("start").get<std::string>(), r.start) ||
          !parse_hex(e.at("end").get<std::string>(), r.end))
        return bad(at + ": start/end must be 0x-prefixed hex");
      if (!parse_permissions(e.at("permissions").get<std::string>(), r.permissions))
        return bad(at + ": permissions must look like \"rw-\"");
      if (!get_integer(e, "page_size", UINT64_MAX, r.page_size) || !valid_page_size(r.page_size))
        return bad(at + ": bad page_size");
      if (r.start >= r.end || (r.start | r.end) % r.page_size != 0)
        return bad(at + ": range must be non-empty and aligned to its page size");
      m.page_map.push_back(r);
    }
    if (j.contains("extra")) {
      // Consumers index it by key; on anything but an object that throws.
      if (!j.at("extra").is_object()) return bad("extra must be an object");
      m.extra = std::move(j.at("extra"));
    }
    return m;
  } catch (const nlohmann::json::exception& e) {
    return bad(std::string("missing or mistyped field (") + e.what() + ")");
  }
}

}  // namespace vm::trace
