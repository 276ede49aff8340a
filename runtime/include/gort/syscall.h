// gort/syscall.h — telling the scheduler about blocking system calls.
//
// A goroutine about to make a call that may block its OS thread (read() on a
// pipe, a blocking socket, a long computation in a foreign library) brackets
// it with enter_syscall()/exit_syscall(), or a syscall_guard. While inside,
// its P may be taken by sysmon (after 20 us) and handed to another M, so other
// goroutines keep running; exit_syscall() re-acquires a P, parking the
// goroutine until one is free.
#pragma once

namespace gort {

void enter_syscall();
void exit_syscall();

// syscall_guard is enter_syscall() for a scope.
class syscall_guard {
 public:
  syscall_guard() { enter_syscall(); }
  ~syscall_guard() { exit_syscall(); }
  syscall_guard(const syscall_guard&) = delete;
  syscall_guard& operator=(const syscall_guard&) = delete;
};

}  // namespace gort
