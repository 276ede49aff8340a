// registry.cc — loading harness/benchmarks.json; see registry.h.
#include "gortbench/registry.h"

#include <fstream>
#include <set>

namespace gortbench {

using nlohmann::json;

bool BenchSpec::in_suite(const std::string& s) const {
  for (const auto& x : suites)
    if (x == s) return true;
  return false;
}

namespace {

const std::set<std::string> kKeys = {"name",     "subsystem",   "claim",     "impls",    "binary",
                                     "filter",   "min_time",    "go_dir",    "go_bench", "benchtime",
                                     "suites",   "full_procs",  "full_quotas", "env",    "timeout_s",
                                     "note"};

bool fail(std::string* err, const std::string& msg) {
  *err = msg;
  return false;
}

}  // namespace

bool parse_registry(const json& doc, const std::string& what, std::vector<BenchSpec>* out,
                    std::string* err) {
  out->clear();
  if (!doc.is_object() || !doc.contains("benchmarks") || !doc["benchmarks"].is_array())
    return fail(err, what + ": expected an object with a \"benchmarks\" array");
  std::set<std::string> names;
  int i = 0;
  for (const auto& e : doc["benchmarks"]) {
    std::string where = what + ": benchmarks[" + std::to_string(i++) + "]";
    if (!e.is_object()) return fail(err, where + " is not an object");
    for (const auto& [k, v] : e.items())
      if (!kKeys.count(k) && k.rfind("_", 0) != 0)  // "_comment" keys are allowed
        return fail(err, where + ": unknown key \"" + k + "\"");
    BenchSpec s;
    try {
      s.name = e.at("name").get<std::string>();
      where += " (" + s.name + ")";
      s.subsystem = e.at("subsystem").get<std::string>();
      if (e.contains("claim") && !e["claim"].is_null()) s.claim = e["claim"].get<int>();
      s.impls = e.value("impls", std::vector<std::string>{});
      s.binary = e.value("binary", "");
      s.filter = e.value("filter", "^" + s.name + "(/|$)");
      s.min_time = e.value("min_time", "0.1");
      s.go_dir = e.value("go_dir", "");
      s.go_bench = e.value("go_bench", "^Benchmark" + s.name + "$");
      s.benchtime = e.value("benchtime", "100ms");
      s.suites = e.value("suites", std::vector<std::string>{"quick", "full"});
      s.full_procs = e.value("full_procs", std::vector<int>{});
      s.full_quotas = e.value("full_quotas", std::vector<double>{});
      if (e.contains("env")) {
        for (const auto& [k, v] : e["env"].items()) s.env.push_back({k, v.get<std::string>()});
      }
      s.timeout_s = e.value("timeout_s", 300);
      s.note = e.value("note", "");
    } catch (const json::exception& ex) {
      return fail(err, where + ": " + ex.what());
    }
    if (s.name.empty()) return fail(err, where + ": empty name");
    if (!names.insert(s.name).second) return fail(err, where + ": duplicate name");
    if (s.binary.empty() && s.go_dir.empty())
      return fail(err, where + ": needs a \"binary\" or a \"go_dir\" (or both)");
    for (const auto& su : s.suites)
      if (su != "quick" && su != "full") return fail(err, where + ": suite \"" + su + "\" is not quick|full");
    for (int p : s.full_procs)
      if (p < 1) return fail(err, where + ": full_procs must be >= 1");
    for (double q : s.full_quotas)
      if (!(q > 0)) return fail(err, where + ": full_quotas must be > 0");
    if (s.timeout_s < 1) return fail(err, where + ": timeout_s must be >= 1");
    out->push_back(std::move(s));
  }
  return true;
}

bool load_registry(const std::string& path, std::vector<BenchSpec>* out, std::string* err) {
  std::ifstream f(path);
  if (!f) return fail(err, "registry " + path + ": cannot read it");
  json doc;
  try {
    doc = json::parse(f, nullptr, true, /*ignore_comments=*/true);
  } catch (const json::exception& ex) {
    return fail(err, "registry " + path + ": not valid JSON: " + ex.what());
  }
  return parse_registry(doc, "registry " + path, out, err);
}

}  // namespace gortbench
