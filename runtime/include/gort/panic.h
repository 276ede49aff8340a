// gort/panic.h — Go's panic as a C++ exception.
//
// panic_error is the exception every Go panic travels as: gort::panic(v)
// (gort/defer.h), and runtime errors (index out of range, nil map write,
// send on a closed channel, integer divide by zero) raised inside the
// runtime. It carries the panic value (an any, held in the exception object
// itself), its printed form (what Go's printpanicval writes after
// "panic: "), the panics it replaced (a deferred call that panics while
// another panic runs), and the program counters for the unrecovered-panic
// trace. Deferred calls and recover() are in gort/defer.h. Catching
// panic_error with a C++ try/catch works, but skips Go's rules; recover()
// is the Go way.
//
// Cost (claim 317). Raising a panic is one C++ throw plus what the value
// needs: the printed form is made only when asked for (what(), text(), the
// report), and no stack is walked at the raise. The trace is assembled
// lazily: the raise site's pc is recorded when the panic is made, and the
// rest of the goroutine's stack is walked once, by the first gort::func
// that lets the panic through unrecovered (lang/defer.cc) or by the report
// itself when no func was in between. So a recovered panic never walks the
// stack, and an unrecovered one prints the raise site followed by the stack
// from the innermost enclosing gort::func upward (frames between the two
// that were unwound before the walk are not shown; Go shows them).
#pragma once

#include <cstdint>
#include <exception>
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

  // A runtime error (or panic(nil)): the value (a runtime.Error) is made
  // from the text when recover() asks for it. pc: where it was raised.
  panic_error(kind k, std::string text, void* pc = nullptr);
  // A user value: v is converted to an any held in the exception object
  // (its printed form is made on first use). Defined in gort/defer.h.
  template <class T>
  panic_error(std::in_place_t, T&& v, void* pc);
  panic_error(const panic_error& o);
  panic_error& operator=(const panic_error&) = delete;
  ~panic_error() override;

  const char* what() const noexcept override;
  // kind_of says what raised the panic.
  kind kind_of() const noexcept { return kind_; }
  // is_runtime_error reports whether the value is a runtime.Error (true for
  // PanicNilError too, as in Go).
  bool is_runtime_error() const noexcept { return kind_ != kind::value; }
  // text is the printed value (made on first use).
  const std::string& text() const;
  // value is the panic value recover() returns.
  const any& value() const;
  // earlier is the report of the panics this one replaced, oldest first,
  // already in Go's shape ("panic: a [recovered]\n\t"); empty for most.
  const std::string& earlier() const noexcept { return earlier_; }
  void set_earlier(std::string s) { earlier_ = std::move(s); }
  // stack returns the program counters recorded for the trace so far.
  void* const* stack(int* n) const noexcept {
    *n = npcs_;
    return pcs_;
  }
  // trace_complete: the stack above the raise site has been walked.
  bool trace_complete() const noexcept { return trace_complete_; }
  // complete_trace appends the current stack, minus the `skip` innermost
  // frames, to the raise site's pc (once; later calls do nothing).
  void complete_trace(int skip) noexcept;

 private:
  static constexpr int kMaxStack = 32;
  kind kind_;
  mutable bool has_value_ = false;
  mutable bool text_ready_ = false;
  bool trace_complete_ = false;
  mutable std::string text_;
  // The value: an any constructed in place (two words), when has_value_.
  alignas(void*) mutable unsigned char value_[2 * sizeof(void*)];
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
