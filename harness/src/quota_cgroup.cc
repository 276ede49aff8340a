// quota_cgroup.cc — transient CPU-quota cgroups; see quota_cgroup.h.
#include "gortbench/quota_cgroup.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace gortbench {

namespace {

std::atomic<int> g_seq{0};

bool write_file(const std::string& path, const std::string& v, std::string* err) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    if (err) *err = path + ": " + std::strerror(errno);
    return false;
  }
  bool ok = std::fputs(v.c_str(), f) >= 0;
  // Errors from the kernel show at flush time.
  if (std::fflush(f) != 0) ok = false;
  int e = errno;
  if (std::fclose(f) != 0) ok = false;
  if (!ok && err) *err = "the kernel refuses " + v + " in " + path + ": " + std::strerror(e ? e : errno);
  return ok;
}

bool read_file(const std::string& path, std::string* out) {
  std::ifstream f(path);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

}  // namespace

bool cgroup_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string QuotaCgroup::base_dir(int* version) {
  if (::access("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", F_OK) == 0 ||
      ::access("/sys/fs/cgroup/cpu/cgroup.procs", F_OK) == 0) {
    *version = 1;
    return "/sys/fs/cgroup/cpu";
  }
  std::string ctl;
  if (read_file("/sys/fs/cgroup/cgroup.controllers", &ctl)) {
    *version = 2;
    return "/sys/fs/cgroup";
  }
  *version = 0;
  return "";
}

bool QuotaCgroup::create(double cpus, std::string* err, std::int64_t period_us) {
  if (!path_.empty()) remove(nullptr);
  if (!(cpus > 0) || !std::isfinite(cpus)) {
    *err = "quota must be a positive number of CPUs";
    return false;
  }
  int version = 0;
  std::string base = base_dir(&version);
  if (base.empty()) {
    *err = "no cgroup CPU controller is mounted (neither v1 cpu nor v2)";
    return false;
  }
  if (::access(base.c_str(), W_OK) != 0) {
    *err = base + " is not writable (run as root or delegate a cgroup): " + std::strerror(errno);
    return false;
  }
  if (version == 2) {
    std::string ctl;
    read_file(base + "/cgroup.subtree_control", &ctl);
    if (ctl.find("cpu") == std::string::npos && !write_file(base + "/cgroup.subtree_control", "+cpu", err))
      return false;
  }
  std::string path = base + "/gort-" + std::to_string(::getpid()) + "-" + std::to_string(g_seq++);
  if (::mkdir(path.c_str(), 0755) != 0) {
    *err = "cannot create " + path + ": " + std::strerror(errno);
    return false;
  }
  path_ = path;
  version_ = version;
  period_us_ = period_us;
  quota_us_ = static_cast<std::int64_t>(std::llround(cpus * static_cast<double>(period_us)));
  bool ok;
  if (version == 1) {
    ok = write_file(path + "/cpu.cfs_period_us", std::to_string(period_us), err) &&
         write_file(path + "/cpu.cfs_quota_us", std::to_string(quota_us_), err);
  } else {
    ok = write_file(path + "/cpu.max", std::to_string(quota_us_) + " " + std::to_string(period_us), err);
  }
  if (!ok) {
    remove(nullptr);
    return false;
  }
  return true;
}

ThrottleStats QuotaCgroup::stats() const {
  ThrottleStats s;
  std::string text;
  if (path_.empty() || !read_file(path_ + "/cpu.stat", &text)) return s;
  std::istringstream in(text);
  std::string k;
  long long v;
  while (in >> k >> v) {
    if (k == "nr_periods") s.nr_periods = v;
    else if (k == "nr_throttled") s.nr_throttled = v;
    else if (k == "throttled_time") s.throttled_ns = v;          // v1: ns
    else if (k == "throttled_usec") s.throttled_ns = v * 1000;   // v2: us
  }
  s.ok = true;
  return s;
}

bool QuotaCgroup::remove(std::string* err) {
  if (path_.empty()) return true;
  // Kill whatever is still inside, then wait for it to be gone: rmdir fails
  // with EBUSY while a task (even a zombie not yet reaped) is a member.
  for (int attempt = 0; attempt < 500; attempt++) {
    std::string procs;
    read_file(path_ + "/cgroup.procs", &procs);
    std::istringstream in(procs);
    long pid;
    bool any = false;
    while (in >> pid) {
      any = true;
      ::kill(static_cast<pid_t>(pid), SIGKILL);
    }
    if (::rmdir(path_.c_str()) == 0 || errno == ENOENT) {
      path_.clear();
      return true;
    }
    (void)any;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (err) *err = "cannot remove " + path_ + ": " + std::strerror(errno);
  return false;
}

QuotaCgroup::~QuotaCgroup() { remove(nullptr); }

int sweep_stale_cgroups() {
  int version = 0;
  std::string base = QuotaCgroup::base_dir(&version);
  if (base.empty()) return 0;
  DIR* d = ::opendir(base.c_str());
  if (!d) return 0;
  int removed = 0;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    // Only our own names: gort-<pid>-<n>, digits only.
    if (name.rfind("gort-", 0) != 0) continue;
    char* end = nullptr;
    long pid = std::strtol(name.c_str() + 5, &end, 10);
    if (pid <= 0 || pid == ::getpid() || *end != '-' || !end[1]) continue;
    bool digits = true;
    for (const char* c = end + 1; *c; c++) digits = digits && *c >= '0' && *c <= '9';
    if (!digits) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) continue;  // still alive
    if (::rmdir((base + "/" + name).c_str()) == 0) removed++;
  }
  ::closedir(d);
  return removed;
}

}  // namespace gortbench
