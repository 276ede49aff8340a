// panic.h — Go's panics as seen by the rest of the runtime.
//
// A panic is a C++ exception of type gort::panic_error (gort/panic.h)
// carrying the panic value; recover() (lang/defer) stops it. Runtime errors
// (send on a closed channel, nil map write, index out of range, ...) are
// panics too, raised through panic_runtime_error so that recover can catch
// them. A panic that escapes a goroutine ends the program: "panic: <msg>",
// then "goroutine N [running]:" and a stack trace, exit status 2
// (on_uncaught_exception, in panic.cc).
#pragma once

#include <cstdint>
#include <exception>
#include <string>

#include "gort/panic.h"

namespace gort::lang {

// panic_runtime_error raises a runtime-error panic whose message is `msg`
// exactly as Go prints it (e.g. "send on closed channel",
// "runtime error: index out of range [5] with length 3").
[[noreturn]] void panic_runtime_error(const char* msg);

// panic_index raises Go's "index out of range [i] with length n".
[[noreturn]] void panic_index(std::int64_t i, std::int64_t n);
// panic_slice_bounds raises Go's "slice bounds out of range [lo:hi]" family
// (the message names the first bound that fails, as Go's does).
[[noreturn]] void panic_slice_bounds(std::int64_t lo, std::int64_t hi, std::int64_t cap);
// panic_divide raises "integer divide by zero".
[[noreturn]] void panic_divide();

// format_panic_value is Go's printpanicval: an error's Error(), a
// Stringer's String(), a basic value as print writes it (a named one as
// main.T(v)), else "(T) 0xADDR".
std::string format_panic_value(const any& v);

}  // namespace gort::lang

namespace gort::detail {

// on_uncaught_exception is called by the scheduler's goroutine entry with an
// exception that escaped goroutine `goid`. It prints Go's unrecovered-panic
// report to fd 2 and exits with status 2. It never returns. This strong
// definition (lang/panic.cc) replaces the scheduler's weak default.
[[noreturn]] void on_uncaught_exception(std::exception_ptr ep, std::uint64_t goid) noexcept;

}  // namespace gort::detail
