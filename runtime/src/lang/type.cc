// type.cc — type identity, method sets and the shared *T descriptors
// (the model is described at the top of runtime/include/gort/types.h).
//
// Locking: ptr_lock guards type_desc::ptr_to (made once per element type);
// descriptors are otherwise immutable after type_of() publishes them.
#include <algorithm>
#include <mutex>

#include "gort/types.h"

namespace gort {

const char* to_string(kind k) noexcept {
  static constexpr const char* kNames[] = {
      "invalid", "bool", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16",
      "uint32", "uint64", "uintptr", "float32", "float64", "string", "ptr", "slice", "map",
      "struct", "interface", "func", "array"};
  auto i = static_cast<std::size_t>(k);
  return i < sizeof kNames / sizeof kNames[0] ? kNames[i] : "kind?";
}

bool identical(const type_desc* a, const type_desc* b) noexcept {
  if (a == b) return true;
  if (a == nullptr || b == nullptr) return false;
  // A named type is identical only to itself.
  if (a->named || b->named) return false;
  if (a->kind != b->kind) return false;
  switch (a->kind) {
    case kind::pointer:
    case kind::slice:
      return identical(a->elem, b->elem);
    case kind::array:
      return a->len == b->len && identical(a->elem, b->elem);
    case kind::map:
      return identical(a->key, b->key) && identical(a->elem, b->elem);
    case kind::struct_:
      // Unnamed structs: same field names, types and order.
      if (a->fields.size() != b->fields.size() || a->fields.empty()) return false;
      for (std::size_t i = 0; i < a->fields.size(); i++) {
        if (a->fields[i].name != b->fields[i].name || !identical(a->fields[i].type, b->fields[i].type))
          return false;
      }
      return true;
    default:
      // Predeclared basic types are named in Go (int, string): one
      // descriptor each, equal pointers only.
      return false;
  }
}

std::vector<const method_desc*> method_set(const type_desc* t) {
  std::vector<const method_desc*> out;
  if (t == nullptr) return out;
  if (t->kind == kind::pointer && t->elem != nullptr && t->methods.empty()) {
    for (const auto& m : t->elem->methods) out.push_back(&m);  // *T: both receiver kinds
  } else {
    for (const auto& m : t->methods) {
      if (!m.pointer_receiver) out.push_back(&m);  // T: value receivers only
    }
  }
  return out;
}

const method_desc* find_method(const type_desc* t, const char* name) noexcept {
  if (t == nullptr) return nullptr;
  bool via_pointer = t->kind == kind::pointer && t->elem != nullptr && t->methods.empty();
  const auto& ms = via_pointer ? t->elem->methods : t->methods;
  auto it = std::lower_bound(ms.begin(), ms.end(), name,
                             [](const method_desc& m, const char* n) { return m.name < n; });
  if (it == ms.end() || it->name != name) return nullptr;
  if (!via_pointer && it->pointer_receiver) return nullptr;
  return &*it;
}

namespace detail {

namespace {
std::mutex ptr_lock;
std::recursive_mutex type_lock;
}

void lock_types() { type_lock.lock(); }
void unlock_types() { type_lock.unlock(); }

void set_ptr_to(const type_desc* elem, const type_desc* p) {
  std::lock_guard<std::mutex> g(ptr_lock);
  if (elem->ptr_to == nullptr) elem->ptr_to = p;
}

void finish_desc(type_desc* t) {
  std::sort(t->methods.begin(), t->methods.end(),
            [](const method_desc& a, const method_desc& b) { return a.name < b.name; });
}

}  // namespace detail
}  // namespace gort
