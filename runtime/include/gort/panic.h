// gort/panic.h — Go's panic as a C++ exception.
//
// panic_error is the exception every Go panic travels as: gort::panic(v),
// and runtime errors (index out of range, nil map write, send on a closed
// channel, integer divide by zero) raised inside the runtime. It carries the
// printed form of the panic value (what Go's printpanicval writes after
// "panic: ") and, for runtime errors, the flag that makes recover() return a
// runtime.Error. Deferred calls and recover() are in gort/defer.h.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <utility>

namespace gort {

// panic_error is a Go panic in flight. what() is the panic value's printed
// form, exactly as Go prints it after "panic: ".
class panic_error : public std::exception {
 public:
  enum class kind : unsigned char {
    value,          // gort::panic(v) with a user value
    runtime_error,  // a runtime.Error raised by the runtime
    nil_value,      // panic(nil): Go 1.21+ turns it into *runtime.PanicNilError
  };

  panic_error(kind k, std::string text) : kind_(k), text_(std::move(text)) {}

  const char* what() const noexcept override { return text_.c_str(); }
  // kind_of says what raised the panic.
  kind kind_of() const noexcept { return kind_; }
  // is_runtime_error reports whether the value is a runtime.Error (true for
  // PanicNilError too, as in Go).
  bool is_runtime_error() const noexcept { return kind_ != kind::value; }
  // text is the printed value.
  const std::string& text() const noexcept { return text_; }

 private:
  kind kind_;
  std::string text_;
};

}  // namespace gort

namespace gort::lang {
// panic_runtime_error raises a runtime-error panic whose message is `msg`
// exactly as Go prints it (declared here for the header-only containers;
// runtime/src/lang/panic.h has the runtime's view and the rest of the family).
[[noreturn]] void panic_runtime_error(const char* msg);
[[noreturn]] void panic_index(std::int64_t i, std::int64_t n);
[[noreturn]] void panic_slice_bounds(std::int64_t lo, std::int64_t hi, std::int64_t cap);
[[noreturn]] void panic_divide();
}  // namespace gort::lang
