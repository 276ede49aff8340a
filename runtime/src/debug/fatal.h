// fatal.h — the runtime's fatal path: print and exit, never allocate.
//
// fatal() is Go's throw: an internal invariant broke or the program did
// something the runtime cannot continue from. It writes
// "fatal error: <msg>" to fd 2 with write(2) only — no malloc, no stdio —
// and exits with status 2. fatalf formats into a fixed stack buffer.
// Panics that recover() can catch are in lang/panic (a different path).
#pragma once

namespace gort::debug {

[[noreturn]] void fatal(const char* msg);
[[noreturn]] void fatalf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// write_stderr writes s to fd 2, retrying on EINTR; async-signal-safe.
void write_stderr(const char* s);

// check(cond, msg): always-on invariant check (release builds too).
#define GORT_CHECK(cond, msg)                                                         \
  do {                                                                                \
    if (__builtin_expect(!(cond), 0)) ::gort::debug::fatalf("%s (%s:%d: %s)", (msg), \
                                                            __FILE__, __LINE__, #cond); \
  } while (0)

// GORT_DCHECK: debug-build-only check.
#ifndef NDEBUG
#define GORT_DCHECK(cond, msg) GORT_CHECK(cond, msg)
#else
#define GORT_DCHECK(cond, msg) ((void)0)
#endif

}  // namespace gort::debug
