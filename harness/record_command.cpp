// record_command.cpp - `vmbench record PROGRAM [ARGS...] -o T.vmt`: runs a
// RISC-V Linux program as `vmbench exec` does and records the run as an
// exec trace (-o) and/or a mem trace (--mem-out), optionally only a window
// of instructions (--skip M --instructions N).

#include <cinttypes>
#include <csignal>
#include <cstdio>

#include "commands.h"
#include "record/recorder.h"

namespace vm::harness {
namespace {

struct record_cli {
  std::vector<std::string> program;  // program and its arguments
  std::string exec_out, mem_out;
  uint64_t skip = 0;
  uint64_t instructions = 0;  // 0: to the end
  uint64_t ram_mib = 4096;
  int level = 1;
  bool no_embed = false;
  std::string name;
  std::vector<std::string> env;
  bool quiet = false;
};

}  // namespace

command_action add_record_command(CLI::App& app) {
  auto cli = std::make_shared<record_cli>();
  CLI::App* sub = app.add_subcommand(
      "record",
      "Run a RISC-V Linux program and record its run as traces: -o writes an exec trace "
      "(program image, block stream, accesses, syscall results, final digest; replayable with "
      "`vmbench replay`), --mem-out a mem trace (fetches and data accesses plus the page map).");
  sub->add_option("program", cli->program, "the program (a RISC-V ELF) and its arguments")
      ->required()
      ->expected(1, -1);
  sub->add_option("-o,--output", cli->exec_out, "write the exec trace here");
  sub->add_option("--mem-out", cli->mem_out, "write the mem trace here");
  sub->add_option("--skip", cli->skip, "run this many instructions unrecorded first");
  sub->add_option("-n,--instructions", cli->instructions,
                  "record this many instructions (rounded up to a block), then stop; "
                  "default: until the program exits");
  sub->add_option("--ram-mib", cli->ram_mib, "guest RAM in MiB")->check(CLI::Range(16, 1 << 20));
  sub->add_option("--level", cli->level,
                  "zstd compression level (default 1: fast; 19 for a compact corpus)")
      ->check(CLI::Range(1, 19));
  sub->add_flag("--no-embed-image", cli->no_embed,
                "store only the program's path and hash in the exec trace, not its bytes");
  sub->add_option("--name", cli->name, "workload name for the metadata (default: file name)");
  sub->add_option("-E,--env", cli->env, "VAR=VALUE for the guest environment (repeatable)");
  sub->add_flag("-q,--quiet", cli->quiet, "print nothing but errors");
  sub->prefix_command();  // everything after the program belongs to it
  return [cli] {
    if (cli->exec_out.empty() && cli->mem_out.empty()) {
      std::fprintf(stderr, "vmbench: record: give -o EXEC.vmt and/or --mem-out MEM.vmt\n");
      return kExitBadInput;
    }
    if (cli->exec_out == cli->mem_out) {
      std::fprintf(stderr, "vmbench: record: -o and --mem-out name the same file\n");
      return kExitBadInput;
    }
    // A guest writing to a closed pipe gets EPIPE (recorded, and replayed)
    // instead of the signal killing vmbench with its traces half written.
    std::signal(SIGPIPE, SIG_IGN);
    record::record_options o;
    o.program = cli->program.front();
    o.argv = cli->program;
    o.envp = cli->env;
    o.ram_bytes = cli->ram_mib << 20;
    o.skip = cli->skip;
    o.window = cli->instructions == 0 ? UINT64_MAX : cli->instructions;
    o.exec_path = cli->exec_out;
    o.mem_path = cli->mem_out;
    o.embed_image = !cli->no_embed;
    o.compression_level = cli->level;
    o.producer = std::string("vmbench ") + VMBENCH_VERSION;
    o.workload_name = cli->name;
    o.command = "vmbench record";
    if (!cli->exec_out.empty()) o.command += " -o " + cli->exec_out;
    if (!cli->mem_out.empty()) o.command += " --mem-out " + cli->mem_out;
    if (cli->skip) o.command += " --skip " + std::to_string(cli->skip);
    if (cli->instructions) o.command += " -n " + std::to_string(cli->instructions);
    if (cli->level != 1) o.command += " --level " + std::to_string(cli->level);
    if (cli->no_embed) o.command += " --no-embed-image";
    if (!cli->name.empty()) o.command += " --name " + cli->name;
    if (cli->ram_mib != 4096) o.command += " --ram-mib " + std::to_string(cli->ram_mib);
    for (const std::string& e : cli->env) o.command += " -E " + e;
    for (const std::string& a : cli->program) o.command += " " + a;

    auto r = record::record_program(o);
    if (!r.ok()) {
      std::fprintf(stderr, "vmbench: %s\n", r.err().message.c_str());
      return kExitBadInput;
    }
    const record::record_report& rep = r.value();
    if (!rep.diagnostic.empty()) std::fprintf(stderr, "vmbench: %s\n", rep.diagnostic.c_str());
    if (!cli->quiet) {
      const uint64_t n = rep.end_instret - rep.start_instret;
      std::fprintf(stderr,
                   "vmbench: recorded instructions %" PRIu64 "..%" PRIu64 " (%" PRIu64
                   ") in %.3f s: %" PRIu64 " blocks, %" PRIu64 " reads, %" PRIu64
                   " writes, %" PRIu64 " syscalls\n",
                   rep.start_instret, rep.end_instret, n, rep.seconds, rep.blocks, rep.reads,
                   rep.writes, rep.syscalls);
      if (!cli->exec_out.empty())
        std::fprintf(stderr,
                     "vmbench: %s: exec trace, %" PRIu64 " records, %" PRIu64
                     " bytes (%.2f bytes/record)\n",
                     cli->exec_out.c_str(), rep.exec_records, rep.exec_bytes,
                     rep.exec_records ? static_cast<double>(rep.exec_bytes) / rep.exec_records : 0);
      if (!cli->mem_out.empty())
        std::fprintf(stderr,
                     "vmbench: %s: mem trace, %" PRIu64 " records, %" PRIu64
                     " bytes (%.2f bytes/record)\n",
                     cli->mem_out.c_str(), rep.mem_records, rep.mem_bytes,
                     rep.mem_records ? static_cast<double>(rep.mem_bytes) / rep.mem_records : 0);
    }
    // Like `vmbench exec`: the guest's own status when it exited.
    return rep.exited || !rep.diagnostic.empty() ? rep.exit_status : kExitOk;
  };
}

}  // namespace vm::harness
