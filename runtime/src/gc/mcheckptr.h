// mcheckptr.h — GODEBUG=gccheckptr=1: the pointer-checking mode. See
// mcheckptr.cc for the design.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace gort::gc {

struct Layout;

// g_checkptr is true while the runtime runs with GODEBUG=gccheckptr=1.
extern std::atomic<bool> g_checkptr;
inline bool checkptr_on() noexcept { return g_checkptr.load(std::memory_order_relaxed); }

// checkptr_start turns the mode on or off for a run (init_for_run), forgetting
// what an earlier run recorded.
void checkptr_start(bool on);

// checkptr_store checks a barriered store of v into slot: v must be null or
// point into an allocated GC object (else a fatal error naming both), and a
// slot inside the GC heap gets v in its shadow word.
void checkptr_store(const void* slot, const void* v) noexcept;

// checkptr_copied records the words of [p, p + bytes) in the shadow after a
// bulk copy that announced itself (shade_copied).
void checkptr_copied(const void* p, std::size_t bytes) noexcept;

// checkptr_alloc notes a new scan object: its type (nullptr with
// conservative: untyped, every word scanned) and a zeroed shadow.
void checkptr_alloc(std::uintptr_t base, std::size_t slot_bytes, const Layout* layout, bool conservative) noexcept;

// checkptr_verify compares every pointer slot of every marked, typed heap
// object with its shadow and checks it points into an allocated object.
// REQUIRES: the world is stopped, at mark termination.
void checkptr_verify();

// bad_pointer_reason says why v is not null nor a pointer into an allocated
// GC object, or returns nullptr when it is fine.
const char* bad_pointer_reason(std::uintptr_t v) noexcept;

}  // namespace gort::gc
