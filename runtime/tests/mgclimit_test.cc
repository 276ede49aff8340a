// mgclimit_test.cc — the GC CPU limiter (gc/mgclimit): the token bucket's
// arithmetic, and a closed loop in which the collector stops assists while
// the limiter is engaged. No clocks, no threads: time is a number.
#include "gc/mgclimit.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace gort::gc {
namespace {

constexpr std::int64_t kMs = 1'000'000;

// Drives a limiter with GC using `gc_share` of procs x interval each step.
struct Feed {
  CpuLimiter& lim;
  int procs;
  std::int64_t now = 0, gc = 0, idle = 0;
  void step(double gc_share, std::int64_t interval = 10 * kMs, double idle_share = 0) {
    now += interval;
    gc += static_cast<std::int64_t>(gc_share * static_cast<double>(interval * procs));
    idle += static_cast<std::int64_t>(idle_share * static_cast<double>(interval * procs));
    ASSERT_TRUE(lim.update(now, gc, procs, idle));
  }
};

TEST(CpuLimiter, FirstUpdateOnlySetsTheBaseline) {
  CpuLimiter lim;
  ASSERT_TRUE(lim.update(5'000 * kMs, 4'000 * kMs, 4));  // big totals: history before the limiter started
  EXPECT_EQ(lim.fill(), 0);
  EXPECT_FALSE(lim.limiting());
  EXPECT_EQ(lim.capacity(), 4 * CpuLimiter::kCapacityPerProc);
}

TEST(CpuLimiter, FillsAtGcAboveHalfAndEngagesExactlyWhenFull) {
  CpuLimiter lim;
  Feed f{lim, 4};
  ASSERT_TRUE(lim.update(0, 0, 4));
  // 75% GC over 10 ms x 4 Ps: +30 ms GC, -10 ms mutator: fill +20 ms per
  // step; capacity 4 CPU-s: full after exactly 200 steps.
  for (int i = 0; i < 199; i++) {
    f.step(0.75);
    ASSERT_FALSE(lim.limiting()) << "step " << i;
  }
  EXPECT_EQ(lim.fill(), 199 * 20 * kMs);
  f.step(0.75);
  EXPECT_TRUE(lim.limiting());
  EXPECT_EQ(lim.fill(), lim.capacity());
  EXPECT_EQ(lim.overflow_ns(), 0);
  EXPECT_EQ(lim.engaged_ns(), 0);  // engaged from now on
}

TEST(CpuLimiter, AtMostHalfNeverEngages) {
  CpuLimiter lim;
  Feed f{lim, 8};
  ASSERT_TRUE(lim.update(0, 0, 8));
  for (int i = 0; i < 10'000; i++) f.step(0.5);  // 100 s at exactly 50%
  EXPECT_EQ(lim.fill(), 0);
  EXPECT_FALSE(lim.limiting());
  for (int i = 0; i < 10'000; i++) f.step(0.49);
  EXPECT_EQ(lim.fill(), 0);
  EXPECT_FALSE(lim.limiting());
}

TEST(CpuLimiter, EngagedCountsWallTimeAndOverflowCountsExcessGc) {
  CpuLimiter lim;
  Feed f{lim, 2};
  ASSERT_TRUE(lim.update(0, 0, 2));
  for (int i = 0; i < 100; i++) f.step(1.0);  // +20 ms per step: 2 CPU-s after 100 steps
  ASSERT_TRUE(lim.limiting());
  ASSERT_EQ(lim.overflow_ns(), 0);
  for (int i = 0; i < 7; i++) f.step(1.0);
  EXPECT_TRUE(lim.limiting());
  EXPECT_EQ(lim.engaged_ns(), 7 * 10 * kMs);
  EXPECT_EQ(lim.overflow_ns(), 7 * 20 * kMs);
}

TEST(CpuLimiter, DisengagesWhenTheMutatorGetsMoreThanHalf) {
  CpuLimiter lim;
  Feed f{lim, 4};
  ASSERT_TRUE(lim.update(0, 0, 4));
  for (int i = 0; i < 200; i++) f.step(0.75);
  ASSERT_TRUE(lim.limiting());
  f.step(0.25);  // -20 ms: 40 ms x (0.75 - 0.25)
  EXPECT_FALSE(lim.limiting());
  EXPECT_EQ(lim.fill(), lim.capacity() - 20 * kMs);
  EXPECT_EQ(lim.engaged_ns(), 10 * kMs);
  // Drains to empty at 25%, then stays at 0.
  for (int i = 0; i < 1000; i++) f.step(0.25);
  EXPECT_EQ(lim.fill(), 0);
  EXPECT_EQ(lim.engaged_ns(), 10 * kMs);
}

TEST(CpuLimiter, IdleTimeIsNeitherGcNorMutator) {
  CpuLimiter lim;
  Feed f{lim, 4};
  ASSERT_TRUE(lim.update(0, 0, 4));
  // 40% GC, 30% idle, 30% mutator: GC > mutator although GC < 50% of all.
  f.step(0.4, 10 * kMs, 0.3);
  EXPECT_EQ(lim.fill(), 4 * kMs);  // 40 ms x (0.4 - 0.3)
  CpuLimiter lim2;
  Feed f2{lim2, 4};
  ASSERT_TRUE(lim2.update(0, 0, 4));
  f2.step(0.4);  // no idle: mutator 60%, nothing fills
  EXPECT_EQ(lim2.fill(), 0);
}

TEST(CpuLimiter, GomaxprocsChangeResizesTheBucket) {
  CpuLimiter lim;
  Feed f{lim, 4};
  ASSERT_TRUE(lim.update(0, 0, 4));
  for (int i = 0; i < 100; i++) f.step(1.0);  // +40 ms per step: full (4 s) after 100
  ASSERT_TRUE(lim.limiting());
  // Doubling the Ps doubles the allowance: room again, not limiting.
  f.procs = 8;
  f.step(1.0, 0);  // no time passes: only the resize
  EXPECT_EQ(lim.capacity(), 8 * CpuLimiter::kCapacityPerProc);
  EXPECT_EQ(lim.fill(), 4 * CpuLimiter::kCapacityPerProc);
  EXPECT_FALSE(lim.limiting());
  // Shrinking clamps the fill to the new capacity.
  f.procs = 2;
  f.step(0, 0);
  EXPECT_EQ(lim.capacity(), 2 * CpuLimiter::kCapacityPerProc);
  EXPECT_EQ(lim.fill(), 2 * CpuLimiter::kCapacityPerProc);
  // The interval after a change is measured with the new P count: 10 ms x 2
  // Ps all GC fills 20 ms, which a full bucket turns into overflow.
  f.step(1.0);
  EXPECT_TRUE(lim.limiting());
  EXPECT_EQ(lim.overflow_ns(), 20 * kMs);
}

TEST(CpuLimiter, CountersGoingBackwardsOrTimeStandingStillChangeNothing) {
  CpuLimiter lim;
  ASSERT_TRUE(lim.update(100 * kMs, 50 * kMs, 1));
  ASSERT_TRUE(lim.update(90 * kMs, 10 * kMs, 1));  // stale caller
  EXPECT_EQ(lim.fill(), 0);
  ASSERT_TRUE(lim.update(110 * kMs, 60 * kMs, 1));  // 10 ms all GC since the newest values seen
  EXPECT_EQ(lim.fill(), 10 * kMs);
}

// Closed loop: the collector wants 80% of the CPU (25% background workers
// + 55% assists); while the limiter is engaged it stops assists (25%).
// Updates every 10 ms, as sysmon would. Without the limiter GC would keep
// 80%; with it, GC averages about half once the 1 CPU-s/P allowance is used.
TEST(CpuLimiter, ClosedLoopCapsGcNearHalf) {
  CpuLimiter lim;
  const int procs = 4;
  Feed f{lim, procs};
  ASSERT_TRUE(lim.update(0, 0, procs));
  const double want = 0.80, floor_share = 0.25;
  // Phase 1: 5 s. The bucket (4 CPU-s) fills at 40 ms x 0.6 = 24 ms per
  // step, so it engages after ceil(4000/24) = 167 steps.
  int first_engaged = -1;
  for (int i = 0; i < 500; i++) {
    f.step(lim.limiting() ? floor_share : want);
    if (first_engaged < 0 && lim.limiting()) first_engaged = i;
  }
  EXPECT_EQ(first_engaged, 166);
  // Phase 2: measure 20 s of steady state.
  const std::int64_t gc0 = f.gc, now0 = f.now, eng0 = lim.engaged_ns();
  for (int i = 0; i < 2000; i++) f.step(lim.limiting() ? floor_share : want);
  const double share = static_cast<double>(f.gc - gc0) / static_cast<double>((f.now - now0) * procs);
  std::printf("closed loop: GC share %.4f, engaged %.1f%% of the time\n", share,
              100.0 * static_cast<double>(lim.engaged_ns() - eng0) / static_cast<double>(f.now - now0));
  EXPECT_GE(share, 0.45);
  EXPECT_LE(share, 0.55);
  EXPECT_GT(lim.engaged_ns() - eng0, (f.now - now0) / 3);
  // Phase 3: the demand drops to 30% (say the limit was raised): the
  // limiter lets go and stays off.
  for (int i = 0; i < 10; i++) f.step(lim.limiting() ? floor_share : 0.30);
  const std::int64_t eng1 = lim.engaged_ns();
  for (int i = 0; i < 1000; i++) {
    f.step(lim.limiting() ? floor_share : 0.30);
    ASSERT_FALSE(lim.limiting()) << i;
  }
  EXPECT_EQ(lim.engaged_ns(), eng1);
}

TEST(CpuLimiter, ResetForgetsEverything) {
  CpuLimiter lim;
  Feed f{lim, 1};
  ASSERT_TRUE(lim.update(0, 0, 1));
  for (int i = 0; i < 200; i++) f.step(1.0);
  ASSERT_TRUE(lim.limiting());
  lim.reset();
  EXPECT_FALSE(lim.limiting());
  EXPECT_EQ(lim.fill(), 0);
  EXPECT_EQ(lim.engaged_ns(), 0);
  EXPECT_EQ(lim.overflow_ns(), 0);
}

}  // namespace
}  // namespace gort::gc
