// gort/select.h — Go's select statement.
//
//   int i = gort::select(
//       gort::recv(c, [](int v) { ... }),            // case v := <-c
//       gort::recv(d, [](int v, bool ok) { ... }),   // case v, ok := <-d
//       gort::send(e, 42, [] { ... }),               // case e <- 42
//       gort::otherwise([] { ... }));                // default
//
// select blocks until one case can proceed, chooses uniformly at random
// among the ready ones, runs that case's callback and returns the case's
// position among the arguments (the `otherwise` case included). With an
// `otherwise` case it never blocks: when no case is ready the default runs.
// Cases on a nil channel are never chosen; select() with no cases (or only
// nil channels) and no default blocks forever, like Go's `select {}`. A send
// case on a closed channel panics when chosen ("send on closed channel"); a
// receive from a closed channel is ready and yields T{} with ok == false.
// Callbacks are optional (gort::recv(c) discards the value); a receive
// callback may take (T), (T, bool) or ().
//
// Send values are evaluated (moved into the case) before the select runs,
// as in Go; an unchosen send case's value is destroyed. The channels must
// outlive the select call. Implementation: runtime/src/chan/select.cc.
#pragma once

#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "gort/chan.h"

namespace gort {

namespace chan_detail {

// SelCase is one case as the core sees it: elem is the value to send, or
// uninitialized storage to receive into.
struct SelCase {
  Hchan* c;
  void* elem;
  bool send;
};

// selectgo runs a select over cases[0..n): returns the chosen case's index
// (with *recv_ok for a receive: false when it saw a closed channel, elem
// then unconstructed), or -1 when `block` is false and none was ready.
// order is scratch space for 2*n entries.
int selectgo(SelCase* cases, std::uint16_t* order, int n, bool block, bool* recv_ok);

struct Nop {
  void operator()() const {}
};

}  // namespace chan_detail

// recv_case is a receive case; make it with gort::recv.
template <class T, class F>
class recv_case {
 public:
  recv_case(const chan<T>& c, F f) : c_(c.hchan()), f_(std::move(f)) {}
  recv_case(const recv_case&) = delete;
  recv_case& operator=(const recv_case&) = delete;

  chan_detail::SelCase sel_case() { return {c_, buf_, false}; }
  void run(bool ok) {
    if constexpr (std::is_invocable_v<F&, T, bool> || std::is_invocable_v<F&, T>) {
      static_assert(std::is_default_constructible_v<T>,
                    "a receive case with a value needs T{} for a closed channel");
      T v = take(ok);
      if constexpr (std::is_invocable_v<F&, T, bool>) {
        f_(std::move(v), ok);
      } else {
        f_(std::move(v));
      }
    } else {
      static_assert(std::is_invocable_v<F&>, "receive callback must take (T), (T, bool) or ()");
      if (ok) std::launder(reinterpret_cast<T*>(buf_))->~T();
      f_();
    }
  }

 private:
  T take(bool ok) {
    if (!ok) return T{};
    T* p = std::launder(reinterpret_cast<T*>(buf_));
    T v(std::move(*p));
    p->~T();
    return v;
  }
  chan_detail::Hchan* c_;
  F f_;
  alignas(T) unsigned char buf_[sizeof(T)];
};

// send_case is a send case; make it with gort::send.
template <class T, class F>
class send_case {
 public:
  send_case(const chan<T>& c, T v, F f) : c_(c.hchan()), v_(std::move(v)), f_(std::move(f)) {}
  send_case(const send_case&) = delete;
  send_case& operator=(const send_case&) = delete;

  chan_detail::SelCase sel_case() { return {c_, &v_, true}; }
  void run(bool) { f_(); }

 private:
  chan_detail::Hchan* c_;
  T v_;
  F f_;
};

// default_case is select's default; make it with gort::otherwise.
template <class F>
class default_case {
 public:
  explicit default_case(F f) : f_(std::move(f)) {}
  void run() { f_(); }

 private:
  F f_;
};

// recv makes a receive case for select; f takes (T), (T, bool ok) or ().
template <class T, class F = chan_detail::Nop>
recv_case<T, F> recv(const chan<T>& c, F f = {}) {
  return recv_case<T, F>(c, std::move(f));
}

// send makes a send case for select; f runs when it is chosen.
template <class T, class V, class F = chan_detail::Nop>
send_case<T, F> send(const chan<T>& c, V&& v, F f = {}) {
  return send_case<T, F>(c, T(std::forward<V>(v)), std::move(f));
}

// otherwise makes select's default case.
template <class F = chan_detail::Nop>
default_case<F> otherwise(F f = {}) {
  return default_case<F>(std::move(f));
}

namespace chan_detail {
template <class C>
struct is_default_case : std::false_type {};
template <class F>
struct is_default_case<default_case<F>> : std::true_type {};
}  // namespace chan_detail

// select runs a select statement over its cases; see the file comment.
template <class... Cases>
int select(Cases&&... cs) {
  constexpr int kArgs = sizeof...(Cases);
  constexpr int kDefaults =
      (0 + ... + int(chan_detail::is_default_case<std::remove_cvref_t<Cases>>::value));
  static_assert(kDefaults <= 1, "select: at most one otherwise() case");
  constexpr int kCases = kArgs - kDefaults;
  static_assert(kCases < 65536, "select: too many cases");
  chan_detail::SelCase sc[kCases > 0 ? kCases : 1];
  std::uint16_t order[2 * (kCases > 0 ? kCases : 1)];
  int k = 0;
  auto fill = [&](auto& c) {
    if constexpr (!chan_detail::is_default_case<std::remove_cvref_t<decltype(c)>>::value)
      sc[k++] = c.sel_case();
  };
  (fill(cs), ...);
  bool ok = false;
  int chosen;
  if constexpr (kCases == 1 && kDefaults == 1) {
    // One case and a default: a plain non-blocking operation (Go's compiler
    // does the same), which may answer "not ready" without taking the lock.
    bool ready = sc[0].send ? chan_detail::try_send(sc[0].c, sc[0].elem)
                            : chan_detail::try_recv(sc[0].c, sc[0].elem, &ok);
    chosen = ready ? 0 : -1;
  } else {
    chosen = chan_detail::selectgo(sc, order, kCases, kDefaults == 0, &ok);
  }
  int arg = 0, result = -1;
  k = 0;
  auto dispatch = [&](auto& c) {
    if constexpr (chan_detail::is_default_case<std::remove_cvref_t<decltype(c)>>::value) {
      if (chosen < 0) {
        result = arg;
        c.run();
      }
    } else {
      if (k++ == chosen) {
        result = arg;
        c.run(ok);
      }
    }
    ++arg;
  };
  (dispatch(cs), ...);
  return result;
}

}  // namespace gort
