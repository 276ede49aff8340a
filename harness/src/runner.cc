// runner.cc — `gort-bench run`; see runner.h for the design.
//
// Steps: validate (exit 2 on bad input, nothing created) → plan → temp run
// directory → build Go twins, list C++ instances → repetitions × shuffled
// units, each a child process (optionally inside a QuotaCgroup) → run.json,
// go-bench.txt, gbench.json written atomically → rename to the final name.
#include "gortbench/runner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include "gortbench/atomic_file.h"
#include "gortbench/bench_output.h"
#include "gortbench/build_info.h"
#include "gortbench/child_process.h"
#include "gortbench/counters.h"
#include "gortbench/machine_context.h"
#include "gortbench/pinning.h"
#include "gortbench/quota_cgroup.h"
#include "gortbench/registry.h"
#include "sched/cgroup.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace gortbench {

namespace {

// BadInput carries the one line printed before exit status 2.
struct BadInput {
  std::string msg;
};

bool parse_double(const std::string& s, double* v) {
  char* end = nullptr;
  *v = std::strtod(s.c_str(), &end);
  return !s.empty() && *end == '\0' && std::isfinite(*v);
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  if (!s.empty() && s.back() == ',') out.push_back("");
  return out;
}

std::string utc_stamp(std::time_t t) {
  char buf[32];
  std::tm tm;
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string utc_iso(std::time_t t) {
  char buf[32];
  std::tm tm;
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string fmt_duration(double s) {
  char buf[32];
  int m = static_cast<int>(s) / 60;
  std::snprintf(buf, sizeof buf, "%dm%02ds", m, static_cast<int>(s) % 60);
  return buf;
}

std::string regex_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (std::strchr("\\^$.|?*+()[]{}", c)) o += '\\';
    o += c;
  }
  return o;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string first_line(const std::string& s) {
  size_t b = s.find_first_not_of("\n ");
  if (b == std::string::npos) return "";
  size_t e = s.find('\n', b);
  return s.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

std::string safe_name(const std::string& s) {
  std::string o;
  for (char c : s) o += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  if (o.size() > 80) o = o.substr(0, 80);
  return o;
}

// TempRunDir is the run directory under its temporary name; it is removed
// unless finalize() renamed it.
class TempRunDir {
 public:
  TempRunDir(const std::string& parent, const std::string& stamp) : parent_(parent), stamp_(stamp) {
    path_ = parent + "/.tmp-" + stamp + "-" + std::to_string(::getpid());
  }
  ~TempRunDir() {
    if (!done_) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  bool create(std::string* err) {
    std::error_code ec;
    if (!fs::create_directories(path_ + "/logs", ec)) {
      *err = "cannot create " + path_ + ": " + ec.message();
      return false;
    }
    return true;
  }
  const std::string& path() const { return path_; }
  // finalize renames to parent/stamp (or stamp-2, ... if taken).
  bool finalize(std::string* final_path, std::string* err) {
    for (int i = 1; i < 100; i++) {
      std::string f = parent_ + "/" + stamp_ + (i > 1 ? "-" + std::to_string(i) : "");
      if (fs::exists(f)) continue;
      if (::rename(path_.c_str(), f.c_str()) == 0) {
        fsync_dir(parent_);
        done_ = true;
        *final_path = f;
        return true;
      }
      *err = "cannot rename " + path_ + " to " + f + ": " + std::strerror(errno);
      return false;
    }
    *err = "too many runs with stamp " + stamp_;
    return false;
  }

 private:
  std::string parent_, stamp_, path_;
  bool done_ = false;
};

// Unit is one process to run once per repetition.
struct Unit {
  const BenchSpec* spec = nullptr;
  bool go = false;
  int procs = 0;        // 0: the runtime's default; else GOMAXPROCS
  std::string rule;     // how procs was chosen: default|set|host|floor|ceil
  double quota = 0;     // 0: none
  std::string instance; // C++: exact benchmark name
  std::string exe;
  std::string label;
};

// Accumulator gathers samples into run.json entries, keeping first-seen order.
class Accumulator {
 public:
  void add(const Sample& s, const Unit& u, const json& params_extra, const json& extra_metrics,
           const json& counter_totals, const json& m_map, const json& series = nullptr) {
    json params = s.params;
    for (const auto& [k, v] : params_extra.items())
      if (!(k == "procs" && params.contains("procs"))) params[k] = v;
    if (s.procs_in_name) {  // the benchmark chose GOMAXPROCS itself
      params["procs_mode"] = "set";
      params["procs_rule"] = "name";
    }
    std::string key = s.name + "|" + s.impl + "|" + params.dump();
    auto it = index_.find(key);
    if (it == index_.end()) {
      it = index_.emplace(key, entries_.size()).first;
      json e = {{"name", s.name},
                {"subsystem", u.spec->subsystem},
                {"impl", s.impl},
                {"claim", u.spec->claim ? json(*u.spec->claim) : json(nullptr)},
                {"params", params},
                {"unit", "ns/op"},
                {"source", u.go ? "go" : "gbench"},
                {"raw_name", s.raw_name},
                {"samples", json::array()},
                {"iterations", json::array()},
                {"metrics", json::object()},
                {"counters", json::object()},
                {"raw", json::array()}};
      entries_.push_back(e);
    }
    json& e = entries_[it->second];
    size_t r = e["samples"].size();
    e["samples"].push_back(s.ns_per_op);
    e["iterations"].push_back(s.iterations);
    e["raw"].push_back(s.raw);
    auto put = [&](const std::string& k, const json& v) {
      json& arr = e["metrics"][k];
      if (!arr.is_array()) arr = json::array();
      while (arr.size() < r) arr.push_back(nullptr);
      arr.push_back(v);
    };
    for (const auto& [k, v] : s.metrics.items()) put(k, v);
    for (const auto& [k, v] : extra_metrics.items()) put(k, v);
    for (const auto& [name, t] : counter_totals.items()) {
      json& c = e["counters"][name];
      if (!c.is_object()) c = {{"per_op_samples", json::array()}, {"multiplexed", false}};
      double per_op = s.iterations > 0 ? t.value("scaled", 0.0) / s.iterations : 0.0;
      c["per_op_samples"].push_back(per_op);
      c["multiplexed"] = c["multiplexed"].get<bool>() || t.value("multiplexed", false);
    }
    if (!m_map.is_null()) e["m_map"] = m_map;
    if (!series.is_null() || e.contains("series")) {  // GC cycles per repetition (parse_gc_trace)
      json& arr = e["series"];
      if (!arr.is_array()) arr = json::array();
      while (arr.size() < r) arr.push_back(nullptr);
      arr.push_back(series);
    }
  }

  json finish() {
    json arr = json::array();
    for (auto& e : entries_) {
      std::vector<double> xs = e["samples"].get<std::vector<double>>();
      std::sort(xs.begin(), xs.end());
      size_t n = xs.size();
      e["median"] = n ? (n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2) : 0.0;
      if (e.contains("series"))
        while (e["series"].size() < n) e["series"].push_back(nullptr);
      for (auto& [k, v] : e["metrics"].items())
        while (v.size() < n) v.push_back(nullptr);
      for (auto& [k, c] : e["counters"].items()) {
        std::vector<double> ps = c["per_op_samples"].get<std::vector<double>>();
        std::sort(ps.begin(), ps.end());
        size_t m = ps.size();
        c["per_op"] = m ? (m % 2 ? ps[m / 2] : (ps[m / 2 - 1] + ps[m / 2]) / 2) : 0.0;
        c["scope"] = "process total / iterations of the measured run (calibration runs included)";
      }
      arr.push_back(e);
    }
    return arr;
  }

 private:
  std::vector<json> entries_;
  std::map<std::string, size_t> index_;
};

struct Plan {
  std::vector<const BenchSpec*> specs;
  std::vector<Unit> units;
  json skipped = json::array();
};

}  // namespace

bool parse_procs_list(const std::string& s, std::vector<int>* out) {
  out->clear();
  for (const auto& item : split_list(s)) {
    int v = 0;
    if (!parse_procs_item(item, &v)) return false;
    out->push_back(v);
  }
  return !out->empty();
}

bool parse_quota_list(const std::string& s, std::vector<double>* out) {
  out->clear();
  for (const auto& item : split_list(s)) {
    if (item == "none") {
      out->push_back(0);
      continue;
    }
    double v;  // the kernel decides the lower bound (1 ms per period)
    if (!parse_double(item, &v) || v <= 0 || v > 4096) return false;
    out->push_back(v);
  }
  return !out->empty();
}

namespace {

// resolve_procs turns a --procs item into (GOMAXPROCS or 0 for the
// runtime's default, rule name) for a unit under `quota` (0: none).
std::pair<int, std::string> resolve_procs(int item, double quota) {
  int host = gort::sched::read_cpu_limits("/").affinity_cpus;
  switch (item) {
    case kProcsDefault: return {0, "default"};
    case kProcsHost: return {host, "host"};
    case kProcsFloor: return {quota > 0 ? std::max(1, static_cast<int>(std::floor(quota + 1e-9))) : host, "floor"};
    case kProcsCeil: return {quota > 0 ? static_cast<int>(std::ceil(quota - 1e-9)) : host, "ceil"};
    default: return {item, "set"};
  }
}

int effective_gort_procs(int procs, double quota) {
  if (procs > 0) return procs;
  gort::sched::CpuLimits l = gort::sched::read_cpu_limits("/");
  if (quota > 0 && (l.quota_cpus <= 0 || quota < l.quota_cpus)) l.quota_cpus = quota;
  return gort::sched::default_procs(l);
}

// go_env is the environment the Go toolchain gets: every cache and config
// under the build directory, nothing fetched, nothing written to $HOME.
std::vector<std::pair<std::string, std::string>> go_env() {
  std::string b = std::string(build_info::kBinaryDir) + "/go";
  return {{"GOCACHE", b + "/cache"},   {"GOPATH", b + "/path"},    {"GOMODCACHE", b + "/path/pkg/mod"},
          {"HOME", b + "/home"},       {"XDG_CONFIG_HOME", b + "/home/.config"},
          {"GOTOOLCHAIN", "local"},    {"GOPROXY", "off"},         {"GOFLAGS", "-mod=mod"},
          {"GOTELEMETRY", "off"},      {"CGO_ENABLED", "0"}};
}

// build_go_twin compiles the Go benchmark package src/go_dir into
// outdir/go_twin_file_name(go_dir); its build log goes to logs/.
bool build_go_twin(const std::string& go, const std::string& src, const std::string& go_dir,
                   const std::string& outdir, const std::string& logs, std::string* exe, std::string* why) {
  std::error_code ec;
  fs::create_directories(outdir, ec);
  fs::create_directories(std::string(build_info::kBinaryDir) + "/go/home", ec);
  *exe = outdir + "/" + go_twin_file_name(go_dir);
  ChildSpec c;
  c.argv = {go, "test", "-c", "-o", *exe, "."};
  c.env = go_env();
  c.cwd = src + "/" + go_dir;
  std::string log = logs + "/go-build-" + safe_name(go_dir) + ".log";
  c.stdout_path = log;
  c.stderr_path = log + ".err";
  c.timeout_s = 600;
  ChildResult r = run_child(c);
  if (r.interrupted) return false;
  if (!r.ok()) {
    std::string msg = first_line(read_file(log + ".err"));
    *why = "Go twin in " + go_dir + " does not build (" + r.describe() + (msg.empty() ? "" : ": " + msg) + ")";
    return false;
  }
  return true;
}

// go_twin_skip_reason says why go_dir's twin cannot run ("" when it can):
// with prebuilt twins, its binary must be in that directory; otherwise its
// package must exist in the source tree (it is compiled later).
std::string go_twin_skip_reason(const RunOptions& o, const std::string& src, const std::string& go_dir) {
  if (!o.go_twins.empty()) {
    std::string exe = o.go_twins + "/" + go_twin_file_name(go_dir);
    return ::access(exe.c_str(), X_OK) == 0 ? "" : "no prebuilt Go twin " + exe;
  }
  return fs::exists(src + "/" + go_dir) ? "" : "Go twin directory " + go_dir + " does not exist yet";
}

// list_instances asks a Google Benchmark binary for the instance names its
// filter selects.
bool list_instances(const std::string& exe, const std::string& filter, const std::string& logs,
                    std::vector<std::string>* out, std::string* why) {
  ChildSpec c;
  std::string log = logs + "/list-" + safe_name(fs::path(exe).filename().string() + "-" + filter) + ".txt";
  c.argv = {exe, "--benchmark_list_tests=true", "--benchmark_filter=" + filter};
  c.stdout_path = log;
  c.stderr_path = log + ".err";
  c.timeout_s = 60;
  ChildResult r = run_child(c);
  if (!r.ok()) {
    std::string msg = first_line(read_file(log + ".err"));
    *why = "cannot list its benchmarks (" + r.describe() + (msg.empty() ? "" : ": " + msg) + ")";
    return false;
  }
  std::istringstream in(read_file(log));
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out->push_back(line);
  if (out->empty()) {
    *why = "its filter " + filter + " selects no benchmark";
    return false;
  }
  return true;
}

int run_impl(const RunOptions& o) {
  // ---- validation: nothing is created before all of it passed ----
  if (o.suite != "quick" && o.suite != "full") throw BadInput{"--suite '" + o.suite + "': expected quick or full"};
  if (o.reps < 0 || o.reps > 1000) throw BadInput{"--reps " + std::to_string(o.reps) + ": expected 1..1000"};
  PinPolicy pin;
  if (!parse_pin_policy(o.pin, &pin)) throw BadInput{"--pin '" + o.pin + "': expected none|compact|scatter|per-core"};
  std::vector<std::string> events;
  if (!o.counters.empty() && o.counters != "none" && o.counters != "default" &&
      !parse_event_list(o.counters, &events))
    throw BadInput{"--counters '" + o.counters + "': expected a comma-separated list of event names"};
  std::vector<int> procs_cli;
  if (!o.procs.empty() && !parse_procs_list(o.procs, &procs_cli))
    throw BadInput{"--procs '" + o.procs + "': expected a list of integers >= 1 and default|host|floor|ceil"};
  std::vector<double> quota_cli;
  if (!o.quota.empty() && !parse_quota_list(o.quota, &quota_cli))
    throw BadInput{"--quota '" + o.quota + "': expected a list of CPUs like none,0.5,1,1.5 (each > 0)"};
  if (o.timeout_s < 0) throw BadInput{"--timeout must be > 0"};
  std::regex re;
  try {
    re = std::regex(o.filter.empty() ? ".*" : o.filter, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw BadInput{"--filter '" + o.filter + "': not a valid regular expression (" + e.what() + ")"};
  }
  std::string src = build_info::kSourceDir;
  std::string registry = o.registry.empty() ? src + "/harness/benchmarks.json" : o.registry;
  std::vector<BenchSpec> specs;
  std::string err;
  if (!load_registry(registry, &specs, &err)) throw BadInput{err};
  Plan plan;
  for (const auto& s : specs)
    if (s.in_suite(o.suite) && std::regex_search(s.name, re)) plan.specs.push_back(&s);
  if (plan.specs.empty())
    throw BadInput{"--filter '" + o.filter + "' matches no benchmark of the " + o.suite +
                   " suite (see gort-bench list)"};
  // Prebuilt twins replace the toolchain; the bundle manifest the git tree.
  std::string prebuilt_go_version;
  if (!o.go_twins.empty()) {
    if (!fs::is_directory(o.go_twins)) throw BadInput{"--go-twins '" + o.go_twins + "': no such directory"};
    prebuilt_go_version = first_line(read_file(o.go_twins + "/" + kGoVersionFile));
    if (prebuilt_go_version.empty())
      throw BadInput{"--go-twins '" + o.go_twins + "': no " + kGoVersionFile +
                     " there (the `go version` line of the toolchain that built the twins)"};
  }
  json bundle;
  if (!o.bundle_manifest.empty()) {
    std::string text = read_file(o.bundle_manifest);
    try {
      bundle = json::parse(text);
    } catch (const json::exception&) {
    }
    if (!bundle.is_object())
      throw BadInput{"--bundle-manifest '" + o.bundle_manifest + "': " +
                     (text.empty() ? "cannot read it" : "not a JSON object")};
  }
  std::string go = build_info::go_binary();
  bool have_go = !o.go_twins.empty() || ::access(go.c_str(), X_OK) == 0;
  if (o.go == 1 && !have_go)
    throw BadInput{"--go: no Go toolchain (looked for $GORT_GO, go on PATH, " + std::string(build_info::kGoFallback) + ")"};
  bool use_go = o.go != 0 && have_go;
  std::string out_root = o.out.empty() ? src + "/results" : o.out;
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  std::string parent = out_root + "/" + host;
  if (!o.dry_run) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec || ::access(parent.c_str(), W_OK) != 0)
      throw BadInput{"--out '" + out_root + "': cannot write there (" + (ec ? ec.message() : std::strerror(errno)) + ")"};
  }
  std::string bench_dir = o.bench_dir.empty() ? std::string(build_info::kBinaryDir) + "/benches" : o.bench_dir;
  int reps = o.reps > 0 ? o.reps : (o.suite == "quick" ? 6 : 10);

  // Distinct quotas must be accepted by the kernel before the run starts.
  std::set<double> quotas_used;
  for (const BenchSpec* s : plan.specs) {
    std::vector<double> qs = !quota_cli.empty() ? quota_cli : std::vector<double>{0};
    if (quota_cli.empty() && o.suite == "full")
      for (double q : s->full_quotas) qs.push_back(q);
    for (double q : qs)
      if (q > 0) quotas_used.insert(q);
  }
  for (double q : quotas_used) {
    QuotaCgroup probe;
    std::string qerr;
    if (!probe.create(q, &qerr)) {
      std::ostringstream qs;
      qs << q;
      throw BadInput{"--quota " + qs.str() + ": " + qerr};
    }
  }

  // ---- plan ----
  for (const BenchSpec* s : plan.specs) {
    std::vector<int> ps = procs_cli;
    if (ps.empty()) {
      ps = {0};
      if (o.suite == "full")
        for (int p : s->full_procs) ps.push_back(p);
    }
    std::vector<double> qs = quota_cli;
    if (qs.empty()) {
      qs = {0};
      if (o.suite == "full")
        for (double q : s->full_quotas) qs.push_back(q);
    }
    for (int p : ps)
      for (double q : qs) {
        // floor/ceil of no quota would only repeat "host".
        if (q <= 0 && (p == kProcsFloor || p == kProcsCeil)) continue;
        if (s->has_cxx()) {
          Unit u;
          u.spec = s;
          std::tie(u.procs, u.rule) = resolve_procs(p, q);
          u.quota = q;
          u.exe = bench_dir + "/" + s->binary;
          plan.units.push_back(u);
        }
        if (s->has_go()) {
          Unit u;
          u.spec = s;
          u.go = true;
          std::tie(u.procs, u.rule) = resolve_procs(p, q);
          u.quota = q;
          plan.units.push_back(u);
        }
      }
  }

  auto skip = [&](const BenchSpec* s, const std::string& side, const std::string& why) {
    for (const auto& k : plan.skipped)
      if (k["benchmark"] == s->name && k["side"] == side) return;
    plan.skipped.push_back({{"benchmark", s->name}, {"side", side}, {"reason", why}});
    if (!o.quiet) std::fprintf(stderr, "gort-bench: skipping %s (%s): %s\n", s->name.c_str(), side.c_str(), why.c_str());
  };

  if (o.dry_run) {
    std::printf("plan: suite %s, %d repetition(s), pin %s, counters %s, %zu unit(s) per repetition\n",
                o.suite.c_str(), reps, o.pin.c_str(), o.counters.empty() ? "none" : o.counters.c_str(),
                plan.units.size());
    for (const auto& u : plan.units) {
      std::ostringstream q;
      if (u.quota > 0) q << u.quota;
      else q << "none";
      bool present = u.go ? (use_go && go_twin_skip_reason(o, src, u.spec->go_dir).empty())
                          : ::access(u.exe.c_str(), X_OK) == 0;
      std::printf("  %-28s %-4s procs=%-7s quota=%-5s %s%s\n", u.spec->name.c_str(), u.go ? "go" : "c++",
                  (u.procs ? std::to_string(u.procs) + "(" + u.rule + ")" : std::string("default")).c_str(), q.str().c_str(),
                  u.go ? u.spec->go_dir.c_str() : u.exe.c_str(), present ? "" : "  (missing: would be skipped)");
    }
    return 0;
  }

  // ---- run ----
  install_interrupt_handlers();
  int swept = sweep_stale_cgroups();
  std::time_t t_start = std::time(nullptr);
  std::string stamp = utc_stamp(t_start);
  TempRunDir dir(parent, stamp);
  if (!dir.create(&err)) throw BadInput{"--out: " + err};
  std::string logs = dir.path() + "/logs";

  ContextOptions copts;
  copts.go_version = prebuilt_go_version;
  copts.bundle = bundle;
  json context = machine_context(copts);
  if (swept) context["stale_cgroups_removed"] = swept;

  // Resolve every C++ binary into instances and build every Go twin once.
  std::map<std::string, std::string> go_exe;  // go_dir -> test binary ("" failed)
  std::vector<Unit> units;
  std::map<std::pair<const BenchSpec*, bool>, std::vector<std::string>> instances_cache;
  for (const auto& u : plan.units) {
    if (interrupted()) break;
    if (u.go) {
      if (!use_go) {
        skip(u.spec, "go", have_go ? "--no-go" : "no Go toolchain here");
        continue;
      }
      const std::string& gdir = u.spec->go_dir;
      if (std::string why = go_twin_skip_reason(o, src, gdir); !why.empty()) {
        skip(u.spec, "go", why);
        continue;
      }
      if (!o.go_twins.empty()) {
        go_exe[gdir] = o.go_twins + "/" + go_twin_file_name(gdir);
      } else if (!go_exe.count(gdir)) {
        std::string exe, why;
        if (!build_go_twin(go, src, gdir, std::string(build_info::kBinaryDir) + "/go/bin", logs, &exe, &why)) {
          if (interrupted()) break;
          go_exe[gdir] = "";
          skip(u.spec, "go", why);
          continue;
        }
        go_exe[gdir] = exe;
      }
      if (go_exe[gdir].empty()) {
        skip(u.spec, "go", "Go twin in " + u.spec->go_dir + " does not build");
        continue;
      }
      Unit v = u;
      v.exe = go_exe[gdir];
      units.push_back(v);
    } else {
      if (::access(u.exe.c_str(), X_OK) != 0) {
        skip(u.spec, "c++", "binary " + u.exe + " is not built (yet)");
        continue;
      }
      auto key = std::make_pair(u.spec, false);
      if (!instances_cache.count(key)) {
        std::vector<std::string> inst;
        std::string why;
        if (!list_instances(u.exe, u.spec->filter, logs, &inst, &why)) {
          if (interrupted()) break;
          skip(u.spec, "c++", u.spec->binary + " " + why);
          instances_cache[key] = {};
          continue;
        }
        instances_cache[key] = inst;
      }
      for (const auto& i : instances_cache[key]) {
        Unit v = u;
        v.instance = i;
        units.push_back(v);
      }
    }
  }

  Accumulator acc;
  json failures = json::array();
  std::random_device rd;
  unsigned seed = rd();
  std::mt19937 rng(seed);
  size_t total = units.size() * static_cast<size_t>(reps), done = 0;
  auto t0 = std::chrono::steady_clock::now();
  json gbench_context;
  int seq = 0;
  for (int rep = 0; rep < reps && !interrupted(); rep++) {
    std::vector<size_t> order(units.size());
    for (size_t i = 0; i < order.size(); i++) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t idx : order) {
      if (interrupted()) break;
      const Unit& u = units[idx];
      double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::ostringstream qs;
      if (u.quota > 0) qs << u.quota;
      else qs << "none";
      std::string procs_text = u.procs ? std::to_string(u.procs) + (u.rule == "set" ? "" : "-" + u.rule) : "default";
      if (!o.quiet) {
        std::string eta = done ? fmt_duration(elapsed / static_cast<double>(done) * static_cast<double>(total - done)) : "?";
        std::fprintf(stderr, "[%zu/%zu] %s %s procs=%s quota=%s rep %d/%d  elapsed %s  ETA %s\n", done + 1, total,
                     u.go ? u.spec->name.c_str() : u.instance.c_str(), u.go ? "go" : "c++", procs_text.c_str(),
                     qs.str().c_str(), rep + 1, reps, fmt_duration(elapsed).c_str(), eta.c_str());
      }
      std::string tag = std::to_string(seq++) + "-" + safe_name((u.go ? u.spec->name + "-go" : u.instance) +
                                                                 "-p" + procs_text + "-q" + qs.str());
      ChildSpec c;
      c.timeout_s = o.timeout_s > 0 ? o.timeout_s : u.spec->timeout_s;
      c.stdout_path = logs + "/" + tag + ".out";
      c.stderr_path = logs + "/" + tag + ".err";
      for (const auto& kv : u.spec->env) c.env.push_back(kv);
      if (u.procs > 0) c.env.push_back({"GOMAXPROCS", std::to_string(u.procs)});
      else c.unset_env.push_back("GOMAXPROCS");
      std::string mmap_out = logs + "/" + tag + ".mmap.json";
      if (u.go) {
        c.argv = {u.exe, "-test.run=^$", "-test.bench=" + u.spec->go_bench, "-test.count=1",
                  "-test.benchtime=" + u.spec->benchtime, "-test.benchmem"};
        if (u.procs > 0) c.argv.push_back("-test.cpu=" + std::to_string(u.procs));
        // A prebuilt twin runs where it lies, with the caller's environment
        // (the toolchain's is for building); a local one in its package.
        if (!o.go_twins.empty()) {
          c.cwd = o.go_twins;
        } else {
          c.cwd = src + "/" + u.spec->go_dir;
          for (const auto& kv : go_env()) c.env.push_back(kv);
        }
      } else {
        c.argv = {u.exe, "--benchmark_filter=^" + regex_escape(u.instance) + "$", "--benchmark_format=json",
                  "--benchmark_repetitions=1", "--benchmark_min_time=" + u.spec->min_time,
                  "--gort_pin=" + o.pin, "--gort_mmap_out=" + mmap_out};
        if (!o.counters.empty() && o.counters != "none") c.argv.push_back("--gort_counters=" + o.counters);
      }
      QuotaCgroup cg;
      ThrottleStats before, after;
      if (u.quota > 0) {
        std::string qerr;
        if (!cg.create(u.quota, &qerr)) {
          failures.push_back({{"benchmark", u.spec->name}, {"side", u.go ? "go" : "c++"}, {"rep", rep},
                              {"reason", "quota cgroup: " + qerr}});
          done++;
          continue;
        }
        c.cgroup_procs = cg.procs_file();
        before = cg.stats();
      }
      ChildResult r = run_child(c);
      json extra = json::object();
      if (u.quota > 0) {
        after = cg.stats();
        if (before.ok && after.ok) {
          long long periods = after.nr_periods - before.nr_periods;
          long long thr = after.nr_throttled - before.nr_throttled;
          extra["nr_periods"] = periods;
          extra["nr_throttled"] = thr;
          extra["throttled_ns"] = after.throttled_ns - before.throttled_ns;
          extra["throttled_ratio"] = periods > 0 ? static_cast<double>(thr) / static_cast<double>(periods) : 0.0;
        }
        std::string rerr;
        if (!cg.remove(&rerr))
          failures.push_back({{"benchmark", u.spec->name}, {"reason", "cgroup not removed: " + rerr}});
      }
      done++;
      if (r.interrupted) break;
      std::string outtext = read_file(c.stdout_path);
      std::vector<Sample> samples;
      std::vector<std::string> errors;
      if (!r.ok()) {
        std::string msg = first_line(read_file(c.stderr_path));
        failures.push_back({{"benchmark", u.go ? u.spec->name : u.instance}, {"side", u.go ? "go" : "c++"},
                            {"rep", rep}, {"reason", r.describe() + (msg.empty() ? "" : ": " + msg)},
                            {"log", "logs/" + tag + ".err"}});
        if (!o.quiet) std::fprintf(stderr, "  failed: %s\n", r.describe().c_str());
        continue;
      }
      json params_extra = {{"pin", o.pin}, {"quota", u.quota > 0 ? json(u.quota) : json(nullptr)},
                           {"procs_mode", u.procs > 0 ? "set" : "default"}, {"procs_rule", u.rule}};
      json totals = json::object(), m_map = nullptr;
      if (u.go) {
        samples = parse_go_bench(outtext);
        if (samples.empty()) errors.push_back("no Benchmark lines in its output");
      } else {
        json gctx;
        if (!parse_gbench_json(outtext, &samples, &errors, &gctx)) errors.push_back("its output is not Google Benchmark JSON");
        for (auto& smp : samples)
          if (smp.raw_name.find("impl:") == std::string::npos) smp.impl = u.spec->impl;
        if (gbench_context.is_null() && !gctx.is_null()) gbench_context = gctx;
        params_extra["procs"] = effective_gort_procs(u.procs, u.quota);
        std::string mm = read_file(mmap_out);
        if (!mm.empty()) {
          try {
            json mj = json::parse(mm);
            totals = mj.value("totals", json::object());
            m_map = json::array();
            for (const auto& m : mj.value("ms", json::array()))
              m_map.push_back({{"m_id", m["m_id"]}, {"pu_planned", m["pu_planned"]}, {"pu_seen", m["pu_seen"]}});
            if (context["counters"].find("session") == context["counters"].end())
              context["counters"]["session"] = {{"events", mj["events"]},
                                                {"software_fallback", mj["software_fallback"]},
                                                {"unavailable", mj["unavailable"]}};
          } catch (const json::exception&) {
          }
        }
      }
      for (const auto& e : errors)
        failures.push_back({{"benchmark", u.go ? u.spec->name : u.instance}, {"side", u.go ? "go" : "c++"},
                            {"rep", rep}, {"reason", e}, {"log", "logs/" + tag + ".out"}});
      // GC cycles from its stderr (gctrace under GODEBUG=gctrace=1, the Boehm
      // baseline's lines): kept when the process measured one instance.
      json series = samples.size() == 1 ? parse_gc_trace(read_file(c.stderr_path)) : json(nullptr);
      for (const auto& s : samples) acc.add(s, u, params_extra, extra, totals, m_map, series);
    }
  }
  if (interrupted()) {
    int sig = interrupt_signal();
    std::fprintf(stderr, "gort-bench: interrupted by signal %d; no run directory was kept\n", sig);
    return 128 + sig;  // dir and cgroups go away in destructors
  }

  std::time_t t_end = std::time(nullptr);
  json run;
  run["schema_version"] = 1;
  run["run_id"] = std::string(host) + "/" + stamp;
  run["suite"] = o.suite;
  run["started_utc"] = utc_iso(t_start);
  run["finished_utc"] = utc_iso(t_end);
  run["argv"] = o.argv;
  run["reps"] = reps;
  run["order_seed"] = seed;
  run["context"] = context;
  if (!gbench_context.is_null()) run["gbench_context"] = gbench_context;
  run["benchmarks"] = acc.finish();
  run["skipped"] = plan.skipped;
  run["failures"] = failures;
  if (!write_file_atomic(dir.path() + "/run.json", run.dump(1) + "\n", &err) ||
      !write_file_atomic(dir.path() + "/go-bench.txt", go_bench_text(run), &err) ||
      !write_file_atomic(dir.path() + "/gbench.json", gbench_json(run).dump(1) + "\n", &err)) {
    std::fprintf(stderr, "gort-bench: %s\n", err.c_str());
    return 1;
  }
  std::string final_path;
  if (!dir.finalize(&final_path, &err)) {
    std::fprintf(stderr, "gort-bench: %s\n", err.c_str());
    return 1;
  }
  size_t entries = run["benchmarks"].size();
  std::fprintf(stderr, "gort-bench: %zu entries, %zu skipped, %zu failure(s) in %s\n", entries,
               plan.skipped.size(), failures.size(),
               fmt_duration(std::difftime(t_end, t_start)).c_str());
  std::printf("%s\n", final_path.c_str());
  return failures.empty() ? 0 : 1;
}

}  // namespace

std::string go_twin_file_name(const std::string& go_dir) { return safe_name(go_dir) + ".test"; }

int build_go_twins_command(const std::string& dir, const std::string& registry_opt) {
  std::string src = build_info::kSourceDir;
  std::string registry = registry_opt.empty() ? src + "/harness/benchmarks.json" : registry_opt;
  std::vector<BenchSpec> specs;
  std::string err;
  if (!load_registry(registry, &specs, &err)) {
    std::fprintf(stderr, "gort-bench build-go-twins: %s\n", err.c_str());
    return 2;
  }
  std::string go = build_info::go_binary();
  std::string version = command_output({go, "version"});
  if (version.empty()) {
    std::fprintf(stderr, "gort-bench build-go-twins: no working Go toolchain (looked for $GORT_GO, go on PATH, %s)\n",
                 build_info::kGoFallback);
    return 2;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || ::access(dir.c_str(), W_OK) != 0) {
    std::fprintf(stderr, "gort-bench build-go-twins: cannot write to %s\n", dir.c_str());
    return 2;
  }
  std::string logs = std::string(build_info::kBinaryDir) + "/go/logs";
  fs::create_directories(logs, ec);
  std::set<std::string> dirs;
  for (const auto& s : specs)
    if (s.has_go()) dirs.insert(s.go_dir);
  int failed = 0;
  for (const auto& d : dirs) {
    std::string exe, why;
    if (!build_go_twin(go, src, d, dir, logs, &exe, &why)) {
      std::fprintf(stderr, "gort-bench build-go-twins: %s\n", why.c_str());
      failed++;
    } else {
      std::fprintf(stderr, "gort-bench build-go-twins: %s -> %s\n", d.c_str(), exe.c_str());
    }
  }
  if (!write_file_atomic(dir + "/" + kGoVersionFile, version + "\n", &err)) {
    std::fprintf(stderr, "gort-bench build-go-twins: %s\n", err.c_str());
    return 1;
  }
  return failed ? 1 : 0;
}

int run_command(const RunOptions& opts) {
  try {
    // Twins run in their directory: their path must not depend on the cwd.
    RunOptions o = opts;
    if (!o.go_twins.empty()) o.go_twins = fs::absolute(o.go_twins).lexically_normal().string();
    return run_impl(o);
  } catch (const BadInput& b) {
    std::fprintf(stderr, "gort-bench run: %s\n", b.msg.c_str());
    return 2;
  }
}

}  // namespace gortbench
