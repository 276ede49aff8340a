// test_util.h — helpers shared by the runtime tests.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "gort/gort.h"

namespace gort::testing {

// Watchdog fails the test process loudly if a scenario hangs (instead of
// waiting for CTest's timeout), naming the scenario.
class Watchdog {
 public:
  explicit Watchdog(const char* what, std::chrono::seconds limit = std::chrono::seconds(60)) : what_(what) {
    t_ = std::thread([this, limit] {
      std::unique_lock<std::mutex> lk(mu_);
      if (!cv_.wait_for(lk, limit, [this] { return done_; })) {
        std::fprintf(stderr, "watchdog: '%s' did not finish in %lld s\n", what_,
                     static_cast<long long>(limit.count()));
        std::fflush(stderr);
        _exit(3);
      }
    });
  }
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      done_ = true;
    }
    cv_.notify_all();
    t_.join();
  }

 private:
  const char* what_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread t_;
};

// Env sets an environment variable for a scope (the knobs are read again at
// the start of each run()) and restores it after.
class Env {
 public:
  Env(const char* name, const char* value) : name_(name) {
    const char* old = getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    setenv(name, value, 1);
  }
  ~Env() {
    if (had_) setenv(name_, old_.c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  bool had_ = false;
  std::string old_;
};

// wait_until yields until pred() holds.
template <class Pred>
void wait_until(Pred pred) {
  while (!pred()) gort::gosched();
}

inline constexpr bool kTsan =
#if defined(GORT_TSAN)
    true;
#else
    false;
#endif
inline constexpr bool kSanitized =
#if defined(GORT_TSAN) || defined(GORT_ASAN)
    true;
#else
    false;
#endif

}  // namespace gort::testing
