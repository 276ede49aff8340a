// proc.cc — the goroutine scheduler (Go's proc.go, in C++).
//
// Design. Goroutines (G) run on OS threads (M); an M needs a processor (P)
// to run Go code, and there are GOMAXPROCS Ps. Each P has a local run queue
// (runq.cc); an M with nothing local takes from the global queue, then
// steals half of a random victim's queue, then parks its P and sleeps.
//
//  1. Switching. A goroutine that yields, parks or exits picks its successor
//     itself when its P's local queue has one (runnext first) and switches
//     to it directly: one context switch, no trip through the scheduler
//     stack. Only when nothing is local (or a timer is due, the global queue
//     is due its 61st-tick turn, the world is stopping, a locked goroutine
//     is involved) does it switch to its M's scheduler context (g0, the
//     thread's own stack), which runs findrunnable().
//  2. Post-switch work. A G cannot be queued, woken or freed while still on
//     its stack: another M could resume it half-saved. So the leaving G
//     records what must happen to it in m->pending, and whatever context is
//     switched *to* performs it first thing (finish_pending): queue it
//     (yield), call the park's unlock function (park), free it (exit).
//  3. Spinning. An M looking for work without finding it is "spinning"; at
//     most half the busy Ps have spinning Ms. Readying a G when there is an
//     idle P and no spinning M wakes one (wakep); a spinning M that finds
//     work wakes a replacement, so there is neither a lost wake-up nor a
//     thundering herd. On a small VM a cross-CPU wake-up costs ~30 us: both
//     rules matter.
//  4. Preemption: see sysmon.cc (who decides) and preempt.cc (how).
//     Syscalls: syscall.cc. Stop-the-world and GOMAXPROCS: stw.cc.
//     Timers: timer.cc. Locked threads: lockosthread.cc.
//
// Invariants:
//  - m->locks > 0 while the M holds a runtime lock or is switching; then the
//    running G is never preempted or parked.
//  - A G in kRunning has g->m set and is m->curg of exactly that M.
//  - A P in kRunning is owned by exactly one M (p->m, m->p).
//  - Every switch-in point calls finish_pending before anything else.
//
// Locks, in rank order: sched lock < P timers lock < stack pool < allg.
#include "sched/proc.h"

#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#if defined(GORT_ASAN)
#include <sanitizer/lsan_interface.h>
#endif

#include "debug/fatal.h"
#include "debug/knobs.h"
#include "gc/mgc.h"
#include "sched/runtime2.h"
#include "sched/sanitizer.h"

namespace gort::sched {

Sched* sched_ = nullptr;

namespace {
__attribute__((tls_model("initial-exec"))) thread_local M* tls_m = nullptr;

struct Hook {
  runtime::MStartHook fn = nullptr;
  void* arg = nullptr;
};
Hook m_start_hook, m_exit_hook;
}  // namespace

__attribute__((noipa)) M* getm() { return tls_m; }

}  // namespace gort::sched

extern "C" {
__thread int gort_tls_nopreempt __attribute__((tls_model("initial-exec"))) = 0;
}

namespace gort::sched {

__attribute__((noipa)) void setm(M* m) { tls_m = m; }

std::int64_t nanotime_raw() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

const char* to_string(GStatus s) {
  switch (s) {
    case GStatus::kIdle: return "idle";
    case GStatus::kRunnable: return "runnable";
    case GStatus::kRunning: return "running";
    case GStatus::kSyscall: return "syscall";
    case GStatus::kWaiting: return "waiting";
    case GStatus::kDead: return "dead";
  }
  return "?";
}

const char* to_string(WaitReason r) {
  switch (r) {
    case WaitReason::kNone: return "";
    case WaitReason::kChanSend: return "chan send";
    case WaitReason::kChanRecv: return "chan receive";
    case WaitReason::kChanSendNilChan: return "chan send (nil chan)";
    case WaitReason::kChanRecvNilChan: return "chan receive (nil chan)";
    case WaitReason::kSelect: return "select";
    case WaitReason::kSelectNoCases: return "select (no cases)";
    case WaitReason::kSleep: return "sleep";
    case WaitReason::kSyncMutexLock: return "sync.Mutex.Lock";
    case WaitReason::kSyncRWMutexRLock: return "sync.RWMutex.RLock";
    case WaitReason::kSyncRWMutexLock: return "sync.RWMutex.Lock";
    case WaitReason::kSyncWaitGroupWait: return "sync.WaitGroup.Wait";
    case WaitReason::kSyncCondWait: return "sync.Cond.Wait";
    case WaitReason::kSemacquire: return "semacquire";
    case WaitReason::kTimerGoroutineIdle: return "timer goroutine (idle)";
    case WaitReason::kGCWorkerIdle: return "GC worker (idle)";
    case WaitReason::kGCAssistWait: return "GC assist wait";
    case WaitReason::kFinalizerWait: return "finalizer wait";
    case WaitReason::kForceGCIdle: return "force gc (idle)";
    case WaitReason::kPreempted: return "preempted";
    case WaitReason::kLockedThread: return "locked to thread";
  }
  return "?";
}

[[noreturn]] static void bad_transition(G* gp, GStatus from, GStatus to, GStatus cur) {
  debug::fatalf("goroutine %llu: bad status transition %s -> %s (status is %s)",
                static_cast<unsigned long long>(gp->id), to_string(from), to_string(to), to_string(cur));
}

void cas_status(G* gp, GStatus from, GStatus to) {
  GStatus cur = from;
  if (!gp->status.compare_exchange_strong(cur, to, std::memory_order_acq_rel)) bad_transition(gp, from, to, cur);
}

void set_status(G* gp, GStatus from, GStatus to) {
#ifndef NDEBUG
  cas_status(gp, from, to);
#else
  GStatus cur = gp->status.load(std::memory_order_relaxed);
  if (__builtin_expect(cur != from, 0)) bad_transition(gp, from, to, cur);
  gp->status.store(to, std::memory_order_release);
#endif
}

G* getg() {
  tls_nopreempt_inc();
  M* m = getm();
  G* gp = m != nullptr ? m->curg.load(std::memory_order_relaxed) : nullptr;
  tls_nopreempt_dec();
  return gp;
}

std::uint64_t goid(const G* gp) { return gp->id; }
void* g_param(const G* gp) { return gp->param; }
void set_g_param(G* gp, void* v) { gp->param = v; }
void* g_lang_slot(const G* gp) { return gp->lang_slot; }
void set_g_lang_slot(G* gp, void* v) { gp->lang_slot = v; }

int current_p_id() {
  tls_nopreempt_inc();
  M* m = getm();
  int id = (m != nullptr && m->p != nullptr) ? m->p->id : -1;
  tls_nopreempt_dec();
  return id;
}

int max_procs() { return sched_ != nullptr ? sched_->gomaxprocs.load(std::memory_order_relaxed) : 0; }

NoPreempt::NoPreempt() { acquire_m(); }
NoPreempt::~NoPreempt() { release_m(getm()); }

void require_goroutine(const char* what) {
  if (getg() == nullptr) {
    debug::fatalf("%s called from a thread that is not running a goroutine (blocking runtime "
                  "operations need gort::run and a goroutine)",
                  what);
  }
}

// ---- Ms and Ps -----------------------------------------------------------

static void acquirep(M* m, P* p) {
  GORT_CHECK(m->p == nullptr, "acquirep: M already has a P");
  m->p = p;
  p->m.store(m, std::memory_order_release);  // sysmon reads the M through it
  p->status.store(PStatus::kRunning, std::memory_order_release);
}

static P* releasep(M* m) {
  P* p = m->p;
  m->p = nullptr;
  p->m.store(nullptr, std::memory_order_relaxed);
  return p;
}

// pidleput puts p on the idle list. REQUIRES: sched lock; p has no M.
void pidleput(P* p) {
  p->status.store(PStatus::kIdle, std::memory_order_release);
  p->link = sched_->pidle;
  sched_->pidle = p;
  sched_->npidle.fetch_add(1, std::memory_order_relaxed);
}

// pidleget takes an idle P (a specific one when want != nullptr).
// REQUIRES: sched lock.
P* pidleget(P* want) {
  P** pp = &sched_->pidle;
  while (*pp != nullptr && want != nullptr && *pp != want) pp = &(*pp)->link;
  P* p = *pp;
  if (p == nullptr) return nullptr;
  *pp = p->link;
  p->link = nullptr;
  sched_->npidle.fetch_sub(1, std::memory_order_relaxed);
  return p;
}

static void mput(M* m) {
  m->schedlink = sched_->midle;
  sched_->midle = m;
  sched_->nmidle++;
}

static M* mget() {
  M* m = sched_->midle;
  if (m != nullptr) {
    sched_->midle = m->schedlink;
    sched_->nmidle--;
  }
  return m;
}

static void* mstart(void* arg);

static M* allocm() {
  M* m = new M();
  m->owner = sched_;
  m->fastrand_state = static_cast<unsigned>(nanotime_raw()) | 1;
  return m;
}

// newm starts a new OS thread that will run with p.
static void newm(P* p, bool spinning) {
  M* m = allocm();
  m->nextp = p;
  m->spinning = spinning;
  // The thread is created under the sched lock: shutdown_ms reads allm and
  // each M's thread handle after taking that lock, so it never sees an M
  // whose pthread_create has not finished writing m->thread.
  LockGuard g(sched_->lock);
  if (sched_->exiting.load(std::memory_order_acquire)) {
    // Exiting: shutdown_ms has taken (or will take) its snapshot of allm,
    // and an M started now would run on past free_runtime.
    delete m;
    if (spinning) sched_->nmspinning.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  m->id = sched_->mcount++;
  m->alllink = sched_->allm;
  sched_->allm = m;
  sched_->ms_running_threads.fetch_add(1, std::memory_order_relaxed);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  int err = pthread_create(&m->thread, &attr, mstart, m);
  pthread_attr_destroy(&attr);
  if (err != 0) debug::fatalf("cannot create an OS thread for a new M (pthread_create: %s)", strerror(err));
}

void startm(P* p, bool spinning) {
  sched_->lock.lock();
  if (p == nullptr) {
    p = pidleget(nullptr);
    if (p == nullptr) {
      sched_->lock.unlock();
      if (spinning) sched_->nmspinning.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
  }
  M* m = mget();
  sched_->lock.unlock();
  if (m == nullptr) {
    newm(p, spinning);
    return;
  }
  m->spinning = spinning;
  m->nextp = p;
  m->park.wakeup();
}

void wakep() {
  if (sched_->npidle.load(std::memory_order_relaxed) == 0) return;
  int zero = 0;
  if (sched_->nmspinning.load(std::memory_order_relaxed) != 0 ||
      !sched_->nmspinning.compare_exchange_strong(zero, 1, std::memory_order_acq_rel))
    return;
  startm(nullptr, true);
}

void wake_idle_ps() {
  // One M per idle P (not spinning: each has its P and looks for work,
  // which during a GC mark includes an idle mark worker).
  int n = sched_->npidle.load(std::memory_order_relaxed);
  while (n-- > 0 && sched_->npidle.load(std::memory_order_relaxed) > 0) startm(nullptr, false);
}

static void resetspinning(M* m) {
  m->spinning = false;
  if (sched_->nmspinning.fetch_sub(1, std::memory_order_acq_rel) == 1) wakep();
}

void handoffp(P* p) {
  if (!runqempty(p) || sched_->runqsize.load(std::memory_order_relaxed) != 0) {
    startm(p, false);
    return;
  }
  if (sched_->gcwaiting.load(std::memory_order_acquire)) {
    p->status.store(PStatus::kStopped, std::memory_order_release);
    if (sched_->stopwait.fetch_sub(1, std::memory_order_acq_rel) == 1) sched_->stopnote.wakeup();
    return;
  }
  int zero = 0;
  if (sched_->nmspinning.load(std::memory_order_relaxed) + sched_->npidle.load(std::memory_order_relaxed) == 0 &&
      sched_->nmspinning.compare_exchange_strong(zero, 1)) {
    startm(p, true);
    return;
  }
  LockGuard g(sched_->lock);
  pidleput(p);
}

// checkdead reports a deadlock when no M is running and no goroutine can
// ever be woken. REQUIRES: sched lock.
static void checkdead() {
  if (sched_->exiting.load(std::memory_order_relaxed)) return;
  int running = sched_->mcount - sched_->nmidle - sched_->nmidlelocked;
  if (running > 0) return;
  if (sched_->runqsize.load(std::memory_order_relaxed) > 0) return;
  int procs = sched_->gomaxprocs.load(std::memory_order_relaxed);
  for (int i = 0; i < procs; i++) {
    P* p = sched_->allp[i];
    if (timers_next(p) != 0 || !runqempty(p)) return;
  }
  if (sched_->ngoroutines.load(std::memory_order_relaxed) == 0) return;
  if (sched_->nexternal.load(std::memory_order_acquire) > 0) return;  // a foreign thread may wake one
  debug::write_stderr("fatal error: all goroutines are asleep - deadlock!\n\n");
  dump_all_goroutines(2);
  _exit(2);
}

// stopm parks the M until someone hands it a P (m->nextp) or the runtime
// exits. With timeout_ns >= 0 it wakes by itself after that long and takes
// P `want` back if it is still idle: an M that left a P with pending timers
// sleeps until the earliest one, so timers of idle Ps fire on time without
// a hop through sysmon.
static void stopm(M* m, std::int64_t timeout_ns = -1, P* want = nullptr) {
  GORT_CHECK(m->p == nullptr, "stopm: M still holds a P");
  GORT_CHECK(!m->spinning, "stopm: M is spinning");
  sched_->lock.lock();
  if (sched_->exiting.load(std::memory_order_relaxed)) {
    // main_exited set the flag before waking the idle list under this
    // lock: we would miss that wake-up.
    sched_->lock.unlock();
    return;
  }
  mput(m);
  checkdead();
  m->park.clear();
  sched_->lock.unlock();
  if (timeout_ns < 0 || m->park.tsleep(timeout_ns) == false) {
    if (timeout_ns >= 0) {
      // Timed out: leave the idle list, unless someone is already handing
      // us a P (then wait for their wake-up).
      sched_->lock.lock();
      M** pm = &sched_->midle;
      while (*pm != nullptr && *pm != m) pm = &(*pm)->schedlink;
      if (*pm == m) {
        *pm = m->schedlink;
        sched_->nmidle--;
        P* p = want != nullptr && want->status.load(std::memory_order_relaxed) == PStatus::kIdle ? pidleget(want)
                                                                                                   : nullptr;
        sched_->lock.unlock();
        if (p != nullptr) acquirep(m, p);
        return;
      }
      sched_->lock.unlock();
    }
    m->park.sleep();
  }
  if (m->nextp != nullptr) {
    P* p = m->nextp;
    m->nextp = nullptr;
    acquirep(m, p);
  }
}

// ---- Gs ------------------------------------------------------------------

static G* gfget(P* p) {
  if (p != nullptr && p->gfree == nullptr && sched_->ngfree.load(std::memory_order_relaxed) > 0) {
    LockGuard g(sched_->lock);
    while (p->ngfree < 32 && sched_->gfree != nullptr) {
      G* gp = sched_->gfree;
      sched_->gfree = gp->schedlink;
      sched_->ngfree.fetch_sub(1, std::memory_order_relaxed);
      gp->schedlink = p->gfree;
      p->gfree = gp;
      p->ngfree++;
    }
  }
  if (p != nullptr && p->gfree != nullptr) {
    G* gp = p->gfree;
    p->gfree = gp->schedlink;
    p->ngfree--;
    return gp;
  }
  G* gp = new G();
  gp->status.store(GStatus::kDead, std::memory_order_relaxed);
  LockGuard g(sched_->allglock);
  gp->alllink = sched_->allgs;
  sched_->allgs = gp;
  return gp;
}

static void gfput(P* p, G* gp) {
  gp->schedlink = p->gfree;
  p->gfree = gp;
  p->ngfree++;
  if (p->ngfree >= 64) {
    LockGuard g(sched_->lock);
    while (p->ngfree > 32) {
      G* x = p->gfree;
      p->gfree = x->schedlink;
      p->ngfree--;
      x->schedlink = sched_->gfree;
      sched_->gfree = x;
      sched_->ngfree.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

static void goroutine_entry(void* arg);

// prepare_to_run gives a never-run G its stack and initial context.
static void prepare_to_run(G* gp, P* p) {
  if (gp->sp != nullptr) return;
  std::size_t want = gp->is_main ? sched_->main_stack_size : sched_->stack_size;
  if (!gp->stk.valid()) gp->stk = stack::alloc(want, gp->is_main ? -1 : (p != nullptr ? p->id : -1));
  // A GC marker may be scanning this still-runnable G (it holds gp->gcscan
  // until start_running's wait_scan): it reads sp first and the stack only
  // when sp is set, so publish sp last, with release.
  __atomic_store_n(&gp->sp, arch::ctx_make(gp->stk.hi, goroutine_entry, gp), __ATOMIC_RELEASE);
  san::g_created(gp);
}

// ---- switching -----------------------------------------------------------

// finish_pending performs the post-switch work the previous context left.
static void finish_pending(M* m) {
  Pending what = m->pending;
  if (what == Pending::kNone) return;
  G* gp = m->pending_g;
  m->pending = Pending::kNone;
  m->pending_g = nullptr;
  switch (what) {
    case Pending::kNone:
      break;
    case Pending::kYield:
      set_status(gp, GStatus::kRunning, GStatus::kRunnable);
      runqput(m->p, gp, false);
      break;
    case Pending::kPreempt:
      set_status(gp, GStatus::kRunning, GStatus::kRunnable);
      {
        LockGuard g(sched_->lock);
        globrunqput(gp);
      }
      break;
    case Pending::kPark: {
      gp->wait_since = coarse_now();
      set_status(gp, GStatus::kRunning, GStatus::kWaiting);
      auto unlockf = m->pending_unlockf;
      void* arg = m->pending_arg;
      m->pending_unlockf = nullptr;
      m->pending_arg = nullptr;
      if (unlockf != nullptr && !unlockf(gp, arg)) {
        set_status(gp, GStatus::kWaiting, GStatus::kRunnable);
        runqput(m->p, gp, true);
      }
      break;
    }
    case Pending::kExit:
      set_status(gp, GStatus::kRunning, GStatus::kDead);
      san::g_destroyed(gp);
      gp->sp = nullptr;
      gp->m = nullptr;
      gp->lockedm = nullptr;
      sched_->ngoroutines.fetch_sub(1, std::memory_order_relaxed);
      if (gp->system) sched_->nsystem.fetch_sub(1, std::memory_order_relaxed);
      // The stack goes back to the P's stack cache now, not with the G: a
      // recycled G waits in a run queue, maybe for long, and should not pin
      // a stack meanwhile. It gets a (warm, cached) one when it first runs.
      stack::free(gp->stk, gp->is_main || m->p == nullptr ? -1 : m->p->id);
      gp->stk = stack::Stack{};
      if (m->p != nullptr) {
        gfput(m->p, gp);
      } else {
        LockGuard g(sched_->lock);
        gp->schedlink = sched_->gfree;
        sched_->gfree = gp;
        sched_->ngfree.fetch_add(1, std::memory_order_relaxed);
      }
      break;
    case Pending::kSyscallBlock:
      // exit_syscall found no P: queue the G globally; this M will stop.
      set_status(gp, GStatus::kSyscall, GStatus::kRunnable);
      {
        LockGuard g(sched_->lock);
        globrunqput(gp);
      }
      wakep();
      break;
  }
}

// switch_ctx saves the current context (a G, or g0 when cur == nullptr) and
// resumes `to` (a G, or g0 when to == nullptr), on the same M. Returns when
// the current context is resumed, possibly on another M.
static void switch_ctx(M* m, G* cur, G* to) {
  void** save = cur != nullptr ? &cur->sp : &m->g0_sp;
  void* target = to != nullptr ? to->sp : m->g0_sp;
  if (cur != nullptr && !cur->stk.canary_ok()) report_stack_overflow(cur);
  if (cur != nullptr) {
    // OS locks held across the switch travel with the goroutine.
    cur->oslocks = gort_tls_oslocks;
    gort_tls_oslocks = 0;
  }
  san::before_switch(m, cur, to);
  gort_swapctx(save, target);
  san::after_switch(getm(), cur);
  if (cur != nullptr) {
    gort_tls_oslocks += cur->oslocks;
    cur->oslocks = 0;
  }
}

// execute_direct makes next the running G of m (already holding p).
static inline void start_running(M* m, G* next, bool inherit) {
  set_status(next, GStatus::kRunnable, GStatus::kRunning);
  if (__builtin_expect(gc::marking(), 0)) gc::wait_scan(next);  // its stack may be being scanned
  next->m = m;
  m->curg.store(next, std::memory_order_release);  // sysmon reads the G through it
  if (!inherit) __atomic_store_n(&m->p->schedtick, m->p->schedtick + 1, __ATOMIC_RELAXED);
}

// fast_next picks a successor from the local queue when the fast path
// applies; nullptr sends the caller through g0's findrunnable.
static G* fast_next(M* m, bool* inherit) {
  P* p = m->p;
  if (p == nullptr || m->lockedg != nullptr) return nullptr;
  if (sched_->gcwaiting.load(std::memory_order_relaxed) || sched_->exiting.load(std::memory_order_relaxed))
    return nullptr;
  if (gc::marking()) return nullptr;  // findrunnable decides whether a mark worker runs
  if (sched_->nlockedg.load(std::memory_order_relaxed) != 0) return nullptr;
  if (p->schedtick % 61 == 0 && sched_->runqsize.load(std::memory_order_relaxed) != 0) return nullptr;
  // Due timers send us through findrunnable. Reading the clock costs as much
  // as the rest of a switch, so look every 8th fast schedule only (a few
  // hundred ns at switch rate); sysmon catches a P that stops switching.
  if ((++p->fastticks & 7) == 0) {
    if (std::int64_t when = timers_next(p); when != 0 && when <= nanotime_raw()) return nullptr;
  }
  return runqget(p, inherit);
}

// reschedule leaves gp for another context. REQUIRES: m->locks raised by
// the caller (acquire_m); it is lowered when gp resumes.
void reschedule(M* m, G* gp, Pending what) {
  // During a mark, a goroutine whose stack job is still open does it now,
  // while it is stopped at a known point on its own stack.
  if (__builtin_expect(gc::marking(), 0)) gc::self_scan_if_pending(gp);
  m->pending = what;
  m->pending_g = gp;
  bool inherit = false;
  G* next = fast_next(m, &inherit);
  m->curg.store(nullptr, std::memory_order_relaxed);
  gp->m = nullptr;
  if (next != nullptr) {
    prepare_to_run(next, m->p);
    start_running(m, next, inherit);
  }
  switch_ctx(m, gp, next);
  // Resumed, possibly on another M.
  m = getm();
  finish_pending(m);
  m->locks--;
}

// switch_to_g0_for leaves gp (whose pending work is already recorded, with
// m->locks raised) for the scheduler context; returns when gp is resumed.
void switch_to_g0_for(M* m, G* gp) {
  switch_ctx(m, gp, nullptr);
  m = getm();
  finish_pending(m);
  m->locks--;
}

// goroutine_entry is where every G starts, on its own stack.
static void goroutine_entry(void* arg) {
  G* gp = static_cast<G*>(arg);
  san::after_first_switch();
  M* m = getm();
  finish_pending(m);
  m->locks--;
  try {
    gp->entry.fn(gp->entry.arg);
  } catch (...) {
    detail::on_uncaught_exception(std::current_exception(), gp->id);
  }
  if (gp->entry.destroy != nullptr) gp->entry.destroy(gp->entry.arg);
  gp->entry = {};
  goexit_final(gp);
}

void goexit_final(G* gp) {
  M* m = acquire_m();
  if (gp->lockedm != nullptr) {
    // Exiting while wired to a thread: unwire; the M goes back to the pool.
    gp->lockedm = nullptr;
    m->lockedg = nullptr;
    m->locked_ext = 0;
    sched_->nlockedg.fetch_sub(1, std::memory_order_relaxed);
  }
  if (gp->is_main) main_exited();
  reschedule(m, gp, Pending::kExit);
  debug::fatal("a dead goroutine was resumed");
}

// ---- the scheduler loop (g0) ---------------------------------------------

// gcstopm stops the M for a stop-the-world: its P is parked as stopped.
static void gcstopm(M* m) {
  if (m->spinning) {
    m->spinning = false;
    sched_->nmspinning.fetch_sub(1, std::memory_order_relaxed);
  }
  P* p = releasep(m);
  p->status.store(PStatus::kStopped, std::memory_order_release);
  if (sched_->stopwait.fetch_sub(1, std::memory_order_acq_rel) == 1) sched_->stopnote.wakeup();
  stopm(m);
}

static unsigned fastrand(M* m) {
  unsigned x = m->fastrand_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return m->fastrand_state = x;
}

static unsigned gcd(unsigned a, unsigned b) {
  while (b != 0) {
    unsigned t = a % b;
    a = b;
    b = t;
  }
  return a;
}

// steal_work tries every other P in a random order, 4 times; the last pass
// also takes runnext and runs other Ps' due timers.
static G* steal_work(M* m, std::int64_t now) {
  P* p = m->p;
  unsigned n = static_cast<unsigned>(sched_->gomaxprocs.load(std::memory_order_relaxed));
  for (int pass = 0; pass < 4; pass++) {
    bool last = pass == 3;
    unsigned start = fastrand(m) % n;
    unsigned inc = 1;
    // A stride coprime with n visits every P once.
    for (unsigned c = 1 + fastrand(m) % n; c <= n; c++) {
      if (gcd(c, n) == 1) {
        inc = c;
        break;
      }
    }
    for (unsigned i = 0, id = start; i < n; i++, id = (id + inc) % n) {
      if (sched_->gcwaiting.load(std::memory_order_relaxed)) return nullptr;
      P* victim = sched_->allp[id];
      if (victim == p) continue;
      if (last && timers_next(victim) != 0 && timers_next(victim) <= now) {
        // Run a busy victim's due timers if we can take its timers lock.
        run_timers(victim, now);
        bool inherit;
        if (G* gp = runqget(p, &inherit)) return gp;
      }
      if (victim->status.load(std::memory_order_relaxed) == PStatus::kIdle && runqempty(victim)) continue;
      if (G* gp = runqsteal(p, victim, last)) return gp;
    }
  }
  return nullptr;
}

// findrunnable returns a G for m to run, blocking until there is one; it
// returns nullptr when the runtime exits.
static G* findrunnable(M* m, bool* inherit) {
top:
  *inherit = false;
  if (sched_->exiting.load(std::memory_order_acquire)) return nullptr;
  if (m->p == nullptr) {
    stopm(m);
    goto top;
  }
  if (sched_->gcwaiting.load(std::memory_order_acquire)) {
    gcstopm(m);
    goto top;
  }
  P* p = m->p;
  std::int64_t now = 0;
  if (timers_next(p) != 0) {
    now = nanotime_raw();
    run_timers(p, now);
  }
  if (gc::marking()) {
    if (G* w = gc::find_worker(p, false)) return w;
  }
  if (p->schedtick % 61 == 0 && sched_->runqsize.load(std::memory_order_relaxed) > 0) {
    LockGuard g(sched_->lock);
    if (G* gp = globrunqget(p, 1)) return gp;
  }
  if (G* gp = runqget(p, inherit)) return gp;
  if (sched_->runqsize.load(std::memory_order_relaxed) > 0) {
    LockGuard g(sched_->lock);
    if (G* gp = globrunqget(p, 0)) return gp;
  }
  // Steal, if not too many Ms are spinning already.
  int procs = sched_->gomaxprocs.load(std::memory_order_relaxed);
  if (!m->spinning &&
      2 * sched_->nmspinning.load(std::memory_order_relaxed) < procs - sched_->npidle.load(std::memory_order_relaxed)) {
    m->spinning = true;
    sched_->nmspinning.fetch_add(1, std::memory_order_relaxed);
  }
  if (m->spinning) {
    if (now == 0) now = nanotime_raw();
    if (G* gp = steal_work(m, now)) return gp;
  }
  // Nothing to run: mark in the background if a cycle has work (Go's idle
  // mark worker), else give up the P.
  if (gc::marking()) {
    if (G* w = gc::find_worker(p, true)) return w;
  }
  sched_->lock.lock();
  if (sched_->gcwaiting.load(std::memory_order_relaxed) || sched_->exiting.load(std::memory_order_relaxed)) {
    sched_->lock.unlock();
    goto top;
  }
  if (sched_->runqsize.load(std::memory_order_relaxed) > 0) {
    G* gp = globrunqget(p, 0);
    sched_->lock.unlock();
    return gp;
  }
  if (!runqempty(p)) {  // a timer or goready raced in
    sched_->lock.unlock();
    goto top;
  }
  releasep(m);
  pidleput(p);
  sched_->lock.unlock();
  if (m->spinning) {
    m->spinning = false;
    sched_->nmspinning.fetch_sub(1, std::memory_order_acq_rel);
    // A G may have been readied while we were spinning, whose readier saw us
    // spinning and so woke nobody: look once more before sleeping.
    for (int i = 0; i < procs; i++) {
      P* pp = sched_->allp[i];
      if (!runqempty(pp)) {
        sched_->lock.lock();
        P* got = pidleget(nullptr);
        sched_->lock.unlock();
        if (got != nullptr) {
          acquirep(m, got);
          m->spinning = true;
          sched_->nmspinning.fetch_add(1, std::memory_order_relaxed);
          goto top;
        }
        break;
      }
    }
  }
  // Sleep until the earliest timer of any P: ours, or a busy P's whose M is
  // not scheduling (it will be run by steal_work's last pass).
  std::int64_t when = 0;
  for (int i = 0; i < procs; i++) {
    std::int64_t w = timers_next(sched_->allp[i]);
    if (w != 0 && (when == 0 || w < when)) when = w;
  }
  if (when != 0) {
    std::int64_t wait = when - nanotime_raw();
    stopm(m, wait > 0 ? wait : 0, p);
  } else {
    stopm(m);
  }
  goto top;
}

// startlockedm hands m's P to the M that gp is locked to, and stops m.
static void startlockedm(M* m, G* gp) {
  M* lm = gp->lockedm;
  P* p = releasep(m);
  {
    LockGuard g(sched_->lock);
    sched_->nmidlelocked--;
  }
  lm->nextp = p;
  lm->park.wakeup();
  stopm(m);
}

// stoplockedm: m's locked G cannot run; give the P away and wait until the
// G is runnable and someone hands us a P to run it.
static void stoplockedm(M* m) {
  // Arm the note before giving the P away: the M that dequeues our G may
  // wake us (startlockedm) before we reach sleep().
  m->park.clear();
  if (sched_->exiting.load(std::memory_order_acquire)) return;  // its wake-up may be gone
  {
    LockGuard g(sched_->lock);
    sched_->nmidlelocked++;
  }
  if (m->p != nullptr) handoffp(releasep(m));
  {
    LockGuard g(sched_->lock);
    checkdead();
  }
  m->park.sleep();
  if (m->nextp != nullptr) {
    P* p = m->nextp;
    m->nextp = nullptr;
    acquirep(m, p);
  }
}

static void g0_loop(M* m) {
  for (;;) {
    m = getm();
    finish_pending(m);
    if (m->lockedg != nullptr && !sched_->exiting.load(std::memory_order_acquire)) {
      // A locked M runs only its G. It is runnable in some queue now, or
      // waiting: either way give the P away; whoever dequeues the G hands a
      // P back to us (startlockedm).
      stoplockedm(m);
      if (m->p == nullptr) continue;  // woken for exit
      G* lg = m->lockedg;
      prepare_to_run(lg, m->p);
      start_running(m, lg, false);
      m->locks++;
      switch_ctx(m, nullptr, lg);
      m->locks--;
      continue;
    }
    bool inherit = false;
    G* gp = findrunnable(m, &inherit);
    if (gp == nullptr) return;  // exiting
    if (m->spinning) resetspinning(m);
    if (gp->lockedm != nullptr && gp->lockedm != m) {
      startlockedm(m, gp);
      continue;
    }
    prepare_to_run(gp, m->p);
    start_running(m, gp, inherit);
    m->locks++;
    switch_ctx(m, nullptr, gp);
    m->locks--;
  }
}

static void minit(M* m) {
  setm(m);
  m->tid = static_cast<pid_t>(syscall(SYS_gettid));
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* addr;
    std::size_t size;
    pthread_attr_getstack(&attr, &addr, &size);
    m->g0_lo = reinterpret_cast<std::uintptr_t>(addr);
    m->g0_hi = m->g0_lo + size;
    pthread_attr_destroy(&attr);
  }
  san::m_init(m);
  signals_m_init(m);
  if (m_start_hook.fn != nullptr) m_start_hook.fn(m->id, m_start_hook.arg);
}

static void mexit(M* m) {
  if (m_exit_hook.fn != nullptr) m_exit_hook.fn(m->id, m_exit_hook.arg);
  signals_m_exit(m);
  san::m_exit(m);
  setm(nullptr);
  m->exited.store(true, std::memory_order_release);
  m->owner->ms_running_threads.fetch_sub(1, std::memory_order_acq_rel);
}

static void* mstart(void* arg) {
  M* m = static_cast<M*>(arg);
  minit(m);
  P* p = m->nextp;
  m->nextp = nullptr;
  if (p != nullptr) acquirep(m, p);
  g0_loop(m);
  mexit(m);
  return nullptr;
}

// ---- goroutine creation --------------------------------------------------

static G* newproc_common(M* m) {
  if (sched_ == nullptr) debug::fatal("gort::go called with no runtime running (call it inside gort::run)");
  if (m != nullptr) {
    if (G* cur = m->curg.load(std::memory_order_relaxed);
        cur != nullptr && cur->status.load(std::memory_order_relaxed) == GStatus::kSyscall)
      debug::fatal("gort::go called between enter_syscall and exit_syscall");
  }
  G* gp = gfget(m != nullptr ? m->p : nullptr);
  gp->id = sched_->goidgen.fetch_add(1, std::memory_order_relaxed) + 1;
  gp->sp = nullptr;
  gp->param = nullptr;
  gp->preempt.store(false, std::memory_order_relaxed);
  gp->wait_reason = WaitReason::kNone;
  gp->is_main = false;
  gp->lang_slot = nullptr;
  gp->system = false;
  gp->gc_is_worker = false;
  gp->gc_noscan = false;
  gp->gc_assist_bytes = 0;
  gp->syscall_sp = nullptr;
  return gp;
}

static void newproc_queue(M* m, G* gp) {
  sched_->ngoroutines.fetch_add(1, std::memory_order_relaxed);
  if (gp->system) sched_->nsystem.fetch_add(1, std::memory_order_relaxed);
  if (gc::marking()) gc::on_go_created(gp);  // new goroutines start black
  set_status(gp, GStatus::kDead, GStatus::kRunnable);
  if (m != nullptr && m->p != nullptr) {
    runqput(m->p, gp, true);
  } else {
    LockGuard g(sched_->lock);
    globrunqput(gp);
  }
  // Runtime goroutines (the GC's) park as soon as they run: no need to
  // start an M for them.
  if (!gp->system) wakep();
}

}  // namespace gort::sched

namespace gort {

using namespace gort::sched;

void detail::newproc(GoEntry entry) {
  M* m = acquire_m();
  G* gp = newproc_common(m);
  gp->entry = entry;
  newproc_queue(m, gp);
  release_m(m);
}

void sched::newproc_system(detail::GoEntry entry) {
  M* m = acquire_m();
  G* gp = newproc_common(m);
  gp->system = true;
  gp->entry = entry;
  newproc_queue(m, gp);
  release_m(m);
}

void detail::newproc_inline(GoEntry (*place)(void* storage, void* src), void* src) {
  M* m = acquire_m();
  G* gp = newproc_common(m);
  gp->entry = place(gp->closure, src);
  newproc_queue(m, gp);
  release_m(m);
}

void gosched() {
  M* m = acquire_m();
  if (m == nullptr) return;
  G* gp = m->curg.load(std::memory_order_relaxed);
  if (gp == nullptr) return release_m(m);
  if (m->locks != 1) debug::fatal("gort::gosched called while holding a runtime lock");
  gp->preempt.store(false, std::memory_order_relaxed);
  reschedule(m, gp, Pending::kYield);
}

void preempt_point() {
  M* m = acquire_m();
  if (m == nullptr) return;
  G* gp = m->curg.load(std::memory_order_relaxed);
  if (gp == nullptr || !gp->preempt.load(std::memory_order_relaxed) || m->locks != 1) return release_m(m);
  gp->preempt.store(false, std::memory_order_relaxed);
  reschedule(m, gp, Pending::kPreempt);
}

std::uint64_t goid() {
  G* gp = getg();
  return gp != nullptr ? gp->id : 0;
}

bool in_goroutine() { return getg() != nullptr; }

int num_goroutine() {
  return sched_ != nullptr ? sched_->ngoroutines.load(std::memory_order_relaxed) -
                                 sched_->nsystem.load(std::memory_order_relaxed)
                           : 0;
}

void runtime::on_m_start(MStartHook hook, void* arg) { m_start_hook = {hook, arg}; }
void runtime::on_m_exit(MStartHook hook, void* arg) { m_exit_hook = {hook, arg}; }

runtime::external_wakeups::external_wakeups() {
  if (sched_ == nullptr) debug::fatal("gort::runtime::external_wakeups made with no runtime running");
  sched_->nexternal.fetch_add(1, std::memory_order_acq_rel);
}
runtime::external_wakeups::~external_wakeups() {
  if (sched_ != nullptr) sched_->nexternal.fetch_sub(1, std::memory_order_acq_rel);
}

}  // namespace gort

namespace gort::sched {

void gopark(bool (*unlockf)(G*, void*), void* arg, WaitReason reason) {
  M* m = acquire_m();
  G* gp = m != nullptr ? m->curg.load(std::memory_order_relaxed) : nullptr;
  if (gp == nullptr) debug::fatal("gopark called off a goroutine");
  // The caller may hold exactly the lock that unlockf releases.
  gp->wait_reason = reason;
  m->pending_unlockf = unlockf;
  m->pending_arg = arg;
  reschedule(m, gp, Pending::kPark);
  gp->wait_reason = WaitReason::kNone;
}

void goready(G* gp) {
  M* m = acquire_m();
  cas_status(gp, GStatus::kWaiting, GStatus::kRunnable);
  if (m != nullptr && m->p != nullptr) {
    runqput(m->p, gp, true);
  } else {
    LockGuard g(sched_->lock);
    globrunqput(gp);
  }
  wakep();
  release_m(m);
}

// main_exited starts the shutdown: every M leaves its loop at its next
// schedule; running goroutines are asked to stop.
void main_exited() {
  LockGuard g(sched_->lock);  // newm checks the flag under this lock
  sched_->exiting.store(true, std::memory_order_release);
  for (M* m = sched_->midle; m != nullptr; m = m->schedlink) m->park.wakeup();
  for (M* m = sched_->allm; m != nullptr; m = m->alllink) {
    if (m->lockedg != nullptr) m->park.wakeup();
  }
}

// shutdown_ms waits (up to 2 s) for every other M to leave its loop and
// joins it. An M stuck in a blocking syscall, or running a goroutine that
// never reaches a safe point, is abandoned: detached, and everything it might
// still touch (the Sched, its M and G) is leaked rather than freed.
void shutdown_ms() {
  std::int64_t deadline = nanotime_raw() + 2000LL * 1000 * 1000;
  bool abandoned = false;
  M* allm;
  {
    LockGuard g(sched_->lock);  // pairs with newm (see there)
    allm = sched_->allm;
  }
  for (M* m = allm; m != nullptr; m = m->alllink) {
    if (m->is_m0) continue;
    for (;;) {
      if (m->exited.load(std::memory_order_acquire)) {
        pthread_join(m->thread, nullptr);
        break;
      }
      G* gp = m->curg.load(std::memory_order_acquire);
      bool stuck = gp != nullptr && gp->status.load(std::memory_order_acquire) == GStatus::kSyscall;
      if (stuck || nanotime_raw() > deadline) {
        pthread_detach(m->thread);
        m->owner = nullptr;  // marks it abandoned for free_runtime
        abandoned = true;
        break;
      }
      m->park.wakeup();
      struct timespec ts = {0, 200 * 1000};
      nanosleep(&ts, nullptr);
    }
  }
  sched_->abandoned_ms = abandoned;
}

// free_runtime releases everything run() made, unless an abandoned M may
// still touch it.
void free_runtime() {
  Sched* s = sched_;
  sched_ = nullptr;
  if (s->abandoned_ms) return;  // leaked on purpose (see shutdown_ms)
  for (G* gp = s->allgs; gp != nullptr;) {
    G* next = gp->alllink;
    GStatus st = gp->status.load(std::memory_order_relaxed);
    if (st == GStatus::kRunnable && gp->sp == nullptr && gp->entry.destroy != nullptr) {
      gp->entry.destroy(gp->entry.arg);  // never started: release its closure
    }
#if defined(GORT_ASAN)
    if (st != GStatus::kDead && gp->sp != nullptr && gp->stk.valid()) {
      // A goroutine discarded mid-run (Go's exit semantics) still owns what
      // its frames and closure hold. Keep it, and make its stack a root, so
      // LeakSanitizer does not report those blocks as leaks of the program.
      static std::vector<G*>* discarded = new std::vector<G*>();
      discarded->push_back(gp);
      __lsan_register_root_region(reinterpret_cast<void*>(gp->stk.lo), gp->stk.size());
      gp = next;
      continue;
    }
#endif
    if (st != GStatus::kDead) san::g_destroyed(gp);
    if (gp->stk.valid()) stack::free(gp->stk, -1);
    delete gp;
    gp = next;
  }
  stack::release_all();
  for (int i = 0; i < s->nallp; i++) {
    timers_destroy_p(s->allp[i]);
    delete s->allp[i];
  }
  for (M* m = s->allm; m != nullptr;) {
    M* next = m->alllink;
    delete m;
    m = next;
  }
  delete s;
}

}  // namespace gort::sched

namespace gort::detail {
__attribute__((weak)) void on_uncaught_exception(std::exception_ptr ep, std::uint64_t goid) noexcept {
  char buf[64];
  try {
    std::rethrow_exception(ep);
  } catch (const std::exception& e) {
    debug::write_stderr("panic: ");
    debug::write_stderr(e.what());
  } catch (...) {
    debug::write_stderr("panic: unknown C++ exception");
  }
  std::snprintf(buf, sizeof buf, "\n\ngoroutine %llu [running]:\n", static_cast<unsigned long long>(goid));
  debug::write_stderr(buf);
  _exit(2);
}
}  // namespace gort::detail

namespace gort {

using namespace gort::sched;

static int run_impl(detail::GoEntry main_entry, const Options& opts) {
  if (sched_ != nullptr) debug::fatal("gort::run called while the runtime is already running");
  const debug::Knobs& k = debug::reload_knobs();
  sched_ = new Sched();
  sched_->start_time = nanotime_raw();
  sched_->stack_size = opts.stack_size != 0 ? opts.stack_size : k.stack_size;
  if (opts.main_stack_size != 0) sched_->main_stack_size = opts.main_stack_size;
  int procs = opts.max_procs;
  if (procs > 0 || k.gomaxprocs > 0) sched_->procs_from_user = true;
  if (procs <= 0) procs = k.gomaxprocs;
  if (procs <= 0) procs = default_gomaxprocs();
  if (procs > kMaxProcs) procs = kMaxProcs;

  M* m0 = allocm();
  m0->is_m0 = true;
  m0->id = sched_->mcount++;
  m0->alllink = nullptr;
  sched_->allm = m0;
  sched_->m0 = m0;
  sched_->ms_running_threads.fetch_add(1, std::memory_order_relaxed);
  m0->thread = pthread_self();
  {
    LockGuard g(sched_->lock);
    procresize(procs);
  }
  signals_install();
  minit(m0);
  {
    LockGuard g(sched_->lock);
    acquirep(m0, pidleget(sched_->allp[0]));
  }

  // The main goroutine.
  G* gp = gfget(m0->p);
  gp->id = sched_->goidgen.fetch_add(1, std::memory_order_relaxed) + 1;
  gp->is_main = true;
  gp->entry = main_entry;
  gp->sp = nullptr;
  sched_->ngoroutines.fetch_add(1, std::memory_order_relaxed);
  set_status(gp, GStatus::kDead, GStatus::kRunnable);
  runqput(m0->p, gp, true);

  gc::init_for_run();
  sysmon_start();
  g0_loop(m0);

  // Shutdown: stop sysmon, wait for the other Ms to leave.
  int code = sched_->exit_code;
  shutdown_ms();  // sysmon keeps preempting stragglers meanwhile
  sysmon_stop();
  mexit(m0);
  free_runtime();
  return code;
}

int detail::run_main(std::function<int()> main, Options opts) {
  auto* fn = new std::function<int()>(std::move(main));
  return run_impl({[](void* a) {
                     gc::start_goroutines();
                     sched_->exit_code = (*static_cast<std::function<int()>*>(a))();
                     gc::shutdown_for_run();
                   },
                   [](void* a) { delete static_cast<std::function<int()>*>(a); }, fn},
                  opts);
}

}  // namespace gort
