// child_process.cc — fork, join cgroup, exec, wait with timeout; see
// child_process.h.
#include "gortbench/child_process.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

extern char** environ;

namespace gortbench {

namespace {

volatile std::sig_atomic_t g_signal = 0;
std::atomic<pid_t> g_child_pgid{0};  // the running child's group, 0 if none

void on_signal(int sig) {
  g_signal = sig;
  pid_t pg = g_child_pgid.load();
  if (pg > 0) ::kill(-pg, SIGKILL);
}

// child_fail writes "what: strerror" to the error pipe and exits (in the
// child, after fork: only async-signal-safe calls).
[[noreturn]] void child_fail(int fd, const char* what) {
  int e = errno;
  const char* es = std::strerror(e);
  ssize_t r = ::write(fd, what, std::strlen(what));
  r = ::write(fd, ": ", 2);
  r = ::write(fd, es, std::strlen(es));
  (void)r;
  ::_exit(127);
}

void redirect(int fd, const std::string& path, int errfd) {
  int f = ::open(path.empty() ? "/dev/null" : path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (f < 0) child_fail(errfd, "cannot open output file");
  if (::dup2(f, fd) < 0) child_fail(errfd, "dup2");
}

}  // namespace

std::string ChildResult::describe() const {
  if (!started) return "did not start: " + error;
  if (interrupted) return "interrupted";
  if (timed_out) return "timed out (killed)";
  if (term_signal) return "killed by signal " + std::to_string(term_signal) + " (" + strsignal(term_signal) + ")";
  return "exit " + std::to_string(exit_code);
}

void install_interrupt_handlers() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(s, &sa, nullptr);
}

bool interrupted() { return g_signal != 0; }
int interrupt_signal() { return g_signal; }

ChildResult run_child(const ChildSpec& spec) {
  ChildResult r;
  if (spec.argv.empty()) {
    r.error = "empty command";
    return r;
  }
  // Everything the child needs is prepared before fork: no allocation after.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; e++) {
    std::string kv = *e;
    bool overridden = false;
    for (const auto& [k, v] : spec.env)
      if (kv.compare(0, k.size() + 1, k + "=") == 0) overridden = true;
    for (const auto& k : spec.unset_env)
      if (kv.compare(0, k.size() + 1, k + "=") == 0) overridden = true;
    if (!overridden) env_strings.push_back(kv);
  }
  for (const auto& [k, v] : spec.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = spec.argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::string pid_text;

  int errpipe[2];
  if (::pipe2(errpipe, O_CLOEXEC) != 0) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  pid_t parent = ::getpid();
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid < 0) {
    r.error = std::string("fork: ") + std::strerror(errno);
    ::close(errpipe[0]);
    ::close(errpipe[1]);
    return r;
  }
  if (pid == 0) {
    ::close(errpipe[0]);
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int s : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(s, &sa, nullptr);
    if (!spec.cgroup_procs.empty()) {
      int f = ::open(spec.cgroup_procs.c_str(), O_WRONLY | O_CLOEXEC);
      if (f < 0) child_fail(errpipe[1], "cannot open cgroup.procs");
      char buf[32];
      int n = 0;
      for (pid_t p = ::getpid(); p > 0; p /= 10) buf[n++] = static_cast<char>('0' + p % 10);
      char out[32];
      for (int i = 0; i < n; i++) out[i] = buf[n - 1 - i];
      if (::write(f, out, static_cast<size_t>(n)) != n) child_fail(errpipe[1], "cannot join the cgroup");
      ::close(f);
    }
    if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) child_fail(errpipe[1], "cannot chdir");
    redirect(1, spec.stdout_path, errpipe[1]);
    redirect(2, spec.stderr_path, errpipe[1]);
    ::execve(argv[0], argv.data(), envp.data());
    child_fail(errpipe[1], "cannot exec");
  }
  ::setpgid(pid, pid);  // also from the parent: no race with the kill below
  g_child_pgid.store(pid);
  ::close(errpipe[1]);
  char ebuf[512];
  ssize_t en;
  std::string err;
  while ((en = ::read(errpipe[0], ebuf, sizeof ebuf)) != 0) {
    if (en < 0) {
      if (errno == EINTR) continue;
      break;
    }
    err.append(ebuf, static_cast<size_t>(en));
  }
  ::close(errpipe[0]);
  r.started = err.empty();
  r.error = err;
  if (g_signal) ::kill(-pid, SIGKILL);  // a signal that came before the store
  int status = 0;
  while (true) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r.timed_out && el > spec.timeout_s) {
      r.timed_out = true;
      ::kill(-pid, SIGKILL);
    }
    if (g_signal) {
      r.interrupted = true;
      ::kill(-pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  g_child_pgid.store(0);
  // Anything else left in the group (grandchildren) goes too.
  ::kill(-pid, SIGKILL);
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (g_signal) r.interrupted = true;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
  return r;
}

}  // namespace gortbench
