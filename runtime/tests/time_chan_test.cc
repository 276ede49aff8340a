// time_chan_test.cc — timer channels (runtime/src/chan/time_chan.cc,
// gort/timer.h): after, timer stop/reset, ticker, tick, timeouts in select.
// Bounds are loose (a loaded 2-core machine, sanitizers): never early,
// late by at most generous margins.
#include "gort/timer.h"

#include <gtest/gtest.h>

#include <vector>

#include "gort/runtime.h"
#include "gort/select.h"
#include "gort/sync.h"
#include "gort/time.h"

namespace {

using namespace std::chrono_literals;

template <class F>
void run_procs(int procs, F body) {
  ASSERT_EQ(gort::run([&] { body(); }, gort::Options{.max_procs = procs}), 0);
}

class TimeChanTest : public ::testing::TestWithParam<int> {};

TEST_P(TimeChanTest, AfterFiresNotBefore) {
  run_procs(GetParam(), [] {
    std::int64_t t0 = gort::nanotime();
    std::int64_t fired = gort::after(5ms).recv();
    std::int64_t t1 = gort::nanotime();
    EXPECT_GE(fired - t0, 5'000'000);
    EXPECT_GE(t1, fired);
    EXPECT_LT(t1 - t0, 5'000'000'000);
  });
}

TEST_P(TimeChanTest, AfterAsSelectTimeout) {
  run_procs(GetParam(), [] {
    auto never = gort::make_chan<int>();
    bool timed_out = false;
    gort::select(gort::recv(never), gort::recv(gort::after(2ms), [&](std::int64_t) { timed_out = true; }));
    EXPECT_TRUE(timed_out);
    // Many short-lived after() timers free themselves once they fired, even
    // when their channel is dropped first (LSan checks both).
    std::vector<gort::chan<std::int64_t>> kept;
    for (int i = 0; i < 1000; ++i) {
      auto c = gort::after(std::chrono::microseconds(i));
      if (i % 2 == 0) kept.push_back(c);
    }
    for (auto& c : kept) c.recv();
    gort::sleep(5ms);
  });
}

TEST_P(TimeChanTest, TimerStopBeforeFiring) {
  run_procs(GetParam(), [] {
    gort::timer t(50ms);
    EXPECT_TRUE(t.stop());
    EXPECT_FALSE(t.stop());
    gort::sleep(60ms);
    EXPECT_FALSE(t.c().try_recv().has_value());
  });
}

TEST_P(TimeChanTest, TimerStopAfterFiringDiscardsStaleValue) {
  run_procs(GetParam(), [] {
    gort::timer t(1ms);
    gort::sleep(10ms);
    EXPECT_FALSE(t.stop());  // already fired
    EXPECT_FALSE(t.c().try_recv().has_value()) << "stale value after stop";
  });
}

TEST_P(TimeChanTest, TimerReset) {
  run_procs(GetParam(), [] {
    gort::timer t(1h);
    std::int64_t t0 = gort::nanotime();
    EXPECT_TRUE(t.reset(3ms));
    std::int64_t fired = t.c().recv();
    EXPECT_GE(fired - t0, 3'000'000);
    EXPECT_FALSE(t.reset(1ms));  // had fired: re-arms
    EXPECT_GE(t.c().recv(), fired);
  });
}

TEST_P(TimeChanTest, TickerTicksThenStops) {
  run_procs(GetParam(), [] {
    gort::ticker tk(2ms);
    std::int64_t t0 = gort::nanotime();
    std::int64_t prev = t0;
    for (int i = 0; i < 5; ++i) {
      std::int64_t v = tk.c().recv();
      EXPECT_GE(v, prev);
      prev = v;
    }
    EXPECT_GE(prev - t0, 5 * 2'000'000 - 2'000'000);  // ticks may be dropped, never early
    tk.stop();
    gort::sleep(10ms);
    EXPECT_FALSE(tk.c().try_recv().has_value()) << "tick after stop";
    tk.reset(1ms);
    tk.c().recv();
    tk.stop();
  });
}

TEST_P(TimeChanTest, TickDropsTicksForASlowReader) {
  run_procs(GetParam(), [] {
    auto c = gort::tick(1ms);
    gort::sleep(20ms);
    EXPECT_LE(c.len(), 1u);  // a buffer of one: the rest were dropped
    c.recv();
    EXPECT_TRUE(gort::tick(0ms).nil());
  });
}

// Issue 9's test: with a goroutine spinning at GOMAXPROCS=1 a 5 ms timer
// still fires within 50 ms (the scheduler preempts or runs timers).
TEST(TimeChanSaturated, TimerFiresBesideASpinningGoroutine) {
  ASSERT_EQ(gort::run(
                [] {
                  std::atomic<bool> stop{false};
                  gort::sync::wait_group wg;
                  wg.add(1);
                  gort::go([&] {
                    while (!stop.load(std::memory_order_relaxed)) {
#if defined(GORT_TSAN)
                      gort::preempt_point();  // TSan builds preempt only cooperatively
#endif
                    }
                    wg.done();
                  });
                  std::int64_t t0 = gort::nanotime();
                  gort::after(5ms).recv();
                  EXPECT_LT(gort::nanotime() - t0, 50'000'000 * 10);  // loose: sanitizers
                  stop = true;
                  wg.wait();
                },
                gort::Options{.max_procs = 1}),
            0);
}

INSTANTIATE_TEST_SUITE_P(Procs, TimeChanTest, ::testing::Values(1, 2, 8),
                         ::testing::PrintToStringParamName());

TEST(TimeChanDeathTest, NonPositiveTickerPanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT({ gort::run([] { gort::ticker t(0ms); }); }, ::testing::ExitedWithCode(2),
              "panic: non-positive interval for NewTicker");
}

}  // namespace
