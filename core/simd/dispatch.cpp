// dispatch.cpp - the kernel list and the choice among it: the best kernel the
// CPU runs, unless VM_FORCE_MEMCPY (read once, at the first selection) or
// force_kernel() names another.
#include <atomic>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "simd/kernels/kernels_p.h"
#include "simd/memory_kernel.h"

namespace vm::simd {
namespace {

// Best first; the portable kernel last, as it runs everywhere. A new kernel
// is one file in kernels/ and one line here.
constexpr const memory_kernel* kKernels[] = {
#if defined(__x86_64__)
    &kernels::avx512,  // kernels/avx512.cpp
    &kernels::avx2,    // kernels/avx2.cpp
    &kernels::sse2,    // kernels/sse2.cpp
#endif
#if defined(__aarch64__)
    &kernels::neon,  // kernels/neon.cpp
#endif
    &kernels::scalar,  // kernels/scalar.cpp
};

constexpr char kEnvironmentVariable[] = "VM_FORCE_MEMCPY";

bool runs_on(const memory_kernel& k, uint32_t features) noexcept {
  return (k.required & ~features) == 0;
}

std::string compiled_names() {
  std::string names;
  for (const memory_kernel* k : kKernels) {
    if (!names.empty()) names += ' ';
    names += k->name;
  }
  return names;
}

// `what` is the error's subject: "VM_FORCE_MEMCPY=avx2", or "avx2" for
// force_kernel() (its caller, e.g. a CLI option, names itself).
result<const memory_kernel*> find_runnable(std::string_view name, uint32_t features,
                                           std::string what) {
  const memory_kernel* k = find_kernel(name);
  if (k == nullptr) {
    what += ": no such memcpy kernel (compiled: ";
    what += compiled_names();
    what += ")";
    return error{error_code::kInvalidArgument, std::move(what)};
  }
  if (!runs_on(*k, features)) {
    what += ": this CPU lacks ";
    what += feature_names(k->required & ~features);
    what += " (it has: ";
    const std::string has = feature_names(features);
    what += has.empty() ? "none" : has;
    what += ")";
    return error{error_code::kInvalidArgument, std::move(what)};
  }
  return k;
}

struct environment_choice {
  const memory_kernel* kernel;
  error problem;
};

const environment_choice& choice_from_environment() {
  static const environment_choice choice = [] {
    const uint32_t features = cpu_features();
    non_temporal_threshold();  // publishes the detected threshold before any kernel runs
    result<const memory_kernel*> k =
        detail::kernel_for_environment(std::getenv(kEnvironmentVariable), features);
    if (k.ok()) return environment_choice{k.value(), error::ok()};
    return environment_choice{&detail::best_kernel(features), std::move(k).err()};
  }();
  return choice;
}

}  // namespace

namespace detail {

constinit std::atomic<const memory_kernel*> active_kernel{nullptr};

const memory_kernel& select_kernel() noexcept {
  const memory_kernel* expected = nullptr;
  // A force_kernel() that ran first wins: it was the later decision.
  active_kernel.compare_exchange_strong(expected, choice_from_environment().kernel,
                                        std::memory_order_acq_rel);
  return *active_kernel.load(std::memory_order_acquire);
}

const memory_kernel& best_kernel(uint32_t features) noexcept {
  for (const memory_kernel* k : kKernels) {
    if (runs_on(*k, features)) return *k;
  }
  return kernels::scalar;
}

result<const memory_kernel*> kernel_for_environment(const char* value, uint32_t features) {
  if (value == nullptr || *value == '\0') return &best_kernel(features);
  std::string what(kEnvironmentVariable);
  what += '=';
  what += value;
  return find_runnable(value, features, std::move(what));
}

}  // namespace detail

std::span<const memory_kernel* const> compiled_kernels() noexcept {
  non_temporal_threshold();  // kernels called directly see the detected threshold too
  return kKernels;
}

bool supported(const memory_kernel& k) noexcept {
  return runs_on(k, cpu_features());
}

const memory_kernel* find_kernel(std::string_view name) noexcept {
  for (const memory_kernel* k : kKernels) {
    if (name == k->name) return k;
  }
  return nullptr;
}

error force_kernel(std::string_view name) {
  result<const memory_kernel*> k = find_runnable(name, cpu_features(), std::string(name));
  if (!k.ok()) return std::move(k).err();
  non_temporal_threshold();
  detail::active_kernel.store(k.value(), std::memory_order_release);
  return error::ok();
}

error environment_error() {
  return choice_from_environment().problem;
}

}  // namespace vm::simd
