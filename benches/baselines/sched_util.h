// sched_util.h — helpers shared by the scheduler and timer benchmarks
// (sched_bench.cc, timer_bench.cc). Header-only; no runtime code of its own
// beyond what park.h and timer.h export.
//
//   Latch          a one-shot join for N goroutines (Go's WaitGroup.Wait for a
//                  fixed count): done() N times, wait() parks until the last.
//   Gate           parks any number of goroutines until open(); counts them.
//   Ticker         a 1-ms-style ticker on a runtime timer, with Go 1.23's
//                  semantics: one buffered tick, later ones dropped while it
//                  is unread, and each tick carries its scheduled time.
//   ProcsScope     set_max_procs(n) for a scope (n <= 0: leave it alone).
//   rss_bytes()    resident set size from /proc/self/statm.
//   percentile()   nearest-rank percentile (the Go twins use the same rule).
//   spin_work()    the CPU-bound kernel; the Go twins run the same arithmetic.
//   run_child()    re-runs this binary as a child process for one measurement
//                  (memory figures need a fresh process: a runtime that
//                  caches stacks would otherwise report ~0 from the 2nd rep).
//
// Join and park use gopark/goready directly (runtime/src/sched/park.h): the
// same primitive channels and sync build on, so a join costs what a
// WaitGroup.Wait would, not a polling loop.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gort/gort.h"
#include "sched/lock.h"
#include "sched/park.h"
#include "sched/timer.h"

extern char** environ;

namespace gort_bench {

using gort::sched::G;

// Latch: count goroutines down to zero; one waiter parks until then.
// Invariant: waiter_ is nullptr (nobody parked, count > 0), a parked G, or
// kDone (count reached zero; set by the last done(), which touches the latch
// no more afterwards — so the waiter may destroy it as soon as it sees kDone).
class Latch {
 public:
  explicit Latch(std::int64_t n = 0) { reset(n); }
  Latch(const Latch&) = delete;
  Latch& operator=(const Latch&) = delete;

  // reset re-arms the latch for n done() calls. REQUIRES: no waiter.
  void reset(std::int64_t n) {
    count_.store(n, std::memory_order_relaxed);
    waiter_.store(n == 0 ? kDone() : nullptr, std::memory_order_release);
  }
  void done() {
    if (count_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    G* w = waiter_.exchange(kDone(), std::memory_order_acq_rel);
    if (w != nullptr) gort::sched::goready(w);
  }
  // wait parks the calling goroutine until the count reaches zero.
  void wait() {
    if (waiter_.load(std::memory_order_acquire) == kDone()) return;
    gort::sched::gopark(&Latch::commit, this, gort::sched::WaitReason::kSyncWaitGroupWait);
  }

 private:
  static G* kDone() { return reinterpret_cast<G*>(std::uintptr_t{1}); }
  // Runs once the waiter is off its stack; false (count already zero) makes
  // it runnable again at once.
  static bool commit(G* gp, void* arg) {
    G* expected = nullptr;
    return static_cast<Latch*>(arg)->waiter_.compare_exchange_strong(
        expected, gp, std::memory_order_acq_rel, std::memory_order_acquire);
  }
  std::atomic<std::int64_t> count_{0};
  std::atomic<G*> waiter_{nullptr};
};

// Gate: goroutines park in wait() until open(); at most `capacity` of them.
// The waiter array is allocated and touched up front so that it adds nothing
// to an RSS figure taken while goroutines park.
class Gate {
 public:
  explicit Gate(std::size_t capacity) : cap_(capacity), waiters_(new G*[capacity]) {
    std::fill_n(waiters_.get(), cap_, nullptr);
  }
  void wait() { gort::sched::gopark(&Gate::commit, this, gort::sched::WaitReason::kChanRecv); }
  std::int64_t parked() const { return parked_.load(std::memory_order_acquire); }
  void open() {
    std::size_t n;
    {
      gort::sched::LockGuard l(lock_);
      open_ = true;
      n = n_;
      n_ = 0;
    }
    for (std::size_t i = 0; i < n; i++) gort::sched::goready(waiters_[i]);
  }

 private:
  static bool commit(G* gp, void* arg) {
    auto* g = static_cast<Gate*>(arg);
    gort::sched::LockGuard l(g->lock_);
    if (g->open_ || g->n_ == g->cap_) return false;
    g->waiters_[g->n_++] = gp;
    g->parked_.fetch_add(1, std::memory_order_release);
    return true;
  }
  gort::sched::Lock lock_;
  bool open_ = false;      // guarded by lock_
  std::size_t n_ = 0;      // guarded by lock_
  const std::size_t cap_;
  std::unique_ptr<G*[]> waiters_;  // [0, n_) guarded by lock_
  std::atomic<std::int64_t> parked_{0};
};

// Ticker: a periodic runtime timer delivering ticks to one receiver, as Go
// 1.23's time.Ticker does: recv() returns the tick's scheduled time (Go's
// tick value is Now()-delta, i.e. its `when`), a tick that finds the previous
// one unread is dropped, and after a late fire the next tick is the first
// period boundary after now. Lateness of a tick = receive time - recv().
//
// state_ is kEmpty, a pending tick (its slot time * 2 + 1: odd), or the
// parked receiver's G (aligned: even, non-zero). A tick for a parked receiver
// travels in its g_param. Tickers are never freed (stop() only disarms): the
// runtime may still be about to call fire() when timer_stop returns, so the
// memory must stay valid; a stopped ticker's fire() does nothing. A few dozen
// bytes per benchmark run.
class Ticker {
 public:
  static Ticker* start(std::int64_t period_ns) { return new Ticker(period_ns); }
  std::int64_t recv() {
    for (;;) {
      std::uintptr_t s = state_.load(std::memory_order_acquire);
      if (s & 1) {
        if (state_.compare_exchange_strong(s, kEmpty, std::memory_order_acq_rel))
          return static_cast<std::int64_t>(s >> 1);
        continue;
      }
      G* self = gort::sched::getg();
      gort::sched::set_g_param(self, nullptr);
      gort::sched::gopark(&Ticker::commit, this, gort::sched::WaitReason::kChanRecv);
      if (void* p = gort::sched::g_param(self)) return reinterpret_cast<std::intptr_t>(p);
      // commit found a pending tick: take it on the next pass.
    }
  }
  void stop() {
    stopped_.store(true, std::memory_order_release);
    gort::sched::timer_stop(&t_);
  }
  std::int64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::uintptr_t kEmpty = 0;
  explicit Ticker(std::int64_t period) : period_(period) {
    next_slot_ = gort::nanotime() + period;
    t_.f = &Ticker::fire;
    t_.arg = this;
    t_.period = period;
    gort::sched::timer_start(&t_, next_slot_);
  }
  static bool commit(G* gp, void* arg) {
    auto* tk = static_cast<Ticker*>(arg);
    std::uintptr_t expected = kEmpty;
    return tk->state_.compare_exchange_strong(expected, reinterpret_cast<std::uintptr_t>(gp),
                                              std::memory_order_acq_rel);
  }
  // fire runs on a scheduler thread, never concurrently with itself.
  static void fire(void* arg, std::int64_t now) {
    auto* tk = static_cast<Ticker*>(arg);
    if (tk->stopped_.load(std::memory_order_acquire)) return;
    if (now < tk->next_slot_) return;  // an extra fire for a period already delivered
    std::int64_t slot = tk->next_slot_;
    tk->next_slot_ = slot + tk->period_ * (1 + (now - slot) / tk->period_);
    std::uintptr_t s = tk->state_.load(std::memory_order_acquire);
    for (;;) {
      if (s & 1) {  // previous tick unread: drop this one (Go's buffer of 1)
        tk->dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      if (s == kEmpty) {
        std::uintptr_t pending = (static_cast<std::uintptr_t>(slot) << 1) | 1;
        if (tk->state_.compare_exchange_weak(s, pending, std::memory_order_acq_rel)) return;
        continue;
      }
      // A receiver is parked: hand it the tick and wake it.
      if (tk->state_.compare_exchange_weak(s, kEmpty, std::memory_order_acq_rel)) {
        G* gp = reinterpret_cast<G*>(s);
        gort::sched::set_g_param(gp, reinterpret_cast<void*>(static_cast<std::intptr_t>(slot)));
        gort::sched::goready(gp);
        return;
      }
    }
  }
  gort::sched::Timer t_;
  const std::int64_t period_;
  std::int64_t next_slot_;  // written by fire() only (and the constructor)
  std::atomic<std::uintptr_t> state_{kEmpty};
  std::atomic<bool> stopped_{false};
  std::atomic<std::int64_t> dropped_{0};
};

// ProcsScope sets GOMAXPROCS for a scope; n <= 0 leaves the runtime's choice.
class ProcsScope {
 public:
  explicit ProcsScope(long n) : prev_(n > 0 ? gort::set_max_procs(static_cast<int>(n)) : 0) {}
  ~ProcsScope() {
    if (prev_ > 0) gort::set_max_procs(prev_);
  }
  ProcsScope(const ProcsScope&) = delete;
  ProcsScope& operator=(const ProcsScope&) = delete;

 private:
  int prev_;
};

// rss_bytes: resident set size (second field of /proc/self/statm, in pages).
inline std::int64_t rss_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  long size = 0, resident = 0;
  int n = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  if (n != 2) return -1;
  return static_cast<std::int64_t>(resident) * sysconf(_SC_PAGESIZE);
}

// percentile: nearest-rank p-th percentile (p in [0,1]) of v, which it sorts.
inline double percentile(std::vector<std::int64_t>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
  if (rank < 1) rank = 1;
  return static_cast<double>(v[std::min(rank, v.size()) - 1]);
}

// spin_work: n steps of a dependent LCG + xorshift chain (~2 ns each). The Go
// twins' spinWork is the same arithmetic.
inline std::uint64_t spin_work(std::uint64_t x, std::int64_t n) {
  for (std::int64_t i = 0; i < n; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    x ^= x >> 29;
  }
  return x;
}

// ---- child-process measurements -------------------------------------------
//
// run_child(name) runs this binary again with GORT_BENCH_CHILD=name and
// --benchmark_filter selecting the benchmark "Child/name", which only exists
// in that child (register_child() registers it when the variable is set). The
// child writes "key value" lines to the file named by GORT_BENCH_CHILD_OUT;
// run_child returns them. Returns an empty map on failure (and says why in
// *error). The parent goroutine waits inside enter_syscall/exit_syscall.
inline std::map<std::string, double> run_child(const std::string& name, std::string* error) {
  std::map<std::string, double> out;
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) {
    *error = "readlink /proc/self/exe failed";
    return out;
  }
  exe[n] = '\0';
  char path[] = "/tmp/gort_bench_child_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) {
    *error = "mkstemp failed";
    return out;
  }
  close(fd);
  std::vector<std::string> env_s;
  for (char** e = environ; *e != nullptr; e++) {
    if (std::strncmp(*e, "GORT_BENCH_CHILD", 16) != 0) env_s.emplace_back(*e);
  }
  env_s.push_back("GORT_BENCH_CHILD=" + name);
  env_s.push_back(std::string("GORT_BENCH_CHILD_OUT=") + path);
  std::vector<char*> envp;
  for (auto& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string filter = "--benchmark_filter=^Child/" + name + "(/|$)";
  std::vector<char*> argv = {exe, filter.data(), nullptr};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int rc;
  int status = 0;
  {
    gort::syscall_guard in_syscall;
    rc = posix_spawn(&pid, exe, &fa, nullptr, argv.data(), envp.data());
    if (rc == 0) {
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    *error = std::string("posix_spawn: ") + std::strerror(rc);
  } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *error = "child " + name + " failed (status " + std::to_string(status) + ")";
  } else if (FILE* f = std::fopen(path, "r")) {
    char key[128];
    double v;
    while (std::fscanf(f, "%127s %lf", key, &v) == 2) out[key] = v;
    std::fclose(f);
    if (out.empty()) *error = "child " + name + " wrote no result";
  }
  unlink(path);
  return out;
}

// child_name: the measurement this process was started for, or nullptr.
inline const char* child_name() { return std::getenv("GORT_BENCH_CHILD"); }

// write_child_result writes the child's "key value" lines.
inline void write_child_result(const std::map<std::string, double>& kv) {
  const char* path = std::getenv("GORT_BENCH_CHILD_OUT");
  if (path == nullptr) return;
  FILE* f = std::fopen(path, "w");
  if (f == nullptr) return;
  for (auto& [k, v] : kv) std::fprintf(f, "%s %.17g\n", k.c_str(), v);
  std::fclose(f);
}

}  // namespace gort_bench
