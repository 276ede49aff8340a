// time_chan.cc — timer channels (gort/timer.h): after, tick, timer, ticker.
//
// A TimeChan pairs a runtime timer (sched/timer.h) with a channel of
// int64 nanotimes, buffered with one slot. When the timer fires, its
// function does a non-blocking send of the firing time: a value nobody
// read yet makes the new one drop, which is how Go's tickers skip ticks for
// a slow reader. stop/reset discard an unread value afterwards, so that (as
// in Go 1.23) no stale time is received after they return.
//
// Arming. Every TimeChan uses one-shot runtime timers, tickers included:
// a ticker's fire() re-arms it for the next period itself. That way a
// disarm either cancels a pending arming (timer_stop returns true) or knows
// that its fire() is in flight (popped from the heap, f running or about to
// run: timer.cc removes a one-shot timer before calling f, and never touches
// it after f returns). An in-flight fire that was disarmed meanwhile is
// told to skip (`skip`), so stop/reset never let a stale value through, and
// never free the object under a running fire().
//
// Lifetime: reference counted: one reference per owner (a gort::timer or
// gort::ticker object) and one per arming, dropped by whoever ends that
// arming: fire() (one-shot), or a disarm that cancelled it. A ticker's
// fire() hands its arming's reference on to the next arming. after() keeps
// no owner reference, so its TimeChan frees itself once it has fired; the
// channel outlives it in the hands of its receivers. (An after() still
// pending when gort::run returns is left behind, as Go leaves it to exit.)
//
// Locks: TimeChan::lock (rank timechan: before a P's timers lock and before
// hchan) guards armed/skip/period/next_when and serializes arming and
// disarming against fire(). fire() runs with no timers lock held (timer.h).
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
  sched::Timer t;                       // always one-shot (t.period == 0)
  chan_detail::Hchan* c = nullptr;      // one channel reference, dropped on free
  std::atomic<std::uint32_t> refs{0};
  sched::Lock lock;
  std::int64_t period = 0;              // > 0: a ticker. Guarded by lock.
  std::int64_t next_when = 0;           // when the current arming fires. Guarded by lock.
  bool armed = false;                   // an arming fire() has not processed yet. Guarded by lock.
  std::uint32_t skip = 0;               // in-flight fires to ignore. Guarded by lock.
  TimeChan* next_immortal = nullptr;    // tick(): the list of never-stopped tickers
};

namespace {

void unref(TimeChan* tc) {
  if (tc->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  chan_detail::release(tc->c);
  delete tc;
}

// arm starts an arming at `when`; the caller supplies its reference
// (take_ref) or hands one on. REQUIRES tc->lock.
void arm(TimeChan* tc, std::int64_t when, bool take_ref) {
  if (take_ref) tc->refs.fetch_add(1, std::memory_order_relaxed);
  tc->armed = true;
  tc->next_when = when;
  sched::timer_start(&tc->t, when);
}

// disarm ends the current arming, if any; true when it was still pending
// (it will not fire). REQUIRES tc->lock, and a reference besides the
// arming's (the caller's).
bool disarm(TimeChan* tc) {
  if (!tc->armed) return false;
  tc->armed = false;
  if (sched::timer_stop(&tc->t)) {
    tc->refs.fetch_sub(1, std::memory_order_acq_rel);  // cannot reach zero: the caller's remains
    return true;
  }
  tc->skip++;  // its fire() is in flight: it will skip and drop the reference
  return false;
}

// drain discards a fired but unreceived value. REQUIRES tc->lock.
void drain(TimeChan* tc) {
  std::int64_t v;
  bool ok;
  chan_detail::try_recv(tc->c, &v, &ok);
}

// fire runs on a scheduler thread when an arming expires.
void fire(void* arg, std::int64_t now) {
  auto* tc = static_cast<TimeChan*>(arg);
  tc->lock.lock();
  if (tc->skip > 0) {  // disarmed while in flight
    tc->skip--;
    tc->lock.unlock();
    unref(tc);
    return;
  }
  tc->armed = false;
  std::int64_t v = now;
  chan_detail::try_send(tc->c, &v);  // full: a slow reader; drop this tick
  if (tc->period > 0) {
    // Next tick: skip the periods missed entirely, as Go's tickers do.
    std::int64_t next = tc->next_when + tc->period;
    if (next <= now) next += ((now - next) / tc->period + 1) * tc->period;
    arm(tc, next, /*take_ref=*/false);  // this arming's reference carries over
    tc->lock.unlock();
    return;
  }
  tc->lock.unlock();
  unref(tc);
}

TimeChan* make_unowned(std::int64_t ns, std::int64_t period_ns, chan_detail::Hchan** c) {
  auto* tc = new TimeChan();
  tc->c = chan_detail::make(&chan_detail::ElemOpsFor<std::int64_t>::ops, 1);
  tc->t.f = &fire;
  tc->t.arg = tc;
  tc->period = period_ns;
  chan_detail::retain(tc->c);
  *c = tc->c;
  sched::LockGuard g(tc->lock);
  arm(tc, gort::nanotime() + (ns > 0 ? ns : 0), /*take_ref=*/true);
  return tc;
}

}  // namespace

std::int64_t ticker_period(std::int64_t ns) {
  if (ns <= 0) lang::panic_runtime_error("non-positive interval for NewTicker");
  return ns;
}

TimeChan* make(std::int64_t ns, std::int64_t period_ns, chan_detail::Hchan** c) {
  // The owner's reference first, so an arming that fires at once cannot free it.
  auto* tc = new TimeChan();
  tc->refs.store(1, std::memory_order_relaxed);
  tc->c = chan_detail::make(&chan_detail::ElemOpsFor<std::int64_t>::ops, 1);
  tc->t.f = &fire;
  tc->t.arg = tc;
  tc->period = period_ns;
  chan_detail::retain(tc->c);
  *c = tc->c;
  sched::LockGuard g(tc->lock);
  arm(tc, gort::nanotime() + (ns > 0 ? ns : 0), /*take_ref=*/true);
  return tc;
}

bool stop(TimeChan* tc) {
  sched::LockGuard g(tc->lock);
  bool pending = disarm(tc);
  drain(tc);
  return pending;
}

bool reset(TimeChan* tc, std::int64_t ns, std::int64_t period_ns) {
  sched::LockGuard g(tc->lock);
  bool pending = disarm(tc);
  drain(tc);
  tc->period = period_ns;
  arm(tc, gort::nanotime() + (ns > 0 ? ns : 0), /*take_ref=*/true);
  return pending;
}

void release(TimeChan* tc) {
  if (tc == nullptr) return;
  {
    sched::LockGuard g(tc->lock);
    disarm(tc);
  }
  unref(tc);
}

chan<std::int64_t> after_ns(std::int64_t ns) {
  chan_detail::Hchan* c = nullptr;
  make_unowned(ns, 0, &c);  // only the arming holds it: freed when it fires
  return chan<std::int64_t>::adopt(c);
}

namespace {
// Tickers made by tick() are never stopped (as Go's time.Tick before Go 1.23
// let the collector take them): they live for the process, on this list, so
// leak checkers see them as reachable rather than lost.
std::atomic<TimeChan*> immortal_tickers{nullptr};
}  // namespace

chan<std::int64_t> tick_ns(std::int64_t ns) {
  if (ns <= 0) return {};
  chan_detail::Hchan* c = nullptr;
  TimeChan* tc = make(ns, ns, &c);  // the owner reference stays with the list
  TimeChan* head = immortal_tickers.load(std::memory_order_relaxed);
  do {
    tc->next_immortal = head;
  } while (!immortal_tickers.compare_exchange_weak(head, tc, std::memory_order_release,
                                                   std::memory_order_relaxed));
  return chan<std::int64_t>::adopt(c);
}

}  // namespace gort::time_detail
