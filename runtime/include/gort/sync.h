// gort/sync.h — Go's package sync: mutex, rwmutex, wait_group, once, cond.
//
// All of them park goroutines, never OS threads, on the runtime's semaphore
// table (runtime/src/sync/sema.cc). Each is safe for use by many goroutines;
// the zero state (default constructed) is ready to use, as in Go. An unlock
// of an unlocked mutex is a fatal error, as in Go; WaitGroup misuse panics.
// A blocking call from a thread that is not a goroutine fails with a fatal
// error when it would have to wait. Lock contracts carry clang
// thread-safety annotations (no-ops for other compilers).
#pragma once

#include <atomic>
#include <cstdint>
#include <type_traits>
#include <utility>

#if defined(__clang__)
#define GORT_TSA(x) __attribute__((x))
#else
#define GORT_TSA(x)
#endif
#define GORT_CAPABILITY(x) GORT_TSA(capability(x))
#define GORT_SCOPED_CAPABILITY GORT_TSA(scoped_lockable)
#define GORT_ACQUIRE(...) GORT_TSA(acquire_capability(__VA_ARGS__))
#define GORT_ACQUIRE_SHARED(...) GORT_TSA(acquire_shared_capability(__VA_ARGS__))
#define GORT_RELEASE(...) GORT_TSA(release_capability(__VA_ARGS__))
#define GORT_RELEASE_SHARED(...) GORT_TSA(release_shared_capability(__VA_ARGS__))
#define GORT_TRY_ACQUIRE(...) GORT_TSA(try_acquire_capability(__VA_ARGS__))
#define GORT_TRY_ACQUIRE_SHARED(...) GORT_TSA(try_acquire_shared_capability(__VA_ARGS__))
#define GORT_GUARDED_BY(x) GORT_TSA(guarded_by(x))
#define GORT_REQUIRES(...) GORT_TSA(requires_capability(__VA_ARGS__))
#define GORT_EXCLUDES(...) GORT_TSA(locks_excluded(__VA_ARGS__))

namespace gort::sync {

// mutex is Go's sync.Mutex: a goroutine that finds it locked spins briefly
// (multi-P only), then parks on the semaphore table. Normal mode lets a
// newly arriving goroutine barge ahead of woken waiters (throughput); a
// waiter that has waited over 1 ms switches the mutex to starvation mode, in
// which unlock hands ownership straight to the oldest waiter (FIFO) until
// the queue drains or the waiter waited under 1 ms. Not recursive; it may be
// unlocked by a goroutine other than the one that locked it.
class GORT_CAPABILITY("mutex") mutex {
 public:
  constexpr mutex() = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

  // lock locks the mutex, parking until it is available.
  void lock() GORT_ACQUIRE() {
    std::int32_t unlocked = 0;
    if (state_.compare_exchange_strong(unlocked, kLocked, std::memory_order_acquire,
                                       std::memory_order_relaxed))
      return;
    lock_slow();
  }
  // try_lock locks the mutex if that needs no waiting.
  bool try_lock() GORT_TRY_ACQUIRE(true) {
    std::int32_t old = state_.load(std::memory_order_relaxed);
    if (old & (kLocked | kStarving)) return false;
    return state_.compare_exchange_strong(old, old | kLocked, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }
  // unlock unlocks the mutex. Fatal if it is not locked.
  void unlock() GORT_RELEASE() {
    std::int32_t n = state_.fetch_sub(kLocked, std::memory_order_release) - kLocked;
    if (n != 0) unlock_slow(n);
  }

  // State bits (public for tests): locked, a waiter was woken (so unlock
  // need not wake another), starvation mode; the rest counts waiters.
  static constexpr std::int32_t kLocked = 1, kWoken = 2, kStarving = 4, kWaiterShift = 3;
  std::int32_t state_for_testing() const { return state_.load(std::memory_order_relaxed); }

 private:
  void lock_slow();
  void unlock_slow(std::int32_t n);
  std::atomic<std::int32_t> state_{0};
  std::atomic<std::uint32_t> sema_{0};
};

// rwmutex is Go's sync.RWMutex: any number of readers or one writer. A
// writer waiting in lock() keeps new readers out (writer preference), so
// readers cannot starve it; do not take a read lock recursively.
class GORT_CAPABILITY("rwmutex") rwmutex {
 public:
  constexpr rwmutex() = default;
  rwmutex(const rwmutex&) = delete;
  rwmutex& operator=(const rwmutex&) = delete;

  // lock_shared takes a read lock (Go's RLock).
  void lock_shared() GORT_ACQUIRE_SHARED();
  bool try_lock_shared() GORT_TRY_ACQUIRE_SHARED(true);
  // unlock_shared releases a read lock (RUnlock). Fatal if none is held.
  void unlock_shared() GORT_RELEASE_SHARED();
  // lock takes the write lock, waiting for readers to leave.
  void lock() GORT_ACQUIRE();
  bool try_lock() GORT_TRY_ACQUIRE(true);
  // unlock releases the write lock. Fatal if it is not held.
  void unlock() GORT_RELEASE();

  static constexpr std::int32_t kMaxReaders = 1 << 30;

 private:
  void unlock_shared_slow(std::int32_t r);
  mutex w_;                                // held by a writer (pending or active)
  std::atomic<std::uint32_t> writer_sem_{0};  // the writer waits for readers here
  std::atomic<std::uint32_t> reader_sem_{0};  // readers wait for the writer here
  std::atomic<std::int32_t> reader_count_{0}; // readers in; -kMaxReaders while a writer is pending
  std::atomic<std::int32_t> reader_wait_{0};  // readers the pending writer still waits for
};

// wait_group is Go's sync.WaitGroup: add(n) before starting work, done()
// when each piece finishes, wait() until the count is zero. Reusable once
// wait has returned. A negative count panics.
class wait_group {
 public:
  constexpr wait_group() = default;
  wait_group(const wait_group&) = delete;
  wait_group& operator=(const wait_group&) = delete;

  void add(int delta);
  void done() { add(-1); }
  void wait();

 private:
  // state_: the counter in the high 32 bits, the number of waiters in the low.
  std::atomic<std::uint64_t> state_{0};
  std::atomic<std::uint32_t> sema_{0};
};

// once is Go's sync.Once: call(f) runs f the first time only; every call
// returns after f has finished. If f throws (panics), once counts it as
// done, as Go does.
class once {
 public:
  constexpr once() = default;
  once(const once&) = delete;
  once& operator=(const once&) = delete;

  template <class F>
  void call(F&& f) {
    if (done_.load(std::memory_order_acquire) != 0) return;
    call_slow(std::forward<F>(f));
  }
  bool done() const { return done_.load(std::memory_order_acquire) != 0; }

 private:
  template <class F>
  void call_slow(F&& f) {
    struct Unlock {
      once* o;
      ~Unlock() { o->m_.unlock(); }
    };
    struct MarkDone {
      once* o;
      ~MarkDone() { o->done_.store(1, std::memory_order_release); }
    };
    m_.lock();
    Unlock unlock{this};
    if (done_.load(std::memory_order_relaxed) == 0) {
      MarkDone mark{this};
      std::forward<F>(f)();
    }
  }
  std::atomic<std::uint32_t> done_{0};
  mutex m_;
};

namespace detail {
// notify_list is Go's notifyList, the ticket queue behind cond: wait hands
// out tickets, notify advances a counter past them. head/tail are the
// parked waiters, guarded by the semaphore-table lock for this address.
struct notify_list {
  std::atomic<std::uint32_t> wait{0};    // next ticket
  std::atomic<std::uint32_t> notify{0};  // next ticket to be notified
  void* head = nullptr;
  void* tail = nullptr;
};
std::uint32_t notify_list_add(notify_list* l);
void notify_list_wait(notify_list* l, std::uint32_t ticket);
void notify_list_notify_one(notify_list* l);
void notify_list_notify_all(notify_list* l);
}  // namespace detail

// cond is Go's sync.Cond over a lock L (anything with lock()/unlock(), such
// as sync::mutex): wait() atomically unlocks L and parks, and relocks L
// before returning; signal() wakes one waiter, broadcast() all. As in Go,
// wait() may return without the condition holding: wait in a loop.
class cond {
 public:
  template <class L>
  explicit cond(L& l)
      : l_(&l),
        lock_([](void* p) { static_cast<L*>(p)->lock(); }),
        unlock_([](void* p) { static_cast<L*>(p)->unlock(); }) {}
  cond(const cond&) = delete;
  cond& operator=(const cond&) = delete;

  // wait: REQUIRES the caller holds L.
  void wait() {
    std::uint32_t t = detail::notify_list_add(&n_);
    unlock_(l_);
    detail::notify_list_wait(&n_, t);
    lock_(l_);
  }
  void signal() { detail::notify_list_notify_one(&n_); }
  void broadcast() { detail::notify_list_notify_all(&n_); }

 private:
  void* l_;
  void (*lock_)(void*);
  void (*unlock_)(void*);
  detail::notify_list n_;
};

// lock_guard / shared_lock are annotated scoped locks for the above.
template <class M>
class GORT_SCOPED_CAPABILITY lock_guard {
 public:
  explicit lock_guard(M& m) GORT_ACQUIRE(m) : m_(m) { m_.lock(); }
  ~lock_guard() GORT_RELEASE() { m_.unlock(); }
  lock_guard(const lock_guard&) = delete;
  lock_guard& operator=(const lock_guard&) = delete;

 private:
  M& m_;
};

class GORT_SCOPED_CAPABILITY shared_lock {
 public:
  explicit shared_lock(rwmutex& m) GORT_ACQUIRE_SHARED(m) : m_(m) { m_.lock_shared(); }
  ~shared_lock() GORT_RELEASE() { m_.unlock_shared(); }
  shared_lock(const shared_lock&) = delete;
  shared_lock& operator=(const shared_lock&) = delete;

 private:
  rwmutex& m_;
};

}  // namespace gort::sync
