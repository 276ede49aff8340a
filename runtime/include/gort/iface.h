// gort/iface.h — interface values: Go's eface (`any`) and iface (a
// non-empty interface), two words each (claim 320).
//
//   struct Shape : gort::interface<"main.Shape",
//                                  gort::method<"Area", double()>,
//                                  gort::method<"Scale", void(double)>> {};
//   gort::iface<Shape> s = gort::iface<Shape>::from(&circle);  // *Circle has both
//   double a = s.call<"Area">();
//
// any = (type descriptor, data); iface<I> = (itab, data). The itab pairs an
// interface with a concrete type and holds the concrete type's method
// thunks in the interface's method order, so a call is two loads and an
// indirect call. Itabs are made once per (interface, type) pair and kept in
// a global hash table with lock-free lookup (lang/iface.cc); failures are
// cached too, so a missed assertion does not search method sets again.
//
// Data word: a pointer-shaped value (a C++ pointer, a map) is stored in the
// data word itself, so an interface holding a nil *T has a type and a nil
// data word — and is NOT nil (Go's typed nil, claim 320). Any other value
// is copied to the heap (boxed) and the data word points to the copy; an
// interface value owns its box (copies of the interface copy the box; Go
// shares it, which is indistinguishable since boxed values are immutable).
// Boxes are plain new/delete today — NOT YET GC-MANAGED.
//
// Assertions: x.as<T>() (v, ok := x.(T)) returns a pointer or nullptr;
// assert_type<T>(x) panics on a miss with Go's "interface conversion"
// message; assert_iface<I>(x) converts to another interface.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "gort/panic.h"
#include "gort/types.h"

namespace gort {

// fixed_string lets a string literal be a template argument.
template <std::size_t N>
struct fixed_string {
  char s[N];
  constexpr fixed_string(const char (&a)[N]) {
    for (std::size_t i = 0; i < N; i++) s[i] = a[i];
  }
  template <std::size_t M>
  constexpr bool operator==(const fixed_string<M>& o) const {
    if constexpr (N != M) {
      return false;
    } else {
      for (std::size_t i = 0; i < N; i++)
        if (s[i] != o.s[i]) return false;
      return true;
    }
  }
};

// method<Name, Sig> is one method of an interface.
template <fixed_string Name, class Sig>
struct method {
  static constexpr auto name = Name;
  using sig = Sig;
};

// interface_desc describes an interface type at run time.
struct interface_desc {
  std::string name;
  struct entry {
    std::string name;
    const std::type_info* sig;
  };
  std::vector<entry> methods;  // in declaration order (the itab's order)
  const type_desc* type;       // the interface's own type descriptor (kind interface)
};

// itab pairs an interface and a concrete type. fun[i] is the thunk for the
// interface's method i; fun[0] == nullptr marks a cached failure.
struct itab {
  const interface_desc* inter;
  const type_desc* type;
  const char* missing;  // first missing method's name, for the panic message
  void (*fun[1])();     // really inter->methods.size() entries
};

namespace lang {
// getitab returns the itab for (inter, t), making and caching it on first
// use; with can_fail it returns nullptr on a miss, else panics with Go's
// message.
const itab* getitab(const interface_desc* inter, const type_desc* t, bool can_fail);
// find_itab returns the cached itab for (inter, t), making it on first use;
// a failed one (fun[0] == nullptr) included.
const itab* find_itab(const interface_desc* inter, const type_desc* t);
// panic_missing_method raises Go's "T is not I: missing method M".
[[noreturn]] void panic_missing_method(const itab* failed);
// itab_cache_size is the number of cached itabs (tests).
std::size_t itab_cache_size() noexcept;
[[noreturn]] void panic_type_assert(const type_desc* have, const type_desc* want, const char* iface_name);
}  // namespace lang

// interface<Name, Ms...> is the base of an interface type.
template <fixed_string Name, class... Ms>
struct interface {
  using methods = std::tuple<Ms...>;
  static const interface_desc* desc() {
    static const interface_desc* const d = [] {
      auto* i = new interface_desc;
      i->name = Name.s;
      (i->methods.push_back({Ms::name.s, &typeid(typename Ms::sig)}), ...);
      auto* t = new type_desc;
      t->name = Name.s;
      t->kind = kind::interface;
      t->named = true;
      t->size = 2 * sizeof(void*);
      t->align = alignof(void*);
      t->ptrdata = 2 * sizeof(void*);
      i->type = t;
      return i;
    }();
    return d;
  }
  template <fixed_string N, std::size_t I = 0>
  static constexpr std::size_t index_of() {
    static_assert(I < sizeof...(Ms), "interface has no method of that name");
    if constexpr (std::tuple_element_t<I, methods>::name == N) {
      return I;
    } else {
      return index_of<N, I + 1>();
    }
  }
};

// any is Go's empty interface: (type, data). Default: nil.
class any {
 public:
  any() noexcept = default;
  // any(v) stores a copy of v (pointer-shaped values in the data word).
  template <class T, class = std::enable_if_t<!std::is_same_v<std::decay_t<T>, any>>>
  any(T&& v) {  // NOLINT: implicit, like Go's conversion to interface
    using U = std::decay_t<T>;
    type_ = type_of<U>();
    if constexpr (std::is_pointer_v<U>) {
      data_ = const_cast<void*>(static_cast<const void*>(v));
    } else {
      data_ = new U(std::forward<T>(v));
    }
  }
  any(std::nullptr_t) noexcept {}
  any(const any& o) : type_(o.type_), data_(o.box_copy()) {}
  any(any&& o) noexcept : type_(std::exchange(o.type_, nullptr)), data_(std::exchange(o.data_, nullptr)) {}
  any& operator=(any o) noexcept {
    std::swap(type_, o.type_);
    std::swap(data_, o.data_);
    return *this;
  }
  ~any() {
    if (type_ && !type_->pointer_shaped && data_) type_->ops.destroy(data_);
  }

  // from_raw makes an any from a type and a pointer to a value of it (the
  // value is copied); reflection uses it.
  static any from_raw(const type_desc* t, const void* value) {
    any a;
    a.type_ = t;
    if (t->pointer_shaped) {
      std::memcpy(&a.data_, value, sizeof(void*));
    } else {
      a.data_ = t->ops.clone(value);
    }
    return a;
  }

  // is_nil: true only when there is no type (a nil *T inside is not nil).
  bool is_nil() const noexcept { return type_ == nullptr; }
  explicit operator bool() const noexcept { return type_ != nullptr; }
  const type_desc* type() const noexcept { return type_; }
  // data is the data word: the pointer itself for pointer-shaped types,
  // else the address of the boxed value.
  void* data() const noexcept { return data_; }
  // value_ptr points to the value whatever its shape.
  const void* value_ptr() const noexcept { return type_ && type_->pointer_shaped ? &data_ : data_; }

  // as<T>() is `v, ok := x.(T)`: a pointer to the value, or nullptr.
  template <class T>
  const T* as() const noexcept {
    if (type_ != type_of<T>()) return nullptr;
    return static_cast<const T*>(value_ptr());
  }

  // Equality as Go's ==: same type and equal values; panics when the type
  // is not comparable.
  friend bool operator==(const any& a, const any& b);

 private:
  void* box_copy() const {
    if (type_ == nullptr) return nullptr;
    return type_->pointer_shaped ? data_ : type_->ops.clone(data_);
  }
  const type_desc* type_ = nullptr;
  void* data_ = nullptr;
};

// assert_type<T>(x) is x.(T): the value, or a panic
// "interface conversion: interface {} is string, not int".
template <class T>
T assert_type(const any& x) {
  if (const T* p = x.as<T>()) return *p;
  lang::panic_type_assert(x.type(), type_of<T>(), "interface {}");
}

// iface<I> is a value of interface type I: (itab, data).
template <class I>
class iface {
 public:
  iface() noexcept = default;

  // from converts a concrete value to I; it panics (a runtime error, since
  // there is no compiler to reject it) when the value's method set lacks a
  // method of I.
  template <class T>
  static iface from(T v) {
    const itab* tab = lang::getitab(I::desc(), type_of<T>(), false);
    iface r;
    r.tab_ = tab;
    if constexpr (std::is_pointer_v<T>) {
      r.data_ = const_cast<void*>(static_cast<const void*>(v));
    } else {
      r.data_ = new T(std::move(v));
    }
    return r;
  }
  // from_any converts an any (x.(I)); nullptr-tab iface when !ok.
  static iface from_any(const any& x, bool* ok = nullptr) {
    iface r;
    if (x.is_nil()) {
      if (ok == nullptr) lang::panic_type_assert(nullptr, I::desc()->type, "interface");
      *ok = false;
      return r;
    }
    // A one-entry cache per interface type in front of the itab table (Go
    // 1.22+ caches per assertion site): a repeated assertion of the same
    // dynamic type, hit or miss, is a load and a compare.
    static constinit std::atomic<const itab*> last{nullptr};
    const itab* tab = last.load(std::memory_order_acquire);
    if (tab == nullptr || tab->type != x.type()) {
      tab = lang::find_itab(I::desc(), x.type());
      last.store(tab, std::memory_order_release);
    }
    if (tab->fun[0] == nullptr) {
      if (ok == nullptr) lang::panic_missing_method(tab);
      *ok = false;
      return r;
    }
    if (ok) *ok = true;
    r.tab_ = tab;
    r.data_ = x.type()->pointer_shaped ? x.data() : x.type()->ops.clone(x.data());
    return r;
  }

  iface(const iface& o) : tab_(o.tab_), data_(o.box_copy()) {}
  iface(iface&& o) noexcept : tab_(std::exchange(o.tab_, nullptr)), data_(std::exchange(o.data_, nullptr)) {}
  iface& operator=(iface o) noexcept {
    std::swap(tab_, o.tab_);
    std::swap(data_, o.data_);
    return *this;
  }
  ~iface() {
    if (tab_ && !tab_->type->pointer_shaped && data_) tab_->type->ops.destroy(data_);
  }

  bool is_nil() const noexcept { return tab_ == nullptr; }
  const type_desc* type() const noexcept { return tab_ ? tab_->type : nullptr; }
  const itab* tab() const noexcept { return tab_; }
  void* data() const noexcept { return data_; }

  // call<"M">(args...) calls method M on the dynamic value.
  template <fixed_string Name, class... A>
  decltype(auto) call(A&&... a) const {
    constexpr std::size_t idx = I::template index_of<Name>();
    using Sig = typename std::tuple_element_t<idx, typename I::methods>::sig;
    return invoke<Sig>(idx, std::forward<A>(a)...);
  }

  // to_any drops to the empty interface.
  any to_any() const { return tab_ ? any::from_raw(tab_->type, value_ptr()) : any(); }

 private:
  template <class Sig>
  struct caller;
  template <class R, class... P>
  struct caller<R(P...)> {
    template <class... A>
    static R go(void (*f)(), void* recv, A&&... a) {
      return reinterpret_cast<R (*)(void*, P...)>(f)(recv, std::forward<A>(a)...);
    }
  };
  template <class Sig, class... A>
  decltype(auto) invoke(std::size_t idx, A&&... a) const {
    if (tab_ == nullptr) lang::panic_runtime_error("invalid memory address or nil pointer dereference");
    return caller<Sig>::go(tab_->fun[idx], data_, std::forward<A>(a)...);
  }
  const void* value_ptr() const noexcept { return tab_->type->pointer_shaped ? &data_ : data_; }
  void* box_copy() const {
    if (tab_ == nullptr) return nullptr;
    return tab_->type->pointer_shaped ? data_ : tab_->type->ops.clone(data_);
  }
  const itab* tab_ = nullptr;
  void* data_ = nullptr;
};

// implements reports whether t's method set covers interface I.
template <class I>
bool implements(const type_desc* t) {
  return lang::getitab(I::desc(), t, true) != nullptr;
}

}  // namespace gort
