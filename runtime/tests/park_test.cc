// park_test.cc — gopark/goready, the primitive under channels and locks:
// a stress test of hand-offs between goroutines on 1, 2 and 8 Ps.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "gort/gort.h"
#include "sched/lock.h"
#include "sched/park.h"
#include "test_util.h"

namespace {

using gort::sched::G;

// Slot: one goroutine may wait here for a token; a sender hands it one.
// The classic lost-wake-up race (sender comes between the waiter's check
// and its park) is closed by gopark's unlockf releasing the lock only once
// the waiter is off its stack.
struct Slot {
  gort::sched::Lock mu;
  G* waiter = nullptr;
  long tokens = 0;

  void put() {
    mu.lock();
    tokens++;
    G* w = waiter;
    waiter = nullptr;
    mu.unlock();
    if (w != nullptr) gort::sched::goready(w);
  }
  void take() {
    mu.lock();
    while (tokens == 0) {
      waiter = gort::sched::getg();
      gort::sched::gopark(
          [](G*, void* arg) {
            static_cast<Slot*>(arg)->mu.unlock();
            return true;
          },
          this, gort::sched::WaitReason::kChanRecv);
      mu.lock();
    }
    tokens--;
    mu.unlock();
  }
};

class ParkStress : public ::testing::TestWithParam<int> {};

TEST_P(ParkStress, TokenRingLosesNothing) {
  gort::testing::Watchdog w("park/ready ring");
  const int procs = GetParam();
  const int n = 64;
  const int rounds = gort::testing::kSanitized ? 200 : 2000;
  std::vector<long> seen(n, 0);
  gort::run(
      [&] {
        std::vector<Slot> slots(n);
        std::atomic<int> finished{0};
        for (int i = 0; i < n; i++) {
          gort::go([&, i] {
            for (int r = 0; r < rounds; r++) {
              slots[i].take();
              seen[i]++;
              slots[(i + 1) % n].put();
            }
            finished++;
          });
        }
        // Several tokens circulate at once, so goroutines race to park and
        // wake on every P.
        for (int k = 0; k < 8; k++) slots[k * 8].put();
        while (finished.load() < n) gort::sleep(std::chrono::milliseconds(1));
      },
      gort::Options{.max_procs = procs});
  for (int i = 0; i < n; i++) EXPECT_EQ(seen[i], rounds) << "goroutine " << i;
}

INSTANTIATE_TEST_SUITE_P(Procs, ParkStress, ::testing::Values(1, 2, 8));

TEST(Park, ReadyFromAThreadThatIsNotAGoroutine) {
  gort::testing::Watchdog w("goready from a foreign thread");
  gort::run([] {
    Slot s;
    gort::runtime::external_wakeups ext;  // or the deadlock detector fires
    std::thread t([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      s.put();
    });
    s.take();
    t.join();
    SUCCEED();
  });
}

TEST(ParkDeathTest, BlockingOffAGoroutineIsAClearError) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(gort::sched::require_goroutine("chan receive"), ::testing::ExitedWithCode(2),
              "chan receive called from a thread that is not running a goroutine");
}

}  // namespace
