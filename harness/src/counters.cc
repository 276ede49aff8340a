// counters.cc — perf_event_open groups via libpfm4; see counters.h.
#include "gortbench/counters.h"

#include <linux/perf_event.h>
#include <perfmon/pfmlib_perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>

namespace gortbench {

namespace {

struct SoftwareEvent {
  const char* name;
  std::uint64_t config;
};
// The kernel's software events, encoded without libpfm.
constexpr SoftwareEvent kSoftware[] = {
    {"task-clock", PERF_COUNT_SW_TASK_CLOCK},
    {"cpu-clock", PERF_COUNT_SW_CPU_CLOCK},
    {"context-switches", PERF_COUNT_SW_CONTEXT_SWITCHES},
    {"cs", PERF_COUNT_SW_CONTEXT_SWITCHES},
    {"cpu-migrations", PERF_COUNT_SW_CPU_MIGRATIONS},
    {"page-faults", PERF_COUNT_SW_PAGE_FAULTS},
    {"minor-faults", PERF_COUNT_SW_PAGE_FAULTS_MIN},
    {"major-faults", PERF_COUNT_SW_PAGE_FAULTS_MAJ},
};

int paranoid_level() {
  std::ifstream f("/proc/sys/kernel/perf_event_paranoid");
  int v = -100;
  if (!(f >> v)) return -100;
  return v;
}

bool pfm_ready(std::string* err) {
  static std::once_flag once;
  static int rc = PFM_SUCCESS;
  std::call_once(once, [] { rc = pfm_initialize(); });
  if (rc != PFM_SUCCESS && err) *err = std::string("libpfm: pfm_initialize: ") + pfm_strerror(rc);
  return rc == PFM_SUCCESS;
}

// encode fills attr for name; *hardware says whether it is a PMU event.
bool encode(const std::string& name, perf_event_attr* attr, bool* hardware, std::string* err) {
  std::memset(attr, 0, sizeof *attr);
  attr->size = sizeof *attr;
  for (const auto& s : kSoftware) {
    if (name == s.name) {
      attr->type = PERF_TYPE_SOFTWARE;
      attr->config = s.config;
      *hardware = false;
      return true;
    }
  }
  if (!pfm_ready(err)) return false;
  pfm_perf_encode_arg_t arg;
  std::memset(&arg, 0, sizeof arg);
  arg.attr = attr;
  arg.size = sizeof arg;
  int rc = pfm_get_os_event_encoding(name.c_str(), PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg);
  if (rc != PFM_SUCCESS) {
    *err = std::string("libpfm cannot encode it: ") + pfm_strerror(rc);
    return false;
  }
  attr->size = sizeof *attr;
  *hardware = attr->type != PERF_TYPE_SOFTWARE;
  return true;
}

std::string open_reason(int e, bool hardware) {
  std::string r = std::strerror(e);
  switch (e) {
    case ENOENT:
    case EOPNOTSUPP:
    case ENODEV:
      return hardware ? "the kernel reports no PMU support for it here (a VM without a virtual PMU?): " + r
                      : "not supported by this kernel: " + r;
    case EACCES:
    case EPERM:
      return "permission denied (perf_event_paranoid=" + std::to_string(paranoid_level()) +
             "; CAP_PERFMON or a lower setting would allow it): " + r;
    case ENOSYS:
      return "perf_event_open is not available (seccomp or kernel without perf): " + r;
    case EINVAL:
      return "the kernel refused its encoding: " + r;
    default:
      return r;
  }
}

int perf_open(perf_event_attr* attr, int group_fd) {
  return static_cast<int>(syscall(SYS_perf_event_open, attr, 0, -1, group_fd, PERF_FLAG_FD_CLOEXEC));
}

// open_one opens an already-encoded event, falling back to user-mode only
// when kernel counting is not permitted.
int open_one(perf_event_attr* attr, int group_fd, bool* user_only) {
  int fd = perf_open(attr, group_fd);
  if (fd < 0 && (errno == EACCES || errno == EPERM) && !attr->exclude_kernel) {
    attr->exclude_kernel = 1;
    attr->exclude_hv = 1;
    fd = perf_open(attr, group_fd);
    if (fd >= 0) *user_only = true;
  }
  return fd;
}

}  // namespace

bool parse_event_list(const std::string& s, std::vector<std::string>* out) {
  out->clear();
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) return false;
    out->push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return !out->empty();
}

const std::vector<std::string>& default_hardware_events() {
  static const std::vector<std::string> v = {"cycles", "instructions", "cache-misses", "branch-misses"};
  return v;
}

const std::vector<std::string>& software_events() {
  static const std::vector<std::string> v = {"task-clock", "context-switches", "cpu-migrations",
                                             "page-faults"};
  return v;
}

EventProbe probe_event(const std::string& name) {
  EventProbe p;
  p.name = name;
  perf_event_attr attr;
  std::string err;
  if (!encode(name, &attr, &p.hardware, &err)) {
    p.reason = err;
    return p;
  }
  attr.disabled = 1;
  int fd = open_one(&attr, -1, &p.user_only);
  if (fd < 0) {
    p.reason = open_reason(errno, p.hardware);
    return p;
  }
  ::close(fd);
  p.ok = true;
  return p;
}

CounterGroup::~CounterGroup() { close(); }

bool CounterGroup::open(const std::vector<std::string>& names, std::vector<EventProbe>* skipped) {
  close();
  for (const auto& name : names) {
    EventProbe p;
    p.name = name;
    perf_event_attr attr;
    std::string err;
    if (!encode(name, &attr, &p.hardware, &err)) {
      p.reason = err;
      if (skipped) skipped->push_back(p);
      continue;
    }
    attr.disabled = fds_.empty() ? 1 : 0;
    attr.pinned = 0;
    attr.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_ID | PERF_FORMAT_TOTAL_TIME_ENABLED |
                       PERF_FORMAT_TOTAL_TIME_RUNNING;
    int fd = open_one(&attr, fds_.empty() ? -1 : fds_[0], &p.user_only);
    if (fd < 0) {
      p.reason = open_reason(errno, p.hardware);
      if (skipped) skipped->push_back(p);
      continue;
    }
    std::uint64_t id = 0;
    if (ioctl(fd, PERF_EVENT_IOC_ID, &id) != 0) {
      p.reason = std::string("PERF_EVENT_IOC_ID: ") + std::strerror(errno);
      ::close(fd);
      if (skipped) skipped->push_back(p);
      continue;
    }
    fds_.push_back(fd);
    ids_.push_back(id);
    names_.push_back(name);
  }
  return !fds_.empty();
}

void CounterGroup::start() {
  if (fds_.empty()) return;
  ioctl(fds_[0], PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP);
  ioctl(fds_[0], PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
}

void CounterGroup::stop() {
  if (!fds_.empty()) ioctl(fds_[0], PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP);
}

std::vector<CounterValue> CounterGroup::read() const {
  std::vector<CounterValue> out;
  if (fds_.empty()) return out;
  // {nr, time_enabled, time_running, {value, id} x nr}
  std::vector<std::uint64_t> buf(3 + 2 * fds_.size());
  ssize_t n = ::read(fds_[0], buf.data(), buf.size() * sizeof(std::uint64_t));
  if (n < static_cast<ssize_t>(3 * sizeof(std::uint64_t))) return out;
  std::uint64_t nr = buf[0], enabled = buf[1], running = buf[2];
  for (size_t i = 0; i < fds_.size(); i++) {
    CounterValue v;
    v.name = names_[i];
    v.time_enabled = enabled;
    v.time_running = running;
    for (std::uint64_t k = 0; k < nr && 3 + 2 * k + 1 < buf.size(); k++) {
      if (buf[3 + 2 * k + 1] == ids_[i]) v.raw = buf[3 + 2 * k];
    }
    v.counted = running > 0;
    v.multiplexed = running > 0 && running < enabled;
    v.scaled = v.counted ? static_cast<double>(v.raw) * static_cast<double>(enabled) /
                               static_cast<double>(running)
                         : 0.0;
    out.push_back(v);
  }
  return out;
}

void CounterGroup::close() {
  for (int fd : fds_) ::close(fd);
  fds_.clear();
  ids_.clear();
  names_.clear();
}

}  // namespace gortbench
