// atomic_file_test.cc — write_file_atomic leaves either the old or the new
// file, even when the writer is killed in the middle.
#include "gortbench/atomic_file.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gort-atomic-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(AtomicFileTest, WritesAndReplaces) {
  std::string p = dir_ + "/run.json", err;
  ASSERT_TRUE(gortbench::write_file_atomic(p, "one", &err)) << err;
  EXPECT_EQ(slurp(p), "one");
  ASSERT_TRUE(gortbench::write_file_atomic(p, "two", &err)) << err;
  EXPECT_EQ(slurp(p), "two");
  int n = 0;
  for (auto& e : fs::directory_iterator(dir_)) (void)e, n++;
  EXPECT_EQ(n, 1);  // no temporary left behind
}

TEST_F(AtomicFileTest, UnwritableDirectoryFailsWithReason) {
  std::string err;
  EXPECT_FALSE(gortbench::write_file_atomic(dir_ + "/missing/run.json", "x", &err));
  EXPECT_NE(err.find("missing"), std::string::npos) << err;
}

TEST_F(AtomicFileTest, KillDuringWriteKeepsPreviousFile) {
  std::string p = dir_ + "/run.json", err;
  const std::string old_content(1000, 'o');
  ASSERT_TRUE(gortbench::write_file_atomic(p, old_content, &err));
  const std::string big(32 << 20, 'n');  // 32 MiB: takes a while to write
  for (int delay_us : {0, 2000, 10000, 30000}) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::string e;
      for (;;) gortbench::write_file_atomic(p, big, &e);
    }
    ::usleep(static_cast<useconds_t>(delay_us));
    ::kill(pid, SIGKILL);
    int st;
    ::waitpid(pid, &st, 0);
    std::string now = slurp(p);
    EXPECT_TRUE(now == old_content || now == big) << "torn file of " << now.size() << " bytes";
    // Restore the old content for the next round.
    ASSERT_TRUE(gortbench::write_file_atomic(p, old_content, &err));
  }
}

}  // namespace
