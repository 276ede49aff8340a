// pinning_test.cc — pinning policies on synthetic topologies (machines we do
// not have), and binding on this one.
#include "gortbench/pinning.h"

#include <gtest/gtest.h>

#include <set>

namespace gb = gortbench;

namespace {

// Synthetic loads an hwloc synthetic description.
class Synthetic {
 public:
  explicit Synthetic(const char* desc) {
    hwloc_topology_init(&t_);
    EXPECT_EQ(hwloc_topology_set_synthetic(t_, desc), 0) << desc;
    EXPECT_EQ(hwloc_topology_load(t_), 0);
  }
  ~Synthetic() { hwloc_topology_destroy(t_); }
  hwloc_topology_t get() const { return t_; }
  // package / core of PU os index
  int package_of(unsigned pu) const { return ancestor(pu, HWLOC_OBJ_PACKAGE); }
  int core_of(unsigned pu) const { return ancestor(pu, HWLOC_OBJ_CORE); }

 private:
  int ancestor(unsigned pu, hwloc_obj_type_t type) const {
    hwloc_obj_t o = hwloc_get_pu_obj_by_os_index(t_, pu);
    hwloc_obj_t a = o ? hwloc_get_ancestor_obj_by_type(t_, type, o) : nullptr;
    return a ? static_cast<int>(a->logical_index) : -1;
  }
  hwloc_topology_t t_;
};

TEST(PinningTest, ParsePolicy) {
  gb::PinPolicy p;
  EXPECT_TRUE(gb::parse_pin_policy("per-core", &p));
  EXPECT_EQ(p, gb::PinPolicy::kPerCore);
  EXPECT_STREQ(gb::to_string(p), "per-core");
  EXPECT_FALSE(gb::parse_pin_policy("percore", &p));
  EXPECT_FALSE(gb::parse_pin_policy("", &p));
}

TEST(PinningTest, NoneIsEmpty) {
  Synthetic t("pack:2 core:8 pu:2");
  EXPECT_TRUE(gb::plan_pins(t.get(), gb::PinPolicy::kNone, 4).empty());
}

TEST(PinningTest, CompactFillsSiblingsFirst) {
  Synthetic t("pack:2 core:8 pu:2");
  auto plan = gb::plan_pins(t.get(), gb::PinPolicy::kCompact, 4);
  ASSERT_EQ(plan.size(), 32u);
  // The first two Ms share a core (SMT siblings), the first 16 one package.
  EXPECT_EQ(t.core_of(plan[0]), t.core_of(plan[1]));
  for (int i = 0; i < 16; i++) EXPECT_EQ(t.package_of(plan[static_cast<size_t>(i)]), 0);
}

TEST(PinningTest, PerCoreLeavesSiblingsIdle) {
  Synthetic t("pack:2 core:8 pu:2");
  auto plan = gb::plan_pins(t.get(), gb::PinPolicy::kPerCore, 4);
  ASSERT_EQ(plan.size(), 16u);
  std::set<int> cores;
  for (unsigned pu : plan) cores.insert(t.core_of(pu));
  EXPECT_EQ(cores.size(), 16u);  // one PU on every core, never two on one
}

TEST(PinningTest, ScatterSpreadsOverPackagesThenCores) {
  Synthetic t("pack:2 core:8 pu:2");
  auto two = gb::plan_pins(t.get(), gb::PinPolicy::kScatter, 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_NE(t.package_of(two[0]), t.package_of(two[1]));
  auto four = gb::plan_pins(t.get(), gb::PinPolicy::kScatter, 4);
  ASSERT_EQ(four.size(), 4u);
  std::set<int> cores, packs;
  for (unsigned pu : four) {
    cores.insert(t.core_of(pu));
    packs.insert(t.package_of(pu));
  }
  EXPECT_EQ(cores.size(), 4u);
  EXPECT_EQ(packs.size(), 2u);
}

TEST(PinningTest, SingleCoreMachine) {
  Synthetic t("core:1 pu:2");
  EXPECT_EQ(gb::plan_pins(t.get(), gb::PinPolicy::kPerCore, 2).size(), 1u);
  EXPECT_EQ(gb::plan_pins(t.get(), gb::PinPolicy::kCompact, 2).size(), 2u);
}

TEST(PinningTest, BindsOnThisMachine) {
  hwloc_topology_t t;
  hwloc_topology_init(&t);
  ASSERT_EQ(hwloc_topology_load(t), 0);
  auto plan = gb::plan_pins(t, gb::PinPolicy::kCompact, 1);
  ASSERT_FALSE(plan.empty());
  std::string err;
  int seen = gb::bind_current_thread(t, plan.back(), &err);
  EXPECT_EQ(seen, static_cast<int>(plan.back())) << err;
  // Unbind again so the rest of the process is unaffected.
  hwloc_set_cpubind(t, hwloc_topology_get_allowed_cpuset(t), HWLOC_CPUBIND_THREAD);
  hwloc_topology_destroy(t);
}

}  // namespace
