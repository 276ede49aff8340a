// gort/reflect.h — a small reflection API over type descriptors (claim 318).
//
//   User u{"ann", 30};
//   auto v = gort::reflect::value_of(&u).elem();      // addressable
//   v.field("Age").set(31);                           // u.age == 31
//   int age = v.field("Age").get<int>();
//   auto p = gort::reflect::new_value(gort::type_of<User>());  // always heap
//
// A value is (type, pointer to the value, addressable). Values reached
// through a pointer are addressable and settable; values taken from an any
// are copies and are not (as Go's). Reading or writing a field is a lookup
// by name in the descriptor's field list, then an offset — the runtime
// lookups that make reflection slower than direct access. Misuse panics
// with Go's reflect messages. new_value allocates on the heap, always: the
// type is only known at run time (NOT YET GC-MANAGED: `owned` frees it).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "gort/defer.h"
#include "gort/iface.h"
#include "gort/types.h"

namespace gort::reflect {

[[noreturn]] void panic_reflect(const std::string& msg);

// value is Go's reflect.Value.
class value {
 public:
  value() = default;
  value(const type_desc* t, void* p, bool addressable) : t_(t), p_(p), addressable_(addressable) {}
  // pointer makes a (non-settable) value of pointer type t holding p; the
  // pointer is kept inside the value.
  static value pointer(const type_desc* t, void* p) {
    value v(t, nullptr, false);
    v.word_ = p;
    v.inline_ = true;
    return v;
  }

  bool is_valid() const noexcept { return t_ != nullptr; }
  const type_desc* type() const noexcept { return t_; }
  gort::kind kind() const noexcept { return t_ ? t_->kind : gort::kind::invalid; }
  bool can_set() const noexcept { return addressable_; }
  // addr is the value's address (the data it describes).
  void* addr() const noexcept { return inline_ ? const_cast<void**>(&word_) : p_; }

  // num_field / field(i) / field(name): struct fields.
  std::size_t num_field() const {
    need(gort::kind::struct_, "NumField");
    return t_->fields.size();
  }
  value field(std::size_t i) const {
    need(gort::kind::struct_, "Field");
    if (i >= t_->fields.size()) panic_reflect("reflect: Field index out of range");
    const field_desc& f = t_->fields[i];
    return value(f.type, static_cast<char*>(p_) + f.offset, addressable_);
  }
  value field(std::string_view name) const {
    need(gort::kind::struct_, "FieldByName");
    for (const field_desc& f : t_->fields) {
      if (f.name == name) return value(f.type, static_cast<char*>(p_) + f.offset, addressable_);
    }
    return value();  // Go: the zero Value when there is no such field
  }
  // elem follows a pointer (the result is addressable).
  value elem() const {
    need(gort::kind::pointer, "Elem");
    void* target = *static_cast<void**>(addr());
    if (target == nullptr) return value();
    return value(t_->elem, target, true);
  }

  // get<T>() reads the value as T; T must be its exact type.
  template <class T>
  const T& get() const {
    if (t_ != type_of<T>()) {
      panic_reflect("reflect: value of type " + (t_ ? t_->name : std::string("<invalid>")) +
                    " is not " + type_of<T>()->name);
    }
    return *static_cast<const T*>(p_);
  }
  // set(x) stores x; the value must be settable and x's type identical.
  template <class T>
  void set(const T& x) const {
    set_from(type_of<T>(), &x);
  }
  void set_any(const any& x) const { set_from(x.type(), x.value_ptr()); }

  // interface() copies the value into an any.
  any interface() const {
    if (t_ == nullptr) panic_reflect("reflect: call of reflect.Value.Interface on zero Value");
    return any::from_raw(t_, addr());
  }

 private:
  void need(gort::kind k, const char* what) const {
    if (kind() != k) {
      panic_reflect(std::string("reflect: call of reflect.Value.") + what + " on " +
                    (t_ ? gort::to_string(t_->kind) : "zero") + " Value");
    }
  }
  void set_from(const type_desc* xt, const void* x) const {
    if (!addressable_) panic_reflect("reflect: reflect.Value.Set using unaddressable value");
    if (!identical(xt, t_)) {
      panic_reflect("reflect.Set: value of type " + (xt ? xt->name : std::string("nil")) +
                    " is not assignable to type " + t_->name);
    }
    t_->ops.assign(p_, x);
  }

  const type_desc* t_ = nullptr;
  void* p_ = nullptr;
  void* word_ = nullptr;  // the value itself when inline_ (a pointer)
  bool addressable_ = false;
  bool inline_ = false;
};

// value_of(&x) describes x through a pointer: value_of(&x).elem() is
// settable. value_of(any) describes a copy (not settable).
template <class T>
value value_of(T* p) {
  return value::pointer(type_of<T*>(), p);
}
// value_of_any: a copy held by the any (not settable); a pointer inside an
// any can be followed with elem().
inline value value_of(const any& x) {
  return value(x.type(), const_cast<void*>(x.value_ptr()), false);
}

// type_of_value is reflect.TypeOf(x).
inline const type_desc* type_of_value(const any& x) { return x.type(); }

// owned is a heap value made by new_value: elem() is its settable value.
class owned {
 public:
  explicit owned(const type_desc* t) : t_(t), p_(t->ops.new_zero()) {}
  owned(const owned&) = delete;
  owned& operator=(const owned&) = delete;
  ~owned() { t_->ops.destroy(p_); }
  value elem() const { return value(t_, p_, true); }
  void* get() const noexcept { return p_; }

 private:
  const type_desc* t_;
  void* p_;
};

// new_value is reflect.New(t): a zero value of t on the heap.
inline std::unique_ptr<owned> new_value(const type_desc* t) {
  if (t->ops.new_zero == nullptr) panic_reflect("reflect.New: type " + t->name + " cannot be made");
  return std::make_unique<owned>(t);
}

}  // namespace gort::reflect
