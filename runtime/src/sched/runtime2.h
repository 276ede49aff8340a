// runtime2.h — the scheduler's core types: G (goroutine), M (OS thread),
// P (processor: the right and the resources to run goroutines) and the
// global Sched. See proc.cc for how they move; HACKING.md for the picture.
//
// Who owns what:
//  - A G's stack and saved context belong to whoever holds the G in its
//    current state: the M running it (running, syscall), a run queue
//    (runnable), or the wait structure it parked on (waiting).
//  - A P belongs to at most one M at a time (p->m, m->p). Its run queue has
//    one producer (the owner) and many consumers (stealers).
//  - Sched fields say what guards them.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <pthread.h>

#include "arch/context.h"
#include "gort/runtime.h"
#include "sched/futex.h"
#include "sched/lock.h"
#include "sched/park.h"
#include "sched/timer.h"
#include "stack/stack.h"

namespace gort::sched {

inline void cpu_relax() {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// nanotime_raw is CLOCK_MONOTONIC in ns (vDSO; no syscall).
std::int64_t nanotime_raw();
// coarse_now is nanotime as of sysmon's last tick (20 us to 10 ms old):
// for bookkeeping that must not pay a clock read (park timestamps).
std::int64_t coarse_now();

// G states, as Go's. Transitions are checked (cas_status).
enum class GStatus : std::uint32_t {
  kIdle,      // just allocated, not yet initialised
  kRunnable,  // on a run queue; not running; stack owned by the queue
  kRunning,   // running user code on an M with a P
  kSyscall,   // in a blocking call (enter_syscall); has an M, may lose its P
  kWaiting,   // parked (gopark); owned by the structure it waits on
  kDead,      // finished; on a free list or being reused
};
const char* to_string(GStatus s);

struct G {
  void* sp = nullptr;  // saved context (arch/context.h) while not running
  stack::Stack stk;
  std::atomic<GStatus> status{GStatus::kIdle};
  std::uint64_t id = 0;

  detail::GoEntry entry{};  // what the goroutine runs
  alignas(std::max_align_t) unsigned char closure[detail::kInlineClosure];

  G* schedlink = nullptr;  // run queue / free list link
  G* alllink = nullptr;    // allgs list (guarded by allg lock)
  void* param = nullptr;   // waker -> wakee word (g_param)
  WaitReason wait_reason = WaitReason::kNone;
  std::int64_t wait_since = 0;  // nanotime when it parked (for the dump)

  M* m = nullptr;        // M running it (running/syscall)
  M* lockedm = nullptr;  // lock_os_thread: only this M may run it
  std::atomic<bool> preempt{false};  // sysmon asks it to yield
  bool is_main = false;
  bool async_preempted = false;  // resumed from the SIGURG trampoline
  int oslocks = 0;  // pthread locks held while switched out (oslock.cc)
  std::int64_t syscall_when = 0;

  void* lang_slot = nullptr;  // owned by lang/ (defer chain, panic state)
  bool system = false;        // a runtime goroutine (GC): not in num_goroutine

  // Garbage collector (gc/mgcmark.cc). gcscan: a marker is scanning this
  // stack (the G may not start running until it is clear); gc_scan_cycle:
  // the cycle whose mark has scanned this stack (or created it black).
  std::atomic<std::uint32_t> gcscan{0};
  std::atomic<std::uint64_t> gc_scan_cycle{0};
  std::uint64_t gc_snap_cycle = 0;  // the cycle whose mark snapshot included this G (set with the world stopped)
  std::int64_t gc_assist_bytes = 0;  // assist credit (< 0: debt) in bytes
  bool gc_is_worker = false;
  bool gc_noscan = false;  // a runtime goroutine that never holds heap pointers (GC worker, controller, sweeper)
  // In a syscall: the caller's stack pointer and callee-saved registers
  // (enter_syscall), what a marker scans instead of the saved context.
  void* syscall_sp = nullptr;
  std::uintptr_t syscall_regs[6] = {};

#if defined(GORT_ASAN)
  void* asan_fake_stack = nullptr;
#endif
#if defined(GORT_TSAN)
  void* tsan_fiber = nullptr;
#endif
};

enum class PStatus : std::uint32_t {
  kIdle,     // on the idle list, no M
  kRunning,  // owned by an M running user code or the scheduler
  kSyscall,  // its M is in a syscall; sysmon may retake it
  kStopped,  // stopped for stop-the-world
  kDead,     // beyond GOMAXPROCS
};

inline constexpr int kRunqSize = 256;
inline constexpr int kMaxProcs = 1024;

struct P {
  int id = 0;
  std::atomic<PStatus> status{PStatus::kIdle};
  std::atomic<M*> m{nullptr};  // owner (when running/syscall); read by sysmon
  P* link = nullptr;    // idle list (guarded by sched lock)

  // Run queue: ring of kRunqSize, head consumed by owner and stealers (CAS),
  // tail written by the owner only.
  std::atomic<std::uint32_t> runqhead{0};
  std::atomic<std::uint32_t> runqtail{0};
  std::atomic<G*> runq[kRunqSize]{};
  std::atomic<G*> runnext{nullptr};

  std::uint32_t schedtick = 0;          // bumped at every schedule (owner only)
  std::uint32_t fastticks = 0;          // fast-path schedules (owner only)
  std::atomic<std::uint32_t> syscalltick{0};  // bumped at every syscall entry

  // Dead Gs kept for reuse (owner only).
  G* gfree = nullptr;
  int ngfree = 0;

  TimerHeap* timers = nullptr;

  // sysmon's view (sysmon only).
  std::uint32_t sm_schedtick = 0;
  std::int64_t sm_schedwhen = 0;
  std::uint32_t sm_syscalltick = 0;
  std::int64_t sm_syscallwhen = 0;
  std::atomic<std::int64_t> running_since{0};  // when the current G started its slice
};

struct Sched;

// Post-switch work done by the context we switch *to*, on behalf of the G we
// switched away from (which must be fully off its stack first).
enum class Pending : std::uint8_t { kNone, kYield, kPark, kExit, kPreempt, kSyscallBlock };

struct M {
  int id = 0;
  void* g0_sp = nullptr;  // the scheduler context (the thread's own stack)
  std::atomic<G*> curg{nullptr};  // the user G running here; read by sysmon and signals
  P* p = nullptr;
  P* nextp = nullptr;  // P handed over by whoever woke us
  M* schedlink = nullptr;  // idle list
  M* alllink = nullptr;
  int locks = 0;  // runtime locks held / NoPreempt depth: no preemption while > 0
  bool spinning = false;
  bool in_sched = false;  // running scheduler code (not user code)
  Note park;
  pid_t tid = 0;
  std::uintptr_t g0_lo = 0, g0_hi = 0;  // thread stack bounds

  G* lockedg = nullptr;  // lock_os_thread
  std::uint32_t locked_ext = 0;

  Pending pending = Pending::kNone;
  G* pending_g = nullptr;
  bool (*pending_unlockf)(G*, void*) = nullptr;
  void* pending_arg = nullptr;

  std::atomic<bool> exited{false};  // its thread has left the runtime
  bool is_m0 = false;
  Sched* owner = nullptr;  // the run() this M belongs to
  pthread_t thread{};
  unsigned fastrand_state = 1;
#if defined(GORT_ASAN)
  void* asan_fake_stack = nullptr;
#endif
#if defined(GORT_TSAN)
  void* tsan_fiber = nullptr;
#endif
};

// getm returns this thread's M, or nullptr for threads the runtime does not
// own. It always re-reads thread-local storage (it is never inlined or
// analysed across calls), because a goroutine may resume on another thread
// after any switch: no caller may keep a TLS address across a switch.
M* getm();
void setm(M* m);

// The preemption window. Between reading this thread's M and raising
// m->locks, an asynchronous preemption would move the goroutine to another
// thread and leave it holding the old thread's M. gort_tls_nopreempt closes
// that window: it is raised and lowered by single instructions (so a signal
// sees it either set or not), and the SIGURG handler refuses while it is set.
extern "C" {
extern __thread int gort_tls_nopreempt __attribute__((tls_model("initial-exec")));
// OS (pthread) locks held by the goroutine running on this thread
// (oslock.cc); asynchronous preemption waits while it is non-zero.
extern __thread int gort_tls_oslocks __attribute__((tls_model("initial-exec")));
}
inline void tls_nopreempt_inc() {
#if defined(__x86_64__)
  asm volatile("addl $1, %%fs:gort_tls_nopreempt@tpoff" ::: "memory", "cc");
#else
  gort_tls_nopreempt++;
#endif
}
inline void tls_nopreempt_dec() {
#if defined(__x86_64__)
  asm volatile("subl $1, %%fs:gort_tls_nopreempt@tpoff" ::: "memory", "cc");
#else
  gort_tls_nopreempt--;
#endif
}

// acquire_m returns this thread's M with m->locks raised (nullptr off the
// runtime's threads). The goroutine cannot be preempted or moved until the
// matching release_m (or until reschedule, which takes over the count).
inline M* acquire_m();
inline void release_m(M* m);

// Sched is the global scheduler state of one run() (Go's schedt).
struct Sched {
  Lock lock;  // rank: sched (taken before timers, stackpool)

  // Global run queue (guarded by lock; size also read racily).
  G* runqhead = nullptr;
  G* runqtail = nullptr;
  std::atomic<int> runqsize{0};

  // Idle Ps and Ms (guarded by lock).
  P* pidle = nullptr;
  std::atomic<int> npidle{0};
  M* midle = nullptr;
  int nmidle = 0;
  int nmidlelocked = 0;  // Ms waiting for their locked G
  int mcount = 0;
  M* allm = nullptr;
  std::atomic<int> nmspinning{0};
  G* gfree = nullptr;  // global cache of dead Gs (guarded by lock)
  std::atomic<int> ngfree{0};  // written under lock, peeked without

  // Ps: allp[0, gomaxprocs) are live; allp entries are never freed before
  // shutdown, so sysmon may read them without the lock.
  P* allp[kMaxProcs] = {};
  int nallp = 0;  // entries ever created (guarded by lock)
  std::atomic<int> gomaxprocs{0};

  // All goroutines ever created (guarded by allglock); G structs are
  // reused, never freed before shutdown.
  Lock allglock;  // rank: allg (leaf)
  G* allgs = nullptr;
  std::atomic<int> ngoroutines{0};  // not dead
  std::atomic<int> nsystem{0};      // ... of which runtime goroutines (G::system)
  std::atomic<std::uint64_t> goidgen{0};
  std::atomic<int> nlockedg{0};     // goroutines locked to an M
  std::atomic<int> nexternal{0};    // live runtime::external_wakeups

  // Stop the world.
  std::atomic<bool> gcwaiting{false};
  std::atomic<int> stopwait{0};
  Note stopnote;
  std::atomic<bool> stw_owned{false};

  std::atomic<bool> exiting{false};
  int exit_code = 0;
  std::atomic<int> ms_running_threads{0};
  bool abandoned_ms = false;  // some M could not be joined at shutdown

  std::size_t stack_size = 256 * 1024;
  std::size_t main_stack_size = 8 * 1024 * 1024;
  std::atomic<bool> procs_from_user{false};  // GOMAXPROCS fixed by env, options or set_max_procs
  std::int64_t start_time = 0;
  M* m0 = nullptr;
};
extern Sched* sched_;  // the running runtime (nullptr when none)

// Functions shared between the sched/ files (proc.cc defines them).
void globrunqput(G* gp);        // REQUIRES: sched lock
void globrunqput_locked_batch(G* head, G* tail, int n);
void runqput(P* p, G* gp, bool next);
G* runqget(P* p, bool* inherit);
bool runqempty(P* p);
void wakep();
// wake_idle_ps starts an M for every idle P (the GC, when a mark begins).
void wake_idle_ps();
void startm(P* p, bool spinning);
void handoffp(P* p);
void preemptone(P* p);
// preempt_g asks gp, if it is running, to stop at its next safe point
// (sync flag and SIGURG to its M).
void preempt_g(G* gp);
// p_has_work: P pid has goroutines queued (an idle GC worker yields to them).
bool p_has_work(int pid);
// for_each_g calls f on every G ever created. REQUIRES: world stopped (or
// f tolerates Gs changing state).
template <class F>
void for_each_g(F&& f);
// newproc_system starts a runtime goroutine (not counted by num_goroutine,
// not a deadlock participant of its own).
void newproc_system(detail::GoEntry entry);
void timers_init_p(P* p);
void timers_destroy_p(P* p);
// run_timers runs p's expired timers; returns the next `when` (0: none).
std::int64_t run_timers(P* p, std::int64_t now);
std::int64_t timers_next(P* p);   // 0: no timers (atomic read)
void timers_move(P* from, P* to); // at resize
void sysmon_start();
void sysmon_stop();
void signals_install();
void signals_m_init(M* m);
void signals_m_exit(M* m);
void schedtrace(bool detail);
void dump_all_goroutines(int fd);  // SIGQUIT
[[noreturn]] void report_stack_overflow(G* gp);
G* g_for_fault_address(std::uintptr_t addr);

}  // namespace gort::sched

namespace gort::sched {
inline M* acquire_m() {
  tls_nopreempt_inc();
  M* m = getm();
  if (m != nullptr) m->locks++;
  tls_nopreempt_dec();
  return m;
}
inline void release_m(M* m) {
  if (m != nullptr) m->locks--;
}
G* runqsteal(P* p, P* victim, bool steal_next);
G* globrunqget(P* p, int max);  // REQUIRES: sched lock
}  // namespace gort::sched

namespace gort::sched {
template <class F>
void for_each_g(F&& f) {
  G* head;
  {
    LockGuard g(sched_->allglock);
    head = sched_->allgs;
  }
  // allgs only grows at the head and G structs are never freed while the
  // runtime runs: walking from a snapshot of the head is safe.
  for (G* gp = head; gp != nullptr; gp = gp->alllink) f(gp);
}
}  // namespace gort::sched
