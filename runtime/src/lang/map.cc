// map.cc — the out-of-line pieces of gort::map (the design is at the top of
// runtime/include/gort/map.h): the fatal report of concurrent map misuse.
#include "debug/fatal.h"
#include "gort/map.h"

namespace gort::map_detail {

void fatal_concurrent_map(const char* what) { gort::debug::fatal(what); }

}  // namespace gort::map_detail
