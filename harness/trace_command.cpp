// trace_command.cpp - `vmbench trace` (being written).

#include "commands.h"

namespace vm::harness {

command_action add_trace_command(CLI::App& app) {
  app.add_subcommand("trace", "(not yet implemented)");
  return [] { return kExitBadInput; };
}

}  // namespace vm::harness
