// timer.h — runtime timers on per-P heaps (Go's runtime timers).
//
// A Timer lives in the heap of the P it was started on, ordered by `when`.
// A P runs its expired timers whenever it schedules; an idle M sleeps until
// the earliest timer of the idle Ps; sysmon notices overdue timers on a P
// whose goroutine keeps running and preempts it (GODEBUG=timerpreempt=0 turns
// that off). f runs on a scheduler thread with no runtime lock held; it must
// not block or park (goready, a non-blocking channel send are fine).
//
// Locks: each P's timers lock (rank: timers) is taken by start/stop/reset
// and by the P running its timers; f runs with it released.
#pragma once

#include <cstdint>

namespace gort::sched {

struct TimerHeap;

struct Timer {
  // f(arg, now) runs when the timer fires; `now` is the time it ran.
  void (*f)(void* arg, std::int64_t now) = nullptr;
  void* arg = nullptr;
  // period > 0 makes a ticker: after firing, when += period (catching up to
  // the present without firing once per missed period, as Go's tickers).
  std::int64_t period = 0;

  // Owned by the timer code; guarded by the owning heap's lock.
  std::int64_t when = 0;
  TimerHeap* heap = nullptr;  // non-null while the timer is pending
  int index = -1;             // position in heap
  std::uint32_t seq = 0;      // bumped by every start/stop/reset
  bool running = false;       // f is being run right now
};

// timer_start arms t to fire at absolute time `when` (nanotime()).
// REQUIRES: t is not pending.
void timer_start(Timer* t, std::int64_t when);
// timer_stop disarms t; true when it was pending (so f will not run for that
// arming), false when it had already fired or was never started. It does not
// wait for an f that is running right now.
bool timer_stop(Timer* t);
// timer_reset re-arms t at `when`; returns whether it was pending before.
bool timer_reset(Timer* t, std::int64_t when);

// timer_preempt_enabled reports whether sysmon preempts a P whose timer is
// overdue (GODEBUG=timerpreempt, default on). set_timer_preempt overrides
// the knob at run time, for benchmarks that show the mechanism on and off
// in one process; TimerPreemptScope does it for a scope.
bool timer_preempt_enabled();
void set_timer_preempt(bool on);
void clear_timer_preempt_override();
class TimerPreemptScope {
 public:
  explicit TimerPreemptScope(bool on) { set_timer_preempt(on); }
  ~TimerPreemptScope() { clear_timer_preempt_override(); }
  TimerPreemptScope(const TimerPreemptScope&) = delete;
  TimerPreemptScope& operator=(const TimerPreemptScope&) = delete;
};

}  // namespace gort::sched
