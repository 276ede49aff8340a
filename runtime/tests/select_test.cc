// select_test.cc — select (runtime/src/chan/select.cc, gort/select.h):
// ready-case choice, default, uniform fairness (chi-square), nil and closed
// channels, self-select, duplicate channels, wake-ups from parked selects,
// and a multi-goroutine stress with checksums, at GOMAXPROCS 1, 2 and 8.
#include "gort/select.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "gort/runtime.h"
#include "gort/sync.h"
#include "gort/time.h"

namespace {

template <class F>
void run_procs(int procs, F body) {
  int rc = gort::run([&] { body(); }, gort::Options{.max_procs = procs});
  ASSERT_EQ(rc, 0);
}

template <class F>
std::string panic_text(F f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

class SelectTest : public ::testing::TestWithParam<int> {};

TEST_P(SelectTest, DefaultRunsWhenNothingIsReady) {
  run_procs(GetParam(), [] {
    auto a = gort::make_chan<int>();
    auto b = gort::make_chan<int>(1);
    b.send(0);  // b full: a send on b is not ready
    bool dflt = false;
    int i = gort::select(gort::recv(a, [](int) { ADD_FAILURE(); }),
                         gort::send(b, 1, [] { ADD_FAILURE(); }),
                         gort::otherwise([&] { dflt = true; }));
    EXPECT_EQ(i, 2);
    EXPECT_TRUE(dflt);
    EXPECT_EQ(gort::select(gort::otherwise()), 0);
  });
}

TEST_P(SelectTest, ChoosesTheReadyCase) {
  run_procs(GetParam(), [] {
    auto a = gort::make_chan<int>(1);
    auto b = gort::make_chan<int>(1);
    b.send(5);
    int got = 0;
    int i = gort::select(gort::recv(a, [](int) { ADD_FAILURE(); }),
                         gort::recv(b, [&](int v) { got = v; }), gort::otherwise());
    EXPECT_EQ(i, 1);
    EXPECT_EQ(got, 5);
    i = gort::select(gort::recv(b), gort::send(a, 9), gort::otherwise());
    EXPECT_EQ(i, 1);
    EXPECT_EQ(a.recv(), 9);
  });
}

TEST_P(SelectTest, BlocksUntilAPeerArrives) {
  run_procs(GetParam(), [] {
    auto a = gort::make_chan<int>();
    auto b = gort::make_chan<std::string>();
    auto out = gort::make_chan<int>();
    gort::go([b] { b.send("hi"); });
    std::string s;
    int i = gort::select(gort::recv(a), gort::recv(b, [&](std::string v) { s = std::move(v); }),
                         gort::send(out, 1));
    EXPECT_EQ(i, 1);
    EXPECT_EQ(s, "hi");
    // A parked select completed by a receiver taking its send case.
    gort::go([out] { EXPECT_EQ(out.recv(), 7); });
    EXPECT_EQ(gort::select(gort::recv(a), gort::send(out, 7)), 1);
  });
}

TEST_P(SelectTest, NilChannelCasesAreNeverChosen) {
  run_procs(GetParam(), [] {
    gort::chan<int> nil;
    auto ready = gort::make_chan<int>(1);
    for (int k = 0; k < 100; ++k) {
      ready.send(k);
      int i = gort::select(gort::recv(nil), gort::send(nil, 1), gort::recv(ready));
      EXPECT_EQ(i, 2);
    }
    EXPECT_EQ(gort::select(gort::recv(nil), gort::send(nil, 1), gort::otherwise()), 2);
  });
}

TEST_P(SelectTest, ClosedChannelIsReadyWithOkFalse) {
  run_procs(GetParam(), [] {
    auto c = gort::make_chan<int>();
    auto never = gort::make_chan<int>();
    c.close();
    bool ok = true;
    int v = -1;
    int i = gort::select(gort::recv(never), gort::recv(c, [&](int x, bool o) {
                           v = x;
                           ok = o;
                         }));
    EXPECT_EQ(i, 1);
    EXPECT_EQ(v, 0);
    EXPECT_FALSE(ok);
    EXPECT_EQ(panic_text([&] { gort::select(gort::send(c, 1), gort::otherwise()); }),
              "send on closed channel");
  });
}

TEST_P(SelectTest, CloseWakesAParkedSelect) {
  run_procs(GetParam(), [] {
    auto a = gort::make_chan<int>();
    auto b = gort::make_chan<int>();
    auto res = gort::make_chan<int>(2);
    gort::go([a, b, res] {
      bool ok = true;
      int i = gort::select(gort::recv(a), gort::recv(b, [&](int, bool o) { ok = o; }));
      res.send(i);
      res.send(ok ? 1 : 0);
    });
    gort::sleep(std::chrono::milliseconds(2));
    b.close();
    EXPECT_EQ(res.recv(), 1);
    EXPECT_EQ(res.recv(), 0);
    // A parked select's send case panics when its channel is closed.
    auto s = gort::make_chan<int>();
    auto msg = gort::make_chan<std::string>(1);
    gort::go([a, s, msg] { msg.send(panic_text([&] { gort::select(gort::recv(a), gort::send(s, 1)); })); });
    gort::sleep(std::chrono::milliseconds(2));
    s.close();
    EXPECT_EQ(msg.recv(), "send on closed channel");
  });
}

// chi-square statistic of counts against a uniform expectation.
double chi_square(const std::vector<int>& counts, int total) {
  double e = double(total) / double(counts.size()), x = 0;
  for (int c : counts) x += (c - e) * (c - e) / e;
  return x;
}

TEST_P(SelectTest, FairAmongReadyCases) {
  run_procs(GetParam(), [] {
    constexpr int kTrials = 20000;
    // Two ready cases: df = 1; 30 is p < 1e-7 for a fair choice.
    {
      auto a = gort::make_chan<int>(1), b = gort::make_chan<int>(1);
      std::vector<int> counts(2);
      for (int t = 0; t < kTrials; ++t) {
        a.try_send(0);
        b.try_send(0);
        counts[size_t(gort::select(gort::recv(a), gort::recv(b)))]++;
      }
      EXPECT_LT(chi_square(counts, kTrials), 30.0) << counts[0] << " " << counts[1];
    }
    // Four ready cases (mixed send and receive): df = 3; 40 is p < 1e-8.
    {
      auto a = gort::make_chan<int>(1), b = gort::make_chan<int>(1);
      auto c = gort::make_chan<int>(1), d = gort::make_chan<int>(1);
      std::vector<int> counts(4);
      for (int t = 0; t < kTrials; ++t) {
        a.try_send(0);
        b.try_send(0);
        c.try_recv();
        d.try_recv();
        counts[size_t(gort::select(gort::recv(a), gort::recv(b), gort::send(c, 1), gort::send(d, 1)))]++;
      }
      EXPECT_LT(chi_square(counts, kTrials), 40.0);
    }
  });
}

// Go's TestSelfSelect: two goroutines select send and receive on the same
// channel; a goroutine must never receive its own send.
TEST_P(SelectTest, SelfSelect) {
  run_procs(GetParam(), [] {
    for (std::size_t cap : {0u, 10u}) {
      auto c = gort::make_chan<int>(cap);
      gort::sync::wait_group wg;
      wg.add(2);
      for (int p = 0; p < 2; ++p) {
        gort::go([c, p, cap, &wg] {
          for (int i = 0; i < 1000; ++i) {
            if (p == 0 || i % 2 == 0) {
              gort::select(gort::send(c, p), gort::recv(c, [&](int v) {
                             if (cap == 0 && v == p) ADD_FAILURE() << "self receive";
                           }));
            } else {
              gort::select(gort::recv(c, [&](int v) {
                             if (cap == 0 && v == p) ADD_FAILURE() << "self receive";
                           }),
                           gort::send(c, p));
            }
          }
          wg.done();
        });
      }
      wg.wait();
    }
  });
}

TEST_P(SelectTest, SameChannelTwice) {
  run_procs(GetParam(), [] {
    auto c = gort::make_chan<int>();
    auto done = gort::make_chan<int>(1);
    gort::go([c, done] {
      for (int i = 0; i < 100; ++i) c.send(i);
      done.send(0);
    });
    for (int i = 0; i < 100; ++i) {
      int v = -1;
      int k = gort::select(gort::recv(c, [&](int x) { v = x; }), gort::recv(c, [&](int x) { v = x; }));
      EXPECT_TRUE(k == 0 || k == 1);
      EXPECT_EQ(v, i);
    }
    // Joined: a goroutine still alive when main returns is discarded with
    // its closure, which LeakSanitizer reports.
    done.recv();
  });
}

// Go's TestSelectStress, with checksums: four channels, senders and
// receivers that select over all of them; nothing lost or duplicated.
TEST_P(SelectTest, StressWithChecksum) {
  run_procs(GetParam(), [] {
    constexpr int kN = 4000;
    std::array<gort::chan<int>, 4> c{gort::make_chan<int>(), gort::make_chan<int>(),
                                     gort::make_chan<int>(2), gort::make_chan<int>(3)};
    std::atomic<std::int64_t> sum{0};
    std::atomic<int> count{0};
    gort::sync::wait_group wg;
    // Plain senders and receivers, one per channel.
    wg.add(8);
    for (int k = 0; k < 4; ++k) {
      gort::go([ch = c[size_t(k)], k, &wg] {
        for (int i = 0; i < kN; ++i) ch.send(k * kN + i);
        wg.done();
      });
      gort::go([ch = c[size_t(k)], &sum, &count, &wg] {
        for (int i = 0; i < kN; ++i) {
          sum.fetch_add(ch.recv());
          count.fetch_add(1);
        }
        wg.done();
      });
    }
    // Selecting senders: send 4*kN more values, dropping a case's channel
    // (to nil) once it has sent kN on it.
    wg.add(2);
    gort::go([c, &wg] {
      std::array<int, 4> n{};
      std::array<gort::chan<int>, 4> cs = c;
      for (int i = 0; i < 4 * kN; ++i) {
        gort::select(gort::send(cs[0], 100000 + n[0], [&] { if (++n[0] == kN) cs[0] = {}; }),
                     gort::send(cs[1], 200000 + n[1], [&] { if (++n[1] == kN) cs[1] = {}; }),
                     gort::send(cs[2], 300000 + n[2], [&] { if (++n[2] == kN) cs[2] = {}; }),
                     gort::send(cs[3], 400000 + n[3], [&] { if (++n[3] == kN) cs[3] = {}; }));
      }
      wg.done();
    });
    gort::go([c, &sum, &count, &wg] {
      std::array<int, 4> n{};
      std::array<gort::chan<int>, 4> cs = c;
      auto got = [&](int k) {
        return [&, k](int v) {
          sum.fetch_add(v);
          count.fetch_add(1);
          if (++n[size_t(k)] == kN) cs[size_t(k)] = {};
        };
      };
      for (int i = 0; i < 4 * kN; ++i) {
        gort::select(gort::recv(cs[0], got(0)), gort::recv(cs[1], got(1)),
                     gort::recv(cs[2], got(2)), gort::recv(cs[3], got(3)));
      }
      wg.done();
    });
    wg.wait();
    std::int64_t want = 0;
    for (int k = 0; k < 4; ++k) {
      for (int i = 0; i < kN; ++i) want += k * kN + i + (k + 1) * 100000 + i;
    }
    EXPECT_EQ(count.load(), 8 * kN);
    EXPECT_EQ(sum.load(), want);
  });
}

INSTANTIATE_TEST_SUITE_P(Procs, SelectTest, ::testing::Values(1, 2, 8),
                         ::testing::PrintToStringParamName());

TEST(SelectDeathTest, UnrecoveredSendOnClosedInSelect) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        gort::run([] {
          auto c = gort::make_chan<int>();
          c.close();
          gort::select(gort::send(c, 1));
        });
      },
      ::testing::ExitedWithCode(2), "panic: send on closed channel");
}

}  // namespace
