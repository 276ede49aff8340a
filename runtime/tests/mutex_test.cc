// mutex_test.cc — gort::sync::mutex (runtime/src/sync/mutex.cc): mutual
// exclusion under contention, try_lock, starvation-mode hand-off (Go's
// TestMutexFairness), unlock of an unlocked mutex as a fatal error.
#include <gtest/gtest.h>

#include <atomic>

#include "gort/chan.h"
#include "gort/runtime.h"
#include "gort/sync.h"
#include "gort/select.h"
#include "gort/time.h"
#include "gort/timer.h"

namespace {

template <class F>
void run_procs(int procs, F body) {
  ASSERT_EQ(gort::run([&] { body(); }, gort::Options{.max_procs = procs}), 0);
}

// spin_safe_point: TSan builds preempt only cooperatively (no SIGURG), so a
// spinning goroutine must offer a safe point there; elsewhere asynchronous
// preemption reaches the loop as it is.
inline void spin_safe_point() {
#if defined(GORT_TSAN)
  gort::preempt_point();
#endif
}

class MutexTest : public ::testing::TestWithParam<int> {};

TEST_P(MutexTest, ExcludesUnderContention) {
  run_procs(GetParam(), [] {
    gort::sync::mutex mu;
    std::int64_t counter = 0;  // guarded by mu (TSan checks it)
    std::atomic<int> inside{0};
    constexpr int kG = 10, kIters = 3000;
    gort::sync::wait_group wg;
    wg.add(kG);
    for (int g = 0; g < kG; ++g) {
      gort::go([&, g] {
        for (int i = 0; i < kIters; ++i) {
          mu.lock();
          EXPECT_EQ(inside.fetch_add(1), 0);
          ++counter;
          if ((i + g) % 64 == 0) gort::gosched();  // get preempted while holding it
          inside.fetch_sub(1);
          mu.unlock();
        }
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(counter, kG * kIters);
    EXPECT_EQ(mu.state_for_testing(), 0);
  });
}

TEST_P(MutexTest, TryLock) {
  run_procs(GetParam(), [] {
    gort::sync::mutex mu;
    EXPECT_TRUE(mu.try_lock());
    EXPECT_FALSE(mu.try_lock());
    auto r = gort::make_chan<bool>();
    gort::go([&mu, r] { r.send(mu.try_lock()); });
    EXPECT_FALSE(r.recv());
    mu.unlock();
    EXPECT_TRUE(mu.try_lock());
    mu.unlock();
  });
}

TEST_P(MutexTest, UnlockFromAnotherGoroutineWakesWaiter) {
  run_procs(GetParam(), [] {
    gort::sync::mutex mu;
    mu.lock();
    auto locked = gort::make_chan<bool>();
    gort::go([&mu, locked] {
      mu.lock();
      locked.send(true);
      mu.unlock();
    });
    gort::sleep(std::chrono::milliseconds(2));
    EXPECT_FALSE(locked.try_recv().has_value());
    mu.unlock();
    EXPECT_TRUE(locked.recv());
  });
}

// Go's TestMutexFairness: one goroutine keeps re-locking the mutex, holding
// it for 100 us at a time; another, trying now and then, must still get it
// (starvation mode hands it over) well within the deadline.
TEST_P(MutexTest, StarvationModeHandsOff) {
  run_procs(GetParam(), [] {
    gort::sync::mutex mu;
    std::atomic<bool> stop{false};
    auto hog_done = gort::make_chan<bool>();
    gort::go([&] {
      while (!stop.load()) {
        mu.lock();
        std::int64_t t = gort::nanotime();
        while (gort::nanotime() - t < 100'000) {
          spin_safe_point();
        }
        mu.unlock();
      }
      hog_done.send(true);
    });
    auto done = gort::make_chan<bool>(1);
    gort::go([&] {
      for (int i = 0; i < 10; ++i) {
        gort::sleep(std::chrono::microseconds(100));
        mu.lock();
        mu.unlock();
      }
      done.send(true);
    });
    bool finished = false;
    gort::timer deadline(std::chrono::seconds(20));  // stopped and freed when it goes out of scope
    gort::select(gort::recv(done, [&](bool) { finished = true; }), gort::recv(deadline.c()));
    EXPECT_TRUE(finished) << "the waiting goroutine starved";
    stop = true;
    hog_done.recv();
  });
}

INSTANTIATE_TEST_SUITE_P(Procs, MutexTest, ::testing::Values(1, 2, 8),
                         ::testing::PrintToStringParamName());

}  // namespace

TEST(MutexDeathTest, UnlockOfUnlockedMutexIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        gort::run([] {
          gort::sync::mutex mu;
          mu.unlock();
        });
      },
      ::testing::ExitedWithCode(2), "fatal error: sync: unlock of unlocked mutex");
}

TEST(MutexOffGoroutine, UncontendedWorksOnPlainThreads) {
  gort::sync::mutex mu;
  mu.lock();
  EXPECT_FALSE(mu.try_lock());
  mu.unlock();
}
