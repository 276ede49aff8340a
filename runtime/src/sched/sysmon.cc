// sysmon.cc — the system monitor: a thread without a P that watches the
// scheduler and intervenes (Go's sysmon).
//
// Every tick (20 us, backing off to 10 ms while there is nothing to do, and
// never sleeping past the next timer) it:
//  - preempts a G that has run for 10 ms without a schedule (same
//    schedtick for 10 ms): cooperative flag plus SIGURG (preempt.cc);
//  - retakes a P whose M has been in a syscall since the last tick (at
//    least 20 us) when there is other work for it, no spinning or idle P to
//    take that work, or the syscall has lasted 10 ms;
//  - starts an M for an idle P whose timer is due;
//  - preempts the G of a running P whose timer is overdue by more than
//    kTimerSlack (GODEBUG=timerpreempt=0 disables), so timers fire on time
//    even when every P is busy;
//  - re-reads the CPU limit once a second and applies a new GOMAXPROCS
//    (unless the user fixed it);
//  - prints GODEBUG=schedtrace lines.
// sysmon speeds up (back to 20 us) only after handing a P away (syscall
// retake, an idle P's due timer); preempting does not reset its back-off.
// sysmon takes the sched lock only to hand Ps around; it reads P and M
// fields racily (they are atomics, and P and M objects live until shutdown).
#include <sys/prctl.h>

#include <thread>

#include "debug/knobs.h"
#include "gc/mgc.h"
#include "sched/proc.h"
#include "sched/runtime2.h"

namespace gort::sched {

namespace {
constexpr std::int64_t kForcePreemptNs = 10 * 1000 * 1000;
constexpr std::int64_t kSyscallRetakeNs = 20 * 1000;
constexpr std::int64_t kTimerSlack = 100 * 1000;
constexpr std::int64_t kMinDelay = 20 * 1000, kMaxDelay = 10 * 1000 * 1000;

std::thread* sysmon_thread;
Note sysmon_note;
std::atomic<bool> sysmon_stop_flag{false};
std::atomic<std::int64_t> sysmon_wake_at{0};
std::atomic<std::int64_t> g_coarse_now{0};
std::atomic<int> g_timerpreempt_override{-1};  // -1: follow the knob

void apply_new_procs(void*);

bool retake(std::int64_t now) {
  bool did = false;
  int procs = sched_->gomaxprocs.load(std::memory_order_acquire);
  const bool timerpreempt = timer_preempt_enabled();
  for (int i = 0; i < procs; i++) {
    P* p = sched_->allp[i];
    PStatus s = p->status.load(std::memory_order_acquire);
    if (s == PStatus::kRunning) {
      std::uint32_t tick = __atomic_load_n(&p->schedtick, __ATOMIC_RELAXED);
      if (tick != p->sm_schedtick) {
        p->sm_schedtick = tick;
        p->sm_schedwhen = now;
      } else if (now - p->sm_schedwhen >= kForcePreemptNs) {
        preemptone(p);
        p->sm_schedwhen = now - kForcePreemptNs + 1000 * 1000;  // retry in 1 ms
        continue;
      }
      // Preemptions do not count as "did something": polling faster would
      // not make them work sooner, and a 20 us poll steals CPU from the
      // very goroutines being preempted (measured: -21% spinner throughput
      // with a 1 ms ticker on 2 vCPUs).
      if (timerpreempt) {
        std::int64_t when = timers_next(p);
        if (when != 0 && now - when >= kTimerSlack) preemptone(p);
      }
    } else if (s == PStatus::kSyscall) {
      std::uint32_t t = p->syscalltick.load(std::memory_order_relaxed);
      if (t != p->sm_syscalltick) {
        p->sm_syscalltick = t;
        p->sm_syscallwhen = now;
        continue;
      }
      if (now - p->sm_syscallwhen < kSyscallRetakeNs) continue;
      bool work = !runqempty(p) || sched_->runqsize.load(std::memory_order_relaxed) > 0 ||
                  (timers_next(p) != 0 && timers_next(p) <= now);
      bool helpers = sched_->nmspinning.load(std::memory_order_relaxed) +
                         sched_->npidle.load(std::memory_order_relaxed) > 0;
      if (!work && helpers && now - p->sm_syscallwhen < kForcePreemptNs) continue;
      PStatus want = PStatus::kSyscall;
      if (p->status.compare_exchange_strong(want, PStatus::kIdle, std::memory_order_acq_rel)) {
        p->m.store(nullptr, std::memory_order_relaxed);
        handoffp(p);
        did = true;
      }
    } else if (s == PStatus::kIdle) {
      std::int64_t when = timers_next(p);
      if (when != 0 && when <= now) {
        P* got;
        {
          LockGuard g(sched_->lock);
          got = (p->status.load(std::memory_order_relaxed) == PStatus::kIdle) ? pidleget(p) : nullptr;
        }
        if (got != nullptr) {
          startm(got, false);
          did = true;
        }
      }
    }
  }
  return did;
}

// next_wake returns when sysmon should next look at timers (0: no timers):
// at `when` for an idle P (nobody else will run it), at `when` plus the
// slack for a running P (its own schedule gets the first chance).
// A running P's timer that is already past its slack has been dealt with
// (preempted) or is left to the P (timerpreempt=0): it must not make sysmon
// poll at its minimum period until the P gets round to it.
std::int64_t next_wake(std::int64_t now) {
  std::int64_t best = 0;
  int procs = sched_->gomaxprocs.load(std::memory_order_acquire);
  for (int i = 0; i < procs; i++) {
    P* p = sched_->allp[i];
    std::int64_t w = timers_next(p);
    if (w == 0) continue;
    if (p->status.load(std::memory_order_relaxed) != PStatus::kIdle) {
      w += kTimerSlack;
      if (w <= now) {
        if (!timer_preempt_enabled()) continue;
        w = now + 1000 * 1000;  // preempted already: look again in 1 ms
      }
    }
    if (best == 0 || w < best) best = w;
  }
  return best;
}

void sysmon_main() {
  prctl(PR_SET_NAME, "gort-sysmon");
  prctl(PR_SET_TIMERSLACK, 1UL);  // wake on time for timers
  std::int64_t delay = kMinDelay;
  int idle = 0;
  std::int64_t last_procs_check = nanotime_raw();
  std::int64_t last_trace = last_procs_check;
  const debug::Knobs& k = debug::knobs();
  while (!sysmon_stop_flag.load(std::memory_order_acquire)) {
    std::int64_t now = nanotime_raw();
    std::int64_t sleep = delay;
    if (std::int64_t nt = next_wake(now); nt != 0) {
      std::int64_t until = nt - now;
      if (until < sleep) sleep = until < kMinDelay ? kMinDelay : until;
    }
    sysmon_wake_at.store(now + sleep, std::memory_order_release);
    sysmon_note.clear();
    if (!sysmon_stop_flag.load(std::memory_order_acquire)) sysmon_note.tsleep(sleep);
    sysmon_wake_at.store(0, std::memory_order_release);
    if (sysmon_stop_flag.load(std::memory_order_acquire)) break;
    now = nanotime_raw();
    g_coarse_now.store(now, std::memory_order_relaxed);
    gc::limiter_tick(now);  // the GC CPU limiter's periodic update
    if (sched_->exiting.load(std::memory_order_acquire)) {
      // Keep asking running goroutines to stop so their Ms can leave.
      int procs = sched_->gomaxprocs.load(std::memory_order_acquire);
      for (int i = 0; i < procs; i++) {
        if (sched_->allp[i]->status.load(std::memory_order_acquire) == PStatus::kRunning) preemptone(sched_->allp[i]);
      }
      delay = 1000 * 1000;
      continue;
    }
    if (retake(now)) {
      idle = 0;
      delay = kMinDelay;
    } else if (++idle > 50 && delay < kMaxDelay) {
      delay *= 2;
      if (delay > kMaxDelay) delay = kMaxDelay;
    }
    if (!sched_->procs_from_user && now - last_procs_check >= 1000 * 1000 * 1000) {
      last_procs_check = now;
      int want = default_gomaxprocs();
      if (want != sched_->gomaxprocs.load(std::memory_order_relaxed)) {
        // Resizing stops the world, which needs a goroutine.
        detail::newproc({apply_new_procs, nullptr, reinterpret_cast<void*>(static_cast<std::intptr_t>(want))});
      }
    }
    if (k.schedtrace_ms > 0 && now - last_trace >= static_cast<std::int64_t>(k.schedtrace_ms) * 1000000) {
      last_trace = now;
      schedtrace(k.scheddetail);
    }
  }
}

void apply_new_procs(void* arg) {
  int want = static_cast<int>(reinterpret_cast<std::intptr_t>(arg));
  if (sched_->procs_from_user) return;
  stop_the_world("GOMAXPROCS from the CPU limit");
  {
    LockGuard g(sched_->lock);
    procresize(want);
  }
  start_the_world();
}

}  // namespace

bool timer_preempt_enabled() {
  int o = g_timerpreempt_override.load(std::memory_order_relaxed);
  return o >= 0 ? o != 0 : debug::knobs().timerpreempt;
}
void set_timer_preempt(bool on) { g_timerpreempt_override.store(on ? 1 : 0, std::memory_order_relaxed); }
void clear_timer_preempt_override() { g_timerpreempt_override.store(-1, std::memory_order_relaxed); }

std::int64_t coarse_now() {
  std::int64_t t = g_coarse_now.load(std::memory_order_relaxed);
  return t != 0 ? t : nanotime_raw();
}

void sysmon_note_timer(std::int64_t when) {
  std::int64_t at = sysmon_wake_at.load(std::memory_order_acquire);
  if (at != 0 && when + kTimerSlack < at) sysmon_note.wakeup();
}

void sysmon_start() {
  sysmon_stop_flag.store(false, std::memory_order_release);
  g_coarse_now.store(nanotime_raw(), std::memory_order_relaxed);
  sysmon_thread = new std::thread(sysmon_main);
}

void sysmon_stop() {
  sysmon_stop_flag.store(true, std::memory_order_release);
  sysmon_note.wakeup();
  sysmon_thread->join();
  delete sysmon_thread;
  sysmon_thread = nullptr;
}

}  // namespace gort::sched
