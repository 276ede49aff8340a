// proc.h — scheduler entry points shared by the sched/ files (see proc.cc).
#pragma once

#include "sched/runtime2.h"

namespace gort::sched {

// cas_status moves gp from `from` to `to` atomically, failing fatally when
// gp is not in `from` (used where two threads may race: goready).
// set_status is the same check for transitions only gp's owner can make;
// release builds do it without a locked instruction.
void cas_status(G* gp, GStatus from, GStatus to);
void set_status(G* gp, GStatus from, GStatus to);
void reschedule(M* m, G* gp, Pending what);
void switch_to_g0_for(M* m, G* gp);  // REQUIRES: m->pending set, m->locks raised
[[noreturn]] void goexit_final(G* gp);
void main_exited();
void pidleput(P* p);       // REQUIRES: sched lock
P* pidleget(P* want);      // REQUIRES: sched lock
void procresize(int n);    // REQUIRES: sched lock, world stopped (or not started)
void shutdown_ms();        // run(): wait for the other Ms after main returned
void free_runtime();       // run(): release the Sched and everything in it
int default_gomaxprocs();  // affinity and cgroup quota (cpulimit.cc)

// stop_the_world / start_the_world: stop every P but the caller's. The
// caller must be a goroutine; it keeps running, holding its P.
void stop_the_world(const char* reason);
void start_the_world();

}  // namespace gort::sched

namespace gort::detail {
// Called when an exception escapes a goroutine; lang/panic.cc prints Go's
// panic report. Never returns.
[[noreturn]] void on_uncaught_exception(std::exception_ptr ep, std::uint64_t goid) noexcept;
}  // namespace gort::detail
