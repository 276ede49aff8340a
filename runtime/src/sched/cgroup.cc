// cgroup.cc — reading affinity and cgroup CPU quotas; see cgroup.h.
#include "sched/cgroup.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace gort::sched {

namespace {

std::string join(const std::string& root, const std::string& path) {
  if (root.empty() || root == "/") return path;
  std::string r = root;
  while (!r.empty() && r.back() == '/') r.pop_back();
  return r + path;
}

bool read_all(const std::string& path, std::string* out) {
  std::ifstream f(path);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

// parse_i64 parses a whole decimal integer (surrounding blanks allowed).
bool parse_i64(const std::string& s, std::int64_t* v) {
  size_t b = s.find_first_not_of(" \t\n");
  if (b == std::string::npos) return false;
  size_t e = s.find_last_not_of(" \t\n");
  std::string t = s.substr(b, e - b + 1);
  char* end = nullptr;
  errno = 0;
  long long x = std::strtoll(t.c_str(), &end, 10);
  if (errno != 0 || end == t.c_str() || *end != '\0') return false;
  *v = x;
  return true;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return out;
}

// Mount is one cgroup mount from mountinfo.
struct Mount {
  std::string root;    // the part of the hierarchy the mount shows
  std::string point;   // where it is mounted
  int version = 0;
};

// find_mount finds the v1 mount carrying the cpu controller, or else the v2
// mount.
bool find_mount(const std::string& root, int version, Mount* m) {
  std::ifstream f(join(root, "/proc/self/mountinfo"));
  std::string line;
  while (std::getline(f, line)) {
    // id parent major:minor root point options [optional...] - fstype source superopts
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream pre(line.substr(0, dash));
    std::string id, parent, dev, mroot, point;
    if (!(pre >> id >> parent >> dev >> mroot >> point)) continue;
    std::istringstream post(line.substr(dash + 3));
    std::string fstype, source, superopts;
    if (!(post >> fstype >> source)) continue;
    post >> superopts;
    if (version == 2 && fstype == "cgroup2") {
      *m = {mroot, point, 2};
      return true;
    }
    if (version == 1 && fstype == "cgroup") {
      for (const auto& opt : split(superopts, ','))
        if (opt == "cpu") {
          *m = {mroot, point, 1};
          return true;
        }
    }
  }
  return false;
}

// cgroup_path returns the process's cgroup for the v1 cpu controller or the
// v2 unified hierarchy from /proc/self/cgroup.
bool cgroup_path(const std::string& root, int version, std::string* path) {
  std::ifstream f(join(root, "/proc/self/cgroup"));
  std::string line;
  while (std::getline(f, line)) {
    size_t a = line.find(':');
    if (a == std::string::npos) continue;
    size_t b = line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string id = line.substr(0, a), ctrls = line.substr(a + 1, b - a - 1);
    std::string p = line.substr(b + 1);
    if (version == 2 && id == "0" && ctrls.empty()) {
      *path = p;
      return true;
    }
    if (version == 1) {
      for (const auto& c : split(ctrls, ','))
        if (c == "cpu") {
          *path = p;
          return true;
        }
    }
  }
  return false;
}

// read_limit reads one cgroup directory's quota.
CgroupCpuLimit read_limit(const std::string& dir, const std::string& cgpath, int version) {
  CgroupCpuLimit l{cgpath, version, -1, 100000};
  std::string s;
  if (version == 1) {
    std::int64_t q = -1, p = 0;
    if (read_all(dir + "/cpu.cfs_quota_us", &s) && parse_i64(s, &q)) l.quota_us = q;
    if (read_all(dir + "/cpu.cfs_period_us", &s) && parse_i64(s, &p) && p > 0) l.period_us = p;
  } else if (read_all(dir + "/cpu.max", &s)) {
    std::istringstream in(s);
    std::string q, p;
    std::int64_t qv = 0, pv = 0;
    if (in >> q >> p) {
      if (parse_i64(p, &pv) && pv > 0) l.period_us = pv;
      if (q != "max" && parse_i64(q, &qv) && qv > 0) l.quota_us = qv;
    }
  }
  if (l.quota_us <= 0) l.quota_us = -1;
  return l;
}

}  // namespace

int parse_cpu_list(const std::string& s) {
  int n = 0;
  size_t b = s.find_first_not_of(" \t\n");
  if (b == std::string::npos) return 0;
  std::string t = s.substr(b, s.find_last_not_of(" \t\n") - b + 1);
  for (const auto& item : split(t, ',')) {
    std::int64_t lo = 0, hi = 0;
    size_t dash = item.find('-');
    if (dash == std::string::npos) {
      if (!parse_i64(item, &lo) || lo < 0) return 0;
      n += 1;
    } else {
      if (!parse_i64(item.substr(0, dash), &lo) || !parse_i64(item.substr(dash + 1), &hi) ||
          lo < 0 || hi < lo)
        return 0;
      n += static_cast<int>(hi - lo + 1);
    }
  }
  return n;
}

CpuLimits read_cpu_limits(const std::string& root) {
  CpuLimits l{0, 0, {}, 0.0};
  {
    std::ifstream f(join(root, "/proc/self/status"));
    std::string line;
    while (std::getline(f, line)) {
      if (line.rfind("Cpus_allowed_list:", 0) == 0) {
        l.affinity_cpus = parse_cpu_list(line.substr(std::string("Cpus_allowed_list:").size()));
        break;
      }
    }
  }
  if (l.affinity_cpus <= 0) l.affinity_cpus = 1;

  Mount m;
  std::string path;
  int version = 0;
  if (find_mount(root, 1, &m) && cgroup_path(root, 1, &path)) version = 1;
  else if (find_mount(root, 2, &m) && cgroup_path(root, 2, &path)) version = 2;
  if (version == 0) return l;
  l.cgroup_version = version;

  // The process's path is relative to the hierarchy's root; the mount shows
  // the hierarchy from m.root down. Walk from the leaf up to m.root.
  std::string mroot = m.root == "/" ? "" : m.root;
  if (path.rfind(mroot, 0) != 0) {
    // The cgroup is outside what the mount shows (another namespace):
    // only the mount root itself can be read.
    path = mroot.empty() ? "/" : mroot;
  }
  std::string cur = path;
  while (true) {
    std::string rel = cur.substr(mroot.size());  // "" or "/a/b"
    std::string dir = join(root, m.point + rel);
    l.chain.push_back(read_limit(dir, cur.empty() ? "/" : cur, version));
    if (cur.size() <= mroot.size() || cur == "/") break;
    size_t slash = cur.rfind('/');
    if (slash == std::string::npos) break;
    cur = cur.substr(0, slash);
    if (cur.size() < mroot.size()) break;
  }
  for (const auto& c : l.chain) {
    if (c.quota_us <= 0 || c.period_us <= 0) continue;
    double q = static_cast<double>(c.quota_us) / static_cast<double>(c.period_us);
    if (l.quota_cpus <= 0 || q < l.quota_cpus) l.quota_cpus = q;
  }
  return l;
}

int default_procs(const CpuLimits& l) {
  int aff = l.affinity_cpus > 0 ? l.affinity_cpus : 1;
  if (l.quota_cpus <= 0) return aff;
  int n = static_cast<int>(std::ceil(l.quota_cpus - 1e-9));
  if (n < 2) n = 2;
  if (n > aff) n = aff;
  return n;
}

}  // namespace gort::sched
