#include "trace/generators.h"

#include <cmath>

#include "common/format.h"
#include "trace/trace_writer.h"

namespace vm::trace {

namespace {

struct pattern_entry {
  gen_pattern pattern;
  std::string_view name;
};
constexpr pattern_entry kPatterns[] = {
    {gen_pattern::kSequential, "sequential"},
    {gen_pattern::kStrided, "strided"},
    {gen_pattern::kUniform, "uniform"},
    {gen_pattern::kZipf, "zipf"},
    {gen_pattern::kPointerChase, "pointer-chase"},
    {gen_pattern::kHotCold, "hot-cold"},
    {gen_pattern::kMultiCpu, "multi-cpu"},
};

uint64_t splitmix64(uint64_t& state) noexcept {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t mix64(uint64_t z) noexcept {
  uint64_t state = z;
  return splitmix64(state);
}

uint64_t rotl(uint64_t x, int k) noexcept {
  return (x << k) | (x >> (64 - k));
}

__extension__ typedef unsigned __int128 uint128;

// Rejection-inversion helpers (Hörmann and Derflinger 1996, as in Apache
// Commons RNG's RejectionInversionZipfSampler): log1p(x)/x and expm1(x)/x
// with their Taylor series near 0.
double helper1(double x) noexcept {
  if (std::fabs(x) > 1e-8) return std::log1p(x) / x;
  return 1 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}
double helper2(double x) noexcept {
  if (std::fabs(x) > 1e-8) return std::expm1(x) / x;
  return 1 + x * 0.5 * (1 + x * (1.0 / 3.0) * (1 + 0.25 * x));
}

bool in_unit_interval(double v) noexcept {
  return v >= 0 && v <= 1;  // false for NaN
}

error bad(const std::string& what) {
  return error{error_code::kInvalidArgument, what};
}

}  // namespace

std::string_view pattern_name(gen_pattern p) noexcept {
  for (const pattern_entry& e : kPatterns)
    if (e.pattern == p) return e.name;
  return "unknown";
}

const std::vector<std::string_view>& pattern_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> v;
    for (const pattern_entry& e : kPatterns) v.push_back(e.name);
    return v;
  }();
  return names;
}

result<gen_pattern> parse_pattern(std::string_view name) {
  for (const pattern_entry& e : kPatterns)
    if (e.name == name) return e.pattern;
  std::string known;
  for (const pattern_entry& e : kPatterns)
    known += (known.empty() ? "" : ", ") + std::string(e.name);
  return bad("unknown pattern \"" + std::string(name) + "\" (expected one of " + known + ")");
}

result<uint64_t> parse_byte_size(std::string_view text, std::string_view what) {
  auto fail = [&] {
    return bad(std::string(what) + ": expected a byte count like 4096, 4k, 64m or 1g, got \"" +
               std::string(text) + "\"");
  };
  size_t i = 0;
  uint64_t value = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    const uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (value > (UINT64_MAX - digit) / 10) return fail();
    value = value * 10 + digit;
    ++i;
  }
  if (i == 0) return fail();
  unsigned shift = 0;
  if (i < text.size()) {
    switch (text[i] | 0x20) {
      case 'k': shift = 10; break;
      case 'm': shift = 20; break;
      case 'g': shift = 30; break;
      case 't': shift = 40; break;
      default: return fail();
    }
    ++i;
    if (i < text.size() && (text[i] | 0x20) == 'i') ++i;
    if (i < text.size() && (text[i] | 0x20) == 'b') ++i;
    if (i != text.size()) return fail();
  }
  if (shift != 0 && value > (UINT64_MAX >> shift)) return fail();
  return value << shift;
}

result<gen_options> resolve_gen_options(gen_options o) {
  if (o.records == 0) return bad("--records must be at least 1");
  if (o.fetch_every > o.records)
    return bad("--fetch-every must be at most --records (" + std::to_string(o.records) + ")");
  if (o.access_size != 1 && o.access_size != 2 && o.access_size != 4 && o.access_size != 8)
    return bad("--access-size must be 1, 2, 4 or 8");
  if (o.footprint < o.access_size || o.footprint > kGenMaxFootprint)
    return bad("--footprint must be " + std::to_string(o.access_size) + " bytes to 128 GiB, got " +
               std::to_string(o.footprint));
  if (!in_unit_interval(o.write_ratio)) return bad("--write-ratio must be within 0..1");
  if (o.cpus == 0) o.cpus = o.pattern == gen_pattern::kMultiCpu ? 4 : 1;
  if (o.cpus > kGenMaxCpus) return bad("--cpus must be 1.." + std::to_string(kGenMaxCpus));
  switch (o.pattern) {
    case gen_pattern::kSequential:
    case gen_pattern::kUniform: break;
    case gen_pattern::kStrided:
      if (o.stride == 0 || o.stride % o.access_size != 0)
        return bad("--stride must be a non-zero multiple of --access-size");
      if (o.stride > o.footprint) return bad("--stride must not exceed --footprint");
      break;
    case gen_pattern::kZipf:
      if (!(o.alpha > 0 && o.alpha <= 20)) return bad("--alpha must be within (0, 20]");
      if (o.zipf_unit != 4096 && o.zipf_unit != kGenLineBytes)
        return bad("--zipf-unit must be page or line");
      if (o.footprint < o.zipf_unit)
        return bad("--footprint must hold at least one " +
                   std::string(o.zipf_unit == 4096 ? "page" : "line") + " for zipf");
      break;
    case gen_pattern::kPointerChase:
      if (o.access_size != 8) return bad("pointer-chase reads 8-byte pointers: --access-size 8");
      if (o.write_ratio != 0) return bad("pointer-chase only reads: --write-ratio must be 0");
      if (o.footprint < kGenLineBytes)
        return bad("--footprint must hold at least one 64-byte node for pointer-chase");
      break;
    case gen_pattern::kHotCold:
      if (o.hot_bytes == 0) o.hot_bytes = o.footprint / 8 / o.access_size * o.access_size;
      if (o.hot_bytes < o.access_size || o.hot_bytes % o.access_size != 0 ||
          o.hot_bytes > o.footprint - o.access_size)
        return bad(
            "--hot-bytes must be a multiple of --access-size, leaving at least one access "
            "of --footprint cold");
      if (!in_unit_interval(o.hot_fraction)) return bad("--hot-fraction must be within 0..1");
      break;
    case gen_pattern::kMultiCpu:
      if (o.footprint / (o.cpus + 1) < 4096)
        return bad("--footprint must give each of the " + std::to_string(o.cpus) +
                   " private regions and the shared region at least one 4 KiB page");
      if (!in_unit_interval(o.shared_fraction)) return bad("--shared-fraction must be within 0..1");
      break;
  }
  return o;
}

nlohmann::json gen_parameters(const gen_options& o) {
  nlohmann::json j = {
      {"generator_version", kGeneratorVersion},
      {"pattern", std::string(pattern_name(o.pattern))},
      {"records", o.records},
      {"seed", o.seed},
      {"footprint", o.footprint},
      {"access_size", o.access_size},
      {"write_ratio", o.write_ratio},
      {"cpus", o.cpus},
      {"data_base", hex(kGenDataBase)},
      {"fetch_every", o.fetch_every},
  };
  if (o.fetch_every > 0) {
    j["code_base"] = hex(kGenCodeBase);
    j["code_bytes"] = kGenCodeBytes;
  }
  switch (o.pattern) {
    case gen_pattern::kSequential:
    case gen_pattern::kUniform: break;
    case gen_pattern::kStrided: j["stride"] = o.stride; break;
    case gen_pattern::kZipf:
      j["alpha"] = o.alpha;
      j["zipf_unit"] = o.zipf_unit == 4096 ? "page" : "line";
      break;
    case gen_pattern::kPointerChase: j["node_bytes"] = kGenLineBytes; break;
    case gen_pattern::kHotCold:
      j["hot_bytes"] = o.hot_bytes;
      j["hot_fraction"] = o.hot_fraction;
      break;
    case gen_pattern::kMultiCpu:
      j["shared_fraction"] = o.shared_fraction;
      j["region_bytes"] = o.footprint / (o.cpus + 1) / 4096 * 4096;
      break;
  }
  return j;
}

std::vector<page_range> gen_page_map(const gen_options& o) {
  std::vector<page_range> map;
  if (o.fetch_every > 0)
    map.push_back({kGenCodeBase, kGenCodeBase + kGenCodeBytes, kPermRead | kPermExecute, 4096});
  const uint64_t end = kGenDataBase + (o.footprint + 4095) / 4096 * 4096;
  map.push_back({kGenDataBase, end, kPermRead | kPermWrite, 4096});
  return map;
}

// ---- random numbers ----

gen_random::gen_random(uint64_t seed) noexcept {
  uint64_t state = seed;
  for (uint64_t& s : s_) s = splitmix64(state);
}

uint64_t gen_random::next() noexcept {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

uint64_t gen_random::below(uint64_t bound) noexcept {
  uint128 m = static_cast<uint128>(next()) * bound;
  auto low = static_cast<uint64_t>(m);
  if (low < bound) {
    const uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      m = static_cast<uint128>(next()) * bound;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

// ---- the generator ----

namespace {

// Rejection-inversion's H(x) (the integral of h), h(x) = x^-alpha, and H^-1.
double zipf_h_integral(double x, double alpha) noexcept {
  const double log_x = std::log(x);
  return helper2((1 - alpha) * log_x) * log_x;
}
double zipf_h(double x, double alpha) noexcept {
  return std::exp(-alpha * std::log(x));
}
double zipf_h_integral_inverse(double x, double alpha) noexcept {
  double t = x * (1 - alpha);
  if (t < -1) t = -1;
  return std::exp(helper1(t) * x);
}

}  // namespace

record_generator::record_generator(const gen_options& o) : o_(o), random_(o.seed) {
  switch (o_.pattern) {
    case gen_pattern::kSequential:
    case gen_pattern::kUniform: slots_ = o_.footprint / o_.access_size; break;
    case gen_pattern::kStrided: slots_ = (o_.footprint - o_.access_size) / o_.stride + 1; break;
    case gen_pattern::kZipf: {
      const uint64_t n = o_.footprint / o_.zipf_unit;
      zipf_n_ = static_cast<double>(n);
      h_x1_ = zipf_h_integral(1.5, o_.alpha) - 1;
      h_n_ = zipf_h_integral(zipf_n_ + 0.5, o_.alpha);
      zipf_s_ = 2 - zipf_h_integral_inverse(zipf_h_integral(2.5, o_.alpha) - zipf_h(2, o_.alpha),
                                            o_.alpha);
      slots_ = n;
      break;
    }
    case gen_pattern::kPointerChase: {
      slots_ = o_.footprint / kGenLineBytes;
      unsigned bits = 0;
      while (bits < 64 && (uint64_t{1} << bits) < slots_) ++bits;
      half_bits_ = bits < 2 ? 1 : (bits + 1) / 2;
      for (uint64_t& k : chase_keys_) k = random_.next();
      break;
    }
    case gen_pattern::kHotCold: break;
    case gen_pattern::kMultiCpu: region_bytes_ = o_.footprint / (o_.cpus + 1) / 4096 * 4096; break;
  }
}

uint64_t record_generator::zipf_rank() noexcept {
  const auto n = static_cast<uint64_t>(zipf_n_);
  for (;;) {
    const double u = h_n_ + random_.unit() * (h_x1_ - h_n_);
    const double x = zipf_h_integral_inverse(u, o_.alpha);
    uint64_t k;
    if (!(x + 0.5 >= 1))  // also catches NaN
      k = 1;
    else if (x + 0.5 >= zipf_n_ + 1)
      k = n;
    else
      k = static_cast<uint64_t>(x + 0.5);
    const double kd = static_cast<double>(k);
    if (kd - x <= zipf_s_ || u >= zipf_h_integral(kd + 0.5, o_.alpha) - zipf_h(kd, o_.alpha))
      return k - 1;
  }
}

// A bijection of [0, 4^half_bits_): four Feistel rounds whose round
// function is splitmix64's finaliser keyed per round. Cycle walking
// restricts it to [0, slots_) (the domain is at most 4x larger, so a few
// steps on average).
uint64_t record_generator::chase_permute(uint64_t x) const noexcept {
  const uint64_t mask = (uint64_t{1} << half_bits_) - 1;
  do {
    uint64_t left = x >> half_bits_, right = x & mask;
    for (const uint64_t key : chase_keys_) {
      const uint64_t f = mix64(right ^ key) & mask;
      const uint64_t next_right = left ^ f;
      left = right;
      right = next_right;
    }
    x = (left << half_bits_) | right;
  } while (x >= slots_);
  return x;
}

uint64_t record_generator::data_address() noexcept {
  const uint64_t i = data_produced_;
  switch (o_.pattern) {
    case gen_pattern::kSequential: return kGenDataBase + (i % slots_) * o_.access_size;
    case gen_pattern::kStrided: return kGenDataBase + (i % slots_) * o_.stride;
    case gen_pattern::kUniform: return kGenDataBase + random_.below(slots_) * o_.access_size;
    case gen_pattern::kZipf: {
      const uint64_t rank = zipf_rank();
      const uint64_t per_unit = o_.zipf_unit / o_.access_size;
      const uint64_t offset = per_unit > 1 ? random_.below(per_unit) * o_.access_size : 0;
      return kGenDataBase + rank * o_.zipf_unit + offset;
    }
    case gen_pattern::kPointerChase:
      return kGenDataBase + chase_permute(i % slots_) * kGenLineBytes;
    case gen_pattern::kHotCold: {
      const bool hot = random_.unit() < o_.hot_fraction;
      if (hot) return kGenDataBase + random_.below(o_.hot_bytes / o_.access_size) * o_.access_size;
      const uint64_t cold_slots = (o_.footprint - o_.hot_bytes) / o_.access_size;
      return kGenDataBase + o_.hot_bytes + random_.below(cold_slots) * o_.access_size;
    }
    case gen_pattern::kMultiCpu: {
      const uint64_t cpu = i % o_.cpus;
      const bool shared = random_.unit() < o_.shared_fraction;
      const uint64_t region = shared ? 0 : cpu + 1;
      return kGenDataBase + region * region_bytes_ +
             random_.below(region_bytes_ / o_.access_size) * o_.access_size;
    }
  }
  return kGenDataBase;
}

bool record_generator::next(record& out) noexcept {
  if (produced_ == o_.records) return false;
  ++produced_;
  out = record{};
  if (o_.fetch_every > 0 && produced_ % (o_.fetch_every + 1) == 0) {
    out.type = record_type::kFetch;
    out.cpu = last_cpu_;
    out.size = 4;
    out.address = kGenCodeBase + (fetches_++ * 4) % kGenCodeBytes;
    return true;
  }
  out.cpu = static_cast<uint16_t>(data_produced_ % o_.cpus);
  out.size = o_.access_size;
  out.address = data_address();
  if (o_.write_ratio >= 1)
    out.type = record_type::kWrite;
  else if (o_.write_ratio > 0 && random_.unit() < o_.write_ratio)
    out.type = record_type::kWrite;
  else
    out.type = record_type::kRead;
  last_cpu_ = out.cpu;
  ++data_produced_;
  return true;
}

error write_generated_trace(const std::string& path, const gen_options& options,
                            trace_metadata base) {
  auto resolved = resolve_gen_options(options);
  if (!resolved.ok()) return std::move(resolved).err();
  const gen_options& o = resolved.value();
  auto writer = trace_writer::create(path, trace_kind::kMem);
  if (!writer.ok()) return std::move(writer).err();
  record_generator generator(o);
  record r;
  while (generator.next(r)) VM_PROPAGATE(writer.value()->append(r));
  base.kind = trace_kind::kMem;
  base.source = "gen";
  base.workload_name = std::string(pattern_name(o.pattern));
  base.extra = gen_parameters(o);
  const std::string canonical = base.extra.dump();
  base.workload_hash = hash_bytes(canonical.data(), canonical.size());
  base.page_size = 4096;
  base.cpus = o.cpus;
  base.page_map = gen_page_map(o);
  return writer.value()->finish(std::move(base));
}

}  // namespace vm::trace
