// history.h - the nightly history: a directory of results files, one per
// run, keyed by machine, start time and commit:
//
//   DIR/<machine>/<YYYYMMDDTHHMMSSZ>_<commit 12 hex>.json
//
// Each file is a compact results file (results_file.h reads it, so `vmbench
// compare` takes any night as a side): Google Benchmark's iteration entries
// (name, real and cpu time in ns) and the `vmbench` section with the suite,
// start time, fingerprint, warnings and deterministic counters. Aggregates
// and Google Benchmark's context are left out: they are recomputed from the
// samples. A year of the nightly suite is ~30 MB of plain files that git,
// rsync and a CI cache all handle.
//
// Loading never fails on a bad file inside the directory: the file is
// skipped and named, so one corrupt night never hides the others.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.h"
#include "compare/results_file.h"
#include "history/changepoint.h"

namespace vm::harness {

struct history_entry {
  std::string path;     // the file
  std::string started;  // ISO 8601 UTC start of the run
  std::string commit;   // git commit of the build ("unknown" outside git)
  std::string branch;
  bool dirty = false;   // built from uncommitted changes
  std::string machine;  // machine_name() of its fingerprint
  std::string suite;
  results_file results;
};

struct history {
  std::string dir;
  std::vector<history_entry> entries;  // every machine and suite, by start time then commit
  std::vector<std::string> skipped;    // "<file>: <reason>" for files that are not history entries
};

// The compact history form of a results file (see above). Needs a results
// file of `vmbench run` or `vmbench merge`: a fingerprint and a start time.
result<nlohmann::json> history_entry_json(const results_file& results);

// Where `results` goes in the history at `dir` (see the layout above).
result<std::string> history_entry_path(const std::string& dir, const results_file& results);

struct history_add_result {
  std::string path;
  bool already_present = false;  // the same run (machine, start, commit) was already there
};

// Writes the run into the history (creating directories as needed),
// atomically. Adding the same run twice leaves the first copy and says so.
result<history_add_result> add_to_history(const std::string& dir, const results_file& results);

// Reads every *.json file under `dir` (recursively). Errors only when `dir`
// is not a readable directory; an empty directory is an empty history.
result<history> load_history(const std::string& dir);

// One benchmark's nights on one machine and suite.
struct trend_point {
  size_t entry = 0;  // index into history::entries
  std::string started, commit;
  bool dirty = false;
  double median_ns = 0;  // median of the night's repetitions of the metric
  size_t samples = 0;
};

// A change point of a benchmark's series, named by the nights around it:
// the step happened after `last_before` and by `first_after` (commit range
// last_before.commit..first_after.commit).
struct trend_change {
  size_t point = 0;                    // index into benchmark_trend::points: first night after
  double before_ns = 0, after_ns = 0;  // geometric means of the segments either side
  double ratio = 1;                    // after / before
  double p_value = 1;
};

struct benchmark_trend {
  std::string name;
  std::vector<trend_point> points;  // oldest first
  std::vector<trend_change> changes;
};

struct trend_options {
  std::string machine;                // empty: the machine of the newest entry
  std::string suite;                  // empty: the suite of the newest entry on that machine
  std::string metric = "real_time";   // or "cpu_time"
  changepoint_options detection;
};

// The entries of one machine and suite, per benchmark, with change points
// (on log time, over every night of the history). Entries of other
// machines and suites are counted, never mixed in.
struct history_view {
  std::string machine, suite;
  std::vector<size_t> entries;               // the entries used, oldest first
  std::map<std::string, size_t> other_machines;  // machine -> entries not used
  std::map<std::string, size_t> other_suites;    // suite -> entries of this machine not used
  std::vector<benchmark_trend> trends;       // by name
};

history_view build_history_view(const history& h, const trend_options& options);

}  // namespace vm::harness
