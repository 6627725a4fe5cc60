#include "record/exec_replay.h"

namespace vm::record {

result<exec_replay_report> replay_exec(trace::trace_reader& reader, const exec_replay_options&) {
  return error{error_code::kUnsupported, reader.path() + ": exec replay is not implemented yet"};
}

}  // namespace vm::record
