// gortbench/session.h — the per-process side of gort-bench, linked into every
// benchmark binary (see benches/bench_main.cc).
//
// A Session owns the process's pinning plan and counter groups. It removes
// its own flags from argv before Google Benchmark sees them:
//   --gort_pin=none|compact|scatter|per-core   bind each M to a PU by policy
//   --gort_counters=LIST                      comma-separated event names
//   --gort_mmap_out=FILE                      where the M map + counters go (JSON)
// and installs gort::runtime::on_m_start / on_m_exit hooks that bind the M
// and open its counter group from inside that thread. When the Session is
// destroyed it reads every group still open and writes FILE atomically.
//
// Invariants: at most one Session exists at a time (the hooks reach it
// through a process-wide pointer); the per-M records are guarded by a mutex
// that the hooks take once per M start/exit, never on a hot path.
// A bad flag value prints one line naming it and exits with status 2.
#pragma once

#include <memory>

namespace gortbench {

struct SessionState;

// Session strips the --gort_* flags from argv and installs the M hooks.
// REQUIRES: constructed before gort::run(); one at a time.
class Session {
 public:
  Session(int* argc, char** argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

 private:
  std::unique_ptr<SessionState> state_;
};

}  // namespace gortbench
