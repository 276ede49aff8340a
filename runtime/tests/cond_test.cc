// cond_test.cc — gort::sync::cond (notify lists in runtime/src/sync/sema.cc):
// signal wakes one, broadcast wakes all, wake-ups are not lost, FIFO signal
// order (Go's TestCondSignalStealing / TestCondSignal spirit).
#include <gtest/gtest.h>

#include <atomic>
#include <deque>

#include "gort/chan.h"
#include "gort/runtime.h"
#include "gort/sync.h"
#include "gort/time.h"

namespace {

template <class F>
void run_procs(int procs, F body) {
  ASSERT_EQ(gort::run([&] { body(); }, gort::Options{.max_procs = procs}), 0);
}

class CondTest : public ::testing::TestWithParam<int> {};

TEST_P(CondTest, SignalWakesOneAtATime) {
  run_procs(GetParam(), [] {
    gort::sync::mutex mu;
    gort::sync::cond c(mu);
    constexpr int kN = 6;
    int waiting = 0;  // guarded by mu
    auto woke = gort::make_chan<int>(kN);
    for (int i = 0; i < kN; ++i) {
      gort::go([&, i] {
        mu.lock();
        ++waiting;
        c.wait();
        mu.unlock();
        woke.send(i);
      });
    }
    for (;;) {  // wait until all wait
      mu.lock();
      bool all = waiting == kN;
      mu.unlock();
      if (all) break;
      gort::sleep(std::chrono::microseconds(100));
    }
    for (int i = 0; i < kN; ++i) {
      c.signal();
      woke.recv();
      gort::sleep(std::chrono::microseconds(200));
      EXPECT_FALSE(woke.try_recv().has_value()) << "signal woke more than one";
    }
  });
}

TEST_P(CondTest, BroadcastWakesAll) {
  run_procs(GetParam(), [] {
    gort::sync::mutex mu;
    gort::sync::cond c(mu);
    bool ready = false;  // guarded by mu
    constexpr int kN = 20;
    gort::sync::wait_group wg;
    wg.add(kN);
    for (int i = 0; i < kN; ++i) {
      gort::go([&] {
        mu.lock();
        while (!ready) c.wait();
        mu.unlock();
        wg.done();
      });
    }
    gort::sleep(std::chrono::milliseconds(2));
    mu.lock();
    ready = true;
    mu.unlock();
    c.broadcast();
    wg.wait();
  });
}

// Producer/consumer over a bounded queue with two conds: no lost wake-ups.
TEST_P(CondTest, BoundedQueue) {
  run_procs(GetParam(), [] {
    gort::sync::mutex mu;
    gort::sync::cond not_empty(mu), not_full(mu);
    std::deque<int> q;  // guarded by mu (FIFO: the end markers come last)
    constexpr int kCap = 4, kItems = 5000, kConsumers = 3;
    std::atomic<std::int64_t> sum{0};
    gort::sync::wait_group wg;
    wg.add(kConsumers);
    for (int k = 0; k < kConsumers; ++k) {
      gort::go([&] {
        for (;;) {
          mu.lock();
          while (q.empty()) not_empty.wait();
          int v = q.front();
          q.pop_front();
          not_full.signal();
          mu.unlock();
          if (v < 0) break;
          sum.fetch_add(v);
        }
        wg.done();
      });
    }
    for (int i = 0; i < kItems + kConsumers; ++i) {
      mu.lock();
      while (int(q.size()) >= kCap) not_full.wait();
      q.push_back(i < kItems ? i : -1);
      not_empty.signal();
      mu.unlock();
    }
    wg.wait();
    EXPECT_EQ(sum.load(), std::int64_t(kItems) * (kItems - 1) / 2);
  });
}

INSTANTIATE_TEST_SUITE_P(Procs, CondTest, ::testing::Values(1, 2, 8),
                         ::testing::PrintToStringParamName());

}  // namespace
