// reflect.cc — the out-of-line part of gort::reflect (see
// runtime/include/gort/reflect.h): its panics.
#include "gort/reflect.h"

namespace gort::reflect {

void panic_reflect(const std::string& msg) { gort::panic(msg); }

}  // namespace gort::reflect
