// The results fingerprint: parsing fake /proc and /sys trees (several
// processors, flags, governor, THP, load, ASLR), every system-state warning
// firing and staying quiet, machine names, the differences compare reports,
// the JSON round trip, and pinning to a cpu.

#include "run/fingerprint.h"

#include <sched.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/child_process.h"

using namespace vm::harness;

namespace {

// A fake /proc and /sys under a scratch directory; files are written on
// demand, so a test states only what it is about.
class fake_system {
 public:
  std::string proc() const { return dir_.file("proc"); }
  std::string sys() const { return dir_.file("sys"); }

  void write(const std::string& path, const std::string& text) const {
    const std::filesystem::path full = dir_.file(path);
    std::filesystem::create_directories(full.parent_path());
    std::ofstream out(full, std::ios::binary);
    out << text;
    REQUIRE(out.good());
  }
  void remove(const std::string& path) const { std::filesystem::remove(dir_.file(path)); }

  void governor(unsigned cpu, const std::string& name) const {
    write("sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/cpufreq/scaling_governor",
          name + "\n");
  }

  // A machine with nothing to warn about: 4 online cpus at the performance
  // governor, turbo and boost off, idle, full ASLR.
  void quiet(unsigned cpus = 4) const {
    write("sys/devices/system/cpu/online", "0-" + std::to_string(cpus - 1) + "\n");
    for (unsigned c = 0; c < cpus; ++c) governor(c, "performance");
    write("sys/devices/system/cpu/intel_pstate/no_turbo", "1\n");
    write("sys/devices/system/cpu/cpufreq/boost", "0\n");
    write("proc/loadavg", "0.10 0.20 0.30 1/200 4242\n");
    write("proc/sys/kernel/randomize_va_space", "2\n");
  }

 private:
  vm::test::scratch_dir dir_;
};

// Four processors as Linux writes them; flags in different orders, with a
// duplicate, and cpu 3 with one flag the others lack.
std::string cpuinfo_text() {
  std::string text;
  for (int p = 0; p < 4; ++p) {
    text += "processor\t: " + std::to_string(p) + "\n";
    text += "vendor_id\t: GenuineIntel\n";
    text += "model name\t: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz\n";
    text += "cpu MHz\t\t: 2699.998\n";
    text += p % 2 ? "flags\t\t: sse2 fpu avx2 sse2\n" : "flags\t\t: fpu avx2 sse2\n";
    if (p == 3) text += "flags\t\t: avx512f\n";
    text += "bugs\t\t: spectre_v1\n\n";
  }
  return text;
}

const char* kMeminfo =
    "MemTotal:       16384000 kB\n"
    "MemFree:         1000000 kB\n"
    "MemAvailable:    8000000 kB\n";

// A build with nothing to warn about.
fingerprint clean_build() {
  fingerprint fp;
  fp.machine.logical_cpus = 4;
  fp.build.build_type = "Release";
  fp.build.flags = "-O2 -DNDEBUG";
  fp.build.git_commit = "0123456789abcdef0123456789abcdef01234567";
  fp.build.git_branch = "main";
  fp.build.git_dirty = "false";
  return fp;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

fingerprint sample_fingerprint() {
  fingerprint fp;
  fp.machine.cpu_model = "AMD EPYC 7B13";
  fp.machine.cpu_flags = {"avx2", "fpu", "sse4a"};
  fp.machine.logical_cpus = 16;
  fp.machine.memory_bytes = uint64_t{64} << 30;
  fp.machine.kernel = "Linux 6.1.0 #1 SMP x86_64";
  fp.machine.governor = "performance";
  fp.machine.thp = "madvise";
  fp.machine.hostname = "bench-1";
  fp.build.vmbench_version = "0.1.0";
  fp.build.compiler = "GNU 12.2.0";
  fp.build.flags = "-O2 -DNDEBUG";
  fp.build.build_type = "Release";
  fp.build.git_commit = "0123456789abcdef0123456789abcdef01234567";
  fp.build.git_branch = "main";
  fp.build.git_dirty = "false";
  fp.build.binary_hash = "xxh3-128:00112233445566778899aabbccddeeff";
  fp.host_memory.memcpy_kernel = "avx2";
  fp.host_memory.memcpy_forced = "avx2";
  fp.host_memory.non_temporal_threshold = 12582912;
  fp.host_memory.thp = "on";
  fp.host_memory.numa_node = 0;
  fp.host_memory.numa_nodes = 2;
  fp.host_memory.numa_available = true;
  fp.host_memory.guest_ram_resident_bytes = 4096 << 10;
  fp.host_memory.guest_ram_huge_bytes = 2048 << 10;
  fp.host_memory.guest_ram_huge_share = 0.5;
  return fp;
}

}  // namespace

TEST_CASE("the machine fingerprint is read from cpuinfo, meminfo and sysfs",
          "[harness][fingerprint]") {
  fake_system fake;
  fake.write("proc/cpuinfo", cpuinfo_text());
  fake.write("proc/meminfo", kMeminfo);
  fake.write("sys/devices/system/cpu/online", "0-2,5\n");
  fake.governor(0, "powersave");
  fake.governor(2, "performance");
  fake.write("sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");

  const machine_fingerprint m = read_machine_fingerprint(fake.proc(), fake.sys(), 2);
  CHECK(m.cpu_model == "Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz");
  // Every processor's flags, sorted and without duplicates.
  CHECK(m.cpu_flags == std::vector<std::string>{"avx2", "avx512f", "fpu", "sse2"});
  CHECK(m.logical_cpus == 4);  // cpus 0, 1, 2 and 5
  CHECK(m.memory_bytes == uint64_t{16384000} * 1024);
  CHECK(m.governor == "performance");  // the pinned cpu's
  CHECK(m.thp == "madvise");
  CHECK_FALSE(m.kernel.empty());
  CHECK_FALSE(m.hostname.empty());

  SECTION("not pinned: cpu0's governor") {
    CHECK(read_machine_fingerprint(fake.proc(), fake.sys(), -1).governor == "powersave");
  }
  SECTION("a cpu without cpufreq (a virtual machine): governor unknown") {
    CHECK(read_machine_fingerprint(fake.proc(), fake.sys(), 1).governor == "unknown");
  }
}

TEST_CASE("the transparent huge page mode is the bracketed word, or unknown",
          "[harness][fingerprint]") {
  fake_system fake;
  const auto [text, mode] = GENERATE(table<std::string, std::string>({
      {"[always] madvise never\n", "always"},
      {"always madvise [never]\n", "never"},
      {"always madvise never\n", "unknown"},
      {"[]\n", "unknown"},
      {"", "unknown"},
  }));
  CAPTURE(text);
  fake.write("sys/kernel/mm/transparent_hugepage/enabled", text);
  CHECK(read_machine_fingerprint(fake.proc(), fake.sys(), -1).thp == mode);
}

TEST_CASE("unreadable /proc and /sys files give unknown values, never an error",
          "[harness][fingerprint]") {
  fake_system fake;  // nothing written: every file is missing
  machine_fingerprint m;
  REQUIRE_NOTHROW(m = read_machine_fingerprint(fake.proc(), fake.sys(), 7));
  CHECK(m.cpu_model == "unknown");
  CHECK(m.cpu_flags.empty());
  CHECK(m.memory_bytes == 0);
  CHECK(m.governor == "unknown");
  CHECK(m.thp == "unknown");
  CHECK(m.logical_cpus > 0);  // sysconf, when the online list cannot be read

  SECTION("malformed contents are unknown too") {
    fake.write("proc/cpuinfo", "processor : 0\nno colon here\nflags :\n");
    fake.write("proc/meminfo", "MemTotal: lots kB\n");
    fake.write("sys/devices/system/cpu/online", "0-x\n");
    fake.governor(0, "  \n");
    const machine_fingerprint bad = read_machine_fingerprint(fake.proc(), fake.sys(), -1);
    CHECK(bad.cpu_model == "unknown");
    CHECK(bad.cpu_flags.empty());
    CHECK(bad.memory_bytes == 0);
    CHECK(bad.logical_cpus > 0);
    CHECK(bad.governor == "unknown");
  }
  SECTION("so are the warnings: nothing seen, nothing reported") {
    CHECK(system_warnings(clean_build(), fake.proc(), fake.sys()).empty());
  }
}

TEST_CASE("a quiet machine and a clean release build give no warning", "[harness][fingerprint]") {
  fake_system fake;
  fake.quiet();
  CHECK(system_warnings(clean_build(), fake.proc(), fake.sys()).empty());
  fingerprint fp = clean_build();
  fp.build.build_type = "RelWithDebInfo";
  CHECK(system_warnings(fp, fake.proc(), fake.sys()).empty());
}

TEST_CASE("every system-state warning fires alone when its condition holds",
          "[harness][fingerprint]") {
  fake_system fake;
  fake.quiet();
  fingerprint fp = clean_build();
  std::string expected;

  SECTION("a cpu's governor is not performance") {
    fake.governor(1, "powersave");
    fake.governor(2, "powersave");
    fake.governor(3, "schedutil");
    expected =
        "CPU scaling is enabled (governor powersave on cpus 1-2, governor schedutil on cpu 3)";
  }
  SECTION("Intel turbo is enabled") {
    fake.write("sys/devices/system/cpu/intel_pstate/no_turbo", "0\n");
    expected = "Intel turbo boost is enabled";
  }
  SECTION("cpufreq boost is enabled") {
    fake.write("sys/devices/system/cpu/cpufreq/boost", "1\n");
    expected = "CPU boost is enabled";
  }
  SECTION("the load average reaches the logical cpus") {
    fake.write("proc/loadavg", "4.00 0.50 0.25 3/200 4242\n");
    expected = "high load: the 1-minute load average is 4.00 on 4 logical cpus";
  }
  SECTION("ASLR is off") {
    fake.write("proc/sys/kernel/randomize_va_space", "0\n");
    expected = "ASLR is not fully enabled (kernel.randomize_va_space is 0, not 2)";
  }
  SECTION("ASLR is partial") {
    fake.write("proc/sys/kernel/randomize_va_space", "1\n");
    expected = "kernel.randomize_va_space is 1";
  }
  SECTION("a debug build") {
    fp.build.build_type = "Debug";
    expected = "timings of a Debug build are not representative";
  }
  SECTION("a build without a build type") {
    fp.build.build_type = "";
    expected = "timings of a build without CMAKE_BUILD_TYPE";
  }
  SECTION("a sanitizer build") {
    fp.build.build_type = "RelWithDebInfo";
    fp.build.flags = "-fsanitize=address,undefined -fno-sanitize-recover=all -O2 -g";
    expected = "timings of a sanitizer build (-fsanitize=address,undefined) are not representative";
  }
  SECTION("a dirty git tree") {
    fp.build.git_dirty = "true";
    expected = "results are from uncommitted changes (the git tree at 0123456789ab on main";
  }

  const std::vector<std::string> warnings = system_warnings(fp, fake.proc(), fake.sys());
  CAPTURE(warnings);
  REQUIRE(warnings.size() == 1);
  CHECK(contains(warnings[0], expected));
  CHECK_FALSE(contains(warnings[0], "\n"));
}

TEST_CASE("the load warning starts at 1 per logical cpu", "[harness][fingerprint]") {
  fake_system fake;
  fake.quiet();
  fingerprint fp = clean_build();
  fp.machine.logical_cpus = 2;
  const auto [load, warns] = GENERATE(table<std::string, bool>({
      {"1.99", false},
      {"2.00", true},
      {"7.25", true},
      {"garbage", false},
  }));
  CAPTURE(load);
  fake.write("proc/loadavg", load + " 0.00 0.00 1/100 1\n");
  CHECK(system_warnings(fp, fake.proc(), fake.sys()).size() == (warns ? 1u : 0u));
}

TEST_CASE("cpus without cpufreq do not count as frequency scaling", "[harness][fingerprint]") {
  fake_system fake;
  fake.quiet();
  fake.remove("sys/devices/system/cpu/cpu2/cpufreq/scaling_governor");
  fake.remove("sys/devices/system/cpu/intel_pstate/no_turbo");
  fake.remove("sys/devices/system/cpu/cpufreq/boost");
  CHECK(system_warnings(clean_build(), fake.proc(), fake.sys()).empty());

  SECTION("offline cpus are not checked") {
    fake.write("sys/devices/system/cpu/online", "0-1\n");
    fake.governor(3, "powersave");
    CHECK(system_warnings(clean_build(), fake.proc(), fake.sys()).empty());
  }
}

TEST_CASE("machine names are readable, file-name-safe slugs of the cpu model",
          "[harness][fingerprint]") {
  const auto [model, cpus, name] = GENERATE(table<std::string, unsigned, std::string>({
      {"Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz", 2, "intel-xeon-platinum-8481c-2c"},
      {"Intel(R) Xeon(R) CPU E5-2690 v4 @ 2.60GHz", 56, "intel-xeon-e5-2690-v4-56c"},
      {"Intel(R) Xeon(R) CPU @ 2.20GHz", 8, "intel-xeon-8c"},
      {"Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz", 12, "intel-core-i7-8700k-12c"},
      {"AMD EPYC 7B13", 16, "amd-epyc-7b13-16c"},
      {"AMD EPYC 7763 64-Core Processor", 128, "amd-epyc-7763-128c"},
      {"Quad-Core AMD Opteron(tm) Processor 2374 HE", 4, "amd-opteron-2374-he-4c"},
      {"AMD EPYC", 2, "amd-epyc-2c"},
      {"unknown", 4, "unknown-cpu-4c"},
      {"", 1, "unknown-cpu-1c"},
      {"(R) CPU @ 3GHz", 1, "unknown-cpu-1c"},
      {"../etc/passwd; rm -rf /", 1, "etc-passwd-rm-rf-1c"},
  }));
  machine_fingerprint m;
  m.cpu_model = model;
  m.logical_cpus = cpus;
  CAPTURE(model);
  CHECK(machine_name(m) == name);
}

TEST_CASE("machine names stay short for long cpu models", "[harness][fingerprint]") {
  machine_fingerprint m;
  m.cpu_model = std::string(200, 'x') + " CPU";
  m.logical_cpus = 3;
  const std::string name = machine_name(m);
  CHECK(name.size() <= 64 + 3);
  CHECK(name == std::string(64, 'x') + "-3c");
}

TEST_CASE("machine differences name the cpu model, flags and logical cpus",
          "[harness][fingerprint]") {
  const machine_fingerprint a = sample_fingerprint().machine;
  CHECK(machine_differences(a, a).empty());

  machine_fingerprint b = a;
  b.cpu_model = "Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz";
  b.cpu_flags = {"avx2", "avx512f", "fpu"};
  b.logical_cpus = 2;
  // What does not make timings incomparable is not listed here.
  b.kernel = "Linux 6.9.0";
  b.hostname = "elsewhere";
  CHECK(machine_differences(a, b) ==
        std::vector<std::string>{
            "cpu model: AMD EPYC 7B13 vs Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz",
            "cpu flags: +avx512f -sse4a", "logical cpus: 16 vs 2"});

  SECTION("a long flag difference is cut short") {
    machine_fingerprint many = a;
    many.cpu_flags.clear();
    for (int i = 0; i < 20; ++i)
      many.cpu_flags.push_back(std::string("f").append(std::to_string(100 + i)));
    const std::vector<std::string> lines = machine_differences(a, many);
    REQUIRE(lines.size() >= 1);
    CHECK(contains(lines[0], "cpu flags: +f100 +f101"));
    CHECK(contains(lines[0], "(and 7 more)"));  // 20 added + 3 removed, 16 listed
  }
}

TEST_CASE("minor differences name what changed without stopping a comparison",
          "[harness][fingerprint]") {
  const fingerprint a = sample_fingerprint();
  CHECK(minor_differences(a, a).empty());

  fingerprint b = a;
  b.machine.kernel = "Linux 6.9.0 #2 SMP x86_64";
  b.machine.governor = "powersave";
  b.machine.thp = "always";
  b.machine.memory_bytes = uint64_t{32} << 30;
  b.build.compiler = "Clang 17.0.1";
  b.build.flags = "-O3";
  b.build.build_type = "";
  // Neither of these is a minor difference: the binary is what is compared.
  b.build.git_commit = "fedcba";
  b.build.binary_hash = "xxh3-128:ff";
  CHECK(minor_differences(a, b) ==
        std::vector<std::string>{
            "kernel: Linux 6.1.0 #1 SMP x86_64 vs Linux 6.9.0 #2 SMP x86_64",
            "cpu frequency governor: performance vs powersave",
            "transparent huge pages: madvise vs always",
            "memory: 65536 MiB vs 32768 MiB",
            "compiler: GNU 12.2.0 vs Clang 17.0.1",
            "compiler flags: \"-O2 -DNDEBUG\" vs \"-O3\"",
            "build type: Release vs (none)",
        });

  SECTION("memory that differs by less than a MiB is shown in bytes") {
    fingerprint c = a;
    c.machine.memory_bytes += 4096;
    CHECK(minor_differences(a, c) ==
          std::vector<std::string>{"memory: 68719476736 bytes vs 68719480832 bytes"});
  }
}

TEST_CASE("a fingerprint survives a JSON round trip", "[harness][fingerprint]") {
  const fingerprint fp = sample_fingerprint();
  const nlohmann::json j = to_json(fp);
  CHECK(j["machine"]["cpu_flags"] == nlohmann::json::array({"avx2", "fpu", "sse4a"}));
  CHECK(j["machine"]["logical_cpus"] == 16);
  CHECK(j["build"]["git_dirty"] == "false");
  const fingerprint back = fingerprint_from_json(nlohmann::json::parse(j.dump()));
  CHECK(to_json(back) == j);
  CHECK(back.machine.cpu_flags == fp.machine.cpu_flags);
  CHECK(back.machine.memory_bytes == fp.machine.memory_bytes);
  CHECK(back.build.binary_hash == fp.build.binary_hash);
  CHECK(j["host_memory"]["memcpy_kernel"] == "avx2");
  CHECK(back.host_memory.numa_node == 0);
  CHECK(back.host_memory.guest_ram_huge_share == 0.5);
}

TEST_CASE("a different memcpy kernel or huge-page request is a minor difference, unknown is none",
          "[harness][fingerprint]") {
  const fingerprint a = sample_fingerprint();
  fingerprint b = a;
  b.host_memory.memcpy_kernel = "avx512";
  b.host_memory.thp = "off";
  CHECK(minor_differences(a, b) == std::vector<std::string>{"memcpy kernel: avx2 vs avx512",
                                                            "guest RAM huge pages: on vs off"});
  fingerprint old = a;  // a results file from before the host memory section
  old.host_memory = host_memory_fingerprint{};
  CHECK(minor_differences(old, a).empty());
}

TEST_CASE("reading a fingerprint from JSON tolerates missing and mistyped fields",
          "[harness][fingerprint]") {
  const fingerprint defaults;
  CHECK(to_json(fingerprint_from_json(nlohmann::json())) == to_json(defaults));
  CHECK(to_json(fingerprint_from_json(nlohmann::json::array({1, 2}))) == to_json(defaults));
  CHECK(to_json(fingerprint_from_json(nlohmann::json{{"machine", 3}})) == to_json(defaults));

  const nlohmann::json partial = {{"machine",
                                   {{"cpu_model", "AMD EPYC"},
                                    {"cpu_flags", {"fpu", 7, "sse2"}},
                                    {"logical_cpus", -2},
                                    {"memory_bytes", "lots"}}},
                                  {"build", {{"git_commit", "abc"}, {"git_dirty", true}}}};
  fingerprint fp;
  REQUIRE_NOTHROW(fp = fingerprint_from_json(partial));
  CHECK(fp.machine.cpu_model == "AMD EPYC");
  CHECK(fp.machine.cpu_flags == std::vector<std::string>{"fpu", "sse2"});
  CHECK(fp.machine.logical_cpus == 0);
  CHECK(fp.machine.memory_bytes == 0);
  CHECK(fp.machine.kernel == "unknown");
  CHECK(fp.build.git_commit == "abc");
  CHECK(fp.build.git_dirty == "unknown");
}

TEST_CASE("this machine and build are fingerprinted without errors", "[harness][fingerprint]") {
  fingerprint fp;
  REQUIRE_NOTHROW(fp = read_fingerprint(-1));
  CHECK(fp.machine.logical_cpus > 0);
  CHECK(fp.machine.kernel != "unknown");
  CHECK(fp.build.vmbench_version != "unknown");
  CHECK(fp.build.binary_hash.rfind("xxh3-128:", 0) == 0);
  CHECK(fp.build.binary_hash.size() == 9 + 32);
  const std::string name = machine_name(fp.machine);
  CHECK(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos);
  REQUIRE_NOTHROW(system_warnings(fp));
}

TEST_CASE("pinning to an allowed cpu succeeds and to a missing cpu fails with a message",
          "[harness][fingerprint]") {
  // Each attempt runs on its own thread: pinning applies to the calling
  // thread only, so the test runner's affinity is left as it was.
  struct outcome {
    bool ok = false;
    int cpu = -1;
    int running_on = -1;
    std::string message;
  };
  const auto attempt = [](int cpu) {
    outcome o;
    std::thread([&] {
      auto r = pin_to_cpu(cpu);
      o.ok = r.ok();
      if (r.ok()) {
        o.cpu = r.value();
        o.running_on = sched_getcpu();
      } else {
        o.message = r.err().message;
      }
    }).join();
    return o;
  };

  const int current = sched_getcpu();
  REQUIRE(current >= 0);
  const outcome here = attempt(current);
  INFO(here.message);
  CHECK(here.ok);
  CHECK(here.cpu == current);
  CHECK(here.running_on == current);

  const outcome chosen = attempt(-1);
  INFO(chosen.message);
  CHECK(chosen.ok);
  CHECK(chosen.cpu >= 0);
  CHECK(chosen.running_on == chosen.cpu);

  const outcome missing = attempt(100000);
  CHECK_FALSE(missing.ok);
  CHECK(contains(missing.message, "cannot pin to cpu 100000"));
  CHECK(contains(missing.message, "affinity mask (cpus "));
}
