// record_command.cpp - `vmbench record` (being written).

#include "commands.h"

namespace vm::harness {

command_action add_record_command(CLI::App& app) {
  app.add_subcommand("record", "(not yet implemented)");
  return [] { return kExitBadInput; };
}

}  // namespace vm::harness
