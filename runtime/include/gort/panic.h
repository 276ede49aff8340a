// gort/panic.h — Go's panic as a C++ exception.
//
// panic_error is the exception every Go panic travels as: gort::panic(v)
// (gort/defer.h), and runtime errors (index out of range, nil map write,
// send on a closed channel, integer divide by zero) raised inside the
// runtime. It carries the panic value (an any), its printed form (what Go's
// printpanicval writes after "panic: "), the panics it replaced (a deferred
// call that panics while another panic runs), and the program counters of
// the place it was raised, for the unrecovered-panic trace. Deferred calls
// and recover() are in gort/defer.h. Catching panic_error with a C++
// try/catch works, but skips Go's rules; recover() is the Go way.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <utility>

namespace gort {

class any;

// panic_error is a Go panic in flight. what() is the panic value's printed
// form, exactly as Go prints it after "panic: ".
class panic_error : public std::exception {
 public:
  enum class kind : unsigned char {
    value,          // gort::panic(v) with a user value
    runtime_error,  // a runtime.Error raised by the runtime
    nil_value,      // panic(nil): Go 1.21+ turns it into *runtime.PanicNilError
  };

  // A runtime error: the value (a runtime.Error) is made from the text.
  panic_error(kind k, std::string text) : panic_error(k, std::move(text), nullptr) {}
  panic_error(kind k, std::string text, std::shared_ptr<const any> value);

  const char* what() const noexcept override { return text_.c_str(); }
  // kind_of says what raised the panic.
  kind kind_of() const noexcept { return kind_; }
  // is_runtime_error reports whether the value is a runtime.Error (true for
  // PanicNilError too, as in Go).
  bool is_runtime_error() const noexcept { return kind_ != kind::value; }
  // text is the printed value.
  const std::string& text() const noexcept { return text_; }
  // value is the panic value recover() returns.
  const any& value() const;
  // earlier is the report of the panics this one replaced, oldest first,
  // already in Go's shape ("panic: a [recovered]\n\t"); empty for most.
  const std::string& earlier() const noexcept { return earlier_; }
  void set_earlier(std::string s) { earlier_ = std::move(s); }
  // stack returns the program counters captured where the panic was raised.
  void* const* stack(int* n) const noexcept {
    *n = npcs_;
    return pcs_;
  }

 private:
  // kMaxStack bounds the captured trace: capturing costs about the same per
  // frame as unwinding it, and it is paid by every panic, recovered or not.
  static constexpr int kMaxStack = 16;
  kind kind_;
  std::string text_;
  mutable std::shared_ptr<const any> value_;
  std::string earlier_;
  int npcs_ = 0;
  void* pcs_[kMaxStack];
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
