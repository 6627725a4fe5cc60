// replay_command.cpp - `vmbench replay` (being written).

#include "commands.h"

namespace vm::harness {

command_action add_replay_command(CLI::App& app) {
  app.add_subcommand("replay", "(not yet implemented)");
  return [] { return kExitBadInput; };
}

}  // namespace vm::harness
