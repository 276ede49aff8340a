// lockosthread_test.cc — a locked goroutine keeps its thread, alone.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>

#include "gort/gort.h"
#include "test_util.h"

namespace {

pid_t tid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

TEST(LockOSThread, LockedGoroutineStaysOnItsThreadAndOwnsIt) {
  gort::testing::Watchdog w("lock_os_thread");
  std::set<pid_t> locked_tids;
  std::set<pid_t> other_tids;
  std::mutex mu;
  gort::run(
      [&] {
        std::atomic<bool> locked_done{false};
        std::atomic<bool> locked_active{false};  // true only while wired
        std::atomic<pid_t> locked_tid{0};
        gort::go([&] {
          gort::lock_os_thread();
          locked_tid = tid();
          locked_active = true;
          for (int i = 0; i < 50; i++) {
            {
              std::lock_guard<std::mutex> lk(mu);
              locked_tids.insert(tid());
            }
            if (i % 2) gort::gosched(); else gort::sleep(std::chrono::microseconds(200));
          }
          locked_active = false;
          gort::unlock_os_thread();
          locked_done = true;
        });
        std::atomic<int> others{0};
        for (int i = 0; i < 200; i++) {
          gort::go([&] {
            for (int k = 0; k < 5; k++) {
              if (locked_active.load()) {
                std::lock_guard<std::mutex> lk(mu);
                other_tids.insert(tid());
              }
              gort::gosched();
            }
            others++;
          });
        }
        while (!locked_done.load() || others.load() < 200) gort::sleep(std::chrono::milliseconds(1));
        std::lock_guard<std::mutex> lk(mu);
        EXPECT_EQ(other_tids.count(locked_tid.load()), 0u) << "another goroutine ran on the locked thread";
      },
      gort::Options{.max_procs = 2});
  EXPECT_EQ(locked_tids.size(), 1u);
}

}  // namespace
