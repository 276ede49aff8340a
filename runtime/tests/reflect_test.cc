// reflect_test.cc — fields by name, get/set, settability, reflect.New.
#include "gort/reflect.h"

#include <gtest/gtest.h>

namespace {

struct User {
  std::string name;
  int age = 0;
  double score = 0;
  static void gort_describe(gort::type_builder<User>& b) {
    b.name("main.User").field<&User::name>("Name").field<&User::age>("Age").field<&User::score>("Score");
  }
};

std::string panic_text(auto f) {
  try {
    f();
  } catch (const gort::panic_error& p) {
    return p.what();
  }
  return "no panic";
}

TEST(Reflect, TypeOfAndFields) {
  gort::any x = User{"ann", 30, 1.5};
  const gort::type_desc* t = gort::reflect::type_of_value(x);
  EXPECT_EQ(t->name, "main.User");
  auto v = gort::reflect::value_of(x);
  ASSERT_EQ(v.num_field(), 3u);
  EXPECT_EQ(v.field(0).type()->name, "string");
  EXPECT_EQ(v.field("Age").get<int>(), 30);
  EXPECT_EQ(v.field("Name").get<std::string>(), "ann");
  EXPECT_FALSE(v.field("Missing").is_valid());
}

TEST(Reflect, SetThroughPointer) {
  User u{"bob", 20, 0};
  auto v = gort::reflect::value_of(&u).elem();
  EXPECT_TRUE(v.can_set());
  v.field("Age").set(21);
  v.field("Name").set(std::string("rob"));
  EXPECT_EQ(u.age, 21);
  EXPECT_EQ(u.name, "rob");
  gort::reflect::value copy = v;  // values are copyable descriptions
  EXPECT_EQ(copy.field("Age").get<int>(), 21);
}

TEST(Reflect, MisuseFollowsGoMessages) {
  User u;
  gort::any x = u;
  auto v = gort::reflect::value_of(x);
  EXPECT_EQ(panic_text([&] { v.field("Age").set(1); }),
            "reflect: reflect.Value.Set using unaddressable value");
  auto pv = gort::reflect::value_of(&u).elem();
  EXPECT_EQ(panic_text([&] { pv.field("Age").set(std::string("x")); }),
            "reflect.Set: value of type string is not assignable to type int");
  EXPECT_EQ(panic_text([&] { pv.field("Age").field(0); }), "reflect: call of reflect.Value.Field on int Value");
}

TEST(Reflect, NewAllocatesAZeroValueOnTheHeap) {
  auto p = gort::reflect::new_value(gort::type_of<User>());
  auto v = p->elem();
  EXPECT_EQ(v.field("Age").get<int>(), 0);
  v.field("Age").set(5);
  EXPECT_EQ(static_cast<User*>(p->get())->age, 5);
  EXPECT_EQ(v.interface().as<User>()->age, 5);
}

}  // namespace
