// gort/runtime.h — starting the runtime, starting goroutines, and the
// scheduler controls a program may touch (Go's package runtime, in part).
//
//   int main() {
//     return gort::run([] {
//       gort::go([] { std::puts("hello from a goroutine"); });
//       gort::sleep(std::chrono::milliseconds(1));
//       return 0;
//     });
//   }
//
// run() turns the calling thread into the first M, runs `main` as the first
// goroutine and returns its exit code once it returns; goroutines still alive
// then are discarded without running their destructors (as Go exits the
// process). run() may be called again afterwards; it may not be nested.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#include <type_traits>
#include <utility>

namespace gort {

// Options for run(). Zero fields mean "the default", which the environment
// knobs (GOMAXPROCS, GODEBUG, ...) may set; see gort/knobs.h.
struct Options {
  int max_procs = 0;             // GOMAXPROCS; 0: from env, else CPUs usable
  std::size_t stack_size = 0;    // bytes reserved per goroutine stack; 0: 256 KiB
  std::size_t main_stack_size = 0;  // main goroutine's stack; 0: 8 MiB
};

namespace detail {
int run_main(std::function<int()> main, Options opts);
}

// run executes main (returning int or void) as the first goroutine on a
// fresh runtime and returns its result (0 for void). REQUIRES: not called
// from inside a goroutine; not already running.
template <class F>
int run(F&& main, Options opts = {}) {
  if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
    return detail::run_main(
        [f = std::forward<F>(main)]() mutable {
          f();
          return 0;
        },
        opts);
  } else {
    return detail::run_main(std::function<int()>(std::forward<F>(main)), opts);
  }
}

namespace detail {
// A goroutine's entry: fn(arg). destroy(arg) releases arg after fn returns or
// when the goroutine is discarded unstarted at shutdown.
struct GoEntry {
  void (*fn)(void* arg);
  void (*destroy)(void* arg);
  void* arg;
  // arg_size: bytes at arg for an out-of-line closure (the GC scans them
  // as a root while the goroutine lives); 0 for one inside the G.
  std::size_t arg_size = 0;
};
// Inline space for a closure in the G itself: closures that fit need no
// allocation to start a goroutine.
inline constexpr std::size_t kInlineClosure = 48;
// newproc starts a goroutine running entry. newproc_inline instead calls
// place(storage, src) with kInlineClosure bytes of storage inside the new G,
// where place move-constructs the closure from src and returns the entry.
void newproc(GoEntry entry);
void newproc_inline(GoEntry (*place)(void* storage, void* src), void* src);
}  // namespace detail

// go starts f() as a new goroutine, like Go's `go f()`. Small closures are
// stored inside the goroutine descriptor; larger ones are heap-allocated.
template <class F>
void go(F&& f) {
  using Fn = std::decay_t<F>;
  if constexpr (sizeof(Fn) <= detail::kInlineClosure && alignof(Fn) <= alignof(std::max_align_t) &&
                std::is_nothrow_move_constructible_v<Fn>) {
    detail::newproc_inline(
        [](void* storage, void* src) -> detail::GoEntry {
          Fn* fn = ::new (storage) Fn(std::move(*static_cast<Fn*>(src)));
          return {[](void* a) { (*static_cast<Fn*>(a))(); },
                  [](void* a) { static_cast<Fn*>(a)->~Fn(); }, fn};
        },
        const_cast<void*>(static_cast<const void*>(std::addressof(f))));
  } else {
    Fn* fn = new Fn(std::forward<F>(f));
    detail::newproc({[](void* a) { (*static_cast<Fn*>(a))(); },
                     [](void* a) { delete static_cast<Fn*>(a); }, fn, sizeof(Fn)});
  }
}

// gosched yields the processor: the current goroutine goes to the back of
// its P's run queue and another runs (runtime.Gosched).
void gosched();

// goid returns the current goroutine's id (1 for main), or 0 when called
// from a thread that is not running a goroutine.
std::uint64_t goid();

// in_goroutine reports whether the caller runs on a goroutine.
bool in_goroutine();

// max_procs returns GOMAXPROCS; set_max_procs(n) changes it (n >= 1) with a
// stop-the-world resize and returns the previous value; n <= 0 only queries.
int max_procs();
int set_max_procs(int n);

// num_goroutine returns the number of goroutines that exist (not dead).
int num_goroutine();

// lock_os_thread wires the calling goroutine to its current OS thread: it
// only ever runs there, and no other goroutine runs there, until the matching
// unlock_os_thread. Calls nest (a count), as in Go.
void lock_os_thread();
void unlock_os_thread();

// preempt_point is a cooperative safe point: it yields if the scheduler has
// asked this goroutine to stop (sysmon's 10 ms time slice). Runtime calls do
// this already; long loops that call nothing may, but need not, since
// asynchronous preemption reaches them too.
void preempt_point();

namespace runtime {
// An M-start hook runs on every new M (OS thread) before it runs any
// goroutine, with the M's id (0 for the thread that called run()). The
// harness uses it to pin Ms and open counters. REQUIRES: set before run().
using MStartHook = void (*)(int m_id, void* arg);
void on_m_start(MStartHook hook, void* arg);
// An M-exit hook runs on each M as its thread leaves the runtime.
void on_m_exit(MStartHook hook, void* arg);

// external_wakeups declares, for its lifetime, that a thread the runtime does
// not own (a C library's callback thread, say) may still wake a goroutine,
// e.g. with a non-blocking channel send. While one exists, "all goroutines
// are asleep" is not reported as a deadlock, since that thread can end it.
class external_wakeups {
 public:
  external_wakeups();
  ~external_wakeups();
  external_wakeups(const external_wakeups&) = delete;
  external_wakeups& operator=(const external_wakeups&) = delete;
};
}  // namespace runtime

}  // namespace gort
