// gort/defer.h — Go's defer, panic and recover on C++ exceptions (claim 317).
//
//   int f() {
//     int result = 0;
//     gort::func([&](gort::frame& fr) {
//       fr.defer([&] {
//         if (gort::any r = gort::recover()) result = -1;  // stops the panic
//       });
//       gort::panic(std::string("boom"));
//     });
//     return result;  // -1: f returns normally after the recovery
//   }
//
// Model. gort::func(body) is one Go function activation: it owns a frame,
// and body(frame&) registers deferred calls on it with frame::defer. When
// the body returns, the deferred calls run last-in first-out. When the body
// throws (a panic, or any C++ exception), func catches it, leaves the catch
// handler, and runs the deferred calls in "panicking" mode: while a
// deferred call runs, the goroutine's current panic is visible to
// gort::recover(). recover() called there marks the panic recovered and
// returns its value; once that deferred call returns, the remaining
// deferred calls run normally and func returns normally (its result is
// R{} when body did not return one). If nothing recovers, func re-throws
// the panic to its caller, whose own func does the same, up to the
// goroutine's entry, which prints Go's report and exits with status 2.
//
// A deferred call that panics replaces the current panic (Go prints both:
// "panic: first [recovered]\n\tpanic: second"); the frame's remaining
// deferred calls still run. recover() returns a nil any when no panic is
// running, when called outside a deferred call, when called from a func
// nested inside the deferred call (Go's "directly called" rule, at func
// granularity: a plain C++ helper called by the deferred closure counts as
// the closure itself), and the second time for the same panic. panic(nil)
// panics with *runtime.PanicNilError (Go 1.21+). Other C++ exceptions run
// the deferred calls but cannot be recovered.
//
// Cost: registering a deferred call stores two function pointers and the
// closure in the frame's inline buffer (no allocation for up to 8 calls
// of up to 32 bytes of captures); running it is one indirect call. The
// per-goroutine panic state is only touched while a panic is running.
//
// Deferred calls never run inside a C++ catch handler, so they may park the
// goroutine (a goroutine may resume on another thread; the C++ runtime's
// per-thread "caught exceptions" stack must not be in use across that).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "gort/iface.h"
#include "gort/panic.h"

namespace gort {

class frame;

namespace lang {
// panic_record is one panic being handled by a frame's deferred calls.
struct panic_record {
  std::exception_ptr ep;
  panic_error* err;  // nullptr for a C++ exception that is not a panic
  bool recovered;
};
// g_deferring counts frames running deferred calls for a panic, process-
// wide; while it is zero the normal paths need not touch goroutine state.
extern std::atomic<int> g_deferring;
// run_deferred_slow runs the frame's deferred calls when the body threw
// (ep != nullptr) or panics are being handled somewhere; it re-throws an
// unrecovered panic.
void run_deferred_slow(frame& f, std::exception_ptr ep, panic_error* perr);
// hide_panic masks the goroutine's current panic from recover() for the
// life of a nested func (the slow path of func's entry).
class hide_panic {
 public:
  hide_panic();
  ~hide_panic();
  hide_panic(const hide_panic&) = delete;
  hide_panic& operator=(const hide_panic&) = delete;

 private:
  void* saved_;
};
}  // namespace lang

// frame holds one function activation's deferred calls.
class frame {
 public:
  frame() = default;
  frame(const frame&) = delete;
  frame& operator=(const frame&) = delete;
  ~frame() {
    if (__builtin_expect(n_ != 0 || overflow_ != nullptr, 0)) discard();
  }

  // defer registers f() to run when the enclosing gort::func finishes.
  template <class F>
  void defer(F&& f) {
    using Fn = std::decay_t<F>;
    static_assert(std::is_invocable_v<Fn&>, "frame::defer: needs a callable taking no arguments");
    void* obj;
    void (*destroy)(void*);
    constexpr std::size_t need = (sizeof(Fn) + 15) & ~std::size_t{15};
    if (alignof(Fn) <= 16 && used_ + need <= kInlineBytes && n_ < kInlineEntries) {
      obj = ::new (buf_ + used_) Fn(std::forward<F>(f));
      used_ += need;
      if constexpr (std::is_trivially_destructible_v<Fn>) {
        destroy = nullptr;  // nothing to do: skip the indirect call
      } else {
        destroy = [](void* p) { static_cast<Fn*>(p)->~Fn(); };
      }
    } else {
      obj = new Fn(std::forward<F>(f));
      destroy = [](void* p) { delete static_cast<Fn*>(p); };
    }
    push({[](void* p) { (*static_cast<Fn*>(p))(); }, destroy, obj});
  }

  // pending is the number of deferred calls not yet run.
  std::size_t pending() const noexcept { return n_ + (overflow_ ? overflow_->n : 0); }

 private:
  friend void lang::run_deferred_slow(frame&, std::exception_ptr, panic_error*);
  template <class F>
  friend decltype(auto) func(F&& body);

  struct entry {
    void (*call)(void*);
    void (*destroy)(void*);  // nullptr: trivially destructible, inline
    void* obj;
  };
  struct overflow_list {
    std::size_t n = 0, cap = 0;
    entry* e = nullptr;
  };
  static constexpr std::size_t kInlineEntries = 8;
  static constexpr std::size_t kInlineBytes = 256;

  void push(entry e) {
    if (n_ < kInlineEntries && overflow_ == nullptr) {
      entries_[n_++] = e;
    } else {
      push_overflow(e);
    }
  }
  void push_overflow(entry e);
  bool pop(entry* out) {
    if (overflow_ != nullptr && overflow_->n > 0) {
      *out = overflow_->e[--overflow_->n];
      return true;
    }
    if (n_ == 0) return false;
    *out = entries_[--n_];
    return true;
  }
  void discard() noexcept;
  // run_normal runs the deferred calls after the body returned.
  __attribute__((always_inline)) void run_normal() {
    if (__builtin_expect(pending() == 0, 1)) return;
    if (lang::g_deferring.load(std::memory_order_relaxed) != 0 || overflow_ != nullptr) {
      lang::run_deferred_slow(*this, nullptr, nullptr);
      return;
    }
    entry e;
    while (pop(&e)) {
      std::exception_ptr ep;
      panic_error* perr = nullptr;
      try {
        e.call(e.obj);
      } catch (panic_error& p) {
        ep = std::current_exception();
        perr = &p;
      } catch (...) {
        ep = std::current_exception();
      }
      if (e.destroy != nullptr) e.destroy(e.obj);
      if (__builtin_expect(ep != nullptr, 0)) {
        // A deferred call panicked: the rest run in panicking mode.
        lang::run_deferred_slow(*this, std::move(ep), perr);
        return;
      }
    }
    used_ = 0;
  }

  entry entries_[kInlineEntries];
  std::size_t n_ = 0;
  std::size_t used_ = 0;
  overflow_list* overflow_ = nullptr;
  alignas(16) unsigned char buf_[kInlineBytes];
};

// func runs body(frame&) as one Go function activation with its own defer
// frame; it returns body's result (R{} if a panic was recovered).
template <class F>
decltype(auto) func(F&& body) {
  using R = std::invoke_result_t<F&, frame&>;
  frame fr;
  std::exception_ptr ep;
  panic_error* perr = nullptr;  // points into ep's exception object
  std::optional<lang::hide_panic> hide;
  if (__builtin_expect(lang::g_deferring.load(std::memory_order_relaxed) != 0, 0)) hide.emplace();
  if constexpr (std::is_void_v<R>) {
    try {
      body(fr);
    } catch (panic_error& p) {
      ep = std::current_exception();
      perr = &p;
    } catch (...) {
      ep = std::current_exception();
    }
    hide.reset();
    if (__builtin_expect(ep != nullptr, 0)) {
      lang::run_deferred_slow(fr, std::move(ep), perr);
    } else {
      fr.run_normal();
    }
  } else {
    std::optional<R> result;
    try {
      result.emplace(body(fr));
    } catch (panic_error& p) {
      ep = std::current_exception();
      perr = &p;
    } catch (...) {
      ep = std::current_exception();
    }
    hide.reset();
    if (__builtin_expect(ep != nullptr, 0)) {
      lang::run_deferred_slow(fr, std::move(ep), perr);
    } else {
      fr.run_normal();
    }
    if (!result) return R{};
    return R(std::move(*result));
  }
}

namespace lang {
[[noreturn]] void throw_panic(std::shared_ptr<const any> v);
}

// panic(v) starts a Go panic with value v.
template <class T>
[[noreturn]] void panic(T&& v) {
  if constexpr (std::is_same_v<std::decay_t<T>, std::nullptr_t>) {
    lang::throw_panic(nullptr);
  } else if constexpr (std::is_same_v<std::decay_t<T>, any>) {
    lang::throw_panic(v.is_nil() ? nullptr : std::make_shared<const any>(std::forward<T>(v)));
  } else if constexpr (std::is_same_v<std::decay_t<T>, const char*> || std::is_array_v<std::remove_reference_t<T>>) {
    lang::throw_panic(std::make_shared<const any>(std::string(v)));
  } else {
    lang::throw_panic(std::make_shared<const any>(std::forward<T>(v)));
  }
}

// recover stops the running panic and returns its value when called from a
// deferred call during a panic; otherwise it returns a nil any.
any recover();

}  // namespace gort
