// timer_test.cc — per-P runtime timers and sleep.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

#include "gort/gort.h"
#include "sched/timer.h"
#include "test_util.h"

namespace {

using gort::sched::Timer;

TEST(Timer, FiresInOrderOfWhen) {
  gort::testing::Watchdog w("timer order");
  struct Rec {
    Timer t;
    int slot = 0;
    std::vector<int>* out = nullptr;
    std::mutex* mu = nullptr;
  };
  const int n = 50;
  std::vector<int> fired;
  std::mutex mu;
  gort::run(
      [&] {
        std::vector<Rec> recs(n);
        std::int64_t base = gort::nanotime() + 2'000'000;
        for (int i = 0; i < n; i++) {
          Rec& r = recs[i];
          r.slot = (i * 7) % n;  // armed in a scrambled order
          r.out = &fired;
          r.mu = &mu;
          r.t.arg = &r;
          r.t.f = [](void* arg, std::int64_t) {
            auto* r = static_cast<Rec*>(arg);
            std::lock_guard<std::mutex> lk(*r->mu);
            r->out->push_back(r->slot);
          };
          gort::sched::timer_start(&r.t, base + r.slot * 100'000);
        }
        for (;;) {
          {
            std::lock_guard<std::mutex> lk(mu);
            if (fired.size() == static_cast<std::size_t>(n)) break;
          }
          gort::sleep(std::chrono::milliseconds(1));
        }
      },
      gort::Options{.max_procs = 1});
  ASSERT_EQ(fired.size(), static_cast<std::size_t>(n));
  EXPECT_TRUE(std::is_sorted(fired.begin(), fired.end()));
}

TEST(Timer, StopPreventsFiringAndResetMovesIt) {
  gort::run([] {
    std::atomic<int> hits{0};
    Timer a, b;
    a.f = b.f = [](void* arg, std::int64_t) { static_cast<std::atomic<int>*>(arg)->fetch_add(1); };
    a.arg = b.arg = &hits;
    std::int64_t now = gort::nanotime();
    gort::sched::timer_start(&a, now + 5'000'000);
    gort::sched::timer_start(&b, now + 1'000'000'000);
    EXPECT_TRUE(gort::sched::timer_stop(&a));
    EXPECT_FALSE(gort::sched::timer_stop(&a));
    EXPECT_TRUE(gort::sched::timer_reset(&b, gort::nanotime() + 2'000'000));
    gort::sleep(std::chrono::milliseconds(30));
    EXPECT_EQ(hits.load(), 1);  // b only, early
    EXPECT_FALSE(gort::sched::timer_stop(&b));
  });
}

TEST(Timer, PeriodicTimerTicksUntilStopped) {
  gort::run([] {
    std::atomic<int> ticks{0};
    Timer t;
    t.f = [](void* arg, std::int64_t) { static_cast<std::atomic<int>*>(arg)->fetch_add(1); };
    t.arg = &ticks;
    t.period = 1'000'000;
    gort::sched::timer_start(&t, gort::nanotime() + 1'000'000);
    while (ticks.load() < 5) gort::sleep(std::chrono::milliseconds(1));
    EXPECT_TRUE(gort::sched::timer_stop(&t));
    int at_stop = ticks.load();
    gort::sleep(std::chrono::milliseconds(10));
    EXPECT_LE(ticks.load(), at_stop + 1);  // at most one already running
  });
}

TEST(Timer, SleepNeverReturnsEarly) {
  gort::run([] {
    for (int ms : {1, 2, 5}) {
      std::int64_t t0 = gort::nanotime();
      gort::sleep(std::chrono::milliseconds(ms));
      std::int64_t d = gort::nanotime() - t0;
      EXPECT_GE(d, ms * 1'000'000LL);
      EXPECT_LT(d, 2'000'000'000LL);  // loose: a loaded machine
    }
    std::int64_t t0 = gort::nanotime();
    gort::sleep(std::chrono::nanoseconds(0));
    gort::sleep(std::chrono::nanoseconds(-5));
    EXPECT_LT(gort::nanotime() - t0, 1'000'000'000LL);
  });
}

TEST(Timer, ManySleepersAllWake) {
  gort::testing::Watchdog w("many sleepers");
  gort::run([] {
    std::atomic<int> woke{0};
    const int n = 2000;
    for (int i = 0; i < n; i++) {
      gort::go([&woke, i] {
        gort::sleep(std::chrono::microseconds(100 + (i % 50) * 20));
        woke++;
      });
    }
    while (woke.load() < n) gort::sleep(std::chrono::milliseconds(1));
    EXPECT_EQ(woke.load(), n);
  });
}

}  // namespace
