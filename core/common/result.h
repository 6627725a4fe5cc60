// result.h - error values for the VM core.
//
// The core never throws: every fallible call returns `error` or `result<T>`
// (STYLE.md rule 7). An error carries a machine-readable code and a one-line
// message that already names the file/offset/field involved, so the harness
// can print it unchanged.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace vm {

enum class error_code {
  kOk = 0,
  kIo,           // the OS refused: open/read/mmap failed
  kBadInput,     // an input file is malformed (ELF, trace, JSON)
  kUnsupported,  // well-formed but outside what we implement
  kOutOfMemory,  // guest RAM or a host allocation is exhausted
  kInvalidArgument,
};

struct [[nodiscard]] error {
  error_code code = error_code::kOk;
  std::string message;

  static error ok() { return {}; }
  explicit operator bool() const noexcept { return code != error_code::kOk; }
};

// A value or an error. `ok()` tells which; `value()` is only valid when ok().
template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : storage_(std::move(value)) {}  // NOLINT: implicit by design
  result(error err) : storage_(std::move(err)) {}  // NOLINT

  bool ok() const noexcept { return storage_.index() == 0; }
  T& value() & noexcept { return std::get<0>(storage_); }
  T&& value() && noexcept { return std::get<0>(std::move(storage_)); }
  const T& value() const& noexcept { return std::get<0>(storage_); }
  const error& err() const& noexcept { return std::get<1>(storage_); }
  error&& err() && noexcept { return std::get<1>(std::move(storage_)); }

 private:
  std::variant<T, error> storage_;
};

}  // namespace vm

// Propagates an error from an expression returning `vm::error`.
#define VM_PROPAGATE(expr)              \
  do {                                  \
    if (::vm::error vm_err_ = (expr)) { \
      return vm_err_;                   \
    }                                   \
  } while (0)
