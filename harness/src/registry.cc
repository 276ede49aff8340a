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

const std::set<std::string> kKeys = {"name",     "subsystem",   "impl",   "claim",     "impls",    "binary",
                                     "filter",   "min_time",    "go_dir",    "go_bench", "benchtime",
                                     "suites",   "full_procs",  "full_quotas", "env",    "timeout_s",
                                     "note"};

bool fail(std::string* err, const std::string& msg) {
  *err = msg;
  return false;
}

}  // namespace

bool parse_procs_item(const std::string& s, int* out) {
  if (s == "default") *out = kProcsDefault;
  else if (s == "host") *out = kProcsHost;
  else if (s == "floor") *out = kProcsFloor;
  else if (s == "ceil") *out = kProcsCeil;
  else {
    if (s.empty() || s.size() > 4 || s.find_first_not_of("0123456789") != std::string::npos) return false;
    *out = std::stoi(s);
    return *out >= 1;
  }
  return true;
}

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
      s.impl = e.value("impl", "gort");
      s.impls = e.value("impls", std::vector<std::string>{});
      if (s.impls.empty()) {
        s.impls.push_back(s.impl);
        if (e.contains("go_dir")) s.impls.push_back("go");
      }
      s.binary = e.value("binary", "");
      s.filter = e.value("filter", "^" + s.name + "(/|$)");
      s.min_time = e.value("min_time", "0.1");
      s.go_dir = e.value("go_dir", "");
      s.go_bench = e.value("go_bench", "^Benchmark" + s.name + "$");
      s.benchtime = e.value("benchtime", "100ms");
      s.suites = e.value("suites", std::vector<std::string>{"quick", "full"});
      if (e.contains("full_procs")) {
        for (const auto& p : e.at("full_procs")) {
          int v = 0;
          if (!parse_procs_item(p.is_string() ? p.get<std::string>() : p.dump(), &v))
            return fail(err, where + ": full_procs item " + p.dump() + " is not an integer >= 1 or default|host|floor|ceil");
          s.full_procs.push_back(v);
        }
      }
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
