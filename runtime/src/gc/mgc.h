// mgc.h — the collector's internal interface: what the scheduler, the
// allocator and the channels call, and what the gc/ files share. The
// design is described at the top of mgc.cc.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "gort/gc.h"

namespace gort::sched {
struct G;
struct P;
struct M;
}  // namespace gort::sched

namespace gort::chan_detail {
struct Hchan;
}

namespace gort::gc {

// Phase of the current cycle (Go's gcphase).
enum class GcPhase : std::uint32_t {
  kOff,        // not collecting; sweeping may be in progress
  kMark,       // concurrent mark: barrier on, new objects black
  kMarkTerm,   // mark termination (world stopped)
};

namespace detail {
// g_assist_pending: true while mark assists may be owed (the blacken
// window), and from an allocation's request for a cycle until that cycle
// starts; the allocator checks it after each allocation and then calls
// assist_if_owed.
extern std::atomic<bool> g_assist_pending;
}  // namespace detail

// ---- hooks (called from other subsystems) --------------------------------

// on_span_alloc: the allocator took `bytes` of span memory (an mcache refill
// or a large object). Starts a cycle when the heap reached the trigger, and
// charges the running goroutine's assist debt during mark. Called with
// preemption disabled; never blocks.
void on_span_alloc(std::size_t bytes) noexcept;
// assist_if_owed pays the current goroutine's assist debt by marking; with
// no mark running and a cycle requested, it calls wait_for_cycle_start.
void assist_if_owed();
// wait_for_cycle_start: an allocation crossed the trigger and requested a
// cycle. The controller is a goroutine readied onto this P; left to the
// next preemption (a time slice), it started cycles tens of MiB past a
// memory-limit goal while two goroutines allocated (memlimit_test). The
// allocating goroutine yields its P now, and keeps yielding while the heap
// is at or past the goal and the cycle has not started (at most 2 ms per
// allocation, as an assist's wait). No-op off a goroutine and on GC ones.
void wait_for_cycle_start();
// note_gc_cpu / note_idle_mark add GC CPU ns for the CPU limiter as the
// work is done (an assist, a worker's stint; STW pauses x procs at cycle
// end), so that its updates mid-cycle see it; idle-priority marking is
// counted apart (it used CPU the mutator left: not GC time to cap).
void note_gc_cpu(std::int64_t ns) noexcept;
void note_idle_mark(std::int64_t ns) noexcept;
// limiter_tick updates the GC CPU limiter (sysmon, every loop: 20 us to
// 10 ms). With updates only at cycle ends, a limiter engaged at the end of
// a cycle stayed engaged through the whole next one: no assists for a
// second or more, and a 48 MiB live heap under a 16 MiB limit grew past
// 300 MiB (memlimit_test). Any thread; cheap when another is updating.
void limiter_tick(std::int64_t now_ns) noexcept;
// update_scavenger_limit tells the scavenger how much heap the memory
// limit leaves retained: 95% of the limit minus the runtime's non-heap
// memory (stacks, metadata) now (no limit: unbounded). At each mark
// termination and each set_memory_limit.
void update_scavenger_limit();

// marking reports whether a mark phase is running (the scheduler's and the
// channels' fast check).
extern std::atomic<bool> g_marking;
inline bool marking() noexcept { return g_marking.load(std::memory_order_relaxed); }

// shade_range greys every heap object that a word of [p, p + bytes)
// points to (conservatively). Channels call it when they copy an element
// into memory the GC may already have scanned (a buffer slot, another
// goroutine's stack) during mark.
void shade_range(const void* p, std::size_t bytes) noexcept;

// Buffered channels whose elements may hold GC pointers register their
// buffers as roots (chan.cc: make / last release).
void register_channel(chan_detail::Hchan* c);
void unregister_channel(chan_detail::Hchan* c);

// Scheduler integration.
// find_worker returns this P's background mark worker if it should run now
// (dedicated/fractional share, or idle when the P has nothing else to do),
// made runnable; nullptr otherwise. Called by the scheduler on g0.
sched::G* find_worker(sched::P* p, bool idle) noexcept;
// on_go_created: a goroutine was created during mark; its closure is shaded
// (new goroutines start black: their stacks are never scanned this cycle).
void on_go_created(sched::G* gp) noexcept;
// self_scan_if_pending: gp (the caller, about to switch out during mark)
// scans its own stack if this cycle has not yet.
void self_scan_if_pending(sched::G* gp) noexcept;
// wait_scan: gp is about to run (runnable -> running, syscall -> running);
// if a marker is scanning its stack right now, wait for it to finish.
void wait_scan(sched::G* gp) noexcept;

// Runtime lifecycle (proc.cc's run()).
void init_for_run();       // before the main goroutine starts
void start_goroutines();   // on the main goroutine: controller, sweeper, finalizers
void shutdown_for_run();   // after the main goroutine returned

// ---- shared between gc/ files ---------------------------------------------
struct State;
extern State g_state;

// A marker's work: grey object addresses (object bases).
void grey_object(std::uintptr_t obj, struct Work* w) noexcept;
// grey_ptr greys the object p points into, if any (conservative).
void grey_ptr(const void* p, struct Work* w) noexcept;

}  // namespace gort::gc
