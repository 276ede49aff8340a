// machine_context.cc — gathering the run context; see machine_context.h.
#include "gortbench/machine_context.h"

#include <hwloc.h>
#include <fcntl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gortbench/build_info.h"
#include "gortbench/counters.h"
#include "sched/cgroup.h"

namespace gortbench {

using nlohmann::json;

std::string read_trimmed(const std::string& path, bool* ok) {
  std::ifstream f(path);
  if (ok) *ok = static_cast<bool>(f);
  if (!f) return "";
  std::ostringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

std::string command_output(const std::vector<std::string>& argv) {
  int pipefd[2];
  if (argv.empty() || ::pipe(pipefd) != 0) return "";
  pid_t pid = ::fork();
  if (pid < 0) return "";
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, 2);
    ::close(pipefd[0]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  int st = 0;
  ::waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return "";
  size_t nl = out.find('\n');
  return nl == std::string::npos ? out : out.substr(0, nl);
}

namespace {

json nullable_int(const std::string& path) {
  bool ok = false;
  std::string s = read_trimmed(path, &ok);
  if (!ok || s.empty()) return nullptr;
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (*end != '\0') return s;
  return v;
}

std::string cpuinfo_field(const std::string& key) {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key, 0) == 0) {
      size_t c = line.find(':');
      if (c != std::string::npos) {
        size_t b = line.find_first_not_of(" \t", c + 1);
        return b == std::string::npos ? "" : line.substr(b);
      }
    }
  }
  return "";
}

const char* cache_type(hwloc_obj_cache_type_t t) {
  switch (t) {
    case HWLOC_OBJ_CACHE_DATA: return "data";
    case HWLOC_OBJ_CACHE_INSTRUCTION: return "instruction";
    default: return "unified";
  }
}

void add_hwloc(json& ctx, bool want_xml) {
  hwloc_topology_t topo;
  hwloc_topology_init(&topo);
  hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_NONE);
  if (hwloc_topology_load(topo) != 0) {
    ctx["hwloc_error"] = "hwloc_topology_load failed";
    hwloc_topology_destroy(topo);
    return;
  }
  ctx["packages"] = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
  ctx["cores"] = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
  ctx["pus"] = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
  ctx["numa_nodes"] = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
  char* s = nullptr;
  hwloc_bitmap_list_asprintf(&s, hwloc_topology_get_allowed_cpuset(topo));
  ctx["allowed_cpuset"] = s ? s : "";
  std::free(s);
  json caches = json::array();
  for (int depth = 0; depth < hwloc_topology_get_depth(topo); depth++) {
    hwloc_obj_type_t t = hwloc_get_depth_type(topo, depth);
    if (!hwloc_obj_type_is_cache(t)) continue;
    hwloc_obj_t o = hwloc_get_obj_by_depth(topo, depth, 0);
    if (!o) continue;
    int pus = hwloc_bitmap_weight(o->cpuset);
    caches.push_back({{"level", o->attr->cache.depth},
                      {"type", cache_type(o->attr->cache.type)},
                      {"size", o->attr->cache.size},
                      {"line", o->attr->cache.linesize},
                      {"shared_by", pus},
                      {"count", hwloc_get_nbobjs_by_depth(topo, depth)}});
  }
  ctx["caches"] = caches;
  int cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
  int pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
  ctx["smt_threads_per_core"] = cores > 0 ? pus / cores : 1;
  if (want_xml) {
    char* xml = nullptr;
    int len = 0;
    if (hwloc_topology_export_xmlbuffer(topo, &xml, &len, 0) == 0) {
      ctx["topology_xml"] = std::string(xml, static_cast<size_t>(len > 0 ? len - 1 : 0));
      hwloc_free_xmlbuffer(topo, xml);
    }
  }
  hwloc_topology_destroy(topo);
}

void add_cgroup(json& ctx) {
  gort::sched::CpuLimits l = gort::sched::read_cpu_limits("/");
  json chain = json::array();
  for (const auto& c : l.chain)
    chain.push_back({{"path", c.path}, {"version", c.version}, {"quota_us", c.quota_us},
                     {"period_us", c.period_us}});
  ctx["cgroup"] = {{"version", l.cgroup_version},
                   {"chain", chain},
                   {"quota_cpus", l.quota_cpus > 0 ? json(l.quota_cpus) : json(nullptr)}};
  ctx["affinity_cpus"] = l.affinity_cpus;
  ctx["gomaxprocs_default"] = gort::sched::default_procs(l);
}

void add_counters(json& ctx) {
  json avail = json::array();
  json unavail = json::object();
  bool hw = false;
  std::string hw_reason;
  std::vector<std::string> all = default_hardware_events();
  for (const char* extra : {"cache-references", "branches", "PERF_COUNT_HW_CACHE_L1D:READ:MISS"})
    all.push_back(extra);
  for (const auto& e : software_events()) all.push_back(e);
  for (const auto& name : all) {
    EventProbe p = probe_event(name);
    if (p.ok) {
      avail.push_back(p.user_only ? name + " (user only)" : name);
      hw = hw || p.hardware;
    } else {
      unavail[name] = p.reason;
      if (hw_reason.empty() && name == "cycles") hw_reason = p.reason;
    }
  }
  json c = {{"hardware", hw}, {"available", avail}, {"unavailable", unavail}};
  c["hardware_reason"] = hw ? json(nullptr) : json(hw_reason);
  ctx["counters"] = c;
}

}  // namespace

json machine_context(const ContextOptions& opts) {
  json ctx;
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  ctx["host"] = host;
  ctx["cpu_model"] = cpuinfo_field("model name");
  ctx["microcode"] = cpuinfo_field("microcode");
  ctx["num_cpus"] = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  add_hwloc(ctx, opts.topology_xml);
  struct utsname u;
  if (::uname(&u) == 0) ctx["kernel"] = std::string(u.sysname) + " " + u.release + " " + u.machine;
  bool ok = false;
  std::string gov = read_trimmed("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", &ok);
  ctx["governor"] = ok ? json(gov) : json(nullptr);
  std::string drv = read_trimmed("/sys/devices/system/cpu/cpu0/cpufreq/scaling_driver", &ok);
  ctx["scaling_driver"] = ok ? json(drv) : json(nullptr);
  // turbo: intel_pstate says no_turbo, acpi-cpufreq/amd say boost.
  json turbo = nullptr;
  std::string nt = read_trimmed("/sys/devices/system/cpu/intel_pstate/no_turbo", &ok);
  if (ok) turbo = nt == "0";
  std::string boost = read_trimmed("/sys/devices/system/cpu/cpufreq/boost", &ok);
  if (ok) turbo = boost == "1";
  ctx["turbo"] = turbo;
  std::string smt = read_trimmed("/sys/devices/system/cpu/smt/active", &ok);
  ctx["smt"] = ok ? json(smt == "1") : json(nullptr);
  ctx["smt_control"] = read_trimmed("/sys/devices/system/cpu/smt/control");
  ctx["aslr"] = nullable_int("/proc/sys/kernel/randomize_va_space");
  ctx["perf_event_paranoid"] = nullable_int("/proc/sys/kernel/perf_event_paranoid");
  ctx["nmi_watchdog"] = nullable_int("/proc/sys/kernel/nmi_watchdog");
  double load[3] = {0, 0, 0};
  if (::getloadavg(load, 3) == 3) ctx["load_avg_before"] = {load[0], load[1], load[2]};
  add_cgroup(ctx);
  add_counters(ctx);
  if (opts.build_info) {
    ctx["compiler"] = build_info::kCompiler;
    ctx["cxx_flags"] = build_info::kCxxFlags;
    ctx["build_type"] = build_info::kBuildType;
    ctx["debug_build"] = build_info::is_debug();
    if (opts.bundle.is_object()) {
      // A bundle runs away from its tree: what it was built from is in its manifest.
      ctx["git_commit"] = opts.bundle.value("commit", json(nullptr));
      ctx["git_dirty"] = opts.bundle.value("dirty", json(nullptr));
      ctx["bundle"] = opts.bundle;
    } else {
      std::string src = opts.source_dir.empty() ? build_info::kSourceDir : opts.source_dir;
      std::string commit = command_output({"git", "-C", src, "rev-parse", "HEAD"});
      ctx["git_commit"] = commit.empty() ? json(nullptr) : json(commit);
      std::string dirty = command_output({"sh", "-c", "git -C '" + src + "' status --porcelain --untracked-files=no | head -1"});
      ctx["git_dirty"] = commit.empty() ? json(nullptr) : json(!dirty.empty());
    }
    std::string gov = opts.go_version.empty() ? command_output({build_info::go_binary(), "version"}) : opts.go_version;
    ctx["go_version"] = gov.empty() ? json(nullptr) : json(gov);
  }
  return ctx;
}

std::string render_topology(const json& c) {
  std::ostringstream o;
  // g returns obj[key], or null when obj is not an object or lacks it.
  auto g = [](const json& obj, const char* key) -> json {
    if (!obj.is_object()) return nullptr;
    auto it = obj.find(key);
    return it == obj.end() ? json(nullptr) : *it;
  };
  auto str = [](const json& v) -> std::string {
    if (v.is_null()) return "unknown";
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
  };
  auto s = [&](const char* key) { return str(g(c, key)); };
  o << "host            " << s("host") << "\n";
  o << "cpu             " << s("cpu_model") << " (microcode " << s("microcode") << ")\n";
  o << "kernel          " << s("kernel") << "\n";
  o << "shape           " << s("packages") << " package(s), " << s("cores") << " core(s), " << s("pus")
    << " PU(s), " << s("numa_nodes") << " NUMA node(s); SMT active " << s("smt") << " (control "
    << s("smt_control") << ")\n";
  o << "allowed cpuset  " << s("allowed_cpuset") << " (" << s("affinity_cpus") << " CPUs)\n";
  json caches = g(c, "caches");
  if (caches.is_array()) {
    for (const auto& k : caches) {
      o << "cache           L" << str(g(k, "level")) << " " << str(g(k, "type")) << " "
        << g(k, "size").get<long>() / 1024 << " KiB, line " << str(g(k, "line")) << ", shared by "
        << str(g(k, "shared_by")) << " PU(s), x" << str(g(k, "count")) << "\n";
    }
  }
  json cg = g(c, "cgroup");
  json quota = g(cg, "quota_cpus");
  o << "cgroup          v" << str(g(cg, "version")) << ", quota "
    << (quota.is_null() ? std::string("none") : str(quota) + " CPUs")
    << " (tightest of the leaf and every ancestor)\n";
  json chain = g(cg, "chain");
  if (chain.is_array()) {
    for (const auto& l : chain) {
      long q = g(l, "quota_us").is_number() ? g(l, "quota_us").get<long>() : -1;
      o << "  " << str(g(l, "path")) << ": "
        << (q < 0 ? std::string("no quota") : std::to_string(q) + "/" + str(g(l, "period_us")) + " us") << "\n";
    }
  }
  o << "GOMAXPROCS      " << s("gomaxprocs_default")
    << " (libgort's default: ceil(quota), >= 2 unless the affinity allows fewer, <= affinity)\n";
  o << "governor        " << s("governor") << " (driver " << s("scaling_driver") << "), turbo " << s("turbo") << "\n";
  o << "ASLR            " << s("aslr") << ", perf_event_paranoid " << s("perf_event_paranoid")
    << ", nmi_watchdog " << s("nmi_watchdog") << "\n";
  json ct = g(c, "counters");
  bool hw = g(ct, "hardware").is_boolean() && g(ct, "hardware").get<bool>();
  o << "counters        hardware: " << (hw ? "yes" : "no");
  if (!hw) o << " - " << str(g(ct, "hardware_reason"));
  o << "\n  open here:     ";
  json avail = g(ct, "available");
  bool first = true;
  if (avail.is_array())
    for (const auto& a : avail) {
      o << (first ? "" : ", ") << str(a);
      first = false;
    }
  o << "\n";
  json unavail = g(ct, "unavailable");
  if (unavail.is_object())
    for (const auto& [k, v] : unavail.items()) o << "  not " << k << ": " << str(v) << "\n";
  if (c.contains("compiler")) {
    bool dbg = g(c, "debug_build").is_boolean() && g(c, "debug_build").get<bool>();
    bool dirty = g(c, "git_dirty").is_boolean() && g(c, "git_dirty").get<bool>();
    o << "build           " << s("compiler") << ", " << s("build_type") << ", flags" << s("cxx_flags")
      << (dbg ? "  ** DEBUG BUILD: timings mean nothing **" : "") << "\n";
    o << "git             " << s("git_commit") << (dirty ? " (dirty)" : "") << "\n";
    o << "go              " << s("go_version") << "\n";
  }
  return o.str();
}

}  // namespace gortbench
