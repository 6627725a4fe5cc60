#include "record/exec_trace.h"

namespace vm::record {

nlohmann::json exec_extra_to_json(const exec_setup& setup, const exec_start& start,
                                  const exec_digest& digest) {
  return {
      {"environment", "linux-user"},
      {"argv", setup.argv},
      {"envp", setup.envp},
      {"ram_bytes", setup.ram_bytes},
      {"random_seed", setup.random_seed},
      {"image", {{"path", setup.image_path}, {"embedded", setup.image_embedded}}},
      {"window",
       {{"skip", setup.skip},
        {"length",
         setup.window == UINT64_MAX ? nlohmann::json(nullptr) : nlohmann::json(setup.window)}}},
      {"start",
       {{"instret", start.instret}, {"pc", start.pc}, {"register_hash", start.register_hash}}},
      {"digest",
       {{"end_instret", digest.end_instret},
        {"instructions", digest.end_instret - start.instret},
        {"register_hash", digest.register_hash},
        {"memory_hash", digest.memory_hash},
        {"ended", digest.ended},
        {"exit_status", digest.exit_status}}},
  };
}

namespace {

// A non-negative integer field; floats, negatives and strings are refused
// (nlohmann would convert or wrap them).
uint64_t unsigned_field(const nlohmann::json& j) {
  if (!j.is_number_unsigned())
    throw nlohmann::json::type_error::create(302, "expected a non-negative integer", &j);
  return j.get<uint64_t>();
}

}  // namespace

error parse_exec_extra(const nlohmann::json& extra, const std::string& where, exec_setup& setup,
                       exec_start& start, exec_digest& digest) {
  try {
    if (extra.at("environment").get<std::string>() != "linux-user")
      return error{error_code::kUnsupported, where +
                                                 ": metadata: only linux-user exec traces "
                                                 "can be replayed"};
    setup.argv = extra.at("argv").get<std::vector<std::string>>();
    setup.envp = extra.at("envp").get<std::vector<std::string>>();
    setup.ram_bytes = unsigned_field(extra.at("ram_bytes"));
    setup.random_seed = unsigned_field(extra.at("random_seed"));
    setup.image_path = extra.at("image").at("path").get<std::string>();
    setup.image_embedded = extra.at("image").at("embedded").get<bool>();
    setup.skip = unsigned_field(extra.at("window").at("skip"));
    const nlohmann::json& length = extra.at("window").at("length");
    setup.window = length.is_null() ? UINT64_MAX : unsigned_field(length);
    start.instret = unsigned_field(extra.at("start").at("instret"));
    start.pc = unsigned_field(extra.at("start").at("pc"));
    start.register_hash = extra.at("start").at("register_hash").get<std::string>();
    const nlohmann::json& d = extra.at("digest");
    digest.end_instret = unsigned_field(d.at("end_instret"));
    digest.register_hash = d.at("register_hash").get<std::string>();
    digest.memory_hash = d.at("memory_hash").get<std::string>();
    digest.ended = d.at("ended").get<std::string>();
    if (!d.at("exit_status").is_number_integer())
      throw nlohmann::json::type_error::create(302, "exit_status: expected an integer", &d);
    digest.exit_status = d.at("exit_status").get<int>();
  } catch (const nlohmann::json::exception& e) {
    return error{error_code::kBadInput,
                 where + ": metadata: exec fields missing or mistyped (" + e.what() + ")"};
  }
  if (setup.argv.empty() || setup.ram_bytes == 0 || setup.ram_bytes > (1ull << 40) ||
      digest.end_instret < start.instret)
    return error{error_code::kBadInput, where + ": metadata: exec fields are inconsistent"};
  return error::ok();
}

}  // namespace vm::record
