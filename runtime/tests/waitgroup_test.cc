// waitgroup_test.cc — gort::sync::wait_group (runtime/src/sync/waitgroup.cc):
// wait for many, several waiters, reuse, negative counter panic.
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "gort/chan.h"
#include "gort/runtime.h"
#include "gort/sync.h"

namespace {

template <class F>
void run_procs(int procs, F body) {
  ASSERT_EQ(gort::run([&] { body(); }, gort::Options{.max_procs = procs}), 0);
}

class WaitGroupTest : public ::testing::TestWithParam<int> {};

// Go's TestWaitGroup: two groups used in alternation, several rounds (reuse).
TEST_P(WaitGroupTest, ReuseAcrossRounds) {
  run_procs(GetParam(), [] {
    gort::sync::wait_group wg1, wg2;
    constexpr int kN = 16;
    for (int round = 0; round < 8; ++round) {
      wg1.add(kN);
      wg2.add(kN);
      auto exited = gort::make_chan<bool>(kN);
      for (int i = 0; i < kN; ++i) {
        gort::go([&, exited] {
          wg1.done();
          wg2.wait();
          exited.send(true);
        });
      }
      wg1.wait();
      for (int i = 0; i < kN; ++i) {
        EXPECT_FALSE(exited.try_recv().has_value()) << "released group too soon";
        wg2.done();
      }
      for (int i = 0; i < kN; ++i) exited.recv();
    }
  });
}

TEST_P(WaitGroupTest, WaitSeesWorkDone) {
  run_procs(GetParam(), [] {
    constexpr int kN = 100;
    int results[kN] = {};  // plain writes: wait() must order them (TSan)
    gort::sync::wait_group wg;
    wg.add(kN);
    for (int i = 0; i < kN; ++i) {
      gort::go([&, i] {
        results[i] = i * 2;
        wg.done();
      });
    }
    wg.wait();
    for (int i = 0; i < kN; ++i) EXPECT_EQ(results[i], i * 2);
    wg.wait();  // zero: returns at once
  });
}

TEST_P(WaitGroupTest, NegativeCounterPanics) {
  run_procs(GetParam(), [] {
    gort::sync::wait_group wg;
    std::string msg;
    try {
      wg.add(-1);
    } catch (const std::exception& e) {
      msg = e.what();
    }
    EXPECT_EQ(msg, "sync: negative WaitGroup counter");
  });
}

INSTANTIATE_TEST_SUITE_P(Procs, WaitGroupTest, ::testing::Values(1, 2, 8),
                         ::testing::PrintToStringParamName());

}  // namespace
