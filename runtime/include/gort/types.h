// gort/types.h — type descriptors: Go's runtime type information for C++
// types (name, kind, size, alignment, pointer layout, fields, methods) and
// Go's type identity (claims 315, 319).
//
//   struct User {
//     std::string name;
//     int age;
//     std::string Name() const { return name; }   // const: value receiver
//     void SetAge(int a) { age = a; }             // non-const: pointer receiver
//     static void gort_describe(gort::type_builder<User>& b) {
//       b.name("main.User")
//           .field<&User::name>("Name")
//           .field<&User::age>("Age")
//           .method<&User::Name>("Name")
//           .method<&User::SetAge>("SetAge");
//     }
//   };
//   const gort::type_desc* t = gort::type_of<User>();
//
// Every C++ type has exactly one descriptor, made on first use of
// type_of<T>() and never freed. Builtin types (bool, integers, floats,
// std::string, pointers, gort::slice, gort::map) are described
// automatically; a class describes itself with a static gort_describe, or
// gets an unnamed struct descriptor without fields or methods.
//
// Identity (Go spec "Type identity"): a named (defined) type is identical
// only to itself, so `type MyInt int` (a C++ struct with
// b.name("main.MyInt").underlying<int>()) differs from int; two unnamed
// types are identical when they are built the same way from identical types
// ([]int and []int, *T and *T), even if one was made at run time by
// reflection. identical() implements it.
//
// Method sets: a method declared on a const member function has a value
// receiver, on a non-const one a pointer receiver (C++ const is what "gets a
// copy and cannot mutate it" means here, claim 316). The method set of T has
// only the value-receiver methods; that of *T has both (claim 315).
//
// Implementation: runtime/src/lang/type.cc.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <vector>

namespace gort {

template <class T>
class slice;
template <class K, class V, class H, class E>
class map;

// kind is Go's reflect.Kind.
enum class kind : std::uint8_t {
  invalid, bool_, int_, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr,
  float32, float64, string, pointer, slice, map, struct_, interface, func, array,
};
const char* to_string(kind k) noexcept;

struct type_desc;

// field_desc describes one struct field.
struct field_desc {
  std::string name;
  const type_desc* type;
  std::size_t offset;
};

// method_desc describes one method: `fn` is a thunk R(*)(void* recv, Args...)
// whose receiver points at the value (for both receiver kinds), `sig` names
// the function type R(Args...).
struct method_desc {
  std::string name;
  const std::type_info* sig;
  void (*fn)();
  bool pointer_receiver;
};

// type_ops are the operations the runtime needs on values it cannot name.
struct type_ops {
  void* (*clone)(const void* src);      // new T(*src) on the heap
  void (*destroy)(void* p);             // delete (T*)p
  void* (*new_zero)();                  // new T() on the heap (reflect.New)
  void (*assign)(void* dst, const void* src);
  bool (*equal)(const void* a, const void* b);  // nullptr: not comparable
  // format writes Go's print form of basic values (panic values); false
  // when the type has none.
  bool (*format)(const void* p, std::string& out);
};

// type_desc is one type's descriptor (Go's abi.Type plus its uncommon part).
struct type_desc {
  std::string name;       // "int", "main.User", "[]int", "*main.User", "map[string]int"
  gort::kind kind = kind::invalid;
  std::size_t size = 0;
  std::size_t align = 0;
  bool named = false;     // a defined type: identical only to itself
  bool pointer_shaped = false;  // stored directly in an interface's data word
  const type_desc* elem = nullptr;  // pointer, slice, array, map value
  const type_desc* key = nullptr;   // map key
  std::size_t len = 0;              // array length
  const type_desc* underlying_type = nullptr;  // for named non-struct types
  // ptrdata: bytes of the prefix that may hold pointers (Go's PtrBytes); 0
  // for pointer-free types. Conservative for C++ classes that do not say.
  std::size_t ptrdata = 0;
  std::vector<field_desc> fields;
  std::vector<method_desc> methods;  // sorted by name; on the named type (both receiver kinds)
  type_ops ops{};
  const std::type_info* cpp = nullptr;
  mutable const type_desc* ptr_to = nullptr;  // *T once made (type.cc, under a lock)

  // has_pointers: whether values may hold pointers (noscan when false).
  bool has_pointers() const noexcept { return ptrdata != 0; }
  // comparable: usable as a map key / with ==.
  bool comparable() const noexcept { return ops.equal != nullptr; }
};

// identical reports Go's type identity.
bool identical(const type_desc* a, const type_desc* b) noexcept;

// method_set returns t's method set as Go defines it: value-receiver
// methods for a named T, all methods for *T, an interface's own methods.
// Pointers into t's (or t->elem's) descriptor, sorted by name.
std::vector<const method_desc*> method_set(const type_desc* t);

// find_method looks `name` up in t's method set (nullptr when absent).
const method_desc* find_method(const type_desc* t, const char* name) noexcept;

namespace detail {
// set_ptr_to records p as elem's pointer type (first one wins).
void set_ptr_to(const type_desc* elem, const type_desc* p);
// register_desc finishes a descriptor built by type_of (sorts methods).
void finish_desc(type_desc* t);
}  // namespace detail

template <class T>
const type_desc* type_of();

namespace detail {
// method_thunk<T, M>::call adapts member function M to the uniform
// itab calling convention R(*)(void* recv, Args...).
template <class T, auto M, class MP = decltype(M)>
struct method_thunk;
#define GORT_METHOD_THUNK(QUAL, PTR_RECV, RECV)                                   \
  template <class T, auto M, class R, class... A>                                 \
  struct method_thunk<T, M, R (T::*)(A...) QUAL> {                                \
    using sig = R(A...);                                                           \
    static constexpr bool pointer_receiver = PTR_RECV;                             \
    static R call(void* recv, A... a) {                                            \
      return (static_cast<RECV*>(recv)->*M)(std::forward<A>(a)...);               \
    }                                                                              \
  };
GORT_METHOD_THUNK(const, false, const T)
GORT_METHOD_THUNK(const noexcept, false, const T)
GORT_METHOD_THUNK(, true, T)
GORT_METHOD_THUNK(noexcept, true, T)
#undef GORT_METHOD_THUNK
}  // namespace detail

// type_builder<T> fills T's descriptor from T::gort_describe.
template <class T>
class type_builder {
 public:
  explicit type_builder(type_desc* t) : t_(t) {}
  type_builder& name(const char* n) {
    t_->name = n;
    t_->named = true;
    return *this;
  }
  // underlying makes this a named type over a basic type U (T must be a
  // struct holding exactly one U, like `type MyInt int`).
  template <class U>
  type_builder& underlying() {
    static_assert(sizeof(T) == sizeof(U), "underlying: T must wrap exactly one U");
    const type_desc* u = type_of<U>();
    t_->underlying_type = u;
    t_->kind = u->kind;
    t_->ptrdata = u->ptrdata;
    t_->pointer_shaped = u->pointer_shaped;
    t_->ops.format = u->ops.format;
    return *this;
  }
  template <auto M>
  type_builder& field(const char* n) {
    using F = std::remove_reference_t<decltype(std::declval<T&>().*M)>;
    alignas(T) static unsigned char probe[sizeof(T)];
    auto* obj = reinterpret_cast<T*>(probe);
    auto off = static_cast<std::size_t>(reinterpret_cast<unsigned char*>(&(obj->*M)) - probe);
    const type_desc* ft = type_of<F>();
    t_->fields.push_back({n, ft, off});
    if (ft->has_pointers() && off + ft->ptrdata > t_->ptrdata) t_->ptrdata = off + ft->ptrdata;
    return *this;
  }
  template <auto M>
  type_builder& method(const char* n) {
    using th = detail::method_thunk<T, M>;
    t_->methods.push_back({n, &typeid(typename th::sig), reinterpret_cast<void (*)()>(&th::call),
                           th::pointer_receiver});
    return *this;
  }
  // no_pointers declares that T holds no GC pointers (ptrdata 0).
  type_builder& no_pointers() {
    t_->ptrdata = 0;
    return *this;
  }

 private:
  type_desc* t_;
};

namespace detail {


// format_basic writes a basic value as Go's print does (panic values).
template <class T>
bool format_basic(const void* p, std::string& out) {
  const T& v = *static_cast<const T*>(p);
  if constexpr (std::is_same_v<T, std::string>) {
    out += v;
  } else if constexpr (std::is_same_v<T, bool>) {
    out += v ? "true" : "false";
  } else if constexpr (std::is_floating_point_v<T>) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%+e", static_cast<double>(v));  // Go: +1.500000e+000
    std::string s = buf;
    auto e = s.find('e');
    if (e != std::string::npos && s.size() - e == 4) s.insert(e + 2, "0");  // 3-digit exponent
    out += s;
  } else {
    out += std::to_string(v);
  }
  return true;
}

template <class T>
void fill_ops(type_desc* t) {
  t->ops.clone = [](const void* s) -> void* { return new T(*static_cast<const T*>(s)); };
  t->ops.destroy = [](void* p) { delete static_cast<T*>(p); };
  t->ops.new_zero = []() -> void* { return new T(); };
  t->ops.assign = [](void* d, const void* s) { *static_cast<T*>(d) = *static_cast<const T*>(s); };
  if constexpr (std::equality_comparable<T>) {
    t->ops.equal = [](const void* a, const void* b) {
      return static_cast<bool>(*static_cast<const T*>(a) == *static_cast<const T*>(b));
    };
  }
  if constexpr (std::is_arithmetic_v<T> || std::is_same_v<T, std::string>) t->ops.format = &format_basic<T>;
}

template <class T>
constexpr gort::kind basic_kind() {
  if constexpr (std::is_same_v<T, bool>) return kind::bool_;
  else if constexpr (std::is_same_v<T, std::string>) return kind::string;
  else if constexpr (std::is_same_v<T, float>) return kind::float32;
  else if constexpr (std::is_same_v<T, double>) return kind::float64;
  else if constexpr (std::is_same_v<T, int>) return kind::int_;  // Go's int is the C++ int here
  else if constexpr (std::is_same_v<T, long> || std::is_same_v<T, long long>) return kind::int64;
  else if constexpr (std::is_same_v<T, signed char> || std::is_same_v<T, char>) return kind::int8;
  else if constexpr (std::is_same_v<T, short>) return kind::int16;
  else if constexpr (std::is_same_v<T, unsigned char>) return kind::uint8;
  else if constexpr (std::is_same_v<T, unsigned short>) return kind::uint16;
  else if constexpr (std::is_same_v<T, unsigned>) return kind::uint32;
  else if constexpr (std::is_same_v<T, unsigned long> || std::is_same_v<T, unsigned long long>) return kind::uint64;
  else return kind::invalid;
}

template <class T>
constexpr const char* basic_name() {
  switch (basic_kind<T>()) {
    case kind::bool_: return "bool";
    case kind::string: return "string";
    case kind::float32: return "float32";
    case kind::float64: return "float64";
    case kind::int_: return "int";
    case kind::int8: return "int8";
    case kind::int16: return "int16";
    case kind::int64: return "int64";
    case kind::uint8: return "uint8";
    case kind::uint16: return "uint16";
    case kind::uint32: return "uint32";
    case kind::uint64: return "uint64";
    default: return "?";
  }
}

template <class T, class = void>
struct has_describe : std::false_type {};
template <class T>
struct has_describe<T, std::void_t<decltype(T::gort_describe(std::declval<type_builder<T>&>()))>>
    : std::true_type {};

template <class T>
struct is_slice : std::false_type {};
template <class E>
struct is_slice<gort::slice<E>> : std::true_type {
  using elem = E;
};
template <class T>
struct is_map : std::false_type {};
template <class K, class V, class H, class E>
struct is_map<gort::map<K, V, H, E>> : std::true_type {
  using key = K;
  using mapped = V;
};


}  // namespace detail

namespace detail {
template <class T>
void fill_desc(type_desc* t);
// shell_of<T>() is T's descriptor storage, allocated before it is filled
// so that recursive types (a struct holding a *T) can point at it.
template <class T>
type_desc* shell_of() {
  static type_desc* const d = new type_desc;
  return d;
}
// type_lock is held while descriptors are filled (recursive: filling one
// type fills the types it mentions).
void lock_types();
void unlock_types();
// ready<T> is T's descriptor once it is filled (nullptr before): the fast
// path of type_of is one load and a never-taken branch (constant-
// initialised, so no guard variable is checked).
template <class T>
inline std::atomic<const type_desc*> ready{nullptr};
template <class T>
__attribute__((noinline)) const type_desc* type_of_slow() {
  // state: 0 unfilled, 1 being filled (by this thread: the lock is
  // recursive, so only a recursive reference sees it), 2 ready.
  static std::atomic<int> state{0};
  type_desc* d = shell_of<T>();
  lock_types();
  if (state.load(std::memory_order_relaxed) == 0) {
    state.store(1, std::memory_order_relaxed);
    fill_desc<T>(d);
    state.store(2, std::memory_order_release);
    ready<T>.store(d, std::memory_order_release);
  }
  unlock_types();
  return d;
}
template <class T>
inline const type_desc* type_of_impl() {
  if (const type_desc* d = ready<T>.load(std::memory_order_acquire); __builtin_expect(d != nullptr, 1)) return d;
  return type_of_slow<T>();
}
}  // namespace detail

// type_of<T>() returns T's descriptor (made once, thread-safe). A type that
// refers to itself through a pointer sees its own descriptor while it is
// being filled; gort_describe should call name() first.
template <class T>
const type_desc* type_of() {
  return detail::type_of_impl<std::remove_cv_t<T>>();
}

namespace detail {

template <class T>
void fill_desc(type_desc* t) {
  t->size = sizeof(T);
  t->align = alignof(T);
  t->cpp = &typeid(T);
  if constexpr (std::is_default_constructible_v<T> && std::is_copy_constructible_v<T>) fill_ops<T>(t);
  if constexpr (std::is_pointer_v<T>) {
    using E = std::remove_cv_t<std::remove_pointer_t<T>>;
    type_desc* e = shell_of<E>();
    t->kind = kind::pointer;  // shape first: E's fields may point back at *T
    t->elem = e;
    t->ptrdata = sizeof(void*);
    t->pointer_shaped = true;
    (void)type_of<E>();  // fills E unless E is being filled right now (recursion)
    t->name = "*" + e->name;
    set_ptr_to(e, t);
  } else if constexpr (basic_kind<T>() != kind::invalid) {
    t->kind = basic_kind<T>();
    t->name = basic_name<T>();
    t->ptrdata = std::is_same_v<T, std::string> ? sizeof(void*) : 0;
  } else if constexpr (is_slice<T>::value) {
    const type_desc* e = type_of<typename is_slice<T>::elem>();
    t->kind = kind::slice;
    t->name = "[]" + e->name;
    t->elem = e;
    t->ptrdata = sizeof(void*);
  } else if constexpr (is_map<T>::value) {
    const type_desc* k = type_of<typename is_map<T>::key>();
    const type_desc* v = type_of<typename is_map<T>::mapped>();
    t->kind = kind::map;
    t->name = "map[" + k->name + "]" + v->name;
    t->key = k;
    t->elem = v;
    t->ptrdata = sizeof(void*);
    t->pointer_shaped = true;
  } else if constexpr (std::is_array_v<T>) {
    const type_desc* e = type_of<std::remove_extent_t<T>>();
    t->kind = kind::array;
    t->len = std::extent_v<T>;
    t->name = "[" + std::to_string(t->len) + "]" + e->name;
    t->elem = e;
    t->ptrdata = e->has_pointers() ? sizeof(T) : 0;
  } else if constexpr (std::is_class_v<T>) {
    t->kind = kind::struct_;
    t->name = "struct {...}";
    t->ptrdata = std::is_trivially_copyable_v<T> ? 0 : sizeof(T);  // unknown layout: conservative
    if constexpr (has_describe<T>::value) {
      t->ptrdata = 0;  // the described fields decide
      type_builder<T> b(t);
      T::gort_describe(b);
    }
  } else {
    t->kind = kind::invalid;
    t->name = typeid(T).name();
  }
  finish_desc(t);
}

}  // namespace detail

}  // namespace gort
