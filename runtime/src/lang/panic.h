// panic.h — Go's panics as seen by the rest of the runtime.
//
// A panic is a C++ exception of type gort::panic_error carrying the panic
// value; recover() (lang/) stops it. Runtime errors (send on a closed
// channel, nil map write, index out of range, ...) are panics too, raised
// through panic_runtime_error so that recover can catch them. A panic that
// escapes a goroutine ends the program: "panic: <msg>", then
// "goroutine N [running]:" and a stack trace, exit status 2.
#pragma once

namespace gort::lang {

// panic_runtime_error raises a runtime-error panic whose message is `msg`
// exactly as Go prints it (e.g. "send on closed channel",
// "runtime error: index out of range [5] with length 3").
[[noreturn]] void panic_runtime_error(const char* msg);

}  // namespace gort::lang
