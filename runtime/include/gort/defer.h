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
// Cost (claim 317; Go's open-coded defer adds ~2 ns to a call). A deferred
// call is a 16-byte record {thunk, previous record} followed by the closure,
// placed in the frame's inline buffer (256 bytes; a closure that does not
// fit, or is over-aligned, goes to the heap) and linked LIFO; registering it
// is four stores. At a normal return func walks the list and calls each
// thunk, which calls the closure and destroys it. Neither path takes a lock,
// reads thread-local state or allocates; func's entry reads one process-wide
// counter (g_deferring) that is non-zero only while some goroutine is
// running deferred calls for a panic, and only then does the per-goroutine
// panic state come into play (hide_panic, run_deferred_slow). A func's frame is
// about 272 bytes of stack; only its two header words are initialised.
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
// caught is what a catch clause of func saw: an exception_ptr constructed
// in place by catch_current (raw storage, so that func's own frame has no
// destructor to run on the normal path), and the panic it holds, if any.
struct caught {
  alignas(std::exception_ptr) unsigned char ep[sizeof(std::exception_ptr)];
  panic_error* err;
};
// catch_current fills *c from the exception being handled (call it only
// inside a catch clause).
void catch_current(caught* c, panic_error* err) noexcept;
// run_deferred_slow runs the frame's remaining deferred calls when the body
// (or a deferred call) threw (c != nullptr; it takes c's exception), or on
// a normal return while panics are being handled somewhere (c == nullptr);
// it re-throws an unrecovered panic.
void run_deferred_slow(frame& f, caught* c);
// hide_panic masks the goroutine's current panic from recover() for the
// life of a nested func (the slow path of func's entry) and returns what
// unhide_panic must restore.
void* hide_panic() noexcept;
void unhide_panic(void* saved) noexcept;
// caller_pc returns its caller's pc: where gort::panic was called.
void* caller_pc() noexcept;
[[noreturn]] void throw_nil_panic(void* pc);
}  // namespace lang

// frame holds one function activation's deferred calls.
class frame {
 public:
  frame() noexcept {}
  frame(const frame&) = delete;
  frame& operator=(const frame&) = delete;
  ~frame() {
    if (__builtin_expect(last_ != nullptr, 0)) discard();
  }

  // defer registers f() to run when the enclosing gort::func finishes.
  template <class F>
  void defer(F&& f) {
    using Fn = std::decay_t<F>;
    static_assert(std::is_invocable_v<Fn&>, "frame::defer: needs a callable taking no arguments");
    constexpr std::size_t need = (kObjOffset<Fn> + sizeof(Fn) + 15) & ~std::size_t{15};
    record* r;
    if (alignof(Fn) <= 16 && need <= kInlineBytes && used_ <= kInlineBytes - need) {
      r = reinterpret_cast<record*>(buf_ + used_);
      ::new (static_cast<void*>(obj<Fn>(r))) Fn(std::forward<F>(f));
      used_ += need;
      r->thunk = &thunk<Fn, false>;
    } else {
      r = static_cast<record*>(::operator new(kObjOffset<Fn> + sizeof(Fn), std::align_val_t{kAlign<Fn>}));
      try {
        ::new (static_cast<void*>(obj<Fn>(r))) Fn(std::forward<F>(f));
      } catch (...) {
        ::operator delete(r, std::align_val_t{kAlign<Fn>});
        throw;
      }
      r->thunk = &thunk<Fn, true>;
    }
    r->prev = last_;
    last_ = r;
  }

  // pending is the number of deferred calls not yet run.
  std::size_t pending() const noexcept {
    std::size_t n = 0;
    for (const record* r = last_; r != nullptr; r = r->prev) n++;
    return n;
  }

 private:
  friend void lang::run_deferred_slow(frame&, lang::caught*);
  template <class F>
  friend decltype(auto) func(F&& body);

  // record heads one deferred call; the closure follows it.
  struct record {
    void (*thunk)(record* r, bool run);  // run: call then destroy; else destroy
    record* prev;
  };
  static constexpr std::size_t kInlineBytes = 256;
  template <class Fn>
  static constexpr std::size_t kAlign = alignof(Fn) > alignof(record) ? alignof(Fn) : alignof(record);
  template <class Fn>
  static constexpr std::size_t kObjOffset = alignof(Fn) > sizeof(record) ? alignof(Fn) : sizeof(record);
  template <class Fn>
  static Fn* obj(record* r) noexcept {
    return reinterpret_cast<Fn*>(reinterpret_cast<unsigned char*>(r) + kObjOffset<Fn>);
  }
  template <class Fn, bool Heap>
  static void thunk(record* r, bool run) {
    Fn* f = obj<Fn>(r);
    if constexpr (!Heap && std::is_trivially_destructible_v<Fn>) {
      if (run) (*f)();
    } else {
      // The closure is destroyed (and its heap record freed) even when the
      // call panics.
      struct finish {
        record* r;
        Fn* f;
        ~finish() {
          f->~Fn();
          if constexpr (Heap) ::operator delete(r, std::align_val_t{kAlign<Fn>});
        }
      } done{r, f};
      if (run) (*f)();
    }
  }
  // pop unlinks the most recent deferred call (nullptr when none).
  record* pop() noexcept {
    record* r = last_;
    if (r != nullptr) last_ = r->prev;
    return r;
  }
  void discard() noexcept;
  // run_normal runs the deferred calls after the body returned. hid: func
  // hid a running panic at entry (it is inside a deferred call of a
  // panicking frame); only then must the calls run with the goroutine's
  // panic masked (the slow path). Otherwise the goroutine's panic slot is
  // already empty: a panic raised and recovered inside the body is over,
  // and panics on other goroutines (g_deferring is process-wide) are not
  // visible here.
  __attribute__((always_inline)) void run_normal(bool hid) {
    if (last_ == nullptr) return;
    if (__builtin_expect(hid, 0)) {
      lang::run_deferred_slow(*this, nullptr);
      return;
    }
    lang::caught c;
    bool threw = false;
    try {
      do {
        record* r = last_;
        last_ = r->prev;
        r->thunk(r, true);
      } while (last_ != nullptr);
    } catch (panic_error& p) {
      lang::catch_current(&c, &p);
      threw = true;
    } catch (...) {
      lang::catch_current(&c, nullptr);
      threw = true;
    }
    // A deferred call panicked: the rest run in panicking mode.
    if (__builtin_expect(threw, 0)) lang::run_deferred_slow(*this, &c);
  }

  record* last_ = nullptr;
  std::size_t used_ = 0;
  alignas(16) unsigned char buf_[kInlineBytes];
};

// func runs body(frame&) as one Go function activation with its own defer
// frame; it returns body's result (R{} if a panic was recovered).
template <class F>
decltype(auto) func(F&& body) {
  using R = std::invoke_result_t<F&, frame&>;
  bool hid = false;
  void* saved = nullptr;
  if (__builtin_expect(lang::g_deferring.load(std::memory_order_relaxed) != 0, 0)) {
    saved = lang::hide_panic();
    hid = true;
  }
  // The frame is made after the only call above, so the compiler knows its
  // header words when the body registers deferred calls.
  frame fr;
  lang::caught c;
  bool threw = false;
  if constexpr (std::is_void_v<R>) {
    try {
      body(fr);
    } catch (panic_error& p) {
      lang::catch_current(&c, &p);
      threw = true;
    } catch (...) {
      lang::catch_current(&c, nullptr);
      threw = true;
    }
    if (__builtin_expect(hid, 0)) lang::unhide_panic(saved);
    if (__builtin_expect(threw, 0)) {
      lang::run_deferred_slow(fr, &c);
    } else {
      fr.run_normal(hid);
    }
  } else {
    std::optional<R> result;
    try {
      result.emplace(body(fr));
    } catch (panic_error& p) {
      lang::catch_current(&c, &p);
      threw = true;
    } catch (...) {
      lang::catch_current(&c, nullptr);
      threw = true;
    }
    if (__builtin_expect(hid, 0)) lang::unhide_panic(saved);
    if (__builtin_expect(threw, 0)) {
      lang::run_deferred_slow(fr, &c);
    } else {
      fr.run_normal(hid);
    }
    if (!result) return R{};
    return R(std::move(*result));
  }
}

// The panic_error constructor for user values: the value is converted to
// an any inside the exception object, so no temporary with a destructor is
// alive while the exception propagates (which would cost an extra unwind).
template <class T>
panic_error::panic_error(std::in_place_t, T&& v, void* pc) : kind_(kind::value), has_value_(true) {
  using U = std::decay_t<T>;
  if constexpr (std::is_same_v<U, const char*> || std::is_same_v<U, char*> ||
                std::is_array_v<std::remove_reference_t<T>>) {
    ::new (static_cast<void*>(value_)) any(std::string(v));
  } else {
    ::new (static_cast<void*>(value_)) any(std::forward<T>(v));
  }
  pcs_[0] = pc;
  npcs_ = pc != nullptr ? 1 : 0;
}

// panic(v) starts a Go panic with value v.
template <class T>
[[noreturn]] __attribute__((always_inline)) inline void panic(T&& v) {
  using U = std::decay_t<T>;
  void* pc = lang::caller_pc();
  if constexpr (std::is_same_v<U, std::nullptr_t>) {
    lang::throw_nil_panic(pc);
  } else if constexpr (std::is_same_v<U, any>) {
    if (v.is_nil()) lang::throw_nil_panic(pc);
    throw panic_error(std::in_place, std::forward<T>(v), pc);
  } else {
    throw panic_error(std::in_place, std::forward<T>(v), pc);
  }
}

// recover stops the running panic and returns its value when called from a
// deferred call during a panic; otherwise it returns a nil any.
any recover();

}  // namespace gort
