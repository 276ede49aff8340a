// sema_test.cc — the semaphore table (runtime/src/sync/sema.cc): counting,
// FIFO wake-up order per address, LIFO re-queue, distinct addresses in one
// bucket, hand-off, and notify lists.
#include "sync/sema.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "gort/chan.h"
#include "gort/runtime.h"
#include "gort/sync.h"
#include "gort/time.h"

namespace {

using gort::sync_detail::semacquire;
using gort::sync_detail::semrelease;
using gort::sync_detail::waiters_for_testing;
constexpr auto kReason = gort::sched::WaitReason::kSemacquire;

template <class F>
void run_procs(int procs, F body) {
  ASSERT_EQ(gort::run([&] { body(); }, gort::Options{.max_procs = procs}), 0);
}

// wait_for_waiters yields until n goroutines are parked on addr.
void wait_for_waiters(const void* addr, int n) {
  while (waiters_for_testing(addr) < n) gort::sleep(std::chrono::microseconds(50));
}

class SemaTest : public ::testing::TestWithParam<int> {};

TEST_P(SemaTest, CountsUnits) {
  run_procs(GetParam(), [] {
    std::atomic<std::uint32_t> s{2};
    semacquire(&s, false, kReason);
    semacquire(&s, false, kReason);
    EXPECT_EQ(s.load(), 0u);
    semrelease(&s, false);
    EXPECT_EQ(s.load(), 1u);
    semacquire(&s, false, kReason);
    EXPECT_EQ(s.load(), 0u);
  });
}

TEST_P(SemaTest, WakesInFifoOrder) {
  run_procs(GetParam(), [] {
    std::atomic<std::uint32_t> s{0};
    constexpr int kN = 8;
    auto order = gort::make_chan<int>(kN);
    for (int i = 0; i < kN; ++i) {
      gort::go([&s, order, i] {
        semacquire(&s, false, kReason);
        order.send(i);
      });
      wait_for_waiters(&s, i + 1);  // queue them in a known order
    }
    for (int i = 0; i < kN; ++i) {
      semrelease(&s, false);
      EXPECT_EQ(order.recv(), i);
    }
    EXPECT_EQ(waiters_for_testing(&s), 0);
  });
}

TEST_P(SemaTest, LifoGoesToTheFront) {
  run_procs(GetParam(), [] {
    std::atomic<std::uint32_t> s{0};
    auto order = gort::make_chan<int>(3);
    gort::go([&s, order] { semacquire(&s, false, kReason); order.send(0); });
    wait_for_waiters(&s, 1);
    gort::go([&s, order] { semacquire(&s, false, kReason); order.send(1); });
    wait_for_waiters(&s, 2);
    gort::go([&s, order] { semacquire(&s, true, kReason); order.send(2); });
    wait_for_waiters(&s, 3);
    for (int want : {2, 0, 1}) {
      semrelease(&s, false);
      EXPECT_EQ(order.recv(), want);
    }
  });
}

TEST_P(SemaTest, ManyAddressesShareBuckets) {
  run_procs(GetParam(), [] {
    // 600 semaphores > 251 buckets: several distinct addresses per bucket.
    constexpr int kN = 600;
    std::vector<std::atomic<std::uint32_t>> sems(kN);
    gort::sync::wait_group wg;
    wg.add(kN);
    for (int i = 0; i < kN; ++i) {
      gort::go([&sems, &wg, i] {
        semacquire(&sems[size_t(i)], false, kReason);
        wg.done();
      });
    }
    for (int i = kN - 1; i >= 0; --i) semrelease(&sems[size_t(i)], false);
    wg.wait();
    for (auto& s : sems) EXPECT_EQ(s.load(), 0u);
  });
}

TEST_P(SemaTest, HandoffGivesTheUnitToTheWaiter) {
  run_procs(GetParam(), [] {
    std::atomic<std::uint32_t> s{0};
    std::atomic<bool> got{false};
    auto done = gort::make_chan<bool>();
    gort::go([&] {
      semacquire(&s, false, kReason);
      got = true;
      done.send(true);
    });
    wait_for_waiters(&s, 1);
    semrelease(&s, true);
    EXPECT_EQ(s.load(), 0u);  // nobody could take it in between
    done.recv();
    EXPECT_TRUE(got.load());
  });
}

TEST_P(SemaTest, StressAcquireRelease) {
  run_procs(GetParam(), [] {
    std::atomic<std::uint32_t> s{1};
    int counter = 0;  // guarded by the semaphore (a binary lock)
    constexpr int kG = 8, kIters = 2000;
    gort::sync::wait_group wg;
    wg.add(kG);
    for (int g = 0; g < kG; ++g) {
      gort::go([&] {
        for (int i = 0; i < kIters; ++i) {
          semacquire(&s, false, kReason);
          ++counter;
          semrelease(&s, i % 7 == 0);
        }
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(counter, kG * kIters);
    EXPECT_EQ(s.load(), 1u);
  });
}

INSTANTIATE_TEST_SUITE_P(Procs, SemaTest, ::testing::Values(1, 2, 8),
                         ::testing::PrintToStringParamName());

}  // namespace
