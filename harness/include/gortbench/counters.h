// gortbench/counters.h — performance counters for one OS thread (one M).
//
// Event names are libpfm4 names (generic perf names such as `cycles`,
// `instructions`, `cache-misses`, or PMU-specific ones) encoded for
// perf_event_open with PFM_OS_PERF_EVENT_EXT; the software events
// (task-clock, context-switches, cpu-migrations, page-faults, ...) are
// encoded here directly, so they work where libpfm knows no PMU.
//
// A CounterGroup is one perf group opened from, and counting, the calling
// thread: the leader starts disabled, the group is not pinned (a pinned group
// that cannot be scheduled reads zero), and it is read with
// TOTAL_TIME_ENABLED/RUNNING so values are scaled when the kernel multiplexes
// (running < enabled: `multiplexed` is set). Events that cannot be opened
// here are left out of the group, each with the reason (unsupported by the
// CPU or VM, perf_event_paranoid, seccomp, unknown name).
//
// Compared with Google Benchmark 1.7.1's own libpfm support, this layer
// scales for multiplexing, does not pin leaders, keeps one group per thread
// (per M) instead of one sum, and counts kernel time for software events
// when permitted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gortbench {

// CounterValue is one event's reading.
struct CounterValue {
  std::string name;
  std::uint64_t raw = 0;
  std::uint64_t time_enabled = 0;
  std::uint64_t time_running = 0;
  double scaled = 0;          // raw * enabled / running; 0 when not counted
  bool counted = false;       // time_running > 0
  bool multiplexed = false;   // 0 < running < enabled
};

// EventProbe says whether one event opens on this machine, and why not.
struct EventProbe {
  std::string name;
  bool ok = false;
  bool hardware = false;  // a PMU event rather than a kernel software event
  bool user_only = false; // opened with exclude_kernel (paranoid forbids kernel)
  std::string reason;     // empty when ok
};

// probe_event opens `name` for the calling thread alone and closes it again.
EventProbe probe_event(const std::string& name);

// parse_event_list splits "a,b,c" (no empty items). Returns false on an
// empty item or an empty list.
bool parse_event_list(const std::string& s, std::vector<std::string>* out);

// default_hardware_events / software_events: the lists the harness tries by
// default and falls back to.
const std::vector<std::string>& default_hardware_events();
const std::vector<std::string>& software_events();

// CounterGroup is one perf group counting the thread that opened it.
class CounterGroup {
 public:
  CounterGroup() = default;
  ~CounterGroup();
  CounterGroup(const CounterGroup&) = delete;
  CounterGroup& operator=(const CounterGroup&) = delete;

  // open opens every event of `names` that opens here into one group for the
  // calling thread; the others are appended to *skipped with reasons.
  // Returns true when at least one event opened. The group starts stopped.
  bool open(const std::vector<std::string>& names, std::vector<EventProbe>* skipped);
  // start/stop enable and disable the whole group (from any thread).
  void start();
  void stop();
  // read returns one value per opened event, in open order (any thread).
  std::vector<CounterValue> read() const;
  // close releases the file descriptors; read() afterwards returns nothing.
  void close();
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<int> fds_;            // fds_[0] is the leader
  std::vector<std::uint64_t> ids_;  // PERF_EVENT_IOC_ID of each fd
  std::vector<std::string> names_;
};

}  // namespace gortbench
