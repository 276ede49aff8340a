// stack_test.cc — goroutine stacks: usable depth, guard page, reuse.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>

#include "gort/gort.h"
#include "stack/stack.h"
#include "test_util.h"

namespace {

// recurse uses about `frames` KiB of stack.
__attribute__((noinline)) int recurse(int frames) {
  volatile char buf[1024];
  std::memset(const_cast<char*>(buf), frames & 0xff, sizeof buf);
  if (frames == 0) return buf[0];
  return recurse(frames - 1) + buf[1];
}

TEST(Stack, DeepRecursionWithinTheStackWorks) {
  gort::run([] {
    std::atomic<int> r{-1};
    gort::go([&] { r = recurse(150) >= 0; });  // ~150 KiB of a 256 KiB stack
    while (r.load() < 0) gort::gosched();
    EXPECT_EQ(r.load(), 1);
  });
}

TEST(Stack, ConfigurableStackSize) {
  gort::run(
      [] {
        std::atomic<int> r{-1};
        gort::go([&] { r = recurse(600) >= 0; });  // ~600 KiB (ASan frames are larger)
        while (r.load() < 0) gort::gosched();
        EXPECT_EQ(r.load(), 1);
      },
      gort::Options{.stack_size = 1024 * 1024});
}

TEST(Stack, StacksOfDeadGoroutinesAreReused) {
  gort::run(
      [] {
        auto before = gort::stack::stats();
        for (int i = 0; i < 5000; i++) {
          std::atomic<bool> done{false};
          gort::go([&] { done = true; });
          while (!done.load()) gort::gosched();
        }
        auto after = gort::stack::stats();
        EXPECT_LT(after.mapped - before.mapped, 50u) << "sequential goroutines did not reuse stacks";
        EXPECT_GT(after.cache_hits, before.cache_hits);
      },
      gort::Options{.max_procs = 1});
}

TEST(Stack, MoreParkedGoroutinesThanGuardedStacks) {
  // Guarded stacks are budgeted to a quarter of vm.max_map_count; past it,
  // stacks come from unguarded slabs, and nothing fails. (TSan pays per
  // live goroutine, so it runs a smaller crowd.)
  gort::testing::Watchdog w("20k parked goroutines");
  const int n = gort::testing::kTsan ? 3000 : 20000;
  gort::run([n] {
    std::atomic<int> woke{0};
    for (int i = 0; i < n; i++) {
      gort::go([&woke] {
        gort::sleep(std::chrono::milliseconds(300));
        woke++;
      });
    }
    while (woke.load() < n) gort::sleep(std::chrono::milliseconds(5));
    auto st = gort::stack::stats();
    EXPECT_GE(st.mapped, 1u);
    if (!gort::testing::kTsan) EXPECT_GT(st.unguarded, 0u) << "20k live stacks should exceed the guard budget";
  });
}

TEST(StackDeathTest, OverflowIsReportedWithTheGoroutine) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(gort::run([] {
                gort::go([] { recurse(1 << 20); });
                gort::sleep(std::chrono::seconds(30));
              }),
              ::testing::ExitedWithCode(2), "fatal error: stack overflow(.|\n)*goroutine [0-9]+: stack overflow");
}

}  // namespace
