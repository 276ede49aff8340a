// once_test.cc — gort::sync::once (gort/sync.h): f runs once, everyone
// returns after it finished, a panicking f counts as done.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

#include "gort/runtime.h"
#include "gort/sync.h"
#include "gort/time.h"

namespace {

template <class F>
void run_procs(int procs, F body) {
  ASSERT_EQ(gort::run([&] { body(); }, gort::Options{.max_procs = procs}), 0);
}

class OnceTest : public ::testing::TestWithParam<int> {};

TEST_P(OnceTest, RunsOnceAndEveryoneSeesIt) {
  run_procs(GetParam(), [] {
    gort::sync::once o;
    int value = 0;  // plain: once must publish it (TSan)
    std::atomic<int> calls{0};
    gort::sync::wait_group wg;
    constexpr int kG = 20;
    wg.add(kG);
    for (int g = 0; g < kG; ++g) {
      gort::go([&] {
        o.call([&] {
          calls.fetch_add(1);
          gort::sleep(std::chrono::milliseconds(1));  // park inside f
          value = 42;
        });
        EXPECT_EQ(value, 42);
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(calls.load(), 1);
    EXPECT_TRUE(o.done());
  });
}

TEST_P(OnceTest, PanicCountsAsDone) {
  run_procs(GetParam(), [] {
    gort::sync::once o;
    EXPECT_THROW(o.call([] { throw std::runtime_error("boom"); }), std::runtime_error);
    bool ran = false;
    o.call([&] { ran = true; });
    EXPECT_FALSE(ran);
  });
}

INSTANTIATE_TEST_SUITE_P(Procs, OnceTest, ::testing::Values(1, 2, 8),
                         ::testing::PrintToStringParamName());

}  // namespace
