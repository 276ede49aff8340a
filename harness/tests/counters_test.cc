// counters_test.cc — the counter layer on the machine it runs on. Where the
// hardware events cannot be opened (this VM), probing must say why and the
// software events must still count.
#include "gortbench/counters.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

namespace gb = gortbench;

namespace {

TEST(CountersTest, ParseEventList) {
  std::vector<std::string> v;
  EXPECT_TRUE(gb::parse_event_list("cycles,task-clock", &v));
  EXPECT_EQ(v.size(), 2u);
  EXPECT_FALSE(gb::parse_event_list("cycles,,x", &v));
  EXPECT_FALSE(gb::parse_event_list("", &v));
}

TEST(CountersTest, UnknownEventHasReason) {
  gb::EventProbe p = gb::probe_event("no-such-event-anywhere");
  EXPECT_FALSE(p.ok);
  EXPECT_NE(p.reason.find("libpfm"), std::string::npos) << p.reason;
}

TEST(CountersTest, HardwareEitherOpensOrSaysWhy) {
  gb::EventProbe p = gb::probe_event("cycles");
  if (p.ok) {
    EXPECT_TRUE(p.hardware);
  } else {
    EXPECT_FALSE(p.reason.empty());
  }
}

TEST(CountersTest, SoftwareEventsCountThisThread) {
  gb::CounterGroup g;
  std::vector<gb::EventProbe> skipped;
  ASSERT_TRUE(g.open(gb::software_events(), &skipped)) << (skipped.empty() ? "" : skipped[0].reason);
  EXPECT_TRUE(skipped.empty());
  g.start();
  volatile double x = 0;
  for (int i = 0; i < 20000000; i++) x = x + 1.0;
  ::usleep(1000);  // at least one context switch
  g.stop();
  auto vals = g.read();
  ASSERT_EQ(vals.size(), gb::software_events().size());
  EXPECT_EQ(vals[0].name, "task-clock");
  EXPECT_TRUE(vals[0].counted);
  EXPECT_GT(vals[0].scaled, 1e6);  // > 1 ms of CPU in ns
  EXPECT_GE(vals[1].raw, 1u);      // context-switches
  for (const auto& v : vals) EXPECT_GE(v.time_running, 0u);
}

TEST(CountersTest, MixedGroupSkipsWhatCannotOpen) {
  gb::CounterGroup g;
  std::vector<gb::EventProbe> skipped;
  ASSERT_TRUE(g.open({"cycles", "task-clock", "bogus-event"}, &skipped));
  bool cycles_ok = gb::probe_event("cycles").ok;
  EXPECT_EQ(skipped.size(), cycles_ok ? 1u : 2u);
  for (const auto& s : skipped) EXPECT_FALSE(s.reason.empty()) << s.name;
  EXPECT_EQ(g.names().back(), "task-clock");
}

TEST(CountersTest, GroupCountsOnlyItsThread) {
  gb::CounterGroup g;
  ASSERT_TRUE(g.open({"task-clock"}, nullptr));
  g.start();
  std::thread([] {
    volatile double x = 0;
    for (int i = 0; i < 50000000; i++) x = x + 1.0;
  }).join();
  g.stop();
  auto v = g.read();
  ASSERT_EQ(v.size(), 1u);
  // The busy thread was another thread: ours mostly waited in join().
  EXPECT_LT(v[0].scaled, 20e6);
}

}  // namespace
