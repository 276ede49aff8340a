// proc_test.cc — the scheduler: run(), goroutine creation, switching,
// stealing, exit, and what happens when goroutines misbehave.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <vector>

#include "gort/gort.h"
#include "sched/park.h"
#include "test_util.h"

namespace {

using gort::testing::Watchdog;
using gort::testing::wait_until;

TEST(Proc, RunReturnsMainsResult) {
  EXPECT_EQ(gort::run([] { return 42; }), 42);
  EXPECT_EQ(gort::run([] {}), 0);
}

TEST(Proc, RunCanBeCalledAgain) {
  for (int i = 0; i < 5; i++) {
    int got = gort::run([i] {
      std::atomic<int> n{0};
      for (int j = 0; j < 100; j++) gort::go([&] { n++; });
      wait_until([&] { return n.load() == 100; });
      return i;
    });
    EXPECT_EQ(got, i);
  }
}

TEST(Proc, MainIsGoroutineOne) {
  gort::run([] {
    EXPECT_EQ(gort::goid(), 1u);
    EXPECT_TRUE(gort::in_goroutine());
  });
  EXPECT_FALSE(gort::in_goroutine());
  EXPECT_EQ(gort::goid(), 0u);
}

TEST(Proc, SpawnManyGoroutinesToCompletion) {
  Watchdog w("1M goroutines", std::chrono::seconds(240));
  // A million in release builds; sanitizer builds pay per goroutine (TSan
  // creates a fiber each), so they run fewer.
  const int n = gort::testing::kSanitized ? 50000 : 1000000;
  std::atomic<long> sum{0};
  std::atomic<int> done{0};
  gort::run([&] {
    for (int i = 0; i < n; i++) {
      gort::go([&sum, &done, i] {
        sum.fetch_add(i, std::memory_order_relaxed);
        done.fetch_add(1, std::memory_order_release);
      });
    }
    wait_until([&] { return done.load(std::memory_order_acquire) == n; });
  });
  EXPECT_EQ(done.load(), n);
  EXPECT_EQ(sum.load(), static_cast<long>(n) * (n - 1) / 2);
}

TEST(Proc, GoschedAlternatesTwoGoroutinesOnOneP) {
  std::vector<int> order;
  gort::run(
      [&] {
        std::atomic<int> finished{0};
        for (int id = 0; id < 2; id++) {
          gort::go([&, id] {
            for (int i = 0; i < 100; i++) {
              order.push_back(id);
              gort::gosched();
            }
            finished++;
          });
        }
        wait_until([&] { return finished.load() == 2; });
      },
      gort::Options{.max_procs = 1});
  ASSERT_EQ(order.size(), 200u);
  // With one P, a yield always hands over to the other goroutine.
  int switches = 0;
  for (std::size_t i = 1; i < order.size(); i++) switches += order[i] != order[i - 1];
  EXPECT_GE(switches, 190);
}

TEST(Proc, WorkIsStolenByOtherPs) {
  Watchdog w("stealing");
  std::set<int> ps_seen;
  std::mutex mu;
  gort::run(
      [&] {
        std::atomic<int> done{0};
        const int n = 10000;
        // One goroutine creates all the work on its own P.
        gort::go([&] {
          for (int i = 0; i < n; i++) {
            gort::go([&] {
              int p = gort::sched::current_p_id();
              volatile double x = 1;
              for (int k = 0; k < 2000; k++) x = x * 1.000001 + 1e-9;
              {
                std::lock_guard<std::mutex> lk(mu);
                ps_seen.insert(p);
              }
              done++;
            });
          }
        });
        wait_until([&] { return done.load() == n; });
      },
      gort::Options{.max_procs = 4});
  EXPECT_GE(ps_seen.size(), 2u) << "every goroutine ran on the P that created it";
}

TEST(Proc, NumGoroutineCountsLiveGoroutines) {
  gort::run([] {
    EXPECT_EQ(gort::num_goroutine(), 1);
    std::atomic<bool> release{false};
    std::atomic<int> started{0};
    for (int i = 0; i < 10; i++) {
      gort::go([&] {
        started++;
        wait_until([&] { return release.load(); });
      });
    }
    wait_until([&] { return started.load() == 10; });
    EXPECT_EQ(gort::num_goroutine(), 11);
    release = true;
    wait_until([] { return gort::num_goroutine() == 1; });
  });
}

TEST(Proc, LargeClosuresAreCarriedToTheGoroutine) {
  gort::run([] {
    std::array<long, 64> big{};
    for (int i = 0; i < 64; i++) big[i] = i;
    std::atomic<long> got{-1};
    gort::go([big, &got] {
      long s = 0;
      for (long v : big) s += v;
      got = s;
    });
    wait_until([&] { return got.load() != -1; });
    EXPECT_EQ(got.load(), 63 * 64 / 2);
  });
}

TEST(ProcDeathTest, ExceptionEscapingAGoroutineEndsTheProgram) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(gort::run([] {
                gort::go([] { throw std::runtime_error("boom from a goroutine"); });
                gort::sleep(std::chrono::seconds(10));
              }),
              ::testing::ExitedWithCode(2), "panic: .*boom from a goroutine(.|\n)*goroutine [0-9]+ \\[running\\]");
}

TEST(ProcDeathTest, GoOutsideTheRuntimeIsAClearError) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(gort::go([] {}), ::testing::ExitedWithCode(2), "gort::go called with no runtime running");
}

TEST(ProcDeathTest, NestedRunIsAClearError) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(gort::run([] { gort::run([] {}); }), ::testing::ExitedWithCode(2), "already running");
}

TEST(ProcDeathTest, DeadlockIsReported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(gort::run([] {
                gort::go([] { gort::sched::gopark(nullptr, nullptr, gort::sched::WaitReason::kChanRecv); });
                gort::sched::gopark(nullptr, nullptr, gort::sched::WaitReason::kChanRecv);
              }),
              ::testing::ExitedWithCode(2),
              "fatal error: all goroutines are asleep - deadlock!(.|\n)*goroutine 1 \\[chan receive\\]");
}

TEST(ProcDeathTest, SigquitDumpsEveryGoroutine) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(gort::run([] {
                for (int i = 0; i < 3; i++) gort::go([] { gort::sleep(std::chrono::seconds(30)); });
                gort::sleep(std::chrono::milliseconds(20));
                raise(SIGQUIT);
                gort::sleep(std::chrono::seconds(30));
              }),
              ::testing::ExitedWithCode(2), "SIGQUIT: quit(.|\n)*goroutine [0-9]+ \\[sleep\\]");
}

TEST(ProcDeathTest, SchedtraceLinesAreInGosFormat) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("GODEBUG", "schedtrace=5", 1);
        gort::run([] { gort::sleep(std::chrono::milliseconds(60)); });
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "SCHED [0-9]+ms: gomaxprocs=[0-9]+ idleprocs=[0-9]+ threads=[0-9]+");
}

}  // namespace
