// stw_test.cc — stopping the world and changing GOMAXPROCS at run time.
#include <gtest/gtest.h>

#include <atomic>

#include "gort/gort.h"
#include "test_util.h"

namespace {

TEST(STW, SetMaxProcsGrowsAndShrinks) {
  gort::testing::Watchdog w("set_max_procs");
  gort::run(
      [] {
        EXPECT_EQ(gort::max_procs(), 2);
        EXPECT_EQ(gort::set_max_procs(8), 2);
        EXPECT_EQ(gort::max_procs(), 8);
        EXPECT_EQ(gort::set_max_procs(0), 8);  // query only
        // Work queued everywhere survives a shrink to one P.
        std::atomic<int> done{0};
        std::atomic<bool> go{false};
        for (int i = 0; i < 1000; i++) {
          gort::go([&] {
            while (!go.load()) gort::gosched();
            done++;
          });
        }
        gort::gosched();
        EXPECT_EQ(gort::set_max_procs(1), 8);
        EXPECT_EQ(gort::max_procs(), 1);
        go = true;
        while (done.load() < 1000) gort::gosched();
        EXPECT_EQ(gort::set_max_procs(3), 1);
      },
      gort::Options{.max_procs = 2});
}

TEST(STW, ResizeWhileSpinnersRun) {
  gort::testing::Watchdog w("resize under load");
  gort::run(
      [] {
        std::atomic<bool> stop{false};
        std::atomic<int> exited{0};
        for (int i = 0; i < 4; i++) {
          gort::go([&] {
            while (!stop.load(std::memory_order_relaxed)) {
              if constexpr (gort::testing::kTsan) gort::preempt_point();
            }
            exited++;
          });
        }
        for (int n : {1, 4, 2, 3}) {
          gort::set_max_procs(n);
          EXPECT_EQ(gort::max_procs(), n);
        }
        stop = true;
        while (exited.load() < 4) gort::sleep(std::chrono::milliseconds(1));
      },
      gort::Options{.max_procs = 2});
}

}  // namespace
