#include "suite/suite.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "linux/native_calls.h"
#include "replay/tlb_config.h"
#include "simd/memory_kernel.h"

namespace vm::harness {
namespace {

using json = nlohmann::json;

// 1, 0.05, 1000000000000: numbers as a person writes them.
std::string plain(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", d);
  return buf;
}

// Collects the first problem; every reader below stops once one is found.
struct checker {
  std::string path;
  std::string problem;
  // Counts: 2.5 repetitions is a mistake, not 2.
  const std::set<std::string> whole_numbers = {"repetitions", "seed", "lookups"};

  bool fail(const std::string& field, const std::string& what) {
    if (problem.empty()) problem = path + ": " + field + ": " + what;
    return false;
  }
  bool only_keys(const json& object, const std::string& field, const std::set<std::string>& keys) {
    for (const auto& [key, value] : object.items())
      if (!keys.count(key)) return fail(field.empty() ? key : field + "." + key, "unknown key");
    return true;
  }
  bool number(const json& object, const std::string& field, const char* key, double low,
              double high, double& out) {
    if (!object.contains(key)) return true;
    const json& v = object[key];
    if (!v.is_number()) return fail(field + key, "expected a number");
    const double d = v.get<double>();
    if (whole_numbers.count(key) && d != std::floor(d))
      return fail(field + key, "expected a whole number");
    if (!(d >= low && d <= high))
      return fail(field + key, "must lie in [" + plain(low) + ", " + plain(high) + "]");
    out = d;
    return true;
  }
  bool strings(const json& object, const std::string& field, const char* key,
               std::vector<std::string>& out, bool required) {
    if (!object.contains(key)) {
      if (required) return fail(field + key, "missing");
      return true;
    }
    const json& v = object[key];
    if (v.is_string()) {
      if (v.get<std::string>().empty()) return fail(field + key, "an empty name");
      out = {v.get<std::string>()};
      return true;
    }
    if (!v.is_array() || v.empty())
      return fail(field + key, "expected a string or a non-empty array of strings");
    out.clear();
    for (const json& s : v) {
      if (!s.is_string()) return fail(field + key, "expected strings");
      if (s.get<std::string>().empty()) return fail(field + key, "an empty name");
      out.push_back(s.get<std::string>());
    }
    return true;
  }
};

// "traces/recorded/sha256.mem.vmt" -> "recorded/sha256".
std::string trace_stem(const std::string& path) {
  std::string s = path;
  if (s.rfind("traces/", 0) == 0) s = s.substr(7);
  for (const char* suffix : {".mem.vmt", ".exec.vmt", ".vmt"}) {
    const std::string x = suffix;
    if (s.size() > x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0) {
      s.resize(s.size() - x.size());
      break;
    }
  }
  return s;
}

// "avx512, avx2, sse2, scalar": the kernels compiled into this build.
std::string memory_kernel_names() {
  std::string out;
  for (const simd::memory_kernel* k : simd::compiled_kernels()) {
    if (!out.empty()) out += ", ";
    out += k->name;
  }
  return out;
}

bool parse_engine(const std::string& text, engine_kind& out) {
  for (engine_kind e :
       {engine_kind::kMem, engine_kind::kExec, engine_kind::kTlbLookup, engine_kind::kVmbenchExec,
        engine_kind::kQemu, engine_kind::kMemcpy, engine_kind::kAlloc})
    if (text == engine_name(e)) {
      out = e;
      return true;
    }
  return false;
}

}  // namespace

const char* engine_name(engine_kind e) noexcept {
  switch (e) {
    case engine_kind::kMem: return "mem";
    case engine_kind::kExec: return "exec";
    case engine_kind::kTlbLookup: return "tlb-lookup";
    case engine_kind::kVmbenchExec: return "vmbench-exec";
    case engine_kind::kQemu: return "qemu";
    case engine_kind::kMemcpy: return "memcpy";
    case engine_kind::kAlloc: return "alloc";
  }
  return "?";
}

std::string suite_path(const std::string& name_or_path, const std::string& suites_dir) {
  const bool is_path =
      name_or_path.find('/') != std::string::npos ||
      (name_or_path.size() > 5 && name_or_path.compare(name_or_path.size() - 5, 5, ".json") == 0);
  return is_path ? name_or_path : suites_dir + "/" + name_or_path + ".json";
}

result<suite> parse_suite(const std::string& text, const std::string& path) {
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return error{error_code::kBadInput, path + ": not valid JSON"};
  checker c{path, {}};
  suite s;
  s.path = path;
  auto bad = [&]() -> result<suite> { return error{error_code::kBadInput, c.problem}; };
  if (!doc.is_object()) return error{error_code::kBadInput, path + ": expected a JSON object"};
  if (!c.only_keys(doc, "",
                   {"schema_version", "name", "description", "repetitions", "min_time", "warmup",
                    "seed", "benchmarks", "comment"}))
    return bad();
  if (!doc.contains("schema_version") || !doc["schema_version"].is_number_integer())
    return error{error_code::kBadInput, path + ": schema_version: missing"};
  if (doc["schema_version"].get<int64_t>() != kSuiteSchemaVersion)
    return error{error_code::kBadInput, path + ": schema_version: " + doc["schema_version"].dump() +
                                            " is not supported (this vmbench reads " +
                                            std::to_string(kSuiteSchemaVersion) + ")"};
  if (!doc.contains("name") || !doc["name"].is_string() || doc["name"].get<std::string>().empty())
    return error{error_code::kBadInput, path + ": name: expected a non-empty string"};
  s.name = doc["name"].get<std::string>();
  if (doc.contains("description")) {
    if (!doc["description"].is_string())
      return error{error_code::kBadInput, path + ": description: expected a string"};
    s.description = doc["description"].get<std::string>();
  }
  double repetitions = s.repetitions, seed = 1;
  if (!c.number(doc, "", "repetitions", 1, 1000, repetitions) ||
      !c.number(doc, "", "min_time", 0, 60, s.min_time) ||
      !c.number(doc, "", "warmup", 0, 60, s.warmup) || !c.number(doc, "", "seed", 0, 1e15, seed))
    return bad();
  s.repetitions = static_cast<int>(repetitions);
  s.seed = static_cast<uint64_t>(seed);
  if (!doc.contains("benchmarks") || !doc["benchmarks"].is_array() || doc["benchmarks"].empty())
    return error{error_code::kBadInput, path + ": benchmarks: expected a non-empty array"};

  std::set<std::string> names;
  for (size_t i = 0; i < doc["benchmarks"].size(); ++i) {
    const json& entry = doc["benchmarks"][i];
    const std::string field = "benchmarks[" + std::to_string(i) + "].";
    if (!entry.is_object())
      return error{error_code::kBadInput,
                   path + ": " + field.substr(0, field.size() - 1) + ": expected an object"};
    if (!c.only_keys(
            entry, field.substr(0, field.size() - 1),
            {"engine",    "traces",    "page_size",  "tlb",         "thp",     "lookups",
             "workloads", "size",      "accelerate", "op",          "kernel",  "distribution",
             "buffers",   "alignment", "allocator",  "object_size", "pattern", "repetitions",
             "min_time",  "warmup",    "comment"}))
      return bad();
    if (!entry.contains("engine") || !entry["engine"].is_string())
      return error{error_code::kBadInput, path + ": " + field + "engine: missing"};
    suite_benchmark base;
    if (!parse_engine(entry["engine"].get<std::string>(), base.engine))
      return error{error_code::kBadInput,
                   path + ": " + field + "engine: unknown engine '" +
                       entry["engine"].get<std::string>() +
                       "' (known: mem, exec, tlb-lookup, vmbench-exec, qemu, memcpy, alloc)"};
    double reps = s.repetitions;
    base.min_time = s.min_time;
    base.warmup = s.warmup;
    if (!c.number(entry, field, "repetitions", 1, 1000, reps) ||
        !c.number(entry, field, "min_time", 0, 60, base.min_time) ||
        !c.number(entry, field, "warmup", 0, 60, base.warmup))
      return bad();
    base.repetitions = static_cast<int>(reps);

    // Which keys each engine takes; anything else is a mistake worth naming.
    auto refuse = [&](std::initializer_list<const char*> keys) -> bool {
      for (const char* key : keys)
        if (entry.contains(key))
          return c.fail(field + key,
                        std::string("does not apply to engine ") + engine_name(base.engine));
      return true;
    };
    // A list of strings, each one of `allowed`.
    auto choices = [&](const char* key, std::vector<std::string>& out,
                       std::initializer_list<const char*> allowed) -> bool {
      if (!entry.contains(key)) return true;  // the default stands
      if (!c.strings(entry, field, key, out, false)) return false;
      for (const std::string& v : out) {
        bool ok = false;
        std::string list;
        for (const char* a : allowed) {
          ok = ok || v == a;
          list += list.empty() ? "" : ", ";
          list += a;
        }
        if (!ok) return c.fail(field + key, "'" + v + "' is not one of " + list);
      }
      return true;
    };
    if (base.engine != engine_kind::kMemcpy &&
        !refuse({"op", "kernel", "distribution", "buffers", "alignment"}))
      return bad();
    if (base.engine != engine_kind::kAlloc && !refuse({"allocator", "object_size", "pattern"}))
      return bad();
    if (base.engine != engine_kind::kMem && !refuse({"thp"})) return bad();
    if (base.engine != engine_kind::kVmbenchExec && !refuse({"accelerate"})) return bad();
    std::vector<suite_benchmark> expanded;
    switch (base.engine) {
      case engine_kind::kMem: {
        if (!refuse({"lookups", "workloads", "size"})) return bad();
        std::vector<std::string> traces, pages{"4k"}, tlbs{"default"}, thps{""};
        if (!c.strings(entry, field, "traces", traces, true) ||
            !c.strings(entry, field, "page_size", pages, false) ||
            !c.strings(entry, field, "tlb", tlbs, false) || !choices("thp", thps, {"on", "off"}))
          return bad();
        for (const std::string& p : pages)
          if (p != "4k" && p != "2m" && p != "1g" && p != "recorded")
            return error{error_code::kBadInput, path + ": " + field + "page_size: '" + p +
                                                    "' is not one of 4k, 2m, 1g, recorded"};
        for (const std::string& t : tlbs) {
          auto parsed = replay::parse_tlb_config(t);
          if (!parsed.ok())
            return error{error_code::kBadInput,
                         path + ": " + field + "tlb: " + parsed.err().message};
        }
        for (const std::string& trace : traces)
          for (const std::string& page : pages)
            for (const std::string& tlb : tlbs)
              for (const std::string& thp : thps) {
                suite_benchmark b = base;
                b.trace = trace;
                b.page_size = page;
                b.tlb = tlb;
                b.thp = thp;
                b.name = "mem/" + trace_stem(trace) + "/page:" + page + "/tlb:" + tlb;
                if (!thp.empty()) b.name += "/thp:" + thp;
                expanded.push_back(b);
              }
        break;
      }
      case engine_kind::kExec: {
        if (!refuse({"lookups", "workloads", "size", "page_size", "tlb"})) return bad();
        std::vector<std::string> traces;
        if (!c.strings(entry, field, "traces", traces, true)) return bad();
        for (const std::string& trace : traces) {
          suite_benchmark b = base;
          b.trace = trace;
          b.name = "exec/" + trace_stem(trace);
          expanded.push_back(b);
        }
        break;
      }
      case engine_kind::kTlbLookup: {
        if (!refuse({"traces", "workloads", "size", "page_size", "tlb"})) return bad();
        double lookups = 1 << 24;
        if (!c.number(entry, field, "lookups", 1024, 1e12, lookups)) return bad();
        suite_benchmark b = base;
        b.lookups = static_cast<uint64_t>(lookups);
        b.name = "tlb-lookup/l1/lookups:" + std::to_string(b.lookups);
        expanded.push_back(b);
        break;
      }
      case engine_kind::kVmbenchExec:
      case engine_kind::kQemu: {
        if (!refuse({"traces", "lookups", "page_size", "tlb"})) return bad();
        std::vector<std::string> workloads, sizes{"small"}, accelerate{"none"};
        if (!c.strings(entry, field, "workloads", workloads, true) ||
            !c.strings(entry, field, "size", sizes, false) ||
            !c.strings(entry, field, "accelerate", accelerate, false))
          return bad();
        for (const std::string& a : accelerate)
          if (auto parsed = linux_abi::parse_native_functions(a); !parsed.ok())
            return error{error_code::kBadInput,
                         path + ": " + field + "accelerate: " + parsed.err().message};
        for (const std::string& size : sizes)
          if (size != "small" && size != "default")
            return error{error_code::kBadInput,
                         path + ": " + field + "size: '" + size + "' is not one of small, default"};
        for (const std::string& w : workloads)
          for (const std::string& size : sizes)
            for (const std::string& a : accelerate) {
              suite_benchmark b = base;
              b.workload = w;
              b.size = size;
              b.accelerate = a;
              b.name = std::string(engine_name(base.engine)) + "/" + w + "/" + size;
              if (a != "none") b.name += "/accelerate:" + a;
              expanded.push_back(b);
            }
        break;
      }
      case engine_kind::kMemcpy: {
        if (!refuse({"traces", "lookups", "workloads", "page_size", "tlb"})) return bad();
        std::vector<std::string> ops{"copy"}, kernels{"dispatched"}, sizes, distributions{"fixed"},
            buffers{"hot"}, alignments{"aligned"};
        if (!choices("op", ops, {"copy", "move", "set"}) ||
            !c.strings(entry, field, "kernel", kernels, false) ||
            !choices(
                "size", sizes,
                {"0-16", "17-64", "65-256", "257-2k", "2k-64k", "64k-l2", "l2-l3", "above-l3"}) ||
            !choices("distribution", distributions, {"fixed", "random"}) ||
            !choices("buffers", buffers, {"hot", "cold"}) ||
            !choices("alignment", alignments, {"aligned", "unaligned"}))
          return bad();
        if (sizes.empty())
          return error{error_code::kBadInput, path + ": " + field + "size: missing"};
        // "supported": every kernel of this build this CPU runs, best first.
        if (const auto it = std::find(kernels.begin(), kernels.end(), "supported");
            it != kernels.end()) {
          std::vector<std::string> here;
          for (const simd::memory_kernel* k : simd::compiled_kernels())
            if (simd::supported(*k)) here.emplace_back(k->name);
          kernels.insert(kernels.erase(it), here.begin(), here.end());
        }
        for (const std::string& k : kernels)
          if (k != "dispatched" && k != "glibc" && k != "byte" && simd::find_kernel(k) == nullptr)
            return error{error_code::kBadInput,
                         path + ": " + field + "kernel: '" + k +
                             "' is not dispatched, glibc, byte, supported or a kernel of this "
                             "build (" +
                             memory_kernel_names() + ")"};
        for (const std::string& op : ops)
          for (const std::string& k : kernels)
            for (const std::string& size : sizes)
              for (const std::string& d : distributions)
                for (const std::string& buf : buffers)
                  for (const std::string& a : alignments) {
                    suite_benchmark b = base;
                    b.op = op;
                    b.kernel = k;
                    b.size = size;
                    b.distribution = d;
                    b.buffers = buf;
                    b.alignment = a;
                    b.name = "memcpy/" + op + "/" + k + "/" + size + "/" + d + "/" + buf + "/" + a;
                    expanded.push_back(b);
                  }
        break;
      }
      case engine_kind::kAlloc: {
        if (!refuse({"traces", "lookups", "workloads", "size", "page_size", "tlb"})) return bad();
        std::vector<std::string> allocators{"pool"}, patterns{"pairs"};
        if (!choices("allocator", allocators, {"pool", "malloc", "pmr-unsync", "pmr-sync"}) ||
            !choices("pattern", patterns, {"pairs", "batch"}))
          return bad();
        std::vector<uint64_t> sizes{64};
        if (entry.contains("object_size")) {
          const json& v = entry["object_size"];
          sizes.clear();
          for (const json& one : v.is_array() ? v : json::array({v})) {
            if (!one.is_number_unsigned() || one.get<uint64_t>() < 8 ||
                one.get<uint64_t>() > (uint64_t{1} << 20))
              return error{error_code::kBadInput, path + ": " + field +
                                                      "object_size: expected whole numbers of "
                                                      "bytes in [8, 1048576]"};
            sizes.push_back(one.get<uint64_t>());
          }
        }
        for (const std::string& a : allocators)
          for (uint64_t size : sizes)
            for (const std::string& p : patterns) {
              suite_benchmark b = base;
              b.allocator = a;
              b.object_size = size;
              b.pattern = p;
              b.name = "alloc/" + a + "/" + std::to_string(size) + "/" + p;
              expanded.push_back(b);
            }
        break;
      }
    }
    for (suite_benchmark& b : expanded) {
      if (!names.insert(b.name).second)
        return error{error_code::kBadInput, path + ": " + field.substr(0, field.size() - 1) +
                                                ": benchmark '" + b.name +
                                                "' appears twice in the suite"};
      s.benchmarks.push_back(std::move(b));
    }
  }
  return s;
}

result<suite> load_suite(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return error{error_code::kIo, path + ": cannot open the suite file"};
  std::ostringstream text;
  text << in.rdbuf();
  return parse_suite(text.str(), path);
}

}  // namespace vm::harness
