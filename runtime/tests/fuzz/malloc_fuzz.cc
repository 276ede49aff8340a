// malloc_fuzz.cc — fuzz target for the allocator: a byte string is a
// program of allocations, mark-and-sweep cycles, full releases and
// scavenges, run against a model of the live objects. It fails (abort) when
// a live block is handed out twice, a survivor's bytes change, a new object
// is not zeroed, or an accounting equation breaks.
//
// Build with libFuzzer (clang):
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address -DGORT_ASAN=1 -DGORT_LIBFUZZER \
//     -Iruntime/include -Iruntime/src runtime/tests/fuzz/malloc_fuzz.cc <libgort.a> -o malloc_fuzz
// or as a plain randomized driver with g++ (no -DGORT_LIBFUZZER): it runs
// `malloc_fuzz [iterations] [seed]` random programs.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "gort/mem.h"
#include "mem/mheap.h"
#include "mem/span.h"
#include "mem/sweep.h"

namespace {

using namespace gort::mem;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "malloc_fuzz: %s\n", what);
  std::abort();
}

struct Obj {
  std::size_t size;
  unsigned char tag;
};

void check_heap() {
  const char* why = "";
  if (!g_heap.check(&why)) fail(why);
  const Stats st = read_stats();
  if (st.heap_sys != st.heap_in_use + st.heap_idle) fail("heap_sys != heap_in_use + heap_idle");
  if (st.heap_idle < st.heap_released) fail("heap_released > heap_idle");
}

void run_program(const std::uint8_t* data, std::size_t n) {
  std::map<std::uintptr_t, Obj> live;
  std::size_t i = 0;
  auto next = [&]() -> unsigned { return i < n ? data[i++] : 0; };
  while (i < n) {
    const unsigned op = next() % 16;
    if (op < 12) {  // allocate
      std::size_t size = next() | (next() << 8);
      if (op == 11) size = size * 64;              // large objects too
      const bool scan = size < 16 ? true : (op & 1);  // tiny blocks are shared: keep them out
      auto* p = static_cast<unsigned char*>(alloc(size, scan));
      if (size == 0) continue;
      for (std::size_t k = 0; k < size; ++k) {
        if (p[k] != 0) fail("object not zeroed");
      }
      const auto a = reinterpret_cast<std::uintptr_t>(p);
      auto after = live.lower_bound(a);
      if (after != live.end() && after->first < a + size) fail("block overlaps a live object");
      if (after != live.begin()) {
        auto before = std::prev(after);
        if (before->first + before->second.size > a) fail("block overlaps a live object");
      }
      const auto tag = static_cast<unsigned char>(1 + next() % 250);
      std::memset(p, tag, size);
      live[a] = Obj{size, tag};
    } else if (op < 14) {  // GC cycle: keep the objects selected by the next bytes
      flush_all_mcaches();
      unsigned bits = 0, nbits = 0;
      for (auto it = live.begin(); it != live.end();) {
        if (nbits == 0) bits = next(), nbits = 8;
        const bool keep = bits & 1;
        bits >>= 1, --nbits;
        if (keep) {
          std::uintptr_t base;
          Span* s;
          if (!find_object(reinterpret_cast<void*>(it->first), &base, &s)) fail("live object not found");
          if (base != it->first) fail("find_object: wrong base");
          s->set_marked(s->object_index(base));
          ++it;
        } else {
          it = live.erase(it);
        }
      }
      start_sweep_cycle();
      sweep_all();
      std::int64_t bytes = 0;
      for (auto& [a, o] : live) {
        const auto* p = reinterpret_cast<const unsigned char*>(a);
        for (std::size_t k = 0; k < o.size; ++k) {
          if (p[k] != o.tag) fail("survivor damaged by sweep");
        }
        bytes += static_cast<std::int64_t>(usable_size(p));
      }
      if (read_stats().heap_live != bytes) fail("heap_live != bytes of surviving objects");
      check_heap();
    } else if (op == 14) {
      release_all();
      live.clear();
      if (read_stats().heap_live != 0 || read_stats().spans_in_use != 0) fail("release_all left objects");
      check_heap();
    } else {
      scavenge(std::size_t{next()} << 16);
      check_heap();
    }
  }
  release_all();
  check_heap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  set_heap_goal(std::uint64_t{1} << 40);
  run_program(data, size);
  return 0;
}

#ifndef GORT_LIBFUZZER
int main(int argc, char** argv) {
  const long iters = argc > 1 ? std::atol(argv[1]) : 200;
  std::mt19937 rng(argc > 2 ? static_cast<unsigned>(std::atol(argv[2])) : 1u);
  std::vector<std::uint8_t> buf;
  for (long it = 0; it < iters; ++it) {
    buf.resize(64 + rng() % 4096);
    for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
    LLVMFuzzerTestOneInput(buf.data(), buf.size());
  }
  std::printf("malloc_fuzz: %ld programs ok\n", iters);
  return 0;
}
#endif
