// time_chan.cc — timer channels (gort/timer.h): after, tick, timer, ticker.
//
// A TimeChan pairs a runtime timer (sched/timer.h) with a channel of
// int64 nanotimes, buffered with one slot. When the timer fires, its
// function does a non-blocking send of the firing time: a value nobody
// read yet makes the new one drop, which is how Go's tickers skip ticks for
// a slow reader. stop/reset discard an unread value afterwards, so that (as
// in Go 1.23) no stale time is received after they return.
//
// Lifetime: a TimeChan is reference counted: one reference per owner (a
// gort::timer/ticker object), plus one held by the runtime timer while it is
// armed (the "armed" reference). Whoever disarms it drops that reference:
// fire() for a one-shot timer, stop()/reset()/release() when timer_stop
// reports it was still pending. after() keeps no owner reference, so its
// TimeChan frees itself when it fires; the channel outlives it in the
// hands of its receivers.
//
// This relies on sched/timer.h's contract that once f has returned for a
// one-shot arming, or once timer_stop/timer_reset has returned, f is not
// running and the timer code does not touch the Timer again until it is
// re-armed (see the note in the channels issue report).
//
// Locks: `lock` (rank timechan, before the P timers lock and hchan)
// serializes the owner's stop/reset/release of one TimeChan; fire() takes
// none of its own, only the channel's.
#include <atomic>
#include <cstdint>

#include "chan/chan.h"
#include "gort/time.h"
#include "gort/timer.h"
#include "lang/panic.h"
#include "sched/lock.h"
#include "sched/timer.h"

namespace gort::time_detail {

struct TimeChan {
  sched::Timer t;
  chan_detail::Hchan* c = nullptr;       // one channel reference, dropped on free
  std::atomic<std::uint32_t> refs{0};
  sched::Lock lock;                      // serializes the owner's stop/reset
};

namespace {

void unref(TimeChan* tc) {
  if (tc->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  chan_detail::release(tc->c);
  delete tc;
}

// fire runs on a scheduler thread when the timer expires.
void fire(void* arg, std::int64_t now) {
  auto* tc = static_cast<TimeChan*>(arg);
  std::int64_t v = now;
  chan_detail::try_send(tc->c, &v);  // full: a slow reader; drop this tick
  if (tc->t.period == 0) unref(tc);  // one-shot: the armed reference ends here
}

// drain discards a fired but unreceived value.
void drain(TimeChan* tc) {
  std::int64_t v;
  bool ok;
  chan_detail::try_recv(tc->c, &v, &ok);
}

}  // namespace

std::int64_t ticker_period(std::int64_t ns) {
  if (ns <= 0) lang::panic_runtime_error("non-positive interval for NewTicker");
  return ns;
}

TimeChan* make(std::int64_t ns, std::int64_t period_ns, chan_detail::Hchan** c) {
  auto* tc = new TimeChan();
  tc->c = chan_detail::make(&chan_detail::ElemOpsFor<std::int64_t>::ops, 1);
  tc->t.f = &fire;
  tc->t.arg = tc;
  tc->t.period = period_ns;
  tc->refs.store(2, std::memory_order_relaxed);  // the caller's and the armed one
  chan_detail::retain(tc->c);
  *c = tc->c;
  sched::timer_start(&tc->t, gort::nanotime() + (ns > 0 ? ns : 0));
  return tc;
}

bool stop(TimeChan* tc) {
  sched::LockGuard g(tc->lock);
  bool pending = sched::timer_stop(&tc->t);
  // A stopped timer drops its armed reference (the owner's keeps tc alive).
  if (pending) tc->refs.fetch_sub(1, std::memory_order_acq_rel);
  drain(tc);
  return pending;
}

bool reset(TimeChan* tc, std::int64_t ns, std::int64_t period_ns) {
  sched::LockGuard g(tc->lock);
  bool pending = sched::timer_stop(&tc->t);
  if (!pending) tc->refs.fetch_add(1, std::memory_order_relaxed);  // re-arming: a new armed ref
  drain(tc);
  tc->t.period = period_ns;
  sched::timer_start(&tc->t, gort::nanotime() + (ns > 0 ? ns : 0));
  return pending;
}

void release(TimeChan* tc) {
  if (tc == nullptr) return;
  {
    sched::LockGuard g(tc->lock);
    if (sched::timer_stop(&tc->t)) tc->refs.fetch_sub(1, std::memory_order_acq_rel);
  }
  unref(tc);
}

chan<std::int64_t> after_ns(std::int64_t ns) {
  chan_detail::Hchan* c = nullptr;
  TimeChan* tc = make(ns, 0, &c);
  unref(tc);  // no owner: the armed reference alone keeps it until it fires
  return chan<std::int64_t>::adopt(c);
}

chan<std::int64_t> tick_ns(std::int64_t ns) {
  if (ns <= 0) return {};
  chan_detail::Hchan* c = nullptr;
  make(ns, ns, &c);  // never stopped: the owner reference is leaked, as Go's time.Tick
  return chan<std::int64_t>::adopt(c);
}

}  // namespace gort::time_detail
