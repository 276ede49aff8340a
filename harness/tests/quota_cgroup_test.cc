// quota_cgroup_test.cc — the transient quota cgroup is created with the
// quota asked for, holds the child, and is always removed: after a normal
// exit, after the child is killed, after a timeout, and by the destructor.
// Skipped (with the reason) where no cgroup CPU controller is writable.
#include "gortbench/quota_cgroup.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "gortbench/child_process.h"

namespace gb = gortbench;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

class QuotaCgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int v = 0;
    base_ = gb::QuotaCgroup::base_dir(&v);
    if (base_.empty()) GTEST_SKIP() << "no cgroup CPU controller mounted";
    if (::access(base_.c_str(), W_OK) != 0) GTEST_SKIP() << base_ << " is not writable (not root?)";
  }
  std::string base_;
};

TEST_F(QuotaCgroupTest, CreatesWithQuotaAndRemoves) {
  std::string path;
  {
    gb::QuotaCgroup cg;
    std::string err;
    ASSERT_TRUE(cg.create(0.5, &err)) << err;
    path = cg.path();
    EXPECT_NE(path.find("/gort-"), std::string::npos);
    EXPECT_TRUE(gb::cgroup_exists(path));
    if (cg.version() == 1) {
      EXPECT_EQ(std::stol(slurp(path + "/cpu.cfs_quota_us")), 50000);
      EXPECT_EQ(std::stol(slurp(path + "/cpu.cfs_period_us")), 100000);
    } else {
      EXPECT_EQ(slurp(path + "/cpu.max").rfind("50000 100000", 0), 0u);
    }
    EXPECT_TRUE(cg.stats().ok);
    ASSERT_TRUE(cg.remove(&err)) << err;
    EXPECT_FALSE(gb::cgroup_exists(path));
  }
  EXPECT_FALSE(gb::cgroup_exists(path));
}

TEST_F(QuotaCgroupTest, DestructorRemoves) {
  std::string path;
  {
    gb::QuotaCgroup cg;
    std::string err;
    ASSERT_TRUE(cg.create(1.0, &err)) << err;
    path = cg.path();
  }
  EXPECT_FALSE(gb::cgroup_exists(path));
}

TEST_F(QuotaCgroupTest, KernelRefusalLeavesNothing) {
  gb::QuotaCgroup cg;
  std::string err;
  // 0.001 CPUs = 100 us per 100 ms: below the kernel's 1 ms minimum.
  EXPECT_FALSE(cg.create(0.001, &err));
  EXPECT_NE(err.find("refuses"), std::string::npos) << err;
  EXPECT_TRUE(cg.path().empty());
}

TEST_F(QuotaCgroupTest, ChildRunsInsideAndIsThrottled) {
  gb::QuotaCgroup cg;
  std::string err;
  ASSERT_TRUE(cg.create(0.1, &err)) << err;
  char out[] = "/tmp/gort-quota-test-XXXXXX";
  int fd = ::mkstemp(out);
  ::close(fd);
  gb::ChildSpec c;
  // The child prints its own cgroup, then spins for 0.5 s of wall time.
  c.argv = {"/bin/sh", "-c", "cat /proc/self/cgroup; end=$(($(date +%s%N)+500000000)); "
                             "while [ $(date +%s%N) -lt $end ]; do :; done"};
  c.stdout_path = out;
  c.cgroup_procs = cg.procs_file();
  c.timeout_s = 60;
  gb::ThrottleStats before = cg.stats();
  gb::ChildResult r = gb::run_child(c);
  gb::ThrottleStats after = cg.stats();
  EXPECT_TRUE(r.ok()) << r.describe();
  std::string name = cg.path().substr(cg.path().rfind('/'));
  EXPECT_NE(slurp(out).find(name), std::string::npos) << slurp(out);
  EXPECT_GT(after.nr_periods, before.nr_periods);
  ::unlink(out);
  std::string path = cg.path();
  ASSERT_TRUE(cg.remove(&err)) << err;
  EXPECT_FALSE(gb::cgroup_exists(path));
}

TEST_F(QuotaCgroupTest, RemovedAfterChildIsKilled) {
  std::string path;
  {
    gb::QuotaCgroup cg;
    std::string err;
    ASSERT_TRUE(cg.create(0.5, &err)) << err;
    path = cg.path();
    gb::ChildSpec c;
    c.argv = {"/bin/sh", "-c", "kill -9 $$"};
    c.cgroup_procs = cg.procs_file();
    gb::ChildResult r = gb::run_child(c);
    EXPECT_EQ(r.term_signal, 9) << r.describe();
  }
  EXPECT_FALSE(gb::cgroup_exists(path));
}

TEST_F(QuotaCgroupTest, RemovedAfterTimeoutWithGrandchildren) {
  std::string path;
  {
    gb::QuotaCgroup cg;
    std::string err;
    ASSERT_TRUE(cg.create(0.5, &err)) << err;
    path = cg.path();
    gb::ChildSpec c;
    c.argv = {"/bin/sh", "-c", "sleep 100 & sleep 100 & wait"};
    c.cgroup_procs = cg.procs_file();
    c.timeout_s = 0.3;
    gb::ChildResult r = gb::run_child(c);
    EXPECT_TRUE(r.timed_out);
    ASSERT_TRUE(cg.remove(&err)) << err;
  }
  EXPECT_FALSE(gb::cgroup_exists(path));
}

TEST_F(QuotaCgroupTest, SweepRemovesOnlyDeadHarnessGroups) {
  // A cgroup named after a pid that cannot exist (beyond pid_max).
  std::string stale = base_ + "/gort-999999999-0";
  std::string foreign = base_ + "/gort-otherteam-test";
  ASSERT_EQ(::mkdir(stale.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(foreign.c_str(), 0755), 0);
  EXPECT_GE(gb::sweep_stale_cgroups(), 1);
  EXPECT_FALSE(gb::cgroup_exists(stale));
  EXPECT_TRUE(gb::cgroup_exists(foreign));
  ::rmdir(foreign.c_str());
}

}  // namespace
