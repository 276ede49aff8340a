// mgcpacer.cc — the GC pacer (design in mgcpacer.h).
#include "gc/mgcpacer.h"

#include <algorithm>
#include <cmath>

namespace gort::gc {

namespace {

constexpr std::uint64_t kNone = UINT64_MAX;
// revise: the least scan work assumed left (work estimates are never exact),
// and the least heap distance assumed left (keeps the ratio finite).
constexpr double kMinRemainingWork = 4096;
constexpr double kMinRemainingHeap = 1024;

// to_u64 converts a non-negative double, saturating at UINT64_MAX.
std::uint64_t to_u64(double v) {
  if (!(v > 0)) return 0;
  if (v >= 18446744073709549568.0) return kNone;
  return static_cast<std::uint64_t>(v);
}

}  // namespace

WorkerPlan plan_workers(int gomaxprocs) {
  const int procs = gomaxprocs < 1 ? 1 : gomaxprocs;
  const double want = procs * Pacer::kBackgroundUtilization;  // CPUs' worth of marking
  int dedicated = static_cast<int>(want + 0.5);
  WorkerPlan plan;
  // Whole dedicated workers are cheapest (a P given wholly to marking), but
  // only when they come within 30% of the 25% goal; otherwise round down
  // and make up the difference with fractional workers on every P.
  const double error = dedicated / want - 1.0;
  if (error > 0.3 || error < -0.3) {
    if (dedicated > want) dedicated--;
    plan.fractional_goal = (want - dedicated) / procs;
  }
  plan.dedicated_workers = dedicated;
  return plan;
}

Pacer::Pacer(int gogc, std::int64_t memory_limit) : gogc_(gogc), memory_limit_(memory_limit < 0 ? INT64_MAX : memory_limit) {
  commit();
}

int Pacer::set_gogc(int gogc) {
  const int old = gogc_.exchange(gogc, std::memory_order_relaxed);
  commit();
  return old;
}

std::int64_t Pacer::set_memory_limit(std::int64_t bytes) {
  const std::int64_t old = memory_limit_.load(std::memory_order_relaxed);
  if (bytes < 0) return old;
  memory_limit_.store(bytes, std::memory_order_relaxed);
  commit();
  return old;
}

void Pacer::set_non_heap_memory(std::uint64_t bytes) {
  non_heap_.store(bytes, std::memory_order_relaxed);
  commit();
}

std::uint64_t Pacer::gogc_goal() const {
  const int g = gogc_.load(std::memory_order_relaxed);
  if (g < 0) return kNone;
  const std::uint64_t marked = heap_marked_.load(std::memory_order_relaxed);
  const unsigned __int128 base = static_cast<unsigned __int128>(marked) +
                                 stack_bytes_.load(std::memory_order_relaxed) +
                                 globals_bytes_.load(std::memory_order_relaxed);
  unsigned __int128 goal = marked + base * static_cast<unsigned>(g) / 100;
  const unsigned __int128 minimum = static_cast<unsigned __int128>(kHeapMinimum) * static_cast<unsigned>(g) / 100;
  if (goal < minimum) goal = minimum;
  return goal >= kNone ? kNone : static_cast<std::uint64_t>(goal);
}

std::uint64_t Pacer::limit_goal() const {
  const std::int64_t limit = memory_limit_.load(std::memory_order_relaxed);
  if (limit == INT64_MAX) return kNone;
  const std::uint64_t lim = static_cast<std::uint64_t>(limit);
  const std::uint64_t non_heap = non_heap_.load(std::memory_order_relaxed);
  std::uint64_t goal = lim > non_heap ? lim - non_heap : 0;
  // Headroom: non-heap memory measured at the last commit grows before the
  // next, and the heap's spans hold more than heap_live (fragmentation).
  const std::uint64_t headroom = std::max(to_u64(static_cast<double>(lim) * kLimitHeadroomFraction), kLimitMinHeadroom);
  goal = goal > headroom ? goal - headroom : 0;
  const std::uint64_t marked = heap_marked_.load(std::memory_order_relaxed);
  const std::uint64_t floor = marked + std::max(kLimitFloorMinRunway, marked / 32);
  return std::max(goal, floor);
}

void Pacer::commit() {
  const std::uint64_t by_gogc = gogc_goal();
  const std::uint64_t by_limit = limit_goal();
  const std::uint64_t goal = std::min(by_gogc, by_limit);
  goal_from_limit_.store(by_limit < by_gogc, std::memory_order_relaxed);
  goal_.store(goal, std::memory_order_relaxed);
  if (goal == kNone) {
    trigger_.store(kNone, std::memory_order_relaxed);
    runway_.store(0, std::memory_order_relaxed);
    return;
  }
  const std::uint64_t marked = std::min(heap_marked_.load(std::memory_order_relaxed), goal);
  const double span = static_cast<double>(goal - marked);
  const std::uint64_t lo = marked + to_u64(span * kTriggerMinFraction);
  std::uint64_t hi = marked + to_u64(span * kTriggerMaxFraction);
  if (goal - marked > kTriggerMaxSlack && goal - kTriggerMaxSlack > hi) hi = goal - kTriggerMaxSlack;
  // Runway: heap growth while W is scanned at 25% utilization.
  const double u = kBackgroundUtilization;
  const std::uint64_t runway = to_u64(cons_mark_.load(std::memory_order_relaxed) * (1 - u) / u *
                                      static_cast<double>(expected_scan_.load(std::memory_order_relaxed)));
  std::uint64_t trigger = runway >= goal ? lo : goal - runway;
  trigger = std::clamp(trigger, lo, hi);
  runway_.store(runway, std::memory_order_relaxed);
  trigger_.store(trigger, std::memory_order_relaxed);
}

Pacer::CyclePlan Pacer::start_cycle(std::int64_t now_ns, std::uint64_t heap_live, int gomaxprocs,
                                    std::uint64_t non_heap_memory) {
  start_ns_ = now_ns;
  procs_ = gomaxprocs < 1 ? 1 : gomaxprocs;
  non_heap_.store(non_heap_memory, std::memory_order_relaxed);
  commit();
  std::uint64_t goal = goal_.load(std::memory_order_relaxed);
  // A cycle may start past its trigger (a large allocation, a late start):
  // under GOGC keep a minimum distance for assists to spread over, even if
  // it overshoots GOGC by a hair. Under the memory limit, no: it is better
  // to assist hard than to push past the limit.
  if (goal != kNone && !goal_from_limit_.load(std::memory_order_relaxed) && goal < heap_live + kMinRunway) {
    goal = heap_live + kMinRunway;
    goal_.store(goal, std::memory_order_relaxed);
  }
  heap_at_start_.store(heap_live, std::memory_order_relaxed);
  const WorkerPlan workers = plan_workers(procs_);
  CyclePlan plan;
  plan.heap_goal = goal;
  plan.dedicated_workers = workers.dedicated_workers;
  plan.fractional_goal = workers.fractional_goal;
  plan.heap_at_start = heap_live;
  plan.expected_scan_work = expected_scan_.load(std::memory_order_relaxed);
  plan.assist_ratio_initial = revise(heap_live, 0, 0);
  return plan;
}

double Pacer::revise(std::uint64_t heap_live, std::uint64_t scan_work_done, std::uint64_t scan_work_expected,
                     std::uint64_t scan_work_max) {
  const std::uint64_t goal_u = goal_.load(std::memory_order_relaxed);
  if (goal_u == kNone) {  // no goal: a forced cycle with GOGC off and no limit
    assist_ratio_.store(0, std::memory_order_relaxed);
    return 0;
  }
  std::uint64_t start = heap_at_start_.load(std::memory_order_relaxed);
  if (start == kNone) start = heap_live;
  std::uint64_t expected = scan_work_expected ? scan_work_expected : expected_scan_.load(std::memory_order_relaxed);
  if (expected == 0) expected = scan_work_max ? scan_work_max : std::max<std::uint64_t>(start, 1);
  const double goal = static_cast<double>(goal_u);
  double hard_goal = goal * kMaxOvershoot;
  if (goal_from_limit_.load(std::memory_order_relaxed)) {
    // Under the memory limit the heap may pass the goal only into the
    // headroom the goal left under the limit (limit - non-heap memory), not
    // 10% past it: a 64 MiB limit with a 48 MiB goal went 5 MiB over the
    // limit that way (memlimit_test). When the live heap alone is over the
    // limit (the goal is the floor), the 10% stays: the CPU limiter, not
    // the heap, gives then.
    const std::int64_t limit = memory_limit_.load(std::memory_order_relaxed);
    const std::uint64_t non_heap = non_heap_.load(std::memory_order_relaxed);
    const double room = static_cast<std::uint64_t>(limit) > non_heap
                            ? static_cast<double>(static_cast<std::uint64_t>(limit) - non_heap)
                            : 0.0;
    if (room >= goal) hard_goal = std::min(hard_goal, room);
  }
  double eff_goal = goal;
  double exp_work = static_cast<double>(expected);
  const double done = static_cast<double>(scan_work_done);
  if (scan_work_done > expected) {
    // More work than expected: the scannable heap is bigger than last
    // cycle's. Assume the worst case (or, unknown, 1/8 more than done so
    // far) and, under GOGC, stretch the goal in proportion so that the
    // assist rate stays what was planned instead of spiking.
    const double worst = scan_work_max > scan_work_done ? static_cast<double>(scan_work_max) : done * 1.125;
    if (!goal_from_limit_.load(std::memory_order_relaxed) && goal > static_cast<double>(start)) {
      const double stretched = static_cast<double>(start) + (goal - static_cast<double>(start)) * (worst / exp_work);
      eff_goal = std::min(std::max(stretched, goal), hard_goal);
    }
    exp_work = worst;
  }
  const double live = static_cast<double>(heap_live);
  if (live >= eff_goal) {
    // Past the goal already: aim 10% past it rather than demand infinite
    // assists, and budget for the worst case of the work.
    eff_goal = std::max(eff_goal, hard_goal);
    if (static_cast<double>(scan_work_max) > exp_work) exp_work = static_cast<double>(scan_work_max);
  }
  const double work_left = std::max(exp_work - done, kMinRemainingWork);
  const double heap_left = std::max(eff_goal - live, kMinRemainingHeap);
  const double ratio = work_left / heap_left;
  assist_ratio_.store(ratio, std::memory_order_relaxed);
  return ratio;
}

void Pacer::end_cycle(const PacerInputs& in) {
  const int procs = in.gomaxprocs > 0 ? in.gomaxprocs : procs_;
  const std::uint64_t work = in.heap_scan_work + in.stack_bytes + in.globals_bytes;
  // cons/mark sample: (bytes allocated per mutator CPU-ns during mark) /
  // (bytes scanned per GC CPU-ns). A cycle without GC CPU time or wall time
  // (e.g. stop-the-world mode) gives none.
  const double gc_cpu = static_cast<double>(in.assist_ns) + static_cast<double>(in.background_ns) +
                        static_cast<double>(in.idle_ns);
  const double mutator_cpu = static_cast<double>(in.mark_wall_ns) * procs - gc_cpu;
  if (in.mark_wall_ns > 0 && gc_cpu > 0 && mutator_cpu > 0 && work > 0) {
    const double alloc_rate = static_cast<double>(in.heap_alloc_during_mark) / mutator_cpu;
    const double scan_rate = static_cast<double>(work) / gc_cpu;
    const double sample = alloc_rate / scan_rate;
    const double smoothed = prev_sample_ < 0 ? sample : (sample + prev_sample_) / 2;
    prev_sample_ = sample;
    last_sample_.store(sample, std::memory_order_relaxed);
    cons_mark_.store(smoothed, std::memory_order_relaxed);
  }
  heap_marked_.store(in.heap_marked, std::memory_order_relaxed);
  stack_bytes_.store(in.stack_bytes, std::memory_order_relaxed);
  globals_bytes_.store(in.globals_bytes, std::memory_order_relaxed);
  expected_scan_.store(work, std::memory_order_relaxed);
  if (in.non_heap_memory != kNone) non_heap_.store(in.non_heap_memory, std::memory_order_relaxed);
  heap_at_start_.store(kNone, std::memory_order_relaxed);
  assist_ratio_.store(0, std::memory_order_relaxed);
  cycles_.fetch_add(1, std::memory_order_relaxed);
  commit();
}

}  // namespace gort::gc
