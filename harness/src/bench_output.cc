// bench_output.cc — parsing benchmark output, writing Go/GBench formats; see
// bench_output.h.
#include "gortbench/bench_output.h"

#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>

namespace gortbench {

using nlohmann::json;

namespace {

json scalar(const std::string& v) {
  char* end = nullptr;
  long long i = std::strtoll(v.c_str(), &end, 10);
  if (!v.empty() && *end == '\0') return i;
  double d = std::strtod(v.c_str(), &end);
  if (!v.empty() && *end == '\0') return d;
  return v;
}

double to_ns(double v, const std::string& unit) {
  if (unit == "us") return v * 1e3;
  if (unit == "ms") return v * 1e6;
  if (unit == "s") return v * 1e9;
  return v;
}

// Google Benchmark's own decorations of a name, not parameters.
bool decoration(const std::string& part) {
  for (const char* p : {"real_time", "process_time", "manual_time", "min_time:", "min_warmup_time:",
                        "iterations:", "repeats:"})
    if (part.rfind(p, 0) == 0) return true;
  return false;
}

const std::set<std::string> kGbenchStd = {
    "name", "family_index", "per_family_instance_index", "run_name", "run_type", "repetitions",
    "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit",
    "aggregate_name", "aggregate_unit", "error_occurred", "error_message", "label"};

}  // namespace

std::string split_bench_name(const std::string& full, bool go_suffix, json* params, int* procs) {
  *params = json::object();
  if (procs) *procs = 0;
  std::string s = full;
  if (go_suffix) {
    size_t dash = s.rfind('-');
    size_t slash = s.rfind('/');
    if (dash != std::string::npos && (slash == std::string::npos || dash > slash) && dash + 1 < s.size()) {
      std::string tail = s.substr(dash + 1);
      bool digits = tail.find_first_not_of("0123456789") == std::string::npos;
      if (digits) {
        if (procs) *procs = std::atoi(tail.c_str());
        s = s.substr(0, dash);
      }
    }
  }
  std::vector<std::string> parts;
  std::stringstream ss(s);
  std::string p;
  while (std::getline(ss, p, '/')) parts.push_back(p);
  if (parts.empty()) return full;
  std::string base = parts[0];
  if (go_suffix && base.rfind("Benchmark", 0) == 0 && base.size() > 9) base = base.substr(9);
  int anon = 0;
  for (size_t i = 1; i < parts.size(); i++) {
    const std::string& part = parts[i];
    if (decoration(part)) continue;
    size_t c = part.find(':');
    if (c == std::string::npos) c = part.find('=');
    if (c == std::string::npos) (*params)["arg" + std::to_string(anon++)] = scalar(part);
    else (*params)[part.substr(0, c)] = scalar(part.substr(c + 1));
  }
  return base;
}

bool parse_gbench_json(const std::string& text, std::vector<Sample>* out,
                       std::vector<std::string>* errors, json* context) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception&) {
    return false;
  }
  if (!doc.is_object() || !doc.contains("benchmarks")) return false;
  if (context && doc.contains("context")) *context = doc["context"];
  for (const auto& b : doc["benchmarks"]) {
    if (b.value("run_type", "iteration") != "iteration") continue;
    std::string name = b.value("name", "");
    if (b.value("error_occurred", false)) {
      if (errors) errors->push_back(name + ": " + b.value("error_message", "error"));
      continue;
    }
    Sample s;
    s.raw_name = name;
    s.name = split_bench_name(b.value("run_name", name), false, &s.params, nullptr);
    s.procs_in_name = s.params.contains("procs");
    s.impl = "gort";
    if (s.params.contains("impl")) {
      s.impl = s.params["impl"].is_string() ? s.params["impl"].get<std::string>() : s.params["impl"].dump();
      s.params.erase("impl");
    }
    s.iterations = b.value("iterations", 0.0);
    s.ns_per_op = to_ns(b.value("real_time", 0.0), b.value("time_unit", "ns"));
    s.metrics = json::object();
    for (const auto& [k, v] : b.items())
      if (!kGbenchStd.count(k) && v.is_number()) s.metrics[k] = v;
    if (b.contains("cpu_time")) s.metrics["cpu_ns"] = to_ns(b["cpu_time"].get<double>(), b.value("time_unit", "ns"));
    s.raw = b;
    out->push_back(std::move(s));
  }
  return true;
}

std::vector<Sample> parse_go_bench(const std::string& text) {
  std::vector<Sample> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Benchmark", 0) != 0) continue;
    std::istringstream ls(line);
    std::string name, iters;
    if (!(ls >> name >> iters)) continue;
    if (iters.find_first_not_of("0123456789") != std::string::npos) continue;
    Sample s;
    s.raw_name = name;
    int procs = 0;
    s.name = split_bench_name(name, true, &s.params, &procs);
    // GOMAXPROCS from the -P suffix (Go omits -1), unless the name itself
    // carries procs (a twin that sets GOMAXPROCS per sub-benchmark).
    s.procs_in_name = s.params.contains("procs");
    if (!s.procs_in_name) s.params["procs"] = procs > 0 ? procs : 1;
    s.impl = "go";
    if (s.params.contains("impl")) {
      s.impl = s.params["impl"].is_string() ? s.params["impl"].get<std::string>() : "go";
      s.params.erase("impl");
    }
    s.iterations = std::atof(iters.c_str());
    s.metrics = json::object();
    json raw = {{"name", name}, {"iterations", s.iterations}};
    std::string v, unit;
    bool have_ns = false;
    while (ls >> v >> unit) {
      double d = std::atof(v.c_str());
      raw[unit] = d;
      if (unit == "ns/op") {
        s.ns_per_op = d;
        have_ns = true;
      } else if (unit == "B/op") {
        s.metrics["bytes_per_op"] = d;
      } else if (unit == "allocs/op") {
        s.metrics["allocs_per_op"] = d;
      } else {
        s.metrics[unit] = d;
      }
    }
    if (!have_ns) continue;
    s.raw = raw;
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

double num(const std::string& s) { return std::strtod(s.c_str(), nullptr); }

}  // namespace

json parse_gc_trace(const std::string& text) {
  // gc N @Ts P%: a+b+c ms clock, d+e/f/g+h ms cpu, X->Y->Z MB, G MB goal, ..., N P[ (forced)]
  static const std::regex go_re(
      R"(^gc (\d+) @([0-9.]+)s (\d+)%: ([0-9.]+)\+([0-9.]+)\+([0-9.]+) ms clock, )"
      R"(([0-9.]+)\+([0-9.]+)/([0-9.]+)/([0-9.]+)\+([0-9.]+) ms cpu, )"
      R"((\d+)->(\d+)->(\d+) MB, (\d+) MB goal,.* (\d+) P( \(forced\))?)");
  static const std::regex boehm_re(
      R"(^boehm gc (\d+) @([0-9.]+)s: ([0-9.]+) ms stop, ([0-9.]+)->([0-9.]+) MB in use, ([0-9.]+) MB heap)");
  // Boehm's own statistics (GC_PRINT_STATS=1), printed before its END event:
  // "In-use heap: P% (A KiB pointers + B KiB other)" = bytes marked.
  static const std::regex boehm_live_re(R"(^In-use heap: \d+% \((\d+) KiB pointers \+ (\d+) KiB other\))");
  json cycles = json::array();
  json boehm_live = nullptr;
  std::string source;
  int run = 0;
  bool windowed = false, in_window = false;
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == "gort-bench run") {
      run++;
      in_window = false;
      continue;
    }
    if (line == "gort-bench window begin") {
      windowed = in_window = true;
      continue;
    }
    if (line == "gort-bench window end") {
      in_window = false;
      continue;
    }
    json c;
    if (line.rfind("In-use heap: ", 0) == 0 && std::regex_search(line, m, boehm_live_re)) {
      boehm_live = (num(m[1]) + num(m[2])) / 1024.0;
      continue;
    }
    if (line.rfind("gc ", 0) == 0 && std::regex_search(line, m, go_re)) {
      c = {{"gc", std::stoll(m[1])},
           {"t_s", num(m[2])},
           {"gc_pct", std::stoi(m[3])},
           {"sweep_term_stw_ms", num(m[4])},
           {"mark_ms", num(m[5])},
           {"mark_term_stw_ms", num(m[6])},
           {"assist_cpu_ms", num(m[8])},
           {"mark_cpu_ms", num(m[8]) + num(m[9]) + num(m[10])},
           {"heap_before_mb", num(m[12])},
           {"heap_after_mb", num(m[13])},
           {"live_mb", num(m[14])},
           {"goal_mb", num(m[15])},
           {"procs", std::stoi(m[16])},
           {"forced", m[17].matched}};
      if (source.empty()) source = "gctrace";
    } else if (line.rfind("boehm gc ", 0) == 0 && std::regex_search(line, m, boehm_re)) {
      c = {{"gc", std::stoll(m[1])},      {"t_s", num(m[2])},           {"stop_ms", num(m[3])},
           {"heap_before_mb", num(m[4])}, {"heap_after_mb", num(m[5])}, {"live_mb", boehm_live},
           {"goal_mb", nullptr},          {"heap_size_mb", num(m[6])},  {"forced", false}};
      boehm_live = nullptr;
      if (source.empty()) source = "boehm";
    } else {
      continue;
    }
    c["run"] = run;
    c["in_window"] = in_window;
    cycles.push_back(std::move(c));
  }
  if (cycles.empty()) return nullptr;
  for (auto& c : cycles) {
    c["measured"] = c["run"].get<int>() == run && (!windowed || c["in_window"].get<bool>());
    if (!windowed) c.erase("in_window");
  }
  return {{"source", source}, {"runs", run}, {"windowed", windowed}, {"cycles", cycles}};
}

namespace {

std::string go_name(const json& e) {
  std::string n = "Benchmark" + e.value("name", std::string("?"));
  int procs = 1;
  const json params = e.value("params", json::object());  // items() must not outlive it
  for (const auto& [k, v] : params.items()) {
    if (k == "procs") {
      if (v.is_number_integer()) procs = v.get<int>();
      continue;
    }
    if (v.is_null() || (k == "pin" && v == "none")) continue;
    std::string val = v.is_string() ? v.get<std::string>() : v.dump();
    for (auto& c : val)
      if (c == ' ' || c == '/') c = '_';
    n += "/" + k + "=" + val;
  }
  if (procs != 1) n += "-" + std::to_string(procs);
  return n;
}

}  // namespace

std::string go_bench_text(const json& run) {
  std::ostringstream o;
  o.precision(10);
  const json& c = run.value("context", json::object());
  o << "goos: linux\ngoarch: amd64\n";
  o << "cpu: " << c.value("cpu_model", std::string("unknown")) << "\n";
  o << "host: " << c.value("host", std::string("unknown")) << "\n";
  o << "run: " << run.value("run_id", std::string("?")) << "\n";
  std::vector<std::string> impls;
  for (const auto& e : run.value("benchmarks", json::array())) {
    std::string i = e.value("impl", std::string("?"));
    bool seen = false;
    for (const auto& x : impls) seen = seen || x == i;
    if (!seen) impls.push_back(i);
  }
  for (const auto& impl : impls) {
    o << "\nimpl: " << impl << "\n";
    for (const auto& e : run["benchmarks"]) {
      if (e.value("impl", std::string()) != impl) continue;
      std::string n = go_name(e);
      const json& samples = e.value("samples", json::array());
      const json& iters = e.value("iterations", json::array());
      const json& metrics = e.value("metrics", json::object());
      for (size_t r = 0; r < samples.size(); r++) {
        long long it = r < iters.size() && iters[r].is_number() ? iters[r].get<long long>() : 1;
        o << n << " \t" << it << "\t" << samples[r].get<double>() << " ns/op";
        for (const auto& [k, v] : metrics.items()) {
          if (v.is_array() && r < v.size() && v[r].is_number()) o << "\t" << v[r].get<double>() << " " << k;
        }
        o << "\n";
      }
    }
  }
  return o.str();
}

json gbench_json(const json& run) {
  const json& c = run.value("context", json::object());
  json ctx = run.value("gbench_context", json::object());
  if (ctx.empty()) {
    ctx = {{"host_name", c.value("host", std::string())},
           {"num_cpus", c.value("num_cpus", 0)},
           {"library_build_type", c.value("build_type", std::string())},
           {"json_schema_version", 1}};
  }
  ctx["gort_run_id"] = run.value("run_id", std::string());
  json out = {{"context", ctx}, {"benchmarks", json::array()}};
  for (const auto& e : run.value("benchmarks", json::array())) {
    const json& raws = e.value("raw", json::array());
    const json& samples = e.value("samples", json::array());
    std::string name = e.value("name", std::string("?")) + "/impl:" + e.value("impl", std::string("?"));
    const json params = e.value("params", json::object());  // items() must not outlive it
  for (const auto& [k, v] : params.items()) {
      if (v.is_null()) continue;
      name += "/" + k + ":" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    for (size_t r = 0; r < samples.size(); r++) {
      json b;
      if (r < raws.size() && raws[r].contains("real_time")) b = raws[r];
      else {
        double it = r < raws.size() ? raws[r].value("iterations", 1.0) : 1.0;
        b = {{"iterations", it}, {"real_time", samples[r]}, {"cpu_time", samples[r]}, {"time_unit", "ns"}};
      }
      b["name"] = name;
      b["run_name"] = name;
      b["run_type"] = "iteration";
      b["repetitions"] = samples.size();
      b["repetition_index"] = r;
      if (!b.contains("threads")) b["threads"] = 1;
      out["benchmarks"].push_back(b);
    }
  }
  return out;
}

}  // namespace gortbench
