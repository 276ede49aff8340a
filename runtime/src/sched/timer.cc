// timer.cc — per-P timer heaps (see timer.h), sleep, and time.
//
// Each P owns a binary min-heap of Timers ordered by `when`, guarded by the
// heap's lock. next_when mirrors the root (0 when empty) so the scheduler's
// fast path and sysmon can look without locking. Who runs timers:
//  - the P's own M, whenever it schedules past next_when (proc.cc);
//  - a spinning M, for a busy victim's due timers (steal_work);
//  - for idle Ps, sysmon wakes an M with that P at the right time;
//  - for a P whose goroutine keeps running, sysmon preempts it once a timer
//    is overdue (timerpreempt, issue 9: Go leaves it until the next
//    schedule, 10-20 ms late under saturation).
// Firing: a one-shot timer is removed, a ticker re-armed, the lock dropped,
// then f(arg, now) runs. After f returns the Timer is not touched again (its
// owner may already have freed it).
#include <vector>

#include "debug/fatal.h"
#include "gort/time.h"
#include "sched/proc.h"
#include "sched/runtime2.h"

namespace gort::sched {

struct TimerHeap {
  Lock lock;  // rank: timers (after sched)
  std::vector<Timer*> heap;
  std::atomic<std::int64_t> next_when{0};
  P* p = nullptr;
};

void sysmon_note_timer(std::int64_t when);  // sysmon.cc

namespace {

void sift_up(TimerHeap* h, int i) {
  Timer* t = h->heap[i];
  while (i > 0) {
    int parent = (i - 1) / 2;
    if (h->heap[parent]->when <= t->when) break;
    h->heap[i] = h->heap[parent];
    h->heap[i]->index = i;
    i = parent;
  }
  h->heap[i] = t;
  t->index = i;
}

void sift_down(TimerHeap* h, int i) {
  int n = static_cast<int>(h->heap.size());
  Timer* t = h->heap[i];
  for (;;) {
    int c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && h->heap[c + 1]->when < h->heap[c]->when) c++;
    if (t->when <= h->heap[c]->when) break;
    h->heap[i] = h->heap[c];
    h->heap[i]->index = i;
    i = c;
  }
  h->heap[i] = t;
  t->index = i;
}

void update_next(TimerHeap* h) {
  h->next_when.store(h->heap.empty() ? 0 : h->heap[0]->when, std::memory_order_release);
}

void push(TimerHeap* h, Timer* t) {
  __atomic_store_n(&t->heap, h, __ATOMIC_RELEASE);
  h->heap.push_back(t);
  sift_up(h, static_cast<int>(h->heap.size()) - 1);
  update_next(h);
}

void remove_at(TimerHeap* h, int i) {
  Timer* t = h->heap[i];
  Timer* last = h->heap.back();
  h->heap.pop_back();
  if (last != t) {
    h->heap[i] = last;
    last->index = i;
    sift_down(h, i);
    sift_up(h, last->index);
  }
  __atomic_store_n(&t->heap, static_cast<TimerHeap*>(nullptr), __ATOMIC_RELEASE);
  t->index = -1;
  update_next(h);
}

// lock_timer locks the heap t is in and returns it (nullptr: not pending).
TimerHeap* lock_timer(Timer* t) {
  for (;;) {
    TimerHeap* h = __atomic_load_n(&t->heap, __ATOMIC_ACQUIRE);
    if (h == nullptr) return nullptr;
    h->lock.lock();
    if (__atomic_load_n(&t->heap, __ATOMIC_RELAXED) == h) return h;
    h->lock.unlock();
  }
}

// current_heap: REQUIRES m->locks raised (the P cannot change under us).
TimerHeap* current_heap(M* m) {
  if (m != nullptr && m->p != nullptr) return m->p->timers;
  if (sched_ == nullptr) debug::fatal("timer started with no runtime running");
  return sched_->allp[0]->timers;
}

}  // namespace

void timers_init_p(P* p) {
  p->timers = new TimerHeap();
  p->timers->p = p;
}

void timers_destroy_p(P* p) {
  delete p->timers;
  p->timers = nullptr;
}

std::int64_t timers_next(P* p) { return p->timers->next_when.load(std::memory_order_acquire); }

void timers_move(P* from, P* to) {
  // REQUIRES: world stopped. Lock order between two heaps does not matter
  // then: nobody else can take either.
  LockGuard a(from->timers->lock);
  LockGuard b(to->timers->lock);
  for (Timer* t : from->timers->heap) push(to->timers, t);
  from->timers->heap.clear();
  update_next(from->timers);
}

void timer_start(Timer* t, std::int64_t when) {
  if (__atomic_load_n(&t->heap, __ATOMIC_ACQUIRE) != nullptr) debug::fatal("timer_start: timer already pending");
  M* m = acquire_m();
  TimerHeap* h = current_heap(m);
  {
    LockGuard g(h->lock);
    t->when = when;
    t->seq++;
    push(h, t);
  }
  release_m(m);
  sysmon_note_timer(when);
}

bool timer_stop(Timer* t) {
  TimerHeap* h = lock_timer(t);
  if (h == nullptr) return false;
  remove_at(h, t->index);
  t->seq++;
  h->lock.unlock();
  return true;
}

bool timer_reset(Timer* t, std::int64_t when) {
  bool was = timer_stop(t);
  timer_start(t, when);
  return was;
}

std::int64_t run_timers(P* p, std::int64_t now) {
  TimerHeap* h = p->timers;
  if (h->next_when.load(std::memory_order_acquire) == 0) return 0;
  if (!h->lock.try_lock()) return h->next_when.load(std::memory_order_acquire);
  while (!h->heap.empty() && h->heap[0]->when <= now) {
    Timer* t = h->heap[0];
    auto f = t->f;
    void* arg = t->arg;
    std::int64_t rearmed = 0;
    if (t->period > 0) {
      // Re-arm, skipping periods that were missed entirely.
      std::int64_t missed = (now - t->when) / t->period;
      t->when += (missed + 1) * t->period;
      rearmed = t->when;
      sift_down(h, 0);
      update_next(h);
    } else {
      remove_at(h, 0);
    }
    h->lock.unlock();
    if (rearmed != 0) sysmon_note_timer(rearmed);  // as timer_start does
    f(arg, now);
    h->lock.lock();
  }
  std::int64_t next = h->next_when.load(std::memory_order_relaxed);
  h->lock.unlock();
  return next;
}

}  // namespace gort::sched

namespace gort {

std::int64_t nanotime() { return sched::nanotime_raw(); }

namespace {
struct SleepState {
  sched::Timer t;
  std::int64_t when;
  sched::G* gp;
};
}  // namespace

void sleep_ns(std::int64_t ns) {
  using namespace gort::sched;
  if (ns <= 0) {
    preempt_point();
    return;
  }
  G* gp = getg();
  if (gp == nullptr) {
    // Not a goroutine: sleep the thread.
    struct timespec ts = {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    while (nanosleep(&ts, &ts) != 0) {
    }
    return;
  }
  SleepState st;
  st.gp = gp;
  st.when = nanotime_raw() + ns;
  st.t.f = [](void* arg, std::int64_t) { goready(static_cast<SleepState*>(arg)->gp); };
  st.t.arg = &st;
  // The timer is armed only once this G is parked (in unlockf), so that its
  // goready can never race ahead of the park.
  gopark([](G*, void* arg) {
    auto* s = static_cast<SleepState*>(arg);
    timer_start(&s->t, s->when);
    return true;
  }, &st, WaitReason::kSleep);
}

}  // namespace gort
