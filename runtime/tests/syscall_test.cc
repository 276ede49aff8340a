// syscall_test.cc — a goroutine blocked in a system call gives up its P.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>

#include "gort/gort.h"
#include "test_util.h"

namespace {

TEST(Syscall, BlockedReadDoesNotStallOthersOnOneP) {
  gort::testing::Watchdog w("read() hand-off at GOMAXPROCS=1");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::atomic<bool> reader_in{false}, reader_done{false}, other_ran{false};
  char got = 0;
  gort::run(
      [&] {
        gort::go([&] {
          reader_in = true;
          gort::syscall_guard g;
          ssize_t n = read(fds[0], &got, 1);
          EXPECT_EQ(n, 1);
          reader_done = true;
        });
        while (!reader_in.load()) gort::gosched();
        // The only P is held by the reader's M until sysmon retakes it;
        // this goroutine and the next must still run.
        gort::go([&] { other_ran = true; });
        while (!other_ran.load()) gort::sleep(std::chrono::milliseconds(1));
        EXPECT_FALSE(reader_done.load());
        char c = 'x';
        ASSERT_EQ(write(fds[1], &c, 1), 1);
        while (!reader_done.load()) gort::sleep(std::chrono::milliseconds(1));
      },
      gort::Options{.max_procs = 1});
  EXPECT_EQ(got, 'x');
  close(fds[0]);
  close(fds[1]);
}

TEST(Syscall, ManyShortSyscallsKeepTheirP) {
  gort::run(
      [] {
        long sum = 0;
        for (int i = 0; i < 10000; i++) {
          gort::enter_syscall();
          sum += getpid() > 0;
          gort::exit_syscall();
        }
        EXPECT_EQ(sum, 10000);
      },
      gort::Options{.max_procs = 2});
}

TEST(Syscall, SyscallCallsOffGoroutinesAreHarmless) {
  gort::enter_syscall();
  gort::exit_syscall();
  SUCCEED();
}

TEST(SyscallDeathTest, GoInsideSyscallIsAClearError) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(gort::run([] {
                gort::syscall_guard g;
                gort::go([] {});
              }),
              ::testing::ExitedWithCode(2), "between enter_syscall and exit_syscall");
}

}  // namespace
