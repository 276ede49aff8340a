// panic_test.cc — panic and recover with Go's rules, runtime errors as
// recoverable panics, and the unrecovered-panic report (subprocesses).
#include "gort/panic.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gort/chan.h"
#include "gort/defer.h"
#include "gort/map.h"
#include "gort/runtime.h"
#include "gort/slice.h"
#include "lang/panic.h"

namespace {

// catch_panic runs f in a func that recovers, returning the value.
template <class F>
gort::any catch_panic(F f) {
  gort::any got;
  gort::func([&](gort::frame& fr) {
    fr.defer([&] { got = gort::recover(); });
    f();
  });
  return got;
}

TEST(Recover, StopsThePanicAndTheFunctionReturnsNormally) {
  int result = 0;
  auto f = [&] {
    return gort::func([&](gort::frame& fr) {
      fr.defer([&] {
        if (auto r = gort::recover()) result = -1;
      });
      gort::panic(std::string("boom"));
      return 10;
    });
  };
  EXPECT_EQ(f(), 0);  // R{}: the body never returned
  EXPECT_EQ(result, -1);
}

TEST(Recover, ReturnsTheValue) {
  auto v = catch_panic([] { gort::panic(std::string("boom")); });
  ASSERT_NE(v.as<std::string>(), nullptr);
  EXPECT_EQ(*v.as<std::string>(), "boom");
  v = catch_panic([] { gort::panic(42); });
  EXPECT_EQ(*v.as<int>(), 42);
  v = catch_panic([] { gort::panic("literal"); });
  EXPECT_EQ(*v.as<std::string>(), "literal");
}

TEST(Recover, OutsideADeferredCallReturnsNil) {
  EXPECT_TRUE(gort::recover().is_nil());
  gort::func([](gort::frame& fr) {
    EXPECT_TRUE(gort::recover().is_nil());
    fr.defer([] { EXPECT_TRUE(gort::recover().is_nil()); });  // no panic running
  });
}

TEST(Recover, OnlyDirectlyFromTheDeferredCall) {
  // recover() inside a function called (as its own func) by the deferred
  // call does not stop the panic.
  bool inner_saw = true;
  auto v = catch_panic([&] {
    gort::func([&](gort::frame& fr) {
      fr.defer([&] {
        gort::func([&](gort::frame&) { inner_saw = !gort::recover().is_nil(); });
      });
      gort::panic(1);
    });
  });
  EXPECT_FALSE(inner_saw);
  EXPECT_EQ(*v.as<int>(), 1);  // the outer frame recovered it
}

TEST(Recover, NestedFuncsDeferredCallsDoNotSeeTheOuterPanic) {
  bool nested_defer_saw = true;
  auto v = catch_panic([&] {
    gort::func([&](gort::frame& fr) {
      fr.defer([&] {
        gort::func([&](gort::frame& inner) {
          inner.defer([&] { nested_defer_saw = !gort::recover().is_nil(); });
        });
      });
      gort::panic(2);
    });
  });
  EXPECT_FALSE(nested_defer_saw);
  EXPECT_EQ(*v.as<int>(), 2);
}

TEST(Recover, SecondRecoverReturnsNil) {
  std::vector<bool> got;
  gort::func([&](gort::frame& fr) {
    fr.defer([&] { got.push_back(!gort::recover().is_nil()); });
    fr.defer([&] { got.push_back(!gort::recover().is_nil()); });
    gort::panic(1);
  });
  EXPECT_EQ(got, (std::vector<bool>{true, false}));
}

TEST(Recover, RemainingDeferredCallsRunAfterRecovery) {
  std::vector<int> order;
  gort::func([&](gort::frame& fr) {
    fr.defer([&] { order.push_back(1); });
    fr.defer([&] {
      gort::recover();
      order.push_back(2);
    });
    fr.defer([&] { order.push_back(3); });
    gort::panic(0);
  });
  EXPECT_EQ(order, (std::vector<int>{3, 2, 1}));
}

TEST(Panic, RepanicReplacesTheValue) {
  auto v = catch_panic([] {
    gort::func([](gort::frame& fr) {
      fr.defer([] {
        auto r = gort::recover();
        gort::panic("again: " + *r.as<std::string>());
      });
      gort::panic(std::string("first"));
    });
  });
  EXPECT_EQ(*v.as<std::string>(), "again: first");
}

TEST(Panic, PanicInDeferredCallDuringPanicRecordsTheChain) {
  try {
    gort::func([](gort::frame& fr) {
      fr.defer([] { gort::panic(std::string("second")); });
      gort::panic(std::string("first"));
    });
    FAIL();
  } catch (const gort::panic_error& p) {
    EXPECT_STREQ(p.what(), "second");
    EXPECT_EQ(p.earlier(), "panic: first\n\t");
  }
  try {
    gort::func([](gort::frame& fr) {
      fr.defer([] {
        gort::recover();
        gort::panic(std::string("second"));
      });
      gort::panic(std::string("first"));
    });
    FAIL();
  } catch (const gort::panic_error& p) {
    EXPECT_EQ(p.earlier(), "panic: first [recovered]\n\t");
  }
}

TEST(Panic, NilBecomesPanicNilError) {
  auto v = catch_panic([] { gort::panic(nullptr); });
  ASSERT_FALSE(v.is_nil());
  EXPECT_EQ(v.type()->name, "*runtime.PanicNilError");
  EXPECT_EQ(gort::lang::format_panic_value(v), "panic called with nil argument (goexit?)");
  v = catch_panic([] { gort::panic(gort::any()); });
  EXPECT_EQ(v.type()->name, "*runtime.PanicNilError");
}

struct MyErr {
  int code;
  std::string Error() const { return "my error " + std::to_string(code); }
  static void gort_describe(gort::type_builder<MyErr>& b) { b.name("main.MyErr").method<&MyErr::Error>("Error"); }
};
struct MyInt {
  int v;
  static void gort_describe(gort::type_builder<MyInt>& b) { b.name("main.MyInt").underlying<int>(); }
};
struct Opaque {
  int a;
  static void gort_describe(gort::type_builder<Opaque>& b) { b.name("main.Opaque"); }
};

TEST(Panic, PrintedValuesFollowPrintpanicval) {
  auto text = [](auto v) {
    try {
      gort::panic(v);
    } catch (const gort::panic_error& p) {
      return std::string(p.what());
    }
    return std::string();
  };
  EXPECT_EQ(text(std::string("boom")), "boom");
  EXPECT_EQ(text(42), "42");
  EXPECT_EQ(text(true), "true");
  EXPECT_EQ(text(1.5), "+1.500000e+000");
  EXPECT_EQ(text(MyErr{3}), "my error 3");
  EXPECT_EQ(text(MyInt{7}), "main.MyInt(7)");
  EXPECT_EQ(text(Opaque{1}).rfind("(main.Opaque) 0x", 0), 0u);
}

TEST(RuntimeError, NilMapWriteIsRecoverable) {
  auto v = catch_panic([] {
    gort::map<int, int> m;
    m[1] = 1;
  });
  ASSERT_FALSE(v.is_nil());
  EXPECT_EQ(gort::lang::format_panic_value(v), "assignment to entry in nil map");
  EXPECT_EQ(v.type()->name, "runtime.Error");
}

TEST(RuntimeError, IndexOutOfRangeIsRecoverable) {
  auto v = catch_panic([] {
    gort::slice<int> s = {1, 2, 3};
    s[5] = 0;
  });
  EXPECT_EQ(gort::lang::format_panic_value(v), "runtime error: index out of range [5] with length 3");
}

TEST(RuntimeError, DivideByZero) {
  auto div = [](int a, int b) {
    if (b == 0) gort::lang::panic_divide();
    return a / b;
  };
  auto v = catch_panic([&] { (void)div(1, 0); });
  EXPECT_EQ(gort::lang::format_panic_value(v), "runtime error: integer divide by zero");
}

TEST(RuntimeError, RaisedByOtherSubsystems) {
  auto v = catch_panic([] { gort::lang::panic_runtime_error("send on closed channel"); });
  EXPECT_EQ(gort::lang::format_panic_value(v), "send on closed channel");
  gort::panic_error e(gort::panic_error::kind::runtime_error, "close of closed channel");
  EXPECT_TRUE(e.is_runtime_error());
}

TEST(RuntimeError, ChannelErrorsAreRecoverableOnGoroutines) {
  std::vector<std::string> got;
  gort::run([&] {
    auto c = gort::make_chan<int>(1);
    c.close();
    got.push_back(gort::lang::format_panic_value(catch_panic([&] { c.send(1); })));
    got.push_back(gort::lang::format_panic_value(catch_panic([&] { c.close(); })));
  });
  EXPECT_EQ(got, (std::vector<std::string>{"send on closed channel", "close of closed channel"}));
}

// ---- unrecovered panics: the report and exit status, in a child process.

TEST(UnrecoveredDeathTest, PrintsGoReportAndExits2) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(gort::run([] { gort::panic(std::string("boom")); }), ::testing::ExitedWithCode(2),
              "^panic: boom\n\ngoroutine 1 \\[running\\]:\n");
}

TEST(UnrecoveredDeathTest, OnAnotherGoroutine) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(gort::run([] {
                gort::go([] {
                  gort::slice<int> s = {1, 2, 3};
                  (void)s[5];
                });
                for (;;) gort::gosched();
              }),
              ::testing::ExitedWithCode(2),
              "^panic: runtime error: index out of range \\[5\\] with length 3\n\ngoroutine [0-9]+ \\[running\\]:\n");
}

TEST(UnrecoveredDeathTest, RepanicShowsTheChain) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(gort::run([] {
                gort::func([](gort::frame& fr) {
                  fr.defer([] {
                    gort::recover();
                    gort::panic(std::string("second"));
                  });
                  gort::panic(std::string("first"));
                });
              }),
              ::testing::ExitedWithCode(2),
              "^panic: first \\[recovered\\]\n\tpanic: second\n\ngoroutine 1 \\[running\\]:\n");
}

TEST(UnrecoveredDeathTest, PanicNil) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(gort::run([] { gort::panic(nullptr); }), ::testing::ExitedWithCode(2),
              "^panic: panic called with nil argument \\(goexit\\?\\)\n\ngoroutine 1 \\[running\\]:\n");
}

// raise_for_trace panics from a named function inside a func whose
// deferred call does not recover: the trace must still name the raise site
// (recorded at the raise; the rest of the stack is walked when the func lets
// the panic through).
__attribute__((noinline)) void raise_for_trace(int* hits) {
  gort::func([&](gort::frame& fr) {
    fr.defer([hits] { ++*hits; });
    gort::panic(std::string("traced"));
  });
}

TEST(UnrecoveredDeathTest, TraceNamesTheRaiseSiteAndTheCallers) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(gort::run([] {
                int hits = 0;
                raise_for_trace(&hits);
              }),
              ::testing::ExitedWithCode(2),
              "^panic: traced\n\ngoroutine 1 \\[running\\]:\n[^\n]*raise_for_trace[^\n]*\n\t[^\n]+\n"
              "(.*\n)*gort::sched::goroutine_entry");
}

TEST(Panic, ValueFormattedOnlyWhenAsked) {
  // what() formats the value on first use; recover() returns the value
  // itself; a copy of the exception keeps both.
  try {
    gort::panic(3.5);
  } catch (const gort::panic_error& p) {
    gort::panic_error copy(p);
    EXPECT_STREQ(p.what(), "+3.500000e+000");
    ASSERT_NE(copy.value().as<double>(), nullptr);
    EXPECT_EQ(*copy.value().as<double>(), 3.5);
    EXPECT_EQ(copy.text(), "+3.500000e+000");
    int n = 0;
    p.stack(&n);
    EXPECT_EQ(n, 1);  // the raise site only: nothing walked the stack
    EXPECT_FALSE(p.trace_complete());
  }
}

TEST(UnrecoveredDeathTest, TraceHasFrames) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // At least one frame line pair: a function line then a tab-indented
  // object line.
  EXPECT_EXIT(gort::run([] { gort::panic(1); }), ::testing::ExitedWithCode(2),
              "goroutine 1 \\[running\\]:\n[^\n]+\n\t[^\n]+ \\+0x[0-9a-f]+");
  // And a runtime frame is named.
  EXPECT_EXIT(gort::run([] { gort::panic(1); }), ::testing::ExitedWithCode(2), "\ngort::[^\n]+\n\t");
}

}  // namespace
