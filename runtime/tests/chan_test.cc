// chan_test.cc — channels (runtime/src/chan/chan.cc, gort/chan.h): Go's
// semantics for send/recv/close on unbuffered, buffered and nil channels,
// hand-off to parked peers, panics on misuse, multi-producer/multi-consumer
// stress with checksums, at GOMAXPROCS 1, 2 and 8.
#include "gort/chan.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gort/runtime.h"
#include "gort/sync.h"
#include "gort/time.h"

namespace {

// run_procs runs body as gort's main goroutine with GOMAXPROCS = procs.
template <class F>
void run_procs(int procs, F body) {
  int rc = gort::run([&] { body(); }, gort::Options{.max_procs = procs});
  ASSERT_EQ(rc, 0);
}

// panic_text runs f and returns the message of the panic it raised, or "".
template <class F>
std::string panic_text(F f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// Counted tracks live instances, to check channels destroy what they hold.
struct Counted {
  static std::atomic<int> live;
  int v = 0;
  Counted() { live.fetch_add(1); }
  explicit Counted(int x) : v(x) { live.fetch_add(1); }
  Counted(Counted&& o) noexcept : v(o.v) { live.fetch_add(1); }
  Counted& operator=(Counted&& o) noexcept {
    v = o.v;
    return *this;
  }
  ~Counted() { live.fetch_sub(1); }
};
std::atomic<int> Counted::live{0};

class ChanTest : public ::testing::TestWithParam<int> {};

TEST_P(ChanTest, UnbufferedHandsOffInOrder) {
  run_procs(GetParam(), [] {
    auto c = gort::make_chan<int>();
    auto done = gort::make_chan<bool>();
    gort::go([c, done] {
      for (int i = 0; i < 1000; ++i) c.send(i);
      done.send(true);
    });
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(c.recv(), i);
    EXPECT_TRUE(done.recv());
    EXPECT_EQ(c.len(), 0u);
    EXPECT_EQ(c.cap(), 0u);
  });
}

TEST_P(ChanTest, BufferedIsFifoAndReportsLenCap) {
  run_procs(GetParam(), [] {
    auto c = gort::make_chan<int>(8);
    EXPECT_EQ(c.cap(), 8u);
    for (int i = 0; i < 8; ++i) c.send(i);  // never blocks
    EXPECT_EQ(c.len(), 8u);
    EXPECT_FALSE(c.try_send(99));
    for (int i = 0; i < 8; ++i) EXPECT_EQ(c.recv(), i);
    EXPECT_EQ(c.len(), 0u);
    EXPECT_FALSE(c.try_recv().has_value());
  });
}

TEST_P(ChanTest, BufferedWrapsAroundWithParkedSenders) {
  run_procs(GetParam(), [] {
    auto c = gort::make_chan<int>(3);
    gort::sync::wait_group wg;
    wg.add(1);
    gort::go([c, &wg] {
      for (int i = 0; i < 10000; ++i) c.send(i);
      wg.done();
    });
    for (int i = 0; i < 10000; ++i) ASSERT_EQ(c.recv(), i);
    wg.wait();
  });
}

TEST_P(ChanTest, ReceiveFromClosedDrainsThenYieldsZero) {
  run_procs(GetParam(), [] {
    auto c = gort::make_chan<int>(4);
    c.send(1);
    c.send(2);
    c.close();
    EXPECT_EQ(c.recv_ok(), std::make_pair(1, true));
    EXPECT_EQ(c.recv_ok(), std::make_pair(2, true));
    EXPECT_EQ(c.recv_ok(), std::make_pair(0, false));
    EXPECT_EQ(c.recv(), 0);
    bool closed = false;
    EXPECT_FALSE(c.try_recv(&closed).has_value());
    EXPECT_TRUE(closed);
  });
}

TEST_P(ChanTest, RangeStopsAtClose) {
  run_procs(GetParam(), [] {
    auto c = gort::make_chan<int>();
    gort::go([c] {
      for (int i = 1; i <= 100; ++i) c.send(i);
      c.close();
    });
    int sum = 0, n = 0;
    for (int v : c) {
      sum += v;
      ++n;
    }
    EXPECT_EQ(n, 100);
    EXPECT_EQ(sum, 5050);
  });
}

TEST_P(ChanTest, CloseWakesEveryReceiver) {
  run_procs(GetParam(), [] {
    constexpr int kReceivers = 50;
    auto c = gort::make_chan<int>();
    auto results = gort::make_chan<bool>(kReceivers);
    for (int i = 0; i < kReceivers; ++i) {
      gort::go([c, results] { results.send(c.recv_ok().second); });
    }
    gort::sleep(std::chrono::milliseconds(5));  // let them park (not required for correctness)
    c.close();
    for (int i = 0; i < kReceivers; ++i) EXPECT_FALSE(results.recv());
  });
}

TEST_P(ChanTest, CloseMakesParkedSendersPanic) {
  run_procs(GetParam(), [] {
    constexpr int kSenders = 20;
    auto c = gort::make_chan<int>();
    auto results = gort::make_chan<std::string>(kSenders);
    for (int i = 0; i < kSenders; ++i) {
      gort::go([c, results] { results.send(panic_text([&] { c.send(1); })); });
    }
    gort::sleep(std::chrono::milliseconds(5));
    c.close();
    for (int i = 0; i < kSenders; ++i) EXPECT_EQ(results.recv(), "send on closed channel");
  });
}

TEST_P(ChanTest, MisusePanicsWithGoMessages) {
  run_procs(GetParam(), [] {
    auto c = gort::make_chan<int>(1);
    c.close();
    EXPECT_EQ(panic_text([&] { c.send(1); }), "send on closed channel");
    EXPECT_EQ(panic_text([&] { c.try_send(1); }), "send on closed channel");
    EXPECT_EQ(panic_text([&] { c.close(); }), "close of closed channel");
    gort::chan<int> nil;
    EXPECT_EQ(panic_text([&] { nil.close(); }), "close of nil channel");
  });
}

TEST_P(ChanTest, NilChannelNeverReady) {
  run_procs(GetParam(), [] {
    gort::chan<int> nil;
    EXPECT_TRUE(nil.nil());
    EXPECT_FALSE(nil.try_send(1));
    bool closed = true;
    EXPECT_FALSE(nil.try_recv(&closed).has_value());
    EXPECT_FALSE(closed);
    EXPECT_EQ(nil.len(), 0u);
    EXPECT_EQ(nil.cap(), 0u);
  });
}

TEST_P(ChanTest, TrySendTryRecvOnUnbufferedNeedAParkedPeer) {
  run_procs(GetParam(), [] {
    auto c = gort::make_chan<int>();
    EXPECT_FALSE(c.try_send(1));
    EXPECT_FALSE(c.try_recv().has_value());
    auto got = gort::make_chan<int>(1);
    gort::go([c, got] { got.send(c.recv()); });
    // Spin until the receiver is parked, then a try_send succeeds.
    while (!c.try_send(7)) gort::gosched();
    EXPECT_EQ(got.recv(), 7);
  });
}

TEST_P(ChanTest, MoveOnlyElements) {
  run_procs(GetParam(), [] {
    auto c = gort::make_chan<std::unique_ptr<int>>(2);
    c.send(std::make_unique<int>(1));
    auto p = std::make_unique<int>(2);
    EXPECT_TRUE(c.try_send(p));
    EXPECT_EQ(p, nullptr);
    auto q = std::make_unique<int>(3);
    EXPECT_FALSE(c.try_send(q));  // full: q is left alone
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(*c.recv(), 1);
    EXPECT_EQ(*c.recv(), 2);
    auto u = gort::make_chan<std::unique_ptr<int>>();
    gort::go([u] { u.send(std::make_unique<int>(42)); });
    EXPECT_EQ(*u.recv(), 42);
  });
}

TEST_P(ChanTest, BufferedElementsAreDestroyedWithTheChannel) {
  run_procs(GetParam(), [] {
    {
      auto c = gort::make_chan<Counted>(4);
      for (int i = 0; i < 3; ++i) c.send(Counted(i));
      EXPECT_EQ(Counted::live.load(), 3);
      EXPECT_EQ(c.recv().v, 0);
      EXPECT_EQ(Counted::live.load(), 2);
    }
    EXPECT_EQ(Counted::live.load(), 0);
  });
}

std::string xs(int i) {
  std::string s(static_cast<std::size_t>(i), 'x');
  s.append(std::to_string(i));
  return s;
}

TEST_P(ChanTest, StringsThroughBothKinds) {
  run_procs(GetParam(), [] {
    for (std::size_t cap : {0u, 1u, 5u}) {
      auto c = gort::make_chan<std::string>(cap);
      gort::go([c] {
        for (int i = 0; i < 200; ++i) c.send(xs(i));
        c.close();
      });
      int i = 0;
      for (std::string s : c) {
        EXPECT_EQ(s, xs(i));
        ++i;
      }
      EXPECT_EQ(i, 200);
    }
  });
}

// Many producers and consumers: every value arrives exactly once.
TEST_P(ChanTest, MultiProducerMultiConsumerChecksum) {
  run_procs(GetParam(), [] {
    constexpr int kProducers = 4, kConsumers = 4, kPer = 5000;
    for (std::size_t cap : {0u, 1u, 64u}) {
      auto c = gort::make_chan<int>(cap);
      std::vector<std::atomic<int>> seen(kProducers * kPer);
      std::atomic<std::int64_t> sum{0};
      gort::sync::wait_group prod, cons;
      prod.add(kProducers);
      cons.add(kConsumers);
      for (int p = 0; p < kProducers; ++p) {
        gort::go([c, p, &prod] {
          for (int i = 0; i < kPer; ++i) c.send(p * kPer + i);
          prod.done();
        });
      }
      for (int k = 0; k < kConsumers; ++k) {
        gort::go([c, &seen, &sum, &cons] {
          for (int v : c) {
            seen[v].fetch_add(1, std::memory_order_relaxed);
            sum.fetch_add(v, std::memory_order_relaxed);
          }
          cons.done();
        });
      }
      prod.wait();
      c.close();
      cons.wait();
      std::int64_t n = kProducers * kPer;
      EXPECT_EQ(sum.load(), n * (n - 1) / 2) << "cap " << cap;
      int bad = 0;
      for (auto& s : seen) bad += s.load() != 1;
      EXPECT_EQ(bad, 0) << "cap " << cap;
    }
  });
}

// A chain of goroutines each forwarding a value: many parks and hand-offs.
TEST_P(ChanTest, DaisyChain) {
  run_procs(GetParam(), [] {
    constexpr int kLen = 1000;
    auto first = gort::make_chan<int>();
    gort::chan<int> left = first;
    // Joined before returning: goroutines still alive when main returns are
    // discarded with their closures (Go's exit), which LeakSanitizer reports.
    gort::sync::wait_group wg;
    wg.add(kLen);
    for (int i = 0; i < kLen; ++i) {
      auto right = gort::make_chan<int>();
      gort::go([left, right, &wg] {
        left.send(1 + right.recv());
        wg.done();
      });
      left = right;
    }
    left.send(0);
    EXPECT_EQ(first.recv(), kLen);
    wg.wait();
  });
}

TEST_P(ChanTest, SendHappensBeforeReceiveCompletes) {
  // Plain (non-atomic) data published through a channel: TSan checks the edge.
  run_procs(GetParam(), [] {
    constexpr int kN = 2000;
    std::vector<int> data(kN);
    auto c = gort::make_chan<int*>();
    auto back = gort::make_chan<int>(1);
    gort::go([c, back] {
      for (int i = 0; i < kN; ++i) {
        int* p = c.recv();
        *p += 1;  // written by the sender before send
        back.send(0);
      }
    });
    for (int i = 0; i < kN; ++i) {
      data[size_t(i)] = i;
      c.send(&data[size_t(i)]);
      back.recv();
      EXPECT_EQ(data[size_t(i)], i + 1);
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Procs, ChanTest, ::testing::Values(1, 2, 8),
                         ::testing::PrintToStringParamName());

// Death tests: each runs in a fresh child process.
TEST(ChanDeathTest, UnrecoveredSendOnClosedEndsTheProgramLikeGo) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        gort::run([] {
          auto c = gort::make_chan<int>(1);
          c.close();
          c.send(1);
        });
      },
      ::testing::ExitedWithCode(2), "panic: send on closed channel");
}

TEST(ChanDeathTest, UnrecoveredCloseOfNilChannel) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        gort::run([] {
          gort::chan<int> c;
          c.close();
        });
      },
      ::testing::ExitedWithCode(2), "panic: close of nil channel");
}

TEST(ChanDeathTest, BlockingOffAGoroutineIsAClearFatalError) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        auto c = gort::make_chan<int>();
        c.recv();  // not on a goroutine: would block
      },
      ::testing::ExitedWithCode(2), "fatal error: .*chan receive");
}

TEST(ChanOffGoroutine, NonBlockingOperationsWorkFromPlainThreads) {
  auto c = gort::make_chan<int>(2);
  EXPECT_TRUE(c.try_send(1));
  c.send(2);  // room in the buffer: does not block
  EXPECT_FALSE(c.try_send(3));
  EXPECT_EQ(c.recv(), 1);
  EXPECT_EQ(c.try_recv(), std::optional<int>(2));
}

}  // namespace
