// dispatch.tests.cpp - choosing a kernel: the compiled list, the CPU
// features, the best kernel for a feature set, VM_FORCE_MEMCPY's value,
// force_kernel()'s errors, the non-temporal threshold, and the dispatched
// vm::simd::copy/move/set against the byte loop.
//
// Two hidden test cases are for scripts: [forced] for CTest's reruns with
// VM_FORCE_MEMCPY set (forced_kernels.cmake), [report] for ci/neon.

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "memory_checks.h"
#include "simd/memory_kernel.h"

namespace {

using simd_checks::copy_checker;
using simd_checks::copy_op;
using simd_checks::kAlignments;
using vm::simd::memory_kernel;

// Puts back the kernel that was active when the test started.
class active_kernel_restorer {
 public:
  active_kernel_restorer() : saved_(&vm::simd::active_kernel()) {}
  ~active_kernel_restorer() { vm::simd::detail::active_kernel.store(saved_); }
  active_kernel_restorer(const active_kernel_restorer&) = delete;
  active_kernel_restorer& operator=(const active_kernel_restorer&) = delete;

 private:
  const memory_kernel* saved_;
};

// Pretends the CPU has only the detected features in `mask`.
class feature_mask {
 public:
  explicit feature_mask(uint32_t mask)
      : previous_(vm::simd::detail::mask_cpu_features_for_testing(mask)) {}
  ~feature_mask() { vm::simd::detail::mask_cpu_features_for_testing(previous_); }
  feature_mask(const feature_mask&) = delete;
  feature_mask& operator=(const feature_mask&) = delete;

 private:
  uint32_t previous_;
};

std::vector<std::string> compiled_names() {
  std::vector<std::string> names;
  for (const memory_kernel* k : vm::simd::compiled_kernels()) names.emplace_back(k->name);
  return names;
}

std::string joined_compiled_names() {
  std::string joined;
  for (const std::string& name : compiled_names()) joined += (joined.empty() ? "" : " ") + name;
  return joined;
}

TEST_CASE("the compiled kernels are listed best first, each once and findable by name",
          "[simd][dispatch]") {
#if defined(__x86_64__)
  CHECK(compiled_names() == std::vector<std::string>{"avx512", "avx2", "sse2", "scalar"});
#elif defined(__aarch64__)
  CHECK(compiled_names() == std::vector<std::string>{"neon", "scalar"});
#else
  CHECK(compiled_names() == std::vector<std::string>{"scalar"});
#endif
  std::set<std::string> seen;
  for (const memory_kernel* k : vm::simd::compiled_kernels()) {
    CAPTURE(k->name);
    CHECK(seen.insert(k->name).second);
    CHECK(vm::simd::find_kernel(k->name) == k);
    CHECK(std::string(k->description).size() > 10);
    CHECK(k->copy != nullptr);
    CHECK(k->move != nullptr);
    CHECK(k->set != nullptr);
  }
  CHECK(vm::simd::find_kernel("") == nullptr);
  CHECK(vm::simd::find_kernel("AVX2") == nullptr);  // names are exact
  CHECK(vm::simd::find_kernel("avx") == nullptr);
  CHECK(vm::simd::find_kernel("scalar ") == nullptr);
}

TEST_CASE("the CPU features include the architecture's baseline and have names",
          "[simd][dispatch]") {
  const uint32_t features = vm::simd::cpu_features();
  INFO("features: " << vm::simd::feature_names(features));
#if defined(__x86_64__)
  CHECK((features & vm::simd::kFeatureSse2) != 0);  // part of x86-64
  CHECK((features & vm::simd::kFeatureNeon) == 0);
#elif defined(__aarch64__)
  CHECK((features & vm::simd::kFeatureNeon) != 0);  // Linux on AArch64 requires it
  CHECK((features & vm::simd::kFeatureSse2) == 0);
#endif
  CHECK(vm::simd::feature_names(0).empty());
  CHECK(vm::simd::feature_names(vm::simd::kFeatureSse2 | vm::simd::kFeatureAvx512) ==
        "sse2 avx512");
  CHECK(vm::simd::feature_names(~0u) == "sse2 avx2 avx512 erms fsrm neon");
  CHECK(vm::simd::supported(*vm::simd::find_kernel("scalar")));
}

TEST_CASE("the best kernel for a feature set is the first listed one it can run",
          "[simd][dispatch]") {
  using namespace vm::simd;
  CHECK(std::string(detail::best_kernel(0).name) == "scalar");
#if defined(__x86_64__)
  CHECK(std::string(detail::best_kernel(kFeatureSse2).name) == "sse2");
  CHECK(std::string(detail::best_kernel(kFeatureSse2 | kFeatureAvx2).name) == "avx2");
  CHECK(std::string(detail::best_kernel(kFeatureSse2 | kFeatureAvx2 | kFeatureAvx512).name) ==
        "avx512");
  CHECK(std::string(detail::best_kernel(kFeatureSse2 | kFeatureAvx512).name) ==
        "sse2");  // AVX2 missing
#elif defined(__aarch64__)
  CHECK(std::string(detail::best_kernel(kFeatureNeon).name) == "neon");
#endif
  CHECK(supported(detail::best_kernel(cpu_features())));
}

TEST_CASE("without VM_FORCE_MEMCPY the best kernel the CPU runs is active", "[simd][dispatch]") {
  if (std::getenv("VM_FORCE_MEMCPY") != nullptr) {
    WARN("VM_FORCE_MEMCPY is set: the forced kernel is checked by the [forced] test instead");
    return;
  }
  CHECK_FALSE(vm::simd::environment_error());
  CHECK(&vm::simd::active_kernel() == &vm::simd::detail::best_kernel(vm::simd::cpu_features()));
}

TEST_CASE("VM_FORCE_MEMCPY's value selects a kernel or says in one line why not",
          "[simd][dispatch]") {
  using vm::simd::detail::kernel_for_environment;
  const uint32_t features = vm::simd::cpu_features();
  const memory_kernel* best = &vm::simd::detail::best_kernel(features);

  SECTION("unset or empty: the best kernel") {
    auto unset = kernel_for_environment(nullptr, features);
    REQUIRE(unset.ok());
    CHECK(unset.value() == best);
    auto empty = kernel_for_environment("", features);
    REQUIRE(empty.ok());
    CHECK(empty.value() == best);
  }
  SECTION("a compiled kernel's name: that kernel, when the CPU runs it") {
    for (const memory_kernel* k : vm::simd::compiled_kernels()) {
      CAPTURE(k->name);
      auto chosen = kernel_for_environment(k->name, features);
      CHECK(chosen.ok() == vm::simd::supported(*k));
      if (chosen.ok()) CHECK(chosen.value() == k);
    }
    auto scalar = kernel_for_environment("scalar", 0);
    REQUIRE(scalar.ok());
    CHECK(std::string(scalar.value()->name) == "scalar");
  }
  SECTION("an unknown name: the variable, the value and the compiled kernels") {
    auto unknown = kernel_for_environment("avx1024", features);
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.err().code == vm::error_code::kInvalidArgument);
    CHECK(unknown.err().message == "VM_FORCE_MEMCPY=avx1024: no such memcpy kernel (compiled: " +
                                       joined_compiled_names() + ")");
  }
  SECTION("a kernel the CPU lacks features for: the variable, the value and the missing features") {
    for (const memory_kernel* k : vm::simd::compiled_kernels()) {
      if (k->required == 0) continue;
      CAPTURE(k->name);
      const uint32_t without = features & ~k->required;
      auto lacking = kernel_for_environment(k->name, without);
      REQUIRE_FALSE(lacking.ok());
      const std::string& message = lacking.err().message;
      CHECK(lacking.err().code == vm::error_code::kInvalidArgument);
      CHECK(message.rfind(std::string("VM_FORCE_MEMCPY=") + k->name + ": this CPU lacks ", 0) == 0);
      CHECK(message.find(vm::simd::feature_names(k->required & ~without)) != std::string::npos);
      CHECK(message.find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("force_kernel rejects unknown and unsupported kernels and keeps the active one",
          "[simd][dispatch]") {
  const active_kernel_restorer restore;
  const memory_kernel* before = &vm::simd::active_kernel();

  SECTION("unknown") {
    const vm::error e = vm::simd::force_kernel("sse5");
    REQUIRE(e);
    CHECK(e.code == vm::error_code::kInvalidArgument);
    CHECK(e.message == "sse5: no such memcpy kernel (compiled: " + joined_compiled_names() + ")");
    CHECK(&vm::simd::active_kernel() == before);
  }
  SECTION("unsupported: each kernel that needs a feature, with that feature masked away") {
    for (const memory_kernel* k : vm::simd::compiled_kernels()) {
      if (k->required == 0) continue;
      CAPTURE(k->name);
      const feature_mask lacking(~k->required);
      CHECK_FALSE(vm::simd::supported(*k));
      const vm::error e = vm::simd::force_kernel(k->name);
      REQUIRE(e);
      CHECK(e.code == vm::error_code::kInvalidArgument);
      const std::string expected = std::string(k->name) + ": this CPU lacks " +
                                   vm::simd::feature_names(k->required) + " (it has: ";
      CHECK(e.message.rfind(expected, 0) == 0);
      CHECK(&vm::simd::active_kernel() == before);
    }
  }
  SECTION("supported: becomes the active kernel, and the dispatched calls use it") {
    for (const memory_kernel* k : simd_checks::runnable_kernels()) {
      CAPTURE(k->name);
      REQUIRE_FALSE(vm::simd::force_kernel(k->name));
      CHECK(&vm::simd::active_kernel() == k);
      std::vector<unsigned char> src(300), dst(300, 0);
      for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<unsigned char>(i * 7 + 1);
      vm::simd::copy(dst.data(), src.data(), src.size());
      CHECK(dst == src);
    }
  }
}

TEST_CASE("the non-temporal threshold comes from the cache and can be lowered for tests",
          "[simd][dispatch][non-temporal]") {
  const size_t threshold = vm::simd::non_temporal_threshold();
  const std::string source = vm::simd::detail::non_temporal_threshold_source();
  INFO("threshold " << threshold << " bytes: " << source);
  CHECK(threshold > 0);
  CHECK(source.rfind("3/4 of ", 0) == 0);
  CHECK(vm::simd::detail::set_non_temporal_threshold_for_testing(4096) == threshold);
  CHECK(vm::simd::non_temporal_threshold() == 4096);
  CHECK(vm::simd::detail::set_non_temporal_threshold_for_testing(0) ==
        4096);  // 0: the detected value
  CHECK(vm::simd::non_temporal_threshold() == threshold);
}

TEST_CASE("the dispatched copy, move and set match the byte loop", "[simd][dispatched]") {
  // Through vm::simd::copy/move/set, i.e. the active kernel: in CTest's forced
  // reruns, the forced one.
  static constexpr memory_kernel kDispatched = {
      "dispatched",
      "vm::simd::copy/move/set",
      0,
      [](void* d, const void* s, size_t n) noexcept { vm::simd::copy(d, s, n); },
      [](void* d, const void* s, size_t n) noexcept { vm::simd::move(d, s, n); },
      [](void* d, int v, size_t n) noexcept { vm::simd::set(d, v, n); },
  };
  INFO("active kernel: " << vm::simd::active_kernel().name);
  constexpr size_t kMax = 1024;
  copy_checker copy(kDispatched, copy_op::kCopy, kMax), move(kDispatched, copy_op::kMove, kMax);
  simd_checks::overlap_checker overlap(kDispatched, 2 * kMax + 1);
  simd_checks::set_checker set(kDispatched, kMax);
  for (size_t n = 0; n <= kMax; ++n) {
    for (size_t a : {0, 1, 7, 63}) {
      copy.check(n, a, (a + n) % kAlignments);
      move.check(n, (a + n) % kAlignments, a);
      set.check(n, a, static_cast<int>(n * 3 + a));
    }
  }
  simd_checks::sweep_overlaps(overlap, 64, kMax);
  CHECK(copy.failures() == 0);
  CHECK(move.failures() == 0);
  CHECK(overlap.failures() == 0);
  CHECK(set.failures() == 0);
}

// CTest runs this once per kernel with VM_FORCE_MEMCPY=<name>
// (tests/simd/forced_kernels.cmake). Honest in both outcomes: a kernel this
// CPU runs must be the active one with no environment error; one it cannot
// run must leave the best kernel active and explain why, and only then does
// the test pass with a warning in place of Catch2 v2's missing SKIP.
TEST_CASE("VM_FORCE_MEMCPY makes its kernel the active one", "[.forced]") {
  const char* value = std::getenv("VM_FORCE_MEMCPY");
  INFO(
      "this test is for CTest's reruns, which set VM_FORCE_MEMCPY "
      "(tests/simd/forced_kernels.cmake)");
  REQUIRE(value != nullptr);
  CAPTURE(value);
  const memory_kernel* forced = vm::simd::find_kernel(value);
  REQUIRE(forced != nullptr);  // forced_kernels.cmake names only compiled kernels
  const vm::error problem = vm::simd::environment_error();
  if (!vm::simd::supported(*forced)) {
    REQUIRE(problem);
    CHECK(problem.message.find(std::string("VM_FORCE_MEMCPY=") + value + ": this CPU lacks") == 0);
    CHECK(&vm::simd::active_kernel() == &vm::simd::detail::best_kernel(vm::simd::cpu_features()));
    WARN("not run: " << problem.message);
    return;
  }
  CHECK_FALSE(problem);
  INFO(problem.message);
  CHECK(std::string(vm::simd::active_kernel().name) == value);
  CHECK(&vm::simd::active_kernel() == forced);
}

// One line for scripts (ci/neon checks that the NEON kernel is the active one).
TEST_CASE("report the memcpy kernel in use", "[.report]") {
  std::cout << "memcpy kernel: active=" << vm::simd::active_kernel().name
            << " best=" << vm::simd::detail::best_kernel(vm::simd::cpu_features()).name
            << " compiled=" << joined_compiled_names()
            << " cpu=" << vm::simd::feature_names(vm::simd::cpu_features())
            << " non_temporal_threshold=" << vm::simd::non_temporal_threshold() << " ("
            << vm::simd::detail::non_temporal_threshold_source() << ")\n";
  SUCCEED();
}

}  // namespace

TEST_CASE("cache sizes come from the CPU's own description and grow with the level",
          "[simd][dispatch]") {
  const size_t l1 = vm::simd::cache_bytes(1), l2 = vm::simd::cache_bytes(2),
               l3 = vm::simd::cache_bytes(3);
  CAPTURE(l1, l2, l3);
#if defined(__x86_64__)
  CHECK(l1 >= 4096);  // every x86-64 CPU describes its L1 data cache in cpuid
#endif
  if (l1 != 0 && l2 != 0) CHECK(l2 > l1);
  if (l2 != 0 && l3 != 0) CHECK(l3 > l2);
  CHECK(vm::simd::cache_bytes(9) == 0);  // no such level
}
