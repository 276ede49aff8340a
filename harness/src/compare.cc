// compare.cc — `gort-bench compare`; see compare.h.
#include "gortbench/compare.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "gortbench/bench_output.h"
#include "gortbench/stats.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace gortbench {

namespace {

struct BadInput {
  std::string msg;
};

json load_run(const std::string& p) {
  std::string file = fs::is_directory(p) ? p + "/run.json" : p;
  std::ifstream f(file);
  if (!f) throw BadInput{file + ": no such run (expected a run directory holding run.json)"};
  json doc;
  try {
    doc = json::parse(f);
  } catch (const json::exception& e) {
    throw BadInput{file + ": not valid JSON (" + std::string(e.what()) + ")"};
  }
  if (!doc.is_object() || doc.value("schema_version", 0) != 1 || !doc.contains("benchmarks"))
    throw BadInput{file + ": not a schema_version 1 run.json"};
  return doc;
}

std::string key_params(const json& e) {
  json p = e.value("params", json::object());
  if (p.value("procs_mode", std::string()) == "default") p.erase("procs");
  return p.dump();
}

std::string params_text(const json& e) {
  std::string s;
  const json params = e.value("params", json::object());  // items() must not outlive it
  for (const auto& [k, v] : params.items()) {
    if (v.is_null() || (k == "pin" && v == "none") || k == "procs_mode") continue;
    if (k == "procs" && e["params"].value("procs_mode", std::string()) == "default") continue;
    s += (s.empty() ? "" : " ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return s;
}

std::string fmt_ns(double v) {
  char b[32];
  if (v >= 1e9) std::snprintf(b, sizeof b, "%.3gs", v / 1e9);
  else if (v >= 1e6) std::snprintf(b, sizeof b, "%.3gms", v / 1e6);
  else if (v >= 1e3) std::snprintf(b, sizeof b, "%.3gµs", v / 1e3);
  else std::snprintf(b, sizeof b, "%.3gns", v);
  return b;
}

std::string machine(const json& run) {
  const json& c = run.value("context", json::object());
  return c.value("host", std::string("?")) + " (" + c.value("cpu_model", std::string("?")) + ", " +
         std::to_string(c.value("num_cpus", 0)) + " CPUs)";
}

}  // namespace

int compare_command(const CompareOptions& o) {
  try {
    if (o.format != "text" && o.format != "json" && o.format != "go")
      throw BadInput{"--format '" + o.format + "': expected text, json or go"};
    bool within = !o.impl.empty() || !o.vs.empty();
    if (within && (o.impl.empty() || o.vs.empty())) throw BadInput{"--impl and --vs go together"};
    if (within && !o.run_b.empty()) throw BadInput{"--impl/--vs compare inside one run: give one RUN"};
    if (!within && o.run_b.empty()) throw BadInput{"give two runs (RUN_A RUN_B), or one run with --impl X --vs Y"};
    json a = load_run(o.run_a);
    json b = within ? a : load_run(o.run_b);
    if (o.format == "go") {
      std::printf("%s\n%s", go_bench_text(a).c_str(), within ? "" : go_bench_text(b).c_str());
      return 0;
    }
    std::string label_a = within ? o.impl : a.value("run_id", o.run_a);
    std::string label_b = within ? o.vs : b.value("run_id", o.run_b);
    // Pair entries.
    std::map<std::string, const json*> bmap;
    for (const auto& e : b["benchmarks"]) {
      if (within && e.value("impl", std::string()) != o.vs) continue;
      std::string k = e.value("name", std::string()) + "|" + (within ? "" : e.value("impl", std::string())) +
                       "|" + key_params(e);
      bmap[k] = &e;
    }
    json rows = json::array();
    std::vector<double> ratios;
    int small = 0;
    for (const auto& e : a["benchmarks"]) {
      if (within && e.value("impl", std::string()) != o.impl) continue;
      std::string k = e.value("name", std::string()) + "|" + (within ? "" : e.value("impl", std::string())) +
                      "|" + key_params(e);
      auto it = bmap.find(k);
      if (it == bmap.end()) continue;
      const json& f = *it->second;
      std::vector<double> xa = e["samples"].get<std::vector<double>>();
      std::vector<double> xb = f["samples"].get<std::vector<double>>();
      if (xa.empty() || xb.empty()) continue;
      stats::MedianCI ca = stats::median_ci(xa), cb = stats::median_ci(xb);
      stats::MannWhitney mw = stats::mann_whitney_u(xa, xb);
      double ratio = ca.median > 0 ? cb.median / ca.median : 0;
      bool significant = mw.p < 0.05;
      if (ratio > 0) ratios.push_back(ratio);
      int n = static_cast<int>(std::min(xa.size(), xb.size()));
      if (n < stats::kMinSamplesForCI) small++;
      json row = {{"name", e["name"]},
                  {"impl_a", e["impl"]},
                  {"impl_b", f["impl"]},
                  {"params", params_text(e)},
                  {"a", {{"median", ca.median}, {"lo", ca.lo}, {"hi", ca.hi}, {"has_ci", ca.has_ci}, {"n", xa.size()}}},
                  {"b", {{"median", cb.median}, {"lo", cb.lo}, {"hi", cb.hi}, {"has_ci", cb.has_ci}, {"n", xb.size()}}},
                  {"ratio", ratio},
                  {"delta_pct", (ratio - 1) * 100},
                  {"p", mw.p},
                  {"exact_p", mw.exact},
                  {"significant", significant}};
      if (n < stats::kMinSamplesForChange) row["warning"] = "fewer than 4 samples: no change can be detected at p<0.05";
      else if (n < stats::kMinSamplesForCI) row["warning"] = "fewer than 6 samples: no 95% confidence interval";
      rows.push_back(row);
    }
    auto gm = stats::geomean(ratios);
    bool cross = !within && (a["context"].value("cpu_model", std::string()) != b["context"].value("cpu_model", std::string()) ||
                             a["context"].value("host", std::string()) != b["context"].value("host", std::string()));
    if (o.format == "json") {
      json out = {{"a", label_a}, {"b", label_b}, {"machine_a", machine(a)}, {"machine_b", machine(b)},
                  {"cross_machine", cross}, {"rows", rows}, {"geomean_ratio", gm ? json(*gm) : json(nullptr)}};
      std::printf("%s\n", out.dump(1).c_str());
      return 0;
    }
    if (within) std::printf("compare %s vs %s inside %s — %s\n", label_a.c_str(), label_b.c_str(),
                            a.value("run_id", o.run_a).c_str(), machine(a).c_str());
    else {
      std::printf("A: %s — %s\nB: %s — %s\n", label_a.c_str(), machine(a).c_str(), label_b.c_str(), machine(b).c_str());
      if (cross) std::printf("NOTE: different machines: ratios compare CPUs as well as code\n");
    }
    std::printf("%-32s %-14s %-22s %-22s %-22s %9s %8s\n", "benchmark", "impl", "params", "A median [95% CI]",
                "B median [95% CI]", "delta", "p");
    for (const auto& r : rows) {
      auto cell = [](const json& s) {
        std::string t = fmt_ns(s["median"].get<double>());
        if (s["has_ci"].get<bool>()) t += " [" + fmt_ns(s["lo"].get<double>()) + "," + fmt_ns(s["hi"].get<double>()) + "]";
        return t + " n=" + std::to_string(s["n"].get<int>());
      };
      char delta[32];
      if (r["significant"].get<bool>()) std::snprintf(delta, sizeof delta, "%+.1f%%", r["delta_pct"].get<double>());
      else std::snprintf(delta, sizeof delta, "~");
      std::string impl = r["impl_a"].get<std::string>();
      if (r["impl_b"] != r["impl_a"]) impl += "/" + r["impl_b"].get<std::string>();
      std::printf("%-32s %-14s %-22s %-22s %-22s %9s %8.3f%s\n", r["name"].get<std::string>().c_str(), impl.c_str(),
                  r["params"].get<std::string>().c_str(), cell(r["a"]).c_str(), cell(r["b"]).c_str(), delta,
                  r["p"].get<double>(), r.contains("warning") ? "  !" : "");
    }
    if (rows.empty()) std::printf("(no benchmark appears in both)\n");
    if (gm) std::printf("geomean of B/A ratios: %.4f over %zu benchmark(s)\n", *gm, ratios.size());
    if (small) std::printf("warning: %d comparison(s) under 6 samples (no 95%% CI; under 4 no change is detectable); use --reps 6 or more\n", small);
    return 0;
  } catch (const BadInput& b) {
    std::fprintf(stderr, "gort-bench compare: %s\n", b.msg.c_str());
    return 2;
  }
}

}  // namespace gortbench
