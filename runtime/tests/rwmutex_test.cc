// rwmutex_test.cc — gort::sync::rwmutex (runtime/src/sync/rwmutex.cc):
// readers share, writers exclude (Go's HammerRWMutex), writer preference,
// misuse as fatal errors.
#include <gtest/gtest.h>

#include <atomic>

#include "gort/chan.h"
#include "gort/runtime.h"
#include "gort/sync.h"
#include "gort/time.h"

namespace {

template <class F>
void run_procs(int procs, F body) {
  ASSERT_EQ(gort::run([&] { body(); }, gort::Options{.max_procs = procs}), 0);
}

class RWMutexTest : public ::testing::TestWithParam<int> {};

TEST_P(RWMutexTest, ReadersShare) {
  run_procs(GetParam(), [] {
    gort::sync::rwmutex rw;
    constexpr int kReaders = 5;
    auto in = gort::make_chan<bool>();
    auto out = gort::make_chan<bool>();
    for (int i = 0; i < kReaders; ++i) {
      gort::go([&rw, in, out] {
        rw.lock_shared();
        in.send(true);
        out.recv();
        rw.unlock_shared();
        in.send(true);
      });
    }
    for (int i = 0; i < kReaders; ++i) in.recv();  // all five inside at once
    EXPECT_FALSE(rw.try_lock());
    EXPECT_TRUE(rw.try_lock_shared());
    rw.unlock_shared();
    for (int i = 0; i < kReaders; ++i) out.send(true);
    for (int i = 0; i < kReaders; ++i) in.recv();
    EXPECT_TRUE(rw.try_lock());
    rw.unlock();
  });
}

// Go's HammerRWMutex: readers and writers check a shared activity count.
TEST_P(RWMutexTest, Hammer) {
  run_procs(GetParam(), [] {
    gort::sync::rwmutex rw;
    std::atomic<int> activity{0};
    int shared = 0;  // written under the write lock, read under read locks
    constexpr int kReaders = 6, kWriters = 3, kIters = 1000;
    gort::sync::wait_group wg;
    wg.add(kReaders + kWriters);
    for (int r = 0; r < kReaders; ++r) {
      gort::go([&] {
        for (int i = 0; i < kIters; ++i) {
          rw.lock_shared();
          int n = activity.fetch_add(1) + 1;
          EXPECT_LT(n, 10000) << "reader with a writer inside";
          volatile int x = shared;
          (void)x;
          if (i % 100 == 0) gort::gosched();
          activity.fetch_sub(1);
          rw.unlock_shared();
        }
        wg.done();
      });
    }
    for (int w = 0; w < kWriters; ++w) {
      gort::go([&] {
        for (int i = 0; i < kIters; ++i) {
          rw.lock();
          int n = activity.fetch_add(10000) + 10000;
          EXPECT_EQ(n, 10000) << "writer not alone";
          ++shared;
          if (i % 100 == 0) gort::gosched();
          activity.fetch_sub(10000);
          rw.unlock();
        }
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(shared, kWriters * kIters);
  });
}

// A pending writer keeps new readers out until it has been in and out.
TEST_P(RWMutexTest, WriterPreference) {
  run_procs(GetParam(), [] {
    gort::sync::rwmutex rw;
    rw.lock_shared();  // reader 1 inside
    auto writer_in = gort::make_chan<bool>(1);
    auto writer_release = gort::make_chan<bool>();
    gort::go([&] {
      rw.lock();
      writer_in.send(true);
      writer_release.recv();
      rw.unlock();
    });
    // Wait until the writer is pending: then new readers are refused.
    while (rw.try_lock_shared()) {
      rw.unlock_shared();
      gort::sleep(std::chrono::microseconds(100));
    }
    auto reader2_in = gort::make_chan<bool>(1);
    gort::go([&] {
      rw.lock_shared();
      reader2_in.send(true);
      rw.unlock_shared();
    });
    gort::sleep(std::chrono::milliseconds(2));
    EXPECT_FALSE(reader2_in.try_recv().has_value()) << "reader overtook a pending writer";
    EXPECT_FALSE(writer_in.try_recv().has_value()) << "writer in while a reader holds it";
    rw.unlock_shared();  // reader 1 leaves: the writer goes first
    EXPECT_TRUE(writer_in.recv());
    EXPECT_FALSE(reader2_in.try_recv().has_value());
    writer_release.send(true);
    EXPECT_TRUE(reader2_in.recv());
  });
}

INSTANTIATE_TEST_SUITE_P(Procs, RWMutexTest, ::testing::Values(1, 2, 8),
                         ::testing::PrintToStringParamName());

TEST(RWMutexDeathTest, UnlockOfUnlocked) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        gort::run([] {
          gort::sync::rwmutex rw;
          rw.unlock();
        });
      },
      ::testing::ExitedWithCode(2), "fatal error: sync: Unlock of unlocked RWMutex");
  EXPECT_EXIT(
      {
        gort::run([] {
          gort::sync::rwmutex rw;
          rw.unlock_shared();
        });
      },
      ::testing::ExitedWithCode(2), "fatal error: sync: RUnlock of unlocked RWMutex");
}

}  // namespace
