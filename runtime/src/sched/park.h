// park.h — the scheduler's interface for the rest of the runtime: parking
// and readying goroutines (gopark/goready), runtime locks, preemption
// control, per-P identity. Channels, sync, timers, the allocator and the GC
// build on this file and nothing deeper in sched/. See proc.cc for the
// scheduler's design.
#pragma once

#include <cstdint>

#include "debug/fatal.h"

namespace gort::sched {

struct G;
struct M;
struct P;

// WaitReason says why a goroutine is parked; the SIGQUIT dump and
// scheddetail print it in Go's words.
enum class WaitReason : std::uint8_t {
  kNone,
  kChanSend,
  kChanRecv,
  kChanSendNilChan,
  kChanRecvNilChan,
  kSelect,
  kSelectNoCases,
  kSleep,
  kSyncMutexLock,
  kSyncRWMutexRLock,
  kSyncRWMutexLock,
  kSyncWaitGroupWait,
  kSyncCondWait,
  kSemacquire,
  kTimerGoroutineIdle,
  kGCWorkerIdle,
  kGCAssistWait,
  kFinalizerWait,
  kForceGCIdle,
  kPreempted,
  kLockedThread,
};
const char* to_string(WaitReason r);

// getg returns the goroutine running on this thread, or nullptr when the
// caller is a thread the runtime does not own or an M's scheduler context.
G* getg();

// goid returns gp's id.
std::uint64_t goid(const G* gp);

// gopark parks the current goroutine in the waiting state. Once the
// goroutine is off its stack (so a waker can never resume a half-switched
// goroutine), the scheduler calls unlockf(gp, arg); if that returns false the
// goroutine is made runnable again at once. The usual pattern is to hold a
// lock while queueing gp somewhere, and release it in unlockf.
// REQUIRES: called on a goroutine; no runtime lock held other than the one
// unlockf releases.
void gopark(bool (*unlockf)(G* gp, void* arg), void* arg, WaitReason reason);

// goready makes a waiting goroutine runnable. It goes into the current P's
// runnext slot (so a woken peer runs next, inheriting the time slice); from a
// thread without a P it goes to the global queue. May be called with runtime
// locks held. REQUIRES: gp is waiting (parked).
void goready(G* gp);

// The param word passes a value from a waker to the goroutine it wakes
// (Go's g.param): written by the waker before goready, read after gopark.
void* g_param(const G* gp);
void set_g_param(G* gp, void* v);

// The lang slot is one pointer per goroutine owned by lang/ (its defer and
// panic records); nullptr when a goroutine starts. The scheduler never
// frees it.
void* g_lang_slot(const G* gp);
void set_g_lang_slot(G* gp, void* v);

// current_p_id is the id of the P the caller runs on, in [0, max_procs()),
// or -1 off a P. It is stable only while preemption is disabled.
int current_p_id();
int max_procs();

// NoPreempt disables preemption (cooperative and asynchronous) of the
// current goroutine for its scope, and counts as holding a runtime lock:
// the goroutine must not park inside it. Nestable. A no-op off a goroutine.
class NoPreempt {
 public:
  NoPreempt();
  ~NoPreempt();
  NoPreempt(const NoPreempt&) = delete;
  NoPreempt& operator=(const NoPreempt&) = delete;
};

// require_goroutine fails with a clear fatal error naming `what` when the
// caller is not a goroutine: blocking runtime primitives cannot park a
// thread the runtime does not own.
void require_goroutine(const char* what);

}  // namespace gort::sched
