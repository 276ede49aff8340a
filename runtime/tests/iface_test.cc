// iface_test.cc — interface values: typed nil, assertions, method-set
// rules at conversion, the itab cache (claims 315, 320).
#include "gort/iface.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace {

struct Shape : gort::interface<"main.Shape", gort::method<"Area", double()>,
                               gort::method<"Scale", void(double)>> {};
struct Areaer : gort::interface<"main.Areaer", gort::method<"Area", double()>> {};
struct Namer : gort::interface<"main.Namer", gort::method<"Name", std::string()>> {};

struct Rect {
  double w = 0, h = 0;
  double Area() const { return w * h; }
  void Scale(double f) { w *= f, h *= f; }
  static void gort_describe(gort::type_builder<Rect>& b) {
    b.name("main.Rect").method<&Rect::Area>("Area").method<&Rect::Scale>("Scale");
  }
};

struct Job {
  int id = 0;
  double Area() const { return id; }
  static void gort_describe(gort::type_builder<Job>& b) { b.name("main.Job").method<&Job::Area>("Area"); }
};

std::string msg_of(auto f) {
  try {
    f();
  } catch (const gort::panic_error& p) {
    return p.what();
  }
  return "no panic";
}

TEST(Iface, CallThroughItab) {
  Rect r{2, 3};
  auto s = gort::iface<Shape>::from(&r);
  EXPECT_DOUBLE_EQ(s.call<"Area">(), 6);
  s.call<"Scale">(2.0);
  EXPECT_DOUBLE_EQ(r.w, 4);  // pointer receiver mutated the original
  auto a = gort::iface<Areaer>::from(Rect{1, 5});  // value type: Area is a value method
  EXPECT_DOUBLE_EQ(a.call<"Area">(), 5);
  auto a2 = a;  // copies box the value anew
  EXPECT_DOUBLE_EQ(a2.call<"Area">(), 5);
}

TEST(Iface, ValueTypeLacksPointerMethods) {
  // Rect's method set lacks Scale (pointer receiver): conversion fails.
  EXPECT_FALSE(gort::implements<Shape>(gort::type_of<Rect>()));
  EXPECT_TRUE(gort::implements<Shape>(gort::type_of<Rect*>()));
  EXPECT_TRUE(gort::implements<Areaer>(gort::type_of<Rect>()));
  EXPECT_EQ(msg_of([] { gort::iface<Shape>::from(Rect{}); }),
            "interface conversion: main.Rect is not main.Shape: missing method Scale");
}

TEST(Iface, TypedNilIsNotNil) {
  Job* j = nullptr;
  auto i = gort::iface<Areaer>::from(j);
  EXPECT_FALSE(i.is_nil());
  EXPECT_EQ(i.type(), gort::type_of<Job*>());
  EXPECT_EQ(i.data(), nullptr);
  gort::any x = j;
  EXPECT_FALSE(x.is_nil());
  EXPECT_TRUE(gort::any().is_nil());
  EXPECT_TRUE(gort::iface<Areaer>().is_nil());
}

TEST(Iface, AssertionsHitAndMiss) {
  gort::any x = std::string("hi");
  ASSERT_NE(x.as<std::string>(), nullptr);
  EXPECT_EQ(*x.as<std::string>(), "hi");
  EXPECT_EQ(x.as<int>(), nullptr);
  EXPECT_EQ(gort::assert_type<std::string>(x), "hi");
  EXPECT_EQ(msg_of([&] { gort::assert_type<int>(x); }),
            "interface conversion: interface {} is string, not int");
  EXPECT_EQ(msg_of([&] { gort::assert_type<int>(gort::any()); }),
            "interface conversion: interface {} is nil, not int");
  // any -> interface
  Rect r{1, 1};
  gort::any y = &r;
  bool ok = false;
  auto s = gort::iface<Shape>::from_any(y, &ok);
  EXPECT_TRUE(ok);
  EXPECT_DOUBLE_EQ(s.call<"Area">(), 1);
  gort::iface<Namer>::from_any(y, &ok);
  EXPECT_FALSE(ok);
  EXPECT_EQ(msg_of([&] { gort::iface<Namer>::from_any(y); }),
            "interface conversion: *main.Rect is not main.Namer: missing method Name");
}

TEST(Iface, AssertionCacheAlternatingTypes) {
  // from_any keeps a one-entry cache per interface type: alternating
  // dynamic types (a hit, a miss, a different hit) must each get their own
  // answer, not the cached one.
  Rect r{2, 3};
  Job j{5};
  gort::any xr = &r, xv = r, xj = j, xs = std::string("s");
  for (int round = 0; round < 3; round++) {
    bool ok = false;
    auto a = gort::iface<Areaer>::from_any(xr, &ok);
    ASSERT_TRUE(ok);
    EXPECT_DOUBLE_EQ(a.call<"Area">(), 6);
    gort::iface<Shape>::from_any(xv, &ok);  // Rect (not *Rect) lacks Scale
    EXPECT_FALSE(ok);
    auto b = gort::iface<Areaer>::from_any(xj, &ok);
    ASSERT_TRUE(ok);
    EXPECT_DOUBLE_EQ(b.call<"Area">(), 5);
    gort::iface<Areaer>::from_any(xs, &ok);
    EXPECT_FALSE(ok);
    auto c = gort::iface<Shape>::from_any(xr, &ok);
    ASSERT_TRUE(ok);
    EXPECT_EQ(c.type(), gort::type_of<Rect*>());
  }
  EXPECT_EQ(msg_of([&] { gort::iface<Shape>::from_any(xv); }),
            "interface conversion: main.Rect is not main.Shape: missing method Scale");
}

TEST(Iface, TypeSwitch) {
  std::vector<gort::any> xs = {1, std::string("s"), 2.5, gort::any(), (Job*)nullptr};
  std::vector<std::string> kinds;
  for (auto& x : xs) {
    if (x.is_nil()) kinds.push_back("nil");
    else if (x.as<int>()) kinds.push_back("int");
    else if (x.as<std::string>()) kinds.push_back("string");
    else if (x.type() == gort::type_of<Job*>()) kinds.push_back("*Job");
    else kinds.push_back("other");
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"int", "string", "other", "nil", "*Job"}));
}

TEST(Iface, AnyEquality) {
  EXPECT_TRUE(gort::any(3) == gort::any(3));
  EXPECT_FALSE(gort::any(3) == gort::any(4));
  EXPECT_FALSE(gort::any(3) == gort::any(3L));  // int vs int64: different types
  EXPECT_TRUE(gort::any() == gort::any());
}

TEST(Iface, ItabCacheConcurrent) {
  std::vector<std::thread> ts;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; t++) {
    ts.emplace_back([&] {
      for (int i = 0; i < 2000; i++) {
        Rect r{1, 2};
        if (gort::iface<Shape>::from(&r).call<"Area">() == 2) good++;
        if (gort::implements<Areaer>(gort::type_of<Job>())) good++;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(good.load(), 4 * 2000 * 2);
  auto before = gort::lang::itab_cache_size();
  Rect r;
  (void)gort::iface<Shape>::from(&r);
  EXPECT_EQ(gort::lang::itab_cache_size(), before);  // cached, not re-made
}

}  // namespace
