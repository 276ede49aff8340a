// knobs_test.cc — the environment knob table (debug/knobs).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "debug/knobs.h"
#include "gort/gort.h"

namespace {

using gort::debug::Knobs;

struct FakeEnv {
  std::map<std::string, std::string> vars;
  gort::debug::Getenv fn() const {
    return [this](const char* n) -> const char* {
      auto it = vars.find(n);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

TEST(Knobs, DefaultsWhenUnset) {
  FakeEnv env;
  Knobs k;
  std::string err;
  ASSERT_TRUE(gort::debug::parse_knobs(env.fn(), &k, &err));
  EXPECT_EQ(k.gomaxprocs, 0);
  EXPECT_EQ(k.gogc, 100);
  EXPECT_EQ(k.gomemlimit, -1);
  EXPECT_TRUE(k.timerpreempt);
  EXPECT_FALSE(k.asyncpreemptoff);
}

TEST(Knobs, ParsesEveryKnob) {
  FakeEnv env{{{"GOMAXPROCS", "6"},
               {"GOGC", "off"},
               {"GOMEMLIMIT", "1.5GiB"},
               {"GORTSTACK", "64KiB"},
               {"GODEBUG", "schedtrace=100,scheddetail=1,timerpreempt=0,asyncpreemptoff=1,gctrace=1,madvdontneed=1"}}};
  Knobs k;
  std::string err;
  ASSERT_TRUE(gort::debug::parse_knobs(env.fn(), &k, &err)) << err;
  EXPECT_EQ(k.gomaxprocs, 6);
  EXPECT_EQ(k.gogc, -1);
  EXPECT_EQ(k.gomemlimit, 1610612736);
  EXPECT_EQ(k.stack_size, 65536u);
  EXPECT_EQ(k.schedtrace_ms, 100);
  EXPECT_TRUE(k.scheddetail);
  EXPECT_FALSE(k.timerpreempt);
  EXPECT_TRUE(k.asyncpreemptoff);
  EXPECT_TRUE(k.gctrace);
}

TEST(Knobs, BadValuesNameTheVariableAndTheDefault) {
  struct Case {
    const char* var;
    const char* val;
    const char* want_in_msg;
  } cases[] = {
      {"GOMAXPROCS", "abc", "GOMAXPROCS=\"abc\""}, {"GOMAXPROCS", "0", "default"},
      {"GOGC", "-5", "GOGC"},                      {"GOMEMLIMIT", "12XB", "GOMEMLIMIT"},
      {"GORTSTACK", "1KiB", "GORTSTACK"},          {"GODEBUG", "schedtrace=x", "GODEBUG schedtrace"},
      {"GODEBUG", "timerpreempt=2", "timerpreempt"},
  };
  for (const Case& c : cases) {
    FakeEnv env{{{c.var, c.val}}};
    Knobs k;
    std::string err;
    EXPECT_FALSE(gort::debug::parse_knobs(env.fn(), &k, &err)) << c.var << "=" << c.val;
    EXPECT_NE(err.find(c.want_in_msg), std::string::npos) << err;
    EXPECT_NE(err.find("default"), std::string::npos) << err;
  }
}

TEST(Knobs, ByteSuffixes) {
  std::int64_t b;
  ASSERT_TRUE(gort::debug::parse_bytes("512", &b));
  EXPECT_EQ(b, 512);
  ASSERT_TRUE(gort::debug::parse_bytes("64MiB", &b));
  EXPECT_EQ(b, 64 << 20);
  ASSERT_TRUE(gort::debug::parse_bytes("2GB", &b));
  EXPECT_EQ(b, 2000000000);
  EXPECT_FALSE(gort::debug::parse_bytes("", &b));
  EXPECT_FALSE(gort::debug::parse_bytes("-1MiB", &b));
  EXPECT_FALSE(gort::debug::parse_bytes("1ZiB", &b));
}

TEST(KnobsDeathTest, RunRefusesABadGomaxprocs) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("GOMAXPROCS", "lots", 1);
        gort::run([] {});
      },
      ::testing::ExitedWithCode(2), "invalid GOMAXPROCS=\"lots\"");
}

TEST(KnobsDeathTest, GomaxprocsFromTheEnvironmentIsUsed) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("GOMAXPROCS", "3", 1);
        int p = gort::run([] { return gort::max_procs(); });
        std::exit(p == 3 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
