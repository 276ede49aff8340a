// gort/timer.h — channels that deliver the time (Go's time.After, time.Tick,
// time.Timer, time.Ticker), on the runtime's per-P timers.
//
//   gort::select(gort::recv(work), gort::recv(gort::after(100ms), [](auto) { timeout(); }));
//   gort::ticker t(1ms);
//   for (int i = 0; i < 10; ++i) t.c().recv();
//   t.stop();
//
// Each channel carries the nanotime() (CLOCK_MONOTONIC ns) at which the
// timer fired, and has a buffer of one: a tick that finds the previous one
// still unread is dropped (tickers do not queue up, as in Go). As in Go 1.23,
// stop() and reset() also discard a value that fired but was not yet
// received, so no stale time is read after them. Implementation:
// runtime/src/chan/time_chan.cc.
#pragma once

#include <chrono>
#include <cstdint>

#include "gort/chan.h"

namespace gort {

namespace time_detail {
struct TimeChan;
// make arms a timer at now+ns (period_ns > 0: a ticker) and returns it with
// one reference for the caller; *c gets a reference to its channel.
TimeChan* make(std::int64_t ns, std::int64_t period_ns, chan_detail::Hchan** c);
// stop disarms; true when it was armed (so it did not fire for that arming).
bool stop(TimeChan* t);
// reset re-arms at now+ns (with period_ns for a ticker); true when it was armed.
bool reset(TimeChan* t, std::int64_t ns, std::int64_t period_ns);
// release drops the caller's reference, disarming the timer.
void release(TimeChan* t);

template <class Rep, class Period>
std::int64_t to_ns(std::chrono::duration<Rep, Period> d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}
// ticker_period returns ns, panicking when it is not positive (as Go's NewTicker).
std::int64_t ticker_period(std::int64_t ns);
chan<std::int64_t> after_ns(std::int64_t ns);
chan<std::int64_t> tick_ns(std::int64_t ns);
}  // namespace time_detail

// after returns a channel that receives the time once d has passed (Go's
// time.After). The timer frees itself after firing.
template <class Rep, class Period>
chan<std::int64_t> after(std::chrono::duration<Rep, Period> d) {
  return time_detail::after_ns(time_detail::to_ns(d));
}

// tick returns a channel that receives the time every d (Go's time.Tick):
// a ticker that is never stopped. d <= 0 returns the nil channel, as Go.
template <class Rep, class Period>
chan<std::int64_t> tick(std::chrono::duration<Rep, Period> d) {
  return time_detail::tick_ns(time_detail::to_ns(d));
}

// timer is Go's time.Timer: its channel c() receives the time once, after d.
// Destroying it stops it.
class timer {
 public:
  template <class Rep, class Period>
  explicit timer(std::chrono::duration<Rep, Period> d) : timer(time_detail::to_ns(d), 0) {}
  timer(const timer&) = delete;
  timer& operator=(const timer&) = delete;
  ~timer() { time_detail::release(t_); }

  const chan<std::int64_t>& c() const { return c_; }
  // stop prevents the timer from firing; true when it was still armed.
  bool stop() { return time_detail::stop(t_); }
  // reset re-arms it to fire after d; true when it had been armed.
  template <class Rep, class Period>
  bool reset(std::chrono::duration<Rep, Period> d) {
    return time_detail::reset(t_, time_detail::to_ns(d), 0);
  }

 protected:
  timer(std::int64_t ns, std::int64_t period) {
    chan_detail::Hchan* c = nullptr;
    t_ = time_detail::make(ns, period, &c);
    c_ = chan<std::int64_t>::adopt(c);
  }
  time_detail::TimeChan* t_ = nullptr;
  chan<std::int64_t> c_;
};

// ticker is Go's time.Ticker: its channel receives the time every period d
// until stop(). REQUIRES: d > 0.
class ticker : private timer {
 public:
  template <class Rep, class Period>
  explicit ticker(std::chrono::duration<Rep, Period> d)
      : timer(time_detail::to_ns(d), time_detail::ticker_period(time_detail::to_ns(d))) {}
  using timer::c;
  // stop turns the ticker off; no more ticks are sent (one sent before may
  // still be dropped by stop, never delivered after it).
  void stop() { time_detail::stop(t_); }
  // reset stops the ticker and restarts it with period d.
  template <class Rep, class Period>
  void reset(std::chrono::duration<Rep, Period> d) {
    time_detail::reset(t_, time_detail::to_ns(d), time_detail::ticker_period(time_detail::to_ns(d)));
  }
};

}  // namespace gort
