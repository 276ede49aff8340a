// cgroup_test.cc — read_cpu_limits on fake /proc + cgroup trees (v1 and v2),
// with tighter and looser ancestors, no limit, fractional quotas and an
// affinity mask smaller than the quota; default_procs' rounding.
#include "sched/cgroup.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using gort::sched::CpuLimits;
using gort::sched::default_procs;
using gort::sched::read_cpu_limits;

namespace {

// FakeRoot is a temporary directory standing in for "/".
class FakeRoot {
 public:
  FakeRoot() {
    char tmpl[] = "/tmp/gort-cgroup-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~FakeRoot() { fs::remove_all(dir_); }
  const std::string& dir() const { return dir_; }
  void write(const std::string& rel, const std::string& content) {
    fs::path p = fs::path(dir_) / rel.substr(1);
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
  }
  void status(const std::string& cpus) {
    write("/proc/self/status", "Name:\ttest\nCpus_allowed:\tff\nCpus_allowed_list:\t" + cpus + "\n");
  }
  // v1: the cpu controller mounted at /sys/fs/cgroup/cpu,cpuacct showing
  // the hierarchy from `mroot`; the process is in `cg`.
  void v1(const std::string& cg, const std::string& mroot = "/") {
    write("/proc/self/cgroup", "4:memory:" + cg + "\n3:cpu,cpuacct:" + cg + "\n0::/\n");
    write("/proc/self/mountinfo",
          "25 30 0:23 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
          "31 25 0:28 " + mroot + " /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
          "32 25 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
  }
  void v1_quota(const std::string& dir, long quota, long period = 100000) {
    write("/sys/fs/cgroup/cpu,cpuacct" + dir + "/cpu.cfs_quota_us", std::to_string(quota) + "\n");
    write("/sys/fs/cgroup/cpu,cpuacct" + dir + "/cpu.cfs_period_us", std::to_string(period) + "\n");
  }
  void v2(const std::string& cg) {
    write("/proc/self/cgroup", "0::" + cg + "\n");
    write("/proc/self/mountinfo", "30 1 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n");
  }
  void v2_max(const std::string& dir, const std::string& max) {
    write("/sys/fs/cgroup" + dir + "/cpu.max", max + "\n");
  }

 private:
  std::string dir_;
};

TEST(CgroupTest, V1TighterAncestorWins) {
  FakeRoot r;
  r.status("0-7");
  r.v1("/kubepods/pod1/ctr");
  r.v1_quota("/kubepods/pod1/ctr", 400000);  // 4 CPUs at the leaf
  r.v1_quota("/kubepods/pod1", 150000);      // 1.5 CPUs at the pod
  r.v1_quota("/kubepods", -1);
  r.v1_quota("", -1);
  CpuLimits l = read_cpu_limits(r.dir());
  EXPECT_EQ(l.cgroup_version, 1);
  EXPECT_EQ(l.affinity_cpus, 8);
  ASSERT_EQ(l.chain.size(), 4u);
  EXPECT_EQ(l.chain[0].path, "/kubepods/pod1/ctr");
  EXPECT_EQ(l.chain[0].quota_us, 400000);
  EXPECT_EQ(l.chain[1].path, "/kubepods/pod1");
  EXPECT_EQ(l.chain[1].quota_us, 150000);
  EXPECT_EQ(l.chain[3].path, "/");
  EXPECT_EQ(l.chain[3].quota_us, -1);
  EXPECT_DOUBLE_EQ(l.quota_cpus, 1.5);
  EXPECT_EQ(default_procs(l), 2);
}

TEST(CgroupTest, V1LooserAncestorDoesNotLoosen) {
  FakeRoot r;
  r.status("0-15");
  r.v1("/a/b");
  r.v1_quota("/a/b", 50000, 100000);   // 0.5
  r.v1_quota("/a", 800000, 100000);    // 8
  CpuLimits l = read_cpu_limits(r.dir());
  EXPECT_DOUBLE_EQ(l.quota_cpus, 0.5);
  EXPECT_EQ(default_procs(l), 2);  // ceil(0.5)=1, at least 2
}

TEST(CgroupTest, V1NoLimitAndMissingFiles) {
  FakeRoot r;
  r.status("0-3");
  r.v1("/x/y");
  r.v1_quota("/x/y", -1);
  // /x and / have no files at all: missing means no limit.
  CpuLimits l = read_cpu_limits(r.dir());
  EXPECT_EQ(l.cgroup_version, 1);
  EXPECT_EQ(l.chain.size(), 3u);
  EXPECT_LE(l.quota_cpus, 0);
  EXPECT_EQ(default_procs(l), 4);
}

TEST(CgroupTest, V1MountRootInsideHierarchy) {
  // A container sees only its own subtree: the mount's root is /docker/c1.
  FakeRoot r;
  r.status("0-3");
  r.v1("/docker/c1", "/docker/c1");
  r.v1_quota("", 250000);  // the mount point itself is /docker/c1
  CpuLimits l = read_cpu_limits(r.dir());
  ASSERT_EQ(l.chain.size(), 1u);
  EXPECT_EQ(l.chain[0].path, "/docker/c1");
  EXPECT_DOUBLE_EQ(l.quota_cpus, 2.5);
  EXPECT_EQ(default_procs(l), 3);
}

TEST(CgroupTest, V2TighterAncestorAndFraction) {
  FakeRoot r;
  r.status("0-7");
  r.v2("/user.slice/job");
  r.v2_max("/user.slice/job", "max 100000");
  r.v2_max("/user.slice", "150000 100000");
  CpuLimits l = read_cpu_limits(r.dir());
  EXPECT_EQ(l.cgroup_version, 2);
  ASSERT_EQ(l.chain.size(), 3u);
  EXPECT_EQ(l.chain[0].quota_us, -1);
  EXPECT_EQ(l.chain[1].quota_us, 150000);
  EXPECT_EQ(l.chain[1].version, 2);
  EXPECT_DOUBLE_EQ(l.quota_cpus, 1.5);
  EXPECT_EQ(default_procs(l), 2);
}

TEST(CgroupTest, V2HalfCpuWithOtherPeriod) {
  FakeRoot r;
  r.status("0-1");
  r.v2("/g");
  r.v2_max("/g", "25000 50000");
  CpuLimits l = read_cpu_limits(r.dir());
  EXPECT_DOUBLE_EQ(l.quota_cpus, 0.5);
  EXPECT_EQ(l.chain[0].period_us, 50000);
  EXPECT_EQ(default_procs(l), 2);
}

TEST(CgroupTest, AffinitySmallerThanQuota) {
  FakeRoot r;
  r.status("3");
  r.v2("/g");
  r.v2_max("/g", "400000 100000");
  CpuLimits l = read_cpu_limits(r.dir());
  EXPECT_EQ(l.affinity_cpus, 1);
  EXPECT_DOUBLE_EQ(l.quota_cpus, 4.0);
  EXPECT_EQ(default_procs(l), 1);  // never above the affinity, even under 2
}

TEST(CgroupTest, NothingReadable) {
  FakeRoot r;  // empty tree: no status, no cgroup files
  CpuLimits l = read_cpu_limits(r.dir());
  EXPECT_EQ(l.cgroup_version, 0);
  EXPECT_TRUE(l.chain.empty());
  EXPECT_GE(l.affinity_cpus, 1);
  EXPECT_EQ(default_procs(l), l.affinity_cpus);
}

TEST(CgroupTest, GarbageFilesMeanNoLimit) {
  FakeRoot r;
  r.status("0-3");
  r.v2("/g");
  r.v2_max("/g", "lots of cpu");
  CpuLimits l = read_cpu_limits(r.dir());
  EXPECT_LE(l.quota_cpus, 0);
  EXPECT_EQ(default_procs(l), 4);
}

TEST(CgroupTest, CpuList) {
  EXPECT_EQ(gort::sched::parse_cpu_list("0-3,8,10-11"), 7);
  EXPECT_EQ(gort::sched::parse_cpu_list(" 0\n"), 1);
  EXPECT_EQ(gort::sched::parse_cpu_list("3-1"), 0);
  EXPECT_EQ(gort::sched::parse_cpu_list("a"), 0);
}

TEST(CgroupTest, RealMachineDoesNotThrow) {
  CpuLimits l = read_cpu_limits("/");
  EXPECT_GE(l.affinity_cpus, 1);
  EXPECT_GE(default_procs(l), 1);
  EXPECT_LE(default_procs(l), l.affinity_cpus);
}

}  // namespace
