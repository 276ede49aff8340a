// defer_test.cc — deferred calls: order, frames, overflow, C++ exceptions,
// deferred calls that park and migrate.
#include "gort/defer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "gort/runtime.h"

namespace {

TEST(Defer, RunsLifoAtFuncExit) {
  std::vector<int> order;
  gort::func([&](gort::frame& fr) {
    for (int i = 0; i < 3; i++) fr.defer([&order, i] { order.push_back(i); });
    order.push_back(100);
  });
  EXPECT_EQ(order, (std::vector<int>{100, 2, 1, 0}));
}

TEST(Defer, ReturnsBodyResult) {
  int x = gort::func([&](gort::frame& fr) {
    fr.defer([] {});
    return 7;
  });
  EXPECT_EQ(x, 7);
}

TEST(Defer, ManyDeferredCallsOverflowTheInlineBuffer) {
  std::vector<int> order;
  struct Big {
    char pad[100];
  };
  gort::func([&](gort::frame& fr) {
    for (int i = 0; i < 50; i++) {
      Big b{};
      b.pad[0] = static_cast<char>(i);
      fr.defer([&order, b] { order.push_back(b.pad[0]); });
    }
  });
  ASSERT_EQ(order.size(), 50u);
  for (int i = 0; i < 50; i++) EXPECT_EQ(order[i], 49 - i);
}

TEST(Defer, ClosuresAreDestroyed) {
  auto p = std::make_shared<int>(1);
  gort::func([&](gort::frame& fr) {
    for (int i = 0; i < 20; i++) fr.defer([p] {});
  });
  EXPECT_EQ(p.use_count(), 1);
}

TEST(Defer, LargeAndOverAlignedClosuresGoToTheHeapInOrder) {
  // Closures that do not fit the inline buffer, or need more than 16-byte
  // alignment, are heap records; they interleave with inline ones in LIFO
  // order and are destroyed.
  std::vector<int> order;
  auto p = std::make_shared<int>(1);
  struct alignas(64) Wide {
    int v;
  };
  struct Huge {
    char pad[300];
  };
  gort::func([&](gort::frame& fr) {
    fr.defer([&order, p] { order.push_back(0); });
    Huge h{};
    h.pad[299] = 1;
    fr.defer([&order, h, p] { order.push_back(h.pad[299]); });
    Wide w{2};
    fr.defer([&order, w, p] {
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(&w) % 64, 0u);
      order.push_back(w.v);
    });
    fr.defer([&order, p] { order.push_back(3); });
    EXPECT_EQ(fr.pending(), 4u);
  });
  EXPECT_EQ(order, (std::vector<int>{3, 2, 1, 0}));
  EXPECT_EQ(p.use_count(), 1);
}

TEST(Defer, ClosureOfAPanickingDeferredCallIsDestroyed) {
  auto p = std::make_shared<int>(1);
  std::vector<int> order;
  gort::func([&](gort::frame& fr) {
    fr.defer([&] { order.push_back(gort::recover().is_nil() ? 0 : 1); });
    fr.defer([&order, p] {
      order.push_back(2);
      gort::panic(std::string("from a deferred call"));
    });
    fr.defer([&order, p] { order.push_back(3); });
  });
  EXPECT_EQ(order, (std::vector<int>{3, 2, 1}));
  EXPECT_EQ(p.use_count(), 1);
}

TEST(Defer, RunOnCppExceptionButItIsNotRecoverable) {
  std::vector<std::string> log;
  EXPECT_THROW(gort::func([&](gort::frame& fr) {
                 fr.defer([&] {
                   log.push_back(gort::recover().is_nil() ? "nil" : "recovered");
                 });
                 throw std::runtime_error("x");
               }),
               std::runtime_error);
  EXPECT_EQ(log, (std::vector<std::string>{"nil"}));
}

TEST(Defer, DeferredCallsRunWhilePanicUnwindsSeveralFrames) {
  std::vector<int> order;
  try {
    gort::func([&](gort::frame& outer) {
      outer.defer([&] { order.push_back(1); });
      gort::func([&](gort::frame& inner) {
        inner.defer([&] { order.push_back(2); });
        gort::panic(5);
      });
      order.push_back(99);  // not reached
    });
    FAIL();
  } catch (const gort::panic_error& p) {
    EXPECT_STREQ(p.what(), "5");
  }
  EXPECT_EQ(order, (std::vector<int>{2, 1}));
}

TEST(Defer, OnGoroutinesWithParkingDeferredCalls) {
  // Deferred calls that yield (and may resume on another M) still see the
  // panic they run for.
  std::atomic<int> recovered{0};
  gort::run([&] {
    std::atomic<int> done{0};
    for (int g = 0; g < 8; g++) {
      gort::go([&, g] {
        gort::func([&](gort::frame& fr) {
          fr.defer([&] {
            for (int i = 0; i < 5; i++) gort::gosched();
            if (auto r = gort::recover()) {
              if (r.as<int>() && *r.as<int>() == g) recovered++;
            }
          });
          gort::gosched();
          gort::panic(g);
        });
        done++;
      });
    }
    while (done.load() < 8) gort::gosched();
  });
  EXPECT_EQ(recovered.load(), 8);
}

}  // namespace
