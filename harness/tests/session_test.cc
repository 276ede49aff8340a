// session_test.cc — gortbench::Session without libgort: this file defines
// gort::runtime::on_m_start/on_m_exit to capture the hooks, then plays the
// scheduler by calling them from threads, as Ms would.
#include "gortbench/session.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "gort/runtime.h"

namespace gort::runtime {
namespace {
MStartHook g_start = nullptr, g_exit = nullptr;
}
void on_m_start(MStartHook hook, void*) { g_start = hook; }
void on_m_exit(MStartHook hook, void*) { g_exit = hook; }
}  // namespace gort::runtime

namespace {

using nlohmann::json;

struct Argv {
  explicit Argv(std::vector<std::string> a) : s(std::move(a)) {
    for (auto& x : s) p.push_back(x.data());
    p.push_back(nullptr);
    argc = static_cast<int>(s.size());
  }
  std::vector<std::string> s;
  std::vector<char*> p;
  int argc;
};

void busy() {
  volatile double x = 0;
  for (int i = 0; i < 5000000; i++) x = x + 1.0;
}

TEST(SessionTest, StripsItsFlagsAndKeepsOthers) {
  Argv a({"bench", "--benchmark_filter=x", "--gort_pin=none", "--gort_counters=none", "--v"});
  gortbench::Session s(&a.argc, a.p.data());
  ASSERT_EQ(a.argc, 3);
  EXPECT_STREQ(a.p[1], "--benchmark_filter=x");
  EXPECT_STREQ(a.p[2], "--v");
  EXPECT_EQ(a.p[3], nullptr);
}

TEST(SessionTest, PinsMsCountsAndWritesTheMap) {
  std::string out = "/tmp/gort-session-test-" + std::to_string(::getpid()) + ".json";
  {
    Argv a({"bench", "--gort_pin=compact", "--gort_counters=cycles,task-clock", "--gort_mmap_out=" + out});
    gortbench::Session s(&a.argc, a.p.data());
    EXPECT_EQ(a.argc, 1);
    ASSERT_NE(gort::runtime::g_start, nullptr);
    // M 0 on this thread, M 1 on another that exits first.
    gort::runtime::g_start(0, nullptr);
    std::thread m1([] {
      gort::runtime::g_start(1, nullptr);
      busy();
      gort::runtime::g_exit(1, nullptr);
    });
    m1.join();
    busy();
  }
  std::ifstream f(out);
  ASSERT_TRUE(f) << "no " << out;
  json j = json::parse(f);
  std::filesystem::remove(out);
  EXPECT_EQ(j["pin"], "compact");
  ASSERT_EQ(j["ms"].size(), 2u);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  for (const auto& m : j["ms"]) {
    int id = m["m_id"].get<int>();
    EXPECT_EQ(m["pu_planned"].get<int>(), j["plan"][static_cast<size_t>(id) % j["plan"].size()].get<int>());
    EXPECT_EQ(m["pu_seen"], m["pu_planned"]) << m.dump();
    EXPECT_LT(m["pu_seen"].get<int>(), n);
    EXPECT_GT(m["counters"]["task-clock"]["scaled"].get<double>(), 0.0) << m.dump();
  }
  EXPECT_GT(j["totals"]["task-clock"]["scaled"].get<double>(), 0.0);
  bool cycles_open = false;
  for (const auto& e : j["events"]) cycles_open = cycles_open || e == "cycles";
  if (!cycles_open) {
    // Hardware unsupported here: the reason is recorded and the software
    // events were added in its place.
    EXPECT_FALSE(j["unavailable"]["cycles"].get<std::string>().empty());
    EXPECT_TRUE(j["software_fallback"].get<bool>());
    bool has_cs = false;
    for (const auto& e : j["events"]) has_cs = has_cs || e == "context-switches";
    EXPECT_TRUE(has_cs);
  }
}

TEST(SessionDeathTest, BadFlagValuesExitTwo) {
  Argv a({"bench", "--gort_pin=diagonal"});
  EXPECT_EXIT(gortbench::Session(&a.argc, a.p.data()), ::testing::ExitedWithCode(2), "--gort_pin: 'diagonal'");
  Argv b({"bench", "--gort_counters=a,,b"});
  EXPECT_EXIT(gortbench::Session(&b.argc, b.p.data()), ::testing::ExitedWithCode(2), "--gort_counters");
  Argv c({"bench", "--gort_colour=red"});
  EXPECT_EXIT(gortbench::Session(&c.argc, c.p.data()), ::testing::ExitedWithCode(2), "unknown flag --gort_colour");
}

}  // namespace
