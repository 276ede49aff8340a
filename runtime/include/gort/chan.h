// gort/chan.h — Go's channels: chan<T>, make_chan<T>(cap).
//
//   auto c = gort::make_chan<int>();        // unbuffered, like make(chan int)
//   gort::go([c] { c.send(42); });
//   int v = c.recv();                        // 42
//   c.close();
//   auto [w, ok] = c.recv_ok();              // w == 0, ok == false
//
// A chan<T> is a handle, like a Go channel value: copies refer to the same
// channel (reference counted here, since no collector owns it), and a
// default-constructed chan<T> is the nil channel (sends and receives block
// forever; close panics). Semantics are Go's exactly: send on a closed
// channel panics ("send on closed channel"); close of a closed or nil channel
// panics; a receive from a closed channel drains the buffer, then yields
// T{} with ok == false; close wakes every waiting receiver and makes every
// waiting sender panic. Panics go through gort::lang::panic_runtime_error,
// so recover can catch them.
//
// T may be any nothrow-movable type, move-only types included. Its move
// constructor and destructor run under the channel's runtime lock (values
// are moved straight between goroutines and the buffer there): they must
// not block, park or touch channels. Blocking
// operations park the goroutine, never the OS thread; called from a thread
// that is not a goroutine they fail with a fatal error when they would block.
// For select over several channels see gort/select.h; for timer channels,
// gort/timer.h. The implementation (type-erased, one object per channel) is
// runtime/src/chan/chan.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

namespace gort {

namespace chan_detail {

// ElemOps describes a channel's element type to the type-erased core.
// move(dst, src) move-constructs *dst from *src (src stays alive, moved-from);
// destroy(p) runs the destructor. For trivially copyable types `trivial` is
// set and the core copies `size` bytes instead of calling either.
struct ElemOps {
  std::uint32_t size;
  std::uint32_t align;
  bool trivial;
  void (*move)(void* dst, void* src) noexcept;
  void (*destroy)(void* p) noexcept;
  bool scan;  // may hold pointers to GC objects (not an arithmetic or enum type)
};

template <class T>
struct ElemOpsFor {
  static void move(void* dst, void* src) noexcept {
    ::new (dst) T(std::move(*static_cast<T*>(src)));
  }
  static void destroy(void* p) noexcept { static_cast<T*>(p)->~T(); }
  static constexpr ElemOps ops{sizeof(T), alignof(T), std::is_trivially_copyable_v<T>, &move,
                               &destroy, !(std::is_arithmetic_v<T> || std::is_enum_v<T> || sizeof(T) < 8)};
};

struct Hchan;

// The core (chan.cc). A null Hchan* is the nil channel.
Hchan* make(const ElemOps* ops, std::size_t cap);
void retain(Hchan* c) noexcept;
void release(Hchan* c) noexcept;
// send moves *src into the channel (blocking); *src stays the caller's to
// destroy. Panics when c is closed.
void send(Hchan* c, void* src);
// recv move-constructs the received value into the uninitialized *dst and
// returns true, or returns false (dst untouched) when c is closed and empty.
bool recv(Hchan* c, void* dst);
// try_send: as send but returns false instead of blocking.
bool try_send(Hchan* c, void* src);
// try_recv: returns false when it would block; otherwise true with *ok as
// recv's result (dst constructed iff *ok).
bool try_recv(Hchan* c, void* dst, bool* ok);
void close(Hchan* c);
std::size_t len(const Hchan* c) noexcept;
std::size_t cap(const Hchan* c) noexcept;

template <class T>
T* launder_as(void* p) {
  return std::launder(static_cast<T*>(p));
}

}  // namespace chan_detail

// chan<T> is a channel handle. See the file comment.
template <class T>
class chan {
  static_assert(std::is_nothrow_move_constructible_v<T>,
                "channel elements must be nothrow move constructible");
  static_assert(!std::is_reference_v<T> && !std::is_const_v<T>, "chan<T>: T must be an object type");

 public:
  using value_type = T;

  // chan() is the nil channel.
  chan() noexcept = default;
  chan(const chan& o) noexcept : c_(o.c_) { chan_detail::retain(c_); }
  chan(chan&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
  chan& operator=(const chan& o) noexcept {
    chan_detail::retain(o.c_);
    chan_detail::release(std::exchange(c_, o.c_));
    return *this;
  }
  chan& operator=(chan&& o) noexcept {
    if (this != &o) chan_detail::release(std::exchange(c_, std::exchange(o.c_, nullptr)));
    return *this;
  }
  ~chan() { chan_detail::release(c_); }

  // send sends v, blocking until a receiver takes it or buffer space frees.
  void send(const T& v) const requires std::is_copy_constructible_v<T> {
    T tmp(v);
    chan_detail::send(c_, &tmp);
  }
  void send(T&& v) const { chan_detail::send(c_, &v); }

  // recv receives a value, blocking; T{} once the channel is closed and drained.
  T recv() const requires std::is_default_constructible_v<T> { return recv_ok().first; }

  // recv_ok is Go's `v, ok := <-c`: ok is false when the channel is closed
  // and drained (v is then T{}).
  std::pair<T, bool> recv_ok() const requires std::is_default_constructible_v<T> {
    alignas(T) unsigned char buf[sizeof(T)];
    if (!chan_detail::recv(c_, buf)) return {T{}, false};
    T* p = chan_detail::launder_as<T>(buf);
    std::pair<T, bool> r{std::move(*p), true};
    p->~T();
    return r;
  }

  // recv_opt receives a value, or nullopt once the channel is closed and
  // drained; it works for types without a default constructor.
  std::optional<T> recv_opt() const {
    alignas(T) unsigned char buf[sizeof(T)];
    if (!chan_detail::recv(c_, buf)) return std::nullopt;
    T* p = chan_detail::launder_as<T>(buf);
    std::optional<T> r(std::move(*p));
    p->~T();
    return r;
  }

  // try_send sends v if that needs no waiting (a receiver is parked or the
  // buffer has room) and returns true; otherwise false, v untouched. Like a
  // select with one send case and a default, it panics on a closed channel.
  bool try_send(T& v) const { return chan_detail::try_send(c_, &v); }
  bool try_send(T&& v) const { return chan_detail::try_send(c_, &v); }
  bool try_send(const T& v) const requires std::is_copy_constructible_v<T> {
    T tmp(v);
    return chan_detail::try_send(c_, &tmp);
  }

  // try_recv receives a value if one is ready. It returns nullopt when it
  // would block, and also once the channel is closed and drained; *closed
  // (when given) tells the two apart.
  std::optional<T> try_recv(bool* closed = nullptr) const {
    alignas(T) unsigned char buf[sizeof(T)];
    bool ok = false;
    bool selected = chan_detail::try_recv(c_, buf, &ok);
    if (closed) *closed = selected && !ok;
    if (!ok) return std::nullopt;
    T* p = chan_detail::launder_as<T>(buf);
    std::optional<T> r(std::move(*p));
    p->~T();
    return r;
  }

  // close closes the channel. Panics if it is nil or already closed.
  void close() const { chan_detail::close(c_); }

  // len is the number of buffered elements; cap the buffer size (0 for nil).
  std::size_t len() const noexcept { return chan_detail::len(c_); }
  std::size_t cap() const noexcept { return chan_detail::cap(c_); }

  // nil reports whether this is the nil channel.
  bool nil() const noexcept { return c_ == nullptr; }
  explicit operator bool() const noexcept { return c_ != nullptr; }
  friend bool operator==(const chan& a, const chan& b) noexcept { return a.c_ == b.c_; }

  // Range-style iteration: `for (T v : c)` receives until c is closed and
  // drained, like Go's `for v := range c`.
  class iterator {
   public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(const chan* c) : c_(c) { advance(); }
    T& operator*() { return *v_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    void operator++(int) { advance(); }
    bool operator==(std::default_sentinel_t) const { return !v_.has_value(); }

   private:
    void advance() { v_ = c_->recv_opt(); }
    const chan* c_ = nullptr;
    std::optional<T> v_;
  };
  iterator begin() const { return iterator(this); }
  std::default_sentinel_t end() const { return {}; }

  // hchan exposes the type-erased channel (for select and the runtime).
  chan_detail::Hchan* hchan() const noexcept { return c_; }
  // adopt wraps an Hchan whose reference the caller hands over.
  static chan adopt(chan_detail::Hchan* c) noexcept {
    chan r;
    r.c_ = c;
    return r;
  }

 private:
  chan_detail::Hchan* c_ = nullptr;
};

// make_chan makes a channel of T with a buffer of `cap` elements (0:
// unbuffered), like Go's make(chan T, cap).
template <class T>
chan<T> make_chan(std::size_t cap = 0) {
  return chan<T>::adopt(chan_detail::make(&chan_detail::ElemOpsFor<T>::ops, cap));
}

}  // namespace gort
