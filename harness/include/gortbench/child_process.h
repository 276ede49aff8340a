// gortbench/child_process.h — running one benchmark process.
//
// run_child forks, puts the child in its own process group (so Ctrl-C
// reaches only the harness, which then kills the child's whole group), has
// it join a cgroup (writing its pid to cgroup.procs) *before* exec so not one
// instruction of the benchmark runs outside the quota, redirects its output
// to files and execs it. The child dies with the harness (PR_SET_PDEATHSIG).
// The parent waits with a timeout; on timeout or interrupt the child's group
// gets SIGKILL. Failures before exec (cgroup join, chdir, exec itself) come
// back as a one-line error rather than an exit status.
//
// Interrupts: install_interrupt_handlers() makes SIGINT/SIGTERM/SIGHUP set a
// flag and SIGKILL the running child's group; the caller sees
// ChildResult::interrupted, unwinds (removing cgroups and temporary run
// directories through RAII) and exits.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace gortbench {

// ChildSpec describes one process to run.
struct ChildSpec {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;  // added to / overriding ours
  std::vector<std::string> unset_env;                     // removed from ours
  std::string cwd;            // "" = ours
  std::string stdout_path;    // "" = /dev/null
  std::string stderr_path;    // "" = /dev/null
  std::string cgroup_procs;   // cgroup.procs to join before exec; "" = none
  double timeout_s = 300;
};

// ChildResult is how it ended.
struct ChildResult {
  bool started = false;      // exec succeeded
  int exit_code = -1;        // when it exited
  int term_signal = 0;       // when a signal killed it
  bool timed_out = false;
  bool interrupted = false;  // the harness got SIGINT/SIGTERM meanwhile
  double wall_s = 0;
  std::string error;         // why it did not start

  bool ok() const { return started && exit_code == 0 && !timed_out && !interrupted; }
  std::string describe() const;  // "exit 1", "killed by signal 11", ...
};

// run_child runs spec to completion (or timeout/interrupt).
ChildResult run_child(const ChildSpec& spec);

// install_interrupt_handlers installs the SIGINT/SIGTERM/SIGHUP handlers.
void install_interrupt_handlers();
// interrupted reports whether one of those signals arrived; interrupt_signal
// says which (0 when none).
bool interrupted();
int interrupt_signal();

}  // namespace gortbench
