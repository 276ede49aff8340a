// types_test.cc — descriptors, identity (claim 319), method sets (claim 315).
#include "gort/types.h"

#include <gtest/gtest.h>

#include "gort/map.h"
#include "gort/slice.h"

namespace {

struct MyInt {
  int v;
  static void gort_describe(gort::type_builder<MyInt>& b) { b.name("main.MyInt").underlying<int>(); }
};

struct User {
  std::string name;
  int age = 0;
  User* boss = nullptr;
  std::string Name() const { return name; }
  void SetAge(int a) { age = a; }
  static void gort_describe(gort::type_builder<User>& b) {
    b.name("main.User")
        .field<&User::name>("Name")
        .field<&User::age>("Age")
        .field<&User::boss>("Boss")
        .method<&User::Name>("Name")
        .method<&User::SetAge>("SetAge");
  }
};

struct Plain {
  int a, b;
};

TEST(Types, BasicDescriptors) {
  auto* t = gort::type_of<int>();
  EXPECT_EQ(t->name, "int");
  EXPECT_EQ(t->kind, gort::kind::int_);
  EXPECT_EQ(t->size, sizeof(int));
  EXPECT_FALSE(t->has_pointers());
  EXPECT_EQ(gort::type_of<std::string>()->kind, gort::kind::string);
  EXPECT_TRUE(gort::type_of<std::string>()->has_pointers());
  EXPECT_EQ(gort::type_of<int>(), gort::type_of<const int>());
  EXPECT_EQ(gort::type_of<double[4]>()->name, "[4]float64");
  EXPECT_EQ((gort::type_of<gort::map<std::string, int>>()->name), "map[string]int");
  EXPECT_EQ(gort::type_of<gort::slice<User*>>()->name, "[]*main.User");
}

TEST(Types, StructLayout) {
  auto* t = gort::type_of<User>();
  EXPECT_EQ(t->kind, gort::kind::struct_);
  ASSERT_EQ(t->fields.size(), 3u);
  EXPECT_EQ(t->fields[1].name, "Age");
  EXPECT_EQ(t->fields[1].offset, offsetof(User, age));
  EXPECT_EQ(t->fields[1].type, gort::type_of<int>());
  EXPECT_EQ(t->fields[2].type->kind, gort::kind::pointer);
  EXPECT_EQ(t->ptrdata, offsetof(User, boss) + sizeof(void*));
  EXPECT_EQ(t->align, alignof(User));
}

TEST(Types, NamedTypeIsDistinctFromUnderlying) {
  auto* mi = gort::type_of<MyInt>();
  EXPECT_EQ(mi->name, "main.MyInt");
  EXPECT_EQ(mi->kind, gort::kind::int_);
  EXPECT_EQ(mi->underlying_type, gort::type_of<int>());
  EXPECT_FALSE(gort::identical(mi, gort::type_of<int>()));
  EXPECT_TRUE(gort::identical(mi, mi));
}

TEST(Types, UnnamedCompositesAreStructural) {
  EXPECT_TRUE(gort::identical(gort::type_of<gort::slice<int>>(), gort::type_of<gort::slice<int>>()));
  EXPECT_FALSE(gort::identical(gort::type_of<gort::slice<int>>(), gort::type_of<gort::slice<MyInt>>()));
  // A descriptor made by hand (as reflection does) is identical to the
  // compiled one when built the same way.
  gort::type_desc s;
  s.kind = gort::kind::slice;
  s.name = "[]int";
  s.elem = gort::type_of<int>();
  EXPECT_TRUE(gort::identical(&s, gort::type_of<gort::slice<int>>()));
  s.elem = gort::type_of<MyInt>();
  EXPECT_FALSE(gort::identical(&s, gort::type_of<gort::slice<int>>()));
  EXPECT_TRUE(gort::identical(gort::type_of<User*>(), gort::type_of<User*>()));
  EXPECT_EQ(gort::type_of<User*>()->elem, gort::type_of<User>());
}

TEST(Types, MethodSets) {
  auto vs = gort::method_set(gort::type_of<User>());
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0]->name, "Name");
  auto ps = gort::method_set(gort::type_of<User*>());
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0]->name, "Name");
  EXPECT_EQ(ps[1]->name, "SetAge");
  EXPECT_NE(gort::find_method(gort::type_of<User*>(), "SetAge"), nullptr);
  EXPECT_EQ(gort::find_method(gort::type_of<User>(), "SetAge"), nullptr);
  EXPECT_TRUE(ps[1]->pointer_receiver);
}

TEST(Types, UndescribedClass) {
  auto* t = gort::type_of<Plain>();
  EXPECT_EQ(t->kind, gort::kind::struct_);
  EXPECT_FALSE(t->named);
  EXPECT_TRUE(t->fields.empty());
  EXPECT_EQ(std::string(gort::to_string(t->kind)), "struct");
}

}  // namespace
